"""The fraud alert message: detect-fraud sends one per suspicious transaction, notify-team reads it.

It carries what the digest shows and the item's key (to claim it); the account id is already
masked, so the queue and the email never hold it whole.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from common import json_codec
from common.privacy import mask_account
from common.transaction import ANALYZED_AT, FRAUD_REASON_DETAILS, FRAUD_REASONS, FRAUD_SCORE


@dataclass(frozen=True)
class Alert:
    transaction_id: str
    timestamp: int  # with transaction_id, the item's key
    account: str  # masked
    amount: Decimal
    currency: str
    merchant_id: str
    country: str
    score: int
    reasons: tuple[str, ...]  # one line per rule: "HIGH_AMOUNT: amount 12000 ≥ 10000"
    analyzed_at: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> "Alert":
        """The alert of an analysed, suspicious item (plain values, as ``from_item`` gives)."""
        details = item.get(FRAUD_REASON_DETAILS) or [
            {"code": code, "detail": ""} for code in item.get(FRAUD_REASONS, [])]
        return cls(
            transaction_id=item["transactionId"],
            timestamp=int(item["timestamp"]),
            account=mask_account(item["accountId"]),
            amount=Decimal(item["amount"]),
            currency=item["currency"],
            merchant_id=item["merchantId"],
            country=item["country"],
            score=int(item[FRAUD_SCORE]),
            reasons=tuple(f"{d['code']}: {d['detail']}" if d["detail"] else d["code"]
                          for d in details),
            analyzed_at=item[ANALYZED_AT],
        )

    def to_message(self) -> str:
        return json_codec.dumps({
            "transactionId": self.transaction_id, "timestamp": self.timestamp,
            "account": self.account, "amount": self.amount, "currency": self.currency,
            "merchantId": self.merchant_id, "country": self.country, "score": self.score,
            "reasons": list(self.reasons), "analyzedAt": self.analyzed_at,
        })

    @classmethod
    def from_message(cls, body: str) -> "Alert":
        """Parse a queue message; a malformed one raises ``ValueError`` or ``KeyError``."""
        message = json_codec.loads(body)
        amount = message["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
            raise ValueError("the alert's amount is not a number")
        return cls(
            transaction_id=str(message["transactionId"]),
            timestamp=int(message["timestamp"]),
            account=str(message["account"]),
            amount=Decimal(amount),
            currency=str(message["currency"]),
            merchant_id=str(message["merchantId"]),
            country=str(message["country"]),
            score=int(message["score"]),
            reasons=tuple(str(reason) for reason in message["reasons"]),
            analyzed_at=str(message["analyzedAt"]),
        )
