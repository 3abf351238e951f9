"""Faults: a record detect-fraud cannot process is retried, then dead-lettered intact; nothing
accepted is ever lost."""

import json
import uuid
from decimal import Decimal

import pytest
from common.transaction import FRAUD_STATUS, PENDING, to_item

from shared.lambdas import STREAM_MAXIMUM_RETRY_ATTEMPTS
from shared.outputs import DataOutputs
from tests.local.conftest import transaction, wait_for


def _dead_letters(local, transaction_id: str) -> list[dict]:
    envelopes = [json.loads(message["Body"])
                 for message in local.queue_messages(DataOutputs.ANALYSIS_DLQ_URL)]
    return [envelope for envelope in envelopes
            if any(record["dynamodb"]["Keys"]["transactionId"]["S"] == transaction_id
                   for record in envelope["payload"]["Records"])]


@pytest.mark.parametrize(("fault", "malformed", "function_error"), [
    ("missing account", {"accountId": None}, False),  # reported as a failed record
    ("amount as text", {"amount": "twelve"}, True),  # makes the handler raise
])
def test_a_record_the_handler_cannot_process_is_retried_then_dead_lettered_intact(
        local, fault, malformed, function_error):
    poison_id = f"poison-{uuid.uuid4().hex[:8]}"
    item = to_item({**transaction(poison_id, amount=Decimal("125.50")),
                    "timestamp": 1_790_000_000_000, FRAUD_STATUS: PENDING})
    for name, value in malformed.items():
        if value is None:
            del item[name]
        else:
            item[name] = {"S": value}
    # Written straight to the table, as no client of the API could.
    local.client("dynamodb").put_item(
        TableName=local.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], Item=item)
    neighbours = [f"neighbour-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    for neighbour in neighbours:
        assert local.post(transaction(neighbour)).status == 201

    [envelope] = wait_for(lambda: _dead_letters(local, poison_id), f"{fault} in the DLQ")
    [record] = envelope["payload"]["Records"]
    assert record["eventName"] == "INSERT"
    assert record["dynamodb"]["NewImage"] == item  # the content, intact
    info = envelope["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == \
        record["dynamodb"]["SequenceNumber"]
    assert info["streamArn"] == local.outputs[DataOutputs.TRANSACTIONS_STREAM_ARN]
    context = envelope["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 1 + STREAM_MAXIMUM_RETRY_ATTEMPTS
    assert context["functionArn"].endswith(":function:lambda-detect-fraud-local")
    assert ("functionError" in envelope["responseContext"]) is function_error
    # The records around it were not held back.
    for neighbour in neighbours:
        wait_for(lambda n=neighbour: local.stored(n)[0][FRAUD_STATUS] != PENDING,
                 f"{neighbour} analysed")
    assert local.stored(poison_id)[0][FRAUD_STATUS] == PENDING


def test_every_accepted_transaction_is_analysed_or_dead_lettered(local):
    def unaccounted() -> list[str]:
        dead = {record["dynamodb"]["Keys"]["transactionId"]["S"]
                for message in local.queue_messages(DataOutputs.ANALYSIS_DLQ_URL)
                for record in json.loads(message["Body"])["payload"]["Records"]}
        return [transaction_id for transaction_id, item in local.all_transactions().items()
                if item[FRAUD_STATUS] == PENDING and transaction_id not in dead]

    assert local.post(transaction(f"accounted-{uuid.uuid4().hex[:8]}")).status == 201
    wait_for(lambda: not unaccounted(), "every transaction analysed or in the DLQ")
    assert local.all_transactions()  # the check above looked at something
