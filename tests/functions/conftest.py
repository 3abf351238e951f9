"""moto in-process, the data layer made by the shared provisioning helper, handlers on top.

One emulated account per session (moto is slow to set up); each test starts from an empty
data layer. A handler module is imported once its environment is set, as a cold start does.
"""

import contextlib
import importlib
import importlib.util
import io
import json
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import boto3
import moto  # before any handler module: clients created afterwards are mocked
import pytest
from common.data_model import FEATURES_DAY, FEATURES_ENTITY, STATS_DAY, STATS_HOUR_SHARD
from common.environment import RULE_OVERRIDES

from local_mode.emulator import speed_up_dynamodb
from local_mode.functions import LambdaContext
from shared.lambdas import LAMBDAS, alert_claim_environment, function_environment
from shared.outputs import DataOutputs
from shared.provisioning import provision_data_layer

SUFFIX = "test"
REGION = "us-east-2"


def pytest_configure(config):
    # Powertools warns when an invocation emitted no metric (e.g. a GET); expected here.
    config.addinivalue_line("filterwarnings", "ignore:No application metrics to publish")


@pytest.fixture(scope="session")
def aws():
    """An emulated AWS account (moto) for the session, reached with throwaway credentials."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_REGION", REGION)
        with moto.mock_aws():
            yield


@pytest.fixture(scope="session", autouse=True)
def _fast_moto_dynamodb():
    """moto's slow DynamoDB paths corrected as the local mode's emulator corrects them (the
    same answers, checked in tests/local/test_emulator.py): a 100-record batch takes
    milliseconds instead of seconds."""
    speed_up_dynamodb()


class ClientReusingSession(boto3.session.Session):
    """A session that makes each service's client once (a client costs ~50 ms to create)."""

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super().client(service_name, *args, **kwargs)
        cache = self.__dict__.setdefault("_clients", {})
        if service_name not in cache:
            cache[service_name] = super().client(service_name)
        return cache[service_name]


@pytest.fixture(scope="session")
def session(aws) -> boto3.session.Session:
    """The boto3 session of the tests' own calls and of the provisioning helper."""
    return ClientReusingSession()


@pytest.fixture(scope="session")
def data_layer(session) -> dict[str, str]:
    """The data layer made once per session by the shared helper, as the data stack exports it."""
    return provision_data_layer(SUFFIX, session)


@pytest.fixture
def outputs(data_layer, session) -> dict[str, str]:
    """The data layer, emptied before each test."""
    empty_data_layer(session, data_layer)
    return data_layer


def empty_data_layer(session: boto3.session.Session, outputs: dict[str, str]) -> None:
    """Empty the tables, queues and bucket (the stream ARN changes: nothing here reads it)."""
    dynamodb = session.client("dynamodb")
    transactions = outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    if dynamodb.scan(TableName=transactions, Limit=1, Select="COUNT")["ScannedCount"]:
        # moto keeps a table's stream records for its lifetime and copies them in every
        # transaction: a new table, rebuilt by the helper, keeps the tests fast.
        dynamodb.delete_table(TableName=transactions)
        provision_data_layer(SUFFIX, session)
    for table, keys in ((outputs[DataOutputs.STATS_TABLE_NAME], (STATS_DAY, STATS_HOUR_SHARD)),
                        (outputs[DataOutputs.FEATURES_TABLE_NAME],
                         (FEATURES_ENTITY, FEATURES_DAY))):
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=table,
                                     Key={key.name: item[key.name] for key in keys})
    sqs = session.client("sqs")
    for url in (DataOutputs.ALERTS_QUEUE_URL, DataOutputs.ALERTS_DLQ_URL,
                DataOutputs.ANALYSIS_DLQ_URL):
        for _ in range(1000):  # PurgeQueue is allowed once a minute; drain instead
            messages = sqs.receive_message(QueueUrl=outputs[url], MaxNumberOfMessages=10,
                                           VisibilityTimeout=0).get("Messages", [])
            if not messages:
                break
            sqs.delete_message_batch(QueueUrl=outputs[url], Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                for n, m in enumerate(messages)])
    s3 = session.client("s3")
    bucket = outputs[DataOutputs.REPORTS_BUCKET_NAME]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for listed in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=listed["Key"])


@pytest.fixture(scope="session")
def environment(data_layer) -> dict[str, str]:
    """Every function's environment variables, set in this process for the session."""
    variables: dict[str, str] = {}
    for spec in LAMBDAS:
        variables |= function_environment(spec, data_layer) | alert_claim_environment(spec)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        patch.delenv(RULE_OVERRIDES, raising=False)
        yield variables


def load_handler(package: str) -> ModuleType:
    """Import ``<package>.app`` afresh: settings and clients are read at import."""
    module = importlib.import_module(f"{package}.app")
    return importlib.reload(module)


@contextlib.contextmanager
def started_with(module: ModuleType, monkeypatch: pytest.MonkeyPatch,
                 variables: Mapping[str, str]) -> Iterator[ModuleType]:
    """``module`` (a handler's app) imported afresh with ``variables`` set, as the compute stack
    sets them; afterwards they are unset and the module is imported afresh again."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    try:
        yield importlib.reload(module)
    finally:
        for name in variables:
            monkeypatch.delenv(name)
        importlib.reload(module)


def handler_instances(package: str, count: int) -> list[ModuleType]:
    """``count`` separate imports of ``<package>.app``, as ``count`` Lambda instances hold it:
    each with its own resolver, clients and per-invocation state, so threads may invoke them
    side by side."""
    origin = importlib.util.find_spec(f"{package}.app").origin
    instances = []
    for number in range(count):
        spec = importlib.util.spec_from_file_location(f"{package}.app_instance_{number}", origin)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        instances.append(module)
    return instances


@pytest.fixture(scope="session")
def handlers(environment) -> dict[str, ModuleType]:
    return {}


def handler(handlers: dict[str, ModuleType], package: str) -> ModuleType:
    if package not in handlers:
        handlers[package] = load_handler(package)
    return handlers[package]


@pytest.fixture
def process_app(handlers, outputs) -> ModuleType:
    return handler(handlers, "process_transaction")


@pytest.fixture
def detect_app(handlers, outputs) -> ModuleType:
    return handler(handlers, "detect_fraud")


@pytest.fixture
def notify_app(handlers, outputs) -> ModuleType:
    return handler(handlers, "notify_team")


@pytest.fixture
def report_app(handlers, outputs) -> ModuleType:
    return handler(handlers, "generate_report")


@pytest.fixture
def on_call(request):
    """``on_call(client, "dynamodb.PutItem", hook)`` runs ``hook`` before each such call.

    Fault injection on the handlers' own clients (``stage="after-call"`` runs it once the
    call has succeeded); removed when the test ends.
    """
    registered = []

    def register(client, operation: str, hook, stage: str = "before-call") -> None:
        event = f"{stage}.{operation}"
        unique_id = f"test-hook-{len(registered)}-{id(request)}"

        def run(**kwargs):
            hook(**kwargs)  # returning None lets the call go on (a value would replace it)

        client.meta.events.register(event, run, unique_id=unique_id)
        registered.append((client, event, unique_id))

    yield register
    for client, event, unique_id in registered:
        client.meta.events.unregister(event, unique_id=unique_id)


def lambda_context() -> LambdaContext:
    """The context a handler receives, as the local mode's Lambda-like runtime makes it."""
    name = "lambda-test-function"
    return LambdaContext(function_name=name, memory_limit_in_mb=512, timeout_seconds=60,
                         invoked_function_arn=f"arn:aws:lambda:{REGION}:123456789012:function:"
                                              f"{name}")


@pytest.fixture
def context() -> LambdaContext:
    return lambda_context()


@pytest.fixture
def dynamodb(session):
    return session.client("dynamodb")


@pytest.fixture
def log_lines():
    """``capture(app)`` → a callable returning the JSON log lines ``app``'s Logger wrote since."""
    restore = []

    def capture(app: ModuleType):
        buffer = io.StringIO()
        handler = app.logger.registered_handler
        restore.append((handler, handler.setStream(buffer)))
        return lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line]

    yield capture
    for handler, stream in restore:
        handler.setStream(stream)
