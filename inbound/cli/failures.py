"""Expected failures, in one line each: what happened and what to do (`explain`). Every command
runs under `main`, which prints that line, or the traceback for a bug or with -v."""

from __future__ import annotations

_CREDENTIALS_HINT = "renew your AWS credentials (e.g. `aws sso login`, or a new key) and try again"
# botocore ClientError codes, with what to do about them.
_CODE_HINTS = {
    **dict.fromkeys(
        (
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
        ),
        f"your AWS credentials are expired or invalid: {_CREDENTIALS_HINT}",
    ),
    **dict.fromkeys(
        ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"),
        "your AWS identity may not do this: use one that may (see DEPLOY.md for the policies)",
    ),
    **dict.fromkeys(
        (
            "ResourceNotFoundException",
            "NoSuchBucket",
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            "ParameterNotFound",
            "NotFound",
        ),
        "the stage is missing a resource: run `inbound provision` for it first",
    ),
    **dict.fromkeys(
        ("Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"),
        "AWS is throttling these requests: try again in a minute",
    ),
    "UserNotFoundException": "no such agent: `inbound staff list` shows who there is",
    "UsernameExistsException": "that agent exists already: `inbound staff list` shows them",
}


# Commands that always name a stage: for them, no local stack is found by leaving it out.
_STAGE_REQUIRED = ("provision", "teardown")


def explain(exc: BaseException, command: str = "") -> str | None:
    """What happened and what to do, for an expected failure; None for a bug (traceback)."""
    from botocore import exceptions as boto

    from chalicelib.errors import InboundError, SendRefused
    from inbound.cli.http_client import ApiError
    from inbound.cli.staff_login import LoginRequired
    from inbound.cli.target import CommandError

    if isinstance(exc, CommandError | LoginRequired):
        return str(exc)
    if isinstance(exc, ApiError):
        if exc.status == 0:
            return f"{exc.reason}: is the stack running (`make run`)? or check --url"
        if exc.status == 401:
            return f"{exc} — the API refused the sign-in: run `inbound login`"
        if exc.status >= 500:
            return f"{exc} — the API failed; its log (`inbound up`'s output, or CloudWatch) says why"
        return str(exc)
    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        if command in _STAGE_REQUIRED:
            return (
                "no AWS credentials for this stage: configure them (`aws configure`, AWS_PROFILE), "
                "or pass --endpoint-url to rehearse on an emulator (`inbound up`'s is in .inbound/stack.json)"
            )
        return (
            "no AWS credentials for this stage: configure them (`aws configure`, AWS_PROFILE), "
            "or leave out --stage to work on the local stack of this folder"
        )
    if isinstance(exc, boto.TokenRetrievalError | boto.SSOError):
        return f"your AWS sign-in has expired: {_CREDENTIALS_HINT}"
    if isinstance(exc, boto.ProfileNotFound):
        return f"{exc}: name a profile of ~/.aws/config in AWS_PROFILE, or unset it"
    if isinstance(exc, boto.NoRegionError):
        return "no AWS Region: pass --region"
    if isinstance(
        exc,
        boto.EndpointConnectionError
        | boto.ConnectionClosedError
        | boto.ConnectTimeoutError
        | boto.ReadTimeoutError,
    ):
        where = str(exc.kwargs.get("endpoint_url", "AWS"))
        if ".amazonaws.com" in where:
            return f"cannot reach {where}: check your network (or its proxy) and try again"
        return f"cannot reach {where}: is the stack still running (`make run`)? or check your network"
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        hint = _CODE_HINTS.get(code, "AWS refused the request")
        return f"{exc.operation_name} refused ({code}: {message}) — {hint}"
    if isinstance(exc, SendRefused):
        return f"not sent ({exc.reason}): {exc.detail}"
    if isinstance(exc, InboundError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return None
