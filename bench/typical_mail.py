"""Typical mail: the pure per-message processing against a bare stdlib parse, and
the AWS requests `ingest.ingest` makes per message, by outcome.

CPU time is `time.process_time`; every message is timed through the pipeline and
through the baseline in the same pass (so drift hits both alike), three passes,
and each figure keeps its best pass.

`python -m bench.typical_mail [--limit N] [--slowest N]` runs the CPU part alone
(no request counting) and prints the whole-corpus ratio, the per-message
percentiles and the slowest files with the CPU each pipeline step took on them.

Over 300 lines on purpose: one benchmark, its two figures over the same corpus files, and
the command that prints the slowest of them step by step.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import logging
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.request_counts import RequestCounter

PASSES = 3
CPU_GOAL = 3.0
REQUEST_BUDGET = 6  # per created ticket, plus one per attachment; acknowledgement off


# -- CPU ---------------------------------------------------------------------------
def baseline(raw: bytes) -> None:
    """A bare stdlib parse: every leaf's content decoded, errors caught."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.walk():
            if part.is_multipart():
                continue
            try:
                part.get_content()
            except Exception:  # noqa: BLE001 - the baseline must survive any mail
                part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        pass


STEPS = ("read_mail", "detect_bounce", "classify", "sanitise_html", "latest_reply", "subject_ticket_id")


def pipeline(step_done: Callable[[str], None] | None = None) -> Callable[[bytes], None]:
    """The pure processing ingest does per message, without AWS; `step_done` is called
    with each name in STEPS as that step ends (for the per-step breakdown)."""
    from chalicelib.adapters.mail.body_render import latest_reply, sanitise_html
    from chalicelib.adapters.mail.bounce_detector import detect_bounce
    from chalicelib.adapters.mail.reader import read_mail
    from chalicelib.domain.classify import classify
    from chalicelib.domain.correlation import subject_ticket_id
    from chalicelib.domain.html_text import html_to_text
    from chalicelib.domain.verdicts import from_headers

    logging.getLogger("flufl.bounce").setLevel(logging.WARNING)
    done = step_done or (lambda _step: None)

    def process(raw: bytes) -> None:
        mail = read_mail(raw)
        done("read_mail")
        bounce = detect_bounce(mail)
        done("detect_bounce")
        decision = classify(mail, from_headers(mail), bounce)
        done("classify")
        # As in ingest: bounces and quarantined spam or viruses are recorded, never rendered.
        files = decision.kind not in ("bounce", "spam", "virus")
        if files:
            sanitise_html(mail.html)
        done("sanitise_html")
        if files:
            latest_reply(mail.text or html_to_text(mail.html))
        done("latest_reply")
        if files:
            subject_ticket_id(mail.subject)
        done("subject_ticket_id")

    return process


@dataclass
class FileTiming:
    name: str
    measured_s: float
    baseline_s: float

    @property
    def ratio(self) -> float:
        return self.measured_s / max(self.baseline_s, 1e-9)


@dataclass
class CpuResult:
    files: int
    measured_s: float  # best pass, whole corpus
    baseline_s: float
    per_file: list[FileTiming]
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def ratio(self) -> float:
        return self.measured_s / self.baseline_s

    def percentile(self, q: int) -> float:
        ratios = sorted(t.ratio for t in self.per_file)
        return statistics.quantiles(ratios, n=100, method="inclusive")[q - 1]

    def slowest(self, n: int = 5) -> list[FileTiming]:
        return sorted(self.per_file, key=lambda t: t.ratio, reverse=True)[:n]


def measure_cpu(files: list[tuple[str, bytes]], passes: int = PASSES) -> CpuResult:
    process = pipeline()
    errors: Counter[str] = Counter()
    for _, raw in files[:5]:  # warm lazy imports and caches outside the timed passes
        baseline(raw)
        _guarded(process, raw, errors)
    errors.clear()
    best_m = [float("inf")] * len(files)
    best_b = [float("inf")] * len(files)
    totals_m, totals_b = [], []
    clock = time.process_time
    for _ in range(passes):
        total_m = total_b = 0.0
        for i, (_, raw) in enumerate(files):
            t0 = clock()
            baseline(raw)
            t1 = clock()
            _guarded(process, raw, errors)
            t2 = clock()
            total_b += t1 - t0
            total_m += t2 - t1
            best_b[i] = min(best_b[i], t1 - t0)
            best_m[i] = min(best_m[i], t2 - t1)
        totals_m.append(total_m)
        totals_b.append(total_b)
    per_file = [FileTiming(name, m, b) for (name, _), m, b in zip(files, best_m, best_b, strict=True)]
    for key in errors:
        errors[key] //= passes
    return CpuResult(len(files), min(totals_m), min(totals_b), per_file, errors)


def step_times(raw: bytes, passes: int = PASSES) -> dict[str, float]:
    """CPU seconds of each pipeline step on one message, each the best of `passes`."""
    clock = time.process_time
    best = dict.fromkeys(STEPS, float("inf"))
    last = 0.0

    def step_done(step: str) -> None:
        nonlocal last
        now = clock()
        best[step] = min(best[step], now - last)
        last = now

    process = pipeline(step_done)
    for _ in range(passes):
        last = clock()
        _guarded(process, raw, Counter())  # a raising step keeps inf: shown as "raised"
    return best


def _guarded(process: Callable[[bytes], None], raw: bytes, errors: Counter[str]) -> None:
    try:
        process(raw)
    except Exception as exc:  # noqa: BLE001 - a raising message is a finding, not a crash
        errors[type(exc).__name__] += 1


# -- AWS requests --------------------------------------------------------------------
class _CountingIngest:
    """The ingest service, counting the AWS requests made inside `ingest` only (not the
    replayer's own, such as writing the mail to incoming/)."""

    def __init__(self, ingest: Any, counter: RequestCounter) -> None:
        self._ingest = ingest
        self._counter = counter
        self.ports = ingest.ports
        self.calls: Counter[str] = Counter()

    def ingest(self, delivery: Any) -> Any:
        self._counter.take()
        try:
            return self._ingest.ingest(delivery)
        finally:
            self.calls.update(self._counter.take())


@dataclass
class RequestResult:
    by_outcome: dict[str, list[int]]
    # created tickets only: (requests, attachments)
    created: list[tuple[int, int]]
    created_operations: Counter[str]
    quarantine_reasons: Counter[str]

    def created_over_budget(self) -> list[tuple[int, int]]:
        return [(r, a) for r, a in self.created if r - a > REQUEST_BUDGET]

    @property
    def worst_budget_ratio(self) -> float:
        return max((r / (REQUEST_BUDGET + a) for r, a in self.created), default=0.0)


def measure_requests(files: list[tuple[str, bytes]]) -> RequestResult:
    from chalicelib.wiring import build_services
    from inbound.local.embedded import embedded_stack
    from inbound.local.replay import Replayer
    from tests.support.request_counts import RequestCounter

    counter = RequestCounter()
    by_outcome: dict[str, list[int]] = defaultdict(list)
    created: list[tuple[int, int]] = []
    operations: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    with _quiet_logs(), embedded_stack() as stack:
        # Clients copy the session's event hooks when built: register first, then build.
        stack.session.events.register("before-call.*.*", counter)
        services = build_services(stack.settings, stack.session)
        counting = _CountingIngest(services.ingest, counter)
        replayer = Replayer(counting, services.ingest.ports.store)  # type: ignore[arg-type]
        for _, raw in files:
            counting.calls.clear()
            outcome = replayer.process_bytes(raw)
            n = sum(counting.calls.values())
            by_outcome[outcome.outcome].append(n)
            if outcome.outcome == "quarantined":
                reasons[(outcome.reason or "").split(":")[0][:60]] += 1
            if outcome.outcome == "created":
                created.append((n, len(outcome.attachments)))
                operations.update(counting.calls)
    return RequestResult(dict(by_outcome), created, operations, reasons)


class _quiet_logs:
    """The replayer logs each failed attempt with a traceback; keep the table readable."""

    def __enter__(self) -> None:
        self._previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)

    def __exit__(self, *_: object) -> None:
        logging.disable(self._previous)


# -- corpus --------------------------------------------------------------------------
def corpus_files(limit: int | None = None) -> tuple[Path, list[tuple[str, bytes]]]:
    """(corpus root, [(corpus-relative name, bytes)]); empty when the corpus is absent."""
    from tests.support.corpus import CORPUS, corpus_available, mail_files, relative

    if not corpus_available():
        return CORPUS, []
    paths = mail_files()[:limit] if limit else mail_files()
    return CORPUS, [(relative(p), p.read_bytes()) for p in paths]


# -- standalone report -----------------------------------------------------------------
def report(cpu: CpuResult, files: list[tuple[str, bytes]], slowest: int) -> str:
    """Whole-corpus ratio, per-message percentiles, the slowest files and their steps."""
    ratios = sorted(t.ratio for t in cpu.per_file)
    over = sum(r > CPU_GOAL for r in ratios)
    lines = [
        f"typical mail CPU: {cpu.files} files, best of {PASSES} passes, goal <= {CPU_GOAL:g}x",
        f"whole corpus: {cpu.measured_s * 1000:.1f} ms vs {cpu.baseline_s * 1000:.1f} ms stdlib parse"
        f" = {cpu.ratio:.2f}x",
        "per message: " + ", ".join(f"p{q} {cpu.percentile(q):.2f}x" for q in (50, 90, 95, 99)),
        f"messages over {CPU_GOAL:g}x: {over}/{len(ratios)} (p95 needs at most {len(ratios) // 20})",
    ]
    if cpu.errors:
        lines.append(f"pipeline raised (per pass): {dict(cpu.errors)}")
    raws = dict(files)
    lines += ["", f"slowest {slowest} by ratio, ms (pipeline steps timed again, best of {PASSES}):", ""]
    lines.append(" | ".join(["file", "pipeline", "baseline", "ratio", *STEPS]))
    for timing in cpu.slowest(slowest):
        steps = step_times(raws[timing.name])
        cells = ["raised" if t == float("inf") else f"{t * 1000:.2f}" for t in steps.values()]
        lines.append(
            " | ".join(
                [timing.name, f"{timing.measured_s * 1000:.2f}", f"{timing.baseline_s * 1000:.2f}"]
                + [f"{timing.ratio:.1f}x", *cells]
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.typical_mail")
    parser.add_argument("--limit", type=int, default=None, help="first N corpus files only")
    parser.add_argument("--slowest", type=int, default=10, help="how many slowest files to list")
    args = parser.parse_args(argv)
    root, files = corpus_files(args.limit)
    if not files:
        print(f"typical mail skipped: shared corpus not found at {root}", file=sys.stderr)
        return 1
    print(report(measure_cpu(files), files, args.slowest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
