"""The digest email: a short subject (SNS allows 100 characters) and a plain-text body.

Pure, so its wording is tested without SNS. SNS caps a message at 256 KB; a batch large
enough to pass that lists its first alerts and says how many more it holds. An alert that an
earlier digest may already have carried (its sender crashed before confirming it) is marked
"repeated", so the team does not count it twice. Amounts show their currency's decimals.
Each alert ends with the request that labels it, so a reviewed alert teaches the platform.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from common import currencies
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


REPEATED = ("   repeated: an earlier digest may have listed this alert already "
            "(its sending was interrupted)")


LABEL_HOWTO = ("Once reviewed, label each one with the request under it (on the API's URL, "
               "signed as any API call): label FRAUD or GENUINE; source ANALYST, CHARGEBACK or "
               "CUSTOMER; an optional note, never a card number.\n")


def label_request(transaction_id: str) -> str:
    """The request that labels ``transaction_id`` (docs/api.md), ready to send but for the
    verdict."""
    return (f'PUT /transactions/{transaction_id}/label  '
            '{"label": "FRAUD", "source": "ANALYST"}')


def _entry(number: int, alert: Alert, repeated: bool) -> str:
    lines = [
        f"{number}. {alert.transaction_id}  score {alert.score}",
        *([REPEATED] if repeated else []),
        f"   account {alert.account}  "
        f"amount {currencies.format_amount(alert.amount, alert.currency)}  "
        f"merchant {alert.merchant_id}  country {alert.country}",
        f"   time {iso(alert.timestamp)}  analysed {alert.analyzed_at}",
        *(f"   - {reason}" for reason in alert.reasons),
        f"   label: {label_request(alert.transaction_id)}",
    ]
    return "\n".join(lines)


def build_digest(alerts: Sequence[Alert], repeated: Collection[str] = ()) -> Digest:
    """The digest of ``alerts`` (at least one), highest score first; the transactions in
    ``repeated`` are marked as possibly sent before."""
    ordered = sorted(alerts, key=lambda alert: (-alert.score, alert.timestamp,
                                                alert.transaction_id))
    max_score = ordered[0].score
    noun = "transaction" if len(ordered) == 1 else "transactions"
    subject = f"{len(ordered)} suspicious {noun} (max score {max_score})"
    header = (f"The fraud detection platform flagged {len(ordered)} suspicious {noun}.\n"
              "Review each one; the daily report lists every flagged transaction of the day.\n"
              + LABEL_HOWTO)
    repeats = sum(alert.transaction_id in repeated for alert in ordered)
    if repeats:
        header += (f"{repeats} of them may repeat an entry of an earlier digest (marked "
                   "repeated).\n")
    entries: list[str] = []
    size = len(header.encode())
    for number, alert in enumerate(ordered, start=1):
        entry = _entry(number, alert, alert.transaction_id in repeated)
        size += len(entry.encode()) + 2
        if size > BODY_LIMIT_BYTES:
            entries.append(f"... and {len(ordered) - number + 1} more (message size limit).")
            break
        entries.append(entry)
    return Digest(subject=subject,
                  body=header + "\n" + "\n\n".join(entries) + "\n",
                  severity="critical" if max_score >= CRITICAL_SCORE else "high",
                  max_score=max_score, alert_count=len(ordered))
