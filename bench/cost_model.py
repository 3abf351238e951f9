"""5. What a million transactions cost in AWS, and what the platform costs a month when idle.

Pure arithmetic: the counted calls, item sizes, log bytes and measured durations of the work
units (:mod:`bench.work_units`), the cold starts (:mod:`bench.cold_start`), the platform's
facts (:mod:`bench.platform_facts`) and the list prices (:mod:`bench.prices`), under the
:class:`Assumptions` below, which say what was not measured. Every line says how its
quantity was obtained.
"""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from common.transaction import ALERT_CLAIMED_AT, LABEL, LABEL_SOURCE, LABELLED_AT, NOTIFIED_AT
from detect_fraud.history import QUERIES_IN_FLIGHT

from bench.capacity import TRANSACTIONAL_FACTOR, number_size, write_units
from bench.cold_start import MODEL_ON
from bench.platform_facts import PlatformFacts
from bench.prices import PRICES, price

MILLION = 1_000_000
HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 365 / 12
GB = 1024 ** 3
# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB.
MB_PER_VCPU = 1769
# DynamoDB stores 100 bytes of overhead with every item and every index entry.
ITEM_OVERHEAD_BYTES = 100
NOTIFIED_AT_BYTES = len(NOTIFIED_AT) + len("2024-05-01T12:00:01.000Z")
ALERT_CLAIM_BYTES = len(ALERT_CLAIMED_AT) + number_size("1714564801000")  # epoch ms
START_UP = ("startup", "boto3", "clients", "imports")  # cold start phases before the event
# What a label adds to its transaction: the longest label and source, and when.
LABEL_BYTES = (len(LABEL) + len("GENUINE") + len(LABEL_SOURCE) + len("CHARGEBACK")
               + len(LABELLED_AT) + len("2024-05-01T12:00:01.000Z"))


@dataclass(frozen=True)
class Assumptions:
    """What the model assumes rather than measures. Change one and rerun ``make bench``."""

    suspicious_share: float = 0.02  # of transactions flagged (the cost batch: 2 in 100)
    # POSTs carrying the client's own transactionId, the key a retrying client needs: each is
    # a lookup and a transaction (the item and its id guard) instead of one PutItem.
    client_id_share: float = 1.0
    gets_per_transaction: float = 1.0  # the client reads each verdict back once
    # Transactions labelled through PUT /transactions/{id}/label: each alert, once.
    labelled_share: float = 0.02
    cold_start_share: float = 0.001  # invocations that start a new execution environment
    # Lambda's own START, END and REPORT lines per invocation.
    platform_log_bytes_per_invocation: int = 330
    # The alerts mapping's ReceiveMessage and DeleteMessageBatch per digest.
    sqs_requests_per_digest: int = 2
    kms_requests_per_publish: float = 1.0  # SNS asks KMS for a data key (upper bound)
    emails_per_digest: int = 1  # one subscribed address (fraud:alertEmail)
    # Idle polling of the alerts queue by its event source mapping: 5 long polls of 20 s.
    idle_sqs_receives_per_month: int = 5 * 3 * 60 * HOURS_PER_MONTH
    # Data keys the services cache about 5 minutes: DynamoDB (2 tables), SQS (sender and
    # receiver), S3 (bucket key), CloudWatch Logs (5 groups): ~10 users x 12 an hour.
    kms_cached_key_requests_per_month: int = 10 * 12 * HOURS_PER_MONTH
    # VPC flow log records a month: the functions' network interfaces (Lambda's shared ones,
    # about one per subnet and security group) to the endpoints, one record per flow per 10-
    # minute aggregation, plus rejected probes; estimated, not measured (the emulator has no
    # VPC). ~110 bytes a record in the default format.
    flow_log_records_per_month: int = 2_000 * HOURS_PER_MONTH
    flow_log_record_bytes: int = 110
    # S3 server access log records of the reports bucket a month: the daily report's PUTs and
    # a few reads of them a day; ~350 bytes each, kept as long as the reports.
    report_bucket_requests_per_month: int = 10 * 31
    access_log_record_bytes: int = 350
    # Typical in-region latency of each call from a function, in ms (not measured here).
    latency_ms: Mapping[str, float] = field(default_factory=lambda: {
        "DynamoDB.PutItem": 6, "DynamoDB.Query": 6, "DynamoDB.UpdateItem": 6,
        "DynamoDB.TransactWriteItems": 20, "SQS.SendMessageBatch": 10, "SNS.Publish": 20,
        "S3.PutObject": 30,
    })

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "latency_ms": dict(self.latency_ms)}


@dataclass(frozen=True)
class UnitCost:
    """What the model needs of one measured unit of work."""

    calls: Mapping[str, int]
    own_ms: float  # median handler + botocore time on this machine, emulator time excluded
    read_units: float
    log_bytes: float
    # Calls of a kind the handler makes side by side (detect-fraud's history queries): they
    # wait for AWS together, in rounds of this many.
    in_flight: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Measured:
    post: UnitCost  # without a client transactionId
    post_with_id: UnitCost
    get: UnitCost
    detect_batch: UnitCost  # the cost batch: BATCH records, one account and merchant each
    detect_model_batch: UnitCost  # the same with fraud:model default (its entity-day reads)
    detect_batch_records: int
    detect_stats_updates: int  # stats items the batch's transactions updated
    detect_entity_day_updates: int  # entity-day actions in the batch's verdict transactions
    digest: UnitCost  # notify-team on one stream batch's alerts, which arrive together
    digest_alerts: int
    report: UnitCost  # generate-report for 10,000 transactions
    init_ms: Mapping[str, float]  # cold start before the first event, by function id
    detect_init_ms_model: float  # detect-fraud's with fraud:model default (the artifact read)
    item_bytes: Mapping[str, float]


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    basis: str

    @property
    def cost(self) -> float:
        return self.quantity * self.unit_price

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cost": self.cost}


def cpu_factor(memory_mb: int) -> float:
    """How much slower a function runs than on one full core of this machine."""
    return max(1.0, MB_PER_VCPU / memory_mb)


def billed_ms(unit: UnitCost, assumptions: Assumptions, memory_mb: int) -> int:
    """Lambda's billed duration: own work at the function's CPU share plus the calls' latency
    (calls made side by side wait together)."""
    waiting = sum(math.ceil(count / unit.in_flight.get(name, 1)) * assumptions.latency_ms[name]
                  for name, count in unit.calls.items())
    return math.ceil(unit.own_ms * cpu_factor(memory_mb) + waiting)


@dataclass(frozen=True)
class Volumes:
    """Invocations and items per million transactions, from the assumptions."""

    posts: float
    gets: float
    batches: float
    alerts: float
    digests: float

    @classmethod
    def of(cls, measured: Measured, assumptions: Assumptions) -> "Volumes":
        alerts = MILLION * assumptions.suspicious_share
        return cls(posts=MILLION, gets=MILLION * assumptions.gets_per_transaction,
                   batches=MILLION / measured.detect_batch_records, alerts=alerts,
                   digests=alerts / measured.digest_alerts)


def per_million(measured: Measured, facts: PlatformFacts, assumptions: Assumptions,
                with_model: bool = False) -> list[Line]:
    """The cost of one million transactions, service by service: rules only, or
    ``with_model`` (detect-fraud's measured batch and cold start with ``fraud:model``
    default)."""
    v = Volumes.of(measured, assumptions)
    detect = measured.detect_model_batch if with_model else measured.detect_batch
    init_ms = {**measured.init_ms,
               **({"detect-fraud": measured.detect_init_ms_model} if with_model else {})}
    share = assumptions.suspicious_share
    memory = facts.lambda_memory_mb
    size = measured.item_bytes
    lines: list[Line] = []

    def add(service: str, item: str, quantity: float, key: str, basis: str,
            unit: str | None = None) -> None:
        lines.append(Line(service, item, quantity, unit or PRICES[key].unit, price(key), basis))

    requests = v.posts + v.gets
    add("API Gateway", "REST API requests", requests, "apigateway.request",
        f"1 POST + {assumptions.gets_per_transaction:g} GET per transaction")
    if facts.waf:
        add("AWS WAF", "requests inspected", requests, "waf.request",
            "every request to the stage (fraud:waf)", unit="request")

    invocations = {"process-transaction": requests, "detect-fraud": v.batches,
                   "notify-team": v.digests}
    add("Lambda", "requests", sum(invocations.values()), "lambda.request",
        f"process-transaction {requests:,.0f}, detect-fraud {v.batches:,.0f} "
        f"(batches of {measured.detect_batch_records}), notify-team {v.digests:,.0f} "
        f"(digests of {measured.digest_alerts} alerts)")
    keyed = assumptions.client_id_share
    durations = {  # what is billed: (invocations, ms each)
        "POST": (v.posts * (1 - keyed), billed_ms(measured.post, assumptions, memory)),
        "POST with id": (v.posts * keyed, billed_ms(measured.post_with_id, assumptions, memory)),
        "GET": (v.gets, billed_ms(measured.get, assumptions, memory)),
        "batch": (v.batches, billed_ms(detect, assumptions, memory)),
        "digest": (v.digests, billed_ms(measured.digest, assumptions, memory)),
    }
    gb_seconds = sum(count * ms / 1000 * memory / 1024 for count, ms in durations.values())
    cold = sum(invocations[function] * assumptions.cold_start_share
               * init_ms[function] * cpu_factor(memory) / 1000 * memory / 1024
               for function in invocations)
    add("Lambda", f"duration at {memory} MB", gb_seconds + cold, "lambda.gb_second",
        "billed ms per invocation: " + ", ".join(
            f"{name} {ms}" for name, (_, ms) in durations.items())
        + f"; plus {assumptions.cold_start_share:.1%} cold starts billed for their start-up",
        unit="GB-second")

    pending, by_account = size["pending_item_bytes"], size["by_account_entry_bytes"]
    verdict_units = ((1 - share) * write_units(size["clear_item_bytes"], transactional=True)
                     + share * write_units(size["suspicious_item_bytes"], transactional=True))
    stats_units = (measured.detect_stats_updates / measured.detect_batch_records
                   * write_units(size["stats_item_bytes"], transactional=True))
    suspicious = size["suspicious_item_bytes"]
    claim_units = share * (write_units(suspicious + ALERT_CLAIM_BYTES)  # the claim
                           + write_units(suspicious + max(ALERT_CLAIM_BYTES, NOTIFIED_AT_BYTES)))
    post_units = ((1 - keyed) * write_units(pending)
                  + keyed * (write_units(pending, transactional=True)
                             + write_units(size["id_guard_bytes"], transactional=True)))
    add("DynamoDB", "writes: the POST's item (with its id guard) and its byAccount entry",
        v.posts * (post_units + write_units(by_account)), "dynamodb.write_unit",
        f"item {pending:.0f} B, index entry {by_account:.0f} B; {keyed:.0%} with a client id: "
        f"item and id guard ({size['id_guard_bytes']:.0f} B) in one transaction, "
        f"{TRANSACTIONAL_FACTOR} units each", unit="write request unit")
    add("DynamoDB", "writes: verdicts (transactional) and their byFlaggedDay entries",
        MILLION * (verdict_units + share * write_units(size["by_flagged_day_entry_bytes"])),
        "dynamodb.write_unit",
        f"{TRANSACTIONAL_FACTOR} units per item in a transaction; CLEAR item "
        f"{size['clear_item_bytes']:.0f} B, SUSPICIOUS {size['suspicious_item_bytes']:.0f} B",
        unit="write request unit")
    entity_units = (measured.detect_entity_day_updates / measured.detect_batch_records
                    * write_units(size["entity_day_item_bytes"], transactional=True))
    add("DynamoDB", "writes: the entity days (account and merchant) in the verdicts' "
        "transactions", MILLION * entity_units, "dynamodb.write_unit",
        f"{measured.detect_entity_day_updates} entity-day updates per batch of "
        f"{measured.detect_batch_records} (one account and one merchant each), item "
        f"{size['entity_day_item_bytes']:.0f} B, {TRANSACTIONAL_FACTOR} units each; "
        "made with the model on or off", unit="write request unit")
    add("DynamoDB", "writes: the day's aggregates and the alerts' claims",
        MILLION * (stats_units + claim_units), "dynamodb.write_unit",
        f"{measured.detect_stats_updates} stats items per batch, transactional; a claim "
        "and a confirmation per alert", unit="write request unit")
    post_reads = (1 - keyed) * measured.post.read_units + keyed * measured.post_with_id.read_units
    reads = (v.gets * measured.get.read_units + v.posts * post_reads
             + v.batches * detect.read_units)
    queries = detect.calls.get("DynamoDB.Query", 0)
    add("DynamoDB", "reads: GETs, id lookups and detect-fraud's history "
        + ("and entity-day queries" if with_model else "queries"), reads,
        "dynamodb.read_unit",
        f"GET {measured.get.read_units:g} and the id lookup of a POST with a client id "
        f"{measured.post_with_id.read_units:g} (strongly consistent), batch "
        f"{detect.read_units:g} ({queries} eventually consistent queries"
        + (": the accounts' history, the accounts' and merchants' entity days"
           if with_model else " of the index") + "), from the pages returned",
        unit="read request unit")
    add("DynamoDB", "stream reads", 0, "dynamodb.stream_read_unit",
        "free: the stream is read by a Lambda trigger", unit="stream read request unit")

    sends = v.batches * detect.calls.get("SQS.SendMessageBatch", 0)
    add("SQS", "requests", sends + v.digests * assumptions.sqs_requests_per_digest,
        "sqs.request",
        f"{sends:,.0f} SendMessageBatch (counted), {assumptions.sqs_requests_per_digest} "
        "mapping requests per digest", unit="request")
    publishes = v.digests * measured.digest.calls.get("SNS.Publish", 0)
    add("SNS", "publishes", publishes, "sns.publish", "1 digest per notify-team batch (counted)",
        unit="publish")
    add("SNS", "emails", publishes * assumptions.emails_per_digest, "sns.email",
        f"{assumptions.emails_per_digest} subscribed address", unit="email")

    cold_starts = sum(invocations.values()) * assumptions.cold_start_share
    add("KMS", "requests", publishes * assumptions.kms_requests_per_publish + cold_starts,
        "kms.request", "a data key per encrypted publish; a Decrypt of the environment per "
        "cold start; the services' cached data keys are in the fixed cost", unit="request")
    add("S3", "requests", 0, "s3.put", "the report is daily: in the fixed cost",
        unit="PUT request")

    platform_bytes = assumptions.platform_log_bytes_per_invocation
    post_log_bytes = ((1 - keyed) * measured.post.log_bytes
                      + keyed * measured.post_with_id.log_bytes)
    log_bytes = (v.posts * (post_log_bytes + platform_bytes)
                 + v.gets * (measured.get.log_bytes + platform_bytes)
                 + requests * facts.access_log_line_bytes
                 + v.batches * (detect.log_bytes + platform_bytes)
                 + v.digests * (measured.digest.log_bytes + platform_bytes))
    add("CloudWatch Logs", "ingestion", log_bytes / GB, "logs.ingest_gb",
        f"per POST {post_log_bytes:.0f} B, GET {measured.get.log_bytes:.0f} B, batch "
        f"{detect.log_bytes:,.0f} B, digest {measured.digest.log_bytes:.0f} B "
        f"(measured, EMF metrics included), {platform_bytes} B of Lambda's lines per "
        f"invocation, {facts.access_log_line_bytes} B of access log per request",
        unit="GB")
    add("CloudWatch Logs", "storage", log_bytes / GB * facts.log_retention_days
        / DAYS_PER_MONTH, "logs.storage_gb_month",
        f"kept {facts.log_retention_days} days; uncompressed size (an upper bound)",
        unit="GB-month")

    endpoint_bytes = (v.alerts * size["alert_message_bytes"] * 2  # sent, then received
                      + publishes * measured.digest_alerts * size["alert_message_bytes"])
    add("VPC endpoints", "data processed (SQS, SNS)", endpoint_bytes / GB, "privatelink.gb",
        "alerts in and out of the queue, digests to SNS; DynamoDB and S3 use gateway "
        "endpoints (free)", unit="GB")
    lines += labels(measured, facts, assumptions)
    return lines


def labels(measured: Measured, facts: PlatformFacts, assumptions: Assumptions) -> list[Line]:
    """The label route per million transactions: a request, a strongly consistent lookup and
    one transaction of three writes (the label on the item, its account's and merchant's day;
    counted in tests/functions/test_labels.py). Its duration and log bytes are those of a POST
    with a client id, measured, which makes the same two calls."""
    count = MILLION * assumptions.labelled_share
    size = measured.item_bytes
    memory = facts.lambda_memory_mb
    proxy = measured.post_with_id
    lines: list[Line] = []

    def add(service: str, item: str, quantity: float, key: str, basis: str, unit: str) -> None:
        lines.append(Line(service, item, quantity, unit, price(key), basis))

    share = f"{assumptions.labelled_share:.0%} of transactions labelled (each alert once)"
    add("API Gateway", "labels: PUT /transactions/{id}/label", count, "apigateway.request",
        share, "request")
    if facts.waf:
        add("AWS WAF", "labels: requests inspected", count, "waf.request", share, "request")
    add("Lambda", "labels: requests", count, "lambda.request", share, "request")
    ms = billed_ms(proxy, assumptions, memory)
    add("Lambda", f"labels: duration at {memory} MB", count * ms / 1000 * memory / 1024,
        "lambda.gb_second", f"{ms} ms each, as a POST with a client id (the same calls)",
        "GB-second")
    label_item = size["suspicious_item_bytes"] + LABEL_BYTES
    units = (write_units(label_item, transactional=True)
             + 2 * write_units(size["entity_day_item_bytes"], transactional=True))
    add("DynamoDB", "labels: writes (the item and its two entity days, one transaction)",
        count * units, "dynamodb.write_unit",
        f"labelled item {label_item:.0f} B, entity day {size['entity_day_item_bytes']:.0f} B, "
        f"{TRANSACTIONAL_FACTOR} units each", "write request unit")
    add("DynamoDB", "labels: reads (the strongly consistent lookup)",
        count * proxy.read_units, "dynamodb.read_unit",
        f"{proxy.read_units:g} per label, as the id lookup of a POST", "read request unit")
    log_bytes = count * (proxy.log_bytes + assumptions.platform_log_bytes_per_invocation
                         + facts.access_log_line_bytes)
    add("CloudWatch Logs", "labels: ingestion", log_bytes / GB, "logs.ingest_gb",
        "as a POST with a client id, Lambda's lines and the access log", "GB")
    return lines


def fixed_monthly(measured: Measured, facts: PlatformFacts,
                  assumptions: Assumptions) -> list[Line]:
    """What the platform costs a month before its first transaction."""
    lines: list[Line] = []

    def add(service: str, item: str, quantity: float, key: str, basis: str, unit: str) -> None:
        lines.append(Line(service, item, quantity, unit, price(key), basis))

    if facts.waf:
        add("AWS WAF", "the stage's web ACL", 1, "waf.web_acl_month", "fraud:waf (default on)",
            "web ACL")
        add("AWS WAF", "its rules", facts.waf_rules, "waf.rule_month",
            "per-source rate rule and 2 AWS managed rule groups", "rule")
    flow_gb = assumptions.flow_log_records_per_month * assumptions.flow_log_record_bytes / GB
    add("CloudWatch Logs", "VPC flow logs: ingestion", flow_gb, "logs.vended_ingest_gb",
        f"{assumptions.flow_log_records_per_month:,} records of "
        f"{assumptions.flow_log_record_bytes} B (estimate)", "GB")
    add("CloudWatch Logs", "VPC flow logs: storage",
        flow_gb * facts.log_retention_days / DAYS_PER_MONTH, "logs.storage_gb_month",
        f"kept {facts.log_retention_days} days", "GB-month")
    access_logs_gb = (assumptions.report_bucket_requests_per_month
                      * assumptions.access_log_record_bytes / GB)
    add("S3", "server access logs of the reports bucket: storage",
        access_logs_gb * facts.report_retention_days / DAYS_PER_MONTH, "s3.storage_gb_month",
        f"{assumptions.report_bucket_requests_per_month} requests a month, "
        f"{assumptions.access_log_record_bytes} B each, kept {facts.report_retention_days} days "
        "(log delivery itself is free)", "GB-month")
    endpoint_hours = facts.interface_endpoints * facts.az_count * HOURS_PER_MONTH
    add("VPC endpoints", "interface endpoints", endpoint_hours, "privatelink.endpoint_az_hour",
        f"{facts.interface_endpoints} (SQS, SNS) x {facts.az_count} AZs x {HOURS_PER_MONTH} h",
        "endpoint-AZ-hour")
    add("KMS", "the project key", facts.kms_keys, "kms.key_month", "one customer managed key",
        "key-month")
    add("KMS", "requests for cached data keys", assumptions.kms_cached_key_requests_per_month,
        "kms.request", "DynamoDB, SQS, S3 and Logs renew their data keys about every 5 minutes",
        "request")
    add("CloudWatch", "alarms", facts.alarm_metrics, "cloudwatch.alarm_metric_month",
        f"{facts.alarms} alarms watching {facts.alarm_metrics} metrics", "alarm metric")
    add("CloudWatch", "dashboard", facts.dashboards, "cloudwatch.dashboard_month",
        "the platform dashboard", "dashboard")
    add("CloudWatch", "custom metrics (EMF)", facts.custom_metrics, "cloudwatch.metric_month",
        "FraudDetection namespace: each metric, RuleHits once per rule", "metric")
    add("SQS", "idle polling of the alerts queue", assumptions.idle_sqs_receives_per_month,
        "sqs.request", "the event source mapping's long polls (estimate)", "request")
    report = measured.report
    runs = DAYS_PER_MONTH
    gb_seconds = runs * billed_ms(report, assumptions, facts.lambda_memory_mb) / 1000 \
        * facts.lambda_memory_mb / 1024
    add("Lambda", "the daily report: duration", gb_seconds, "lambda.gb_second",
        f"{runs:.1f} runs of {billed_ms(report, assumptions, facts.lambda_memory_mb)} ms",
        "GB-second")
    add("S3", "the daily report: PUTs", runs * report.calls.get("S3.PutObject", 0), "s3.put",
        "JSON and HTML each day (counted)", "PUT request")
    add("DynamoDB", "the daily report: reads", runs * report.read_units, "dynamodb.read_unit",
        "the day's aggregates and flagged transactions (counted from the pages)",
        "read request unit")
    return lines


def at_rest(measured: Measured, assumptions: Assumptions) -> list[Line]:
    """Storing a million transactions for a month: the table, its indexes, its backups."""
    size = measured.item_bytes
    share = assumptions.suspicious_share
    item = ((1 - share) * size["clear_item_bytes"]
            + share * (size["suspicious_item_bytes"] + NOTIFIED_AT_BYTES) + ITEM_OVERHEAD_BYTES
            + assumptions.client_id_share * (size["id_guard_bytes"] + ITEM_OVERHEAD_BYTES))
    indexes = (size["by_account_entry_bytes"] + ITEM_OVERHEAD_BYTES
               + share * (size["by_flagged_day_entry_bytes"] + ITEM_OVERHEAD_BYTES))
    table_gb = MILLION * item / GB
    return [
        Line("DynamoDB", "table storage", table_gb, "GB-month", price("dynamodb.storage_gb_month"),
             f"{item:.0f} B per analysed transaction, its id guard and overheads included"),
        Line("DynamoDB", "index storage", MILLION * indexes / GB, "GB-month",
             price("dynamodb.storage_gb_month"), f"{indexes:.0f} B per transaction"),
        Line("DynamoDB", "point-in-time recovery", table_gb, "GB-month",
             price("dynamodb.pitr_gb_month"), "billed on the table's size"),
    ]


def totals_by_service(lines: list[Line]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in lines:
        totals[line.service] = totals.get(line.service, 0.0) + line.cost
    return totals


def model(measured: Measured, facts: PlatformFacts,
          assumptions: Assumptions | None = None) -> dict[str, Any]:
    """Every section's lines, their totals by service and overall, and what went in."""
    assumptions = assumptions or Assumptions()
    sections = {
        "per_million": per_million(measured, facts, assumptions),
        "per_million_model": per_million(measured, facts, assumptions, with_model=True),
        "fixed_monthly": fixed_monthly(measured, facts, assumptions),
        "at_rest_per_million_month": at_rest(measured, assumptions),
    }
    return {"assumptions": assumptions.as_dict(), "facts": facts.as_dict(), **{
        name: {"lines": [line.as_dict() for line in lines],
               "by_service": totals_by_service(lines),
               "total": sum(line.cost for line in lines)}
        for name, lines in sections.items()}}


def measured_from(units: Mapping[str, Any], cold_starts: Mapping[str, Any]) -> Measured:
    """The model's inputs from the work units' and the cold starts' results."""
    by_key = {unit["key"]: unit for unit in units["units"]}
    handlers = [row for row in cold_starts["rows"] if row["function"] and not row["experiment"]]

    def start_up(row: Mapping[str, Any]) -> float:
        return sum(row["phases_ms"][phase]["median"] for phase in START_UP)

    def unit_cost(key: str, in_flight: Mapping[str, int] | None = None) -> UnitCost:
        unit = by_key[key]
        return UnitCost(calls=unit["calls"], own_ms=unit["own_ms"]["median"],
                        read_units=unit["read_units"], log_bytes=unit["log_bytes"],
                        in_flight=in_flight or {})

    return Measured(
        post=unit_cost("post"), post_with_id=unit_cost("post_with_id"), get=unit_cost("get"),
        detect_batch=unit_cost("detect_cost", {"DynamoDB.Query": QUERIES_IN_FLIGHT}),
        detect_model_batch=unit_cost("detect_model_cost",
                                     {"DynamoDB.Query": QUERIES_IN_FLIGHT}),
        detect_batch_records=by_key["detect_cost"]["detail"]["records"],
        detect_stats_updates=by_key["detect_cost"]["detail"]["stats_updates"],
        detect_entity_day_updates=by_key["detect_cost"]["detail"]["entity_day_updates"],
        digest=unit_cost("notify_cost"), digest_alerts=by_key["notify_cost"]["detail"]["alerts"],
        report=unit_cost("report_10k"),
        init_ms={row["function"]: start_up(row) for row in handlers
                 if row.get("model") != MODEL_ON},
        detect_init_ms_model=next(start_up(row) for row in handlers
                                  if row.get("model") == MODEL_ON),
        item_bytes=units["item_sizes"])
