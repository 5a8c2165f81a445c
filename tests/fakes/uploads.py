"""In memory: reply attachments' upload forms and uploads (the same promises as s3_uploads).

`post` is the browser's side: it stores the file under the form's key with the form's
Content-Type, refusing (False) what S3 refuses by the policy: a key outside the form, a
file outside its size range, a form past its expiry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.reply_uploads import PlannedUpload
from chalicelib.services.ports.uploads import StoredUpload, UploadForm

URL = "https://uploads.example/"


@dataclass
class FakeUploads:
    objects: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> (type, bytes)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # form id -> its limits
    expired: set[str] = field(default_factory=set)  # form ids a test let expire

    def upload_form(self, planned: PlannedUpload, expires: int) -> UploadForm:
        form_id = f"form-{len(self.policies) + 1}"
        self.policies[form_id] = {
            "prefix": planned.prefix,
            "type": planned.content_type,
            "max": planned.max_bytes,
            "expires": expires,
        }
        fields = {"key": planned.key, "Content-Type": planned.content_type, "policy": form_id}
        return UploadForm(URL, fields)

    def read_upload(self, key: str, max_bytes: int) -> StoredUpload | None:
        if key not in self.objects:
            return None
        content_type, payload = self.objects[key]
        return StoredUpload(key, content_type, len(payload), payload[: max_bytes + 1])

    def post(self, form: UploadForm | dict[str, Any], payload: bytes, **changed: str) -> bool:
        """The browser's POST of `payload` with the form's fields (`changed` overrides some)."""
        fields = {**(form.fields if isinstance(form, UploadForm) else form["fields"]), **changed}
        policy = self.policies.get(fields.get("policy", ""))
        if policy is None or fields["policy"] in self.expired:
            return False
        if not fields["key"].startswith(policy["prefix"]) or fields["Content-Type"] != policy["type"]:
            return False
        if not 1 <= len(payload) <= policy["max"]:
            return False
        self.objects[fields["key"]] = (fields["Content-Type"], payload)
        return True
