"""The functions as Lambda runs them: each instance an execution environment of its own.

An instance is a child process, ``python -m local_mode.functions <package> ...``, started with
its function's environment: it imports the handler module once (its cold start), then serves
one invocation at a time until its stdin closes. Module state (clients, caches, Powertools'
cold-start flag and per-invocation keys) belongs to one instance, as it belongs to one
execution environment in Lambda, so concurrent invocations race as they race in AWS. A child
process per instance costs about 0.9 s of CPU and 50 MB when it starts (measured on 2 cores);
fresh imports in one process would have been cheaper but would share what Lambda never
shares: ``os.environ``, the logging module's loggers, botocore's default session, one GIL.

:class:`LocalFunction` keeps up to ``instances`` of them, the function's concurrency locally
(its reserved concurrency in AWS). An invocation takes an idle instance, or starts one (a cold
start the invocation waits for, as in Lambda); when every instance is busy and no more may
start, the caller is throttled: the API's caller gets :class:`Throttled` at once, as Lambda
answers a synchronous invoke, while an event source mapping waits for an instance. An
invocation that outlives the function's timeout ends with its instance ("Task timed out"),
which a new one replaces when needed.

Events and results cross the process boundary as JSON, as they do in Lambda (whose runtime
writes a ``Decimal`` as a JSON number). What an instance prints (Powertools' JSON logs and
metrics, an unhandled error's traceback) goes to the function's log file,
``<outbox>/logs/<function name>.log``, a line at a time, as Lambda sends it to the function's
log group.
"""

import argparse
import contextlib
import importlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from shared.lambdas import LambdaSpec
from shared.naming import lambda_log_group_name

READY = b"ready"
START_TIMEOUT_SECONDS = 60  # a cold start takes about a second; a loaded machine, more
STOP_TIMEOUT_SECONDS = 5


class FunctionError(Exception):
    """The invocation failed: the handler raised, timed out, or its instance could not start."""


class Throttled(Exception):
    """Every instance is busy and no more may start: Lambda's TooManyRequestsException."""


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


class _Instance:
    """One execution environment: the child process and the pipes to it."""

    def __init__(self, function: "LocalFunction") -> None:
        self.function = function
        command = [sys.executable, "-m", "local_mode.functions", function.spec.package,
                   "--name", function.name, "--arn", function.arn,
                   "--memory-mb", str(function.memory_mb),
                   "--timeout-seconds", str(function.spec.timeout_seconds)]
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=function.log,
            env={**os.environ, **function.environment})
        self._unread = b""
        try:
            ready = self._read_line(START_TIMEOUT_SECONDS)
        except (TimeoutError, EOFError):
            ready = b""
        if ready != READY:
            self.kill()
            raise FunctionError(f"{function.name} could not start (its log: {function.log_path})")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: Any) -> Any:
        timeout = self.function.spec.timeout_seconds
        request_id = str(uuid.uuid4())
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"requestId": request_id, "event": event})
                                     .encode() + b"\n")
            self.process.stdin.flush()
            reply = json.loads(self._read_line(timeout))
        except TimeoutError:
            self.kill()
            message = f"Task timed out after {timeout:.2f} seconds"
            if not self.function.log.closed:  # the function may have been closed meanwhile
                self.function.log.write(f"{request_id} {message}\n")
            raise FunctionError(message) from None
        except (EOFError, BrokenPipeError):
            self.kill()
            raise FunctionError("Runtime exited without providing a reason") from None
        if "error" in reply:
            raise FunctionError(reply["error"])
        return reply["result"]

    def _read_line(self, timeout: float) -> bytes:
        assert self.process.stdout is not None
        descriptor, deadline = self.process.stdout.fileno(), time.monotonic() + timeout
        while b"\n" not in self._unread:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if select.select([descriptor], [], [], remaining)[0]:
                chunk = os.read(descriptor, 1 << 16)
                if not chunk:
                    raise EOFError
                self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        return line

    def stop(self) -> None:
        """Close its stdin (it exits when idle); kill it if it has not exited in time."""
        if self.process.stdin and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.process.stdout:
            self.process.stdout.close()

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()


class LocalFunction:
    """Up to ``instances`` execution environments of ``spec``'s function, started on demand."""

    def __init__(self, spec: LambdaSpec, *, name: str, arn: str, environment: Mapping[str, str],
                 memory_mb: int, log_dir: Path, instances: int = 1) -> None:
        self.spec, self.name, self.arn = spec, name, arn
        self.environment, self.memory_mb, self.instances = dict(environment), memory_mb, instances
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("a", encoding="utf-8", buffering=1)  # shared, appended
        self._instances: set[_Instance] = set()  # started, idle or busy
        self._idle: list[_Instance] = []
        self._starting = 0
        self._condition = threading.Condition()

    def start(self) -> None:
        """Start one instance now, so that a function that cannot start fails the start."""
        with self._condition:
            self._starting += 1
        instance = self._started()
        with self._condition:
            self._idle.append(instance)

    def invoke(self, event: Any, *, wait: bool = True) -> Any:
        """Run the handler on ``event`` in an idle instance; its result, or
        :class:`FunctionError`. When every instance is busy: wait for one (``wait``), or raise
        :class:`Throttled`."""
        instance = self._acquire(wait)
        try:
            return instance.invoke(event)
        finally:
            with self._condition:
                if instance.alive:
                    self._idle.append(instance)
                else:
                    self._instances.discard(instance)
                self._condition.notify_all()

    def _acquire(self, wait: bool) -> _Instance:
        with self._condition:
            while not self._idle and len(self._instances) + self._starting >= self.instances:
                if not wait:
                    raise Throttled(f"{self.name}: all {self.instances} instances are busy")
                self._condition.wait()
            if self._idle:
                return self._idle.pop()
            self._starting += 1
        return self._started()

    def _started(self) -> _Instance:
        """A new instance (its place was taken by ``_starting``), once it is ready."""
        instance = None
        try:
            instance = _Instance(self)
            return instance
        finally:
            with self._condition:
                self._starting -= 1
                if instance:
                    self._instances.add(instance)
                self._condition.notify_all()

    def close(self) -> None:
        """Stop every instance by its PID (a busy one is killed) and close the log."""
        with self._condition:
            instances, self._idle = list(self._instances), []
            self._instances.clear()
        for instance in instances:
            instance.stop()
        self.log.close()


# ---- inside an instance ----

def _lambda_json(value: Any) -> Any:
    """What Lambda's Python runtime writes for a ``Decimal``: a JSON number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _serve(args: argparse.Namespace, results: BinaryIO) -> int:
    try:
        module = importlib.import_module(f"{args.package}.app")
    except Exception:
        traceback.print_exc()  # an init error, in the function's log as Lambda logs it
        return 1
    results.write(READY + b"\n")
    results.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        context = LambdaContext(args.name, args.arn, args.memory_mb, args.timeout_seconds,
                                aws_request_id=request["requestId"])
        try:
            reply = json.dumps({"result": module.lambda_handler(request["event"], context)},
                               default=_lambda_json)
        except Exception as error:
            # Lambda logs the unhandled error in the function's log group, then reports it.
            print(f"[ERROR] {type(error).__name__}: {error}\n{traceback.format_exc()}")
            reply = json.dumps({"error": f"{type(error).__name__}: {error}"})
        results.write(reply.encode() + b"\n")
        results.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_mode.functions")
    parser.add_argument("package")
    parser.add_argument("--name", required=True)
    parser.add_argument("--arn", required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--timeout-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent stops us
    # stdout carries the results; what the handler prints goes to the log (stderr), whole lines
    # at a time, so that the instances appending to one file never split each other's lines.
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    log = io.TextIOWrapper(io.BufferedWriter(io.FileIO(sys.stdout.fileno(), "w", closefd=False),
                                             buffer_size=1 << 20),
                           encoding="utf-8", line_buffering=True)
    sys.stdout = sys.stderr = log
    return _serve(args, results)


if __name__ == "__main__":
    sys.exit(main())
