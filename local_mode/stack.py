"""The whole pipeline on this machine: emulator, data layer, functions, API and workers.

:class:`LocalStack` starts them in dependency order and stops them in reverse: the API first
(no new transactions), then the workers (each finishes the batch in hand), then the emulator.
While it runs, ``<outbox>/local-mode.json`` says where everything is, for ``make report``, the
demo and the tests; it is removed on a clean stop.
"""

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from local_mode.api_gateway import ApiServer, RestApi, TokenBucket, local_server_url
from local_mode.emulator import Emulator
from local_mode.environment import use_emulator
from local_mode.functions import LocalFunction
from local_mode.outbox import Outbox, subscribe_outbox_queue
from local_mode.queue_poller import QueuePoller
from local_mode.stream_poller import Checkpoints, StreamMapping, StreamPoller
from shared import lambdas
from shared.api_document import REPO_ROOT, load_openapi
from shared.lambdas import LambdaSpec, function_environment, runtime_environment
from shared.naming import resource_name
from shared.outputs import DataOutputs
from shared.provisioning import provision_data_layer
from shared.settings import Settings, parse_settings

STACK = "local"  # the suffix of every local resource name: dynamodb-transactions-local, ...
DEFAULT_OUTBOX = REPO_ROOT / "local-outbox"
DEFAULT_EMULATOR_PORT = 4566
STATE_FILE = "local-mode.json"
LOG_DIR = "logs"
CHECKPOINTS_FILE = "stream-checkpoints.json"
# Locally a failed alert is visible again after this long (the queue says 300 s, for Lambda).
ALERT_RETRY_DELAY_SECONDS = 2
# Long enough for the batching window and an invocation, so a held message never reappears.
ALERT_HOLD_SECONDS = (lambdas.ALERTS_BATCH_WINDOW_SECONDS + lambdas.NOTIFY_TEAM.timeout_seconds
                      + 10)
OUTBOX_HOLD_SECONDS = 30


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
    config: Mapping[str, str] = field(default_factory=dict)  # fraud:* keys, without "fraud:"


def load_settings(config: Mapping[str, str]) -> Settings:
    """The local stack's settings: the stacks' defaults, ``config`` applied, suffix ``local``."""
    return parse_settings({"environmentSuffix": STACK, **config}, stack=STACK)


def local_function(spec: LambdaSpec, settings: Settings, outputs: Mapping[str, str],
                   log_dir: Path) -> LocalFunction:
    """``spec``'s function with the environment the compute stack gives it."""
    name = resource_name("lambda", spec.id, settings.environment_suffix)
    environment = {**function_environment(spec, outputs), **runtime_environment(spec, settings)}
    arn = f"arn:aws:lambda:{settings.region}:{outputs[DataOutputs.ACCOUNT_ID]}:function:{name}"
    return LocalFunction(spec, name=name, arn=arn, environment=environment,
                         memory_mb=settings.lambda_memory_mb, log_dir=log_dir)


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
    def __init__(self, options: LocalOptions, on_message: Callable[[str], None]) -> None:
        self.options = options
        self.on_message = on_message
        self.settings = load_settings(options.config)
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
        use_emulator(self.emulator_endpoint, self.settings.region)
        session = boto3.session.Session()
        self._sqs = session.client("sqs")
        self.outputs = provision_data_layer(self.settings.environment_suffix, session)
        for spec in (lambdas.PROCESS_TRANSACTION, lambdas.DETECT_FRAUD, lambdas.NOTIFY_TEAM):
            self.functions[spec.id] = local_function(spec, self.settings, self.outputs,
                                                     self.log_dir)
        self._start_api()
        self._start_workers(session)
        self._write_state()

    def _start_api(self) -> None:
        bucket = TokenBucket(self.settings.api_throttle_rate_limit,
                             self.settings.api_throttle_burst_limit)
        api = RestApi(load_openapi(), self.functions[lambdas.PROCESS_TRANSACTION.id].invoke,
                      bucket, account_id=self.outputs[DataOutputs.ACCOUNT_ID])
        try:
            self.api = ApiServer(api, self.options.host, self.options.api_port,
                                 self.on_message)
        except OSError as error:
            raise StartError(f"the API cannot listen on {self.options.host}:"
                             f"{self.options.api_port}: {error.strerror or error} (is another "
                             "local mode running? --api-port picks another port)") from None
        thread = threading.Thread(target=self.api.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="api-server", daemon=True)
        thread.start()

    def _start_workers(self, session: boto3.session.Session) -> None:
        sqs, region = session.client("sqs"), self.settings.region
        report = self.on_message
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
            hold_seconds=ALERT_HOLD_SECONDS, retry_delay_seconds=ALERT_RETRY_DELAY_SECONDS,
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
        api = self.api.api.counters if self.api else None
        stream = self.stream_poller.counters if self.stream_poller else None
        outbox = self.outbox.counters if self.outbox else None
        if not (api and stream and outbox):
            return "starting"
        digests = f"{outbox.digests} digest{'s' if outbox.digests != 1 else ''}"
        return (f"accepted {api.accepted} · rejected {api.rejected} · analysed {stream.analysed}"
                f" · flagged {stream.flagged} · notified {outbox.alerts} ({digests})"
                f" · DLQ {self.dead_letter_depth()}")

    def stop(self) -> None:
        if self.api:
            self.api.shutdown()
            self.api.server_close()
        for worker in (self.stream_poller, self.alerts_poller, self.outbox_poller):
            if worker and worker.is_alive():
                worker.stop()
        if lambdas.PROCESS_TRANSACTION.id in self.functions:
            self.functions[lambdas.PROCESS_TRANSACTION.id].wait_idle()
        for function in self.functions.values():
            function.close()
        if self.emulator:
            self.emulator.stop()
        (self.options.outbox / STATE_FILE).unlink(missing_ok=True)
