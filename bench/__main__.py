"""``python -m bench``: run every measurement, write ``bench/results.md`` and ``results.json``.

    python -m bench                        # everything (what `make bench` runs)
    python -m bench --runs 9               # more runs per figure (at least 5)
    python -m bench --only cold_start      # some measurements; prints, writes nothing
    python -m bench --only backtest        # the backtest's whole replays (opt-in, ~30 min)

Run from the repository root: it imports ``shared``, ``common``, the handlers and
``local_mode`` from there. Progress goes to stderr, the summary table to stdout.
"""

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    api_overhead,
    backtest_replay,
    cold_start,
    cost_model,
    local_pipeline,
    report,
    rules_throughput,
    work_units,
)
from bench.platform_facts import read_facts
from bench.stats import MIN_RUNS

RESULTS = Path(__file__).resolve().parent
MEASUREMENTS: dict[str, tuple[str, Callable[[int, Callable[[str], None]], dict[str, Any]]]] = {
    "api_overhead": ("API handler overhead", api_overhead.measure),
    "cold_start": ("cold start", cold_start.measure),
    "work_units": ("AWS calls per unit of work", work_units.measure),
    "rules_throughput": ("rules engine throughput", rules_throughput.measure),
    "local_pipeline": ("local pipeline throughput", local_pipeline.measure),
    "backtest": ("backtest on its default dataset", backtest_replay.measure),
}
OPT_IN = {"backtest"}  # minutes a run: measured only when --only names it


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with_name = Path("/proc/cpuinfo")
    if with_name.is_file():
        for line in with_name.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs ({cpu})")


def load() -> str:
    """The 1-minute load average: other work on the machine slows what is measured."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"


def run(names: list[str], runs: int) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "runs": runs, "load_at_start": load()}
    for number, name in enumerate(names, start=1):
        title, measure = MEASUREMENTS[name]

        def progress(message: str, number: int = number, title: str = title) -> None:
            elapsed = time.monotonic() - started
            print(f"[{number}/{len(names)} {title}, {elapsed:5.0f} s] {message}",
                  file=sys.stderr, flush=True)

        progress("starting")
        results[name] = measure(runs, progress)
    if "work_units" in results and "cold_start" in results:
        measured = cost_model.measured_from(results["work_units"], results["cold_start"])
        results["cost"] = cost_model.model(measured, read_facts())
    results["load_at_end"] = load()
    results["seconds"] = round(time.monotonic() - started)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS,
                        help=f"runs behind each median (at least {MIN_RUNS})")
    parser.add_argument("--only", default="",
                        help="comma-separated subset of: " + ", ".join(MEASUREMENTS)
                        + " (results are printed, not written; "
                        + ", ".join(sorted(OPT_IN)) + " only this way)")
    args = parser.parse_args(argv)
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: every figure is a median of "
                     f"{MIN_RUNS} runs or more")
    names = [name for name in args.only.split(",") if name] or [
        name for name in MEASUREMENTS if name not in OPT_IN]
    unknown = [name for name in names if name not in MEASUREMENTS]
    if unknown:
        parser.error(f"unknown measurement(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(MEASUREMENTS)}")
    results = run(names, args.runs)
    print(report.table(["measurement", "result", "goal", "status"],
                       report.summary_rows(results)))
    if args.only:
        return 0
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1) + "\n",
                                          encoding="utf-8")
    (RESULTS / "results.md").write_text(report.render(results), encoding="utf-8")
    print(f"\nWrote bench/results.md and bench/results.json in {results['seconds']} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
