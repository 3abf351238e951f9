"""The local mode end to end: ``python -m local_mode serve`` in a child process, on free ports.

One local mode serves every test here (starting one costs a few seconds); tests that need
their own (a tiny throttle, a restart) start one more. This process never points its own
environment at an emulator: it talks to it through explicitly configured clients, so the
suites that run moto in-process are not affected.
"""

import http.client
import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from common.data_model import STATS_DAY
from common.stats import DayTotals
from common.transaction import from_item, is_id_guard
from schemathesis.pytest.plugin import SchemathesisFunction

from local_mode.environment import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from local_mode.outbox import read_digests
from local_mode.process import LocalModeProcess, process_alive
from shared.lambdas import PROCESS_TRANSACTION
from shared.outputs import DataOutputs

DEADLINE_SECONDS = 60
# A function for an in-process RestApi's imported document (what the edge stack renders).
FUNCTION_ARN = "arn:aws:lambda:us-east-2:123456789012:function:lambda-process-transaction-local"
POLL_SECONDS = 0.2


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE_SECONDS) -> Any:
    """Poll ``condition`` until it returns something truthy; else fail, naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def pytest_collection_modifyitems(items):
    """schemathesis gives each operation's test the nodeid of the test function (pytest 9 builds
    it from ``originalname``; the operation is only in the item's name), and pytest-xdist's
    ``--dist loadfile`` schedules by nodeid: of test_fuzz.py's operations it would run one.
    Each gets the nodeid of its name, as any parametrized test has (pytest has no public way
    to set it)."""
    for item in items:
        if isinstance(item, SchemathesisFunction):
            item._id = item.parent.id.child(item.name)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Local:
    """A running local mode, and what the tests read it with."""

    process: LocalModeProcess
    clients: dict[str, Any] = field(default_factory=dict)

    @property
    def outbox(self) -> Path:
        return self.process.outbox

    @property
    def outputs(self) -> dict[str, str]:
        return self.process.state["outputs"]

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = boto3.session.Session(
                aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                region_name=self.process.state["region"],
            ).client(service, endpoint_url=self.process.state["emulatorEndpoint"])
        return self.clients[service]

    def request(self, method: str, path: str, body: str | bytes | None = None,
                headers: dict[str, str] | None = None, *, in_stage: bool = True) -> Response:
        """``method`` on ``path`` under the stage (``/v1``), or as given with ``in_stage=False``."""
        url = urlsplit(self.process.api_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            target = url.path + path if in_stage else path
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, dict(response.getheaders()),
                            response.read().decode("utf-8"))
        finally:
            connection.close()

    def post(self, body: str | dict[str, Any]) -> Response:
        text = body if isinstance(body, str) else json.dumps(body)
        return self.request("POST", "/transactions", text, {"Content-Type": "application/json"})

    def id_items(self, transaction_id: str) -> list[dict[str, Any]]:
        """Every item the table holds with this id, its id guard included (typed JSON, a
        strongly consistent read)."""
        return self.client("dynamodb").query(
            TableName=self.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], ConsistentRead=True,
            KeyConditionExpression="transactionId = :id",
            ExpressionAttributeValues={":id": {"S": transaction_id}})["Items"]

    def stored(self, transaction_id: str) -> list[dict[str, Any]]:
        """Every transaction the table holds with this id (its id guard left out)."""
        return [from_item(item) for item in self.id_items(transaction_id)
                if not is_id_guard(item)]

    def all_transactions(self) -> dict[str, dict[str, Any]]:
        pages = self.client("dynamodb").get_paginator("scan").paginate(
            TableName=self.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], ConsistentRead=True)
        return {item["transactionId"]["S"]: from_item(item)
                for page in pages for item in page["Items"] if not is_id_guard(item)}

    def day_totals(self, day: str) -> DayTotals:
        pages = self.client("dynamodb").get_paginator("query").paginate(
            TableName=self.outputs[DataOutputs.STATS_TABLE_NAME],
            KeyConditionExpression="#day = :day", ExpressionAttributeNames={"#day": STATS_DAY.name},
            ExpressionAttributeValues={":day": {"S": day}})
        return DayTotals.from_items(from_item(item) for page in pages for item in page["Items"])

    def queue_messages(self, output: str) -> list[dict[str, Any]]:
        """Every message of a queue, read without consuming them (they reappear at once)."""
        sqs, url = self.client("sqs"), self.outputs[output]
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(100):
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                        VisibilityTimeout=0).get("Messages", [])
            fresh = [message for message in batch if message["MessageId"] not in seen]
            if not fresh:
                return list(seen.values())
            seen |= {message["MessageId"]: message for message in fresh}
        return list(seen.values())

    def queue_depth(self, output: str) -> int:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.outputs[output],
            AttributeNames=["ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return sum(int(value) for value in attributes.values())

    def digests(self) -> list[dict[str, Any]]:
        return read_digests(self.outbox)

    def log_lines(self, function_id: str) -> list[dict[str, Any]]:
        """The JSON lines a function logged (Powertools' logs and metrics)."""
        path = self.outbox / "logs" / f"lambda-{function_id}-local.log"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{")]


DIGEST_ENTRY = re.compile(r"^\d+\. (\S+)  score \d+$", re.MULTILINE)


def digest_transaction_ids(notification: dict[str, Any]) -> list[str]:
    """The transactions a digest (an SNS notification) lists."""
    return DIGEST_ENTRY.findall(notification["Message"])


def post_workload(local: Local, requests: Any) -> None:
    """Post each request in order; each must get the status the workload expects."""
    for request in requests:
        response = local.post(request.body)
        assert response.status == request.expected_status, (request, response.text)


def start_local(outbox: Path, **options: Any) -> Local:
    return Local(LocalModeProcess(outbox, **options).start())


def stop_local(local: Local, stop_signal: int = signal.SIGTERM) -> None:
    """Stop by PID; the local mode must exit cleanly, and the emulator it started be gone."""
    local.process.stop(stop_signal)
    assert local.process.process is not None
    assert local.process.process.returncode == 0, local.process.output()
    emulator_pid = local.process.state.get("emulatorPid")
    assert emulator_pid is None or not process_alive(emulator_pid)


# process-transaction instances of the shared local mode: one per client of the concurrent
# POST tests (instances start only when needed; the others use a few).
SHARED_INSTANCES = 10


@pytest.fixture(scope="package")
def local(tmp_path_factory) -> Iterator[Local]:
    """The local mode of these tests, with the stacks' default settings and SHARED_INSTANCES
    of process-transaction (stopped after them, so it does not idle through the other
    suites)."""
    running = start_local(tmp_path_factory.mktemp("local-mode"),
                          instances={PROCESS_TRANSACTION.id: SHARED_INSTANCES})
    try:
        yield running
    finally:
        stop_local(running)


def transaction(transaction_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid POST body (amount as a JSON number with two decimals)."""
    body = {"transactionId": transaction_id, "accountId": f"acct-{transaction_id}",
            "amount": 125.5, "currency": "EUR", "merchantId": "m-1",
            "merchantCategory": "5411", "country": "DE", "channel": "pos"}
    return body | overrides
