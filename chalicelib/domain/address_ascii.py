"""Addresses as SES can send to them: the domain in IDNA (punycode), the local part ASCII.

SES v1 SendRawEmail takes no SMTPUTF8 (RFC 6531): a recipient domain must be written as its
A-labels (RFC 5891: `bücher.example` is `xn--bcher-kva.example`) and a UTF-8 local part
cannot be sent at all. SES's bounce and complaint events name the A-label form, so the
suppression list, the send ledger and every cap key the address that way: an agent who
types the Unicode spelling reaches the same entry.

The standard library's codec is IDNA 2003 (nameprep): for the rare labels where IDNA 2008
differs (`ß`, `ς`, ZWJ/ZWNJ) it maps to what older resolvers look up; good enough for a
domain an agent types, and the same on every path.
"""

from __future__ import annotations


class NotSendable(ValueError):
    """An address SES cannot send to; the message says why and what to do."""


def ascii_domain(address: str) -> str:
    """`Bob@Bücher.example` -> `Bob@xn--bcher-kva.example`; unchanged when the domain is
    ASCII already or is no valid IDNA name (then `sendable` refuses it)."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        # The codec lower-cases and maps full stops (U+3002 and kin) as IDNA says.
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def sendable(address: str) -> str:
    """The address with its domain in IDNA; NotSendable when SES could not send to it."""
    converted = ascii_domain(address)
    local, _, domain = converted.rpartition("@")
    if not local.isascii():
        raise NotSendable(
            f"{address} has a non-ASCII name before the @, which Amazon SES cannot send to "
            "(no SMTPUTF8): ask for an ASCII address"
        )
    if not domain.isascii():
        raise NotSendable(f"{address}: {domain} is not a valid internationalised domain name")
    return converted
