"""Run by a fresh interpreter on an unpacked deployment.zip, the way Lambda starts a cold container.

    <fresh-venv>/bin/python -I -B cold_start_probe.py <task-dir>

`-I` keeps the repository, its virtual environment and PYTHON* variables out; the task
dir goes first on sys.path as /var/task does on Lambda. This file imports nothing from
the repository by itself. It prints one JSON object: what imported, from where, and what
the API handler answered.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback
from pathlib import Path
from typing import Any


def api_event(path: str) -> dict[str, Any]:
    """An API Gateway (REST, proxy) event for GET `path`, as Lambda hands it to the api_handler."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "example.execute-api.us-east-1.amazonaws.com", "Accept": "*/*"},
        "multiValueHeaders": {"Host": ["example.execute-api.us-east-1.amazonaws.com"], "Accept": ["*/*"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "cold-start-probe",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def origin(module: Any) -> str | None:
    """Where a module was loaded from; a namespace package (flufl) has only a path."""
    if getattr(module, "__file__", None):
        return str(module.__file__)
    paths = list(getattr(module, "__path__", []) or [])
    return str(paths[0]) if paths else None


def main(task: Path) -> dict[str, Any]:
    already = set(sys.modules)  # the interpreter's own start-up (site, encodings, .pth hooks)
    sys.path.insert(0, str(task))
    result: dict[str, Any] = {"errors": {}}

    import app  # what Lambda imports first: app.py at the root of the zip
    from chalicelib.wiring import services

    built = services()  # the cold container's one-time wiring, exactly as a handler calls it
    result["services"] = sorted(
        name
        for name in ("ingest", "suspended", "desk", "auth", "outbound", "feedback", "suppression", "sweeper")
        if getattr(built, name) is not None
    )

    found = pkgutil.walk_packages([str(task / "chalicelib")], "chalicelib.")
    modules = sorted(["chalicelib", *(m.name for m in found)])
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - report every module that fails, not only the first
            result["errors"][name] = traceback.format_exc(limit=3)
    result["chalicelib_modules"] = modules

    # The packaged dependencies, including those the code imports only on first use
    # (PyJWT, cryptography's compiled binding, mailparser_reply, tnefparse).
    packaged = sorted(m.name for m in pkgutil.iter_modules([str(task)]) if m.name != "app")
    for name in packaged:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            result["errors"][name] = traceback.format_exc(limit=3)
    result["packaged_modules"] = packaged
    import jwt.algorithms

    # RS256 staff tokens need cryptography's RSA, a compiled (Rust) extension.
    result["rs256"] = bool(jwt.algorithms.has_crypto)

    result["responses"] = {}
    for path in ("/api/health", "/"):
        response = app.app(api_event(path), None)
        result["responses"][path] = {
            "statusCode": response["statusCode"],
            "body": str(response.get("body", ""))[:200],
        }

    # Modules of the package with no compiled file beside them: each compiled on every cold start.
    result["without_bytecode"] = sorted(
        name
        for name, module in sys.modules.items()
        if getattr(module, "__file__", None)
        and str(module.__file__).endswith(".py")
        and Path(module.__file__).resolve().is_relative_to(task)
        and not Path(str(getattr(module, "__cached__", None) or "-")).is_file()
    )
    result["origins"] = {
        name: origin(module)
        for name, module in sorted(sys.modules.items())
        if "." not in name
        and not name.startswith("__")
        and name not in already
        and name not in sys.stdlib_module_names
    }
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve())))
