"""One client transactionId is one transaction, whatever the concurrency.

A client that times out retries: several first POSTs of one id, without a timestamp (so each
gets the server's receive time, a different sort key), reach several Lambda instances at once.
Each instance here is its own import of the handler module (its own resolver, client and
state), invoked from its own thread against the one emulated table, all released together.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from common import json_codec

from tests.functions.conftest import handler_instances, lambda_context
from tests.functions.events import api_event
from tests.functions.pipeline import stored_with_id

INSTANCES = 10
ROUNDS = 10
BODY = {"accountId": "acc-retry-1", "amount": Decimal("310.00"), "currency": "EUR",
        "merchantId": "merchant-7", "merchantCategory": "5411", "country": "DE"}


@pytest.fixture
def instances(environment, outputs):
    return handler_instances("process_transaction", INSTANCES)


def post_together(instances, bodies):
    """Each instance POSTs its body at the same moment; their (status, body) in order."""
    start = threading.Barrier(len(instances))

    def post(instance, body):
        event = api_event("POST", "/transactions", json_codec.dumps(body))
        start.wait()
        response = instance.lambda_handler(event, lambda_context())
        return response["statusCode"], json_codec.loads(response["body"])

    with ThreadPoolExecutor(max_workers=len(instances)) as pool:
        return list(pool.map(post, instances, bodies))


def test_concurrent_first_posts_of_one_id_store_it_once(instances, session, outputs):
    for round_number in range(ROUNDS):
        body = {**BODY, "transactionId": f"retried-{round_number:02d}"}
        answers = post_together(instances, [body] * INSTANCES)
        statuses = Counter(status for status, _ in answers)
        assert statuses == {201: 1, 200: INSTANCES - 1}, (round_number, answers)
        [created] = [answer for status, answer in answers if status == 201]
        assert all(answer == created for _, answer in answers), round_number
        [item], guards = stored_with_id(session, outputs, body["transactionId"])
        assert (item["timestamp"], guards) == (created["timestamp"], 1)


def test_concurrent_first_posts_with_other_content_are_conflicts(instances, session, outputs):
    for round_number in range(ROUNDS):
        transaction_id = f"contested-{round_number:02d}"
        bodies = [{**BODY, "transactionId": transaction_id, "amount": Decimal(100 + n)}
                  for n in range(INSTANCES)]
        answers = post_together(instances, bodies)
        statuses = Counter(status for status, _ in answers)
        assert statuses == {201: 1, 409: INSTANCES - 1}, (round_number, answers)
        [(_, created)] = [answer for answer in answers if answer[0] == 201]
        conflicts = [answer for status, answer in answers if status == 409]
        assert all([e["field"] for e in c["errors"]] == ["amount"] for c in conflicts)
        [item], guards = stored_with_id(session, outputs, transaction_id)
        assert (item["amount"], guards) == (created["amount"], 1)
