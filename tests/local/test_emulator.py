"""The emulator's faster DynamoDB paths answer as moto's own: checked against the running one."""

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def table(local):
    """A table of its own (key, range, an index, a stream) in the local mode's emulator."""
    dynamodb = local.client("dynamodb")
    name = f"emulator-check-{uuid.uuid4().hex[:6]}"
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("id", "S"), ("at", "N"), ("owner", "S"))],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"},
                   {"AttributeName": "at", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "byOwner", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"},
                                               {"AttributeName": "at", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    yield name
    dynamodb.delete_table(TableName=name)


def _stream_records(local, table: str) -> list[dict]:
    streams = local.client("dynamodbstreams")
    arn = local.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def _item(id_: str, at: int, owner: str, **more: str) -> dict:
    return {"id": {"S": id_}, "at": {"N": str(at)}, "owner": {"S": owner},
            **{name: {"S": value} for name, value in more.items()}}


def test_a_cancelled_transaction_changes_neither_items_nor_the_stream(local, table):
    dynamodb = local.client("dynamodb")
    dynamodb.put_item(TableName=table, Item=_item("a", 1, "o1", state="old"))
    records_before = _stream_records(local, table)
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": {"id": {"S": "a"}, "at": {"N": "1"}},
                        "UpdateExpression": "SET #s = :new",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":new": {"S": "new"}}}},
            {"Put": {"TableName": table, "Item": _item("b", 2, "o1")}},
            {"Update": {"TableName": table, "Key": {"id": {"S": "c"}, "at": {"N": "3"}},
                        "UpdateExpression": "SET #s = :new",
                        "ConditionExpression": "attribute_exists(id)",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":new": {"S": "new"}}}},
        ])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    assert items == [_item("a", 1, "o1", state="old")]
    assert _stream_records(local, table) == records_before


def test_a_committed_transaction_writes_every_item_and_record(local, table):
    dynamodb = local.client("dynamodb")
    before = len(_stream_records(local, table))
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": _item("d", 4, "o2")}},
        {"Put": {"TableName": table, "Item": _item("e", 5, "o2")}},
    ])
    assert len(_stream_records(local, table)) == before + 2


def test_queries_answer_in_key_order(local, table):
    dynamodb = local.client("dynamodb")
    for at in (30, 10, 20):
        dynamodb.put_item(TableName=table, Item=_item(f"q{at}", at, "o3"))
    page = dynamodb.query(TableName=table, IndexName="byOwner",
                          KeyConditionExpression="#o = :o",
                          ExpressionAttributeNames={"#o": "owner"},
                          ExpressionAttributeValues={":o": {"S": "o3"}}, ScanIndexForward=False)
    assert [item["at"]["N"] for item in page["Items"]] == ["30", "20", "10"]
    by_id = dynamodb.query(TableName=table, KeyConditionExpression="id = :id",
                           ExpressionAttributeValues={":id": {"S": "q20"}})
    assert [item["at"]["N"] for item in by_id["Items"]] == ["20"]
