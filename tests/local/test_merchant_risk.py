"""The model end to end: labelling a merchant's transactions FRAUD raises its later scores.

A local mode of its own with ``fraud:model=default`` (said explicitly: the stacks' default may
change). The merchant's history is dated before the artifact's label delay, as only days whose
labels have all arrived count in its risk (``common.features``); POST accepts any past
timestamp, so the history is posted with the days it happened on.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from common.model import load_forest
from common.scoring import MODEL
from common.transaction import (
    FRAUD_MODEL_VERSION,
    FRAUD_REASON_DETAILS,
    FRAUD_SCORE,
    FRAUD_STATUS,
    PENDING,
)

from shared.api_document import REPO_ROOT
from tests.local.conftest import Local, start_local, stop_local, transaction, wait_for

FOREST = load_forest(Path(REPO_ROOT, "functions", "detect_fraud", "model.json"))
DAY_MS = 86_400_000
MERCHANT = "m-compromised"
HISTORY = 3  # the merchant's transactions on a day its labels have all arrived
# What the merchant's labels feed (common.features): the MODEL reason names one of them.
MERCHANT_LABEL_FEATURES = ("merchantRisk", "merchantLabelled", "merchantLastGenuine",
                           "merchantFraud")


@pytest.fixture(scope="module")
def local_with_model(tmp_path_factory) -> Iterator[Local]:
    running = start_local(tmp_path_factory.mktemp("local-model"), config=("model=default",))
    try:
        yield running
    finally:
        stop_local(running)


def analysed(local: Local, transaction_id: str) -> dict[str, Any]:
    """The stored transaction once detect-fraud has written its verdict."""
    def verdict() -> dict[str, Any] | None:
        stored = local.stored(transaction_id)
        return stored[0] if stored and stored[0][FRAUD_STATUS] != PENDING else None

    return wait_for(verdict, f"the verdict of {transaction_id}")


def post_purchase(local: Local, transaction_id: str, timestamp: int) -> None:
    """An ordinary purchase at the merchant by a new account."""
    response = local.post(transaction(transaction_id, merchantId=MERCHANT, amount=40.0,
                                      timestamp=timestamp))
    assert response.status == 201, response.text


def purchase(local: Local, transaction_id: str, timestamp: int) -> dict[str, Any]:
    """:func:`post_purchase`, and its verdict."""
    post_purchase(local, transaction_id, timestamp)
    return analysed(local, transaction_id)


def test_labelling_a_merchants_transactions_fraud_raises_the_score_of_its_later_ones(
        local_with_model):
    local = local_with_model
    now = int(time.time() * 1000)
    past = now - (FOREST.label_delay_days + 3) * DAY_MS
    history_ids = [f"risk-history-{n}" for n in range(HISTORY)]
    for n, transaction_id in enumerate(history_ids):
        post_purchase(local, transaction_id, past + n * 60_000)
    history = [analysed(local, transaction_id) for transaction_id in history_ids]
    before = purchase(local, "risk-before", now - 2000)

    for item in history:
        response = local.request(
            "PUT", f"/transactions/{item['transactionId']}/label",
            '{"label": "FRAUD", "source": "CHARGEBACK"}', {"Content-Type": "application/json"})
        assert response.status == 200, response.text
        assert response.json["label"] == "FRAUD"
    after = purchase(local, "risk-after", now - 1000)

    assert after[FRAUD_SCORE] > before[FRAUD_SCORE]
    assert before[FRAUD_MODEL_VERSION] == after[FRAUD_MODEL_VERSION] == FOREST.version
    model = [reason for reason in after[FRAUD_REASON_DETAILS] if reason["code"] == MODEL]
    assert len(model) == 1
    assert any(name in model[0]["detail"] for name in MERCHANT_LABEL_FEATURES), model[0]["detail"]
    assert MODEL in after["fraudReasons"]
