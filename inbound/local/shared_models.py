"""One parsed copy of botocore's data per process, for every session the embedded stack makes.

Each new botocore session builds its own loader, and a loader parses its JSON files again:
`endpoints.json` for the session's first client (a quarter of a second) and each service's
model for its first client of that service. The embedded stack makes sessions freely (a
provisioning run makes its own; moto makes some), so provisioning against moto spent a
third of its CPU parsing the same files again (in a test process warm, 0.9 s a provision).
With one loader per data path, a file is parsed once per process and its data shared, as
one session's clients of a service share it already: botocore only reads it.
"""

from __future__ import annotations

import threading
from typing import Any

_loaders: dict[str | None, Any] = {}
_lock = threading.Lock()
_installed = False


def install() -> None:
    """Sessions created in this process from now on share their data path's loader (idempotent)."""
    global _installed
    if _installed:
        return
    import botocore.session
    from botocore.loaders import create_loader

    def shared_loader(search_path_string: str | None = None) -> Any:
        with _lock:
            loader = _loaders.get(search_path_string)
            if loader is None:
                loader = _loaders[search_path_string] = create_loader(search_path_string)
            # Each boto3 Session appends boto3's data folder to its loader's search path, so
            # the shared one's grew a folder a session; the same folder is searched once.
            loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
            return loader

    # botocore.session registers each session's loader lazily through this name.
    botocore.session.create_loader = shared_loader  # type: ignore[assignment]
    # moto reads its own copy of each service's model (with its extra error shapes) through
    # a new loader of its own per service, each listing botocore's four hundred service
    # folders again: one of its loaders reads them all.
    import moto.core.loaders
    import moto.core.utils

    moto_loader = moto.core.loaders.create_loader()
    moto.core.utils.create_loader = lambda: moto_loader  # type: ignore[attr-defined]
    _installed = True
