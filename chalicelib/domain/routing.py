"""Which mailbox a delivery belongs to, from its envelope recipients."""

from __future__ import annotations

from chalicelib.domain.frozen import frozen


@frozen
class Route:
    mailbox: str
    # The recipient address that decided the route (it may carry a reply token).
    address: str
    # The plus-address tag, if any (`support+T-7.tok@` -> `T-7.tok`).
    tag: str = ""


def _split(address: str) -> tuple[str, str, str]:
    local, _, domain = address.strip().lower().partition("@")
    base, _, tag = local.partition("+")
    return base, tag, domain


def route(
    recipients: tuple[str, ...],
    mailboxes: dict[str, str],
    domain: str,
    default_mailbox: str,
) -> Route:
    """The mailbox for a delivery.

    A recipient whose address (without its plus tag) is configured wins over one
    that is merely of our domain; among equals the envelope order decides. A
    delivery with none of ours (possible when replaying foreign mail) goes to the
    default mailbox, so nothing is dropped for want of a route.
    """
    domain = domain.lower()
    fallback: Route | None = None
    for address in recipients:
        base, tag, rdomain = _split(address)
        mailbox = mailboxes.get(f"{base}@{rdomain}")
        if mailbox:
            return Route(mailbox=mailbox, address=address.strip().lower(), tag=tag)
        if fallback is None and (rdomain == domain or rdomain.endswith("." + domain)):
            fallback = Route(mailbox=default_mailbox, address=address.strip().lower(), tag=tag)
    return fallback or Route(mailbox=default_mailbox, address="")
