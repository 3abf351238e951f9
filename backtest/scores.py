"""The scores file: one row per transaction of the window, as other tools read it."""

import csv
from pathlib import Path

from common.transaction import CLEAR, SUSPICIOUS

from backtest.dataset import Dataset
from backtest.replay import Replayed

COLUMNS = ("transactionId", "score", "status", "reasons")
REASON_SEPARATOR = "|"


def write_scores(dataset: Dataset, replayed: Replayed, path: Path) -> None:
    """``transactionId,score,status,reasons`` (rule codes joined by ``|``), in replay order."""
    reasons = [REASON_SEPARATOR.join(codes) for codes in replayed.reason_sets]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(
            (dataset.ids[row], score, SUSPICIOUS if suspicious else CLEAR, reasons[reason])
            for row, score, suspicious, reason in zip(
                replayed.rows.tolist(), replayed.scores.tolist(),
                replayed.suspicious.tolist(), replayed.reasons.tolist(), strict=True))
