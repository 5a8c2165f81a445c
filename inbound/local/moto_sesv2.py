"""SES v2 configuration-set event destinations, which moto 5.2.5 implements only in v1.

Real SES offers the DELIVERY_DELAY and SUBSCRIPTION event types only through the v2
API (`sesv2`), so provision creates its destination there. These add Create, Get,
Update and Delete of event destinations to moto's `sesv2`, kept per configuration set
of moto's v1 backend (where moto keeps v2's sets too), for the in-process mock and for
moto's server alike.
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

    SESV2Response.create_configuration_set_event_destination = create  # type: ignore[attr-defined]
    SESV2Response.get_configuration_set_event_destinations = get  # type: ignore[attr-defined]
    SESV2Response.update_configuration_set_event_destination = update  # type: ignore[attr-defined]
    SESV2Response.delete_configuration_set_event_destination = delete  # type: ignore[attr-defined]
    _installed = True
