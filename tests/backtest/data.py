"""Labelled rows for the backtest's tests, written as the CSV the backtest reads."""

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backtest.dataset import COLUMNS, Dataset, read_dataset

T0 = 1_533_686_400_000  # 2018-08-08T00:00:00Z
DAY_MS = 86_400_000


def row(number: int, account: str = "acct-1", *, timestamp: int, amount: str = "25.00",
        fraud: int = 0, country: str = "DE", mcc: str = "5411",
        **fields: Any) -> dict[str, Any]:
    """A CSV row: the API's fields of a transaction and its label."""
    return {"transactionId": f"tx-{number:05d}", "accountId": account, "amount": amount,
            "currency": "EUR", "merchantId": f"term-{number % 3}", "merchantCategory": mcc,
            "timestamp": timestamp, "country": country, "channel": "pos", "fraud": fraud,
            **fields}


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]],
               columns: Iterable[str] = COLUMNS) -> Path:
    columns = list(columns)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([entry.get(name, "") for name in columns] for entry in rows)
    return path


def dataset_of(tmp_path: Path, rows: Iterable[Mapping[str, Any]]) -> Dataset:
    return read_dataset(write_rows(tmp_path / "rows.csv", rows))
