"""moto in-process with the handlers on it, and what the benchmarks read from it.

:func:`emulated_platform` creates the data layer with ``shared.provisioning`` and loads the four
handler modules against it, as ``tests/functions`` runs them, with the local mode's
corrections of moto's slow DynamoDB paths (``local_mode.emulator.speed_up_dynamodb``: same
answers, without reading the whole table on every query). It measures the time spent inside
the emulator (what AWS's side of a call would take) and the bytes the handlers log, so a
handler's own work can be told apart from the emulator's. The cold starts and the local
pipeline use the local mode's emulator process instead (real HTTP).
"""

import contextlib
import functools
import importlib
import io
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import moto
from botocore.client import BaseClient
from moto.core.botocore_stubber import BotocoreStubber

from bench.capacity import item_size, read_units
from local_mode.emulator import speed_up_dynamodb
from local_mode.environment import patched_environ
from local_mode.functions import LambdaContext
from shared.lambdas import LAMBDAS, alert_claim_environment, function_environment
from shared.provisioning import provision_data_layer
from shared.settings import DEFAULT_REGION
from tests.functions.aws_calls import AwsCalls

# Throwaway credentials: the emulators accept any, and nothing real may be reachable.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
AMBIENT_AWS_SETTINGS = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN",
                         "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")


def in_process_environment() -> dict[str, str]:
    """The region and throwaway credentials; no endpoint: moto intercepts AWS's own URLs."""
    return {"AWS_DEFAULT_REGION": DEFAULT_REGION, "AWS_REGION": DEFAULT_REGION, **CREDENTIALS}


def bench_context() -> LambdaContext:
    """The context a handler receives, as the local mode's Lambda-like runtime makes it."""
    name = "lambda-bench-function"
    return LambdaContext(function_name=name, memory_limit_in_mb=512, timeout_seconds=300,
                         invoked_function_arn=f"arn:aws:lambda:{DEFAULT_REGION}:123456789012:"
                                              f"function:{name}")


class EmulatorClock:
    """Seconds during which at least one call was inside moto's request processing.

    moto serves in-process calls from botocore's ``before-send`` event, so this time is what
    the network and AWS's servers would take; the rest of an invocation is the handler's and
    botocore's own work, which Lambda bills. Calls made side by side (detect-fraud's history
    queries) overlap: their shared time counts once.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._in_flight = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def _enter(self) -> None:
        with self._lock:
            if self._in_flight == 0:
                self._since = time.perf_counter()
            self._in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.seconds += time.perf_counter() - self._since

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        original = BotocoreStubber.process_request

        def timed(stubber: BotocoreStubber, request: Any) -> Any:
            self._enter()
            try:
                return original(stubber, request)
            finally:
                self._leave()

        BotocoreStubber.process_request = timed
        try:
            yield
        finally:
            BotocoreStubber.process_request = original


class ReadMeter:
    """Read request units of the Query and GetItem calls made through ``clients``.

    Counted from the pages DynamoDB (here moto) returned and whether each read was strongly
    consistent, by :mod:`bench.capacity`'s sizing rules.
    """

    def __init__(self, *clients: Any) -> None:
        self.clients = [c for c in clients if c.meta.service_model.service_name == "dynamodb"]
        self.units = 0.0
        self._id = f"read-meter-{id(self)}"

    def _request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[self._id] = bool(params.get("ConsistentRead"))

    def _response(self, parsed: dict[str, Any], model: Any, context: dict[str, Any],
                  **_: Any) -> None:
        pages = {"Query": "Items", "Scan": "Items", "GetItem": "Item"}
        if model.name not in pages or self._id not in context:
            return
        found = parsed.get(pages[model.name]) or []
        size = sum(item_size(item) for item in ([found] if isinstance(found, dict) else found))
        self.units += read_units(size, context[self._id])

    def __enter__(self) -> "ReadMeter":
        for client in self.clients:
            # botocore keeps one handler per unique id: each event needs its own.
            client.meta.events.register("before-parameter-build.dynamodb", self._request,
                                        unique_id=f"{self._id}-request")
            client.meta.events.register("after-call.dynamodb", self._response,
                                        unique_id=f"{self._id}-response")
        return self

    def __exit__(self, *_: Any) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-parameter-build.dynamodb",
                                          unique_id=f"{self._id}-request")
            client.meta.events.unregister("after-call.dynamodb", unique_id=f"{self._id}-response")


class LogSink(io.TextIOBase):
    """Where the handlers' log lines go during a benchmark: counted in UTF-8 bytes, not kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return len(text)


@dataclass
class Invocation:
    """One handler invocation: its result, wall time, emulator time, AWS calls and log bytes."""

    result: Any
    seconds: float
    emulator_seconds: float
    calls: Counter[str]
    read_units: float
    log_bytes: int

    @property
    def own_seconds(self) -> float:
        """The handler's and botocore's own work: what remains without the emulator's time."""
        return self.seconds - self.emulator_seconds


@dataclass
class EmulatedPlatform:
    outputs: dict[str, str]
    session: boto3.session.Session
    handlers: dict[str, ModuleType]  # by package
    clock: EmulatorClock = field(default_factory=EmulatorClock)
    logs: LogSink = field(default_factory=LogSink)
    context: LambdaContext = field(default_factory=bench_context)
    progress: Callable[[str], None] = print  # where the benchmark reports how far it is

    def client(self, service: str) -> Any:
        """The benchmark's own client (for seeding data), outside any handler."""
        return self.session.client(service)

    def reload(self, package: str, environment: Mapping[str, str]) -> None:
        """Load ``package``'s handler again with ``environment`` added (other settings, e.g.
        ``MODEL``), as a new execution environment reads them at its cold start."""
        with patched_environ(environment):
            app = importlib.reload(self.handlers[package])
        app.logger.registered_handler.setStream(self.logs)

    def invoke(self, package: str, event: Any, metered: bool = True) -> Invocation:
        """Run ``package``'s handler on ``event``: its time, logs, and (``metered``) its calls.

        Counting calls and read units costs a little time per call, so timed runs leave it out.
        """
        app = self.handlers[package]
        clients = [value for value in vars(app).values() if isinstance(value, BaseClient)]
        emulator_before, logs_before = self.clock.seconds, self.logs.bytes
        with contextlib.ExitStack() as meters:
            calls = meters.enter_context(AwsCalls(*clients if metered else ()))
            reads = meters.enter_context(ReadMeter(*clients if metered else ()))
            meters.enter_context(contextlib.redirect_stdout(self.logs))
            started = time.perf_counter()
            result = app.lambda_handler(event, self.context)
            seconds = time.perf_counter() - started
        return Invocation(result, seconds, self.clock.seconds - emulator_before, calls.counts,
                          reads.units, self.logs.bytes - logs_before)


@functools.cache
def _speed_up_moto() -> None:
    """Once per process: the corrections patch moto's classes for good."""
    speed_up_dynamodb()


@contextlib.contextmanager
def emulated_platform(suffix: str, progress: Callable[[str], None] | None = None,
                      ) -> Iterator[EmulatedPlatform]:
    """moto in-process with the data layer for ``suffix`` and the four handlers loaded on it.

    Each handler module is (re)loaded with its environment set, as a cold start reads it, and
    logs into the platform's :class:`LogSink` (Powertools writes its JSON lines and the EMF
    metrics to stdout, which Lambda ships to CloudWatch Logs).
    """
    _speed_up_moto()
    with (patched_environ(in_process_environment(), remove=AMBIENT_AWS_SETTINGS),
          moto.mock_aws(), warnings.catch_warnings()):
        # Powertools warns when an invocation emitted no metric (a GET); expected.
        warnings.filterwarnings("ignore", "No application metrics to publish")
        session = boto3.session.Session()
        outputs = provision_data_layer(suffix, session)
        variables: dict[str, str] = {}
        for spec in LAMBDAS:
            variables |= function_environment(spec, outputs) | alert_claim_environment(spec)
        with patched_environ(variables):
            platform = EmulatedPlatform(outputs, session, {
                spec.package: importlib.reload(importlib.import_module(f"{spec.package}.app"))
                for spec in LAMBDAS}, progress=progress or print)
            for app in platform.handlers.values():
                app.logger.registered_handler.setStream(platform.logs)
            with platform.clock.running():
                yield platform
