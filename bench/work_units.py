"""3. AWS calls per unit of work, and each unit's time, reads, writes and log volume.

Every unit runs its real handler on moto in-process (:mod:`bench.emulators`): the calls are
counted with botocore's ``before-call`` event (``tests/functions/aws_calls.py``), read units
from the pages returned, and the time is split into the emulator's share (what AWS would take)
and the handler's own (what Lambda bills). The events chain as in the pipeline: detect-fraud
scores stored transactions, notify-team receives the alerts detect-fraud queued, the report
reads what the verdicts left.
"""

import itertools
import math
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from common import entity_days, json_codec
from common import environment as env
from common.data_model import BY_ACCOUNT, BY_FLAGGED_DAY, TRANSACTIONS, Index
from common.features import days_needed
from common.rules import RuleConfig
from common.stats import StatsDelta, shard_for, stats_key, update_action
from common.transaction import id_guard_key, to_item
from detect_fraud.verdicts import CHUNK_SIZE

from bench.capacity import item_size, projected
from bench.cold_start import MODEL_OFF, MODEL_ON
from bench.emulators import EmulatedPlatform, Invocation, emulated_platform
from bench.stats import Summary
from shared.outputs import DataOutputs
from shared.settings import parse_settings
from tests.functions.events import api_event, sqs_event, stream_event
from tests.functions.pipeline import receive_all

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z
DAY = "2024-05-01"
DAY_START = 1_714_521_600_000  # 2024-05-01T00:00:00Z
HOUR_MS = 3_600_000
API_INVOCATIONS_PER_RUN = 20
# Records per detect-fraud invocation: fraud:streamBatchSize's default (full batches).
BATCH = parse_settings({}, stack="bench").stream_batch_size
TWI_CHUNK = CHUNK_SIZE  # verdicts per TransactWriteItems
SQS_BATCH = 10  # messages per SendMessageBatch: SQS's limit
CALLS_ACCOUNTS = 7  # the call-count batch: 100 records over 7 accounts, every 9th suspicious
CALLS_MERCHANTS = 5  # … and, with the model, over 5 merchants
COST_SUSPICIOUS = 2  # the cost batch: 100 records, 100 accounts, 2 % suspicious
LABEL_DELAY_DAYS = 7  # the shipped artifact's (functions/detect_fraud/model.json)
REPORT_FLAGGED_EVERY = 40  # the report days: the same 25 flagged among the first 1,000


@dataclass
class Unit:
    """One unit of work measured: its calls and units (one metered run), and its timings."""

    key: str
    name: str
    function: str
    promise: str
    calls: dict[str, int]
    kept: bool  # the counted calls keep the promise
    read_units: float
    log_bytes: float
    duration_ms: Summary
    own_ms: Summary
    emulator_ms: Summary
    runs: int
    invocations_per_run: int
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "duration_ms": self.duration_ms.as_dict(),
                "own_ms": self.own_ms.as_dict(), "emulator_ms": self.emulator_ms.as_dict()}


def _measure_unit(platform: EmulatedPlatform, package: str, events: Iterator[Any], runs: int,
                  per_run: int, check: Callable[[Invocation], None]) -> tuple[Invocation, dict]:
    """One metered invocation (calls, reads), then ``runs`` timed runs of ``per_run`` each."""
    metered = platform.invoke(package, next(events))
    check(metered)
    durations, own, logs = [], [], []
    for run in range(runs):
        platform.progress(f"{package}: run {run + 1}/{runs}")
        timed = [platform.invoke(package, next(events), metered=False) for _ in range(per_run)]
        for invocation in timed:
            check(invocation)
        durations.append(statistics.fmean(i.seconds for i in timed) * 1000)
        own.append(statistics.fmean(i.own_seconds for i in timed) * 1000)
        logs.append(statistics.fmean(i.log_bytes for i in timed))
    timings = {
        "duration_ms": Summary.of(durations),
        "own_ms": Summary.of(own),
        "emulator_ms": Summary.of([d - o for d, o in zip(durations, own, strict=True)]),
        "log_bytes": statistics.median(logs),
        "runs": runs, "invocations_per_run": per_run,
    }
    return metered, timings


def _unit(key: str, name: str, function: str, promise: str, metered: Invocation, timings: dict,
          kept: bool, **detail: Any) -> Unit:
    return Unit(key=key, name=name, function=function, promise=promise, calls=dict(metered.calls),
                kept=kept, read_units=metered.read_units, detail=detail, **timings)


def _expect(condition: Callable[[Any], bool], what: str) -> Callable[[Invocation], None]:
    def check(invocation: Invocation) -> None:
        if not condition(invocation.result):
            raise RuntimeError(f"{what} failed: {invocation.result!r}")
    return check


def transaction(transaction_id: str, account: str, amount: str, timestamp: int,
                **extra: Any) -> dict[str, Any]:
    """A transaction as process-transaction stores it (PENDING unless ``extra`` says more)."""
    return {"transactionId": transaction_id, "accountId": account, "amount": Decimal(amount),
            "currency": "EUR", "merchantId": "merchant-42", "merchantCategory": "5411",
            "country": "DE", "timestamp": timestamp, "channel": "online",
            "fraudStatus": "PENDING", **extra}


def with_model(platform: EmulatedPlatform, model: str) -> None:
    """detect-fraud started again with ``fraud:model`` = ``model`` (said explicitly: the
    stacks' default may change)."""
    platform.reload("detect_fraud", {env.MODEL: model})


def _store(platform: EmulatedPlatform, items: list[dict[str, Any]]) -> None:
    table = platform.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME]
    dynamodb = platform.client("dynamodb")
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": to_item(item)}} for item in items[start:start + 25]]})


def _stored_batches(platform: EmulatedPlatform, items_of_run: Callable[[int], list[dict[str, Any]]],
                    first_run: int, first_sequence: int,
                    batches: list[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """The stream events of run ``first_run``'s batch and the next ones, each batch stored in
    the table first (detect-fraud reads it back) and kept in ``batches``."""
    for run in itertools.count(first_run):
        items = items_of_run(run)
        _store(platform, items)
        batches.append(items)
        yield stream_event(items, first_sequence=first_sequence + run * 1_000)


def _stored(platform: EmulatedPlatform, item: dict[str, Any]) -> dict[str, Any]:
    """The item as the table holds it now, in DynamoDB's typed JSON."""
    return platform.client("dynamodb").get_item(
        TableName=platform.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], ConsistentRead=True,
        Key={"transactionId": {"S": item["transactionId"]},
             "timestamp": {"N": str(item["timestamp"])}})["Item"]


def _suspicious(platform: EmulatedPlatform, items: list[dict[str, Any]]) -> int:
    return sum(_stored(platform, item)["fraudStatus"]["S"] == "SUSPICIOUS" for item in items)


def _alert_bodies(platform: EmulatedPlatform) -> list[str]:
    """Every alert detect-fraud queued so far, taken off the queue."""
    url = platform.outputs[DataOutputs.ALERTS_QUEUE_URL]
    return [message["Body"] for message in receive_all(platform.session, url)]


def api_units(platform: EmulatedPlatform, runs: int) -> tuple[list[Unit], dict[str, Any]]:
    """POST (with and without a client id) and GET; and the item a POST stores."""
    body = {"accountId": "acc-000123", "amount": Decimal("125.40"), "currency": "EUR",
            "merchantId": "merchant-42", "merchantCategory": "5411", "country": "DE",
            "channel": "online"}
    created: list[str] = []

    def posts(with_id: bool) -> Iterator[dict[str, Any]]:
        for number in itertools.count():
            client_id = {"transactionId": f"client-{number:07d}"} if with_id else {}
            yield api_event("POST", "/transactions", json_codec.dumps({**body, **client_id}))

    def gets() -> Iterator[dict[str, Any]]:
        while True:
            for transaction_id in created:
                yield api_event("GET", f"/transactions/{transaction_id}",
                                path_parameters={"id": transaction_id})

    def stored_201(result: Any) -> bool:
        if result["statusCode"] == 201:
            created.append(json_codec.loads(result["body"])["transactionId"])
            return True
        return False

    units = []
    metered, timings = _measure_unit(platform, "process_transaction", posts(False), runs,
                                     API_INVOCATIONS_PER_RUN, _expect(stored_201, "POST"))
    units.append(_unit("post", "POST without transactionId", "process-transaction", "1 write",
                       metered, timings, dict(metered.calls) == {"DynamoDB.PutItem": 1}))
    pending_item = _stored(platform, json_codec.loads(metered.result["body"]))
    metered, timings = _measure_unit(platform, "process_transaction", posts(True), runs,
                                     API_INVOCATIONS_PER_RUN, _expect(stored_201, "POST"))
    units.append(_unit("post_with_id", "POST with a client transactionId",
                       "process-transaction", "1 read + 1 transaction (the item, its id guard)",
                       metered, timings, dict(metered.calls) == {
                           "DynamoDB.Query": 1, "DynamoDB.TransactWriteItems": 1}))
    metered, timings = _measure_unit(platform, "process_transaction", gets(), runs,
                                     API_INVOCATIONS_PER_RUN,
                                     _expect(lambda r: r["statusCode"] == 200, "GET"))
    units.append(_unit("get", "GET /transactions/{id}", "process-transaction", "1 read", metered,
                       timings, dict(metered.calls) == {"DynamoDB.Query": 1}))
    return units, pending_item


def _succeeded(invocation: Invocation) -> None:
    if invocation.result["batchItemFailures"]:
        raise RuntimeError(f"records failed: {invocation.result!r}")


def call_count_units(platform: EmulatedPlatform, runs: int) -> list[Unit]:
    """detect-fraud on the tests' batch (7 accounts, every 9th suspicious), without and with
    the model (5 merchants); notify-team on 10 of the alerts."""
    units = []
    for model, prefix, first_run in ((MODEL_OFF, "calls", 0), (MODEL_ON, "model", 100)):
        with_model(platform, model)
        batches: list[list[dict[str, Any]]] = []

        def call_count_items(run: int, prefix: str = prefix) -> list[dict[str, Any]]:
            return [transaction(f"{prefix}-{run:03d}-{n:03d}", f"acc-{n % CALLS_ACCOUNTS}",
                                "50000.00" if n % 9 == 0 else "12.00",
                                T0 + run * 10 * HOUR_MS + n * 30_000,
                                merchantId=f"merchant-{n % CALLS_MERCHANTS}")
                    for n in range(BATCH)]

        events = _stored_batches(platform, call_count_items, first_run, 1_000_000, batches)
        metered, timings = _measure_unit(platform, "detect_fraud", events, runs, 1, _succeeded)
        suspicious = _suspicious(platform, batches[0])
        updates = _entity_day_updates(batches[0])
        if model == MODEL_OFF:
            units.append(_unit(
                "detect_calls",
                f"detect-fraud, N={BATCH} records over A={CALLS_ACCOUNTS} accounts, "
                f"S={suspicious} suspicious", "detect-fraud",
                f"≤ A reads, ⌈N/{TWI_CHUNK}⌉ transactions, ⌈S/{SQS_BATCH}⌉ SQS calls",
                metered, timings, _detect_kept(metered.calls, CALLS_ACCOUNTS, suspicious),
                records=BATCH, accounts=CALLS_ACCOUNTS, suspicious=suspicious,
                entity_day_updates=updates))
            continue
        units.append(_unit(
            "detect_model_calls",
            f"detect-fraud with fraud:model={MODEL_ON}, N={BATCH} records over "
            f"A={CALLS_ACCOUNTS} accounts and M={CALLS_MERCHANTS} merchants, S={suspicious} "
            "suspicious", "detect-fraud",
            f"≤ A history + A + M entity-day reads, ⌈N/{TWI_CHUNK}⌉ transactions, "
            f"⌈S/{SQS_BATCH}⌉ SQS calls",
            metered, timings,
            _detect_kept(metered.calls, 2 * CALLS_ACCOUNTS + CALLS_MERCHANTS, suspicious),
            records=BATCH, accounts=CALLS_ACCOUNTS, merchants=CALLS_MERCHANTS,
            suspicious=suspicious, entity_day_updates=updates))
    return [*units, _notify_unit("notify_calls", platform, _alert_bodies(platform), SQS_BATCH,
                                 runs)]


def _entity_day_updates(items: list[dict[str, Any]]) -> int:
    """Entity-day actions the verdicts' transactions hold: one per account and merchant day in
    each chunk (``detect_fraud.verdicts`` adds a chunk's transactions of one day together)."""
    return sum(len({(entity, entity_days.day_of(item)) for item in items[start:start + TWI_CHUNK]
                    for entity in entity_days.entities_of(item)})
               for start in range(0, len(items), TWI_CHUNK))


def _seed_entity_days(platform: EmulatedPlatform, entities: list[str], last_day: str) -> None:
    """Every day the features read, for each entity: a full window (the largest page)."""
    table = platform.outputs[DataOutputs.FEATURES_TABLE_NAME]
    last = date.fromisoformat(last_day)
    days = [(last - timedelta(days=age)).isoformat()
            for age in range(days_needed(LABEL_DELAY_DAYS))]
    items = [{"entity": {"S": entity}, "day": {"S": day}, entity_days.TRANSACTIONS: {"N": "3"},
              entity_days.AMOUNT_SUM: {"N": "165.00"}, entity_days.LABELLED_GENUINE: {"N": "3"},
              "expiresAt": {"N": str(entity_days.expires_at(day))}}
             for entity in entities for day in days]
    dynamodb = platform.client("dynamodb")
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": item}} for item in items[start:start + 25]]})


def cost_units(platform: EmulatedPlatform, runs: int, pending_item: dict[str, Any]
               ) -> tuple[list[Unit], dict[str, Any]]:
    """The cost model's batch: 100 accounts with a full history each, 2 % suspicious.

    On its own data layer: moto answers an index query by reading the whole table.
    """
    accounts = [f"cost-acct-{n:03d}" for n in range(BATCH)]
    merchants = [f"cost-merchant-{n:03d}" for n in range(BATCH)]
    history = RuleConfig().history_needed
    _store(platform, [transaction(f"hist-{a}-{k:02d}", account, f"{40 + k}.00",
                                  T0 - (history - k) * HOUR_MS, fraudStatus="CLEAR")
                      for a, account in enumerate(accounts) for k in range(history)])
    _seed_entity_days(platform, [entity for pair in zip(accounts, merchants, strict=True)
                                 for entity in (entity_days.account_entity(pair[0]),
                                                entity_days.merchant_entity(pair[1]))], DAY)
    units = []
    # The model's runs follow the rules-only ones, half an hour apart, all on DAY.
    for model, first_run in ((MODEL_OFF, 0), (MODEL_ON, runs + 1)):
        with_model(platform, model)
        cost_batches: list[list[dict[str, Any]]] = []

        def cost_items(run: int) -> list[dict[str, Any]]:
            return [transaction(f"cost-{run:03d}-{n:03d}", account,
                                "25000.00" if n < COST_SUSPICIOUS else "55.00",
                                T0 + (run + 1) * HOUR_MS // 2 + n * 1_000,
                                merchantId=merchants[n])
                    for n, account in enumerate(accounts)]

        events = _stored_batches(platform, cost_items, first_run, 5_000_000, cost_batches)
        metered, timings = _measure_unit(platform, "detect_fraud", events, runs, 1, _succeeded)
        suspicious = _suspicious(platform, cost_batches[0])
        reads = BATCH if model == MODEL_OFF else 3 * BATCH
        what = ("" if model == MODEL_OFF else
                f" with fraud:model={MODEL_ON}, M={BATCH} merchants, a full window of entity "
                "days each")
        units.append(_unit(
            "detect_cost" if model == MODEL_OFF else "detect_model_cost",
            f"detect-fraud{what}, N={BATCH} records over A={BATCH} accounts with history, "
            f"S={suspicious} suspicious (the cost model's batch)", "detect-fraud",
            ("≤ A reads" if model == MODEL_OFF else "≤ A history + A + M entity-day reads")
            + f", ⌈N/{TWI_CHUNK}⌉ transactions, ⌈S/{SQS_BATCH}⌉ SQS calls",
            metered, timings, _detect_kept(metered.calls, reads, suspicious),
            records=BATCH, accounts=BATCH, merchants=BATCH, suspicious=suspicious,
            stats_updates=_stats_updates(cost_batches[0]),
            entity_day_updates=_entity_day_updates(cost_batches[0])))
        if model == MODEL_OFF:
            first_batch = cost_batches[0]
    alerts = _alert_bodies(platform)
    notify = _notify_unit("notify_cost", platform, alerts, COST_SUSPICIOUS, runs)
    sizes = _item_sizes(platform, pending_item, first_batch[:COST_SUSPICIOUS],
                        first_batch[COST_SUSPICIOUS:], alerts)
    return [*units, notify], sizes


def _detect_kept(calls: dict[str, int], accounts: int, suspicious: int) -> bool:
    """≤ A Query, exactly ⌈N/25⌉ TransactWriteItems and ⌈S/10⌉ SendMessageBatch, nothing else."""
    exact = {"DynamoDB.TransactWriteItems": math.ceil(BATCH / TWI_CHUNK),
             "SQS.SendMessageBatch": math.ceil(suspicious / SQS_BATCH)}
    others = set(calls) - {"DynamoDB.Query", *exact}
    return (not others and calls.get("DynamoDB.Query", 0) <= accounts
            and all(calls.get(name, 0) == count for name, count in exact.items()))


def _notify_unit(key: str, platform: EmulatedPlatform, alerts: list[str], per_batch: int,
                 runs: int) -> Unit:
    needed = per_batch * (runs + 1)
    if len(alerts) < needed:
        raise RuntimeError(f"{len(alerts)} alerts queued, {needed} needed")
    arn = platform.outputs[DataOutputs.ALERTS_QUEUE_ARN]
    events = (sqs_event(alerts[start:start + per_batch], arn)
              for start in range(0, needed, per_batch))
    metered, timings = _measure_unit(platform, "notify_team", events, runs, 1, _succeeded)
    return _unit(key, f"notify-team, a batch of K={per_batch} alerts", "notify-team",
                 f"1 publish + {2 * per_batch} conditional writes (a claim and a confirmation "
                 "each)", metered, timings,
                 dict(metered.calls) == {"SNS.Publish": 1, "DynamoDB.UpdateItem": 2 * per_batch},
                 alerts=per_batch, alert_message_bytes=statistics.median(map(len, alerts)))


def _stats_updates(items: list[dict[str, Any]]) -> int:
    """Stats items one batch's transactions update: one per chunk and UTC hour it spans."""
    return sum(len({stats_key(item["timestamp"], 0) for item in items[start:start + TWI_CHUNK]})
               for start in range(0, len(items), TWI_CHUNK))


def _index_attributes(index: Index) -> tuple[str, ...]:
    return (TRANSACTIONS.hash_key.name, TRANSACTIONS.range_key.name, index.hash_key.name,
            index.range_key.name, *index.non_key_attributes)


def _item_sizes(platform: EmulatedPlatform, pending: dict[str, Any],
                suspicious: list[dict[str, Any]], clear: list[dict[str, Any]],
                alerts: list[str]) -> dict[str, Any]:
    """Bytes of the items as the pipeline leaves them: what DynamoDB bills writes by."""
    flagged = _stored(platform, suspicious[0])
    cleared = _stored(platform, clear[0])
    stats = platform.client("dynamodb").query(
        TableName=platform.outputs[DataOutputs.STATS_TABLE_NAME],
        KeyConditionExpression="#d = :d", ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":d": {"S": DAY}})["Items"]
    return {
        "pending_item_bytes": item_size(pending),
        "id_guard_bytes": item_size(id_guard_key(pending["transactionId"]["S"])),
        "clear_item_bytes": item_size(cleared),
        "suspicious_item_bytes": item_size(flagged),
        "by_account_entry_bytes": item_size(projected(pending, _index_attributes(BY_ACCOUNT))),
        "by_flagged_day_entry_bytes": item_size(
            projected(flagged, _index_attributes(BY_FLAGGED_DAY))),
        "stats_item_bytes": max(item_size(item) for item in stats),
        "entity_day_item_bytes": max(item_size(item) for item in platform.client(
            "dynamodb").query(
            TableName=platform.outputs[DataOutputs.FEATURES_TABLE_NAME],
            KeyConditionExpression="#e = :e", ExpressionAttributeNames={"#e": "entity"},
            ExpressionAttributeValues={":e": {"S": entity_days.merchant_entity(
                clear[0]["merchantId"])}})["Items"]),
        "alert_message_bytes": statistics.median(map(len, alerts)) if alerts else 0,
    }


def report_units(platform: EmulatedPlatform, runs: int) -> list[Unit]:
    """The same report for 1,000 and then 10,000 transactions with the same flagged set."""
    measured = []
    written = 0
    for total in (1_000, 10_000):
        _write_day(platform, written, total - written)
        written = total
        measured.append((total, *_measure_unit(
            platform, "generate_report", iter(lambda: {"day": DAY}, None), runs, 1,
            _expect(lambda r, total=total: r["transactions"] == total, "the report"))))
    same = len({frozenset(metered.calls.items()) for _, metered, _ in measured}) == 1
    return [_unit(f"report_{total // 1000}k",
                  f"generate-report, {total:,} transactions, {metered.result['flagged']} flagged",
                  "generate-report", "the same calls for 1,000 and 10,000", metered, timings,
                  same, transactions=total, flagged=metered.result["flagged"])
            for total, metered, timings in measured]


def _write_day(platform: EmulatedPlatform, first: int, count: int) -> None:
    """``count`` more transactions of DAY as the pipeline leaves them: analysed items, stats."""
    deltas: dict[tuple[str, str], StatsDelta] = {}
    items = []
    for n in range(first, first + count):
        flagged = n < 1_000 and n % REPORT_FLAGGED_EVERY == 0
        item = transaction(f"day-{n:06d}", f"acct-{n % 500:04d}",
                           "20000.00" if flagged else "12.34", DAY_START + n * 8_000,
                           fraudStatus="SUSPICIOUS" if flagged else "CLEAR",
                           fraudScore=60 if flagged else 0,
                           fraudReasons=["HIGH_AMOUNT"] if flagged else [],
                           analyzedAt="2024-05-01T12:00:00.000Z",
                           **({"flaggedDay": DAY} if flagged else {}))
        items.append(item)
        key = stats_key(item["timestamp"], shard_for(str(n // BATCH)))
        deltas.setdefault(key, StatsDelta()).add(item["currency"], item["amount"], flagged,
                                                 item["fraudReasons"])
    _store(platform, items)
    dynamodb = platform.client("dynamodb")
    for key, delta in deltas.items():
        dynamodb.update_item(**update_action(platform.outputs[DataOutputs.STATS_TABLE_NAME],
                                             key, delta))


def measure(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    with emulated_platform("bench-units", progress) as platform:
        progress("POST and GET through process-transaction")
        units, pending_item = api_units(platform, runs)
        progress("detect-fraud on the tests' 100-record batch, notify-team on 10 of its alerts")
        units += call_count_units(platform, runs)
    with emulated_platform("bench-cost", progress) as platform:
        progress("detect-fraud on 100 accounts with history, notify-team on its 2 alerts")
        cost, sizes = cost_units(platform, runs, pending_item)
        units += cost
    with emulated_platform("bench-report", progress) as platform:
        progress("generate-report for 1,000 then 10,000 transactions")
        units += report_units(platform, runs)
    return {"runs": runs, "units": [unit.as_dict() for unit in units], "item_sizes": sizes}
