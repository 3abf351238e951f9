"""Write verdicts and the day's aggregates together, exactly once per transaction.

Each chunk of verdicts and the ``ADD`` increments they make to the stats items and to their
accounts' and merchants' days in the features table (``common.entity_days``, combined per
entity-day) commit in one ``TransactWriteItems``: a verdict is conditioned on
``fraudStatus = PENDING``, so either a record's verdict and its counts are both written or
neither is. A replayed record fails its condition; DynamoDB then cancels the whole chunk and
names the records already analysed (with their stored item, ``ALL_OLD``), which are set aside
while the rest is retried without them.
Counting is therefore exact whatever point a crashed invocation had reached.
"""

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from common import entity_days
from common.clock import utc_day
from common.data_model import FLAGGED_DAY
from common.exchange_rates import ExchangeRates
from common.rules import Verdict
from common.stats import StatsDelta, stats_key, update_action
from common.transaction import (
    ANALYZED_AT,
    FRAUD_MODEL_VERSION,
    FRAUD_REASON_DETAILS,
    FRAUD_REASONS,
    FRAUD_SCORE,
    FRAUD_STATUS,
    PENDING,
    SUSPICIOUS,
    from_item,
    key_of,
    to_value,
)

# Verdicts per transaction: each adds at most one stats item and two entity-days (its account's
# and its merchant's), so a chunk is at most 4 x 25 = 100 actions, DynamoDB's limit.
CHUNK_SIZE = 25
RETRIES = 3  # for transient cancellations (a concurrent transaction on the same stats item)
_TRANSIENT = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


@dataclass(frozen=True)
class Analysis:
    """A stream record's transaction with its verdict."""

    sequence_number: str
    transaction: dict[str, Any]
    verdict: Verdict
    analyzed_at: str

    @property
    def analysed_item(self) -> dict[str, Any]:
        """The item as it reads once the verdict is written."""
        return {**self.transaction, **self._verdict_attributes()}

    def _verdict_attributes(self) -> dict[str, Any]:
        attributes = {
            FRAUD_STATUS: self.verdict.status,
            FRAUD_SCORE: self.verdict.score,
            FRAUD_REASONS: self.verdict.codes,
            FRAUD_REASON_DETAILS: [reason.as_dict() for reason in self.verdict.reasons],
            ANALYZED_AT: self.analyzed_at,
        }
        if self.verdict.model_version is not None:
            attributes[FRAUD_MODEL_VERSION] = self.verdict.model_version
        if self.verdict.status == SUSPICIOUS:  # puts the item in the sparse byFlaggedDay index
            attributes[FLAGGED_DAY.name] = utc_day(self.transaction["timestamp"])
        return attributes

    def update(self, table_name: str) -> dict[str, Any]:
        attributes = self._verdict_attributes()
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":a{i}": to_value(value) for i, value in enumerate(attributes.values())}
        return {"Update": {
            "TableName": table_name,
            "Key": key_of(self.transaction["transactionId"], self.transaction["timestamp"]),
            "UpdateExpression": "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(names))),
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {**names, "#status": FRAUD_STATUS},
            "ExpressionAttributeValues": {**values, ":pending": {"S": PENDING}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }}


@dataclass
class WriteOutcome:
    committed: list[Analysis] = field(default_factory=list)  # verdict and counts written now
    already: list[tuple[Analysis, dict[str, Any]]] = field(default_factory=list)  # stored item
    failed: list[Analysis] = field(default_factory=list)  # nothing written; retry the record


class VerdictWriter:
    def __init__(self, dynamodb: Any, transactions_table: str, stats_table: str,
                 features_table: str, rates: ExchangeRates, logger: Logger) -> None:
        self.dynamodb = dynamodb
        self.rates = rates  # amountSum is in the reference currency
        self.transactions_table = transactions_table
        self.stats_table = stats_table
        self.features_table = features_table
        self.logger = logger

    def write(self, analyses: list[Analysis], shard: int) -> WriteOutcome:
        """Write every verdict with its counts into the stats items of ``shard``."""
        outcome = WriteOutcome()
        for start in range(0, len(analyses), CHUNK_SIZE):
            self._commit(analyses[start:start + CHUNK_SIZE], shard, outcome)
        return outcome

    def _actions(self, analyses: list[Analysis], shard: int) -> list[dict[str, Any]]:
        deltas: dict[tuple[str, str], StatsDelta] = defaultdict(StatsDelta)
        # (entity, day) → [transactions, amountSum]: a busy merchant is one action per chunk.
        days: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
        for analysis in analyses:
            transaction = analysis.transaction
            deltas[stats_key(transaction["timestamp"], shard)].add(
                transaction["currency"], transaction["amount"],
                analysis.verdict.status == SUSPICIOUS, analysis.verdict.codes)
            for entity in entity_days.entities_of(transaction):
                totals = days[entity, entity_days.day_of(transaction)]
                totals[0] += 1
                totals[1] += entity_days.amount_of(transaction, self.rates)
        return [analysis.update(self.transactions_table) for analysis in analyses] + [
            {"Update": update_action(self.stats_table, key, delta)}
            for key, delta in deltas.items()] + [
            entity_days.update_action(self.features_table, entity, day, {
                entity_days.TRANSACTIONS: count, entity_days.AMOUNT_SUM: amount})
            for (entity, day), (count, amount) in days.items()]

    def _commit(self, pending: list[Analysis], shard: int, outcome: WriteOutcome) -> None:
        retries = RETRIES
        while pending:
            try:
                self.dynamodb.transact_write_items(TransactItems=self._actions(pending, shard))
            except ClientError as error:
                reasons = error.response.get("CancellationReasons", [])[:len(pending)]
                analysed = {i for i, reason in enumerate(reasons)
                            if reason.get("Code") == "ConditionalCheckFailed"}
                if analysed:
                    outcome.already += [(pending[i], from_item(reasons[i].get("Item", {})))
                                        for i in sorted(analysed)]
                    pending = [a for i, a in enumerate(pending) if i not in analysed]
                    continue
                if retries and any(reason.get("Code") in _TRANSIENT for reason in reasons):
                    retries -= 1
                    time.sleep(random.uniform(0.05, 0.2) * (RETRIES - retries))  # noqa: S311
                    continue
                self.logger.warning("Verdict transaction failed", extra={"error": str(error)})
            except BotoCoreError as error:
                self.logger.warning("Verdict transaction failed", extra={"error": str(error)})
            else:
                outcome.committed += pending
                return
            break
        if len(pending) == 1:
            outcome.failed += pending
        elif pending:  # isolate what cannot be written: one bad record must not fail the others
            middle = len(pending) // 2
            self._commit(pending[:middle], shard, outcome)
            self._commit(pending[middle:], shard, outcome)
