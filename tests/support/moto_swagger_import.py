"""Let moto 5.2.5's API Gateway take the Swagger 2.0 document `chalice deploy` sends.

Chalice creates its REST API with ImportRestApi and updates it with PutRestApi
(mode=overwrite), both with a Swagger 2.0 document whose `info` has a title and a
version only. moto's server answers the import with a 500 (it reads
`info["description"]`, a KeyError) and refuses PutRestApi for any `"swagger": "2.0"`
document ("Only OpenAPI 3.x.x are currently supported"); real API Gateway accepts both.
moto's importer reads nothing but `paths` (methods, responses and
`x-amazon-apigateway-integration`), which Swagger 2.0 and OpenAPI 3 spell alike, so
relabelling the document as OpenAPI 3 and giving `info` an empty description is the
whole difference. Upstream: getmoto/moto#2730 (import/put of API documents).

Used only around the moto server of tests/e2e/test_deploy.py; undone on exit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


def as_moto_reads_it(document: dict[str, Any]) -> dict[str, Any]:
    """The same paths, labelled as the OpenAPI 3 document moto's importer accepts."""
    relabelled = {k: v for k, v in document.items() if k != "swagger"}
    if "swagger" in document:
        relabelled["openapi"] = "3.0.1"
    relabelled["info"] = {"description": "", **document.get("info", {})}
    return relabelled


@contextlib.contextmanager
def swagger2_import() -> Iterator[None]:
    from moto.apigateway.models import APIGatewayBackend

    original_import = APIGatewayBackend.import_rest_api
    original_put = APIGatewayBackend.put_rest_api

    def import_rest_api(self: Any, api_doc: dict[str, Any], fail_on_warnings: bool) -> Any:
        return original_import(self, as_moto_reads_it(api_doc), fail_on_warnings)

    def put_rest_api(
        self: Any, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool, mode: str = "merge"
    ) -> Any:
        return original_put(self, function_id, as_moto_reads_it(api_doc), fail_on_warnings, mode)

    APIGatewayBackend.import_rest_api = import_rest_api  # type: ignore[method-assign]
    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]
    try:
        yield
    finally:
        APIGatewayBackend.import_rest_api = original_import  # type: ignore[method-assign]
        APIGatewayBackend.put_rest_api = original_put  # type: ignore[method-assign]
