"""data-dynamodb-s3-kms

The KMS key, the DynamoDB tables, the reports bucket, the SQS queues and the SNS topic.
Everything here is encrypted with the one project key; the layers after this one read the
names and ARNs it exports (shared.outputs.DataOutputs).
"""

import pulumi
import pulumi_aws as aws
from common.data_model import BY_ACCOUNT, BY_FLAGGED_DAY, BY_LABELLED_FRAUD_DAY
from encryption import (
    KeyPolicyScope,
    ProjectKey,
    ProjectKeyArgs,
    deletion_window_days,
    key_policy,
)
from messaging import AlertQueues, AlertQueuesArgs, topic_policy
from storage import ReportsBucket, ReportsBucketArgs
from tables import DataTables, DataTablesArgs

from shared.data_layer import (
    ACCESS_LOGS_BUCKET_PURPOSE,
    ALERTS,
    ALERTS_DLQ,
    ANALYSIS_DLQ,
    FEATURES_TABLE_PURPOSE,
    KMS_KEY_PURPOSE,
    NOTIFICATIONS_TOPIC_PURPOSE,
    REPORTS_BUCKET_PURPOSE,
    STATS_TABLE_PURPOSE,
    TRANSACTIONS_TABLE_PURPOSE,
)
from shared.naming import bucket_name, resource_name
from shared.outputs import AGREED_SETTINGS, DataOutputs
from shared.program import start_layer
from shared.refs import agreed_settings
from shared.topics import EncryptedTopic, EncryptedTopicArgs

settings = start_layer()
suffix = settings.environment_suffix
partition = aws.get_partition()
account_id = aws.get_caller_identity().account_id

key = ProjectKey("key", ProjectKeyArgs(
    alias_name="alias/" + resource_name("kms", KMS_KEY_PURPOSE, suffix),
    description=f"Fraud detection platform ({suffix}): tables, queues, topics, reports, logs "
                "and Lambda environment variables",
    deletion_window_days=deletion_window_days(settings.protect_data),
    policy=key_policy(KeyPolicyScope(
        partition=partition.partition,
        dns_suffix=partition.dns_suffix,
        region=settings.region,
        account_id=account_id,
        suffix=suffix,
    )),
))

tables = DataTables("tables", DataTablesArgs(suffix=suffix, kms_key_arn=key.arn,
                                             deletion_protection=settings.protect_data))

reports = ReportsBucket("reports", ReportsBucketArgs(
    bucket_name=bucket_name(REPORTS_BUCKET_PURPOSE, suffix, account_id),
    access_log_bucket_name=bucket_name(ACCESS_LOGS_BUCKET_PURPOSE, suffix, account_id),
    account_id=account_id,
    kms_key_arn=key.arn,
    retention_days=settings.report_retention_days,
    # fraud:protectData: S3 refuses to delete a bucket that holds objects, so destroy stops.
    force_destroy=not settings.protect_data,
))

queues = AlertQueues("queues", AlertQueuesArgs(suffix=suffix, kms_key_arn=key.arn))

account_root_arn = f"arn:{partition.partition}:iam::{account_id}:root"
notifications = EncryptedTopic("notifications", EncryptedTopicArgs(
    topic_name=resource_name("sns", NOTIFICATIONS_TOPIC_PURPOSE, suffix),
    kms_key_arn=key.arn,
    policy=lambda topic_arn: topic_policy(topic_arn, account_root_arn),
    alert_email=settings.alert_email,
))

transactions = tables.tables[TRANSACTIONS_TABLE_PURPOSE]
stats = tables.tables[STATS_TABLE_PURPOSE]
features = tables.tables[FEATURES_TABLE_PURPOSE]
alerts, alerts_dlq, analysis_dlq = (queues.queues[queue.purpose]
                                    for queue in (ALERTS, ALERTS_DLQ, ANALYSIS_DLQ))

pulumi.export(DataOutputs.ACCOUNT_ID, account_id)
pulumi.export(AGREED_SETTINGS, agreed_settings(settings))
pulumi.export(DataOutputs.KMS_KEY_ARN, key.arn)
pulumi.export(DataOutputs.KMS_KEY_ALIAS, key.alias.name)
pulumi.export(DataOutputs.TRANSACTIONS_TABLE_NAME, transactions.name)
pulumi.export(DataOutputs.TRANSACTIONS_TABLE_ARN, transactions.arn)
pulumi.export(DataOutputs.TRANSACTIONS_STREAM_ARN, transactions.stream_arn)
pulumi.export(DataOutputs.BY_ACCOUNT_INDEX_NAME, BY_ACCOUNT.name)
pulumi.export(DataOutputs.BY_FLAGGED_DAY_INDEX_NAME, BY_FLAGGED_DAY.name)
pulumi.export(DataOutputs.BY_LABELLED_FRAUD_DAY_INDEX_NAME, BY_LABELLED_FRAUD_DAY.name)
pulumi.export(DataOutputs.STATS_TABLE_NAME, stats.name)
pulumi.export(DataOutputs.STATS_TABLE_ARN, stats.arn)
pulumi.export(DataOutputs.FEATURES_TABLE_NAME, features.name)
pulumi.export(DataOutputs.FEATURES_TABLE_ARN, features.arn)
pulumi.export(DataOutputs.REPORTS_BUCKET_NAME, reports.bucket.bucket)
pulumi.export(DataOutputs.REPORTS_BUCKET_ARN, reports.bucket.arn)
pulumi.export(DataOutputs.ACCESS_LOGS_BUCKET_NAME, reports.access_log_bucket.bucket)
pulumi.export(DataOutputs.ALERTS_QUEUE_URL, alerts.url)
pulumi.export(DataOutputs.ALERTS_QUEUE_ARN, alerts.arn)
pulumi.export(DataOutputs.ALERTS_QUEUE_NAME, alerts.name)
pulumi.export(DataOutputs.ALERTS_DLQ_URL, alerts_dlq.url)
pulumi.export(DataOutputs.ALERTS_DLQ_ARN, alerts_dlq.arn)
pulumi.export(DataOutputs.ALERTS_DLQ_NAME, alerts_dlq.name)
pulumi.export(DataOutputs.ANALYSIS_DLQ_URL, analysis_dlq.url)
pulumi.export(DataOutputs.ANALYSIS_DLQ_ARN, analysis_dlq.arn)
pulumi.export(DataOutputs.ANALYSIS_DLQ_NAME, analysis_dlq.name)
pulumi.export(DataOutputs.NOTIFICATIONS_TOPIC_ARN, notifications.topic.arn)
