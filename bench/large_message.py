"""Large message: one 40 MB mail (a 29 MB attachment, SES's receiving limit) through ingest.

Every figure comes from a fresh child process, so a peak is that process's alone:

- ingest: `build_services` against a moto server running in another process, one small
  mail ingested first (lazy imports and clients warmed, as in a warm Lambda), then
  `ingest.ingest` of the large mail's `incoming/` key: read from S3, parsed, the
  attachment stored, the ticket written, the raw archived.
- stdlib (the anchor): the same bytes read from a file, `email.message_from_bytes(
  policy=default)` and every leaf decoded (`typical_mail.baseline`).
- mail-parser: the same bytes, `mailparser.parse_from_bytes`.
- floor: the same bytes, the attachment's base64 decoded and hashed (sha256).
- S3 alone: the S3 requests ingest makes for this mail, through the same `S3MailStore`
  and moto server (HEAD and GET of the raw, PUT of the attachment from a file, archive
  as CopyObject and DELETE): what the moto server's own work costs the ingest in wall time.

Each measured step starts from its process's idle state without the message, so every
peak includes holding the message bytes once (1.0x): from S3 for ingest, from a file
for the others.

Memory, two ways:

- peak RSS above idle: the idle RSS is read after imports (and the warm-up), the
  kernel's high-water mark is reset to it (`/proc/self/clear_refs`), and VmHWM is read
  after the step. This is the goal's figure: it is what Lambda's memory limit counts,
  allocator overhead included. `ru_maxrss` is the same high-water mark as `getrusage`
  reports it; it also holds what the process inherited at exec, which no reset clears,
  so children are started from a small launcher process.
- tracemalloc peak: Python's own allocations during the step, in a separate child
  (tracing slows the step and its trace tables would inflate RSS). Steadier, but blind
  to memory the allocator keeps and to allocations outside Python's allocator.

Time is wall clock around the step; best of RUNS, the kinds interleaved so drift hits
all alike. Memory figures are the worst of the runs.

The mail is built in `large_message_mail`; the children, their measurement and moto's
process in `large_message_processes`.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.large_message_mail import SEED, LargeMail, large_mail, notification, small_mail
from bench.large_message_processes import child, moto_process, run_child, serve
from bench.report import mib

RUNS = 3
MEMORY_GOAL = 2.5  # peak above idle, times the message size
MEMORY_STRETCH = 1.5
TIME_GOAL = 0.5  # ingest wall time, times the stdlib parse's
KINDS = ("ingest", "stdlib", "mailparser", "floor", "s3")
LABELS = {
    "ingest": "ingest (S3 read, parse, store, ticket, archive)",
    "stdlib": "stdlib parse + decode every part",
    "mailparser": "mail-parser `parse_from_bytes`",
    "floor": "floor: base64 decode + sha256",
    "s3": "ingest's S3 requests alone (GET raw, PUT attachment from a file, archive)",
}


@dataclass
class KindResult:
    kind: str
    seconds: float  # best of the untraced runs
    rss_peak: int  # worst of the untraced runs
    maxrss_peak: int | None  # None when ru_maxrss held an inherited peak
    traced_peak: int
    reset: bool


@dataclass
class LargeMessageResult:
    message_bytes: int
    payload_bytes: int
    kinds: dict[str, KindResult]
    runs: int
    # Seconds of every untraced run, by kind, in run order: round i of each kind ran
    # back to back, so their ratio sees the same machine load.
    rounds: dict[str, list[float]]

    def round_ratios(self, kind: str = "ingest") -> list[float]:
        return [m / b for m, b in zip(self.rounds[kind], self.rounds["stdlib"], strict=True)]

    def memory_ratio(self, kind: str = "ingest") -> float:
        return self.kinds[kind].rss_peak / self.message_bytes

    def traced_ratio(self, kind: str = "ingest") -> float:
        return self.kinds[kind].traced_peak / self.message_bytes

    def time_ratio(self, kind: str = "ingest") -> float:
        return self.kinds[kind].seconds / self.kinds["stdlib"].seconds

    def vs_stdlib_memory(self) -> float:
        return self.kinds["ingest"].rss_peak / self.kinds["stdlib"].rss_peak


def run(runs: int = RUNS, log: Callable[[str], None] = lambda line: None) -> LargeMessageResult:
    from inbound.local.embedded import offline_credentials, stack_at

    offline_credentials()
    mail = large_mail()
    numbers = iter(range(1, 10_000))
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    traced: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch, moto_process() as endpoint:
        path = Path(scratch) / "large.eml"
        path.write_bytes(mail.raw(0))
        payload_path = Path(scratch) / "payload.bin"
        payload_path.write_bytes(random.Random(SEED).randbytes(mail.payload_size))
        stack = stack_at(endpoint, stage="bench")
        bucket = stack.settings.mail_bucket

        def spec(kind: str, trace: bool) -> dict[str, Any]:
            base = {"kind": kind, "traced": trace, "path": str(path), "offsets": mail.offsets()}
            if kind not in ("ingest", "s3"):
                return base
            number = next(numbers)
            if kind == "s3":
                stack.store.put_incoming(f"benchs3{number:06d}", mail.raw(number))
                return base | {
                    "endpoint": endpoint,
                    "outputs": stack.outputs,
                    "key": f"incoming/benchs3{number:06d}",
                    "payload_path": str(payload_path),
                }
            warm_id, large_id = f"benchwarm{number:06d}", f"benchlarge{number:06d}"
            stack.store.put_incoming(warm_id, small_mail(number))
            stack.store.put_incoming(large_id, mail.raw(number))
            return base | {
                "endpoint": endpoint,
                "outputs": stack.outputs,
                "warm_note": notification(warm_id, bucket),
                "note": notification(large_id, bucket),
            }

        for number in range(runs):
            for kind in KINDS:
                figures = run_child(spec(kind, False))
                log(f"large message run {number + 1}/{runs}: {kind} {figures['seconds']:.2f} s")
                if kind == "ingest":
                    _check_ingest(figures, mail, stack if number == 0 else None)
                samples[kind].append(figures)
        for kind in KINDS:
            traced[kind] = run_child(spec(kind, True))
            log(f"large message traced: {kind} {traced[kind]['traced_peak'] / 2**20:.0f} MiB")
    kinds = {
        kind: KindResult(
            kind,
            seconds=min(s["seconds"] for s in samples[kind]),
            rss_peak=max(s["rss_peak"] for s in samples[kind]),
            maxrss_peak=None
            if any(s["maxrss_inherited"] for s in samples[kind])
            else max(s["maxrss_peak"] for s in samples[kind]),
            traced_peak=traced[kind]["traced_peak"],
            reset=all(s["reset"] for s in samples[kind]),
        )
        for kind in KINDS
    }
    rounds = {kind: [s["seconds"] for s in samples[kind]] for kind in KINDS}
    return LargeMessageResult(len(mail.raw(0)), mail.payload_size, kinds, runs, rounds)


def _check_ingest(figures: dict[str, Any], mail: LargeMail, stack: Any) -> None:
    """The measured ingest must have done the job: a ticket with the attachment, byte-exact."""
    if figures["outcome"] != "created":
        raise RuntimeError(f"large mail not filed: {figures['outcome']} ({figures['reason']})")
    [attachment] = figures["attachments"]
    if (attachment["sha256"], attachment["size"]) != (mail.payload_sha256, mail.payload_size):
        raise RuntimeError(f"attachment differs: {attachment}")
    if stack is not None:  # once: read the stored object back and hash it
        [message] = stack.tickets.messages(figures["ticket"])
        body = stack.client("s3").get_object(
            Bucket=stack.settings.mail_bucket, Key=message.attachments[0].key
        )
        if hashlib.sha256(body["Body"].read()).hexdigest() != mail.payload_sha256:
            raise RuntimeError("stored attachment is not the attachment that was sent")


# -- report ----------------------------------------------------------------------------
def details(result: LargeMessageResult) -> str:
    size = result.message_bytes
    lines = [
        "## Large message",
        "",
        f"One message of {mib(size)} ({size} bytes): a text part and one attachment of "
        f"{mib(result.payload_bytes)} of seeded random bytes, base64 in 76-column CRLF lines. "
        "Each kind runs in a fresh child process; ingest talks to a moto server in another "
        "process and is measured after one small warm-up mail. Peaks are above the child's "
        "idle state and include holding the message once. Peak RSS (VmHWM after resetting it "
        "to the idle RSS) is the goal's figure, what Lambda's memory limit counts; "
        "tracemalloc (a separate child) counts Python allocations only. "
        f"Time: best of {result.runs}; memory: worst of {result.runs}.",
        "",
        "| step | wall time | vs stdlib | peak RSS | x message | ru_maxrss | tracemalloc peak | x message |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        k = result.kinds[kind]
        lines.append(
            f"| {LABELS[kind]} | {k.seconds * 1000:.0f} ms | {result.time_ratio(kind):.2f}x | "
            f"{mib(k.rss_peak)} | {k.rss_peak / size:.2f}x | "
            f"{'n/a' if k.maxrss_peak is None else mib(k.maxrss_peak)} | "
            f"{mib(k.traced_peak)} | {k.traced_peak / size:.2f}x |"
        )
    lines += [
        "",
        "Wall time against the stdlib parse of the same round (a shared machine's load drifts):",
        "",
    ]
    for kind in ("ingest", "s3", "floor"):
        ratios = result.round_ratios(kind)
        listed = ", ".join(f"{r:.2f}x" for r in ratios)
        lines.append(f"- {LABELS[kind]}: {listed} (median {statistics.median(ratios):.2f}x)")
    if not all(k.reset for k in result.kinds.values()):
        lines += ["", "The kernel refused the VmHWM reset: RSS peaks are lower bounds."]
    return "\n".join(lines) + "\n"


def summary(result: LargeMessageResult) -> str:
    ingest, stdlib = result.kinds["ingest"], result.kinds["stdlib"]
    return "\n".join(
        [
            f"message {mib(result.message_bytes)}, attachment {mib(result.payload_bytes)}",
            f"ingest peak RSS {mib(ingest.rss_peak)} = {result.memory_ratio():.2f}x message "
            f"(goal <= {MEMORY_GOAL}x, stretch {MEMORY_STRETCH}x), "
            f"{result.vs_stdlib_memory():.2f}x the stdlib's {mib(stdlib.rss_peak)} "
            f"({result.memory_ratio('stdlib'):.2f}x message)",
            f"ingest tracemalloc peak {mib(ingest.traced_peak)} = {result.traced_ratio():.2f}x message "
            f"(stdlib {result.traced_ratio('stdlib'):.2f}x, mail-parser {result.traced_ratio('mailparser'):.2f}x)",
            f"ingest wall time {ingest.seconds * 1000:.0f} ms = {result.time_ratio():.2f}x stdlib parse "
            f"{stdlib.seconds * 1000:.0f} ms (goal <= {TIME_GOAL}x); floor {result.time_ratio('floor'):.2f}x, "
            f"mail-parser {result.time_ratio('mailparser'):.2f}x, "
            f"ingest's S3 requests alone {result.time_ratio('s3'):.2f}x",
            "per round, ingest / stdlib: "
            + ", ".join(f"{r:.2f}x" for r in result.round_ratios())
            + f" (median {statistics.median(result.round_ratios()):.2f}x)",
        ]
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--serve"]:
        serve(int(argv[1]))
        return 0
    if argv[:1] == ["--child"]:
        print(json.dumps(child(json.loads(argv[1]))))
        return 0
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else RUNS
    result = run(runs, log=lambda line: print(line, file=sys.stderr))
    print(summary(result))
    print()
    print(details(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
