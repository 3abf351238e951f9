"""Score each new transaction from the table's stream, write its verdict, queue suspicious ones.

Per batch: parse the INSERT records, read each account's recent history once (``byAccount``
index) and, with a model, each account's and merchant's entity days once (features table), run
the rules and the model, write verdicts and aggregates in transactions (see ``verdicts``), then
send one alert per suspicious transaction. A record that fails at any step is reported alone
in ``batchItemFailures``; what succeeded is kept, and a retried record changes nothing twice.
A record already analysed by an earlier attempt whose alert may not have gone out (it is
suspicious and not yet notified) sends its alert again: notify-team drops duplicates.
"""

import os
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from common import environment as env
from common.alerts import Alert
from common.clock import iso_now
from common.data_model import FEATURES_DAY, FEATURES_ENTITY
from common.entity_days import (
    EntityDay,
    account_entity,
    day_of,
    merchant_entity,
    with_transactions,
)
from common.exchange_rates import exchange_rates_from_json
from common.features import first_day_needed
from common.metrics import (
    NAMESPACE,
    RULE_DIMENSION,
    RULE_HITS,
    TRANSACTIONS_ANALYSED,
    TRANSACTIONS_FLAGGED,
)
from common.model import Forest, load_forest
from common.privacy import mask_account
from common.rules import rule_config_from_json
from common.scoring import ModelInput, order_key, score
from common.stats import shard_for
from common.transaction import FRAUD_STATUS, NOTIFIED_AT, SUSPICIOUS, from_item, is_id_guard

from detect_fraud.history import QUERIES_IN_FLIGHT, earlier_count, with_history
from detect_fraud.verdicts import Analysis, VerdictWriter, WriteOutcome

SERVICE = "detect-fraud"
TRANSACTIONS_TABLE = os.environ[env.TRANSACTIONS_TABLE]
BY_ACCOUNT_INDEX = os.environ[env.BY_ACCOUNT_INDEX]
STATS_TABLE = os.environ[env.STATS_TABLE]
FEATURES_TABLE = os.environ[env.FEATURES_TABLE]
ALERTS_QUEUE_URL = os.environ[env.ALERTS_QUEUE_URL]
RULES = rule_config_from_json(os.environ.get(env.RULE_OVERRIDES))  # bad overrides: no start
RATES = exchange_rates_from_json(os.environ.get(env.REFERENCE_CURRENCY),
                                 os.environ.get(env.EXCHANGE_RATES))  # the same
DEFAULT_MODEL = Path(__file__).with_name("model.json")  # `make train` writes it
MODELS: dict[str, Callable[[], Forest | None]] = {
    "default": lambda: load_forest(DEFAULT_MODEL), "none": lambda: None}
_MODEL = os.environ.get(env.MODEL, "none")
# Any other MODEL is an own artifact's path: packaged beside this file (shared.lambdas.OWN_MODEL),
# or absolute (the local mode). A bad artifact: no start.
FOREST = MODELS.get(_MODEL, lambda: load_forest(Path(__file__).parent / _MODEL))()
SQS_BATCH_LIMIT = 10

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")
writer = VerdictWriter(dynamodb, TRANSACTIONS_TABLE, STATS_TABLE, FEATURES_TABLE, RATES, logger)

_REQUIRED = {"transactionId": str, "accountId": str, "currency": str, "country": str,
             "merchantId": str}


def parse(record: dict[str, Any]) -> dict[str, Any]:
    """The transaction in a stream record's new image; ``ValueError`` when it is not one."""
    transaction = from_item(record["dynamodb"]["NewImage"])
    for name, kind in _REQUIRED.items():
        if not isinstance(transaction.get(name), kind):
            raise ValueError(f"the new image has no valid {name}")
    timestamp, amount = transaction.get("timestamp"), transaction.get("amount")
    if timestamp is None or timestamp != timestamp.to_integral_value():
        raise ValueError("the new image has no valid timestamp")
    if amount is None:
        raise ValueError("the new image has no amount")
    transaction["timestamp"] = int(timestamp)
    return transaction


def account_history(account_id: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The account's latest transactions up to the batch's newest: usually one Query.

    Asks for what the rules need before the batch's first transaction plus the batch itself;
    reads on (pages doubling) only when other transactions in between used up that page.
    """
    first, latest = min(batch, key=order_key), max(batch, key=order_key)
    fetched: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "TableName": TRANSACTIONS_TABLE, "IndexName": BY_ACCOUNT_INDEX,
        "KeyConditionExpression": "#account = :account AND #timestamp <= :latest",
        "ExpressionAttributeNames": {"#account": "accountId", "#timestamp": "timestamp"},
        "ExpressionAttributeValues": {":account": {"S": account_id},
                                      ":latest": {"N": str(latest["timestamp"])}},
        "ScanIndexForward": False,
        "Limit": RULES.history_needed + len(batch),
    }
    while True:
        page = dynamodb.query(**request)
        fetched += (from_item(item) for item in page["Items"])
        enough = earlier_count(fetched, first) >= RULES.history_needed
        if enough or "LastEvaluatedKey" not in page:
            return fetched
        request |= {"ExclusiveStartKey": page["LastEvaluatedKey"],
                    "Limit": 2 * request["Limit"]}


def entity_days(entity: str, first_day: date, last_day: date) -> list[EntityDay]:
    """The entity's days from ``first_day`` to ``last_day``: one Query (a page holds them)."""
    request: dict[str, Any] = {
        "TableName": FEATURES_TABLE,
        "KeyConditionExpression": "#entity = :entity AND #day BETWEEN :first AND :last",
        "ExpressionAttributeNames": {"#entity": FEATURES_ENTITY.name,
                                     "#day": FEATURES_DAY.name},
        "ExpressionAttributeValues": {":entity": {"S": entity},
                                      ":first": {"S": first_day.isoformat()},
                                      ":last": {"S": last_day.isoformat()}}}
    days: list[EntityDay] = []
    while True:
        page = dynamodb.query(**request)
        days += (EntityDay.from_item(from_item(item)) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return days
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def send_alerts(alerts: list[tuple[str, Alert]]) -> list[str]:
    """Queue the alerts, ten per call; the sequence numbers of those that were not queued."""
    failed: list[str] = []
    for start in range(0, len(alerts), SQS_BATCH_LIMIT):
        chunk = dict(enumerate(alerts[start:start + SQS_BATCH_LIMIT]))
        try:
            response = sqs.send_message_batch(QueueUrl=ALERTS_QUEUE_URL, Entries=[
                {"Id": str(n), "MessageBody": alert.to_message()}
                for n, (_, alert) in chunk.items()])
        except (ClientError, BotoCoreError) as error:
            logger.warning("Sending alerts failed", extra={"error": str(error)})
            failed += [sequence for sequence, _ in chunk.values()]
            continue
        for entry in response.get("Failed", []):
            sequence, alert = chunk[int(entry["Id"])]
            logger.warning("Alert not queued", extra={
                "sequenceNumber": sequence, "transactionId": alert.transaction_id,
                "code": entry.get("Code")})
            failed.append(sequence)
    return failed


ItemKey = tuple[int, str]  # (timestamp, transactionId): the item's key, as order_key gives it


@dataclass
class StreamBatch:
    """A batch's readable INSERT records, by account and item key (the same item once).

    Keyed by the item, not by ``transactionId``: clients racing with one id can store it as
    two items (two timestamps), and each needs its verdict.
    """

    accounts: dict[str, dict[ItemKey, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict))  # account → item key → transaction
    # The item's first record in the batch: if it fails, delivery resumes from there.
    sequence_of: dict[ItemKey, str] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)  # sequence numbers


def read_batch(records: list[dict[str, Any]]) -> StreamBatch:
    batch = StreamBatch()
    for record in records:
        sequence = record["dynamodb"]["SequenceNumber"]
        # The mapping's filter drops both already: verdicts are MODIFYs, id guards no transaction.
        if record.get("eventName") != "INSERT" or is_id_guard(record["dynamodb"]["Keys"]):
            continue
        try:
            transaction = parse(record)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            logger.set_correlation_id(sequence)
            logger.error("Unreadable stream record", extra={"error": str(error)})
            batch.unreadable.append(sequence)
            continue
        key = order_key(transaction)
        batch.accounts[transaction["accountId"]][key] = transaction  # the latest image wins
        batch.sequence_of.setdefault(key, sequence)
    return batch


def _history_of(account: tuple[str, dict[ItemKey, dict[str, Any]]],
                ) -> list[dict[str, Any]] | Exception:
    account_id, by_id = account
    try:
        return account_history(account_id, list(by_id.values()))
    except (ClientError, BotoCoreError) as error:
        return error


def _days_of(entity: tuple[str, list[dict[str, Any]]]) -> list[EntityDay] | Exception:
    """The days an entity's batch transactions' features read, or the read's error."""
    name, transactions = entity
    days = [date.fromisoformat(day_of(transaction)) for transaction in transactions]
    try:
        return entity_days(name, first_day_needed(min(days), FOREST.label_delay_days),
                           max(days))
    except (ClientError, BotoCoreError) as error:
        return error


def _entities(batch: StreamBatch) -> dict[str, list[dict[str, Any]]]:
    """Each account's and merchant's entity key → its batch transactions, in order."""
    entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for by_id in batch.accounts.values():
        for transaction in by_id.values():
            entities[account_entity(transaction["accountId"])].append(transaction)
            entities[merchant_entity(transaction["merchantId"])].append(transaction)
    for transactions in entities.values():
        transactions.sort(key=order_key)
    return entities


def _model_input(transaction: dict[str, Any], entities: dict[str, list[dict[str, Any]]],
                 days: dict[str, list[EntityDay] | Exception]) -> ModelInput | Exception:
    """What the model reads for ``transaction``: stored days plus the batch's earlier ones."""
    read = []
    for entity in (account_entity(transaction["accountId"]),
                   merchant_entity(transaction["merchantId"])):
        if isinstance(days[entity], Exception):
            return days[entity]
        earlier = [t for t in entities[entity] if order_key(t) < order_key(transaction)]
        read.append(with_transactions(days[entity], entity, earlier, RATES))
    return ModelInput(FOREST, *read)


def score_batch(batch: StreamBatch) -> tuple[list[Analysis], list[str]]:
    """Verdicts of the batch's transactions; the sequence numbers left without one.

    The accounts' history queries (and, with a model, one Query per distinct account and
    merchant for their entity days) run side by side: a batch over many accounts would
    otherwise wait for them one after the other, most of its billed time.
    """
    analysed_at = iso_now()
    analyses: list[Analysis] = []
    unscored: list[str] = []
    accounts = list(batch.accounts.items())
    entities = _entities(batch) if FOREST else {}
    with ThreadPoolExecutor(max_workers=QUERIES_IN_FLIGHT) as pool:
        days_read = pool.map(_days_of, entities.items())
        histories = list(pool.map(_history_of, accounts))
        days = dict(zip(entities, days_read, strict=True))
    for (account_id, by_id), history in zip(accounts, histories, strict=True):
        transactions = list(by_id.values())
        if isinstance(history, Exception):
            logger.warning("History query failed", extra={
                "account": mask_account(account_id), "error": str(history)})
            unscored += [batch.sequence_of[order_key(t)] for t in transactions]
            continue
        for transaction, earlier in with_history(transactions, history, RULES.history_needed):
            model = _model_input(transaction, entities, days) if FOREST else None
            if isinstance(model, Exception):
                logger.warning("Entity days query failed", extra={
                    "account": mask_account(account_id), "error": str(model)})
                unscored.append(batch.sequence_of[order_key(transaction)])
                continue
            analyses.append(Analysis(batch.sequence_of[order_key(transaction)],
                                     transaction,
                                     score(transaction, earlier, RULES, RATES, model),
                                     analysed_at))
    return analyses, unscored


def alerts_of(outcome: WriteOutcome) -> list[tuple[str, Alert]]:
    """Alerts for new suspicious verdicts, and for stored ones whose alert may be lost."""
    alerts = [(analysis.sequence_number, Alert.from_item(analysis.analysed_item))
              for analysis in outcome.committed if analysis.verdict.status == SUSPICIOUS]
    alerts += [(analysis.sequence_number, Alert.from_item(stored))
               for analysis, stored in outcome.already
               if stored.get(FRAUD_STATUS) == SUSPICIOUS and NOTIFIED_AT not in stored]
    return alerts


def analyse(records: list[dict[str, Any]]) -> list[str]:
    """Process a stream batch; the sequence numbers of the records that failed, in order."""
    batch = read_batch(records)
    analyses, unscored = score_batch(batch)
    first_sequence = records[0]["dynamodb"]["SequenceNumber"] if records else "0"
    outcome = writer.write(analyses, shard_for(first_sequence))
    unqueued = send_alerts(alerts_of(outcome))
    _record_metrics(outcome.committed)
    _log_verdicts(outcome.committed)
    failed = {*batch.unreadable, *unscored, *(a.sequence_number for a in outcome.failed),
              *unqueued}
    return [record["dynamodb"]["SequenceNumber"] for record in records
            if record["dynamodb"]["SequenceNumber"] in failed]


def _log_verdicts(committed: list[Analysis]) -> None:
    for analysis in committed:
        logger.set_correlation_id(analysis.sequence_number)
        logger.info("Transaction analysed", extra={
            "transactionId": analysis.transaction["transactionId"],
            "account": mask_account(analysis.transaction["accountId"]),
            "status": analysis.verdict.status, "score": analysis.verdict.score,
            "reasons": analysis.verdict.codes})


def _record_metrics(committed: list[Analysis]) -> None:
    metrics.add_metric(name=TRANSACTIONS_ANALYSED, unit=MetricUnit.Count, value=len(committed))
    metrics.add_metric(name=TRANSACTIONS_FLAGGED, unit=MetricUnit.Count,
                       value=sum(a.verdict.status == SUSPICIOUS for a in committed))
    hits: dict[str, int] = defaultdict(int)
    for analysis in committed:
        for code in analysis.verdict.codes:
            hits[code] += 1
    for code, count in hits.items():
        with single_metric(name=RULE_HITS, unit=MetricUnit.Count, value=count,
                           namespace=NAMESPACE) as metric:
            metric.add_dimension(name=RULE_DIMENSION, value=code)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = analyse(event.get("Records", []))
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
