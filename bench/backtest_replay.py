"""5. The backtest on its default dataset: generation, then whole replays, time and memory.

Opt-in (``python -m bench --only backtest``, 20 to 30 minutes): each run takes minutes.

- **generation**: the Handbook's default simulation in memory (5,000 customers, 10,000
  terminals, 183 days), ``runs`` times; then written once to CSV (``bench/.runs/``);
- **whole replay**: ``python -m backtest run`` over the whole dataset (every day scored,
  labels 7 days late) in a fresh process, ``runs`` times with the file never seen before (its
  cache entry removed: every row validated) and ``runs`` times as the next run of the same
  file (validated by the first): wall time, the time reading, the replay's own time, and the
  process's peak resident memory (``wait4``).
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from backtest import dataset_cache
from backtest.generator import Simulation, generate, write_csv
from bench.stats import Summary

ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = ROOT / "bench" / ".runs" / "backtest"
_READ = re.compile(r"^  read     [\d,]+ transactions in (\d+) s", re.MULTILINE)
_REPLAY = re.compile(r"^  replay   [\d,]+ transactions in (\d+) s", re.MULTILINE)


def _timed_run(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes, and stdout of one ``command`` in a fresh process."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{output}")
    return seconds, usage.ru_maxrss * 1024, output  # Linux reports kilobytes


def measure(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    simulation = Simulation()
    generation = []
    for run in range(runs):
        progress(f"generation {run + 1}/{runs}")
        started = time.perf_counter()
        transactions = generate(simulation)
        generation.append(time.perf_counter() - started)
    data = RUNS_DIR / "handbook-default.csv"
    progress(f"writing {len(transactions):,} transactions to {data.relative_to(ROOT)}")
    started = time.perf_counter()
    write_csv(transactions, data)
    written = time.perf_counter() - started
    last_day = simulation.start + timedelta(days=simulation.days - 1)
    command = [sys.executable, "-m", "backtest", "run", "--data", str(data),
               "--from", str(simulation.start), "--to", str(last_day),
               "--label-delay-days", "7", "--scores", str(RUNS_DIR / "scores.csv")]
    cache_entry = dataset_cache.DEFAULT_DIR / f"{dataset_cache.key_of(data)}.npz"
    cold = _whole_runs(command, runs, progress, "first", before=lambda: cache_entry.unlink(
        missing_ok=True))
    warm = _whole_runs(command, runs, progress, "next", before=lambda: None)
    return {"runs": runs, "transactions": len(transactions),
            "fraud_share": float(transactions.fraud.mean()),
            "generation_seconds": Summary.of(generation).as_dict(),
            "csv_write_seconds": round(written, 1), "csv_bytes": data.stat().st_size,
            "first_run": cold, "next_run": warm, "goal_seconds": 300}


def _whole_runs(command: list[str], runs: int, progress: Callable[[str], None], which: str,
                before: Callable[[], None]) -> dict[str, Any]:
    walls, peaks, reads, replays = [], [], [], []
    for run in range(runs):
        progress(f"whole replay, the file's {which} run {run + 1}/{runs}")
        before()
        seconds, peak, output = _timed_run(command)
        read, replay = _READ.search(output), _REPLAY.search(output)
        if not read or not replay:
            raise RuntimeError(f"unexpected output of python -m backtest run:\n{output}")
        walls.append(seconds)
        peaks.append(peak / 2**20)
        reads.append(float(read.group(1)))
        replays.append(float(replay.group(1)))
    return {"run_seconds": Summary.of(walls).as_dict(),
            "read_seconds": Summary.of(reads).as_dict(),
            "replay_seconds": Summary.of(replays).as_dict(),
            "peak_memory_mib": Summary.of(peaks).as_dict()}
