"""Events shaped as the AWS services deliver them to the handlers."""

import base64
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from common.transaction import to_item

STREAM_ARN = ("arn:aws:dynamodb:us-east-2:123456789012:table/dynamodb-transactions-test/"
              "stream/2024-01-01T00:00:00.000")


def api_event(method: str, path: str, body: str | None = None, *,
              path_parameters: dict[str, str] | None = None, base64_body: bool = False,
              request_id: str | None = None, resource: str | None = None) -> dict[str, Any]:
    """An API Gateway REST proxy integration event (payload format 1.0)."""
    resource = resource or ("/transactions/{id}" if path_parameters else path)
    if base64_body and body is not None:
        body = base64.b64encode(body.encode()).decode()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Host": "api.example.com"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "path": f"/v1{path}",
            "stage": "v1", "requestId": request_id or str(uuid.uuid4()),
            "accountId": "123456789012", "apiId": "abcdef1234",
            "identity": {"sourceIp": "203.0.113.7"},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def stream_record(item: Mapping[str, Any], sequence_number: int,
                  event_name: str = "INSERT") -> dict[str, Any]:
    """A DynamoDB stream record (NEW_AND_OLD_IMAGES) of ``item`` (plain values)."""
    image = to_item(item)
    keys = {name: image[name] for name in ("transactionId", "timestamp")}
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-2",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_700_000_000,
            "Keys": keys,
            "NewImage": image,
            **({"OldImage": image} if event_name == "MODIFY" else {}),
            "SequenceNumber": f"{sequence_number:021d}",
            "SizeBytes": 256,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM_ARN,
    }


def stream_event(items: Iterable[Mapping[str, Any]], first_sequence: int = 100) -> dict[str, Any]:
    """A detect-fraud invocation: one INSERT record per item, sequence numbers ascending."""
    return {"Records": [stream_record(item, first_sequence + position)
                        for position, item in enumerate(items)]}


def sqs_event(bodies: Iterable[str], queue_arn: str) -> dict[str, Any]:
    """A notify-team invocation: one SQS record per message body."""
    return {"Records": [{
        "messageId": str(uuid.uuid4()),
        "receiptHandle": uuid.uuid4().hex,
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
                       "SenderId": "AIDAEXAMPLE",
                       "ApproximateFirstReceiveTimestamp": "1700000000000"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-2",
    } for body in bodies]}
