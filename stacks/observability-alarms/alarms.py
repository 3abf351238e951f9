"""The platform's alarms: what each one watches, when it fires, and the component creating them.

Every alarm is named ``cw-{purpose}-{suffix}``. The ops topic is encrypted with the project
key, whose policy lets CloudWatch use it only for this account's alarms named so; a
notification CloudWatch cannot encrypt is dropped without a trace. Every alarm notifies the
ops topic when it fires and when it recovers, and treats missing data as not breaching:
Lambda and API Gateway publish nothing without traffic, and SQS stops reporting idle queues.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from monitored import DEAD_LETTER_QUEUES, DeadLetterQueue, Monitored

from shared.lambdas import DETECT_FRAUD, GENERATE_REPORT, LAMBDAS, LambdaSpec
from shared.naming import resource_name

PERIOD_SECONDS = 60
ERROR_RATE_PERCENT = 1  # docs/decisions.md: a function failing more than 1 % of its invocations
ITERATOR_AGE_MS = 60_000  # detect-fraud a minute behind the stream: verdicts are late
API_5XX_RATE_PERCENT = 1
API_P99_LATENCY_MS = 1_000  # the API's sub-second promise


@dataclass(frozen=True)
class Evaluation:
    """Alarm when ``datapoints`` of the last ``periods`` one-minute periods breach (M of N)."""

    datapoints: int
    periods: int


# A trend, not a blip: one slow minute or one failed batch does not page anyone.
SUSTAINED = Evaluation(datapoints=3, periods=5)
# For what must not happen at all: the first breaching minute alarms, and five quiet ones clear
# it, so a burst sends one ALARM and one OK rather than one of each per minute.
AT_ONCE = Evaluation(datapoints=1, periods=5)

# generate-report runs once a day: one failed run (with Lambda's two asynchronous retries) is
# the whole signal, and would never fill three minutes of five.
ERROR_RATE_EVALUATION: dict[str, Evaluation] = {GENERATE_REPORT.id: AT_ONCE}


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    stat: str  # Sum, Maximum, or a percentile such as p99
    dimensions: Mapping[str, pulumi.Input[str]]


@dataclass(frozen=True)
class Expression:
    """Metric math over an alarm's metrics, referring to them by their ids."""

    id: str
    text: str
    label: str


@dataclass(frozen=True)
class AlarmSpec:
    purpose: str  # the alarm is named cw-{purpose}-{suffix}
    description: pulumi.Input[str]  # what it means and where to look first
    metrics: Mapping[str, Metric]  # by metric-math id
    threshold: float  # the alarm fires above it
    evaluation: Evaluation
    expression: Expression | None = None  # None: the alarm watches its one metric

    def __post_init__(self) -> None:
        if self.expression is None and len(self.metrics) != 1:
            raise ValueError(f"alarm {self.purpose!r} watches {len(self.metrics)} metrics, so it "
                             "needs an expression combining them")

    def metric_queries(self) -> list[dict[str, Any]]:
        """The alarm's metrics, then its expression if any: the last query is what it watches."""
        queries: list[dict[str, Any]] = [{
            "id": query_id,
            "metric": {
                "namespace": metric.namespace,
                "metric_name": metric.name,
                "dimensions": dict(metric.dimensions),
                "stat": metric.stat,
                "period": PERIOD_SECONDS,
            },
            "return_data": self.expression is None,
        } for query_id, metric in self.metrics.items()]
        if self.expression is not None:
            queries.append({"id": self.expression.id, "expression": self.expression.text,
                            "label": self.expression.label, "return_data": True})
        return queries


def guarded_percentage(part: str, whole: str) -> str:
    """Metric math: ``part`` as a percentage of ``whole``, and 0 (not a gap) without traffic."""
    return f"IF({whole} > 0, 100 * {part} / {whole}, 0)"


def lambda_metric(function_name: pulumi.Input[str], name: str, stat: str) -> Metric:
    return Metric("AWS/Lambda", name, stat, {"FunctionName": function_name})


def function_alarms(spec: LambdaSpec, monitored: Monitored) -> list[AlarmSpec]:
    """The error rate and the throttles of one function."""
    function_name = monitored.function_names[spec.id]
    evaluation = ERROR_RATE_EVALUATION.get(spec.id, SUSTAINED)
    return [
        AlarmSpec(
            purpose=f"{spec.id}-error-rate",
            description=pulumi.Output.format(
                "{0} failed over {1} % of its invocations in {2} of the last {3} minutes. Read "
                "its errors in the log group {4}; a recent deploy, or DynamoDB, SQS, SNS, S3 or "
                "KMS refusing its calls, are the usual causes.",
                function_name, ERROR_RATE_PERCENT, evaluation.datapoints, evaluation.periods,
                monitored.function_log_groups[spec.id]),
            metrics={"errors": lambda_metric(function_name, "Errors", "Sum"),
                     "invocations": lambda_metric(function_name, "Invocations", "Sum")},
            expression=Expression("error_rate", guarded_percentage("errors", "invocations"),
                                  "Error rate (%)"),
            threshold=ERROR_RATE_PERCENT,
            evaluation=evaluation,
        ),
        AlarmSpec(
            purpose=f"{spec.id}-throttles",
            description=pulumi.Output.format(
                "{0} was throttled: all of its reserved concurrency (fraud:reservedConcurrency) "
                "was in use. Look for a surge of traffic or slower invocations (Duration) on "
                "the dashboard before raising the reservation.", function_name),
            metrics={"throttles": lambda_metric(function_name, "Throttles", "Sum")},
            threshold=0,
            evaluation=AT_ONCE,
        ),
    ]


def stream_lag_alarm(monitored: Monitored) -> AlarmSpec:
    """detect-fraud falling behind the transactions stream."""
    function_name = monitored.function_names[DETECT_FRAUD.id]
    return AlarmSpec(
        purpose=f"{DETECT_FRAUD.id}-iterator-age",
        description=pulumi.Output.format(
            "{0} is more than {1} s behind the transactions stream: verdicts and alerts are "
            "late. Look for its errors and throttles, a batch failing and being retried, or a "
            "surge of transactions.", function_name, ITERATOR_AGE_MS // 1000),
        metrics={"iterator_age": lambda_metric(function_name, "IteratorAge", "Maximum")},
        threshold=ITERATOR_AGE_MS,
        evaluation=SUSTAINED,
    )


def dead_letter_alarm(dlq: DeadLetterQueue, monitored: Monitored) -> AlarmSpec:
    """Any message in a dead-letter queue: something the pipeline accepted was not processed."""
    queue_name = monitored.dead_letter_queue_names[dlq.queue.purpose]
    return AlarmSpec(
        purpose=f"{dlq.queue.purpose}-depth",
        description=pulumi.Output.format("Messages wait in {0}: {1}.", queue_name, dlq.holds),
        metrics={"visible": Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                                   {"QueueName": queue_name})},
        threshold=0,
        evaluation=AT_ONCE,
    )


def api_alarms(monitored: Monitored) -> list[AlarmSpec]:
    """The API's server errors and its p99 latency, on the stage clients call."""
    stage = {"ApiName": monitored.api_name, "Stage": monitored.api_stage}
    return [
        AlarmSpec(
            purpose="fraud-api-5xx-rate",
            description=pulumi.Output.format(
                "Over {0} % of requests to {1} ({2}) failed with a 5XX in {3} of the last {4} "
                "minutes. Check process-transaction's errors and throttles, then the API's "
                "access log.", API_5XX_RATE_PERCENT, monitored.api_name, monitored.api_stage,
                SUSTAINED.datapoints, SUSTAINED.periods),
            metrics={"server_errors": Metric("AWS/ApiGateway", "5XXError", "Sum", stage),
                     "requests": Metric("AWS/ApiGateway", "Count", "Sum", stage)},
            expression=Expression("server_error_rate",
                                  guarded_percentage("server_errors", "requests"),
                                  "5XX rate (%)"),
            threshold=API_5XX_RATE_PERCENT,
            evaluation=SUSTAINED,
        ),
        AlarmSpec(
            purpose="fraud-api-p99-latency",
            description=pulumi.Output.format(
                "The p99 latency of {0} ({1}) was over {2} ms in {3} of the last {4} minutes: "
                "the sub-second promise is broken. Compare process-transaction's p99 Duration "
                "(DynamoDB latency, cold starts) with the API's own time.", monitored.api_name,
                monitored.api_stage, API_P99_LATENCY_MS, SUSTAINED.datapoints, SUSTAINED.periods),
            metrics={"latency": Metric("AWS/ApiGateway", "Latency", "p99", stage)},
            threshold=API_P99_LATENCY_MS,
            evaluation=SUSTAINED,
        ),
    ]


def platform_alarms(monitored: Monitored) -> list[AlarmSpec]:
    """Every alarm of the platform (the README lists them with what to do when they fire)."""
    return [
        *(alarm for spec in LAMBDAS for alarm in function_alarms(spec, monitored)),
        stream_lag_alarm(monitored),
        *(dead_letter_alarm(dlq, monitored) for dlq in DEAD_LETTER_QUEUES),
        *api_alarms(monitored),
    ]


def alarm_name(alarm: AlarmSpec, suffix: str) -> str:
    """``cw-{purpose}-{suffix}``."""
    return resource_name("cw", alarm.purpose, suffix)


@dataclass(frozen=True)
class PlatformAlarmsArgs:
    suffix: str
    topic_arn: pulumi.Input[str]  # notified when an alarm fires and when it recovers
    alarms: Sequence[AlarmSpec]


class PlatformAlarms(pulumi.ComponentResource):
    """One CloudWatch metric alarm per :class:`AlarmSpec`, all notifying the ops topic."""

    def __init__(self, name: str, args: PlatformAlarmsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:observability:PlatformAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.alarms = [aws.cloudwatch.MetricAlarm(
            f"{name}-{alarm.purpose}",
            name=alarm_name(alarm, args.suffix),
            alarm_description=alarm.description,
            metric_queries=alarm.metric_queries(),
            comparison_operator="GreaterThanThreshold",
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation.periods,
            datapoints_to_alarm=alarm.evaluation.datapoints,
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            opts=child,
        ) for alarm in args.alarms]
        self.names = [alarm.name for alarm in self.alarms]
        self.arns = [alarm.arn for alarm in self.alarms]
        self.register_outputs({"names": self.names})
