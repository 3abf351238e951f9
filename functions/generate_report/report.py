"""The daily report as data: pure, from the day's aggregates, its flagged transactions and
its transactions labelled FRAUD.

What it holds is described in docs/report.md. Rule hits come from two places that count
different things: the aggregates count every transaction a rule fired on (a high-risk merchant
alone scores 25, under the suspicious score), the flagged transactions' reasons count the hits
that contributed to a flag; the report gives both, named as what they are.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from common.clock import iso
from common.data_model import REPORTS_PREFIX
from common.privacy import FULL, mask_account
from common.rules import RuleConfig, as_overrides
from common.scoring import reason_table
from common.stats import DayTotals
from common.transaction import (
    ANALYZED_AT,
    CLEAR,
    FRAUD,
    FRAUD_REASONS,
    FRAUD_SCORE,
    FRAUD_STATUS,
    GENUINE,
    LABEL,
    LABEL_SOURCE,
    LABELLED_AT,
    PENDING,
)

TOP_ACCOUNTS = 10
_PERCENT = Decimal("0.01")

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidReportRequest(ValueError):
    """The event does not name a day the report can be built for."""


def parse_day(text: Any) -> str:
    """``text`` if it is a calendar date written ``YYYY-MM-DD``, else
    :class:`InvalidReportRequest` saying which of the two it is not."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        raise InvalidReportRequest(f"must be a date written YYYY-MM-DD, not {text!r}")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as error:  # e.g. "month must be in 1..12"
        raise InvalidReportRequest(f"{text} is not a calendar date ({error})") from None


def report_day(event: Any, today: date) -> str:
    """``event["day"]`` checked, or yesterday (UTC) when the event names no day."""
    day = event.get("day") if isinstance(event, dict) else None
    if day is None:
        return (today - timedelta(days=1)).isoformat()
    try:
        return parse_day(day)
    except InvalidReportRequest as error:
        raise InvalidReportRequest(f'"day" {error}') from None


def report_keys(day: str) -> tuple[str, str]:
    """The JSON and HTML object keys of ``day``'s report."""
    folder = f"{REPORTS_PREFIX}{day.replace('-', '/')}/"
    return folder + "fraud-report.json", folder + "fraud-report.html"


def _by_score(item: Mapping[str, Any]) -> tuple[int, int, str]:
    """Highest score first; then the day's order."""
    return -int(item[FRAUD_SCORE]), int(item["timestamp"]), item["transactionId"]


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(100 * part) / whole).quantize(_PERCENT) if whole else None


def alert_quality(flagged: Iterable[Mapping[str, Any]], missed: int) -> dict[str, Any]:
    """Of the day's flagged transactions, how many are labelled fraud, genuine, or not yet; the
    alert precision so far is the share of fraud among those labelled, the recall so far the
    share of the labelled frauds that were flagged (``missed``: those scored CLEAR); ``None``
    while there is nothing to divide by. Frauds nobody labelled are in neither figure."""
    labels = Counter(item.get(LABEL) for item in flagged)
    return {"labelledFraud": labels[FRAUD], "labelledGenuine": labels[GENUINE],
            "unlabelled": labels[None],
            "precisionPercent": _percent(labels[FRAUD], labels[FRAUD] + labels[GENUINE]),
            "missedFraud": missed, "recallPercent": _percent(labels[FRAUD], labels[FRAUD] + missed)}


def _row(item: Mapping[str, Any], shown: Callable[[str], str]) -> dict[str, Any]:
    """A transaction as the report lists it (flagged or missed)."""
    return {
        "transactionId": item["transactionId"],
        "time": iso(int(item["timestamp"])),
        "accountId": shown(item["accountId"]),
        "amount": item["amount"],
        "currency": item["currency"],
        "merchantId": item["merchantId"],
        "merchantCategory": item["merchantCategory"],
        "country": item["country"],
        "score": int(item[FRAUD_SCORE]),
        "reasons": list(item.get(FRAUD_REASONS, [])),
        "analyzedAt": item.get(ANALYZED_AT),
    }


def build_report(day: str, stats_items: Iterable[Mapping[str, Any]],
                 flagged_items: Iterable[Mapping[str, Any]],
                 labelled_fraud_items: Iterable[Mapping[str, Any]], *, rules: RuleConfig,
                 model_in_force: bool, reference_currency: str, account_ids: str,
                 generated_at: str) -> dict[str, Any]:
    """The report of ``day`` from its stats items, its ``byFlaggedDay`` index entries and its
    ``byLabelledFraudDay`` ones (the flagged among those are already in alert quality; the
    CLEAR ones are the frauds the rules missed; PENDING ones still await their verdict).

    ``rules`` are the rules in force as the report is generated, their amounts in
    ``reference_currency`` (``fraud:referenceCurrency``), with the entity rules and the model's
    row when ``model_in_force`` (``fraud:model`` is not ``none``); ``account_ids`` is
    ``fraud:reportAccountIds`` (``masked``, or ``full`` for the risk team's copy).
    """
    totals = DayTotals.from_items(stats_items)
    flagged = sorted(flagged_items, key=_by_score)
    shown: Callable[[str], str] = str if account_ids == FULL else mask_account
    rate = (Decimal(100 * totals.flagged) / totals.transactions).quantize(_PERCENT) \
        if totals.transactions else Decimal("0.00")
    flags_per_account = Counter(item["accountId"] for item in flagged)
    hits_among_flagged = Counter(code for item in flagged for code in item.get(FRAUD_REASONS, []))
    labelled_frauds = list(labelled_fraud_items)
    missed = sorted((item for item in labelled_frauds if item.get(FRAUD_STATUS) == CLEAR),
                    key=lambda item: (int(item["timestamp"]), item["transactionId"]))
    rules_in_force = reason_table(rules, reference_currency, model_in_force)
    flagged_amounts: Counter[str] = Counter()
    for item in flagged:
        flagged_amounts[item["currency"]] += item["amount"]
    return {
        "day": day,
        "generatedAt": generated_at,
        "accountIds": account_ids,
        "totals": {
            "transactions": totals.transactions,
            "flagged": totals.flagged,
            "flaggedRatePercent": rate,
            "amountByCurrency": totals.amounts,
            "flaggedAmountByCurrency": dict(sorted(flagged_amounts.items())),
        },
        "alertQuality": alert_quality(flagged, len(missed)),
        "suspiciousScore": rules.suspicious_score,
        "rules": [{"code": code, "firesWhen": condition, "weight": weight,
                   "hitsAmongFlagged": hits_among_flagged[code],
                   "hitsAmongAll": totals.rules.get(code, 0)}
                  for code, condition, weight in rules_in_force],
        "ruleConfig": as_overrides(rules),
        "hourly": [{"hour": hour, "transactions": count, "flagged": flagged_count}
                   for hour, (count, flagged_count) in enumerate(totals.hourly)],
        # Counted on whole ids, so two accounts that mask alike stay two rows.
        "topAccounts": [{"accountId": shown(account), "flagged": count} for account, count in
                        sorted(flags_per_account.items(), key=lambda entry: (-entry[1], entry[0]))
                        [:TOP_ACCOUNTS]],
        "flaggedTransactions": [_row(item, shown) | {"label": item.get(LABEL)}
                                for item in flagged],
        "missedFrauds": {
            "count": len(missed),
            "awaitingVerdict": sum(item.get(FRAUD_STATUS) == PENDING for item in labelled_frauds),
            "transactions": [_row(item, shown) | {"labelSource": item.get(LABEL_SOURCE),
                                                  "labelledAt": item.get(LABELLED_AT)}
                             for item in missed],
        },
    }
