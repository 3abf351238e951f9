"""Progress on long work: a bar with rate and ETA on a terminal, else a line per tenth done."""

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.2


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}:{seconds:02d}"


class Progress:
    """How far ``label`` is, out of ``total`` units, with the rate so far and the time left."""

    def __init__(self, label: str, total: int, unit: str = "transactions",
                 stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.total, self.unit = label, max(total, 1), unit
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.clock = clock
        self.started = clock()
        self._drawn_at = float("-inf")
        self._tenths_shown = 0

    def update(self, done: int) -> None:
        now = self.clock()
        if self.live:
            if now - self._drawn_at >= REDRAW_SECONDS:
                self._drawn_at = now
                self.stream.write("\r" + self.line(done, now) + "\033[K")
                self.stream.flush()
        elif 10 * done // self.total > self._tenths_shown:
            self._tenths_shown = 10 * done // self.total
            print(self.line(done, now), file=self.stream, flush=True)

    def line(self, done: int, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        share = min(done / self.total, 1.0)
        text = f"{self.label}: {done:,}/{self.total:,} {self.unit} ({share:.0%}), {rate:,.0f}/s"
        if self.live:
            filled = round(BAR_WIDTH * share)
            text = (f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                    f"{done:,}/{self.total:,} {share:4.0%}  {rate:,.0f}/s")
        if done >= self.total:
            return f"{text}, {_duration(elapsed)}"
        remaining = (self.total - done) / rate if rate else float("inf")
        return f"{text}, ETA {_duration(remaining) if remaining < 360_000 else '?'}"

    def close(self) -> None:
        """Show the end: the last line with the time it took."""
        if self.live:
            self.stream.write("\r" + self.line(self.total, self.clock()) + "\033[K\n")
            self.stream.flush()
        elif self._tenths_shown < 10:
            print(self.line(self.total, self.clock()), file=self.stream, flush=True)
