"""Write a day's fraud report (JSON and HTML) under ``reports/YYYY/MM/DD/`` in the bucket.

Reads only the day's aggregates (one Query on the stats table's day partition, at most
24 x STATS_SHARDS small items), the day's flagged transactions (the sparse ``byFlaggedDay``
index) and its transactions labelled FRAUD (the sparse ``byLabelledFraudDay`` index), never a
scan: the same calls for a thousand or a million transactions a day.
Regenerating a day overwrites the same two objects with the same content.
"""

import os
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from common import environment as env
from common import json_codec
from common.clock import iso_now
from common.currencies import is_currency
from common.data_model import FLAGGED_DAY, LABELLED_FRAUD_DAY, STATS_DAY
from common.exchange_rates import DEFAULT_REFERENCE
from common.metrics import NAMESPACE, REPORTS_GENERATED
from common.privacy import MASKED, REPORT_ACCOUNT_IDS
from common.rules import rule_config_from_json
from common.transaction import from_item

from generate_report.html import render_html
from generate_report.report import build_report, report_day, report_keys

SERVICE = "generate-report"
TRANSACTIONS_TABLE = os.environ[env.TRANSACTIONS_TABLE]
BY_FLAGGED_DAY_INDEX = os.environ[env.BY_FLAGGED_DAY_INDEX]
BY_LABELLED_FRAUD_DAY_INDEX = os.environ[env.BY_LABELLED_FRAUD_DAY_INDEX]
STATS_TABLE = os.environ[env.STATS_TABLE]
REPORTS_BUCKET = os.environ[env.REPORTS_BUCKET]
KMS_KEY_ARN = os.environ[env.KMS_KEY_ARN]
# The rules in force, printed in the report; bad overrides or an unknown mode: no start.
RULES = rule_config_from_json(os.environ.get(env.RULE_OVERRIDES))
REFERENCE_CURRENCY = os.environ.get(env.REFERENCE_CURRENCY) or DEFAULT_REFERENCE  # RULES' unit
if not is_currency(REFERENCE_CURRENCY):
    raise ValueError(f"{env.REFERENCE_CURRENCY} must be an ISO 4217 code such as EUR, "
                     f"not {REFERENCE_CURRENCY!r}")
# Whether detect-fraud serves a model (fraud:model is not none): only then can the entity rules
# and the model's reason fire. Unset, as detect-fraud's MODEL: rules only.
_MODEL_IN_FORCE = os.environ.get(env.MODEL_IN_FORCE) or "false"
if _MODEL_IN_FORCE not in ("true", "false"):
    raise ValueError(f"{env.MODEL_IN_FORCE} must be true or false (whether fraud:model is not "
                     f"none), not {_MODEL_IN_FORCE!r}")
MODEL_IN_FORCE = _MODEL_IN_FORCE == "true"
ACCOUNT_IDS = os.environ.get(env.REPORT_ACCOUNT_IDS) or MASKED
if ACCOUNT_IDS not in REPORT_ACCOUNT_IDS:
    raise ValueError(f"{env.REPORT_ACCOUNT_IDS} must be one of {', '.join(REPORT_ACCOUNT_IDS)}, "
                     f"not {ACCOUNT_IDS!r}")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3")

def _query_all(**request: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = dynamodb.query(**request)
        items += (from_item(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _query_day(index: str, day_attribute: str, day: str) -> list[dict[str, Any]]:
    """The entries of a sparse by-day index of the transactions table for ``day``."""
    return _query_all(TableName=TRANSACTIONS_TABLE, IndexName=index,
                      KeyConditionExpression="#day = :day",
                      ExpressionAttributeNames={"#day": day_attribute},
                      ExpressionAttributeValues={":day": {"S": day}})


def _put(key: str, body: str, content_type: str, generated_at: str) -> None:
    s3.put_object(Bucket=REPORTS_BUCKET, Key=key, Body=body.encode("utf-8"),
                  ContentType=content_type, ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=KMS_KEY_ARN, Metadata={"generated-at": generated_at})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    day = report_day(event, datetime.now(UTC).date())
    stats_items = _query_all(
        TableName=STATS_TABLE, KeyConditionExpression="#day = :day",
        ExpressionAttributeNames={"#day": STATS_DAY.name},
        ExpressionAttributeValues={":day": {"S": day}})
    flagged_items = _query_day(BY_FLAGGED_DAY_INDEX, FLAGGED_DAY.name, day)
    labelled_fraud_items = _query_day(BY_LABELLED_FRAUD_DAY_INDEX, LABELLED_FRAUD_DAY.name, day)
    generated_at = iso_now()
    report = build_report(day, stats_items, flagged_items, labelled_fraud_items, rules=RULES,
                          model_in_force=MODEL_IN_FORCE, reference_currency=REFERENCE_CURRENCY,
                          account_ids=ACCOUNT_IDS, generated_at=generated_at)
    json_key, html_key = report_keys(day)
    _put(json_key, json_codec.dumps(report), "application/json", generated_at)
    _put(html_key, render_html(report), "text/html; charset=utf-8", generated_at)
    metrics.add_metric(name=REPORTS_GENERATED, unit=MetricUnit.Count, value=1)
    summary = {"day": day, "bucket": REPORTS_BUCKET, "jsonKey": json_key, "htmlKey": html_key,
               "transactions": report["totals"]["transactions"],
               "flagged": report["totals"]["flagged"],
               "missedFrauds": report["missedFrauds"]["count"]}
    logger.info("Report written", extra=summary)
    return summary
