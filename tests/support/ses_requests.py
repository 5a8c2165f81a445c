"""What the services ask SES to send, captured on the wire by a botocore hook."""

from __future__ import annotations

import base64


def send_raw_request(body: dict) -> dict:
    """The SendRawEmail request as it goes on the wire (query protocol), made readable."""
    fields = dict(body)
    fields["Destinations"] = [v for k, v in sorted(body.items()) if k.startswith("Destinations.member.")]
    fields["Raw"] = base64.b64decode(body["RawMessage.Data"])
    return fields
