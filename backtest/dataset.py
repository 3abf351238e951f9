"""A labelled dataset from CSV, each row checked with the API's own rules, held column by column.

The header names the API's transaction fields and ``fraud`` (0 or 1), in any order; rows come
in any order. Each row becomes the JSON body a client would POST (a numeric cell is read as
JSON reads a number) and goes through ``common.validation``: what the API would refuse, the
backtest refuses, naming the line. Two fields the API may fill in itself are required here:
``transactionId`` (the scores name transactions by it) and ``timestamp`` (the replay orders
by it); an id may appear once.

A dataset of 1.75 million rows takes about 300 MB: numbers in numpy arrays, repeated texts
(accounts, merchants, categories, ...) stored once each with a small code per row.
"""

import csv
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from common import json_codec
from common.clock import now_ms
from common.transaction import CLIENT_FIELDS
from common.validation import InvalidRequest, canonical_amount, validate_document

FRAUD = "fraud"
COLUMNS = (*CLIENT_FIELDS, FRAUD)
REQUIRED_HERE = {"transactionId": "the scores name each transaction by it",
                 "timestamp": "the replay orders transactions by it"}
_NUMBERS = ("amount", "timestamp")
_CODED = ("accountId", "merchantId", "currency", "merchantCategory", "country", "channel")
MAX_REPORTED = 10
MS_PER_DAY = 86_400_000
_CHUNK = 10_000


class DataError(ValueError):
    """The file cannot be used; the message names it, and the line of each bad row."""


@dataclass
class Dataset:
    """Transactions in replay order (``common.scoring.order_key``), one array per field."""

    source: str
    ids: list[str]
    timestamps: np.ndarray  # epoch ms
    cents: np.ndarray  # the amount in hundredths: exact for the API's at most 2 decimals
    fraud: np.ndarray  # bool
    lines: np.ndarray  # where each row is in the file
    codes: dict[str, np.ndarray]  # per field of _CODED: an index into texts[field]
    texts: dict[str, list[str | None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def days(self) -> np.ndarray:
        """Each transaction's UTC day, in days since 1970-01-01."""
        return self.timestamps // MS_PER_DAY

    def values(self, name: str) -> list[str | None]:
        """Every row's ``name`` (one of the coded fields) as text."""
        texts = self.texts[name]
        return [texts[code] for code in self.codes[name].tolist()]

    def transactions(self, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Rows ``start`` to ``stop`` as detect-fraud sees them stored (amounts as DynamoDB
        gives them back), built a chunk at a time: a dict per row costs about 600 bytes."""
        stop = len(self) if stop is None else stop
        for first in range(start, stop, _CHUNK):
            last = min(first + _CHUNK, stop)
            columns = [(name, self.texts[name], self.codes[name][first:last].tolist())
                       for name in _CODED]
            for offset, (timestamp, cents) in enumerate(zip(
                    self.timestamps[first:last].tolist(), self.cents[first:last].tolist(),
                    strict=True)):
                transaction: dict[str, Any] = {
                    "transactionId": self.ids[first + offset],
                    "amount": canonical_amount(Decimal(cents).scaleb(-2)),
                    "timestamp": timestamp}
                for name, texts, codes in columns:
                    value = texts[codes[offset]]
                    if value is not None:
                        transaction[name] = value
                yield transaction


_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FRACTION = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")


def _number(cell: str) -> Any:
    """The cell as a JSON body would carry it: a number as JSON reads one, else the text."""
    if _INTEGER.fullmatch(cell):
        return int(cell)
    if _FRACTION.fullmatch(cell):
        return Decimal(cell)
    try:
        number = json_codec.loads(cell)  # exponents and other rarities, exactly as the API
    except ValueError:
        return cell
    return number if isinstance(number, int | Decimal) and not isinstance(number, bool) else cell


class _Reader:
    def __init__(self, source: str, now: int) -> None:
        self.source, self.now = source, now
        self.problems: list[str] = []
        # Compact arrays while reading: a list of 1.75 million ints costs 28 bytes an int.
        self.ids: list[str] = []
        self.timestamps = array("q")
        self.cents = array("q")
        self.fraud = array("b")
        self.lines = array("q")
        self.code_of: dict[str, dict[str | None, int]] = {name: {} for name in _CODED}
        self.codes = {name: array("i") for name in _CODED}

    def problem(self, line: int, text: str) -> None:
        self.problems.append(f"line {line}: {text}")

    def columns(self, header: list[str]) -> None:
        self.width = len(header)
        self.fields = [(name, header.index(name), name in _NUMBERS) for name in CLIENT_FIELDS]
        self.label_at = header.index(FRAUD)

    def row(self, line: int, row: list[str]) -> None:
        if len(row) != self.width:
            self.problem(line, f"{len(row)} values, expected {self.width} (one per column)")
            return
        document = {name: _number(row[at]) if numeric else row[at]
                    for name, at, numeric in self.fields if row[at]}
        label = row[self.label_at]
        errors = [f"{name}: is required ({why})" for name, why in REQUIRED_HERE.items()
                  if name not in document]
        if label not in ("0", "1"):
            errors.append(f"fraud: must be 0 or 1, not {label!r}")
        try:
            transaction = validate_document(document, self.now)
        except InvalidRequest as invalid:
            errors = [f"{error.field}: {error.message}" for error in invalid.errors] + errors
        if errors:
            self.problem(line, "; ".join(errors))
            return
        self.ids.append(transaction["transactionId"])
        self.timestamps.append(transaction["timestamp"])
        self.cents.append(int(transaction["amount"].scaleb(2)))
        self.fraud.append(label == "1")
        self.lines.append(line)
        for name in _CODED:
            value = transaction.get(name)
            codes = self.code_of[name]
            code = codes.get(value)
            if code is None:
                code = codes[value] = len(codes)
            self.codes[name].append(code)


def _count_lines(path: Path) -> int:
    with path.open("rb") as raw:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b""))


def read_dataset(path: Path, now: int | None = None,
                 progress: Callable[[int, int], None] = lambda _done, _total: None) -> Dataset:
    """The dataset in ``path``, validated and in replay order; :class:`DataError` if unusable."""
    source = str(path)
    if not path.is_file():
        raise DataError(f"{source}: no such file")
    total = max(_count_lines(path) - 1, 0)
    reader = _Reader(source, now_ms() if now is None else now)
    progress(0, total)
    try:
        with path.open(newline="", encoding="utf-8-sig") as text:
            rows = csv.reader(text, strict=True)
            header = next(rows, None)
            reader.columns(_checked_header(source, header))
            for number, row in enumerate(rows, start=1):
                reader.row(rows.line_num, row)
                if len(reader.problems) >= MAX_REPORTED:
                    break
                if number % 10_000 == 0:
                    progress(number, total)
    except UnicodeDecodeError as error:
        raise DataError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})",
                        ) from None
    except csv.Error as error:
        raise DataError(f"{source}: line {rows.line_num}: not valid CSV ({error})") from None
    if reader.problems:
        more = (" (and perhaps more: fix these first)"
                if len(reader.problems) >= MAX_REPORTED else "")
        count = len(reader.problems)
        raise DataError(f"{source}: {count} invalid row{'s' if count > 1 else ''}{more}:\n  "
                        + "\n  ".join(reader.problems))
    if not reader.ids:
        raise DataError(f"{source}: no transactions, only a header")
    progress(total, total)
    return _in_replay_order(reader)


def _checked_header(source: str, header: list[str] | None) -> list[str]:
    if not header:
        raise DataError(f"{source}: empty file; expected a header: {','.join(COLUMNS)}")
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
        [f"unknown {', '.join(unknown)}"] if unknown else []) + (
        [f"repeated {', '.join(repeated)}"] if repeated else [])
    if problems:
        raise DataError(f"{source}: line 1: the header has {'; '.join(problems)}; "
                        f"expected the columns {','.join(COLUMNS)} (in any order)")
    return header


def _in_replay_order(reader: _Reader) -> Dataset:
    timestamps = np.frombuffer(reader.timestamps, dtype=np.int64)
    order = np.argsort(timestamps, kind="stable")
    ids = reader.ids
    # Equal timestamps order by id (as detect-fraud orders them): rare, so sorted in Python.
    sorted_times = timestamps[order]
    for start in np.flatnonzero(np.diff(sorted_times) == 0):
        if start and sorted_times[start - 1] == sorted_times[start]:
            continue  # inside a run already sorted
        end = start + 1
        while end + 1 < len(order) and sorted_times[end + 1] == sorted_times[start]:
            end += 1
        run = order[start:end + 1]
        order[start:end + 1] = sorted(run.tolist(), key=lambda row: ids[row])
    ordered_ids = [ids[row] for row in order.tolist()]
    _check_unique(reader, ordered_ids, order)
    return Dataset(
        source=reader.source, ids=ordered_ids, timestamps=sorted_times,
        cents=np.frombuffer(reader.cents, dtype=np.int64)[order],
        fraud=np.frombuffer(reader.fraud, dtype=np.int8)[order].astype(bool),
        lines=np.frombuffer(reader.lines, dtype=np.int64)[order],
        codes={name: np.frombuffer(reader.codes[name], dtype=np.int32)[order] for name in _CODED},
        texts={name: list(reader.code_of[name]) for name in _CODED})


def _check_unique(reader: _Reader, ordered_ids: list[str], order: np.ndarray) -> None:
    if len(set(ordered_ids)) == len(ordered_ids):
        return
    first_line: dict[str, int] = {}
    repeated = []
    for transaction_id, row in zip(ordered_ids, order.tolist(), strict=True):
        line = reader.lines[row]
        if transaction_id in first_line:
            repeated.append(f"line {line}: transactionId {transaction_id!r} already on line "
                            f"{first_line[transaction_id]}")
            if len(repeated) >= MAX_REPORTED:
                break
        else:
            first_line[transaction_id] = line
    if repeated:
        raise DataError(f"{reader.source}: a transaction id may appear once:\n  "
                        + "\n  ".join(repeated))
