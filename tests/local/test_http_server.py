"""The local API's HTTP server over raw sockets: framing a proxy would refuse, API Gateway's
size limits, bursts of connections, slow clients, overload.

The first tests drive the running local mode; the others an API server of their own with
small limits and a stand-in integration that answers when told to (the function under test is
the server, not the handler).
"""

import json
import select
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from local_mode.api_gateway import RestApi, TokenBucket, imported_document
from local_mode.http_server import ApiServer, ServerLimits
from local_mode.stack import load_settings
from tests.local.conftest import FUNCTION_ARN, Response, transaction

READ_TIMEOUT_SECONDS = 30
BURST = 200  # over asyncio's default listen backlog of 100
# The stage's throttle in the shared local mode: this many requests at once, then its rate.
THROTTLE_BURST = load_settings({}).api_throttle_burst_limit


def parse_responses(data: bytes) -> list[Response]:
    """Every response in ``data`` (each framed by its Content-Length; header names in lower
    case)."""
    responses = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        responses.append(Response(int(status_line.split()[1]), headers,
                                  rest[:length].decode("utf-8")))
        data = rest[length:]
    return responses


def read_until_closed(connection: socket.socket, timeout: float = READ_TIMEOUT_SECONDS) -> bytes:
    """Everything the server sends until it closes the connection; fails if it never does."""
    connection.settimeout(timeout)
    received = b""
    try:
        while chunk := connection.recv(1 << 16):
            received += chunk
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open ({received!r})") from None
    return received


def read_one(connection: socket.socket) -> Response:
    """The next response on a connection the server keeps open."""
    connection.settimeout(READ_TIMEOUT_SECONDS)
    received = b""
    while True:
        head, separator, rest = received.partition(b"\r\n\r\n")
        if separator:
            length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            if len(rest) >= length:
                return parse_responses(received)[0]
        chunk = connection.recv(1 << 16)
        assert chunk, f"the server closed the connection ({received!r})"
        received += chunk


def exchange(address: tuple[str, int], data: bytes, *,
             half_close: bool = False) -> list[Response]:
    """Send ``data`` on a new connection (then half-close it, if asked); the responses, read
    until the server closes the connection."""
    with socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS) as connection:
        connection.sendall(data)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        return parse_responses(read_until_closed(connection))


def ask(address: tuple[str, int], data: bytes) -> Response:
    """Send ``data`` on a new connection; the one response (the connection may stay open)."""
    with socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS) as connection:
        connection.sendall(data)
        return read_one(connection)


def api_address(local) -> tuple[tuple[str, int], str]:
    url = urlsplit(local.process.api_url)
    return (url.hostname, url.port), url.path


def post_head(stage: str, *length_headers: str) -> bytes:
    lines = [f"POST {stage}/transactions HTTP/1.1", "Host: 127.0.0.1",
             "Content-Type: application/json", *length_headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_refused(response: Response, status: int) -> None:
    """API Gateway's JSON error, with the request id it also sends as a header."""
    assert response.status == status, response
    assert response.headers["content-type"] == "application/json"
    assert response.json["message"]
    assert response.json["requestId"] == response.headers["x-amzn-requestid"]


# ---- framing: what a proxy in front would read differently is refused, nothing stored ----

def test_two_content_lengths_are_refused_and_the_request_hidden_behind_them_never_runs(local):
    address, stage = api_address(local)
    hidden_id = f"smuggled-{uuid.uuid4().hex[:8]}"
    hidden_body = json.dumps(transaction(hidden_id)).encode()
    hidden = post_head(stage, f"Content-Length: {len(hidden_body)}") + hidden_body
    body = b"{}" + hidden
    for lengths in ((2, len(body)), (len(body), len(body))):
        headers = [f"Content-Length: {length}" for length in lengths]
        [response] = exchange(address, post_head(stage, *headers) + body)
        assert_refused(response, 400)
    assert local.stored(hidden_id) == []


@pytest.mark.parametrize("length", ["2_00", "+200", "0xc8"])
def test_a_content_length_that_is_not_plain_digits_is_refused(local, length):
    address, stage = api_address(local)
    transaction_id = f"length-{uuid.uuid4().hex[:8]}"
    body = json.dumps(transaction(transaction_id)).encode()
    assert len(body) <= 200
    body = body.ljust(200)  # what a lenient reading of the length (200) would take whole
    [response] = exchange(address, post_head(stage, f"Content-Length: {length}") + body)
    assert_refused(response, 400)
    assert local.stored(transaction_id) == []


def test_a_body_shorter_than_its_length_then_a_half_close_is_refused(local):
    address, stage = api_address(local)
    transaction_id = f"short-{uuid.uuid4().hex[:8]}"
    body = json.dumps(transaction(transaction_id)).encode()  # valid JSON, whole
    [response] = exchange(address, post_head(stage, f"Content-Length: {len(body) + 10}") + body,
                          half_close=True)
    assert_refused(response, 400)
    assert local.stored(transaction_id) == []


@pytest.mark.parametrize(("name", "request_bytes", "status"), [
    ("not HTTP", b"GARBAGE\r\n\r\n", 400),
    ("no Host", b"GET /v1/transactions/abc HTTP/1.1\r\n\r\n", 400),
    ("URL over 10,240 characters", b"GET /v1/transactions/" + b"a" * 10_300
     + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    ("URL far over the limit", b"GET /v1/" + b"a" * 70_000 + b" HTTP/1.1\r\n", 414),
    ("headers over 10,240 bytes", b"GET /v1/transactions/abc HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     + b"X-Padding: " + b"p" * 11_000 + b"\r\n\r\n", 431),
    ("headers far over the limit", b"GET /v1/transactions/abc HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     + b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(700)) + b"\r\n", 431),
])
def test_what_cannot_be_read_as_a_request_gets_the_apis_json_error(local, name, request_bytes,
                                                                    status):
    address, _ = api_address(local)
    [response] = exchange(address, request_bytes)
    assert_refused(response, status)


def test_a_burst_of_new_connections_waits_in_the_backlog_and_is_served(local):
    """With the local mode paused, nothing accepts: every connection of the burst must still
    complete its handshake (the listen backlog holds it), then be answered: no route (403),
    or, once the requests outrun the stage's throttle (its burst, then 1,000 a second), 429."""
    address, stage = api_address(local)
    request = f"GET {stage}/no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    burst = []
    local.process.process.send_signal(signal.SIGSTOP)
    try:
        for _ in range(BURST):
            connection = socket.socket()
            connection.setblocking(False)
            connection.connect_ex(address)
            burst.append(connection)
        pending, deadline = list(burst), time.monotonic() + READ_TIMEOUT_SECONDS
        while pending and time.monotonic() < deadline:
            _, connected, _ = select.select([], pending, [], 0.5)
            pending = [connection for connection in pending if connection not in connected]
        assert not pending, f"{len(pending)} of {BURST} connections left without a handshake"
        assert {connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                for connection in burst} == {0}
    finally:
        local.process.process.send_signal(signal.SIGCONT)
    statuses = []
    for connection in burst:
        with connection:
            connection.setblocking(True)
            connection.sendall(request.encode())
            [response] = parse_responses(read_until_closed(connection))
            statuses.append(response.status)
    assert statuses[:THROTTLE_BURST] == [403] * THROTTLE_BURST
    assert set(statuses[THROTTLE_BURST:]) <= {403, 429}


# ---- an API server of its own: timeouts, the connection cap, overload ----

class Integration:
    """Stands in for the function: counts the calls, answers each once released."""

    def __init__(self) -> None:
        self.calls = 0
        self.released = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
        assert self.released.wait(READ_TIMEOUT_SECONDS)
        return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
                "body": event["body"]}

    def wait_for_calls(self, count: int) -> None:
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        while self.calls < count:
            assert time.monotonic() < deadline, f"{self.calls} calls, not {count}"
            time.sleep(0.01)


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[tuple[str, int], Integration, list[str]]]]:
    """Start an API server with the limits given; (its address, its integration, its errors)."""
    started: list[tuple[ApiServer, RestApi, Integration]] = []

    def start(integration_timeout: float = 29, **limits: Any):
        integration, errors = Integration(), []
        api = RestApi(imported_document(FUNCTION_ARN, "iam"), integration,
                      TokenBucket(1000, 1000),
                      account_id="123456789012", integration_timeout=integration_timeout)
        server = ApiServer(api, "127.0.0.1", 0, errors.append, ServerLimits(**limits))
        server.start()
        started.append((server, api, integration))
        url = urlsplit(server.url)
        return (url.hostname, url.port), integration, errors

    yield start
    for server, api, integration in started:
        integration.released.set()
        server.stop()
        api.close()


def valid_post() -> bytes:
    body = json.dumps(transaction(f"t-{uuid.uuid4().hex[:8]}")).encode()
    return post_head("/v1", f"Content-Length: {len(body)}") + body


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server has closed ``connection`` (without waiting for it)."""
    readable, _, _ = select.select([connection], [], [], 0)
    return bool(readable) and connection.recv(1) == b""


def test_a_connection_idle_after_its_request_is_closed(serve):
    address, _, _ = serve(idle_timeout=0.5)
    with socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS) as connection:
        connection.sendall(b"GET /v1/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        [response] = parse_responses(read_until_closed(connection))
    assert response.status == 403  # answered, kept alive, then closed when idle


def test_a_client_trickling_its_headers_is_cut_off(serve):
    """A slowloris client: a byte now and then never lets the connection go idle, but the
    whole request must arrive within the request timeout."""
    address, _, _ = serve(request_timeout=0.5, idle_timeout=60)
    with socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS) as connection:
        connection.sendall(b"GET /v1/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(int(READ_TIMEOUT_SECONDS / 0.1)):
            readable, _, _ = select.select([connection], [], [], 0.1)
            if readable:
                break
            connection.sendall(b"X")  # one more byte of a header that never ends
        assert connection.recv(1) == b"", "the server answered instead of closing"


def test_beyond_the_connection_cap_a_client_waits_until_a_slot_frees(serve):
    address, _, _ = serve(max_connections=2, request_timeout=0.5)
    stalled = [socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS)
               for _ in range(2)]
    try:
        for connection in stalled:
            connection.sendall(b"GET /v1/nothing HTTP/1.1\r\n")  # and nothing more
        with socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS) as third:
            third.sendall(b"GET /v1/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Connection: close\r\n\r\n")
            [response] = parse_responses(read_until_closed(third))
        assert response.status == 403
        # It was served only once the server had given up on a stalled connection.
        assert any(closed_by_server(connection) for connection in stalled)
    finally:
        for connection in stalled:
            connection.close()


def test_when_every_worker_is_busy_a_request_gets_503_at_once(serve):
    address, integration, _ = serve(max_requests=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        held = [pool.submit(ask, address, valid_post()) for _ in range(2)]
        integration.wait_for_calls(2)
        [shed] = exchange(address, valid_post())  # answered, and its connection closed
        integration.released.set()
        answered = [future.result() for future in held]
    assert_refused(shed, 503)
    assert [response.status for response in answered] == [201, 201]
    assert integration.calls == 2  # the shed request never reached the function


def test_api_gateway_gives_up_on_a_slow_integration_with_504(serve):
    address, integration, _ = serve(integration_timeout=0.2)
    with socket.create_connection(address, timeout=READ_TIMEOUT_SECONDS) as connection:
        connection.sendall(valid_post())
        response = read_one(connection)
        assert_refused(response, 504)
        assert response.json["message"] == "Endpoint request timed out"
        assert integration.calls == 1  # the function still runs; its answer goes nowhere
