"""The four functions: ids, code packages, timeouts, and the environment each one reads.

The compute stack deploys from this catalog, the observability stack alarms on it and the
local mode runs it, so a function is declared once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from common import environment as env

from shared.outputs import DataOutputs

T = TypeVar("T")


@dataclass(frozen=True)
class LambdaSpec:
    id: str  # the purpose part of every name: lambda-{id}-{suffix}
    package: str  # folder under functions/, packaged with functions/common
    timeout_seconds: int
    description: str
    # Environment variable → the data layer output that fills it.
    environment: tuple[tuple[str, str], ...]

    @property
    def handler(self) -> str:
        return f"{self.package}.app.lambda_handler"


PROCESS_TRANSACTION = LambdaSpec(
    id="process-transaction",
    package="process_transaction",
    timeout_seconds=15,  # well under API Gateway's 29 s integration limit
    description="Validates and stores transactions (POST/GET /transactions)",
    environment=((env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),),
)
DETECT_FRAUD = LambdaSpec(
    id="detect-fraud",
    package="detect_fraud",
    timeout_seconds=60,
    description="Scores new transactions from the table's stream and queues suspicious ones",
    environment=(
        (env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
        (env.BY_ACCOUNT_INDEX, DataOutputs.BY_ACCOUNT_INDEX_NAME),
        (env.STATS_TABLE, DataOutputs.STATS_TABLE_NAME),
        (env.ALERTS_QUEUE_URL, DataOutputs.ALERTS_QUEUE_URL),
    ),
)
NOTIFY_TEAM = LambdaSpec(
    id="notify-team",
    package="notify_team",
    timeout_seconds=45,  # at most a sixth of the alerts queue's 300 s visibility timeout
    description="Sends one SNS digest per batch of fraud alerts",
    environment=(
        (env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
        (env.NOTIFICATIONS_TOPIC_ARN, DataOutputs.NOTIFICATIONS_TOPIC_ARN),
    ),
)
GENERATE_REPORT = LambdaSpec(
    id="generate-report",
    package="generate_report",
    timeout_seconds=300,
    description="Writes the daily fraud report (JSON and HTML) to S3",
    environment=(
        (env.BY_FLAGGED_DAY_INDEX, DataOutputs.BY_FLAGGED_DAY_INDEX_NAME),
        (env.TRANSACTIONS_TABLE, DataOutputs.TRANSACTIONS_TABLE_NAME),
        (env.STATS_TABLE, DataOutputs.STATS_TABLE_NAME),
        (env.REPORTS_BUCKET, DataOutputs.REPORTS_BUCKET_NAME),
        (env.KMS_KEY_ARN, DataOutputs.KMS_KEY_ARN),
    ),
)

LAMBDAS: tuple[LambdaSpec, ...] = (PROCESS_TRANSACTION, DETECT_FRAUD, NOTIFY_TEAM, GENERATE_REPORT)

# How the event source mappings feed detect-fraud and notify-team: the compute stack creates
# the mappings with these values and the local mode's pollers follow them.
STREAM_STARTING_POSITION = "TRIM_HORIZON"
STREAM_EVENT_NAMES = ("INSERT",)  # the mapping's filter: only new transactions are scored
# Lambda's own ceiling for the stream mapping; past it the record goes to the dead-letter queue.
STREAM_MAXIMUM_RETRY_ATTEMPTS = 3
STREAM_MAXIMUM_RECORD_AGE_SECONDS = 3600
STREAM_BISECT_BATCH_ON_FUNCTION_ERROR = True
ALERTS_BATCH_SIZE = 10
ALERTS_BATCH_WINDOW_SECONDS = 5
# An SQS mapping's maximum concurrency is at least 2; each notify-team invocation publishes
# one email digest, and SNS suspends email endpoints that receive over 10 messages a second.
ALERTS_MAXIMUM_CONCURRENCY = 2


def runtime_environment(spec: LambdaSpec) -> dict[str, str]:
    """What every function's environment holds besides its data-layer settings."""
    return {"POWERTOOLS_SERVICE_NAME": spec.id, "POWERTOOLS_LOG_LEVEL": "INFO"}


def function_environment(spec: LambdaSpec, data_outputs: Mapping[str, T]) -> dict[str, T]:
    """The environment variables of ``spec``, filled from the data layer's outputs.

    ``data_outputs`` maps :class:`~shared.outputs.DataOutputs` names to values: Pulumi outputs
    in the compute stack, plain strings in the local mode.
    """
    return {variable: data_outputs[output] for variable, output in spec.environment}
