"""The shared provisioning helper builds the data layer the stacks describe, once."""

import json

import pytest
from common.data_model import FEATURES, STATS, TRANSACTIONS

from shared import data_layer
from shared.lambdas import LAMBDAS, function_environment
from shared.naming import bucket_name, resource_name
from shared.outputs import DataOutputs
from shared.provisioning import provision_data_layer
from tests.functions.conftest import REGION, SUFFIX

DATA_OUTPUT_NAMES = {value for name, value in vars(DataOutputs).items() if name.isupper()}


def test_outputs_are_the_data_stacks_exports(outputs):
    assert set(outputs) == DATA_OUTPUT_NAMES
    assert all(isinstance(value, str) and value for value in outputs.values())


def test_names_follow_the_naming_module(outputs):
    assert outputs[DataOutputs.TRANSACTIONS_TABLE_NAME] == "dynamodb-transactions-test"
    assert outputs[DataOutputs.STATS_TABLE_NAME] == resource_name(
        "dynamodb", data_layer.STATS_TABLE_PURPOSE, SUFFIX)
    assert outputs[DataOutputs.ALERTS_QUEUE_NAME] == "sqs-fraud-alerts-test"
    assert outputs[DataOutputs.ALERTS_DLQ_NAME] == "sqs-fraud-alerts-dlq-test"
    assert outputs[DataOutputs.ANALYSIS_DLQ_NAME] == "sqs-fraud-analysis-dlq-test"
    assert outputs[DataOutputs.NOTIFICATIONS_TOPIC_ARN].endswith(":sns-fraud-notifications-test")
    assert outputs[DataOutputs.KMS_KEY_ALIAS] == "alias/kms-fraud-test"
    assert outputs[DataOutputs.REPORTS_BUCKET_NAME] == bucket_name(
        data_layer.REPORTS_BUCKET_PURPOSE, SUFFIX, outputs[DataOutputs.ACCOUNT_ID])


@pytest.mark.parametrize(("output", "table"), [
    (DataOutputs.TRANSACTIONS_TABLE_NAME, TRANSACTIONS),
    (DataOutputs.STATS_TABLE_NAME, STATS),
    (DataOutputs.FEATURES_TABLE_NAME, FEATURES),
])
def test_tables_have_the_data_model_keys_indexes_stream_and_key(outputs, output, table, session):
    described = session.client("dynamodb").describe_table(TableName=outputs[output])["Table"]
    assert described["KeySchema"] == [
        {"AttributeName": table.hash_key.name, "KeyType": "HASH"},
        {"AttributeName": table.range_key.name, "KeyType": "RANGE"}]
    assert {(a["AttributeName"], a["AttributeType"]) for a in described["AttributeDefinitions"]} \
        == {(a.name, a.type) for a in table.attributes}
    indexes = {index["IndexName"]: index for index in described.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in table.indexes}
    for index in table.indexes:
        assert [k["AttributeName"] for k in indexes[index.name]["KeySchema"]] == [
            index.hash_key.name, index.range_key.name]
        assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection_type
        assert set(indexes[index.name]["Projection"].get("NonKeyAttributes", [])) == set(
            index.non_key_attributes)
    stream = described.get("StreamSpecification", {})
    assert stream.get("StreamViewType") == table.stream_view_type
    assert described["SSEDescription"]["KMSMasterKeyArn"] == outputs[DataOutputs.KMS_KEY_ARN]


def test_features_table_expires_its_items(outputs, session):
    ttl = session.client("dynamodb").describe_time_to_live(
        TableName=outputs[DataOutputs.FEATURES_TABLE_NAME])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": FEATURES.ttl_attribute}


def test_transactions_table_has_point_in_time_recovery(outputs, session):
    backups = session.client("dynamodb").describe_continuous_backups(
        TableName=outputs[DataOutputs.TRANSACTIONS_TABLE_NAME])
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"


def test_queues_are_encrypted_and_alerts_redrive_to_their_dlq(outputs, session):
    sqs = session.client("sqs")
    alerts = sqs.get_queue_attributes(QueueUrl=outputs[DataOutputs.ALERTS_QUEUE_URL],
                                      AttributeNames=["All"])["Attributes"]
    assert json.loads(alerts["RedrivePolicy"]) == {
        "deadLetterTargetArn": outputs[DataOutputs.ALERTS_DLQ_ARN],
        "maxReceiveCount": data_layer.ALERTS.max_receive_count}
    assert alerts["VisibilityTimeout"] == str(data_layer.ALERTS.visibility_timeout_seconds)
    for url in (DataOutputs.ALERTS_QUEUE_URL, DataOutputs.ALERTS_DLQ_URL,
                DataOutputs.ANALYSIS_DLQ_URL):
        attributes = sqs.get_queue_attributes(QueueUrl=outputs[url],
                                              AttributeNames=["All"])["Attributes"]
        assert attributes["KmsMasterKeyId"] == outputs[DataOutputs.KMS_KEY_ARN]
    dlq = sqs.get_queue_attributes(QueueUrl=outputs[DataOutputs.ANALYSIS_DLQ_URL],
                                   AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    assert dlq["MessageRetentionPeriod"] == str(data_layer.ANALYSIS_DLQ.retention_seconds)


def test_bucket_encrypts_with_the_key_and_blocks_public_access(outputs, session):
    s3 = session.client("s3")
    bucket = outputs[DataOutputs.REPORTS_BUCKET_NAME]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": outputs[DataOutputs.KMS_KEY_ARN]}
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGION


def test_key_rotation_is_on(outputs, session):
    kms = session.client("kms")
    assert kms.get_key_rotation_status(KeyId=outputs[DataOutputs.KMS_KEY_ARN])[
        "KeyRotationEnabled"]


def test_a_second_call_finds_everything_and_creates_nothing(outputs, session):
    first = provision_data_layer(SUFFIX, session)
    again = provision_data_layer(SUFFIX, session)
    assert again == first
    assert {key: value for key, value in first.items()
            if key != DataOutputs.TRANSACTIONS_STREAM_ARN} == {
        key: value for key, value in outputs.items()
        if key != DataOutputs.TRANSACTIONS_STREAM_ARN}
    assert len(session.client("kms").list_keys()["Keys"]) == 1
    assert len(session.client("dynamodb").list_tables()["TableNames"]) == 3
    assert len(session.client("sqs").list_queues(QueueNamePrefix="sqs-")["QueueUrls"]) == len(
        data_layer.QUEUES)
    assert len(session.client("sns").list_topics()["Topics"]) == 1
    assert len(session.client("s3").list_buckets()["Buckets"]) == 2  # reports, access logs


def test_outputs_fill_every_functions_environment(outputs):
    for spec in LAMBDAS:
        environment = function_environment(spec, outputs)
        assert set(environment) == {variable for variable, _ in spec.environment}
