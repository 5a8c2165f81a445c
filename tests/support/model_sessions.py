"""boto3 sessions for tests that make many of them (provision against moto): every one shares
one botocore model loader, which caches the parsed service models that otherwise cost about
a second per session."""

from __future__ import annotations

import boto3
import botocore.session

_LOADER = botocore.session.get_session().get_component("data_loader")


def session_sharing_models(region: str) -> boto3.session.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core, region_name=region)
