"""The AWS emulator: moto's server in a child process, quiet, and fast enough for a workload.

``python -m local_mode.emulator --port 4566`` serves every AWS API moto emulates on one port
(what ``AWS_ENDPOINT_URL`` points at). :class:`Emulator` starts it as a child process, waits
until it listens and stops it by its PID; the child also exits by itself when its parent dies,
so a killed ``make local`` leaves no emulator behind.

moto is written for tests, and three of its DynamoDB paths cost time in proportion to the
whole table: a few thousand transactions made each stream batch take seconds. The child
process corrects them without changing what DynamoDB answers (``tests/local`` checks it):

- ``TransactWriteItems`` deep-copied every table it touched, once per action, to roll back on
  cancellation. Here it saves only the items its actions name and the stream's length, and a
  cancellation puts exactly those back. Writes are serialised, so a rollback never undoes a
  concurrent writer's item or stream record (moto's own rollback replaced the whole table).
- A query sorted every item of the table before looking at the key condition; it sorts its
  matches anyway, so it now reads the items unsorted (scans still see them in key order).
- Comparing two string or binary attribute values converted both to Python values first; it
  now compares them directly (the same answer: a string's value is the string).

And one is not safe under moto's threaded server, which answers each request on a thread of
its own: a query or scan iterated the table's items while a put added one ("dictionary
changed size during iteration", a 500 that botocore's retries hid). Queries and scans now hold
the lock that writes hold.
"""

import argparse
import copy
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
READY = "emulator ready"


class EmulatorError(RuntimeError):
    """The emulator could not start (port in use, crash); the message says why."""


class Emulator:
    """moto server as a child process on ``host:port``, stopped by its PID; what it writes to
    stderr (warnings, a crash) goes to ``log_path``."""

    def __init__(self, host: str, port: int, log_path: Path) -> None:
        self.host, self.port, self.log_path = host, port, log_path
        self.process: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        """The child's command line (a test's emulator with a fault in it extends this)."""
        return [sys.executable, "-m", "local_mode.emulator", "--host", self.host,
                "--port", str(self.port), "--parent-pid", str(os.getpid())]

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                self.command(), stdout=subprocess.PIPE, stderr=log, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = self.process.stdout.readline() if ready else ""  # type: ignore[union-attr]
        if line.strip() != READY:
            self.stop()
            error = self.log_path.read_text(encoding="utf-8").strip().splitlines()
            reason = error[-1] if error else "it did not report ready in time"
            raise EmulatorError(f"the AWS emulator could not start on {self.endpoint}: {reason}"
                                " (is another local mode running? another port helps)")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within the timeout."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---- the child process ----

_writes = threading.RLock()


class _NoTableCopies:
    """Stands in for the ``copy`` module in moto's DynamoDB backend: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value)


def _key_of(table: Table, action: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    key = action.get("Key") or action.get("Item") or {}
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return DynamoType(key[table.hash_key_attr]), range_key


def _restore(table: Table, hash_key: DynamoType, range_key: DynamoType | None,
             item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    elif item is None:
        table.items[hash_key].pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


def _transact_write_items(original: Callable[..., Any]) -> Callable[..., Any]:
    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _writes:
            saved: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
            stream_lengths: dict[int, tuple[Any, int]] = {}
            for entry in transact_items:
                action = next(iter(entry.values()), {})
                table = backend.tables.get(action.get("TableName"))
                if table is None:
                    continue
                try:
                    hash_key, range_key = _key_of(table, action)
                except KeyError:  # a malformed key: moto rejects the call before writing
                    continue
                saved.append((table, hash_key, range_key,
                              copy.deepcopy(table.get_item(hash_key, range_key))))
                if table.stream_shard is not None:
                    stream_lengths.setdefault(
                        id(table), (table.stream_shard, len(table.stream_shard.items)))
            try:
                return original(backend, transact_items)
            except Exception:
                for table, hash_key, range_key, item in reversed(saved):
                    _restore(table, hash_key, range_key, item)
                for shard, length in stream_lengths.values():
                    del shard.items[length:]
                raise
    return transact_write_items


def _serialised(original: Callable[..., Any]) -> Callable[..., Any]:
    def write(*args: Any, **kwargs: Any) -> Any:
        with _writes:
            return original(*args, **kwargs)
    return write


_querying = threading.local()


def _query(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(table: Table, *args: Any, **kwargs: Any) -> Any:
        with _writes:
            _querying.active = True
            try:
                return original(table, *args, **kwargs)
            finally:
                _querying.active = False
    return query


def _all_items(original: Callable[..., Any]) -> Callable[..., Any]:
    def all_items(table: Table) -> Any:
        if not getattr(_querying, "active", False):
            return original(table)
        if table.range_key_attr:
            return [item for by_range in table.items.values() for item in by_range.values()]
        return list(table.items.values())
    return all_items


_DIRECT_TYPES = frozenset({"S", "B"})


def _equals(original: Callable[..., bool]) -> Callable[..., bool]:
    def equals(value: DynamoType, other: Any) -> bool:
        if value.type in _DIRECT_TYPES and isinstance(other, DynamoType):
            return value.type == other.type and value.value == other.value
        return original(value, other)
    return equals


_sped_up = False


def speed_up_dynamodb() -> None:
    """Apply the corrections the module docstring describes (in this process, once).

    The emulator's child process applies them; so do in-process moto users (the handler
    tests, the benchmarks), so they run the pipeline at the same speed with the same answers.
    """
    global _sped_up
    if _sped_up:
        return
    _sped_up = True
    backend = dynamodb_models.DynamoDBBackend
    dynamodb_models.copy = _NoTableCopies  # type: ignore[assignment]
    backend.transact_write_items = _transact_write_items(backend.transact_write_items)
    for name in ("put_item", "update_item", "delete_item"):
        setattr(backend, name, _serialised(getattr(backend, name)))
    Table.query = _query(Table.query)
    Table.scan = _serialised(Table.scan)
    Table.all_items = _all_items(Table.all_items)
    equals = _equals(DynamoType.__eq__)
    DynamoType.__eq__ = equals  # type: ignore[method-assign,assignment]
    DynamoType.__ne__ = lambda value, other: not equals(value, other)  # type: ignore[method-assign,assignment]
    DynamoType.__hash__ = DynamoType.__hash__  # defining __eq__ would otherwise drop it


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)  # the parent is gone (killed): nothing left to serve


def main(argv: list[str] | None = None) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(prog="python -m local_mode.emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    speed_up_dynamodb()
    try:
        server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app),
                             threaded=True, request_handler=MotoRequestHandler)
    except OSError as error:
        sys.exit(f"{args.host}:{args.port}: {error.strerror or error}")
    if args.parent_pid:
        threading.Thread(target=_exit_with_parent, args=(args.parent_pid,), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: parent stops us
    print(READY, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
