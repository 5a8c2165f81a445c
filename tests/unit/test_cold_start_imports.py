"""A cold start imports only what its function's first event needs.

GIVEN a fresh interpreter, WHEN it does what the ingest function's cold start does (`import
app`, then the handler's `services().ingest`), THEN none of the modules that other functions,
or only some messages, need has been imported, and the search index's regular expressions
are not compiled yet, and no dataclass compiled more than its `__init__`: each of them once
cost every cold start of every function (bench cold, bench/RESULTS.md). Facts about
`sys.modules`, not timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imported by the first message that needs them, never by the cold start itself.
FIRST_MESSAGE = (
    "mailparser",  # read_mail (chalicelib/adapters/mail/reader.py)
    "flufl.bounce",  # detect_bounce
    "nh3",  # the first HTML body (sanitise_html)
    "email.headerregistry",  # an address written out with its display name
)
# Services the ingest function never builds before a message asks for them (an
# acknowledgement, a bounce), or never at all (the desk's, the console's, announcements).
OTHER_SERVICES = (
    "chalicelib.services.outbound",
    "chalicelib.services.feedback",
    "chalicelib.services.suppression",
    "chalicelib.services.ticket_desk",
    "chalicelib.services.ticket_search",
    "chalicelib.services.ticket_presence",
    "chalicelib.services.announcements",
    "chalicelib.services.announcement_sending",
    "chalicelib.services.announcement_audience",
    "chalicelib.services.staff_identities",
    "chalicelib.services.sign_in_guard",
    "chalicelib.services.sweeper",
    "chalicelib.services.suspended_mail",
    "chalicelib.services.team_reports",
    "chalicelib.services.composer",  # saved replies, signatures, the markdown renderer
    "chalicelib.domain.markdown_render",
    "chalicelib.domain.saved_replies",
    # The wiring's builders of the other sides (chalicelib/wiring/).
    "chalicelib.wiring.desk",
    "chalicelib.wiring.outbound",
    # How a sent mail is stored (the first acknowledgement loads it).
    "chalicelib.adapters.dynamodb_sent_messages",
    # Their domain, once imported by services/ports for its annotations alone.
    "chalicelib.domain.announcements",
    "chalicelib.domain.feedback",
    "chalicelib.domain.feedback_events",
    "chalicelib.domain.suppression",
    "chalicelib.domain.reputation",
    "chalicelib.domain.send_policy",
    "chalicelib.domain.sign_in_throttle",
    "chalicelib.domain.report_counts",  # the team report's counting: the first mail filed loads it
    "chalicelib.domain.reports",  # the team report's reading side (its counting side is loaded)
)

COLD_INGEST = """
import json, sys
import app
from chalicelib.domain import search_terms
from chalicelib.wiring import services

services().ingest
compiled = search_terms._re.cache_info().currsize if hasattr(search_terms, "_re") else "at import"
# Dataclasses that compiled more than their __init__ at import (chalicelib/domain/frozen.py).
generated = sorted(
    f"{name}.{attr}"
    for name, module in list(sys.modules.items())
    if name.split(".")[0] in ("app", "chalicelib")
    for attr, value in vars(module).items()
    if isinstance(value, type) and value.__module__ == name
    and (params := getattr(value, "__dataclass_params__", None))
    and (params.eq or params.repr or params.frozen)
)
print(json.dumps({"modules": sorted(sys.modules), "patterns": compiled, "generated": generated}))
"""


def cold_start(code: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": "cold-start-test",
        "AWS_SECRET_ACCESS_KEY": "cold-start-test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_ingest_cold_start_leaves_other_functions_modules_unimported():
    found = cold_start(COLD_INGEST)
    modules = set(found["modules"])

    assert "chalicelib.services.ingest" in modules  # the probe did build the ingest
    assert sorted(m for m in FIRST_MESSAGE if m in modules) == []
    assert sorted(m for m in OTHER_SERVICES if m in modules) == []
    assert found["patterns"] == 0, "search_terms compiled its patterns at import"


def test_the_ingest_cold_start_compiles_no_dataclass_method_but_init():
    """`@dataclass(frozen=True)` compiles six methods per class at import, about 4M
    instructions each time; `@frozen` (chalicelib/domain/frozen.py) compiles `__init__` alone.
    A record on the cold start's path is `@frozen`; a mutable one `eq=False, repr=False`."""
    assert cold_start(COLD_INGEST)["generated"] == []
