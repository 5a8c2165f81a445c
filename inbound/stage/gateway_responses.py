"""What API Gateway answers itself, before the app runs: made to say nothing it was sent.

A REST API answers a method and path it has no route for with 403 "Missing Authentication
Token"; when the request has an Authorization header, API Gateway reads it as a SigV4
signature and its 403 quotes the whole header back ("... Authorization=<the bearer
token>"). Chalice's local server copies both answers. So an unknown /api route turned a
staff token into text that lands in browser consoles, proxies' logs and bug reports.

The stage's template (cfn_template) sets the MISSING_AUTHENTICATION_TOKEN gateway response
to a 404 with a fixed body, and the DEFAULT_4XX and DEFAULT_5XX responses to bodies that
name the response type only; `inbound up` serves the same 404 (QuietGateway below).
`chalice deploy` has no place for them: a stage deployed that way keeps API Gateway's own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice.local import LocalGateway, LocalGatewayException

NOT_FOUND = {"error": "not_found", "reason": "no route here answers this method and path"}
# API Gateway's mapping templates: `$context.error.responseType` is one of its own names.
_TEMPLATE_BODY = '{"error": "gateway_error", "reason": "$context.error.responseType"}'


def rest_api_definition() -> dict[str, Any]:
    """The gateway responses as API Gateway's OpenAPI extension, for the REST API's
    DefinitionBody: part of the definition, they are in every deployment of the stage
    (a separate GatewayResponse resource would wait for the next deployment)."""
    json_type = {"gatewayresponse.header.Content-Type": "'application/json'"}
    fixed = {"responseParameters": json_type, "responseTemplates": {"application/json": _TEMPLATE_BODY}}
    return {
        "x-amazon-apigateway-gateway-responses": {
            "MISSING_AUTHENTICATION_TOKEN": {
                "statusCode": "404",
                "responseParameters": json_type,
                "responseTemplates": {"application/json": json.dumps(NOT_FOUND)},
            },
            "DEFAULT_4XX": fixed,
            "DEFAULT_5XX": fixed,
        }
    }


class RouteNotFound(LocalGatewayException):
    """No route for this method and path: 404 with NOT_FOUND, as the stage's gateway says."""

    CODE = 404


class QuietGateway(LocalGateway):
    """Chalice's LocalGateway, but an unknown route is RouteNotFound instead of a 403 that
    quotes the Authorization header."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError as exc:  # Chalice's signal that no route matched
            raise RouteNotFound({"Content-Type": "application/json"}, json.dumps(NOT_FOUND).encode()) from exc


def local_http_server(app: Any, config: Any, host: str, port: int, busy: Callable[[], Any]) -> Any:
    """Chalice's local server with QuietGateway; requests that may write run inside `busy()`
    (see local/state.py). Not started: the caller runs `server.server.serve_forever`."""
    from http.server import BaseHTTPRequestHandler

    from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, create_local_server

    class Handler(ChaliceRequestHandler):
        def __init__(
            self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any
        ) -> None:
            self.local_gateway = QuietGateway(app_object, config)
            BaseHTTPRequestHandler.__init__(self, request, client_address, server)

        def _quiet(self) -> None:
            with busy():
                self._generic_handle()

        do_PUT = do_POST = do_DELETE = do_PATCH = _quiet

    # create_local_server rebases the app's class on LocalChalice, which works once per app.
    make = LocalDevServer if isinstance(app, LocalChalice) else create_local_server
    server = make(app, config, host, port)
    server.server.RequestHandlerClass = functools.partial(Handler, app_object=app, config=config)
    return server
