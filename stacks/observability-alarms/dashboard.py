"""The platform's CloudWatch dashboard, top to bottom: the alarms' states, the API, the
functions, the pipeline between them, and the platform's own counters.

:func:`dashboard_body` builds the JSON from plain names once the upstream layers' outputs are
known. Widgets carry no position: CloudWatch flows them left to right on its 24-column grid.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from alarms import (
    API_P99_LATENCY_MS,
    ERROR_RATE_PERCENT,
    ITERATOR_AGE_MS,
    PERIOD_SECONDS,
    guarded_percentage,
)
from common.metrics import (
    ALERTS_NOTIFIED,
    DIGESTS_SENT,
    LABEL_DIMENSION,
    LABELS_RECORDED,
    NAMESPACE,
    REPORTS_GENERATED,
    RULE_DIMENSION,
    RULE_HITS,
    SERVICE_DIMENSION,
    TRANSACTIONS_ACCEPTED,
    TRANSACTIONS_ANALYSED,
    TRANSACTIONS_FLAGGED,
    TRANSACTIONS_REJECTED,
)
from common.scoring import REASON_CODES
from common.transaction import FRAUD, GENUINE
from monitored import Monitored, resolved

from shared.lambdas import DETECT_FRAUD, GENERATE_REPORT, LAMBDAS, NOTIFY_TEAM, PROCESS_TRANSACTION

GRID_WIDTH = 24
CHART_WIDTH = 8  # three charts a row
CHART_HEIGHT = 6

# The counters each function emits (common.metrics), in its service dimension.
COUNTERS = (
    (PROCESS_TRANSACTION, "Transactions accepted and rejected",
     (TRANSACTIONS_ACCEPTED, TRANSACTIONS_REJECTED)),
    (DETECT_FRAUD, "Transactions analysed and flagged",
     (TRANSACTIONS_ANALYSED, TRANSACTIONS_FLAGGED)),
    (NOTIFY_TEAM, "Fraud alerts notified, and digests sent", (ALERTS_NOTIFIED, DIGESTS_SENT)),
    (GENERATE_REPORT, "Daily reports generated", (REPORTS_GENERATED,)),
)


@dataclass(frozen=True)
class DashboardView:
    region: str
    monitored: Monitored[str]
    alarm_arns: Sequence[str]
    reserved_concurrency: Mapping[str, int | None]  # by function id, for the chart


def dashboard_body(view: DashboardView) -> dict[str, Any]:
    """The dashboard's JSON body (CloudWatch's dashboard body structure)."""
    return {"widgets": [*_alarm_states(view), *_api(view), *_functions(view),
                        *_pipeline(view), *_counters(view)]}


def _alarm_states(view: DashboardView) -> list[dict[str, Any]]:
    return [{"type": "alarm", "width": GRID_WIDTH, "height": 3, "properties": {
        "title": "Alarms", "alarms": list(view.alarm_arns), "sortBy": "stateUpdatedTimestamp"}}]


def _api(view: DashboardView) -> list[dict[str, Any]]:
    stage = {"ApiName": view.monitored.api_name, "Stage": view.monitored.api_stage}
    return [
        _heading(f"API {view.monitored.api_name}, stage {view.monitored.api_stage}"),
        _chart(view, "Requests", [_metric("AWS/ApiGateway", "Count", stage, label="requests")]),
        _chart(view, "Client and server errors", [
            _metric("AWS/ApiGateway", "4XXError", stage, label="4XX"),
            _metric("AWS/ApiGateway", "5XXError", stage, label="5XX")]),
        _chart(view, "Latency (ms)", [
            _metric("AWS/ApiGateway", "Latency", stage, stat="p50", label="p50"),
            _metric("AWS/ApiGateway", "Latency", stage, stat="p99", label="p99")],
            stat="p99", lines=[("p99 alarm", API_P99_LATENCY_MS)]),
    ]


def _functions(view: DashboardView) -> list[dict[str, Any]]:
    names = view.monitored.function_names

    def each_function(metric_name: str) -> list[list[Any]]:
        return [_metric("AWS/Lambda", metric_name, {"FunctionName": names[spec.id]},
                        label=spec.id) for spec in LAMBDAS]

    error_rates = []
    for spec in LAMBDAS:
        key = spec.id.replace("-", "_")  # metric math ids: letters, digits and underscores
        function = {"FunctionName": names[spec.id]}
        error_rates += [
            _metric("AWS/Lambda", "Errors", function, id=f"errors_{key}", visible=False),
            _metric("AWS/Lambda", "Invocations", function, id=f"invocations_{key}",
                    visible=False),
            [{"expression": guarded_percentage(f"errors_{key}", f"invocations_{key}"),
              "label": spec.id, "id": f"error_rate_{key}"}],
        ]
    return [
        _heading("Functions"),
        _chart(view, "Invocations", each_function("Invocations")),
        _chart(view, "Errors", each_function("Errors")),
        _chart(view, "Error rate (%)", error_rates, lines=[("alarm", ERROR_RATE_PERCENT)]),
        _chart(view, "Duration p99 (ms)", each_function("Duration"), stat="p99"),
        _chart(view, "Throttles", each_function("Throttles")),
        _chart(view, "Concurrent executions", each_function("ConcurrentExecutions"),
               stat="Maximum", lines=reservation_lines(view.reserved_concurrency)),
    ]


def _pipeline(view: DashboardView) -> list[dict[str, Any]]:
    monitored = view.monitored
    alerts = {"QueueName": monitored.alerts_queue_name}
    return [
        _heading("Pipeline: the transactions stream, the alerts queue, the dead-letter queues"),
        _chart(view, f"{DETECT_FRAUD.id} iterator age (ms)", [
            _metric("AWS/Lambda", "IteratorAge",
                    {"FunctionName": monitored.function_names[DETECT_FRAUD.id]},
                    label="iterator age")],
            stat="Maximum", lines=[("alarm", ITERATOR_AGE_MS)]),
        _chart(view, "Alerts queue (messages)", [
            _metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", alerts, label="waiting"),
            _metric("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", alerts,
                    label="in flight")],
            stat="Maximum"),
        _chart(view, "Dead-letter queues (messages)", [
            _metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": name},
                    label=purpose)
            for purpose, name in monitored.dead_letter_queue_names.items()],
            stat="Maximum"),
    ]


def _counters(view: DashboardView) -> list[dict[str, Any]]:
    charts = [_chart(view, title, [_metric(NAMESPACE, name, {SERVICE_DIMENSION: spec.id},
                                           label=name) for name in names])
              for spec, title, names in COUNTERS]
    # single_metric adds the service dimension too: Powertools reads POWERTOOLS_SERVICE_NAME,
    # which compute-lambdas sets to the function id.
    rule_hits = _chart(view, "Fraud rule hits", [
        _metric(NAMESPACE, RULE_HITS, {RULE_DIMENSION: code, SERVICE_DIMENSION: DETECT_FRAUD.id},
                label=code) for code in REASON_CODES])
    labels = _chart(view, "Labels recorded", [
        _metric(NAMESPACE, LABELS_RECORDED,
                {LABEL_DIMENSION: label, SERVICE_DIMENSION: PROCESS_TRANSACTION.id}, label=label)
        for label in (FRAUD, GENUINE)])
    return [_heading(f"Platform counters ({NAMESPACE} namespace)"), *charts, rule_hits, labels]


def _heading(text: str) -> dict[str, Any]:
    return {"type": "text", "width": GRID_WIDTH, "height": 1,
            "properties": {"markdown": f"## {text}"}}


def reservation_lines(reserved: Mapping[str, int | None]) -> list[tuple[str, float]]:
    """One line per reservation figure, naming the functions that reserve it (none for the
    functions without a reservation)."""
    by_value: dict[int, list[str]] = {}
    for function_id, value in reserved.items():
        if value is not None:
            by_value.setdefault(value, []).append(function_id)
    return [("reserved concurrency" if len(ids) == len(reserved) else "reserved: " + ", ".join(ids),
             value) for value, ids in sorted(by_value.items())]


def _chart(view: DashboardView, title: str, metrics: list[list[Any]], *, stat: str = "Sum",
           lines: Sequence[tuple[str, float]] = ()) -> dict[str, Any]:
    """A one-minute time series; each of ``lines`` draws a labelled threshold across it."""
    properties: dict[str, Any] = {
        "title": title, "region": view.region, "view": "timeSeries", "stacked": False,
        "period": PERIOD_SECONDS, "stat": stat, "metrics": metrics,
        "yAxis": {"left": {"min": 0}},
    }
    if lines:
        properties["annotations"] = {"horizontal": [{"label": label, "value": value}
                                                    for label, value in lines]}
    return {"type": "metric", "width": CHART_WIDTH, "height": CHART_HEIGHT,
            "properties": properties}


def _metric(namespace: str, name: str, dimensions: Mapping[str, str],
            **options: Any) -> list[Any]:
    """A metric line: ``[namespace, name, dimension, value, ..., {options}]``."""
    line: list[Any] = [namespace, name, *(part for pair in dimensions.items() for part in pair)]
    return [*line, options] if options else line


@dataclass(frozen=True)
class PlatformDashboardArgs:
    name: str
    region: str
    monitored: Monitored[pulumi.Output]
    alarm_arns: Sequence[pulumi.Input[str]]
    reserved_concurrency: Mapping[str, int | None]


class PlatformDashboard(pulumi.ComponentResource):
    """The dashboard, its body rendered once every name it charts is known."""

    def __init__(self, name: str, args: PlatformDashboardArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:observability:PlatformDashboard", name, None, opts)
        body = pulumi.Output.all(resolved(args.monitored), pulumi.Output.all(*args.alarm_arns))
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.name,
            dashboard_body=body.apply(lambda values: json.dumps(dashboard_body(DashboardView(
                region=args.region, monitored=values[0], alarm_arns=values[1],
                reserved_concurrency=args.reserved_concurrency)))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.dashboard.dashboard_name})
