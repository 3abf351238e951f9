"""The AWS list prices the cost model multiplies by: US East (Ohio), on demand, no free tier.

One table, each price with the page it comes from. The machine these benchmarks were written
on has no internet access, so the values are the public list prices as published in 2025
(DynamoDB on demand after its 1 November 2024 reduction), written down from the AWS pricing
pages, not fetched: check each against its page before budgeting. Free tiers (the first
million Lambda requests, SQS requests, SNS publishes, 25 GB of DynamoDB storage, 3 dashboards,
10 metrics and alarms...) are left out on purpose: they cover a test account, not production.
"""

from dataclasses import dataclass

REGION = "us-east-2"
REGION_NAME = "US East (Ohio)"
LISTED = "2025 list prices (DynamoDB on demand as reduced on 2024-11-01)"
CHECK = "written down offline, not fetched: check each page before budgeting"


@dataclass(frozen=True)
class Price:
    usd: float  # per one `unit`
    unit: str
    page: str
    note: str = ""


_API_GATEWAY = "aws.amazon.com/api-gateway/pricing"
_LAMBDA = "aws.amazon.com/lambda/pricing"
_DYNAMODB = "aws.amazon.com/dynamodb/pricing/on-demand"
_SQS = "aws.amazon.com/sqs/pricing"
_SNS = "aws.amazon.com/sns/pricing"
_KMS = "aws.amazon.com/kms/pricing"
_S3 = "aws.amazon.com/s3/pricing"
_CLOUDWATCH = "aws.amazon.com/cloudwatch/pricing"
_PRIVATELINK = "aws.amazon.com/privatelink/pricing"
_WAF = "aws.amazon.com/waf/pricing"

PRICES: dict[str, Price] = {
    "apigateway.request": Price(3.50 / 1e6, "REST API request", _API_GATEWAY,
                                "$3.50 per million, first 333 million a month"),
    "lambda.request": Price(0.20 / 1e6, "invocation", _LAMBDA, "$0.20 per million"),
    "lambda.gb_second": Price(0.0000166667, "GB-second", _LAMBDA,
                              "x86_64, first 6 billion GB-s a month"),
    "dynamodb.write_unit": Price(0.625 / 1e6, "write request unit", _DYNAMODB,
                                 "$0.625 per million"),
    "dynamodb.read_unit": Price(0.125 / 1e6, "read request unit", _DYNAMODB,
                                "$0.125 per million"),
    "dynamodb.stream_read_unit": Price(0.02 / 1e5, "stream read request unit", _DYNAMODB,
                                       "free when a Lambda trigger reads the stream"),
    "dynamodb.storage_gb_month": Price(0.25, "GB-month", _DYNAMODB, "Standard table class"),
    "dynamodb.pitr_gb_month": Price(0.20, "GB-month", _DYNAMODB,
                                    "continuous backups (point-in-time recovery)"),
    "sqs.request": Price(0.40 / 1e6, "request (each 64 KB)", _SQS,
                         "standard queue, $0.40 per million"),
    "sns.publish": Price(0.50 / 1e6, "publish (each 64 KB)", _SNS, "$0.50 per million"),
    "sns.email": Price(2.00 / 1e5, "email delivered", _SNS, "$2.00 per 100,000"),
    "kms.key_month": Price(1.00, "customer managed key-month", _KMS),
    "kms.request": Price(0.03 / 1e4, "request", _KMS, "$0.03 per 10,000"),
    "s3.put": Price(0.005 / 1e3, "PUT request", _S3, "S3 Standard, $0.005 per 1,000"),
    "s3.storage_gb_month": Price(0.023, "GB-month", _S3, "S3 Standard, first 50 TB"),
    "logs.ingest_gb": Price(0.50, "GB ingested", _CLOUDWATCH, "Standard log class"),
    "logs.storage_gb_month": Price(0.03, "GB-month stored", _CLOUDWATCH),
    "cloudwatch.metric_month": Price(0.30, "custom metric-month", _CLOUDWATCH,
                                     "first 10,000 metrics; EMF metrics included"),
    "cloudwatch.alarm_metric_month": Price(0.10, "alarm metric-month", _CLOUDWATCH,
                                           "standard resolution; metric math: each metric"),
    "cloudwatch.dashboard_month": Price(3.00, "dashboard-month", _CLOUDWATCH),
    "logs.vended_ingest_gb": Price(0.50, "GB of vended logs ingested", _CLOUDWATCH,
                                   "VPC flow logs to CloudWatch Logs, first 10 TB a month"),
    "waf.web_acl_month": Price(5.00, "web ACL-month", _WAF),
    "waf.rule_month": Price(1.00, "rule-month", _WAF, "an AWS managed rule group counts as one"),
    "waf.request": Price(0.60 / 1e6, "request inspected", _WAF,
                         "$0.60 per million; the baseline managed groups have no extra fee"),
    "privatelink.endpoint_az_hour": Price(0.01, "interface endpoint-AZ-hour", _PRIVATELINK),
    "privatelink.gb": Price(0.01, "GB processed", _PRIVATELINK, "first petabyte a month"),
}


def price(key: str) -> float:
    return PRICES[key].usd
