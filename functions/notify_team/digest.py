"""The digest email: a short subject (SNS allows 100 characters) and a plain-text body.

Pure, so its wording is tested without SNS. SNS caps a message at 256 KB; a batch large
enough to pass that lists its first alerts and says how many more it holds.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from common.alerts import Alert
from common.clock import iso

BODY_LIMIT_BYTES = 200 * 1024  # well under SNS's 256 KB, leaving room for attributes
CRITICAL_SCORE = 90  # a digest holding an alert scoring this or more is critical


@dataclass(frozen=True)
class Digest:
    subject: str
    body: str
    severity: str  # "critical" or "high": lets subscription filter policies route it
    max_score: int
    alert_count: int


def _amount(alert: Alert) -> str:
    return f"{alert.amount:,.2f} {alert.currency}"


def _entry(number: int, alert: Alert) -> str:
    lines = [
        f"{number}. {alert.transaction_id}  score {alert.score}",
        f"   account {alert.account}  amount {_amount(alert)}  "
        f"merchant {alert.merchant_id}  country {alert.country}",
        f"   time {iso(alert.timestamp)}  analysed {alert.analyzed_at}",
        *(f"   - {reason}" for reason in alert.reasons),
    ]
    return "\n".join(lines)


def build_digest(alerts: Sequence[Alert]) -> Digest:
    """The digest of ``alerts`` (at least one), highest score first."""
    ordered = sorted(alerts, key=lambda alert: (-alert.score, alert.timestamp,
                                                alert.transaction_id))
    max_score = ordered[0].score
    noun = "transaction" if len(ordered) == 1 else "transactions"
    subject = f"{len(ordered)} suspicious {noun} (max score {max_score})"
    header = (f"The fraud detection platform flagged {len(ordered)} suspicious {noun}.\n"
              "Review each one; the daily report lists every flagged transaction of the day.\n")
    entries: list[str] = []
    size = len(header.encode())
    for number, alert in enumerate(ordered, start=1):
        entry = _entry(number, alert)
        size += len(entry.encode()) + 2
        if size > BODY_LIMIT_BYTES:
            entries.append(f"... and {len(ordered) - number + 1} more (message size limit).")
            break
        entries.append(entry)
    return Digest(subject=subject,
                  body=header + "\n" + "\n\n".join(entries) + "\n",
                  severity="critical" if max_score >= CRITICAL_SCORE else "high",
                  max_score=max_score, alert_count=len(ordered))
