"""`inbound verify --stage S [--json]`: the operator's check, after `chalice deploy`, that
the stage's whole loop works (see inbound/stage/verify.py). Exits 1 when a step fails."""

from __future__ import annotations

import argparse
import json
from typing import Any


def _verify(args: argparse.Namespace) -> int:
    from inbound.cli.target import resolve
    from inbound.stage.dns_check import ZONE_FILE, PublicDns, Resolver, ZoneFile
    from inbound.stage.verify import STEPS, Verifier

    target = resolve(args)
    resolver: Resolver = ZoneFile(target.data_dir / ZONE_FILE) if target.is_local else PublicDns()
    verifier = Verifier(target, target.session(), resolver, timeout=args.timeout)
    if not args.json:
        print(
            f"inbound verify: {target.description}, {verifier.settings.domain} in {target.region}", flush=True
        )
    only = tuple(args.step or STEPS)
    if args.json:
        steps = verifier.run(only=only)
    else:
        steps = verifier.run(lambda step: print(step.line(), flush=True), only)
    ok = all(step.ok for step in steps)
    if args.json:
        print(json.dumps({"stage": target.stage, "ok": ok, "steps": [s.as_json() for s in steps]}))
    return 0 if ok else 1


def register(commands: Any) -> None:
    from inbound.cli.target import options

    verify = commands.add_parser(
        "verify",
        parents=[options()],
        help="check a stage end to end: sending, DNS, the active rule, mail -> ticket, bounce -> suppressed",
    )
    verify.add_argument("--json", action="store_true", help="one JSON object with every step")
    verify.add_argument("--timeout", type=float, default=120.0, help="seconds each round trip may take")
    verify.add_argument(
        "--step",
        action="append",
        choices=("sending", "dns", "receiving", "mail", "bounce"),
        help="run only this step (repeatable; default: all six)",
    )
    verify.set_defaults(run=_verify)
