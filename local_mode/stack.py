"""The whole pipeline on this machine: emulator, data layer, functions, API and workers.

:class:`LocalStack` starts them in dependency order and stops them in reverse: the API first
(no new transactions), then the workers (each finishes the batch in hand), then the emulator.
While it runs, ``<outbox>/local-mode.json`` says where everything is, for ``make report``, the
demo and the tests; it is removed on a clean stop.
"""

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from local_mode.api_gateway import RestApi, TokenBucket, imported_document, local_server_url
from local_mode.console import counted
from local_mode.emulator import Emulator
from local_mode.environment import ACCESS_KEY_ID, SECRET_ACCESS_KEY, use_emulator
from local_mode.functions import FunctionError, LocalFunction, Throttled
from local_mode.http_server import ApiServer
from local_mode.outbox import Outbox, subscribe_outbox_queue
from local_mode.queue_poller import QueuePoller
from local_mode.sigv4 import SigV4Verifier
from local_mode.stream_poller import Checkpoints, StreamMapping, StreamPoller
from shared import lambdas
from shared.api_document import REPO_ROOT, load_openapi
from shared.lambdas import LambdaSpec, function_environment, runtime_environment
from shared.naming import resource_name
from shared.outputs import DataOutputs
from shared.provisioning import provision_data_layer
from shared.settings import NAMESPACE, ConfigError, Settings, settings_from_config

STACK = "local"  # the suffix of every local resource name: dynamodb-transactions-local, ...
DEFAULT_OUTBOX = REPO_ROOT / "local-outbox"
DEFAULT_EMULATOR_PORT = 4566
STATE_FILE = "local-mode.json"
LOG_DIR = "logs"
CHECKPOINTS_FILE = "stream-checkpoints.json"
# Locally a failed alert is visible again after this long (the queue says 300 s, for Lambda).
ALERT_RETRY_DELAY_SECONDS = 2
# How long notify-team's claims hold locally, by default (shared.lambdas.alert_claim_seconds).
ALERT_CLAIM_SECONDS = 10
MAX_ALERT_HOLD_SECONDS = 43_200  # SQS's longest visibility timeout
MAX_TIMEOUT_SECONDS = 900  # Lambda's longest timeout


def default_alert_hold_seconds(notify_timeout_seconds: int) -> int:
    """How long the alerts poller hides a message it received: long enough for the batching
    window and an invocation, so a held message never reappears; the claims expire by then, so
    a message a killed local mode held is published again once it is back."""
    return lambdas.ALERTS_BATCH_WINDOW_SECONDS + notify_timeout_seconds + ALERT_CLAIM_SECONDS


ALERT_HOLD_SECONDS = default_alert_hold_seconds(lambdas.NOTIFY_TEAM.timeout_seconds)  # 60
OUTBOX_HOLD_SECONDS = 30
# Each function's concurrent instances, as a small reserved concurrency would allow: the API's
# callers wait on process-transaction; the stream mapping invokes one batch per shard at a time.
DEFAULT_INSTANCES = {lambdas.PROCESS_TRANSACTION.id: 4, lambdas.DETECT_FRAUD.id: 1,
                     lambdas.NOTIFY_TEAM.id: lambdas.ALERTS_MAXIMUM_CONCURRENCY}
MAX_INSTANCES = 32
# How long a worker's error waits to learn whether the emulator has just exited (then the
# emulator's exit is what is said, once).
EMULATOR_EXIT_GRACE_SECONDS = 0.5


class StartError(RuntimeError):
    """A part of the local mode could not start; the message says which and why."""


# Where the document says the local API is (its local server): http://127.0.0.1:3000/v1.
_LOCAL_API = urlsplit(local_server_url(load_openapi()))
DEFAULT_HOST = _LOCAL_API.hostname or "127.0.0.1"
DEFAULT_API_PORT = _LOCAL_API.port or 3000


@dataclass(frozen=True)
class LocalOptions:
    host: str = DEFAULT_HOST
    api_port: int = DEFAULT_API_PORT
    emulator_port: int = DEFAULT_EMULATOR_PORT
    emulator_endpoint: str | None = None  # an emulator already running: use it, start none
    outbox: Path = DEFAULT_OUTBOX
    config: Mapping[str, str] = field(default_factory=dict)  # fraud:* keys and aws:region
    instances: Mapping[str, int] = field(default_factory=dict)  # function id → instances
    sigv4: bool = False  # the API verifies SigV4 signatures made with the local credentials
    # Shorter waits, for tests: a function's timeout (function id → seconds), and how long the
    # alerts poller hides a received message (None: default_alert_hold_seconds).
    timeouts: Mapping[str, int] = field(default_factory=dict)
    alert_hold_seconds: int | None = None

    def instances_of(self, function_id: str) -> int:
        return {**DEFAULT_INSTANCES, **self.instances}[function_id]

    def spec_of(self, spec: LambdaSpec) -> LambdaSpec:
        """``spec`` with its local timeout."""
        return replace(spec, timeout_seconds=self.timeouts.get(spec.id, spec.timeout_seconds))

    def alert_hold(self) -> int:
        """The alerts poller's hold in seconds; :class:`ConfigError` if it leaves no claim."""
        notify_timeout = self.spec_of(lambdas.NOTIFY_TEAM).timeout_seconds
        if self.alert_hold_seconds is None:
            return default_alert_hold_seconds(notify_timeout)
        hold = self.alert_hold_seconds
        if not 1 <= hold <= MAX_ALERT_HOLD_SECONDS:
            raise ConfigError(f"--alert-hold-seconds takes 1 to {MAX_ALERT_HOLD_SECONDS} "
                              f"(SQS's longest visibility timeout); got {hold}")
        try:
            lambdas.alert_claim_seconds(hold, notify_timeout)
        except ValueError as error:
            raise ConfigError(f"--alert-hold-seconds {hold}: {error}") from None
        return hold


def _function_pairs(pairs: list[str], flag: str, value: str, high: int) -> dict[str, int]:
    """``FUNCTION=N`` pairs as a mapping, N from 1 to ``high``; :class:`ConfigError` naming a
    bad one."""
    values = {}
    for pair in pairs:
        function_id, _, number = pair.partition("=")
        if function_id not in DEFAULT_INSTANCES:
            raise ConfigError(f"{flag} takes FUNCTION={value} with FUNCTION one of "
                              f"{', '.join(DEFAULT_INSTANCES)}; got {pair!r}")
        if not (number.isascii() and number.isdigit() and 1 <= int(number) <= high):
            raise ConfigError(f"{flag} {function_id}={value} takes {value} from 1 to {high}; "
                              f"got {number!r}")
        values[function_id] = int(number)
    return values


def parse_instances(pairs: list[str]) -> dict[str, int]:
    """``--instances FUNCTION=N`` pairs as a mapping; :class:`ConfigError` naming a bad one."""
    return _function_pairs(pairs, "--instances", "N", MAX_INSTANCES)


def parse_timeouts(pairs: list[str]) -> dict[str, int]:
    """``--timeout FUNCTION=SECONDS`` pairs as a mapping; :class:`ConfigError` naming a bad one."""
    return _function_pairs(pairs, "--timeout", "SECONDS", MAX_TIMEOUT_SECONDS)


def load_settings(config: Mapping[str, str]) -> Settings:
    """The local stack's settings: the stacks' defaults, ``config`` applied, suffix ``local``."""
    return settings_from_config({f"{NAMESPACE}:environmentSuffix": STACK, **config}, stack=STACK)


def local_function(spec: LambdaSpec, settings: Settings, outputs: Mapping[str, str],
                   log_dir: Path, instances: int = 1,
                   alerts_hidden_seconds: int = ALERT_HOLD_SECONDS) -> LocalFunction:
    """``spec``'s function with the environment the compute stack gives it, for an alerts
    poller that hides a received message ``alerts_hidden_seconds`` (an own model artifact
    read where it is: the functions run from the source tree, not an archive)."""
    name = resource_name("lambda", spec.id, settings.environment_suffix)
    environment = {**function_environment(spec, outputs),
                   **runtime_environment(spec, settings,
                                         alerts_hidden_seconds=alerts_hidden_seconds,
                                         packaged=False)}
    arn = f"arn:aws:lambda:{settings.region}:{outputs[DataOutputs.ACCOUNT_ID]}:function:{name}"
    return LocalFunction(spec, name=name, arn=arn, environment=environment,
                         memory_mb=settings.lambda_memory_mb, log_dir=log_dir,
                         instances=instances)


def describe_exit(code: int) -> str:
    """A child's exit status as a person reads it: ``killed by SIGKILL``, ``exit code 1``."""
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def read_state(outbox: Path) -> dict[str, Any] | None:
    """What a running local mode wrote about itself, or ``None`` when none runs."""
    try:
        state = json.loads((outbox / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return state if process_alive(state["pid"]) else None  # else left by a killed one


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


class LocalStack:
    """The parts in dependency order. ``on_message`` shows what happens (digests, a worker's
    error, said once however often it repeats); ``on_fatal`` says why the local mode stops by
    itself (the emulator exited), and ``stopped`` is set then."""

    def __init__(self, options: LocalOptions, on_message: Callable[[str], None],
                 on_fatal: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.on_message = on_message
        self.on_fatal = on_fatal or on_message
        self.stopped = threading.Event()
        self.failure: str | None = None
        self._stopping = False
        self._last_error: dict[str, str] = {}  # the last error each worker reported
        self._said_throttled = False
        self.settings = load_settings(options.config)
        self.alert_hold_seconds = options.alert_hold()
        self.emulator: Emulator | None = None
        self.outputs: dict[str, str] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.api: ApiServer | None = None
        self.stream_poller: StreamPoller | None = None
        self.alerts_poller: QueuePoller | None = None
        self.outbox_poller: QueuePoller | None = None
        self.outbox: Outbox | None = None
        self._sqs: Any = None

    @property
    def emulator_endpoint(self) -> str:
        if self.options.emulator_endpoint:
            return self.options.emulator_endpoint
        return f"http://{self.options.host}:{self.options.emulator_port}"

    @property
    def log_dir(self) -> Path:
        return self.options.outbox / LOG_DIR

    def start(self) -> None:
        if not self.options.emulator_endpoint:
            self.emulator = Emulator(self.options.host, self.options.emulator_port,
                                     self.log_dir / "emulator.log")
            self.emulator.start()
            threading.Thread(target=self._watch_emulator, name="emulator-watch",
                             daemon=True).start()
        use_emulator(self.emulator_endpoint, self.settings.region)
        session = boto3.session.Session()
        self._sqs = session.client("sqs")
        self.outputs = provision_data_layer(self.settings.environment_suffix, session)
        self._start_functions()
        self._start_api()
        self._start_workers(session)
        self._write_state()

    def _start_functions(self) -> None:
        """One instance of each function, side by side (a cold start each; the other instances
        start when needed), so that a function that cannot start stops the local mode now."""
        for spec in (lambdas.PROCESS_TRANSACTION, lambdas.DETECT_FRAUD, lambdas.NOTIFY_TEAM):
            self.functions[spec.id] = local_function(self.options.spec_of(spec), self.settings,
                                                     self.outputs, self.log_dir,
                                                     self.options.instances_of(spec.id),
                                                     self.alert_hold_seconds)
        with ThreadPoolExecutor(len(self.functions)) as pool:
            starts = [pool.submit(function.start) for function in self.functions.values()]
        for start in starts:
            try:
                start.result()
            except FunctionError as error:
                raise StartError(str(error)) from None

    def _start_api(self) -> None:
        bucket = TokenBucket(self.settings.api_throttle_rate_limit,
                             self.settings.api_throttle_burst_limit)
        document = imported_document(self.functions[lambdas.PROCESS_TRANSACTION.id].arn,
                                     self.settings.api_auth)
        api = RestApi(document, self._invoke_api, bucket,
                      account_id=self.outputs[DataOutputs.ACCOUNT_ID],
                      verifier=self._verifier())
        try:
            self.api = ApiServer(api, self.options.host, self.options.api_port,
                                 self.on_message)
        except OSError as error:
            raise StartError(f"the API cannot listen on {self.options.host}:"
                             f"{self.options.api_port}: {error.strerror or error} (is another "
                             "local mode running? --api-port picks another port)") from None
        self.api.start()

    def _verifier(self) -> SigV4Verifier | None:
        if not self.options.sigv4:
            return None
        if self.settings.api_auth != "iam":
            raise StartError(f"--sigv4 checks SigV4 signatures, which {NAMESPACE}:apiAuth=iam "
                             f"asks for; {NAMESPACE}:apiAuth={self.settings.api_auth} is not "
                             "emulated by the local API")
        return SigV4Verifier(ACCESS_KEY_ID, SECRET_ACCESS_KEY, self.settings.region)

    def _invoke_api(self, event: dict[str, Any]) -> Any:
        """process-transaction for the API: throttled at once when its instances are busy."""
        function = self.functions[lambdas.PROCESS_TRANSACTION.id]
        try:
            return function.invoke(event, wait=False)
        except Throttled:
            if not self._said_throttled:
                self._said_throttled = True
                self.on_message(
                    f"{function.name}: all {function.instances} instances were busy, so a "
                    "request got 500, as API Gateway answers when Lambda throttles; "
                    f"--instances {lambdas.PROCESS_TRANSACTION.id}=N allows more")
            raise

    def _watch_emulator(self) -> None:
        """Wait for the emulator to exit; if it was not asked to, say so once and stop."""
        assert self.emulator is not None
        assert self.emulator.process is not None
        code = self.emulator.process.wait()
        if self._stopping:
            return
        self.failure = (f"the AWS emulator (pid {self.emulator.pid}) exited "
                        f"({describe_exit(code)}; its log: {self.emulator.log_path}); the "
                        "tables, queues and reports it held in memory are gone. Stopping.")
        self.on_fatal(self.failure)
        self.stopped.set()

    def _worker_error(self, message: str) -> None:
        """A worker's error: said once while it repeats, and not at all once the emulator
        has exited (its exit is what is said)."""
        if self.failure or self._emulator_exited():
            return
        source = message.partition(":")[0]
        if self._last_error.get(source) != message:
            self._last_error[source] = message
            self.on_message(message)

    def _emulator_exited(self) -> bool:
        if self.emulator is None or self.emulator.process is None:
            return False
        try:
            self.emulator.process.wait(EMULATOR_EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _start_workers(self, session: boto3.session.Session) -> None:
        sqs, region = session.client("sqs"), self.settings.region
        report = self._worker_error
        self.stream_poller = StreamPoller(
            streams=session.client("dynamodbstreams"), sqs=sqs,
            stream_arn=self.outputs[DataOutputs.TRANSACTIONS_STREAM_ARN], region=region,
            function=self.functions[lambdas.DETECT_FRAUD.id],
            dead_letter_queue_url=self.outputs[DataOutputs.ANALYSIS_DLQ_URL],
            mapping=StreamMapping.from_settings(self.settings),
            checkpoints=Checkpoints(self.options.outbox / CHECKPOINTS_FILE,
                                    self.outputs[DataOutputs.TRANSACTIONS_STREAM_ARN]),
            on_error=report)
        self.alerts_poller = QueuePoller(
            name="alerts-poller", sqs=sqs, queue_url=self.outputs[DataOutputs.ALERTS_QUEUE_URL],
            queue_arn=self.outputs[DataOutputs.ALERTS_QUEUE_ARN], region=region,
            invoke=self.functions[lambdas.NOTIFY_TEAM.id].invoke,
            batch_size=lambdas.ALERTS_BATCH_SIZE,
            batch_window_seconds=lambdas.ALERTS_BATCH_WINDOW_SECONDS,
            hold_seconds=self.alert_hold_seconds, retry_delay_seconds=ALERT_RETRY_DELAY_SECONDS,
            on_error=report)
        outbox_url, outbox_arn = subscribe_outbox_queue(
            sqs, session.client("sns"), self.outputs[DataOutputs.NOTIFICATIONS_TOPIC_ARN],
            self.settings.environment_suffix)
        self.outbox = Outbox(self.options.outbox, self.on_message)
        self.outbox_poller = QueuePoller(
            name="outbox-poller", sqs=sqs, queue_url=outbox_url, queue_arn=outbox_arn,
            region=region, invoke=self.outbox.receive, batch_size=10, batch_window_seconds=0,
            hold_seconds=OUTBOX_HOLD_SECONDS, retry_delay_seconds=ALERT_RETRY_DELAY_SECONDS,
            on_error=report)
        for worker in (self.stream_poller, self.alerts_poller, self.outbox_poller):
            worker.start()

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "emulatorPid": self.emulator.pid if self.emulator else None,
            "apiUrl": self.api_url,
            "emulatorEndpoint": self.emulator_endpoint,
            "region": self.settings.region,
            "sigv4": self.options.sigv4,
            "config": dict(self.options.config),
            "outputs": self.outputs,
        }
        self.options.outbox.mkdir(parents=True, exist_ok=True)
        temporary = self.options.outbox / (STATE_FILE + ".tmp")
        temporary.write_text(json.dumps(state, indent=2), encoding="utf-8")
        temporary.replace(self.options.outbox / STATE_FILE)

    @property
    def api_url(self) -> str:
        return self.api.url if self.api else ""

    def dead_letter_depth(self) -> int:
        """Messages in both dead-letter queues (visible or being read)."""
        depth = 0
        for url in (DataOutputs.ANALYSIS_DLQ_URL, DataOutputs.ALERTS_DLQ_URL):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self.outputs[url],
                AttributeNames=["ApproximateNumberOfMessages",
                                "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            depth += sum(int(value) for value in attributes.values())
        return depth

    def status(self) -> str:
        if self.failure:
            return "stopping: the AWS emulator exited"
        api = self.api.api.counters if self.api else None
        stream = self.stream_poller.counters if self.stream_poller else None
        outbox = self.outbox.counters if self.outbox else None
        if not (api and stream and outbox):
            return "starting"
        return (f"accepted {api.accepted} · labelled {api.labelled} · rejected {api.rejected}"
                f" · analysed {stream.analysed}"
                f" · flagged {stream.flagged} · notified {outbox.alerts}"
                f" ({counted(outbox.digests, 'digest')})"
                f" · DLQ {self.dead_letter_depth()}")

    def stop(self) -> None:
        self._stopping = True
        if self.api:
            self.api.stop()
            self.api.api.close()
        for worker in (self.stream_poller, self.alerts_poller, self.outbox_poller):
            if worker and worker.is_alive():
                worker.stop()
        for function in self.functions.values():
            function.close()
        if self.emulator:
            self.emulator.stop()
        (self.options.outbox / STATE_FILE).unlink(missing_ok=True)
