"""The daily report as one self-contained HTML page: inline CSS and SVG, no external asset.

Every value from the data is HTML-escaped (merchant ids and account ids come from clients).
Ids, times and amounts never wrap: a wide table scrolls sideways instead.
"""

from decimal import Decimal
from html import escape
from itertools import count
from typing import Any

from common.currencies import format_amount
from common.privacy import FULL

CHART_WIDTH = 760
PANEL_HEIGHT = 120  # one panel per series, each on its own scale: flagged is a small fraction
MAX_TICKS = 5  # gridlines per panel, at most, above the baseline
_LEFT, _TOP_GAP, _AXIS = 56, 30, 22

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1f2933; max-width: 1400px; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }
p.meta, p.note { color: #52606d; margin: 0.3rem 0; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e4e7eb; text-align: left;
         vertical-align: top; }
th { white-space: nowrap; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
td.keep { white-space: nowrap; }
td.id { white-space: nowrap; font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace;
        font-size: 0.8rem; }
.scroll { overflow-x: auto; }
.figures { display: flex; gap: 2rem; }
.figure { background: #f0f4f8; padding: 0.8rem 1.2rem; border-radius: 6px; }
.figure strong { display: block; font-size: 1.5rem; }
"""


def _cell(value: Any, kind: str = "") -> str:
    """A table cell; ``kind`` is ``number`` (right-aligned, kept on one line), ``id``
    (monospace, one line), ``keep`` (one line) or plain text that may wrap."""
    css = {"number": "number keep", "id": "id", "keep": "keep"}.get(kind)
    text = escape(str(value))
    return f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>"


def _weight(weight: int | None) -> str:
    """A rule's weight; the model's (``None``) is its probability, times 100."""
    return "its probability" if weight is None else str(weight)


def axis_ticks(peak: int) -> list[int]:
    """Gridline values from 0 past ``peak``: steps of 1, 2, 5, 10, 20, 50, ..., at most
    :data:`MAX_TICKS` above 0."""
    peak = max(peak, 1)
    steps = (factor * 10**exponent for exponent in count() for factor in (1, 2, 5))
    step = next(step for step in steps if peak <= MAX_TICKS * step)
    top = -(-peak // step) * step  # peak rounded up to a whole step
    return list(range(0, top + 1, step))


def _panel(hourly: list[dict[str, int]], key: str, colour: str, top_y: float) -> list[str]:
    """One row of 24 bars (a series per hour) on its own scale, with gridlines and hours."""
    ticks = axis_ticks(max(entry[key] for entry in hourly))
    scale = PANEL_HEIGHT / ticks[-1]
    slot = (CHART_WIDTH - _LEFT) / 24
    base = top_y + PANEL_HEIGHT
    parts = [f'<text x="{_LEFT}" y="{top_y - 10:.0f}" font-size="12" font-weight="600">'
             f"{key.capitalize()} per hour (UTC)</text>"]
    for tick in ticks:
        y = base - tick * scale
        stroke = ' stroke="#9aa5b1"' if tick == 0 else ' stroke="#e4e7eb" stroke-dasharray="3 3"'
        parts += [f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{CHART_WIDTH}" y2="{y:.1f}"{stroke}/>',
                  f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                  f"{tick:,}</text>"]
    for entry in hourly:
        height = entry[key] * scale
        parts.append(f'<rect x="{_LEFT + entry["hour"] * slot + slot * 0.15:.1f}" '
                     f'y="{base - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
                     f'fill="{colour}"><title>{entry["hour"]:02d}:00 UTC: {entry[key]:,} {key}'
                     "</title></rect>")
    parts += [f'<text x="{_LEFT + hour * slot + slot / 2:.1f}" y="{base + 15:.0f}" '
              f'text-anchor="middle" font-size="11">{hour:02d}h</text>'
              for hour in range(0, 24, 3)]
    return parts


def _chart(hourly: list[dict[str, int]]) -> str:
    """Transactions and flagged transactions per UTC hour, as two bar panels."""
    panel = _TOP_GAP + PANEL_HEIGHT + _AXIS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" '
             f'height="{2 * panel}" role="img" '
             'aria-label="Transactions and flagged transactions per hour">',
             *_panel(hourly, "transactions", "#486581", _TOP_GAP),
             *_panel(hourly, "flagged", "#d64545", panel + _TOP_GAP), "</svg>"]
    return "".join(parts)


def _time_of_day(iso_time: str) -> str:
    """``12:34:56.789`` of ``2024-05-01T12:34:56.789Z``: the day is the report's."""
    return iso_time[11:23]


def render_html(report: dict[str, Any]) -> str:
    totals = report["totals"]
    day = escape(report["day"])
    flagged_amounts = totals["flaggedAmountByCurrency"]
    amounts = "".join(
        f"<tr>{_cell(currency, 'keep')}{_cell(format_amount(total, currency), 'number')}"
        + _cell(format_amount(flagged_amounts.get(currency, Decimal(0)), currency), "number")
        + "</tr>" for currency, total in totals["amountByCurrency"].items())
    rules = "".join(
        f"<tr>{_cell(rule['code'], 'keep')}{_cell(rule['firesWhen'])}"
        f"{_cell(_weight(rule['weight']), 'number')}{_cell(rule['hitsAmongFlagged'], 'number')}"
        f"{_cell(rule['hitsAmongAll'], 'number')}</tr>" for rule in report["rules"])
    accounts = "".join(f"<tr>{_cell(entry['accountId'], 'id')}"
                       f"{_cell(entry['flagged'], 'number')}</tr>"
                       for entry in report["topAccounts"])
    flagged = "".join(
        "<tr>" + _cell(item["score"], "number") + _cell(_time_of_day(item["time"]), "keep")
        + _cell(item["transactionId"], "id") + _cell(item["accountId"], "id")
        + _cell(format_amount(item["amount"], item["currency"]), "number")
        + _cell(item["merchantId"], "id") + _cell(item["merchantCategory"], "keep")
        + _cell(item["country"], "keep") + _cell(", ".join(item["reasons"]))
        + _cell(item["label"] or "", "keep") + "</tr>"
        for item in report["flaggedTransactions"])
    missed_frauds = report["missedFrauds"]
    missed = "".join(
        "<tr>" + _cell(_time_of_day(item["time"]), "keep") + _cell(item["transactionId"], "id")
        + _cell(item["accountId"], "id")
        + _cell(format_amount(item["amount"], item["currency"]), "number")
        + _cell(item["merchantId"], "id") + _cell(item["merchantCategory"], "keep")
        + _cell(item["country"], "keep") + _cell(item["score"], "number")
        + _cell(", ".join(item["reasons"]) or "none") + _cell(item["labelSource"] or "", "keep")
        + _cell(item["labelledAt"] or "", "keep") + "</tr>"
        for item in missed_frauds["transactions"])
    awaiting = (f' {missed_frauds["awaitingVerdict"]:,} more labelled FRAUD still awaiting their '
                "verdict." if missed_frauds["awaitingVerdict"] else "")
    quality = report["alertQuality"]
    precision = ("no flagged transaction labelled yet" if quality["precisionPercent"] is None
                 else f'{escape(str(quality["precisionPercent"]))} % of the labelled flagged '
                      "transactions are fraud")
    recall = ("no transaction labelled fraud yet" if quality["recallPercent"] is None
              else f'{escape(str(quality["recallPercent"]))} % of the labelled frauds were '
                   "flagged")
    account_ids = ("shown whole (fraud:reportAccountIds = full)"
                   if report["accountIds"] == FULL else "masked as in logs and digests")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fraud report {day}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Fraud report for {day} (UTC)</h1>
<p class="meta">Generated {escape(report["generatedAt"])} · account ids {account_ids}</p>
<div class="figures">
<div class="figure">Transactions<strong>{totals["transactions"]:,}</strong></div>
<div class="figure">Flagged<strong>{totals["flagged"]:,}</strong></div>
<div class="figure">Flagged rate<strong>{escape(str(totals["flaggedRatePercent"]))} %</strong></div>
</div>
<h2 id="quality">Alert quality</h2>
<p class="note">As labelled so far (PUT /transactions/{{id}}/label). Precision: {precision}.
Recall, among labelled frauds only (frauds nobody labelled are not counted): {recall}.</p>
<table><tr><th class="number">Flagged, labelled fraud</th>
<th class="number">Flagged, labelled genuine</th><th class="number">Flagged, unlabelled</th>
<th class="number">Not flagged, labelled fraud (missed)</th></tr><tr>
{_cell(quality["labelledFraud"], "number")}{_cell(quality["labelledGenuine"], "number")}
{_cell(quality["unlabelled"], "number")}{_cell(quality["missedFraud"], "number")}</tr></table>
<h2 id="missed">Labelled frauds the rules missed</h2>
<p class="note">Transactions of the day scored CLEAR that were later labelled FRAUD, oldest
first: {missed_frauds["count"]:,}.{awaiting} Their reasons are the rules that fired below the
flagging score.</p>
<div class="scroll"><table><tr><th>Time (UTC)</th><th>Transaction</th><th>Account</th>
<th class="number">Amount</th><th>Merchant</th><th>MCC</th><th>Country</th>
<th class="number">Score</th><th>Reasons</th><th>Label source</th><th>Labelled at</th></tr>
{missed}</table></div>
<h2 id="hourly">Transactions and flagged per hour</h2>
{_chart(report["hourly"])}
<h2 id="amounts">Amount per currency</h2>
<table><tr><th>Currency</th><th class="number">All transactions</th>
<th class="number">Flagged</th></tr>{amounts}</table>
<h2 id="rules">Rules in force</h2>
<p class="note">As configured when this report was generated; a transaction is flagged from
score {report["suspiciousScore"]} (the sum of the weights of the rules that fire, at most 100).
<em>Among flagged</em>: flagged transactions the rule gave a reason for. <em>Among all</em>: every
transaction the rule fired on, flagged or not.</p>
<div class="scroll"><table><tr><th>Rule</th><th>Fires when</th><th class="number">Weight</th>
<th class="number">Hits among flagged</th><th class="number">Hits among all</th></tr>
{rules}</table></div>
<h2 id="accounts">Top accounts by flags</h2>
<table><tr><th>Account</th><th class="number">Flagged</th></tr>{accounts}</table>
<h2 id="flagged">Flagged transactions, highest score first</h2>
<div class="scroll"><table><tr><th class="number">Score</th><th>Time (UTC)</th>
<th>Transaction</th><th>Account</th><th class="number">Amount</th><th>Merchant</th><th>MCC</th>
<th>Country</th><th>Reasons</th><th>Label</th></tr>
{flagged}</table></div>
</body>
</html>
"""
