"""The daily report as data: pure, from the day's aggregates and its flagged transactions."""

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from common.clock import iso
from common.data_model import REPORTS_PREFIX
from common.rules import RULE_CODES
from common.stats import DayTotals
from common.transaction import ANALYZED_AT, FRAUD_REASONS, FRAUD_SCORE

TOP_ACCOUNTS = 10
_PERCENT = Decimal("0.01")

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidReportRequest(ValueError):
    """The event does not name a day the report can be built for."""


def report_day(event: Any, today: date) -> str:
    """``event["day"]`` checked, or yesterday (UTC) when the event names no day."""
    day = event.get("day") if isinstance(event, dict) else None
    if day is None:
        return (today - timedelta(days=1)).isoformat()
    if not isinstance(day, str) or not _DAY.fullmatch(day):
        raise InvalidReportRequest(f'"day" must be a date as YYYY-MM-DD, not {day!r}')
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InvalidReportRequest(f'"day" {day!r} is not a calendar date') from None
    return day


def report_keys(day: str) -> tuple[str, str]:
    """The JSON and HTML object keys of ``day``'s report."""
    folder = f"{REPORTS_PREFIX}{day.replace('-', '/')}/"
    return folder + "fraud-report.json", folder + "fraud-report.html"


def build_report(day: str, stats_items: Iterable[Mapping[str, Any]],
                 flagged_items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The report of ``day`` from its stats items and its ``byFlaggedDay`` index entries."""
    totals = DayTotals.from_items(stats_items)
    flagged = sorted(flagged_items, key=lambda item: (item["timestamp"], item["transactionId"]))
    rate = (Decimal(100 * totals.flagged) / totals.transactions).quantize(_PERCENT) \
        if totals.transactions else Decimal("0.00")
    flags_per_account = Counter(item["accountId"] for item in flagged)
    return {
        "day": day,
        "totals": {
            "transactions": totals.transactions,
            "flagged": totals.flagged,
            "flaggedRatePercent": rate,
            "amountByCurrency": totals.amounts,
        },
        "rules": {code: totals.rules.get(code, 0) for code in RULE_CODES},
        "hourly": [{"hour": hour, "transactions": count, "flagged": flagged_count}
                   for hour, (count, flagged_count) in enumerate(totals.hourly)],
        "topAccounts": [{"accountId": account, "flagged": count} for account, count in
                        sorted(flags_per_account.items(), key=lambda entry: (-entry[1], entry[0]))
                        [:TOP_ACCOUNTS]],
        "flaggedTransactions": [{
            "transactionId": item["transactionId"],
            "time": iso(int(item["timestamp"])),
            "accountId": item["accountId"],
            "amount": item["amount"],
            "currency": item["currency"],
            "merchantId": item["merchantId"],
            "merchantCategory": item["merchantCategory"],
            "country": item["country"],
            "score": int(item[FRAUD_SCORE]),
            "reasons": list(item.get(FRAUD_REASONS, [])),
            "analyzedAt": item.get(ANALYZED_AT),
        } for item in flagged],
    }
