"""What the cost model needs to know about the deployed platform, read from where it is defined.

Sizing defaults from ``shared.settings``, the interface endpoints from the network layer, the
alarms from the observability layer's own alarm table, the access-log line and the web ACL's
rules from the edge layer, the custom metrics from ``common.metrics``: when any of them changes, the
next ``make bench`` prices the change.
"""

import contextlib
import importlib
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from common import metrics
from common.scoring import REASON_CODES

from shared.data_layer import QUEUES
from shared.lambdas import LAMBDAS
from shared.settings import parse_settings

STACKS = Path(__file__).resolve().parents[1] / "stacks"
# One dashboard (observability-alarms) and one customer-managed key (data-dynamodb-s3-kms).
DASHBOARDS = 1
KMS_KEYS = 1
# What API Gateway writes for the access log's variables on a typical signed POST.
_ACCESS_LOG_SAMPLE = {
    "requestId": "6f1c2a9e-0b1d-4c55-9a57-3f0e8c1d2b7a",
    "extendedRequestId": "Vb3kXGR1CYcEJZw=",
    "requestTime": "22/Nov/2026:05:30:17 +0000",
    "identity.sourceIp": "203.0.113.7",
    "identity.caller": "AROAEXAMPLEROLEID:client-session",
    "identity.user": "AROAEXAMPLEROLEID:client-session",
    "identity.userArn": "arn:aws:sts::123456789012:assumed-role/payments-api/client-session",
    "httpMethod": "POST",
    "resourcePath": "/transactions",
    "path": "/v1/transactions",
    "protocol": "HTTP/1.1",
    "status": "201",
    "responseLength": "290",
    "responseLatency": "42",
    "integration.status": "200",
    "integration.latency": "38",
}


@dataclass(frozen=True)
class PlatformFacts:
    lambda_memory_mb: int
    stream_batch_size: int
    az_count: int
    log_retention_days: int
    report_retention_days: int
    interface_endpoints: int
    alarms: int
    alarm_metrics: int
    dashboards: int
    kms_keys: int
    custom_metrics: int
    functions: int
    queues: int
    access_log_line_bytes: int
    waf: bool  # fraud:waf's default
    waf_rules: int  # rules of the stage's web ACL, as AWS WAF bills them

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextlib.contextmanager
def _stack_modules(layer: str) -> Iterator[None]:
    """Import a layer's own modules (they import each other by bare name, as Pulumi runs them)."""
    folder = str(STACKS / layer)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)


def _module(layer: str, name: str) -> ModuleType:
    with _stack_modules(layer):
        return importlib.import_module(name)


def alarm_metric_counts() -> tuple[int, int]:
    """The platform's alarms, and the metrics they watch (CloudWatch bills each)."""
    alarms = _module("observability-alarms", "alarms")
    monitored = _module("observability-alarms", "monitored")
    names = monitored.Monitored(
        function_names={spec.id: spec.id for spec in LAMBDAS},
        function_log_groups={spec.id: spec.id for spec in LAMBDAS},
        alerts_queue_name="alerts",
        dead_letter_queue_names={dlq.queue.purpose: dlq.queue.purpose
                                 for dlq in monitored.DEAD_LETTER_QUEUES},
        api_name="api", api_stage="v1")
    specs = alarms.platform_alarms(names)
    return len(specs), sum(len(spec.metrics) for spec in specs)


def access_log_line_bytes() -> int:
    """Bytes of one access-log line: the edge layer's format filled with typical values."""
    log_format = _module("edge-apigateway", "rest_api").ACCESS_LOG_FORMAT
    line = re.sub(r"\$context\.([A-Za-z.]+)",
                  lambda match: _ACCESS_LOG_SAMPLE.get(match.group(1), "-"), log_format)
    return len(line.encode("utf-8")) + 1  # and its newline


def custom_metric_count() -> int:
    """Metric and dimension combinations the functions emit: one per metric, one per reason code."""
    names = [value for name, value in vars(metrics).items()
             if name.isupper() and isinstance(value, str)
             and value not in (metrics.NAMESPACE, metrics.SERVICE_DIMENSION,
                               metrics.RULE_DIMENSION)]
    return len(names) - 1 + len(REASON_CODES)  # RuleHits: one metric per reason code


def read_facts() -> PlatformFacts:
    settings = parse_settings({}, stack="bench")
    alarms, alarm_metrics = alarm_metric_counts()
    return PlatformFacts(
        lambda_memory_mb=settings.lambda_memory_mb,
        stream_batch_size=settings.stream_batch_size,
        az_count=settings.az_count,
        log_retention_days=settings.log_retention_days,
        report_retention_days=settings.report_retention_days,
        interface_endpoints=len(_module("network-vpc", "service_access").INTERFACE_SERVICES),
        alarms=alarms,
        alarm_metrics=alarm_metrics,
        dashboards=DASHBOARDS,
        kms_keys=KMS_KEYS,
        custom_metrics=custom_metric_count(),
        functions=len(LAMBDAS),
        queues=len(QUEUES),
        access_log_line_bytes=access_log_line_bytes(),
        waf=settings.waf,
        waf_rules=_module("edge-apigateway", "firewall").rule_count(),
    )
