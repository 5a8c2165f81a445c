"""A dry run: every read reaches AWS, no write does.

`inbound teardown` without `--yes` runs the real teardown with its clients held to
reads, so the plan it prints is what the same run would delete, read from the account
as it is now (what exists, what is kept, what is already gone), not a list kept apart
that could drift from the code. AWS names its reads Describe*, Get*, List* and Head*
(HeadBucket, HeadObject); any other operation changes something and is answered here,
before it is signed or sent, with an empty success (botocore's `before-call` event: a
handler's response stands in for the HTTP call, as botocore's own Stubber does).
"""

from __future__ import annotations

from typing import Any

READS = ("Describe", "Get", "List", "Head")


def _held(model: Any, **_kwargs: Any) -> tuple[Any, dict[str, Any]] | None:
    if model.name.startswith(READS):
        return None
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    return AWSResponse("", 200, HTTPHeaders(), None), {"ResponseMetadata": {"HTTPStatusCode": 200}}


def hold_writes(client: Any) -> Any:
    """`client`, from now on sending its reads and answering its writes itself."""
    client.meta.events.register("before-call", _held, unique_id=__name__)
    return client
