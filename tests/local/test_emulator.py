"""The emulator's faster DynamoDB paths answer as moto's own: checked against the running one."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_mode.environment import ACCESS_KEY_ID, SECRET_ACCESS_KEY


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


def test_queries_answer_while_other_threads_write(local, table):
    """moto's server answers every request on a thread of its own; a query reading the table
    while puts add to it must still answer. botocore's retries would hide a failed query (a
    500 is retried), so this client makes one attempt per call."""
    dynamodb = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=local.process.state["region"],
    ).client("dynamodb", endpoint_url=local.process.state["emulatorEndpoint"],
             config=Config(retries={"total_max_attempts": 1}, max_pool_connections=8))
    # A table of some size, so that a query spends long enough reading it.
    for start in range(0, 3000, 25):
        dynamodb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": _item(f"bulk-{n}", n, f"bulk-{n % 50}")}}
            for n in range(start, start + 25)]})

    def put(n: int) -> None:
        dynamodb.put_item(TableName=table, Item=_item(f"race-{n}", n, f"race-{n % 10}"))

    def query(n: int) -> None:
        dynamodb.query(TableName=table, IndexName="byOwner", KeyConditionExpression="#o = :o",
                       ExpressionAttributeNames={"#o": "owner"},
                       ExpressionAttributeValues={":o": {"S": f"bulk-{n % 50}"}}, Limit=5)

    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = [pool.submit(call, n) for n in range(200) for call in (put, query)]
    failures = [str(call.exception()) for call in calls if call.exception()]
    assert failures == []
