"""`python -m bench`: run every benchmark, print the table, write bench/RESULTS.md.

`--limit N` runs the typical-mail benchmark on the first N corpus files (a quick check,
not a result to keep). Naming benchmarks runs only those (`python -m bench feedback queue`);
only a run of all of them writes RESULTS.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import sys

from bench import cold_start, feedback, large_message, local_burst, queue, report, search, typical_mail
from bench.report import Row, ms, yes


def _typical_mail(limit: int | None) -> tuple[list[Row], str]:
    root, files = typical_mail.corpus_files(limit)
    if not files:
        message = (
            f"typical mail skipped: shared corpus not found at {root} (expected mail/ and bounces/ "
            "there; put it at ../shared/corpus beside the repo or set INBOUND_CORPUS)"
        )
        print(message, file=sys.stderr)
        skipped = [
            Row("Typical mail CPU *(skipped: no corpus)*", "skipped", "skipped", "—", "≤ 3x", "—"),
            Row(
                "AWS requests per created ticket *(skipped: no corpus)*",
                "skipped",
                "—",
                "—",
                "≤ 6 + 1/att.",
                "—",
            ),
        ]
        return skipped, f"## Typical mail\n\n{message}\n"
    print(f"typical mail: {len(files)} files from {root}", file=sys.stderr)
    # Request counting is exact (not timed), so it runs in a second process beside the
    # CPU passes; the CPU figures are ratios within each pass, so shared load cancels.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        pending = pool.submit(typical_mail.measure_requests, files)
        cpu = typical_mail.measure_cpu(files)
        requests = pending.result()
    return _typical_rows(cpu, requests), _typical_details(cpu, requests)


def _typical_rows(cpu: typical_mail.CpuResult, req: typical_mail.RequestResult) -> list[Row]:
    created = [r - a for r, a in req.created]
    worst = max(created, default=0)
    rows = [
        Row(
            f"Typical mail CPU, whole corpus ({cpu.files} files, best of {typical_mail.PASSES})",
            ms(cpu.measured_s),
            ms(cpu.baseline_s) + " (stdlib parse)",
            f"{cpu.ratio:.2f}x",
            f"≤ {typical_mail.CPU_GOAL:g}x",
            yes(cpu.ratio <= typical_mail.CPU_GOAL),
        ),
        Row(
            "Typical mail CPU, per-message p50 / p95",
            "—",
            "—",
            f"{cpu.percentile(50):.2f}x / {cpu.percentile(95):.2f}x",
            f"≤ {typical_mail.CPU_GOAL:g}x",
            f"p50 {yes(cpu.percentile(50) <= typical_mail.CPU_GOAL)}, p95 {yes(cpu.percentile(95) <= typical_mail.CPU_GOAL)}",
        ),
        Row(
            f"AWS requests per created ticket, minus attachments ({len(created)} tickets)",
            f"mean {report.mean(created):.2f}, max {worst}",
            f"budget {typical_mail.REQUEST_BUDGET} + 1/attachment",
            f"worst {req.worst_budget_ratio:.2f}x of budget",
            f"≤ {typical_mail.REQUEST_BUDGET} + 1/att.",
            yes(not req.created_over_budget()) + f" ({len(req.created_over_budget())}/{len(created)} over)",
        ),
    ]
    return rows


def _typical_details(cpu: typical_mail.CpuResult, req: typical_mail.RequestResult) -> str:
    lines = ["## Typical mail", ""]
    lines.append(
        "Pipeline per message: `read_mail`, `detect_bounce`, `classify(from_headers)`, "
        "`sanitise_html`, `latest_reply`, `subject_ticket_id`; as in ingest, the last three "
        "only for mail that is filed (not bounces, spam or viruses). Baseline: "
        "`email.message_from_bytes(policy=default)` and `get_content()` (or "
        "`get_payload(decode=True)`) on every leaf. `time.process_time`; per message, the "
        "best of the passes on each side."
    )
    if cpu.errors:
        lines.append(f"\nPipeline raised (per pass): {dict(cpu.errors)}")
    lines += [
        "",
        "Slowest 5 files by per-message ratio:",
        "",
        "| file | pipeline | baseline | ratio |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{t.name}` | {ms(t.measured_s)} | {ms(t.baseline_s)} | {t.ratio:.2f}x |" for t in cpu.slowest()
    ]
    lines += [
        "",
        "AWS requests made inside `ingest.ingest` per message (the replayer's own put and "
        "pre-checks excluded), by outcome:",
        "",
        "| outcome | messages | mean | min | max |",
        "|---|---|---|---|---|",
    ]
    from chalicelib.domain.outcome import OUTCOMES

    for outcome in (*OUTCOMES, *sorted(set(req.by_outcome) - set(OUTCOMES))):
        counts = req.by_outcome.get(outcome, [])
        if counts:
            lines.append(
                f"| {outcome} | {len(counts)} | {report.mean(counts):.2f} | {min(counts)} | {max(counts)} |"
            )
        else:
            lines.append(f"| {outcome} | 0 | — | — | — |")
    if req.created:
        n = len(req.created)
        lines += ["", "Operations per created ticket (mean):", ""]
        lines += [f"- `{op}`: {count / n:.2f}" for op, count in req.created_operations.most_common()]
    if req.quarantine_reasons:
        lines += [
            "",
            "Quarantine reasons: "
            + ", ".join(f"{k or '?'} ({v})" for k, v in req.quarantine_reasons.most_common()),
        ]
    return "\n".join(lines) + "\n"


def _cold_start() -> tuple[list[Row], str]:
    result = cold_start.run()
    load = ", ".join(f"{x:.2f}" for x in result.load)
    goal = f"≤ {cold_start.GOAL:g}x"
    counts = result.instructions

    def count(kind: str) -> str:
        return f"{counts[kind] / 1e6:.0f}M" if counts else "skipped (no valgrind)"

    def instruction_ratio(kind: str) -> str:
        ratio = result.instruction_ratio(kind)
        return f"{ratio:.2f}x" if ratio else "—"

    instructions_met = result.instruction_ratio()
    baseline = ms(result.baseline.wall_s) + " (`import boto3` + 1 client)"
    rows = [
        Row(
            f"Cold start of the ingest function: `import app` + `services().ingest`, package with bytecode (median of {result.runs})",
            ms(result.measured.wall_s),
            baseline,
            f"{result.ratio():.2f}x (CPU {result.cpu_ratio():.2f}x; load {load})",
            goal,
            yes(result.ratio() <= cold_start.GOAL),
        ),
        Row(
            "Cold start of the ingest function, instructions (callgrind, one run each; the load cannot move it)",
            count("measured"),
            count("baseline"),
            instruction_ratio("measured"),
            goal,
            yes(instructions_met <= cold_start.GOAL) if instructions_met else "—",
        ),
        Row(
            f"Cold start of a staff API request: `import app` + `services().auth` + `.desk` (median of {result.runs}; instructions)",
            f"{ms(result.timings['api'].wall_s)}; {count('api')}",
            f"{ms(result.baseline.wall_s)}; {count('baseline')}",
            f"{result.ratio('api'):.2f}x; {instruction_ratio('api')}",
            "—",
            "—",
        ),
        Row(
            "Cold start with every service built (no function needs them all), instructions",
            count("every"),
            count("baseline"),
            instruction_ratio("every"),
            "—",
            "—",
        ),
        Row(
            "Cold start of the ingest function through its first message (a new ticket, acknowledged; moto on loopback), instructions",
            count("first"),
            f"{count('first_baseline')} (`import boto3` + 1 client + 1 GetObject)",
            f"{counts['first'] / counts['first_baseline']:.2f}x" if counts else "—",
            "—",
            "—",
        ),
        Row(
            "Cold start of the ingest function from the package without bytecode (chalice's zip as it is)",
            ms(result.timings["source"].wall_s),
            ms(result.baseline.wall_s),
            f"{result.ratio('source'):.2f}x",
            "—",
            "—",
        ),
    ]
    details = (
        "## Cold start\n\nWall time of a fresh `python -I -S -B -c` child in the unpacked "
        f"`inbound package` zip ({result.pycs} unchecked-hash .pyc), interpreter start-up included on "
        "both sides; sys.path is the task directory, then only the runtime's boto3 and its "
        "dependencies (compiled bytecode on both sides); no `__pycache__` written; fake credentials, "
        "IMDS disabled, `socket.connect` refused in the child. The median of "
        f"{result.runs} runs of each kind, interleaved; 1/5/15-minute load average when the timed "
        f"runs began: {load}.\n"
    )
    return rows, details


def _large_message() -> tuple[list[Row], str]:
    result = large_message.run(log=lambda line: print(line, file=sys.stderr))
    ingest, stdlib = result.kinds["ingest"], result.kinds["stdlib"]
    size = report.mib(result.message_bytes)
    rows = [
        Row(
            f"Large message ({size}, one {report.mib(result.payload_bytes)} attachment): ingest peak RSS above idle",
            f"{report.mib(ingest.rss_peak)} ({result.vs_stdlib_memory():.2f}x stdlib's {report.mib(stdlib.rss_peak)})",
            f"message size {size}",
            f"{result.memory_ratio():.2f}x",
            f"≤ {large_message.MEMORY_GOAL:g}x (stretch {large_message.MEMORY_STRETCH:g}x)",
            yes(result.memory_ratio() <= large_message.MEMORY_GOAL),
        ),
        Row(
            f"Large message: ingest wall time (best of {result.runs}; floor {result.time_ratio('floor'):.2f}x)",
            ms(ingest.seconds),
            ms(stdlib.seconds) + " (stdlib parse)",
            f"{result.time_ratio():.2f}x",
            f"≤ {large_message.TIME_GOAL:g}x",
            yes(result.time_ratio() <= large_message.TIME_GOAL),
        ),
    ]
    return rows, large_message.details(result)


def _feedback() -> tuple[list[Row], str]:
    result = feedback.run(log=lambda line: print(line, file=sys.stderr))
    return feedback.rows(result), feedback.details(result)


def _queue() -> tuple[list[Row], str]:
    result = queue.run(log=lambda line: print(line, file=sys.stderr))
    return queue.rows(result), queue.details(result)


def _search() -> tuple[list[Row], str]:
    result = search.run(log=lambda line: print(line, file=sys.stderr))
    return search.rows(result), search.details(result)


def _burst() -> tuple[list[Row], str]:
    result = local_burst.run(log=lambda line: print(line, file=sys.stderr))
    return local_burst.rows(result), local_burst.details(result)


BENCHMARKS = ("typical", "cold", "large", "feedback", "queue", "search", "burst")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--limit", type=int, default=None, help="typical mail: first N corpus files only")
    parser.add_argument(
        "benchmarks", nargs="*", metavar="BENCHMARK", help=f"only these: {', '.join(BENCHMARKS)}"
    )
    args = parser.parse_args(argv)
    if unknown := set(args.benchmarks) - set(BENCHMARKS):
        parser.error(f"unknown benchmark {sorted(unknown)[0]!r}; choose from {', '.join(BENCHMARKS)}")
    chosen = args.benchmarks or BENCHMARKS
    runs = {
        "typical": lambda: _typical_mail(args.limit),
        # Cold start is wall-clock: run it alone, after the concurrent typical-mail work.
        "cold": _cold_start,
        "large": _large_message,  # wall-clock too: alone, after the others
        "feedback": _feedback,  # CPU time, moto in this process
        "queue": _queue,
        "search": _search,
        "burst": _burst,  # wall-clock, two processes: last, alone
    }
    rows: list[Row] = []
    details: list[str] = []
    for name in BENCHMARKS:
        if name in chosen:
            section_rows, section_details = runs[name]()
            rows += section_rows
            details.append(section_details)
    print(report.table(rows))
    if args.benchmarks:
        print("\n" + "\n".join(details))
        print("\nRESULTS.md not written: only a run of every benchmark writes it", file=sys.stderr)
        return 0
    command = "python -m bench" + (f" --limit {args.limit}" if args.limit else "")
    path = report.write(rows, "\n".join(details), command)
    print(f"\nwritten {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
