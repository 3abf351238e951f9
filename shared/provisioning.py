"""Create the data layer against whatever endpoint boto3 is configured for (moto, local mode).

The data stack builds these resources in AWS; this helper builds the same ones with plain
boto3 calls, so the handlers' tests and the local mode run on the names, key schema, indexes,
stream and queues the stacks deploy: names come from :mod:`shared.naming`, purposes and queue
settings from :mod:`shared.data_layer`, keys from ``common.data_model``. It returns the data
stack's outputs (keyed by :class:`shared.outputs.DataOutputs`), so
``shared.lambdas.function_environment(spec, outputs)`` gives each handler its environment.

Every step finds what an earlier call created, so calling it again (the local mode restarts
against a running emulator) returns the same outputs and creates nothing twice.
"""

import contextlib
import json
from typing import Any

import boto3
from botocore.exceptions import ClientError
from common.data_model import BY_ACCOUNT, BY_FLAGGED_DAY, BY_LABELLED_FRAUD_DAY, Table

from shared import data_layer
from shared.naming import bucket_name, resource_name
from shared.outputs import DataOutputs

# Which outputs describe which queue: (URL, ARN, name).
_QUEUE_OUTPUTS: dict[str, tuple[str, str, str]] = {
    data_layer.ALERTS.purpose: (
        DataOutputs.ALERTS_QUEUE_URL, DataOutputs.ALERTS_QUEUE_ARN, DataOutputs.ALERTS_QUEUE_NAME),
    data_layer.ALERTS_DLQ.purpose: (
        DataOutputs.ALERTS_DLQ_URL, DataOutputs.ALERTS_DLQ_ARN, DataOutputs.ALERTS_DLQ_NAME),
    data_layer.ANALYSIS_DLQ.purpose: (
        DataOutputs.ANALYSIS_DLQ_URL, DataOutputs.ANALYSIS_DLQ_ARN, DataOutputs.ANALYSIS_DLQ_NAME),
}


def provision_data_layer(suffix: str, session: boto3.session.Session | None = None,
                         ) -> dict[str, str]:
    """Create (or find) the whole data layer for ``suffix``; return the data stack's outputs."""
    session = session or boto3.session.Session()
    identity = session.client("sts").get_caller_identity()
    account_id, partition = identity["Account"], identity["Arn"].split(":")[1]
    outputs: dict[str, str] = {DataOutputs.ACCOUNT_ID: account_id}

    key_alias = f"alias/{resource_name('kms', data_layer.KMS_KEY_PURPOSE, suffix)}"
    key_arn = _kms_key(session.client("kms"), key_alias)
    outputs |= {DataOutputs.KMS_KEY_ARN: key_arn, DataOutputs.KMS_KEY_ALIAS: key_alias}

    dynamodb = session.client("dynamodb")
    transactions = _table(dynamodb, data_layer.TRANSACTIONS_TABLE_PURPOSE, suffix, key_arn,
                          point_in_time_recovery=True)
    stats = _table(dynamodb, data_layer.STATS_TABLE_PURPOSE, suffix, key_arn)
    features = _table(dynamodb, data_layer.FEATURES_TABLE_PURPOSE, suffix, key_arn)
    outputs |= {
        DataOutputs.TRANSACTIONS_TABLE_NAME: transactions["TableName"],
        DataOutputs.TRANSACTIONS_TABLE_ARN: transactions["TableArn"],
        DataOutputs.TRANSACTIONS_STREAM_ARN: transactions["LatestStreamArn"],
        DataOutputs.BY_ACCOUNT_INDEX_NAME: BY_ACCOUNT.name,
        DataOutputs.BY_FLAGGED_DAY_INDEX_NAME: BY_FLAGGED_DAY.name,
        DataOutputs.BY_LABELLED_FRAUD_DAY_INDEX_NAME: BY_LABELLED_FRAUD_DAY.name,
        DataOutputs.STATS_TABLE_NAME: stats["TableName"],
        DataOutputs.STATS_TABLE_ARN: stats["TableArn"],
        DataOutputs.FEATURES_TABLE_NAME: features["TableName"],
        DataOutputs.FEATURES_TABLE_ARN: features["TableArn"],
    }

    sqs = session.client("sqs")
    queue_arns: dict[str, str] = {}
    for queue in data_layer.QUEUES:  # dead-letter queues first: the others' redrive names them
        name = resource_name("sqs", queue.purpose, suffix)
        url, arn = _queue(sqs, name, queue, key_arn, queue_arns)
        queue_arns[queue.purpose] = arn
        url_output, arn_output, name_output = _QUEUE_OUTPUTS[queue.purpose]
        outputs |= {url_output: url, arn_output: arn, name_output: name}

    topic_name = resource_name("sns", data_layer.NOTIFICATIONS_TOPIC_PURPOSE, suffix)
    topic = session.client("sns").create_topic(  # returns the existing topic when it exists
        Name=topic_name, Attributes={"KmsMasterKeyId": key_arn})
    outputs[DataOutputs.NOTIFICATIONS_TOPIC_ARN] = topic["TopicArn"]

    bucket = bucket_name(data_layer.REPORTS_BUCKET_PURPOSE, suffix, account_id)
    _bucket(session.client("s3"), bucket, session.region_name, key_arn)
    outputs |= {DataOutputs.REPORTS_BUCKET_NAME: bucket,
                DataOutputs.REPORTS_BUCKET_ARN: f"arn:{partition}:s3:::{bucket}"}
    # The reports bucket's access-log bucket, SSE-S3 as the stack makes it (no access logging
    # is configured here: no emulator delivers it).
    access_logs = bucket_name(data_layer.ACCESS_LOGS_BUCKET_PURPOSE, suffix, account_id)
    _bucket(session.client("s3"), access_logs, session.region_name, None)
    outputs[DataOutputs.ACCESS_LOGS_BUCKET_NAME] = access_logs
    return outputs


def _kms_key(kms: Any, alias: str) -> str:
    try:
        return kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NotFoundException":
            raise
    key = kms.create_key(Description=f"Fraud detection platform ({alias})")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return key["Arn"]


def _table(dynamodb: Any, purpose: str, suffix: str, key_arn: str, *,
           point_in_time_recovery: bool = False) -> dict[str, Any]:
    name = resource_name("dynamodb", purpose, suffix)
    table: Table = data_layer.TABLES[purpose]
    try:
        return dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type}
                                 for a in table.attributes],
        "KeySchema": _key_schema(table.hash_key.name, table.range_key.name),
        "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
    }
    if table.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {"IndexName": index.name,
             "KeySchema": _key_schema(index.hash_key.name, index.range_key.name),
             "Projection": {"ProjectionType": index.projection_type,
                            **({"NonKeyAttributes": list(index.non_key_attributes)}
                               if index.non_key_attributes else {})}}
            for index in table.indexes]
    if table.stream_view_type:
        definition["StreamSpecification"] = {"StreamEnabled": True,
                                             "StreamViewType": table.stream_view_type}
    dynamodb.create_table(**definition)
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    if table.ttl_attribute:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": table.ttl_attribute})
    if point_in_time_recovery:
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return dynamodb.describe_table(TableName=name)["Table"]


def _key_schema(hash_key: str, range_key: str) -> list[dict[str, str]]:
    return [{"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"}]


def _queue(sqs: Any, name: str, queue: data_layer.Queue, key_arn: str,
           queue_arns: dict[str, str]) -> tuple[str, str]:
    attributes = {
        "VisibilityTimeout": str(queue.visibility_timeout_seconds),
        "MessageRetentionPeriod": str(queue.retention_seconds),
        "KmsMasterKeyId": key_arn,
    }
    if queue.dead_letter is not None:
        attributes["RedrivePolicy"] = json.dumps({
            "deadLetterTargetArn": queue_arns[queue.dead_letter.purpose],
            "maxReceiveCount": queue.max_receive_count})
    # CreateQueue returns the existing queue when its attributes are the same.
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def _bucket(s3: Any, name: str, region: str, key_arn: str | None) -> None:
    """A private bucket, SSE-KMS with ``key_arn`` (SSE-S3 when ``None``)."""
    location = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=name, **location)
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}} if key_arn is None \
        else {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                     "KMSMasterKeyID": key_arn},
              "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
