"""The cost model's arithmetic, on inputs small enough to check by hand."""

import pytest
from detect_fraud.history import QUERIES_IN_FLIGHT

from bench.cost_model import (
    NOTIFIED_AT_BYTES,
    Assumptions,
    Measured,
    UnitCost,
    at_rest,
    billed_ms,
    cpu_factor,
    fixed_monthly,
    measured_from,
    model,
    per_million,
)
from bench.platform_facts import PlatformFacts
from bench.prices import PRICES

FACTS = PlatformFacts(lambda_memory_mb=512, stream_batch_size=100, az_count=2,
                      log_retention_days=7, report_retention_days=365, interface_endpoints=2,
                      alarms=13, alarm_metrics=18, dashboards=1, kms_keys=1, custom_metrics=12,
                      functions=4, queues=3, access_log_line_bytes=600, waf=True, waf_rules=3)
ASSUMPTIONS = Assumptions(client_id_share=0.5, latency_ms={
    "DynamoDB.PutItem": 5, "DynamoDB.Query": 5, "DynamoDB.UpdateItem": 5,
    "DynamoDB.TransactWriteItems": 20, "SQS.SendMessageBatch": 10, "SNS.Publish": 20,
    "S3.PutObject": 30})


def unit(calls, own_ms=0.0, read_units=0.0, log_bytes=0.0, in_flight=None):
    return UnitCost(calls=calls, own_ms=own_ms, read_units=read_units, log_bytes=log_bytes,
                    in_flight=in_flight or {})


MEASURED = Measured(
    post=unit({"DynamoDB.PutItem": 1}, own_ms=1.0, log_bytes=700),
    post_with_id=unit({"DynamoDB.Query": 1, "DynamoDB.TransactWriteItems": 1}, own_ms=1.0,
                      read_units=1.0, log_bytes=700),
    get=unit({"DynamoDB.Query": 1}, own_ms=1.0, read_units=1.0),
    detect_batch=unit({"DynamoDB.Query": 100, "DynamoDB.TransactWriteItems": 4,
                       "SQS.SendMessageBatch": 1}, own_ms=100.0, read_units=50.0,
                      log_bytes=50_000, in_flight={"DynamoDB.Query": 10}),
    # With the model: 100 more queries (the accounts' and merchants' entity days), half a
    # read unit each.
    detect_model_batch=unit({"DynamoDB.Query": 300, "DynamoDB.TransactWriteItems": 4,
                             "SQS.SendMessageBatch": 1}, own_ms=150.0, read_units=150.0,
                            log_bytes=60_000, in_flight={"DynamoDB.Query": 10}),
    detect_batch_records=100,
    detect_stats_updates=4,
    detect_entity_day_updates=200,
    digest=unit({"DynamoDB.UpdateItem": 4, "SNS.Publish": 1}, own_ms=5.0, log_bytes=800),
    digest_alerts=2,
    report=unit({"DynamoDB.Query": 2, "S3.PutObject": 2}, own_ms=10.0, read_units=2.0),
    init_ms={"process-transaction": 400.0, "detect-fraud": 400.0, "notify-team": 400.0},
    detect_init_ms_model=500.0,
    item_bytes={"pending_item_bytes": 186, "id_guard_bytes": 27, "clear_item_bytes": 242,
                "suspicious_item_bytes": 521, "by_account_entry_bytes": 103,
                "by_flagged_day_entry_bytes": 236, "stats_item_bytes": 100,
                "alert_message_bytes": 341, "entity_day_item_bytes": 90},
)


def cost_of(lines, service, item_start=""):
    return sum(line.cost for line in lines
               if line.service == service and line.item.startswith(item_start))


def test_cpu_share_follows_memory_up_to_one_full_vcpu():
    assert cpu_factor(512) == pytest.approx(1769 / 512)
    assert cpu_factor(1769) == 1.0
    assert cpu_factor(4096) == 1.0


def test_billed_duration_is_scaled_own_time_plus_each_call_s_latency_rounded_up():
    # 1 ms x 3.455 + 1 PutItem x 5 ms = 8.455 → 9 ms.
    assert billed_ms(MEASURED.post, ASSUMPTIONS, 512) == 9
    # With a client id: 1 ms x 3.455 + a Query (5) + a TransactWriteItems (20) → 29 ms.
    assert billed_ms(MEASURED.post_with_id, ASSUMPTIONS, 512) == 29
    # 100 ms x 3.455 + 100 queries 10 at a time (10 rounds x 5) + 4 x 20 + 1 x 10 = 485.5.
    assert billed_ms(MEASURED.detect_batch, ASSUMPTIONS, 512) == 486
    # The same batch with its queries one after the other: 100 x 5 instead of 10 x 5.
    sequential = unit(MEASURED.detect_batch.calls, own_ms=100.0)
    assert billed_ms(sequential, ASSUMPTIONS, 512) == 936


def test_api_gateway_bills_every_post_get_and_label():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    assert cost_of(lines, "API Gateway") == pytest.approx((2 + 0.02) * 3.50)


def test_a_label_is_a_request_a_lookup_and_three_transactional_writes():
    lines = [line for line in per_million(MEASURED, FACTS, ASSUMPTIONS)
             if line.item.startswith("labels")]
    by_item = {line.item.split(" (")[0]: line.quantity for line in lines}
    # 2 % of a million: the labelled item (521 B + the label's attributes) and two entity days
    # (90 B), 2 units each in the transaction; the lookup of a POST with an id, 1 unit.
    assert by_item["labels: writes"] == pytest.approx(20_000 * (2 + 2 * 2))
    assert by_item["labels: reads"] == pytest.approx(20_000 * 1.0)
    assert by_item["labels: requests"] == 20_000
    # Billed as a POST with a client id: 29 ms at 512 MB.
    assert by_item["labels: duration at 512 MB"] == pytest.approx(20_000 * 29 / 1000 / 2)


def test_lambda_requests_are_posts_gets_batches_and_digests():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    # 1M POST + 1M GET + 10,000 batches of 100 + 20,000 alerts in digests of 2.
    assert cost_of(lines, "Lambda", "requests") == pytest.approx(2_020_000 * 0.20 / 1e6)


def test_lambda_duration_adds_the_billed_start_up_of_cold_starts():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    gb = 512 / 1024
    # Billed ms: POST 9 (half), with an id 29 (half), GET 9, batch 486, digest
    # 5 x 3.455 + 4 x 5 + 20 = 57.3 → 58.
    warm = (0.5e6 * 9 + 0.5e6 * 29 + 1e6 * 9 + 10_000 * 486 + 10_000 * 58) / 1000 * gb
    cold = 2_020_000 * 0.001 * 400 * (1769 / 512) / 1000 * gb
    assert cost_of(lines, "Lambda", "duration") == pytest.approx(
        (warm + cold) * PRICES["lambda.gb_second"].usd)


def test_dynamodb_writes_count_indexes_transactions_guards_and_claims():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    per_transaction = (
        0.5 * 1  # half the POSTs: the item (186 B) alone
        + 0.5 * (2 + 2)  # the other half: the item and its id guard in a transaction
        + 1  # the byAccount entry
        + 0.98 * 2 + 0.02 * 2  # verdict in a transaction: 2 units, CLEAR or SUSPICIOUS
        + 0.02 * 1  # the byFlaggedDay entry of a suspicious one
        + 4 / 100 * 2  # 4 stats items per batch of 100, transactional
        + 200 / 100 * 2  # an account's and a merchant's day per transaction, transactional
        + 0.02 * (1 + 1))  # the alert's claim, then its confirmation
    writes = sum(line.quantity for line in lines if line.item.startswith("writes"))
    assert writes == pytest.approx(1e6 * per_transaction)
    assert cost_of(lines, "DynamoDB", "writes") == pytest.approx(writes * 0.625 / 1e6)


def test_dynamodb_reads_are_gets_id_lookups_and_history_queries_and_streams_are_free():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    [reads] = [line for line in lines if line.item.startswith("reads")]
    assert reads.quantity == pytest.approx(1e6 * 1.0 + 0.5e6 * 1.0 + 10_000 * 50.0)
    [stream] = [line for line in lines if line.item == "stream reads"]
    assert stream.cost == 0


def test_with_the_model_detect_fraud_s_batch_and_start_up_are_the_model_s():
    rules, both = (per_million(MEASURED, FACTS, ASSUMPTIONS, with_model=on) for on in (False,
                                                                                       True))
    [reads] = [line for line in both if line.item.startswith("reads")]
    assert reads.quantity == pytest.approx(1e6 * 1.0 + 0.5e6 * 1.0 + 10_000 * 150.0)
    # The batch: 150 ms x 3.455 + 300 queries 10 at a time (30 x 5) + 4 x 20 + 10 = 758.3.
    # Its cold starts (0.1 % of 10,000 batches) start up 500 ms, not 400.
    gb = 512 / 1024
    extra = (10_000 * (759 - 486) / 1000 + 10 * 100 * (1769 / 512) / 1000) * gb
    assert cost_of(both, "Lambda", "duration") - cost_of(rules, "Lambda", "duration") == \
        pytest.approx(extra * PRICES["lambda.gb_second"].usd)
    assert cost_of(both, "DynamoDB", "writes") == cost_of(rules, "DynamoDB", "writes")


def test_messaging_counts_sends_mapping_requests_publishes_and_emails():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    # 10,000 SendMessageBatch + 10,000 digests x 2 mapping requests.
    assert cost_of(lines, "SQS") == pytest.approx(30_000 * 0.40 / 1e6)
    assert cost_of(lines, "SNS", "publishes") == pytest.approx(10_000 * 0.50 / 1e6)
    assert cost_of(lines, "SNS", "emails") == pytest.approx(10_000 * 2.00 / 1e5)


def test_log_ingestion_adds_lambda_s_lines_and_the_access_log():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    [ingestion] = [line for line in lines if line.item == "ingestion"]
    expected = (1e6 * (700 + 330) + 1e6 * (0 + 330) + 2e6 * 600 + 10_000 * (50_000 + 330)
                + 10_000 * (800 + 330))
    assert ingestion.quantity == pytest.approx(expected / 1024 ** 3)


def test_storage_holds_each_transaction_and_the_id_guards_of_client_ids():
    [table, _, _] = at_rest(MEASURED, ASSUMPTIONS)
    per_transaction = (0.98 * 242 + 0.02 * (521 + NOTIFIED_AT_BYTES) + 100  # item, overhead
                       + 0.5 * (27 + 100))  # half of them have an id guard
    assert table.quantity == pytest.approx(1e6 * per_transaction / 1024 ** 3)


def test_the_fixed_cost_is_endpoints_key_alarms_dashboard_metrics_and_the_daily_report():
    lines = fixed_monthly(MEASURED, FACTS, ASSUMPTIONS)
    assert cost_of(lines, "VPC endpoints") == pytest.approx(2 * 2 * 730 * 0.01)
    assert cost_of(lines, "KMS", "the project key") == 1.00
    assert cost_of(lines, "CloudWatch", "alarms") == pytest.approx(1.80)
    assert cost_of(lines, "CloudWatch", "dashboard") == 3.00
    assert cost_of(lines, "CloudWatch", "custom metrics") == pytest.approx(12 * 0.30)
    assert cost_of(lines, "S3", "the daily report") == pytest.approx(365 / 12 * 2 * 0.005 / 1000)


def test_the_perimeter_costs_the_web_acl_its_rules_flow_logs_and_the_access_logs():
    lines = fixed_monthly(MEASURED, FACTS, ASSUMPTIONS)
    assert cost_of(lines, "AWS WAF") == pytest.approx(5.00 + 3 * 1.00)
    flow_gb = 2_000 * 730 * 110 / 1024 ** 3
    assert cost_of(lines, "CloudWatch Logs", "VPC flow logs: ingestion") == pytest.approx(
        flow_gb * 0.50)
    assert cost_of(lines, "CloudWatch Logs", "VPC flow logs: storage") == pytest.approx(
        flow_gb * 7 / (365 / 12) * 0.03)
    stored = 310 * 350 / 1024 ** 3 * 365 / (365 / 12)
    assert cost_of(lines, "S3", "server access logs") == pytest.approx(stored * 0.023)
    without = fixed_monthly(MEASURED, FACTS.__class__(**{**FACTS.as_dict(), "waf": False}),
                            ASSUMPTIONS)
    assert cost_of(without, "AWS WAF") == 0


def test_waf_inspects_every_request_to_the_stage():
    lines = per_million(MEASURED, FACTS, ASSUMPTIONS)
    assert cost_of(lines, "AWS WAF") == pytest.approx((2 + 0.02) * 0.60)


def test_the_model_totals_each_section_by_service():
    result = model(MEASURED, FACTS, ASSUMPTIONS)
    for section in ("per_million", "per_million_model", "fixed_monthly",
                    "at_rest_per_million_month"):
        lines = result[section]["lines"]
        assert result[section]["total"] == pytest.approx(sum(line["cost"] for line in lines))
        assert sum(result[section]["by_service"].values()) == pytest.approx(
            result[section]["total"])
    assert result["per_million"]["by_service"]["API Gateway"] == pytest.approx(7.07)


def test_the_inputs_are_read_from_the_results_by_unit_key():
    def unit_result(key, calls, **detail):
        timing = {"runs": 5, "median": 2.0, "low": 1.0, "high": 3.0}
        return {"key": key, "calls": calls, "read_units": 0.5, "log_bytes": 10,
                "own_ms": timing, "detail": detail}

    units = {"units": [unit_result("post", {"DynamoDB.PutItem": 1}),
                       unit_result("post_with_id", {"DynamoDB.TransactWriteItems": 1}),
                       unit_result("get", {"DynamoDB.Query": 1}),
                       unit_result("detect_cost", {}, records=100, stats_updates=4,
                                   entity_day_updates=200),
                       unit_result("detect_model_cost", {"DynamoDB.Query": 300}),
                       unit_result("notify_cost", {}, alerts=2),
                       unit_result("report_10k", {})],
             "item_sizes": {"pending_item_bytes": 186}}
    phase = {"runs": 5, "median": 10.0, "low": 9.0, "high": 11.0}
    phases = dict.fromkeys(("startup", "boto3", "clients", "imports", "first_event"), phase)
    cold = {"rows": [
        {"function": None, "experiment": False, "phases_ms": phases},  # a baseline
        {"function": "detect-fraud", "experiment": False, "model": "none", "phases_ms": phases},
        {"function": "detect-fraud", "experiment": False, "model": "default",
         "phases_ms": {**phases, "imports": {**phase, "median": 30.0}}},
        {"function": "detect-fraud", "experiment": True, "phases_ms": phases}]}
    measured = measured_from(units, cold)
    assert measured.post == UnitCost({"DynamoDB.PutItem": 1}, 2.0, 0.5, 10)
    assert measured.post_with_id.calls == {"DynamoDB.TransactWriteItems": 1}
    assert measured.detect_batch.in_flight == {"DynamoDB.Query": QUERIES_IN_FLIGHT}
    assert (measured.detect_batch_records, measured.detect_stats_updates) == (100, 4)
    assert measured.init_ms == {"detect-fraud": 40.0}  # the first event is not start-up
    assert measured.detect_init_ms_model == 60.0  # the row with the model
    assert measured.detect_model_batch.calls == {"DynamoDB.Query": 300}
    assert measured.detect_entity_day_updates == 200
