"""The local stack takes the console's presigned POST of a reply attachment as S3 would, and
nothing more: moto alone stores any form (no policy, signature, expiry or size check).

GIVEN moto's server as `inbound up` runs it, a bucket whose CORS rule names the console's
origin, and a form signed by the app's adapter WHEN a browser posts it THEN it is stored
and the answer is readable by that origin only; a form past its expiry, a file over the
range, a changed key, type or signature, an extra field, another origin, or a form for
another prefix is refused and stores nothing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import boto3
import pytest
import requests
from botocore.config import Config

from chalicelib.adapters.s3_uploads import S3Uploads
from chalicelib.domain.reply_uploads import PlannedUpload, plan
from inbound.local.embedded import REGION, moto_server, offline_credentials
from inbound.stage.documents import upload_cors

CONSOLE = "http://127.0.0.1:8123"
BUCKET = "uploads-guarded"
PDF = b"%PDF-1.4\n" + bytes(300)


@pytest.fixture(scope="module")
def endpoint():
    offline_credentials()
    with moto_server() as url:
        s3 = boto3.session.Session(region_name=REGION).client("s3", region_name=REGION, endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=upload_cors(CONSOLE))
        yield url


@pytest.fixture
def s3(endpoint):
    """As the app signs (chalicelib/wiring/clients.signing_s3): SigV4."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    return boto3.session.Session(region_name=REGION).client(
        "s3", region_name=REGION, endpoint_url=endpoint, config=config
    )


def planned(size: int = len(PDF), limit: int = 1000) -> PlannedUpload:
    return plan("T-1001", "refund.pdf", "application/pdf", size, limit)


def post(form, payload: bytes = PDF, origin: str = CONSOLE, **changed: str) -> requests.Response:
    fields = {**form.fields, **changed}
    return requests.post(
        form.url, data=fields, files={"file": ("refund.pdf", payload)}, headers={"Origin": origin}, timeout=10
    )


def stored(s3, key: str) -> bool:
    return s3.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) > 0


def test_the_consoles_form_is_stored_and_its_answer_readable_by_the_console(s3):
    upload = planned()
    answer = post(S3Uploads(s3, BUCKET).upload_form(upload, 300))

    assert answer.status_code == 204, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == CONSOLE
    got = s3.get_object(Bucket=BUCKET, Key=upload.key)
    assert (got["ContentType"], got["Body"].read()) == ("application/pdf", PDF)


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("too large", 400, "EntityTooLarge"),
        ("expired", 403, "AccessDenied"),
        ("other key", 403, "AccessDenied"),
        ("other type", 403, "AccessDenied"),
        ("extra field", 403, "AccessDenied"),
        ("forged policy", 403, "SignatureDoesNotMatch"),
    ],
)
def test_what_s3_refuses_by_the_policy_is_refused_and_not_stored(s3, case, status, code):
    upload = planned()
    store = S3Uploads(s3, BUCKET)
    form = store.upload_form(upload, -5 if case == "expired" else 300)
    changed: dict[str, str] = {}
    payload = PDF
    if case == "too large":
        payload = PDF + bytes(1000)
    elif case == "other key":
        changed["key"] = upload.key.replace("refund.pdf", "other.pdf")
    elif case == "other type":
        changed["Content-Type"] = "text/html"
    elif case == "extra field":
        changed["x-amz-meta-note"] = "planted"
    elif case == "forged policy":  # a wider size range, signed with nothing
        policy = json.loads(base64.b64decode(form.fields["policy"]))
        policy["conditions"] = [c for c in policy["conditions"] if "content-length-range" not in c]
        changed["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()

    answer = post(form, payload, **changed)

    assert (answer.status_code, f"<Code>{code}</Code>" in answer.text) == (status, True), answer.text
    assert not stored(s3, upload.prefix)


def test_another_origin_gets_no_cors_answer_and_stores_nothing(s3):
    upload = planned()
    answer = post(S3Uploads(s3, BUCKET).upload_form(upload, 300), origin="http://evil.test")

    assert answer.status_code == 403 and "Access-Control-Allow-Origin" not in answer.headers
    assert not stored(s3, upload.prefix)


def test_a_page_that_signs_its_own_form_cannot_post_outside_uploads(s3):
    """The offline secret is public: a form signed for incoming/ would plant mail."""
    upload = replace(planned(), key="incoming/planted", prefix="incoming/")
    answer = post(S3Uploads(s3, BUCKET).upload_form(upload, 300))

    assert answer.status_code == 403 and "uploads/ only" in answer.text
    assert not stored(s3, "incoming/planted")
