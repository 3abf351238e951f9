"""Progress: a bar with rate and ETA on a terminal, a plain line per tenth otherwise."""

import io

from backtest.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_without_a_terminal_a_line_per_tenth_with_rate_and_eta():
    stream, clock = io.StringIO(), Clock()
    progress = Progress("replay", 1000, stream=stream, clock=clock)
    for done in range(0, 1001, 50):
        clock.now += 0.5  # 100 a second
        progress.update(done)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "replay: 100/1,000 transactions (10%), 67/s, ETA 0:13"
    assert lines[-1] == "replay: 1,000/1,000 transactions (100%), 95/s, 0:10"


def test_on_a_terminal_one_bar_redrawn_in_place():
    stream, clock = Terminal(), Clock()
    progress = Progress("reading", 200, stream=stream, clock=clock)
    clock.now += 10
    progress.update(50)
    clock.now += 0.05  # too soon to redraw
    progress.update(60)
    clock.now += 10
    progress.close()
    drawn = stream.getvalue().split("\r")[1:]
    assert len(drawn) == 2
    assert drawn[0].startswith("reading [########......................] 50/200  25%  5/s, "
                               "ETA 0:30")
    assert drawn[1].startswith("reading [" + "#" * 30 + "] 200/200 100%  10/s, 0:20")
    assert drawn[1].endswith("\n")
