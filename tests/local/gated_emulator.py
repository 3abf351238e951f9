"""The local mode's emulator with a gate in SNS Publish, for crash tests.

``python -m tests.local.gated_emulator --gate DIR --gate-at N <emulator arguments>`` serves
as ``local_mode.emulator`` does, except the N-th Publish: it creates ``DIR/reached`` and waits
until ``DIR/release`` exists, then fails without publishing. A test kills the publisher while
it waits, so the crash lands exactly between notify-team's claims and its digest.
"""

import argparse
import itertools
import sys
import threading
from pathlib import Path
from typing import Any

from moto.sns import models

from local_mode import emulator

REACHED, RELEASE = "reached", "release"
POLL_SECONDS = 0.05


class GatedEmulator(emulator.Emulator):
    def __init__(self, host: str, port: int, log_path: Path, gate: Path, gate_at: int) -> None:
        super().__init__(host, port, log_path)
        self.gate, self.gate_at = gate, gate_at

    def command(self) -> list[str]:
        own = super().command()
        return [own[0], "-m", __name__, "--gate", str(self.gate), "--gate-at",
                str(self.gate_at), *own[3:]]

    @property
    def reached(self) -> bool:
        return (self.gate / REACHED).exists()

    def release(self) -> None:
        (self.gate / RELEASE).touch()


def gate_publish(gate: Path, gate_at: int) -> None:
    original = models.SNSBackend.publish
    calls = itertools.count(1)
    released = threading.Event()

    def publish(backend: Any, *args: Any, **kwargs: Any) -> Any:
        if next(calls) != gate_at:
            return original(backend, *args, **kwargs)
        (gate / REACHED).touch()
        while not released.wait(POLL_SECONDS):
            if (gate / RELEASE).exists():
                released.set()
        raise RuntimeError("the publisher died before SNS took the message")

    models.SNSBackend.publish = publish


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.local.gated_emulator")
    parser.add_argument("--gate", type=Path, required=True)
    parser.add_argument("--gate-at", type=int, required=True)
    args, rest = parser.parse_known_args()
    args.gate.mkdir(parents=True, exist_ok=True)
    gate_publish(args.gate, args.gate_at)
    emulator.main(rest)


if __name__ == "__main__":
    sys.exit(main())
