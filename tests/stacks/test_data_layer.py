"""data-dynamodb-s3-kms under the chain harness, in both configurations: the key and its policy
statement by statement, the tables, the reports bucket, the queues, the topic and the exports."""

import fnmatch
import json
from typing import Any

import pytest
from common.data_model import STATS, TRANSACTIONS, Table

from shared.data_layer import ALERTS, ALERTS_DLQ, ANALYSIS_DLQ, QUEUES
from shared.lambdas import LAMBDAS
from shared.layers import DATA, LAYERS
from shared.naming import resource_name
from shared.outputs import AGREED_SETTINGS, DataOutputs
from tests.harness.aws_state import ACCOUNT_ID, REGION
from tests.harness.chain import CONFIGURATIONS
from tests.harness.pulumi_mocks import ProgramRun, Resource, run_layer

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = ("aws:s3/bucketServerSideEncryptionConfiguration:"
              "BucketServerSideEncryptionConfiguration")
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
QUEUE = "aws:sqs/queue:Queue"
REDRIVE_ALLOW = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
# Other layers legitimately create SNS topics (the ops topic); these types are ours alone.
OWNED_TYPES = (KEY, ALIAS, TABLE, BUCKET, ENCRYPTION, VERSIONING, LIFECYCLE, PUBLIC_ACCESS,
               OWNERSHIP, BUCKET_POLICY, QUEUE, REDRIVE_ALLOW)
DAY = 24 * 60 * 60


@pytest.fixture
def data(chain) -> ProgramRun:
    return chain[DATA]


@pytest.fixture
def suffix(settings) -> str:
    return settings.environment_suffix


def _key_arn(data: ProgramRun) -> str:
    return data.one(KEY).state["arn"]


def _named(data: ProgramRun, resource_type: str, name: str) -> Resource:
    found = [r for r in data.of_type(resource_type) if r.inputs.get("name") == name]
    assert len(found) == 1, (resource_type, name, [r.inputs.get("name")
                                                   for r in data.of_type(resource_type)])
    return found[0]


def _bucket(data: ProgramRun, name: str = "reports-bucket") -> Resource:
    return data.one(BUCKET, name)


def _for_bucket(data: ProgramRun, resource_type: str, name: str = "reports-bucket") -> Resource:
    """The one ``resource_type`` configuring bucket ``name`` (its logical name)."""
    bucket = _bucket(data, name).state["bucket"]
    [resource] = [r for r in data.of_type(resource_type) if r.inputs["bucket"] == bucket]
    return resource


def _policy(resource: Resource) -> dict[str, Any]:
    return json.loads(resource.inputs["policy"])


def _statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in policy["Statement"]}


# ---- the KMS key ----

def test_key_rotates(data):
    key = data.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs.get("keyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"


def test_key_alias_carries_the_suffix(data, suffix):
    alias = data.one(ALIAS)
    assert alias.inputs["name"] == f"alias/kms-fraud-{suffix}"
    assert alias.inputs["targetKeyId"] == data.one(KEY).state["keyId"]


def test_key_policy_has_exactly_the_three_statements(data):
    assert list(_statements(_policy(data.one(KEY)))) == [
        "AccountAdministration",
        "CloudWatchLogsForProjectLogGroups",
        "CloudWatchAlarmsPublishToEncryptedTopics",
    ]


def test_key_policy_lets_the_account_administer_the_key_through_iam(data):
    assert _statements(_policy(data.one(KEY)))["AccountAdministration"] == {
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def test_key_policy_lets_cloudwatch_logs_use_it_for_this_projects_log_groups_only(data, suffix):
    log_groups = [f"/aws/lambda/lambda-{spec.id}-{suffix}" for spec in LAMBDAS]
    log_groups.append(f"/aws/apigateway/apigw-fraud-api-{suffix}/access")
    # API Gateway names the execution log group after the REST API's id, unknown here.
    log_groups.append("API-Gateway-Execution-Logs_*/v1")
    log_groups.append(f"/aws/vpc/flow-logs/vpc-fraud-{suffix}")  # observability's flow logs
    statement = _statements(_policy(data.one(KEY)))["CloudWatchLogsForProjectLogGroups"]
    assert statement == {
        "Sid": "CloudWatchLogsForProjectLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                   "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [
            f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}" for name in log_groups]}},
    }
    assert len(log_groups) == 7  # four functions, the API's access and execution logs, the VPC


def test_key_policy_lets_this_accounts_alarms_publish_to_encrypted_topics(data, suffix):
    statement = _statements(_policy(data.one(KEY)))["CloudWatchAlarmsPublishToEncryptedTopics"]
    assert statement == {
        "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:"
                                         f"cw-*-{suffix}"},
        },
    }


def test_the_alarm_condition_admits_this_stacks_alarm_names_and_no_other_stacks(data, suffix):
    pattern = (_statements(_policy(data.one(KEY)))["CloudWatchAlarmsPublishToEncryptedTopics"]
               ["Condition"]["ArnLike"]["aws:SourceArn"])
    alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:"
    assert fnmatch.fnmatchcase(alarm + resource_name("cw", "detect-fraud-errors", suffix), pattern)
    assert not fnmatch.fnmatchcase(alarm + resource_name("cw", "detect-fraud-errors", "other"),
                                   pattern)
    assert not fnmatch.fnmatchcase(
        f"arn:aws:cloudwatch:{REGION}:210987654321:alarm:"
        + resource_name("cw", "detect-fraud-errors", suffix), pattern)


def test_no_key_policy_statement_is_open_to_anyone(data):
    for statement in _policy(data.one(KEY))["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] != "*"
        assert "*" not in json.dumps(statement["Principal"])
        if statement["Sid"] != "AccountAdministration":
            assert "Condition" in statement, statement["Sid"]
            assert "kms:*" not in statement["Action"]


# ---- the tables ----

@pytest.mark.parametrize(("purpose", "definition"), [("transactions", TRANSACTIONS),
                                                     ("fraud-stats", STATS)])
def test_table_keys_and_attributes_follow_the_data_model(data, suffix, purpose, definition: Table):
    table = _named(data, TABLE, f"dynamodb-{purpose}-{suffix}")
    assert table.inputs["hashKey"] == definition.hash_key.name
    assert table.inputs["rangeKey"] == definition.range_key.name
    assert sorted((a["name"], a["type"]) for a in table.inputs["attributes"]) == sorted(
        (attribute.name, attribute.type) for attribute in definition.attributes)


def test_transactions_table_keys_are_the_specs(data, suffix):
    table = _named(data, TABLE, f"dynamodb-transactions-{suffix}")
    attributes = {a["name"]: a["type"] for a in table.inputs["attributes"]}
    assert (table.inputs["hashKey"], table.inputs["rangeKey"]) == ("transactionId", "timestamp")
    assert attributes == {"transactionId": "S", "timestamp": "N", "accountId": "S",
                          "flaggedDay": "S", "labelledFraudDay": "S"}


def test_transactions_table_indexes_and_their_projections(data, suffix):
    table = _named(data, TABLE, f"dynamodb-transactions-{suffix}")
    indexes = {index["name"]: index for index in table.inputs["globalSecondaryIndexes"]}
    assert set(indexes) == {index.name for index in TRANSACTIONS.indexes} == {
        "byAccount", "byFlaggedDay", "byLabelledFraudDay"}
    for index in TRANSACTIONS.indexes:
        given = indexes[index.name]
        assert given["keySchemas"] == [
            {"attributeName": index.hash_key.name, "keyType": "HASH"},
            {"attributeName": index.range_key.name, "keyType": "RANGE"},
        ]
        assert given["projectionType"] == index.projection_type
        assert given.get("nonKeyAttributes", []) == list(index.non_key_attributes)
    assert [k["attributeName"] for k in indexes["byAccount"]["keySchemas"]] == [
        "accountId", "timestamp"]
    assert [k["attributeName"] for k in indexes["byFlaggedDay"]["keySchemas"]] == [
        "flaggedDay", "timestamp"]
    assert [k["attributeName"] for k in indexes["byLabelledFraudDay"]["keySchemas"]] == [
        "labelledFraudDay", "timestamp"]
    # The report tells missed from caught frauds by the verdict the index carries.
    assert "fraudStatus" in indexes["byLabelledFraudDay"]["nonKeyAttributes"]
    # The rules read amount and country of the account's history from the index alone.
    assert {"amount", "country"} <= set(indexes["byAccount"]["nonKeyAttributes"])


def test_transactions_table_streams_new_and_old_images(data, suffix):
    table = _named(data, TABLE, f"dynamodb-transactions-{suffix}")
    assert table.inputs["streamEnabled"] is True
    assert table.inputs["streamViewType"] == "NEW_AND_OLD_IMAGES"


def test_stats_table_is_day_partitioned_without_indexes_or_stream(data, suffix):
    table = _named(data, TABLE, f"dynamodb-fraud-stats-{suffix}")
    assert (table.inputs["hashKey"], table.inputs["rangeKey"]) == ("day", "hourShard")
    assert not table.inputs.get("globalSecondaryIndexes")
    assert not table.inputs.get("streamEnabled")


@pytest.mark.parametrize("purpose", ["transactions", "fraud-stats", "fraud-features"])
def test_tables_are_on_demand_encrypted_recoverable_and_deletable(data, suffix, purpose):
    table = _named(data, TABLE, f"dynamodb-{purpose}-{suffix}")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": _key_arn(data)}
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}


def test_exactly_the_three_tables(data):
    assert len(data.of_type(TABLE)) == 3


def test_only_the_features_table_expires_its_items(data, suffix):
    features = _named(data, TABLE, f"dynamodb-fraud-features-{suffix}")
    assert features.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    others = [table for table in data.of_type(TABLE) if table is not features]
    assert all("ttl" not in table.inputs for table in others)


# ---- the reports bucket ----

def test_bucket_name_carries_suffix_and_account(data, suffix):
    bucket = _bucket(data)
    assert bucket.inputs["bucket"] == f"s3-fraud-reports-{suffix}-{ACCOUNT_ID}"


def test_bucket_encrypts_by_default_with_the_key_and_a_bucket_key(data):
    assert _for_bucket(data, ENCRYPTION).inputs["rules"] == [{
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                               "kmsMasterKeyId": _key_arn(data)},
        "bucketKeyEnabled": True,
    }]


def test_bucket_is_versioned(data):
    assert _for_bucket(data, VERSIONING).inputs["versioningConfiguration"] == {
        "status": "Enabled"}


def test_bucket_lifecycle_ages_reports_out(data, settings):
    lifecycle = _for_bucket(data, LIFECYCLE)
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": ""}, "every object"
    # Both configurations keep reports past 90 days, so both transitions come before expiry.
    assert rule["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"},
                                   {"days": 90, "storageClass": "GLACIER_IR"}]
    assert rule["expiration"] == {"days": settings.report_retention_days}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert _for_bucket(data, VERSIONING).urn in lifecycle.dependencies


def test_small_reports_stay_in_standard(data):
    lifecycle = _for_bucket(data, LIFECYCLE).inputs
    assert lifecycle["transitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"


@pytest.mark.parametrize(("retention", "transitions"), [
    (1, None),
    (30, None),  # an object that expires on day 30 is not moved on day 30
    (31, [{"days": 30, "storageClass": "STANDARD_IA"}]),
    (90, [{"days": 30, "storageClass": "STANDARD_IA"}]),
    (91, [{"days": 30, "storageClass": "STANDARD_IA"}, {"days": 90, "storageClass": "GLACIER_IR"}]),
])
def test_transitions_fit_a_short_retention_every_one_before_expiry(retention, transitions):
    """S3 refuses an expiry at or before a transition: the transitions shrink to fit."""
    run = run_layer(DATA, config={"fraud:reportRetentionDays": str(retention)})
    (rule,) = _for_bucket(run, LIFECYCLE).inputs["rules"]
    assert rule.get("transitions") == transitions
    assert rule["expiration"] == {"days": retention}


def test_report_retention_follows_config(data, configuration):
    (rule,) = _for_bucket(data, LIFECYCLE).inputs["rules"]
    assert rule["expiration"]["days"] == int(
        configuration.config.get("fraud:reportRetentionDays", 365))


def test_bucket_blocks_all_public_access(data):
    public_access = _for_bucket(data, PUBLIC_ACCESS).inputs
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                    "restrictPublicBuckets"):
        assert public_access[setting] is True, setting


def test_bucket_owner_owns_every_object(data):
    assert _for_bucket(data, OWNERSHIP).inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}


def test_bucket_policy_statements(data):
    bucket_arn = _bucket(data).state["arn"]
    objects = f"{bucket_arn}/*"
    policy = _for_bucket(data, BUCKET_POLICY)
    statements = _statements(_policy(policy))
    assert statements == {
        "DenyInsecureTransport": {
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        "DenyEncryptionOtherThanSseKms": {
            "Sid": "DenyEncryptionOtherThanSseKms", "Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": objects,
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "false"},
                          "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        },
        "DenyKmsKeyOtherThanProjectKey": {
            "Sid": "DenyKmsKeyOtherThanProjectKey", "Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": objects,
            "Condition": {
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                "StringNotEquals": {
                    "s3:x-amz-server-side-encryption-aws-kms-key-id": _key_arn(data)},
            },
        },
        "DenySseKmsWithoutProjectKey": {
            "Sid": "DenySseKmsWithoutProjectKey", "Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": objects,
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "false",
                                   "s3:x-amz-server-side-encryption-aws-kms-key-id": "true"}},
        },
    }
    assert _for_bucket(data, PUBLIC_ACCESS).urn in policy.dependencies


# ---- the access-log bucket (S3 server access logs of the reports bucket) ----

LOG_BUCKET = "reports-access-logs-bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


def test_every_request_to_the_reports_bucket_is_logged_to_the_log_bucket(data, suffix):
    logs = _bucket(data, LOG_BUCKET)
    assert logs.inputs["bucket"] == f"s3-access-logs-{suffix}-{ACCOUNT_ID}"
    logging = data.one(LOGGING)
    assert logging.inputs["bucket"] == _bucket(data).state["bucket"]
    assert logging.inputs["targetBucket"] == logs.state["bucket"]
    assert logging.inputs["targetPrefix"] == "reports-bucket/"
    assert logging.inputs["targetObjectKeyFormat"] == {
        "partitionedPrefix": {"partitionDateSource": "EventTime"}}


def test_the_log_bucket_is_sse_s3_the_only_default_server_access_logging_supports(data):
    assert _for_bucket(data, ENCRYPTION, LOG_BUCKET).inputs["rules"] == [{
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


def test_the_log_bucket_keeps_the_reports_bucket_s_other_rules(data):
    for resource_type in (PUBLIC_ACCESS, OWNERSHIP, VERSIONING, LIFECYCLE):
        ours = {k: v for k, v in _for_bucket(data, resource_type, LOG_BUCKET).inputs.items()
                if k not in ("bucket", "tags")}
        reports = {k: v for k, v in _for_bucket(data, resource_type).inputs.items()
                   if k not in ("bucket", "tags")}
        assert ours == reports, resource_type


def test_only_s3_logging_for_the_reports_bucket_writes_to_the_log_bucket(data):
    logs = _bucket(data, LOG_BUCKET).state["arn"]
    statements = _statements(_policy(_for_bucket(data, BUCKET_POLICY, LOG_BUCKET)))
    assert statements["DenyInsecureTransport"]["Resource"] == [logs, f"{logs}/*"]
    assert statements["S3ServerAccessLogsOfTheReportsBucket"] == {
        "Sid": "S3ServerAccessLogsOfTheReportsBucket", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": f"{logs}/reports-bucket/*",
        "Condition": {"ArnLike": {"aws:SourceArn": _bucket(data).state["arn"]},
                      "StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}}


# ---- fraud:protectData ----

def test_protect_data_sets_deletion_protection_the_key_window_and_keeps_full_buckets(
        data, settings):
    """Off (the default configuration): everything destroyable. On (the alternate one): AWS
    refuses to delete the tables until it is turned off, a month to cancel the key's deletion,
    and destroy stops at a bucket that still holds objects."""
    protect = settings.protect_data
    assert data.one(KEY).inputs["deletionWindowInDays"] == (30 if protect else 7)
    assert {t.inputs["deletionProtectionEnabled"] for t in data.of_type(TABLE)} == {protect}
    assert {b.inputs["forceDestroy"] for b in data.of_type(BUCKET)} == {not protect}
    # AWS's own protections, not Pulumi's protect: a destroy stays possible once it is off.
    assert not any(resource.protect for resource in data.resources)


def _condition_holds(operator: str, key: str, expected: str, request: dict[str, str]) -> bool:
    """IAM's semantics for the operators the bucket policy uses (a missing key makes a negated
    operator true and the others false)."""
    value = request.get(key)
    if operator == "Null":
        return (value is None) == (expected == "true")
    if operator == "StringNotEquals":
        return value is None or value != expected
    if operator == "Bool":
        return value is not None and value.lower() == expected
    raise AssertionError(f"unexpected operator {operator}")


def _denied_by(policy: dict[str, Any], action: str, request: dict[str, str]) -> list[str]:
    denied = []
    for statement in policy["Statement"]:
        if statement["Effect"] == "Deny" and fnmatch.fnmatchcase(action, statement["Action"]) \
                and all(_condition_holds(operator, key, expected, request)
                        for operator, conditions in statement["Condition"].items()
                        for key, expected in conditions.items()):
            denied.append(statement["Sid"])
    return denied


SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
TLS = {"aws:SecureTransport": "true"}


@pytest.mark.parametrize(("case", "action", "request_headers", "refused"), [
    ("relies on the default encryption", "s3:PutObject", {}, False),
    ("names the project key, as generate-report does", "s3:PutObject",
     {SSE: "aws:kms", SSE_KEY: "<key>"}, False),
    ("a part of a multipart upload (never carries the headers)", "s3:PutObject", {}, False),
    ("asks for SSE-S3", "s3:PutObject", {SSE: "AES256"}, True),
    ("asks for dual-layer SSE-KMS", "s3:PutObject", {SSE: "aws:kms:dsse", SSE_KEY: "<key>"}, True),
    ("names another key", "s3:PutObject",
     {SSE: "aws:kms", SSE_KEY: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/another"}, True),
    ("names the key by id rather than ARN", "s3:PutObject",
     {SSE: "aws:kms", SSE_KEY: "<key id>"}, True),
    ("asks for SSE-KMS without a key (S3 would use aws/s3)", "s3:PutObject",
     {SSE: "aws:kms"}, True),
])
def test_upload_rule(data, case, action, request_headers, refused):
    key = data.one(KEY)
    replacements = {"<key>": key.state["arn"], "<key id>": key.state["keyId"]}
    request = {**TLS, **{k: replacements.get(v, v) for k, v in request_headers.items()}}
    policy = _policy(_for_bucket(data, BUCKET_POLICY))
    assert bool(_denied_by(policy, action, request)) is refused, case


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:PutObject", "s3:ListBucket"])
def test_requests_without_tls_are_refused(data, action):
    policy = _policy(_for_bucket(data, BUCKET_POLICY))
    assert "DenyInsecureTransport" in _denied_by(policy, action, {"aws:SecureTransport": "false"})


# ---- the queues ----

@pytest.mark.parametrize("queue", QUEUES, ids=lambda queue: queue.purpose)
def test_queues_follow_the_catalog_and_are_encrypted(data, suffix, queue):
    resource = _named(data, QUEUE, f"sqs-{queue.purpose}-{suffix}")
    assert resource.inputs["visibilityTimeoutSeconds"] == queue.visibility_timeout_seconds
    assert resource.inputs["messageRetentionSeconds"] == queue.retention_seconds
    assert resource.inputs["kmsMasterKeyId"] == _key_arn(data)
    assert 60 <= resource.inputs["kmsDataKeyReusePeriodSeconds"] <= 86400
    assert not resource.inputs.get("sqsManagedSseEnabled")


def test_alerts_queue_as_the_spec_says(data, suffix):
    alerts = _named(data, QUEUE, f"sqs-fraud-alerts-{suffix}")
    dlq = _named(data, QUEUE, f"sqs-fraud-alerts-dlq-{suffix}")
    assert alerts.inputs["visibilityTimeoutSeconds"] == 300
    assert json.loads(alerts.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dlq.state["arn"], "maxReceiveCount": 5}
    assert ALERTS.max_receive_count == 5


@pytest.mark.parametrize("dlq", [ALERTS_DLQ, ANALYSIS_DLQ], ids=lambda queue: queue.purpose)
def test_dead_letter_queues_keep_messages_fourteen_days_and_redrive_nowhere(data, suffix, dlq):
    resource = _named(data, QUEUE, f"sqs-{dlq.purpose}-{suffix}")
    assert resource.inputs["messageRetentionSeconds"] == 14 * DAY
    assert not resource.inputs.get("redrivePolicy")


def test_only_the_alerts_queue_may_use_the_alerts_dlq(data, suffix):
    queues = {q.inputs["name"]: q for q in data.of_type(QUEUE)}
    allow = {policy.inputs["queueUrl"]: json.loads(policy.inputs["redriveAllowPolicy"])
             for policy in data.of_type(REDRIVE_ALLOW)}
    assert allow == {
        queues[f"sqs-fraud-alerts-dlq-{suffix}"].state["url"]: {
            "redrivePermission": "byQueue",
            "sourceQueueArns": [queues[f"sqs-fraud-alerts-{suffix}"].state["arn"]]},
        queues[f"sqs-fraud-analysis-dlq-{suffix}"].state["url"]: {"redrivePermission": "denyAll"},
        queues[f"sqs-fraud-alerts-{suffix}"].state["url"]: {"redrivePermission": "denyAll"},
    }


def test_exactly_the_catalogs_queues(data, suffix):
    assert sorted(q.inputs["name"] for q in data.of_type(QUEUE)) == sorted(
        f"sqs-{queue.purpose}-{suffix}" for queue in QUEUES)


# ---- the topic ----

def test_topic_is_encrypted_with_the_key(data, suffix):
    topic = _named(data, TOPIC, f"sns-fraud-notifications-{suffix}")
    assert topic.inputs["kmsMasterKeyId"] == _key_arn(data)


def test_topic_policy_allows_publishing_from_this_account_only(data):
    topic = data.one(TOPIC)
    policy = data.one(TOPIC_POLICY)
    assert policy.inputs["arn"] == topic.state["arn"]
    assert _policy(policy)["Statement"] == [{
        "Sid": "PublishFromThisAccountOnly",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "sns:Publish",
        "Resource": topic.state["arn"],
    }]


def test_email_subscription_only_when_alert_email_is_set(data, configuration):
    subscriptions = data.of_type(SUBSCRIPTION)
    email = configuration.config.get("fraud:alertEmail")
    if email is None:
        assert subscriptions == []
    else:
        (subscription,) = subscriptions
        assert subscription.inputs == {**subscription.inputs, "protocol": "email",
                                       "endpoint": email, "topic": data.one(TOPIC).state["arn"]}


def test_both_configurations_cover_with_and_without_email():
    # The subscription test above is only as good as the two configurations it runs under.
    emails = [c.config.get("fraud:alertEmail") for c in CONFIGURATIONS.values()]
    assert None in emails
    assert any(emails)


# ---- exports ----

def test_exports_every_data_output(data):
    names = {value for key, value in vars(DataOutputs).items() if key.isupper()}
    assert set(data.outputs) == names | {AGREED_SETTINGS}


def test_exports_match_the_resources(data, suffix, settings):
    out = data.outputs
    transactions = _named(data, TABLE, f"dynamodb-transactions-{suffix}")
    stats = _named(data, TABLE, f"dynamodb-fraud-stats-{suffix}")
    features = _named(data, TABLE, f"dynamodb-fraud-features-{suffix}")
    queues = {queue.purpose: _named(data, QUEUE, f"sqs-{queue.purpose}-{suffix}")
              for queue in QUEUES}
    expected = {
        DataOutputs.ACCOUNT_ID: ACCOUNT_ID,
        AGREED_SETTINGS: {"fraud:environmentSuffix": suffix,
                                      "aws:region": settings.region},
        DataOutputs.KMS_KEY_ARN: _key_arn(data),
        DataOutputs.KMS_KEY_ALIAS: data.one(ALIAS).inputs["name"],
        DataOutputs.TRANSACTIONS_TABLE_NAME: transactions.state["name"],
        DataOutputs.TRANSACTIONS_TABLE_ARN: transactions.state["arn"],
        DataOutputs.TRANSACTIONS_STREAM_ARN: transactions.state["streamArn"],
        DataOutputs.BY_ACCOUNT_INDEX_NAME: "byAccount",
        DataOutputs.BY_FLAGGED_DAY_INDEX_NAME: "byFlaggedDay",
        DataOutputs.BY_LABELLED_FRAUD_DAY_INDEX_NAME: "byLabelledFraudDay",
        DataOutputs.STATS_TABLE_NAME: stats.state["name"],
        DataOutputs.STATS_TABLE_ARN: stats.state["arn"],
        DataOutputs.FEATURES_TABLE_NAME: features.state["name"],
        DataOutputs.FEATURES_TABLE_ARN: features.state["arn"],
        DataOutputs.REPORTS_BUCKET_NAME: _bucket(data).state["bucket"],
        DataOutputs.REPORTS_BUCKET_ARN: _bucket(data).state["arn"],
        DataOutputs.ACCESS_LOGS_BUCKET_NAME: _bucket(data, LOG_BUCKET).state["bucket"],
        DataOutputs.NOTIFICATIONS_TOPIC_ARN: data.one(TOPIC).state["arn"],
    }
    for queue, prefix in ((ALERTS, "ALERTS_QUEUE"), (ALERTS_DLQ, "ALERTS_DLQ"),
                          (ANALYSIS_DLQ, "ANALYSIS_DLQ")):
        for attribute in ("url", "arn", "name"):
            expected[getattr(DataOutputs, f"{prefix}_{attribute.upper()}")] = (
                queues[queue.purpose].state[attribute])
    assert out == expected


# ---- ownership ----

def test_only_this_layer_creates_the_data_resources(chain):
    for resource_type in OWNED_TYPES:
        creators = [layer for layer in LAYERS if chain[layer].of_type(resource_type)]
        assert creators == [DATA], resource_type


def test_no_other_layer_reuses_a_data_resource_name(chain):
    data = chain[DATA]
    ours = {value for resource in data.resources if resource.custom
            for field, value in resource.inputs.items() if field in ("name", "bucket")
            and isinstance(value, str)}
    assert ours
    for layer in LAYERS:
        if layer == DATA:
            continue
        for resource in chain[layer].resources:
            for field in ("name", "bucket"):
                assert resource.inputs.get(field) not in ours, (layer, resource.name)
