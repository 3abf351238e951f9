"""The daily report as one self-contained HTML page: inline CSS and SVG, no external asset.

Every value from the data is HTML-escaped (merchant ids and account ids come from clients).
"""

from decimal import Decimal
from html import escape
from typing import Any

CHART_WIDTH, CHART_HEIGHT = 720, 220
_MARGIN_LEFT, _MARGIN_BOTTOM, _MARGIN_TOP = 48, 28, 12

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
.legend span { display: inline-block; width: 0.8rem; height: 0.8rem; margin: 0 0.3rem 0 1rem; }
"""


def _cell(value: Any, number: bool = False) -> str:
    css = ' class="number"' if number else ""
    return f"<td{css}>{escape(str(value))}</td>"


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _chart(hourly: list[dict[str, int]]) -> str:
    """Bars per UTC hour: all transactions, and the flagged ones beside them."""
    top = max([1] + [hour["transactions"] for hour in hourly])
    plot_width = CHART_WIDTH - _MARGIN_LEFT
    plot_height = CHART_HEIGHT - _MARGIN_BOTTOM - _MARGIN_TOP
    slot = plot_width / 24
    bar = slot * 0.4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" '
             f'height="{CHART_HEIGHT}" role="img" aria-label="Transactions and flagged per hour">',
             f'<line x1="{_MARGIN_LEFT}" y1="{_MARGIN_TOP + plot_height}" x2="{CHART_WIDTH}" '
             f'y2="{_MARGIN_TOP + plot_height}" stroke="#9aa5b1"/>',
             f'<text x="{_MARGIN_LEFT - 6}" y="{_MARGIN_TOP + 10}" text-anchor="end" '
             f'font-size="11">{top}</text>',
             f'<text x="{_MARGIN_LEFT - 6}" y="{_MARGIN_TOP + plot_height}" text-anchor="end" '
             'font-size="11">0</text>']
    for entry in hourly:
        x = _MARGIN_LEFT + entry["hour"] * slot + slot * 0.1
        for offset, key, colour in ((0, "transactions", "#486581"), (bar, "flagged", "#d64545")):
            height = plot_height * entry[key] / top
            y = _MARGIN_TOP + plot_height - height
            parts.append(f'<rect x="{x + offset:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                         f'height="{height:.1f}" fill="{colour}"><title>{entry["hour"]:02d}:00 '
                         f'UTC: {entry[key]} {key}</title></rect>')
        if entry["hour"] % 3 == 0:
            parts.append(f'<text x="{x + bar:.1f}" y="{CHART_HEIGHT - 8}" text-anchor="middle" '
                         f'font-size="11">{entry["hour"]:02d}h</text>')
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
<p class="legend"><span style="background:#486581"></span>transactions
<span style="background:#d64545"></span>flagged</p>
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
