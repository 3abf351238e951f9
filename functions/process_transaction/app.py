"""POST /transactions stores a transaction once; GET /transactions/{id} reads it back;
PUT /transactions/{id}/label records what it turned out to be (``labels``).

Idempotency: one client ``transactionId`` is one transaction, whatever the concurrency. The
table's key is (transactionId, timestamp) and a client may retry with another timestamp, or
none (the server's receive time then differs per attempt), so a write conditioned on its own
key guards nothing. The id is therefore looked up first (one Query): the same content is a
replay (200), other content a conflict (409). A new id is written together with its id guard,
an item keyed by the id alone (``common.data_model.ID_GUARD_TIMESTAMP``), in one
``TransactWriteItems`` whose guard must not exist: of concurrent first writes exactly one
commits (201), and each other one, cancelled, reads what won and answers 200 or 409.

Why not Powertools' idempotency utility: it keeps a second table of cached responses and
replays the first response (a 201) where the API promises 200, and tells "in progress" apart
from "different content" only by raising; the guard is one more item in the same table and
the same write, and every answer is judged against the stored transaction itself.

A transaction without a client id gets a fresh UUID: no other request can hold it, so it is
one conditional PutItem, without a guard.
"""

import os
import random
import time
import uuid
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from common import environment as env
from common import json_codec
from common.clock import now_ms
from common.data_model import ID_GUARD_TIMESTAMP, TIMESTAMP, TRANSACTION_ID
from common.metrics import (
    LABEL_DIMENSION,
    LABELS_RECORDED,
    NAMESPACE,
    TRANSACTIONS_ACCEPTED,
    TRANSACTIONS_REJECTED,
)
from common.privacy import mask_account
from common.transaction import (
    CLIENT_FIELDS,
    FRAUD_STATUS,
    LABEL,
    PENDING,
    from_item,
    id_guard_key,
    public_view,
    to_item,
)
from common.validation import (
    FieldError,
    InvalidRequest,
    parse_label,
    parse_transaction,
    request_body,
    validate_transaction_id,
)

from process_transaction import labels

SERVICE = "process-transaction"
TRANSACTIONS_TABLE = os.environ[env.TRANSACTIONS_TABLE]
FEATURES_TABLE = os.environ[env.FEATURES_TABLE]
# Another request's transaction on the same guard was still in flight: try again, briefly.
CONFLICT_RETRIES = 3
# A label judged again after a concurrent label changed it first (or a transaction conflict).
LABEL_ATTEMPTS = 5

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
dynamodb = boto3.client("dynamodb")
app = APIGatewayRestResolver()


def _json(status: int, payload: Any) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json_codec.dumps(payload))


def _error(status: int, message: str, errors: list[FieldError] | None = None) -> Response:
    """Every error in the shape API Gateway's own errors have (``api/openapi.yaml``'s Error):
    ``message``, ``errors`` (one entry per bad field, maybe none) and the request id."""
    return _json(status, {"message": message, "errors": [e._asdict() for e in errors or []],
                          "requestId": app.current_event.request_context.request_id})


@app.post("/transactions")
def create_transaction() -> Response:
    event = app.current_event
    transaction = parse_transaction(request_body(event.body, event.is_base64_encoded), now_ms())
    logger.append_keys(account=mask_account(transaction["accountId"]))
    client_id = transaction.get(TRANSACTION_ID.name)
    if client_id is not None:
        stored = _find(client_id)
        if stored is not None:
            return _replay(transaction, stored)
    item = {**transaction, FRAUD_STATUS: PENDING}
    item.setdefault(TRANSACTION_ID.name, str(uuid.uuid4()))
    item.setdefault(TIMESTAMP.name, now_ms())
    put = {"TableName": TRANSACTIONS_TABLE, "Item": to_item(item),
           "ConditionExpression": "attribute_not_exists(#id)",
           "ExpressionAttributeNames": {"#id": TRANSACTION_ID.name}}
    if client_id is None:
        dynamodb.put_item(**put)
    elif not _store_with_guard(put):
        # A concurrent request took the id first (its guard and item commit together):
        # judge ours against what it stored.
        stored = _find(client_id)
        if stored is None:
            raise RuntimeError("an id guard without its transaction")
        return _replay(transaction, stored)
    metrics.add_metric(name=TRANSACTIONS_ACCEPTED, unit=MetricUnit.Count, value=1)
    logger.info("Transaction stored", extra={"transactionId": item[TRANSACTION_ID.name]})
    return _json(201, public_view(item))


def _store_with_guard(put: dict[str, Any]) -> bool:
    """Write the item and its id guard together; ``False`` when the id is already taken."""
    guard = {**put, "Item": id_guard_key(put["Item"][TRANSACTION_ID.name]["S"])}
    attempt = 0
    while True:
        try:
            dynamodb.transact_write_items(TransactItems=[{"Put": guard}, {"Put": put}])
            return True
        except dynamodb.exceptions.TransactionCanceledException as error:
            codes = {reason.get("Code") for reason in error.response["CancellationReasons"]}
            if "ConditionalCheckFailed" in codes:
                return False
            if "TransactionConflict" not in codes or attempt == CONFLICT_RETRIES:
                raise
        attempt += 1
        time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311


@app.get("/transactions/<transaction_id>")
def get_transaction(transaction_id: str) -> Response:
    validate_transaction_id(transaction_id, field="id")
    stored = _find(transaction_id)
    if stored is None:
        return _error(404, f"No transaction has the id {transaction_id}")
    return _json(200, public_view(stored))


@app.put("/transactions/<transaction_id>/label")
def label_transaction(transaction_id: str) -> Response:
    validate_transaction_id(transaction_id, field="id")
    event = app.current_event
    body = parse_label(request_body(event.body, event.is_base64_encoded))
    for attempt in range(LABEL_ATTEMPTS):
        stored = _find(transaction_id)
        if stored is None:
            return _error(404, f"No transaction has the id {transaction_id}")
        if labels.unchanged(stored, body):
            logger.info("Label replayed", extra={"transactionId": transaction_id})
            return _json(200, public_view(stored))
        item = labels.labelled(stored, body)
        try:
            dynamodb.transact_write_items(TransactItems=labels.actions(
                TRANSACTIONS_TABLE, FEATURES_TABLE, stored, item, now_ms() // 1000))
        except dynamodb.exceptions.TransactionCanceledException as error:
            codes = {reason.get("Code") for reason in error.response["CancellationReasons"]}
            if not codes & {"ConditionalCheckFailed", "TransactionConflict"}:
                raise
            # Another label got in first: judge this one against what it stored.
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311
            continue
        with single_metric(name=LABELS_RECORDED, unit=MetricUnit.Count, value=1,
                           namespace=NAMESPACE) as metric:
            metric.add_dimension(name=LABEL_DIMENSION, value=item[LABEL])
        logger.info("Transaction labelled", extra={
            "transactionId": transaction_id, "label": item[LABEL],
            "previous": stored.get(LABEL)})
        return _json(200, public_view(item))
    raise RuntimeError(f"the label of {transaction_id} kept changing under {LABEL_ATTEMPTS} "
                       "attempts")


def _find(transaction_id: str) -> dict[str, Any] | None:
    """The stored transaction with this id (one strongly consistent read), else ``None``.

    The key condition skips the id guard, which sorts before every transaction."""
    page = dynamodb.query(
        TableName=TRANSACTIONS_TABLE, Limit=1, ConsistentRead=True,
        KeyConditionExpression="#id = :id AND #timestamp > :guard",
        ExpressionAttributeNames={"#id": TRANSACTION_ID.name, "#timestamp": TIMESTAMP.name},
        ExpressionAttributeValues={":id": {"S": transaction_id},
                                   ":guard": {"N": str(ID_GUARD_TIMESTAMP)}})
    return from_item(page["Items"][0]) if page["Items"] else None


def _replay(transaction: dict[str, Any], stored: dict[str, Any]) -> Response:
    """200 with the stored item when ``transaction`` repeats it, else 409."""
    # A timestamp the client left out was the server's; every other field must match,
    # including one sent before and left out now (or the reverse).
    compared = [name for name in CLIENT_FIELDS
                if name != TIMESTAMP.name or name in transaction]
    differing = [name for name in compared if transaction.get(name) != stored.get(name)]
    if differing:
        logger.info("Transaction id reused with other content",
                    extra={"transactionId": stored[TRANSACTION_ID.name], "fields": differing})
        return _error(409, f"The transaction {stored[TRANSACTION_ID.name]} is already stored "
                           "with other content; use a new transactionId for a new transaction",
                      [FieldError(name, "differs from the stored transaction")
                       for name in differing])
    logger.info("Transaction replayed", extra={"transactionId": stored[TRANSACTION_ID.name]})
    return _json(200, public_view(stored))


@app.exception_handler(InvalidRequest)
def invalid_request(error: InvalidRequest) -> Response:
    metrics.add_metric(name=TRANSACTIONS_REJECTED, unit=MetricUnit.Count, value=1)
    logger.info("Invalid request", extra={"fields": [e.field for e in error.errors]})
    return _error(400, error.message, error.errors)


@app.not_found
def not_found(_: Exception) -> Response:
    # API Gateway only forwards the two routes; a path the id route cannot match is a bad id.
    event = app.current_event
    if event.http_method in ("GET", "PUT") and event.path.startswith("/transactions/"):
        return invalid_request(InvalidRequest("Invalid transaction id", [
            FieldError("id", "must be 1 to 64 of A-Z, a-z, 0-9, _ and -")]))
    return _error(404, "No such resource")


@app.exception_handler(Exception)
def server_error(error: Exception) -> Response:
    logger.exception("Unexpected error")
    return _error(500, "Internal server error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST,
                             clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
