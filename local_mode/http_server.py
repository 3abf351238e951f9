"""The local API's HTTP/1.1 server: h11 reads and writes HTTP, asyncio holds the connections.

Strict where a proxy in front of the API would be, so that no two parsers disagree on where a
request ends: h11 refuses what RFC 9112 calls invalid framing (conflicting or malformed
``Content-Length`` such as ``1_35`` or ``+135``, a body cut short by the client closing), and
so does this server for a repeated ``Content-Length`` and for any ``Transfer-Encoding``. Each is
a 400 after which the connection is closed, so nothing after the bad framing is read as a
request. API Gateway's limits for a Regional REST API hold: a URL of more than 10,240
characters is a 414, a request line and headers of more than 10,240 bytes a 431, a body of more
than 10 MB a 413. Every answer is the API's JSON (the document's gateway responses).

Every resource is bounded, and nothing waits in a queue that grows without limit:

- the listen backlog holds 1,024 connections (the kernel's cap permitting), so a burst of new
  connections waits to be accepted instead of being reset;
- at most ``max_connections`` are open at once; more wait, unaccepted, in the backlog;
- a connection is closed when idle for ``idle_timeout`` between requests, or when it has not
  sent a whole request within ``request_timeout`` of starting one (a slowloris client);
- at most ``max_requests`` requests are handled at once (each on a thread: a function call
  blocks); one more is answered 503 at once, and its connection closed, instead of waiting
  for a thread. (Function calls are bounded well before that: beyond the function's
  instances, Lambda throttles, and the API answers 500 at once.)
"""

import asyncio
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

import h11

from local_mode.api_gateway import MAX_INTEGRATIONS, MAX_PAYLOAD_BYTES, ApiResponse, RestApi

MAX_URL_CHARACTERS = 10_240  # API Gateway, Regional REST API
MAX_HEAD_BYTES = 10_240  # API Gateway: request line and headers together
READ_SIZE = 1 << 16
LINGER_SECONDS = 2  # reading what a refused client still sends, so the close resets nothing


@dataclass(frozen=True)
class ServerLimits:
    backlog: int = 1024
    max_connections: int = 512
    max_requests: int = MAX_INTEGRATIONS
    # API Gateway documents no keep-alive timeout for REST APIs; 60 s is what AWS's load
    # balancers use by default. A request must arrive whole within request_timeout.
    idle_timeout: float = 60
    request_timeout: float = 10
    stop_timeout: float = 30  # for the requests in hand when the server stops


class _Refused(Exception):
    """The request cannot be read as one: answer ``response`` and close the connection."""

    def __init__(self, response: ApiResponse) -> None:
        self.response = response


class _Gone(Exception):
    """The client closed, or was too slow: close without answering."""


@dataclass
class _Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


class ApiServer:
    """:class:`RestApi` over HTTP on ``host:port``, in a thread of its own (:meth:`start`)."""

    def __init__(self, api: RestApi, host: str, port: int, on_error: Callable[[str], None],
                 limits: ServerLimits | None = None) -> None:
        self.api, self.on_error = api, on_error
        self.limits = limits or ServerLimits()
        # Bound here, so that a port in use fails the construction (OSError).
        self._listener = socket.create_server((host, port), backlog=self.limits.backlog)
        self._listener.setblocking(False)
        self._workers = ThreadPoolExecutor(self.limits.max_requests, thread_name_prefix="api")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="api-server", daemon=True)
        self._connections: dict[asyncio.Task[None], _Connection | None] = {}
        self._handling = 0  # requests on a worker thread now
        self._stopping: asyncio.Event | None = None

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}/{self.api.stage}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, let the requests in hand finish (bounded), close every connection."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop_requested)
            self._thread.join()
        self._workers.shutdown(wait=True)
        self._listener.close()
        self._loop.close()

    def _stop_requested(self) -> None:
        assert self._stopping is not None
        self._stopping.set()

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        accepting = asyncio.create_task(self._accept())
        await self._stopping.wait()
        accepting.cancel()
        for task, connection in self._connections.items():
            if connection and connection.busy:
                connection.last = True  # answer the request in hand, then close
            else:
                task.cancel()
        tasks = [accepting, *self._connections]
        await asyncio.wait(tasks, timeout=self.limits.stop_timeout)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self) -> None:
        slots = asyncio.Semaphore(self.limits.max_connections)
        loop = asyncio.get_running_loop()
        while True:
            await slots.acquire()  # at the cap, new connections wait in the backlog
            try:
                client, address = await loop.sock_accept(self._listener)
            except OSError as error:  # e.g. out of file descriptors: try again shortly
                slots.release()
                self.on_error(f"API server: cannot accept a connection: {error}")
                await asyncio.sleep(0.1)
                continue
            task = asyncio.create_task(self._connection(client, address[0], slots))
            self._connections[task] = None
            task.add_done_callback(self._connections.pop)

    async def _connection(self, client: socket.socket, source_ip: str,
                          slots: asyncio.Semaphore) -> None:
        connection = None
        try:
            reader, writer = await asyncio.open_connection(sock=client)
            connection = _Connection(self, reader, writer, source_ip)
            self._connections[asyncio.current_task()] = connection  # type: ignore[index]
            await connection.serve()
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping
        except Exception as error:  # a fault of this server, never of the request
            self.on_error(f"API server: {type(error).__name__}: {error}")
        finally:
            if connection:
                connection.writer.close()
            else:
                client.close()
            slots.release()

    async def handle(self, request: _Request, source_ip: str) -> ApiResponse:
        """The API's answer, computed on a worker thread; 503 when every worker is busy."""
        if self._handling >= self.limits.max_requests:
            return self.api.refuse("DEFAULT_5XX", 503, "Service Unavailable: the local API is "
                                   f"handling {self._handling} requests; retry with backoff")
        self._handling += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._workers, self.api.handle, request.method, request.target,
                request.headers, request.body, source_ip)
        except Exception as error:
            self.on_error(f"API server: {type(error).__name__}: {error}")
            return self.api.refuse("DEFAULT_5XX", 500, "Internal server error")
        finally:
            self._handling -= 1


class _Connection:
    """One client connection: requests read with h11, one after the other (keep-alive)."""

    def __init__(self, server: ApiServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, source_ip: str) -> None:
        self.server, self.reader, self.writer = server, reader, writer
        self.source_ip = source_ip
        self.limits = server.limits
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=2 * MAX_HEAD_BYTES)
        self.busy = False  # a request is being answered
        self.last = False  # the server is stopping: close after this answer
        self._deadline: float | None = None  # when the request being read must be whole
        self._head = bytearray()  # what arrived of the request before its headers were parsed

    async def serve(self) -> None:
        while True:
            try:
                request = await self._read_request()
            except _Gone:
                return
            except _Refused as refused:
                await self._send(refused.response, "", close=True)
                await self._linger()
                return
            self.busy = True
            response = await self.server.handle(request, self.source_ip)
            shed = response.status == HTTPStatus.SERVICE_UNAVAILABLE
            await self._send(response, request.method, close=self.last or shed)
            self.busy = False
            if self.http.our_state is h11.MUST_CLOSE:
                return
            self.http.start_next_cycle()

    async def _read_request(self) -> _Request:
        # A pipelining client may have sent (part of) this request with the previous one.
        early = self.http.trailing_data[0]
        self._head = bytearray(early)
        self._deadline = asyncio.get_running_loop().time() + self.limits.request_timeout \
            if early else None
        try:
            event = await self._next_event()
        except h11.RemoteProtocolError as error:
            raise _Refused(self._framing_error(error)) from None
        if isinstance(event, h11.ConnectionClosed):
            raise _Gone
        assert isinstance(event, h11.Request)
        request = self._checked(event)
        if self.http.they_are_waiting_for_100_continue:
            self.writer.write(self.http.send(h11.InformationalResponse(status_code=100)))
        body = bytearray()
        try:
            while not isinstance(event := await self._next_event(), h11.EndOfMessage):
                body += event.data
        except h11.RemoteProtocolError as error:
            raise _Refused(self._bad_request(str(error))) from None
        request.body = bytes(body)
        return request

    def _checked(self, event: h11.Request) -> _Request:
        """The request, if its head keeps API Gateway's limits and has one way to frame it."""
        head_lines = []
        for line in bytes(self._head).splitlines():
            if not line:
                break
            head_lines.append(line)
        headers = {name.lower(): value for name, value in event.headers.raw_items()}
        if len(event.target) > MAX_URL_CHARACTERS:
            raise _Refused(self._too_long_url())
        if sum(len(line) + 2 for line in head_lines) + 2 > MAX_HEAD_BYTES:
            raise _Refused(self._too_long_head())
        if b"transfer-encoding" in headers:
            raise _Refused(self._bad_request("send a Content-Length"))
        if sum(line.lower().startswith(b"content-length:") for line in head_lines) > 1:
            # h11 merges equal ones; a proxy in front might count them differently.
            raise _Refused(self._bad_request("more than one Content-Length"))
        if int(headers.get(b"content-length", b"0")) > MAX_PAYLOAD_BYTES:
            raise _Refused(self.server.api.refuse("REQUEST_TOO_LARGE", 413, "Request Too Large"))
        return _Request(event.method.decode("ascii"), event.target.decode("latin-1"),
                        [(name.decode("latin-1"), value.decode("latin-1"))
                         for name, value in event.headers.raw_items()], b"")

    async def _next_event(self) -> h11.Event:
        while (event := self.http.next_event()) is h11.NEED_DATA:
            loop = asyncio.get_running_loop()
            wait = (self.limits.idle_timeout if self._deadline is None
                    else self._deadline - loop.time())
            try:
                # Not asyncio.wait_for: on Python 3.11 it can swallow the server's cancellation
                # when data arrives in the same loop tick (cpython#86296), keeping a connection
                # alive through the stop; asyncio.timeout passes a cancellation on.
                async with asyncio.timeout(max(wait, 0)):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                raise _Gone from None
            if self._deadline is None and data:
                self._deadline = loop.time() + self.limits.request_timeout
            if self.http.their_state is h11.IDLE and len(self._head) <= 2 * MAX_HEAD_BYTES:
                self._head += data
            self.http.receive_data(data)
        return event

    def _framing_error(self, error: h11.RemoteProtocolError) -> ApiResponse:
        if error.error_status_hint == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            request_line = bytes(self._head).split(b"\r\n", 1)[0].split(b" ")
            target = request_line[1] if len(request_line) > 1 else request_line[0]
            return self._too_long_url() if len(target) > MAX_URL_CHARACTERS \
                else self._too_long_head()
        return self._bad_request(str(error))

    def _bad_request(self, reason: str) -> ApiResponse:
        return self.server.api.refuse("DEFAULT_4XX", 400, f"Bad Request: {reason}")

    def _too_long_url(self) -> ApiResponse:
        return self.server.api.refuse("DEFAULT_4XX", 414, "Request-URI Too Long: at most "
                                      f"{MAX_URL_CHARACTERS} characters")

    def _too_long_head(self) -> ApiResponse:
        return self.server.api.refuse("DEFAULT_4XX", 431, "Request Header Fields Too Large: at "
                                      f"most {MAX_HEAD_BYTES} bytes of request line and headers")

    async def _send(self, response: ApiResponse, method: str, *, close: bool = False) -> None:
        headers = [*response.headers.items(), ("Content-Length", str(len(response.body)))]
        if close:
            headers.append(("Connection", "close"))
        self.writer.write(self.http.send(h11.Response(
            status_code=response.status, headers=headers, reason=_reason(response.status))))
        if method != "HEAD":
            self.writer.write(self.http.send(h11.Data(data=response.body)))
        self.writer.write(self.http.send(h11.EndOfMessage()))
        await self.writer.drain()

    async def _linger(self) -> None:
        """Half-close, then read what the client still sends for a moment: closing with unread
        data would reset the connection, and the client might lose the answer."""
        if self.writer.can_write_eof():
            self.writer.write_eof()
        try:
            async with asyncio.timeout(LINGER_SECONDS):
                while await self.reader.read(READ_SIZE):
                    pass
        except (TimeoutError, ConnectionError):
            pass


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""
