"""SES v2 calls moto 5.2.5 lacks: configuration-set event destinations (v1 only there),
dedicated IPs and a set's delivery options.

Real SES offers the DELIVERY_DELAY and SUBSCRIPTION event types only through the v2
API (`sesv2`), so provision creates its destination there. These add Create, Get,
Update and Delete of event destinations to moto's `sesv2`, kept per configuration set
of moto's v1 backend (where moto keeps v2's sets too), for the in-process mock and for
moto's server alike.

Dedicated IPs: moto keeps pools but no IPs, and has neither GetDedicatedIps,
PutDedicatedIpInPool nor PutConfigurationSetDeliveryOptions; its CreateDedicatedIpPool
accepts a name twice and its DeleteDedicatedIpPool fails with a server error on an unknown
one (SES: AlreadyExistsException, NotFoundException). Leased IPs and their warm-up are
emulated: `lease_dedicated_ips` gives the account IPs at a warm-up percentage, as SES does
when an operator leases them in the console.
"""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    """Patch moto's sesv2 in this process (idempotent); before moto's server starts."""
    global _installed
    if _installed:
        return
    from moto.core.exceptions import JsonRESTError
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    # moto server routes by these (its catch-all `/v2/.*` does not span path segments there).
    path = "{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/event-destinations"
    urls.url_paths[path + "$"] = SESV2Response.dispatch
    urls.url_paths[path + "/(?P<EventDestinationName>[^/]+)$"] = SESV2Response.dispatch

    def destinations(self: Any) -> dict[str, Any]:
        """This configuration set's destinations; NotFoundException when the set does not exist."""
        backend = self.sesv2_backend.core_backend
        name = self._get_param("ConfigurationSetName")
        if name not in backend.config_sets:
            raise JsonRESTError("NotFoundException", f"Configuration set <{name}> does not exist.")
        every: dict[str, dict[str, Any]] = backend.__dict__.setdefault("v2_event_destinations", {})
        return every.setdefault(name, {})

    def create(self: Any) -> str:
        found, name = destinations(self), self._get_param("EventDestinationName")
        if name in found:
            raise JsonRESTError("AlreadyExistsException", f"Event destination {name} already exists.")
        found[name] = {"Name": name, **self._get_param("EventDestination")}
        return "{}"

    def get(self: Any) -> str:
        return json.dumps({"EventDestinations": list(destinations(self).values())})

    def update(self: Any) -> str:
        found, name = destinations(self), self._get_param("EventDestinationName")
        if name not in found:
            raise JsonRESTError("NotFoundException", f"Event destination {name} does not exist.")
        found[name] = {"Name": name, **self._get_param("EventDestination")}
        return "{}"

    def delete(self: Any) -> str:
        found, name = destinations(self), self._get_param("EventDestinationName")
        if found.pop(name, None) is None:
            raise JsonRESTError("NotFoundException", f"Event destination {name} does not exist.")
        return "{}"

    _install_dedicated_ips(SESV2Response, urls)
    SESV2Response.create_configuration_set_event_destination = create  # type: ignore[attr-defined]
    SESV2Response.get_configuration_set_event_destinations = get  # type: ignore[attr-defined]
    SESV2Response.update_configuration_set_event_destination = update  # type: ignore[attr-defined]
    SESV2Response.delete_configuration_set_event_destination = delete  # type: ignore[attr-defined]
    _installed = True


def _leased(backend: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = backend.__dict__.setdefault("v2_dedicated_ips", {})
    return found


def lease_dedicated_ips(backend: Any, warmup: dict[str, int]) -> None:
    """Emulates leasing: the account (moto's v1 backend of one account and region) gets these
    IPs, each at its warm-up percentage, in SES's default pool."""
    for ip, percentage in warmup.items():
        _leased(backend)[ip] = {
            "Ip": ip,
            "WarmupStatus": "DONE" if percentage >= 100 else "IN_PROGRESS",
            "WarmupPercentage": percentage,
            "PoolName": "ses-default-dedicated-pool",
        }


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _pools(self: Any) -> dict[str, Any]:
    found: dict[str, Any] = self.sesv2_backend.core_backend.dedicated_ip_pools
    return found


def _known_pool(self: Any, name: str) -> None:
    if name not in _pools(self):
        raise _error("NotFoundException", f"Pool {name} does not exist.")


_MOTO: dict[str, Any] = {}  # moto's own handlers the emulation wraps


def _create_dedicated_ip_pool(self: Any) -> str:
    name = self._get_param("PoolName")
    if name in _pools(self):
        raise _error("AlreadyExistsException", f"Pool {name} already exists.")
    return str(_MOTO["create_dedicated_ip_pool"](self))


def _delete_dedicated_ip_pool(self: Any) -> str:
    name = self._get_param("PoolName")
    _known_pool(self, name)
    for ip in _leased(self.sesv2_backend.core_backend).values():
        if ip.get("PoolName") == name:
            ip["PoolName"] = "ses-default-dedicated-pool"
    return str(_MOTO["delete_dedicated_ip_pool"](self))


def _get_dedicated_ips(self: Any) -> str:
    name = self._get_param("PoolName")
    if name:
        _known_pool(self, name)
    ips = _leased(self.sesv2_backend.core_backend).values()
    return json.dumps({"DedicatedIps": [ip for ip in ips if not name or ip.get("PoolName") == name]})


def _put_dedicated_ip_in_pool(self: Any) -> str:
    ip, name = self._get_param("IP"), self._get_param("DestinationPoolName")
    leased = _leased(self.sesv2_backend.core_backend)
    if ip not in leased:
        raise _error("NotFoundException", f"Dedicated IP {ip} does not exist.")
    _known_pool(self, name)
    leased[ip]["PoolName"] = name
    return "{}"


def _put_configuration_set_delivery_options(self: Any) -> str:
    backend, name = self.sesv2_backend.core_backend, self._get_param("ConfigurationSetName")
    if name not in backend.config_sets:
        raise _error("NotFoundException", f"Configuration set <{name}> does not exist.")
    options = {k: self._get_param(k) for k in ("TlsPolicy", "SendingPoolName", "MaxDeliverySeconds")}
    if options["SendingPoolName"]:
        _known_pool(self, options["SendingPoolName"])
    backend.config_sets[name].delivery_options = {k: v for k, v in options.items() if v}
    return "{}"


def _install_dedicated_ips(response: Any, urls: Any) -> None:
    urls.url_paths["{0}/v2/email/dedicated-ips$"] = response.dispatch
    urls.url_paths["{0}/v2/email/dedicated-ips/(?P<IP>[^/]+)/pool$"] = response.dispatch
    path = "{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/delivery-options$"
    urls.url_paths[path] = response.dispatch
    _MOTO["create_dedicated_ip_pool"] = response.create_dedicated_ip_pool
    _MOTO["delete_dedicated_ip_pool"] = response.delete_dedicated_ip_pool
    response.create_dedicated_ip_pool = _create_dedicated_ip_pool
    response.delete_dedicated_ip_pool = _delete_dedicated_ip_pool
    response.get_dedicated_ips = _get_dedicated_ips
    response.put_dedicated_ip_in_pool = _put_dedicated_ip_in_pool
    response.put_configuration_set_delivery_options = _put_configuration_set_delivery_options
