"""The stage's own URL, the base of every link in mail (/files/..., /u/..., the console).

A function cannot be told its API's URL by CloudFormation (the API names the function, so
the function naming the API is a cycle), and `chalice deploy` knows it only after the
functions exist. So the URL lives in an SSM String parameter the stack (Fn::Sub of the
RestAPI) or `inbound provision` after `chalice deploy` writes, read once per container.
INBOUND_PUBLIC_URL (a custom domain) wins over it.

On a deployed stage, a link to nowhere is worse than no mail: with neither, or with a loopback URL,
`__call__` raises PublicUrlMissing, and the caller sends nothing.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import error_code
from chalicelib.errors import PublicUrlMissing

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SsmPublicUrl:
    def __init__(self, client: SSMClient, parameter: str, configured: str, deployed: bool) -> None:
        self._ssm = client
        self._parameter = parameter
        self._configured = configured
        self._deployed = deployed
        self._found: str | None = None
        self._lock = threading.Lock()

    def _read(self) -> str:
        try:
            return self._ssm.get_parameter(Name=self._parameter)["Parameter"]["Value"]
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return ""
            raise

    def __call__(self) -> str:
        """The URL without a trailing slash; PublicUrlMissing on a deployed stage without a usable one."""
        with self._lock:
            if self._found is None:
                url = self._configured or (self._read() if self._deployed else "")
                if self._deployed and (not url or _loopback(url)):
                    raise PublicUrlMissing(
                        f"this stage has no public URL (INBOUND_PUBLIC_URL={self._configured!r}, "
                        f"SSM {self._parameter} unset): run `inbound provision --after-deploy` after "
                        "`chalice deploy`, or set INBOUND_PUBLIC_URL; no link was made"
                    )
                self._found = url.rstrip("/")
            return self._found
