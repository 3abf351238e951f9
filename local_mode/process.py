"""``python -m local_mode serve --quiet`` as a child process: for the demo and the tests.

Started on the ports given (free ones by default), ready once it has written its state file,
stopped by its PID with SIGTERM (as Ctrl-C stops ``make local``), and checked afterwards: the
emulator it started must be gone too.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from local_mode.stack import STATE_FILE, process_alive, read_state
from shared.api_document import REPO_ROOT

START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 30
DUMP_SECONDS = 2  # for the thread dump SIGUSR1 asks of a local mode that does not stop


class LocalModeError(RuntimeError):
    """The local mode did not start or stop cleanly; the message holds its last output."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalModeProcess:
    def __init__(self, outbox: Path, *, api_port: int | None = None,
                 emulator_port: int | None = None, emulator_endpoint: str | None = None,
                 config: Sequence[str] = (), instances: Mapping[str, int] | None = None,
                 sigv4: bool = False, timeouts: Mapping[str, int] | None = None,
                 alert_hold_seconds: int | None = None) -> None:
        self.outbox = outbox
        self.api_port = api_port or free_port()
        self.emulator_port = emulator_port or free_port()
        self.emulator_endpoint = emulator_endpoint
        self.config = config
        self.instances = instances or {}
        self.sigv4 = sigv4
        self.timeouts = timeouts or {}
        self.alert_hold_seconds = alert_hold_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}
        self.log_path = outbox / "local-mode.out"

    def start(self) -> "LocalModeProcess":
        self.outbox.mkdir(parents=True, exist_ok=True)
        (self.outbox / STATE_FILE).unlink(missing_ok=True)
        command = [sys.executable, "-m", "local_mode", "serve", "--quiet",
                   "--api-port", str(self.api_port), "--emulator-port", str(self.emulator_port),
                   "--outbox", str(self.outbox)]
        if self.emulator_endpoint:
            command += ["--emulator-endpoint", self.emulator_endpoint]
        for pair in self.config:
            command += ["--set", pair]
        for function_id, count in self.instances.items():
            command += ["--instances", f"{function_id}={count}"]
        for function_id, seconds in self.timeouts.items():
            command += ["--timeout", f"{function_id}={seconds}"]
        if self.alert_hold_seconds is not None:
            command += ["--alert-hold-seconds", str(self.alert_hold_seconds)]
        if self.sigv4:
            command.append("--sigv4")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log,  # noqa: S603
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            state = read_state(self.outbox)
            if state and state["pid"] == self.process.pid:
                self.state = state
                return self
            if self.process.poll() is not None:
                raise LocalModeError(f"the local mode exited while starting:\n{self.output()}")
            time.sleep(0.1)
        self.stop()
        raise LocalModeError(f"the local mode did not start within {START_TIMEOUT_SECONDS} s:\n"
                             f"{self.output()}")

    @property
    def api_url(self) -> str:
        return self.state["apiUrl"]

    def output(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, stop_signal: int = signal.SIGTERM) -> None:
        """``stop_signal`` (SIGINT is Ctrl-C) by PID, wait; then check its emulator is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(stop_signal)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # its threads' stacks, into its log
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(DUMP_SECONDS)
            self.process.kill()
            self.process.wait()
            raise LocalModeError(f"the local mode did not stop within {STOP_TIMEOUT_SECONDS} s:"
                                 f"\n{self.output(lines=200)}") from None
        emulator_pid = self.state.get("emulatorPid")
        if emulator_pid and process_alive(emulator_pid):
            os.kill(emulator_pid, signal.SIGKILL)
            raise LocalModeError(f"the emulator (pid {emulator_pid}) outlived the local mode")

    def __enter__(self) -> "LocalModeProcess":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
