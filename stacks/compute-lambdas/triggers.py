"""What invokes the functions: the table's stream, the alerts queue and a daily schedule."""

import json

import pulumi
import pulumi_aws as aws

from shared.naming import resource_name
from shared.settings import Settings

# Lambda's own ceiling for the stream mapping; past it the record goes to the dead-letter queue.
STREAM_MAXIMUM_RETRY_ATTEMPTS = 3
STREAM_MAXIMUM_RECORD_AGE_SECONDS = 3600
ALERTS_BATCH_SIZE = 10
ALERTS_BATCH_WINDOW_SECONDS = 5
# An SQS mapping's maximum concurrency is at least 2; each notify-team invocation publishes
# one email digest, and SNS suspends email endpoints that receive over 10 messages a second.
ALERTS_MAXIMUM_CONCURRENCY = 2
DAILY_REPORT_SCHEDULE = "cron(0 1 * * ? *)"  # 01:00 UTC: the previous UTC day is complete


def stream_trigger(name: str, settings: Settings, stream_arn: pulumi.Input[str],
                   function: aws.lambda_.Function, on_failure_queue_arn: pulumi.Input[str],
                   opts: pulumi.ResourceOptions) -> aws.lambda_.EventSourceMapping:
    """New transactions → detect-fraud, with partial batch failures and a dead-letter queue.

    Only INSERT records reach the function (the filter is evaluated by Lambda, for free);
    a failing record is retried alone after bisection, then sent to the analysis DLQ.
    """
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=stream_arn,
        function_name=function.arn,
        starting_position="TRIM_HORIZON",
        batch_size=settings.stream_batch_size,
        maximum_batching_window_in_seconds=settings.stream_batch_window_seconds,
        filter_criteria={"filters": [{"pattern": json.dumps({"eventName": ["INSERT"]})}]},
        function_response_types=["ReportBatchItemFailures"],
        bisect_batch_on_function_error=True,
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
    if settings.reserved_concurrency >= ALERTS_MAXIMUM_CONCURRENCY:
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
