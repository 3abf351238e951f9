"""The daily report as one self-contained HTML page: inline CSS and SVG, no external asset.

Every value from the data is HTML-escaped (merchant ids and account ids come from clients).
"""

from decimal import Decimal
from html import escape
from typing import Any

CHART_WIDTH = 720
PANEL_HEIGHT = 110  # one panel per series, each on its own scale: flagged is a small fraction
_LEFT, _GAP, _AXIS = 48, 26, 20

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1f2933; max-width: 1100px; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #e4e7eb; text-align: left; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; gap: 2rem; }
.figure { background: #f0f4f8; padding: 0.8rem 1.2rem; border-radius: 6px; }
.figure strong { display: block; font-size: 1.5rem; }
"""


def _cell(value: Any, number: bool = False) -> str:
    css = ' class="number"' if number else ""
    return f"<td{css}>{escape(str(value))}</td>"


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _panel(hourly: list[dict[str, int]], key: str, colour: str, top_y: float) -> list[str]:
    """One row of 24 bars (a series per hour) scaled to its own maximum."""
    peak = max([1] + [entry[key] for entry in hourly])
    slot = (CHART_WIDTH - _LEFT) / 24
    base = top_y + PANEL_HEIGHT
    parts = [f'<text x="{_LEFT}" y="{top_y - 6:.0f}" font-size="12">{key} per hour (UTC)</text>',
             f'<line x1="{_LEFT}" y1="{base}" x2="{CHART_WIDTH}" y2="{base}" stroke="#9aa5b1"/>',
             f'<text x="{_LEFT - 6}" y="{top_y + 10:.0f}" text-anchor="end" '
             f'font-size="11">{peak}</text>',
             f'<text x="{_LEFT - 6}" y="{base:.0f}" text-anchor="end" font-size="11">0</text>']
    for entry in hourly:
        height = PANEL_HEIGHT * entry[key] / peak
        parts.append(f'<rect x="{_LEFT + entry["hour"] * slot + slot * 0.15:.1f}" '
                     f'y="{base - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
                     f'fill="{colour}"><title>{entry["hour"]:02d}:00 UTC: {entry[key]} {key}'
                     "</title></rect>")
    return parts


def _chart(hourly: list[dict[str, int]]) -> str:
    """Transactions and flagged transactions per UTC hour, as two bar panels."""
    height = 2 * (PANEL_HEIGHT + _GAP) + _AXIS
    slot = (CHART_WIDTH - _LEFT) / 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
             'role="img" aria-label="Transactions and flagged transactions per hour">',
             *_panel(hourly, "transactions", "#486581", _GAP),
             *_panel(hourly, "flagged", "#d64545", 2 * _GAP + PANEL_HEIGHT)]
    parts += [f'<text x="{_LEFT + hour * slot + slot / 2:.1f}" y="{height - 4}" '
              f'text-anchor="middle" font-size="11">{hour:02d}h</text>'
              for hour in range(0, 24, 3)]
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: dict[str, Any]) -> str:
    totals = report["totals"]
    day = escape(report["day"])
    amounts = "".join(f"<tr>{_cell(currency)}{_cell(_amount(total), True)}</tr>"
                      for currency, total in totals["amountByCurrency"].items())
    rules = "".join(f"<tr>{_cell(code)}{_cell(count, True)}</tr>"
                    for code, count in report["rules"].items())
    accounts = "".join(f"<tr>{_cell(entry['accountId'])}{_cell(entry['flagged'], True)}</tr>"
                       for entry in report["topAccounts"])
    flagged = "".join(
        "<tr>" + _cell(item["time"]) + _cell(item["transactionId"]) + _cell(item["accountId"])
        + _cell(f"{_amount(item['amount'])} {item['currency']}", True)
        + _cell(item["merchantId"]) + _cell(item["merchantCategory"]) + _cell(item["country"])
        + _cell(item["score"], True) + _cell(", ".join(item["reasons"])) + "</tr>"
        for item in report["flaggedTransactions"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fraud report {day}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Fraud report for {day} (UTC)</h1>
<div class="figures">
<div class="figure">Transactions<strong>{totals["transactions"]:,}</strong></div>
<div class="figure">Flagged<strong>{totals["flagged"]:,}</strong></div>
<div class="figure">Flagged rate<strong>{escape(str(totals["flaggedRatePercent"]))} %</strong></div>
</div>
<h2>Transactions and flagged per hour</h2>
{_chart(report["hourly"])}
<h2>Amount per currency</h2>
<table><tr><th>Currency</th><th class="number">Amount</th></tr>{amounts}</table>
<h2>Flags per rule</h2>
<table><tr><th>Rule</th><th class="number">Transactions</th></tr>{rules}</table>
<h2>Top accounts by flags</h2>
<table><tr><th>Account</th><th class="number">Flagged</th></tr>{accounts}</table>
<h2>Flagged transactions</h2>
<table><tr><th>Time (UTC)</th><th>Transaction</th><th>Account</th><th class="number">Amount</th>
<th>Merchant</th><th>MCC</th><th>Country</th><th class="number">Score</th><th>Reasons</th></tr>
{flagged}</table>
</body>
</html>
"""
