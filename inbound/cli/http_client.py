"""The staff API over HTTP, with the standard library only (urllib)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"


class ApiError(Exception):
    """The API refused or could not be reached; `status` 0 when nothing answered."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(f"{reason} (HTTP {status})" if status else reason)
        self.status = status
        self.error = error
        self.reason = reason


# Called with refresh=False for the current token, refresh=True after a 401.
TokenSource = Callable[[bool], str]


class StaffApi:
    def __init__(self, base_url: str, token: TokenSource, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def request(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        """(status, decoded JSON or None); ApiError for 4xx/5xx. A 401 gets one fresh token."""
        try:
            return self._send(method, path, query, body, self._token(False))
        except ApiError as exc:
            if exc.status != 401:
                raise
        return self._send(method, path, query, body, self._token(True))

    def _send(
        self, method: str, path: str, query: dict[str, Any] | None, body: Any, token: str
    ) -> tuple[int, Any]:
        params = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        url = self.base_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else b"" if method != "GET" else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raise _api_error(exc) from None
        except urllib.error.URLError as exc:
            raise ApiError(0, "unreachable", f"cannot reach {self.base_url}: {exc.reason}") from None
        except (TimeoutError, ConnectionError) as exc:
            raise ApiError(0, "unreachable", f"cannot reach {self.base_url}: {exc}") from None

    # -- the routes --------------------------------------------------------
    def tickets(self, follow: bool = False, **filters: Any) -> Iterator[dict[str, Any]]:
        """The queue page by page; only the first page unless `follow`."""
        cursor = None
        while True:
            _, page = self.request("GET", "/api/tickets", {**filters, "cursor": cursor})
            yield from page["tickets"]
            cursor = page.get("cursor")
            if not (follow and cursor):
                return

    def mailboxes(self) -> tuple[str, list[str]]:
        """(the default mailbox, every mailbox), as the console reads them before sign-in."""
        config = self.request("GET", "/console/config.json")[1] or {}
        boxes = [str(b) for b in config.get("mailboxes") or []]
        return str(config.get("defaultMailbox") or (boxes[0] if boxes else "")), boxes

    def claim_next(self, mailbox: str | None = None) -> dict[str, Any] | None:
        status, ticket = self.request("POST", "/api/tickets/next", {"mailbox": mailbox})
        return ticket if status == 200 else None

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        """The ticket with every message: the API sends long threads in pages, latest first."""
        path = f"/api/tickets/{_segment(ticket_id)}"
        detail = self.request("GET", path)[1]
        while detail.get("before"):
            earlier = self.request("GET", f"{path}?before={urllib.parse.quote(detail['before'], safe='')}")[1]
            detail = {**earlier, "messages": earlier["messages"] + detail["messages"]}
        return detail

    def update(self, ticket_id: str, **fields: Any) -> dict[str, Any]:
        return self.request("PATCH", f"/api/tickets/{_segment(ticket_id)}", body=fields)[1]

    def reply(
        self,
        ticket_id: str,
        text: str,
        html: str | None = None,
        last_seen: str | None = None,
        format: str = "",
        uploads: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """`last_seen`: the newest message the agent read; the API refuses a stale reply.
        `format`: "markdown" to have the text rendered to HTML (the API's default is text).
        `uploads`: keys `upload` returned, sent as the reply's files."""
        body = {
            "text": text,
            **({"html": html} if html else {}),
            **({"last_seen": last_seen} if last_seen else {}),
            **({"format": format} if format else {}),
            **({"uploads": list(uploads)} if uploads else {}),
        }
        return self.request("POST", f"/api/tickets/{_segment(ticket_id)}/reply", body=body)[1]

    def upload(self, ticket_id: str, filename: str, content_type: str, payload: bytes) -> str:
        """One file of a reply, as the console sends it: the API signs a presigned POST for
        it (POST .../uploads) and the file goes straight to the bucket; its key."""
        body = {"filename": filename, "content_type": content_type, "size": len(payload)}
        form = self.request("POST", f"/api/tickets/{_segment(ticket_id)}/uploads", body=body)[1]
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in form["fields"].items()
        ]
        # S3 reads the file from the form's last field; the name in it is not used (the key is).
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
            f"Content-Type: {form['content_type']}\r\n\r\n".encode()
            + payload
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            form["url"],
            data=b"".join(parts),
            method="POST",
            # S3 takes a presigned POST from anyone holding the form; the local stack's moto
            # takes a form POST only from the console's origin (inbound/local/browser_uploads),
            # the API this client talks to, so the client names it as the console's page does.
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": self._origin()},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            detail = re.search(rb"<Message>(.*?)</Message>", exc.read() or b"")
            reason = detail.group(1).decode(errors="replace") if detail else exc.reason
            raise ApiError(exc.code, "upload_refused", f"the bucket refused {filename}: {reason}") from None
        return str(form["key"])

    def _origin(self) -> str:
        parts = urllib.parse.urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def note(self, ticket_id: str, text: str) -> dict[str, Any]:
        return self.request("POST", f"/api/tickets/{_segment(ticket_id)}/notes", body={"text": text})[1]

    def merge(self, ticket_id: str, into: str) -> dict[str, Any]:
        """Move every message of `ticket_id` into `into`; the surviving ticket."""
        return self.request("POST", f"/api/tickets/{_segment(ticket_id)}/merge", body={"into": into})[1]

    def split(self, ticket_id: str, message_key: str) -> dict[str, Any]:
        """Move one message out into a new ticket; the new ticket."""
        path = f"/api/tickets/{_segment(ticket_id)}/split"
        return self.request("POST", path, body={"message_key": message_key})[1]

    def forward(self, ticket_id: str, to: str, note: str = "", message_key: str = "") -> dict[str, Any]:
        """Forward the ticket (or one message) to `to`; {ticket, to, recorded}."""
        body = {
            "to": to,
            **({"note": note} if note else {}),
            **({"message_key": message_key} if message_key else {}),
        }
        return self.request("POST", f"/api/tickets/{_segment(ticket_id)}/forward", body=body)[1]

    def participant(self, ticket_id: str, address: str, remove: bool = False) -> dict[str, Any]:
        """Add (or remove) one participant; the ticket as it is then."""
        path = f"/api/tickets/{_segment(ticket_id)}/participants" + ("/remove" if remove else "")
        return self.request("POST", path, body={"address": address})[1]


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _api_error(exc: urllib.error.HTTPError) -> ApiError:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    reason = body.get("reason") or body.get("Message") or exc.reason or "request failed"
    return ApiError(exc.code, str(body.get("error") or body.get("Code") or "error"), str(reason))
