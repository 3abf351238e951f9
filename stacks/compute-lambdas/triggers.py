"""What invokes the functions: the table's stream, the alerts queue and a daily schedule."""

import json

import pulumi
import pulumi_aws as aws

from shared.lambdas import (
    ALERTS_BATCH_SIZE,
    ALERTS_BATCH_WINDOW_SECONDS,
    ALERTS_MAXIMUM_CONCURRENCY,
    NOTIFY_TEAM,
    STREAM_BISECT_BATCH_ON_FUNCTION_ERROR,
    STREAM_FILTER_PATTERN,
    STREAM_MAXIMUM_RECORD_AGE_SECONDS,
    STREAM_MAXIMUM_RETRY_ATTEMPTS,
    STREAM_STARTING_POSITION,
)
from shared.naming import resource_name
from shared.settings import Settings

DAILY_REPORT_SCHEDULE = "cron(0 1 * * ? *)"  # 01:00 UTC: the previous UTC day is complete


def stream_trigger(name: str, settings: Settings, stream_arn: pulumi.Input[str],
                   function: aws.lambda_.Function, on_failure_queue_arn: pulumi.Input[str],
                   opts: pulumi.ResourceOptions) -> aws.lambda_.EventSourceMapping:
    """New transactions → detect-fraud, with partial batch failures and a dead-letter queue.

    Only new transactions reach the function (the filter is evaluated by Lambda, for free);
    a failing record is retried alone after bisection, then sent to the analysis DLQ.
    """
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=stream_arn,
        function_name=function.arn,
        starting_position=STREAM_STARTING_POSITION,
        batch_size=settings.stream_batch_size,
        maximum_batching_window_in_seconds=settings.stream_batch_window_seconds,
        filter_criteria={"filters": [{"pattern": json.dumps(STREAM_FILTER_PATTERN)}]},
        function_response_types=["ReportBatchItemFailures"],
        bisect_batch_on_function_error=STREAM_BISECT_BATCH_ON_FUNCTION_ERROR,
        maximum_retry_attempts=STREAM_MAXIMUM_RETRY_ATTEMPTS,
        maximum_record_age_in_seconds=STREAM_MAXIMUM_RECORD_AGE_SECONDS,
        destination_config={"on_failure": {"destination_arn": on_failure_queue_arn}},
        opts=opts,
    )


def alerts_trigger(name: str, settings: Settings, queue_arn: pulumi.Input[str],
                   function: aws.lambda_.Function,
                   opts: pulumi.ResourceOptions) -> aws.lambda_.EventSourceMapping:
    """Fraud alerts → notify-team in batches of ten; failed messages return to the queue."""
    scaling = None
    reserved = settings.reserved_concurrency[NOTIFY_TEAM.id]
    if reserved is None or reserved >= ALERTS_MAXIMUM_CONCURRENCY:
        scaling = {"maximum_concurrency": ALERTS_MAXIMUM_CONCURRENCY}
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=queue_arn,
        function_name=function.arn,
        batch_size=ALERTS_BATCH_SIZE,
        maximum_batching_window_in_seconds=ALERTS_BATCH_WINDOW_SECONDS,
        function_response_types=["ReportBatchItemFailures"],
        scaling_config=scaling,
        opts=opts,
    )


class DailyReportSchedule(pulumi.ComponentResource):
    """Invokes generate-report at 01:00 UTC; only this rule may invoke the function."""

    def __init__(self, name: str, settings: Settings, function: aws.lambda_.Function,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fraud:compute:DailyReportSchedule", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=resource_name("cw", "daily-fraud-report", settings.environment_suffix),
            description="Builds the previous UTC day's fraud report",
            schedule_expression=DAILY_REPORT_SCHEDULE,
            opts=child,
        )
        self.permission = aws.lambda_.Permission(
            f"{name}-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            opts=child,
        )
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            arn=function.arn,
            input=json.dumps({}),  # no day: the function reports on yesterday (UTC)
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.permission]),
        )
        self.register_outputs({"ruleArn": self.rule.arn})
