"""The four functions as Lambda runs them: one instance each, one invocation at a time.

A handler module is imported once, with its function's environment (as a cold start reads
it), and is never called from two threads at once: Powertools keeps per-invocation state
(the resolver's current event, the logger's keys), and a Lambda instance serves one event at a
time. What an invocation writes (Powertools' JSON logs and metrics) goes to the function's log
file, ``<outbox>/logs/<function name>.log``, as Lambda sends it to the function's log group.
"""

import contextlib
import importlib
import io
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from local_mode.environment import patched_environ
from shared.lambdas import LambdaSpec
from shared.naming import lambda_log_group_name


class FunctionError(Exception):
    """The handler raised: Lambda reports an ``Unhandled`` function error."""


@dataclass
class LambdaContext:
    """The context object a handler receives (the attributes Powertools and handlers read)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return lambda_log_group_name(self.function_name)

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class _ThreadRoutedStream(io.TextIOBase):
    """Writes go to the stream the current thread chose, else to the terminal."""

    def __init__(self, default: TextIO) -> None:
        self.default = default
        self._local = threading.local()

    @property
    def target(self) -> TextIO:
        return getattr(self._local, "target", None) or self.default

    @contextlib.contextmanager
    def routed_to(self, target: TextIO) -> Iterator[None]:
        self._local.target = target
        try:
            yield
        finally:
            self._local.target = None

    def write(self, text: str) -> int:
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()


_import_lock = threading.Lock()
_stdout: _ThreadRoutedStream | None = None
_stderr: _ThreadRoutedStream | None = None


def _route_output() -> tuple[_ThreadRoutedStream, _ThreadRoutedStream]:
    """Install the routing streams (once), before any handler module creates its logger."""
    global _stdout, _stderr
    if _stdout is None or _stderr is None:
        _stdout, _stderr = _ThreadRoutedStream(sys.stdout), _ThreadRoutedStream(sys.stderr)
        sys.stdout, sys.stderr = _stdout, _stderr  # type: ignore[assignment]
    return _stdout, _stderr


class LocalFunction:
    """One instance of ``spec``'s function: imported at creation, invoked one event at a time."""

    def __init__(self, spec: LambdaSpec, *, name: str, arn: str, environment: Mapping[str, str],
                 memory_mb: int, log_dir: Path) -> None:
        self.spec, self.name, self.arn = spec, name, arn
        self.memory_mb = memory_mb
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self.invocations = 0
        stdout, stderr = _route_output()
        with _import_lock, patched_environ(environment), \
                stdout.routed_to(self._log), stderr.routed_to(self._log):
            self.module: ModuleType = importlib.import_module(f"{spec.package}.app")

    def invoke(self, event: Any) -> Any:
        """Run the handler on ``event``; its result, or :class:`FunctionError` if it raised."""
        stdout, stderr = _route_output()
        with self._lock, stdout.routed_to(self._log), stderr.routed_to(self._log):
            self.invocations += 1
            context = LambdaContext(self.name, self.arn, self.memory_mb, self.spec.timeout_seconds)
            try:
                return self.module.lambda_handler(event, context)
            except Exception as error:
                # Lambda logs the unhandled error in the function's log group, then reports it.
                print(f"[ERROR] {type(error).__name__}: {error}\n{traceback.format_exc()}",
                      file=self._log)
                raise FunctionError(f"{type(error).__name__}: {error}") from error

    def wait_idle(self) -> None:
        """Return once no invocation is running (one that started finishes first)."""
        with self._lock:
            pass

    def close(self) -> None:
        self._log.close()
