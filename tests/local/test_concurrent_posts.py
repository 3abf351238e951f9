"""Concurrent clients retrying one transactionId through the local API: one transaction.

Ten HTTP clients send the first POST of one id at the same moment, without a timestamp (each
then gets the server's receive time), as clients retrying after a timeout do, to the shared local
mode, running ten process-transaction instances side by side (as AWS runs ten execution
environments). Exactly one request stores the transaction (201) and the others answer from
it: 200 for the same content, 409 for other content; the table holds one transaction and one
id guard.
"""

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from common.transaction import CLIENT_FIELDS, is_id_guard

from tests.local.conftest import SHARED_INSTANCES, transaction

CLIENTS = SHARED_INSTANCES  # an instance of process-transaction for each client


def post_together(local, bodies):
    start = threading.Barrier(len(bodies))

    def post(body):
        start.wait()
        return local.post(body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.mark.parametrize(("content", "others", "rounds"), [("same", 200, 5),
                                                            ("different", 409, 3)])
def test_concurrent_first_posts_of_one_id_store_one_transaction(local, content, others, rounds):
    for round_number in range(rounds):
        transaction_id = f"retry-{uuid.uuid4().hex[:10]}"
        body = transaction(transaction_id)
        del body["channel"]
        bodies = [body if content == "same" else {**body, "amount": 100 + n}
                  for n in range(CLIENTS)]
        responses = post_together(local, bodies)
        statuses = Counter(response.status for response in responses)
        assert statuses == {201: 1, others: CLIENTS - 1}, (round_number, statuses)
        [created] = [r.json for r in responses if r.status == 201]
        if content == "same":  # the same transaction, its verdict perhaps written meanwhile
            assert all({name: r.json[name] for name in CLIENT_FIELDS if name in created}
                       == {name: created[name] for name in CLIENT_FIELDS if name in created}
                       for r in responses)
        items = local.id_items(transaction_id)
        assert sorted(is_id_guard(item) for item in items) == [False, True], items
        [stored] = local.stored(transaction_id)
        assert stored["timestamp"] == created["timestamp"]
