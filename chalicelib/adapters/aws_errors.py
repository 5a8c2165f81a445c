"""Translating botocore errors by code, never by message text."""

from __future__ import annotations

from botocore.exceptions import ClientError

NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound", "ResourceNotFoundException"})


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in NOT_FOUND_CODES
