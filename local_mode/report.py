"""The daily report on demand: what EventBridge does at 01:00 UTC, for any day, now.

Invokes generate-report (in this process, with the environment the compute stack gives it)
against a running local mode, then downloads the report it wrote to the emulator's bucket
into ``<outbox>/reports/YYYY/MM/DD/``, where a browser can open the HTML.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from generate_report import report as generate_report

from local_mode.environment import use_emulator
from local_mode.stack import LOG_DIR, load_settings, local_function
from shared.lambdas import GENERATE_REPORT
from shared.outputs import DataOutputs

REPORTS_DIR = "reports"


class ReportError(RuntimeError):
    """The report could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class SavedReport:
    day: str
    transactions: int
    flagged: int
    html: Path
    json: Path


def parse_day(text: str) -> str:
    """``text`` if it is a calendar date written ``YYYY-MM-DD``, else :class:`ReportError`."""
    try:
        return generate_report.parse_day(text)
    except generate_report.InvalidReportRequest as error:
        raise ReportError(f"DAY {error}") from None


def build_report(day: str, state: dict[str, Any], outbox: Path) -> SavedReport:
    """Run generate-report for ``day`` against the local mode ``state`` describes; save it."""
    use_emulator(state["emulatorEndpoint"], state["region"])
    settings = load_settings(state["config"])
    outputs = state["outputs"]
    function = local_function(GENERATE_REPORT, settings, outputs, outbox / LOG_DIR)
    try:
        summary = function.invoke({"day": day})
    except Exception as error:
        raise ReportError(f"generate-report failed for {day}: {error} "
                          f"(its log: {function.log_path})") from None
    finally:
        function.close()
    s3 = boto3.client("s3")
    bucket = outputs[DataOutputs.REPORTS_BUCKET_NAME]
    saved = {}
    for key in (summary["jsonKey"], summary["htmlKey"]):
        target = outbox / REPORTS_DIR / Path(key).relative_to("reports")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        saved[key] = target
    return SavedReport(day=day, transactions=int(summary["transactions"]),
                       flagged=int(summary["flagged"]), html=saved[summary["htmlKey"]],
                       json=saved[summary["jsonKey"]])
