"""moto's server application, each request handed to moto's handler without Flask around it.

moto's server (`DomainDispatcherApplication`) picks one Flask application per service and
lets Flask do the rest of every request: push a request and an app context, match the
URL against werkzeug's map, run flask-cors, call the view (`convert_to_flask_response`,
which reads the request back out of Flask's context and calls moto's handler), and make a
response of its answer. moto needs none of Flask's machinery but the URL map: a quarter
of the server side of a DynamoDB GetItem was spent in it. Here the service's application
is chosen by moto's own dispatcher, the URL matched against that application's map, the
same handler called with the request moto would have made (its `Request`, as the server
makes it) and its answer turned into the response Flask would have sent. Errors are
answered as Flask answers them: moto's HTTP exceptions (RESTError: NoSuchKey, ...) as their
response, a botocore ClientError as 400 with its message, anything else raised.

Everything this does not know goes to the Flask application unchanged: a URL no rule
matches (Flask's 404/405), form uploads (multipart: the console's attachments), moto's own
API and dashboard, and the instance metadata. CORS headers are not added (moto_endpoint's
guard strips them anyway; browser_uploads adds S3's own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_StartResponse = Callable[..., Any]
_FLASK_ONLY = ("/moto-api", "/favicon.ico", "/latest/")
_MAX_ROUTES = 4096


class Direct:
    """WSGI application: moto's dispatcher, Flask's routing, moto's handler called directly."""

    def __init__(self, dispatcher: Any) -> None:
        from moto.core.request import Request

        class ServerRequest(Request):
            """moto's request as its server makes it (moto's BackendRequest, without Flask's
            own request class, which needs Flask's context)."""

            from_wsgi_server = True

        self.dispatcher = dispatcher
        self.request_class = ServerRequest
        # (application, method, path) -> moto's handler: a path names one rule whatever its
        # body says (S3's keys, SQS's queue URLs are in the path; DynamoDB, SNS, SES's are "/")
        self._routes: dict[tuple[int, str, str], Callable[..., Any]] = {}

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        app = self.dispatcher.get_application(environ)
        handler = self._handler(app, environ)
        if handler is None:
            return app(environ, start_response)  # type: ignore[no-any-return]
        return self._answer(handler, environ, start_response)

    def _handler(self, app: Any, environ: dict[str, Any]) -> Callable[..., Any] | None:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(_FLASK_ONLY) or str(environ.get("CONTENT_TYPE", "")).startswith(
            "multipart/form-data"
        ):
            return None
        key = (id(app), str(environ.get("REQUEST_METHOD", "")), path)
        handler = self._routes.get(key)
        if handler is not None:
            return handler
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import RequestRedirect

        try:
            # As Flask binds it (create_url_adapter: no SERVER_NAME, no subdomain matching)
            adapter = app.url_map.bind_to_environ(environ, server_name=None, subdomain="")
            endpoint, _ = adapter.match()
        except (HTTPException, RequestRedirect):
            return None  # Flask's own answer: 404, 405, a redirect
        view = app.view_functions.get(endpoint)
        handler = getattr(view, "callback", None)  # convert_to_flask_response's handler
        if handler is None:
            return None
        if len(self._routes) >= _MAX_ROUTES:
            self._routes.clear()
        self._routes[key] = handler
        return handler

    def _answer(
        self, handler: Callable[..., Any], environ: dict[str, Any], start_response: _StartResponse
    ) -> Iterable[bytes]:
        """What convert_to_flask_response and Flask's error handling make of the handler's answer."""
        from botocore.exceptions import ClientError
        from flask import Response
        from moto.moto_api import recorder
        from werkzeug.exceptions import BadRequestKeyError, HTTPException

        request = self.request_class(environ)
        try:
            recorder._record_request(request)
            result = handler(request, request.raw_url, dict(request.headers))
        except ClientError as exc:
            result = 400, {}, exc.response["Error"]["Message"]
        except BadRequestKeyError:
            raise  # Flask in debug mode (moto's) raises it, as any other error
        except HTTPException as exc:
            return exc.get_response(environ)(environ, start_response)  # type: ignore[no-any-return]
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        response = Response(response=content, status=status, headers=headers)
        if request.method == "HEAD" and "content-length" in headers:
            response.headers["Content-Length"] = headers["content-length"]
        return response(environ, start_response)  # type: ignore[no-any-return]
