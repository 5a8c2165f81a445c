"""The local stack's SES emulator in front of an embedded stack's moto, for adapter tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inbound.local import ses_sending
from inbound.local.embedded import REGION
from inbound.local.ses_sending import SesEmulator


@contextmanager
def emulated_ses(endpoint: str, stack: Any, data_dir: Path, **options: Any) -> Iterator[SesEmulator]:
    """An emulator for `stack`'s configuration set and feedback topic (its account is the
    topic's), installed in moto's SES in this process; stopped and forgotten afterwards."""
    out = stack.outputs
    emulator = SesEmulator(
        endpoint_url=endpoint,
        data_dir=data_dir,
        account=out["INBOUND_FEEDBACK_TOPIC_ARN"].split(":")[4],
        region=REGION,
        configuration_set=out["INBOUND_CONFIGURATION_SET"],
        feedback_topic_arn=out["INBOUND_FEEDBACK_TOPIC_ARN"],
        **options,
    )
    ses_sending.install(emulator)
    try:
        yield emulator
    finally:
        emulator.stop()
        ses_sending._emulators.pop((emulator.account, emulator.region), None)
