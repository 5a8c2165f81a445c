"""The AWS contract: a botocore hook that refuses what real AWS refuses and moto lets through.

moto accepts requests that AWS answers with a validation error, so code that builds
such a request passes every test and fails in an account. On in every test
(tests/conftest.py), in `inbound up` and in the embedded stack, this hook checks each
request before it is sent:

- the constraints of botocore's own service model for the operation's input: enum
  values, maximum lengths (strings, lists, maps, blobs), numeric maximums and patterns.
  botocore's ParamValidator (botocore/validate.py) already checks types, required
  members and minimums of strings, lists and numbers, so those are left to it;
- the service rules the models do not carry (inbound/local/aws_contract/service_rules.py,
  message_rules.py and resource_rules.py).

A refusal is a `ContractViolation`, a ClientError with the code that service answers
validation failures with, so adapters' error mapping runs as it would against AWS.

It hooks `before-parameter-build`, registered last: the params are still the API's
own (Key, Item, Destinations) and every other handler (idempotency tokens, boto3's
DynamoDB resource transforms) has filled them in. That is before botocore's own type
validation, so every check here tolerates values of the wrong type (botocore reports those).
Each operation's checker is compiled once from its input shape and cached; shapes
without constraints compile to nothing and are never walked (model_checks.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from inbound.local.aws_contract import model_checks, service_rules

log = logging.getLogger(__name__)

EVENT = "before-parameter-build"

# The error code each service answers a constraint violation with. Query services
# (SES v1, CloudWatch, STS) answer Coral's ValidationError, JSON ones
# ValidationException; these services use their own.
_SERVICE_CODES = {
    "s3": "InvalidArgument",
    "sesv2": "BadRequestException",
    "cognito-idp": "InvalidParameterException",
    "sns": "InvalidParameter",
    "sqs": "InvalidParameterValue",
}
_PROTOCOL_CODES = {"query": "ValidationError", "ec2": "InvalidParameterValue"}


class ContractViolation(ClientError):
    """AWS would refuse this request (`rule` names the rule); moto would have accepted it."""

    def __init__(self, code: str, message: str, operation: str, rule: str) -> None:
        text = f"{message} [aws contract: {rule}]"
        response: Any = {
            "Error": {"Code": code, "Message": text},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        super().__init__(response, operation)
        self.rule = rule
        for refused in _recorders:
            refused.append(f"{operation}: {text}")


_recorders: list[list[str]] = []


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    """Every refusal made while the block runs, even one the code under test caught and handled."""
    refused: list[str] = []
    _recorders.append(refused)
    try:
        yield refused
    finally:
        _recorders.remove(refused)


def validation_code(service_model: Any) -> str:
    name = service_model.service_name
    if name in _SERVICE_CODES:
        return _SERVICE_CODES[name]
    if "awsQueryCompatible" in service_model.metadata:  # a query service moved to JSON/CBOR keeps its codes
        return "ValidationError"
    return _PROTOCOL_CODES.get(service_model.protocol, "ValidationException")


# -- the hook --


def check_request(model: Any, params: Any, context: Any = None, **_kwargs: Any) -> None:
    """The `before-parameter-build` handler: raises ContractViolation for a request AWS refuses."""
    check = model_checks.operation_check(model)
    problems: list[str] = []
    if check is not None:
        check(params, "", problems)
    if problems:
        detected = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
        code = validation_code(model.service_model)
        raise ContractViolation(code, detected + "; ".join(problems), model.name, "model")
    refusal = service_rules.check(model, params, context or {})
    if refusal is not None:
        service_code, rule, message = refusal
        code = service_code or validation_code(model.service_model)
        raise ContractViolation(code, message, model.name, rule)


def register(session: Any) -> None:
    """On for one existing session (boto3's or botocore's) and the clients it creates from now on."""
    core = getattr(session, "_session", session)  # a boto3 Session wraps a botocore one
    core.get_component("event_emitter").register_last(EVENT, check_request, unique_id=__name__)


def install() -> None:
    """On for every botocore session created in this process from now on (idempotent).

    botocore registers `handlers.BUILTIN_HANDLERS` on each session it creates (moto adds
    its own stubber the same way); boto3's default session, if it exists already, is
    registered directly.
    """
    import boto3
    from botocore import handlers

    spec = (EVENT, check_request, handlers.REGISTER_LAST)
    if spec not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(spec)
    if boto3.DEFAULT_SESSION is not None:
        register(boto3.DEFAULT_SESSION)
