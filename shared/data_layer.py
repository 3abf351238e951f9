"""What the data layer holds, by purpose: the data stack builds it in AWS, the provisioning
helper (``shared.provisioning``) builds the same thing against any endpoint (moto, local mode).
"""

from dataclasses import dataclass

from common.data_model import FEATURES, STATS, TRANSACTIONS, Table

KMS_KEY_PURPOSE = "fraud"  # alias/kms-fraud-{suffix}
TRANSACTIONS_TABLE_PURPOSE = "transactions"
STATS_TABLE_PURPOSE = "fraud-stats"
FEATURES_TABLE_PURPOSE = "fraud-features"
REPORTS_BUCKET_PURPOSE = "fraud-reports"
ACCESS_LOGS_BUCKET_PURPOSE = "access-logs"  # the reports bucket's S3 server access logs
NOTIFICATIONS_TOPIC_PURPOSE = "fraud-notifications"

TABLES: dict[str, Table] = {
    TRANSACTIONS_TABLE_PURPOSE: TRANSACTIONS,
    STATS_TABLE_PURPOSE: STATS,
    FEATURES_TABLE_PURPOSE: FEATURES,
}

DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Queue:
    purpose: str
    visibility_timeout_seconds: int = 30
    retention_seconds: int = 4 * DAY_SECONDS
    dead_letter: "Queue | None" = None
    max_receive_count: int | None = None  # receives before SQS moves a message to dead_letter


# Both dead-letter queues keep messages for SQS's maximum, 14 days, for investigation.
ALERTS_DLQ = Queue("fraud-alerts-dlq", retention_seconds=14 * DAY_SECONDS)
ANALYSIS_DLQ = Queue("fraud-analysis-dlq", retention_seconds=14 * DAY_SECONDS)
# 300 s visibility: six times notify-team's 45 s timeout, as AWS advises for SQS triggers.
ALERTS = Queue("fraud-alerts", visibility_timeout_seconds=300, dead_letter=ALERTS_DLQ,
               max_receive_count=5)

QUEUES: tuple[Queue, ...] = (ALERTS_DLQ, ANALYSIS_DLQ, ALERTS)  # dead-letter queues first
