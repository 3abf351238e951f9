"""The bench's emulator clock counts overlapping calls' shared time once."""

from bench import emulators
from bench.emulators import EmulatorClock


def test_overlapping_calls_count_their_shared_time_once(monkeypatch):
    ticks = iter([0.0, 3.0, 10.0, 12.0])  # the clock readings, in the order they are taken
    monkeypatch.setattr(emulators.time, "perf_counter", lambda: next(ticks))
    clock = EmulatorClock()
    clock._enter()  # t=0: the first call starts (reads the clock)
    clock._enter()  # a second starts while the first is in flight (no read)
    clock._leave()  # the first ends (no read: one still in flight)
    clock._leave()  # t=3: the last ends
    assert clock.seconds == 3.0
    clock._enter()  # t=10
    clock._leave()  # t=12
    assert clock.seconds == 5.0
