"""Attack: an outsider (no token) asks the console's one generic asset route (`/{name}`) for
files outside its list: the app's source, the package's other files, the page under
another name, with `..`, encoded slashes and backslashes, NUL or another case, also below
a folder (`/i18n/...`, where the catalogue was served before it joined the list).

Answer: the route serves a name only when it is in ASSETS exactly; anything else is
refused (404, or the gateway's answer for a path no route has), with no file's text.
"""

from __future__ import annotations

import pytest

OUTSIDE = [
    "/..%2Fapp.py",
    "/%2E%2E%2F%2E%2E%2Fapp.py",
    "/..%5C..%5Capp.py",
    "/routes.py",
    "/__init__.py",
    "/index.html",
    "/Console.js",
    "/CONSOLE.CSS",
    "/console.js%00.css",
    "/console.js%20",
    "/.console.js",
    "/static%2Fconsole.js",
    "/i18n/..%2Froutes.py",
    "/i18n/i18n-en.js",
    "/i18n/EN.js",
    "/i18n/fr.js",
    "/i18n/en.js%2F..%2F..%2Froutes.py",
]


@pytest.mark.parametrize("path", OUTSIDE)
def test_nothing_outside_the_lists_is_served(api, path):
    answer = api.get(path, token="")

    assert answer.status_code in (403, 404), (path, answer.status_code)
    assert b"import" not in answer.body and b"function" not in answer.body
