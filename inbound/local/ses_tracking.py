"""SES open and click tracking, emulated for the local stack.

moto 5.2.5 tracks nothing. SES tracks the mail of a configuration set one of whose event
destinations takes OPEN or CLICK (inbound provisions that for the announcements' set only):
it adds an invisible image to the HTML part and sends each link through its own redirect,
and publishes an Open event when the image is fetched and a Click event when a link is
followed, with the mail's `mail` object, to the destination. Links marked `ses:no-track`
stay as they are. With an emulator (`ses_sending`) installed, as `inbound up` installs one:

- a send with such a set leaves for the outbox with its HTML rewritten the same way, the
  image and the links pointing at this moto server (presigned-looking, as SES's are, so
  moto_endpoint's guard lets a browser's GET through);
- fetching the image answers a 1x1 GIF and publishes Open; following a link answers a 302
  to the original and publishes Click (each fetch one event, as SES does). Only a link the
  mail carries is followed: SES's links are opaque, this one names its target in the query.

A test opens or clicks by fetching the URLs in the outbox's mail, as a recipient's mail
client would. What the event says comes from the mail as it lies in the outbox, so a link
works after a restart of the stack too.
"""

from __future__ import annotations

import base64
import email
import email.policy
import html
import re
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from inbound.local.ses_events import SentMail

TRACKED = ("OPEN", "CLICK")
_PATH = "{0}/ses_(?P<region>[^/]+)/track/(?P<kind>open|click)/(?P<message>[^/?]+)$"
_LINK = re.compile(r'<a\b([^>]*?)\bhref="(https?://[^"]+)"', re.IGNORECASE)
# The smallest transparent GIF (43 bytes), as tracking pixels are.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_installed = False


def tracked_types(account: str, region: str, set_name: str) -> frozenset[str]:
    """OPEN and/or CLICK when an enabled event destination of the set takes them."""
    from moto.ses.models import ses_backends

    backend = ses_backends[account][region]
    found = backend.__dict__.get("v2_event_destinations", {}).get(set_name, {})
    return frozenset(
        t
        for d in found.values()
        if d.get("Enabled")
        for t in d.get("MatchingEventTypes") or ()
        if t in TRACKED
    )


def _url(emulator: Any, kind: str, message_id: str, link: str = "") -> str:
    day = time.strftime("%Y%m%d", time.gmtime())
    query = {"X-Amz-Credential": f"embedded/{day}/{emulator.region}/ses/aws4_request"}
    if link:
        query["u"] = link
    base = f"{emulator.endpoint_url}/ses_{emulator.region}/track/{kind}/{message_id}"
    return f"{base}?{urllib.parse.urlencode(query)}"


def rewrite(emulator: Any, message_id: str, raw: str, types: frozenset[str]) -> str:
    """The mail as SES sends it with tracking: each HTML part's links through the click
    redirect (unless `ses:no-track`), and the open image at its end."""
    message = email.message_from_string(raw, policy=email.policy.default)
    changed = False
    for part in message.walk():
        if part.get_content_type() != "text/html" or part.is_attachment():
            continue
        text = part.get_content()  # type: ignore[attr-defined]

        def redirect(found: re.Match[str]) -> str:
            attributes, link = found.group(1), html.unescape(found.group(2))
            if "ses:no-track" in attributes.lower():
                return found.group(0)
            return f'<a{attributes}href="{html.escape(_url(emulator, "click", message_id, link))}"'

        if "CLICK" in types:
            text = _LINK.sub(redirect, text)
        if "OPEN" in types:
            pixel = html.escape(_url(emulator, "open", message_id))
            text += f'<img alt="" width="1" height="1" border="0" src="{pixel}">'
        part.set_content(text, subtype="html", charset="utf-8")  # type: ignore[attr-defined]
        changed = True
    return message.as_string() if changed else raw


def _sent(emulator: Any, message_id: str) -> SentMail | None:
    """A tracked mail as it lies in the outbox; None when there is no such mail."""
    from inbound.local.ses_outbox import read_outbox

    record = next((r for r in read_outbox(emulator.data_dir) if r["message_id"] == message_id), None)
    if record is None or not record.get("configuration_set"):
        return None
    raw = (emulator.outbox / record["file"]).read_text()
    return SentMail(
        message_id,
        record["source"],
        tuple(record["to"]),
        email.message_from_string(raw),
        record["configuration_set"],
        emulator.account,
        emulator.region,
    )


def tracked_links(message: Any) -> frozenset[str]:
    """The targets of the click links `rewrite` put into a mail's HTML parts."""
    found: set[str] = set()
    for part in message.walk():
        if part.get_content_type() != "text/html" or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True) or b""
        text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        for _attributes, href in _LINK.findall(text):
            url = urllib.parse.urlsplit(html.unescape(href))
            if "/track/click/" in url.path:
                found.update(v for k, v in urllib.parse.parse_qsl(url.query) if k == "u")
    return frozenset(found)


def _event(emulator: Any, kind: str, sent: SentMail, link: str) -> dict[str, Any]:
    """The Open or Click event of a mail in the outbox."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    part: dict[str, Any] = {"timestamp": now, "ipAddress": "127.0.0.1", "userAgent": "inbound-local"}
    if kind == "click":
        part.update(link=link, linkTags={})
    return {"eventType": kind.title(), "mail": sent.mail_object(), kind: part}


def _follow(request: Any, full_url: str, headers: dict[str, str]) -> Any:
    """The open image or a click redirect: publish the event, answer as SES's tracker does."""
    from inbound.local.ses_sending import _emulators

    parsed = urllib.parse.urlsplit(full_url)
    _, region_part, _, kind, message_id = parsed.path.split("/")[-5:]
    link = dict(urllib.parse.parse_qsl(parsed.query)).get("u", "")
    sent = next(
        (
            (emulator, found)
            for (_account, region), emulator in list(_emulators.items())
            if f"ses_{region}" == region_part and (found := _sent(emulator, message_id)) is not None
        ),
        None,
    )
    # SES's click links are opaque: a recipient cannot point one elsewhere. Here the target
    # is in the query, so only a link the mail carries is followed; any other `u` would
    # make this an open redirect and forge a Click for a link that was never sent.
    if kind == "click" and (sent is None or link not in tracked_links(sent[1].message)):
        return 404, {"Content-Type": "text/plain"}, "not a tracked link\n"
    if sent is not None:
        sent[0].publish_later(_event(sent[0], kind, sent[1], link))
    if kind == "open":
        return 200, {"Content-Type": "image/gif", "Cache-Control": "no-store"}, _PIXEL
    return 302, {"Location": link, "Cache-Control": "no-store"}, ""


def install() -> None:
    """Add the tracker's routes to moto's SES (idempotent); before moto's server starts."""
    global _installed
    if _installed:
        return
    from moto.ses import urls

    urls.url_paths.setdefault(_PATH, _follow)
    _installed = True
