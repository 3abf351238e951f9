"""``make demo``: run twice in one outbox, both runs add up; its log ends on the final state."""

import re
import subprocess
import sys

import pytest

from local_mode.outbox import read_digests
from shared.api_document import REPO_ROOT

TRANSACTIONS = 20  # a few accounts, the first ones ending in a scenario: flagged ones included


def _demo(outbox) -> subprocess.CompletedProcess[str]:
    """``python -m local_mode demo`` as ``make demo`` runs it, off a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "local_mode", "demo", "--transactions", str(TRANSACTIONS),
         "--seed", "5", "--outbox", str(outbox)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def outbox(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-outbox")


@pytest.fixture(scope="module")
def runs(outbox) -> list[subprocess.CompletedProcess[str]]:
    """Two demos, one after the other, in the same outbox (as `make demo` twice)."""
    return [_demo(outbox), _demo(outbox)]


def test_the_demo_adds_up_again_in_the_outbox_of_an_earlier_run(runs, outbox):
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Everything adds up" in run.stdout
        # The labels it sent give the report the precision the demo measures itself.
        precision = re.search(r"alert precision +report (\S+) · demo (\S+)", run.stdout)
        assert precision, run.stdout
        assert precision.group(1) == precision.group(2) != "—"
        # And the frauds the report lists as missed give it the demo's own recall.
        recall = re.search(r"recall \(labelled\) +report (\S+) · demo (\S+)", run.stdout)
        assert recall, run.stdout
        assert recall.group(1) == recall.group(2) != "—"
    # The second run counted only its own digests: as many as it says it sent, no more.
    sent = re.search(r"digests sent +(\d+) \((\d+) alerts?\)", runs[1].stdout)
    assert sent, runs[1].stdout
    digests = read_digests(outbox)
    assert len(digests) == int(sent.group(1)) > 0
    assert sum(int(d["MessageAttributes"]["alertCount"]["Value"]) for d in digests) == int(
        sent.group(2))


@pytest.mark.parametrize("number", [0, 1])
def test_off_a_terminal_the_last_progress_line_is_the_final_state(runs, number):
    run = runs[number]
    pipeline = [line for line in run.stderr.splitlines() if line.startswith("pipeline:")]
    final = re.fullmatch(r"pipeline: (\d+)/(\d+) analysed · (\d+)/(\d+) flagged notified",
                         pipeline[-1])
    assert final, pipeline
    analysed, accepted, notified, flagged = map(int, final.groups())
    assert (analysed, notified) == (accepted, flagged)
    summary = re.search(r"verdicts +(\d+) analysed · (\d+) flagged", run.stdout)
    assert summary, run.stdout
    assert tuple(map(int, summary.groups())) == (accepted, flagged)
