"""The names of every layer's stack outputs: the contract between the five layers.

A layer exports under these names and its downstream layers read them back through
:class:`shared.refs.Upstream`; the chain tests fail when a name on either side drifts.
"""


# The data layer's export of what every downstream layer must agree on, as it read it
# (shared.refs): the settings, not a resource, so not among DataOutputs' resource names.
AGREED_SETTINGS = "agreedSettings"


class NetworkOutputs:
    """Exports of ``network-vpc``."""

    VPC_ID = "vpcId"
    PRIVATE_SUBNET_IDS = "privateSubnetIds"
    LAMBDA_SECURITY_GROUP_ID = "lambdaSecurityGroupId"


class DataOutputs:
    """Exports of ``data-dynamodb-s3-kms``."""

    ACCOUNT_ID = "accountId"
    KMS_KEY_ARN = "kmsKeyArn"
    KMS_KEY_ALIAS = "kmsKeyAlias"
    TRANSACTIONS_TABLE_NAME = "transactionsTableName"
    TRANSACTIONS_TABLE_ARN = "transactionsTableArn"
    TRANSACTIONS_STREAM_ARN = "transactionsStreamArn"
    BY_ACCOUNT_INDEX_NAME = "byAccountIndexName"
    BY_FLAGGED_DAY_INDEX_NAME = "byFlaggedDayIndexName"
    BY_LABELLED_FRAUD_DAY_INDEX_NAME = "byLabelledFraudDayIndexName"
    STATS_TABLE_NAME = "statsTableName"
    STATS_TABLE_ARN = "statsTableArn"
    FEATURES_TABLE_NAME = "featuresTableName"
    FEATURES_TABLE_ARN = "featuresTableArn"
    REPORTS_BUCKET_NAME = "reportsBucketName"
    REPORTS_BUCKET_ARN = "reportsBucketArn"
    ACCESS_LOGS_BUCKET_NAME = "accessLogsBucketName"
    ALERTS_QUEUE_URL = "alertsQueueUrl"
    ALERTS_QUEUE_ARN = "alertsQueueArn"
    ALERTS_QUEUE_NAME = "alertsQueueName"
    ALERTS_DLQ_URL = "alertsDlqUrl"
    ALERTS_DLQ_ARN = "alertsDlqArn"
    ALERTS_DLQ_NAME = "alertsDlqName"
    ANALYSIS_DLQ_URL = "analysisDlqUrl"
    ANALYSIS_DLQ_ARN = "analysisDlqArn"
    ANALYSIS_DLQ_NAME = "analysisDlqName"
    NOTIFICATIONS_TOPIC_ARN = "notificationsTopicArn"


class ComputeOutputs:
    """Exports of ``compute-lambdas``.

    ``FUNCTIONS`` maps each function id of :data:`shared.lambdas.LAMBDAS` to an object with
    the keys below, e.g. ``functions["process-transaction"]["invokeArn"]``.
    """

    FUNCTIONS = "functions"
    NAME = "name"
    ARN = "arn"
    INVOKE_ARN = "invokeArn"
    LOG_GROUP_NAME = "logGroupName"


class EdgeOutputs:
    """Exports of ``edge-apigateway``."""

    API_URL = "apiUrl"
    REST_API_ID = "restApiId"
    REST_API_NAME = "restApiName"
    STAGE_NAME = "stageName"
    ACCESS_LOG_GROUP_NAME = "accessLogGroupName"
    EXECUTION_LOG_GROUP_NAME = "executionLogGroupName"
    API_KEY = "apiKey"  # secret; only with fraud:apiAuth=api-key
    WEB_ACL_ARN = "webAclArn"  # only with fraud:waf (the default)


class ObservabilityOutputs:
    """Exports of ``observability-alarms``."""

    OPS_TOPIC_ARN = "opsTopicArn"
    DASHBOARD_NAME = "dashboardName"
    ALARM_NAMES = "alarmNames"
    FLOW_LOG_GROUP_NAME = "flowLogGroupName"
