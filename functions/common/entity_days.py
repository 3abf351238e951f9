"""Entity-day aggregates: per account and per merchant, per UTC day, what was seen and labelled.

The features table (``common.data_model.FEATURES``) holds one item per entity and day:
detect-fraud adds each analysed transaction to its account's and its merchant's day (in the same
transaction as the verdict, so a replay counts nothing twice), the label route moves the
labelled counts. Detection reads an entity's days back and the backtest builds the same
:class:`EntityDay` values from its replay, so both feed one scoring path the same features.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from common.clock import utc_day
from common.counters import add_counters
from common.data_model import FEATURES_DAY, FEATURES_ENTITY, FEATURES_EXPIRES_AT
from common.exchange_rates import ExchangeRates, reference_amount
from common.transaction import FRAUD, GENUINE

ACCOUNT_PREFIX = "account#"
MERCHANT_PREFIX = "merchant#"

TRANSACTIONS = "transactions"  # transactions counted that day
AMOUNT_SUM = "amountSum"  # their amounts, summed in the reference currency
LABELLED_FRAUD = "labelledFraud"  # of that day's transactions, how many are labelled FRAUD now
LABELLED_GENUINE = "labelledGenuine"  # … and GENUINE

# An item outlives the longest feature window (30 days) plus the label delay (7) with a margin.
RETENTION_DAYS = 60
# What a label counts in: the label's value → its counter.
LABEL_COUNTERS = {FRAUD: LABELLED_FRAUD, GENUINE: LABELLED_GENUINE}
_DAY_SECONDS = 86_400


def account_entity(account_id: str) -> str:
    return ACCOUNT_PREFIX + account_id


def merchant_entity(merchant_id: str) -> str:
    return MERCHANT_PREFIX + merchant_id


def entities_of(transaction: Mapping[str, Any]) -> tuple[str, str]:
    """The account's and the merchant's entity keys of ``transaction``."""
    return (account_entity(transaction["accountId"]),
            merchant_entity(transaction["merchantId"]))


def day_of(transaction: Mapping[str, Any]) -> str:
    """The ``day`` key (``YYYY-MM-DD``, UTC) a transaction counts in."""
    return utc_day(int(transaction["timestamp"]))


def amount_of(transaction: Mapping[str, Any], rates: ExchangeRates) -> Decimal:
    """What a transaction adds to ``amountSum``: its amount in the reference currency, or as is
    when the table has no rate for its currency (as HIGH_AMOUNT compares it)."""
    amount = Decimal(transaction["amount"])
    reference = reference_amount(amount, transaction["currency"], rates)
    return amount if reference is None else reference


def expires_at(day: str) -> int:
    """The TTL (epoch seconds) of a ``day``'s items: its end plus :data:`RETENTION_DAYS`."""
    end = date.fromisoformat(day) + timedelta(days=1 + RETENTION_DAYS)
    return (end - date(1970, 1, 1)).days * _DAY_SECONDS


def update_action(table_name: str, entity: str, day: str,
                  counters: Mapping[str, int | Decimal]) -> dict[str, Any]:
    """An ``Update`` (as TransactWriteItems takes it) adding ``counters`` (attribute → delta,
    negative to take away) to one entity-day, and setting the day's expiry."""
    added = add_counters(counters.items())
    return {"Update": {
        "TableName": table_name,
        "Key": {FEATURES_ENTITY.name: {"S": entity}, FEATURES_DAY.name: {"S": day}},
        "UpdateExpression": added["UpdateExpression"] + " SET #expires = :expires",
        "ExpressionAttributeNames": {**added["ExpressionAttributeNames"],
                                     "#expires": FEATURES_EXPIRES_AT},
        "ExpressionAttributeValues": {**added["ExpressionAttributeValues"],
                                      ":expires": {"N": str(expires_at(day))}},
    }}


def label_counters(previous: str | None, label: str) -> dict[str, int]:
    """How relabelling a transaction from ``previous`` (``None``: unlabelled) to ``label``
    moves its day's labelled counts: one count moves, the same label moves none."""
    if previous == label:
        return {}
    counters = {LABEL_COUNTERS[label]: 1}
    if previous is not None:
        counters[LABEL_COUNTERS[previous]] = -1
    return counters


@dataclass(frozen=True)
class EntityDay:
    """One entity's aggregates for one day, as read from an item or built by a replay."""

    entity: str
    day: str
    transactions: int = 0
    amount_sum: Decimal = Decimal(0)
    labelled_fraud: int = 0
    labelled_genuine: int = 0

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> "EntityDay":
        """From a plain (deserialized) item; a counter never written reads as 0."""
        return cls(entity=item[FEATURES_ENTITY.name], day=item[FEATURES_DAY.name],
                   transactions=int(item.get(TRANSACTIONS, 0)),
                   amount_sum=Decimal(item.get(AMOUNT_SUM, 0)),
                   labelled_fraud=int(item.get(LABELLED_FRAUD, 0)),
                   labelled_genuine=int(item.get(LABELLED_GENUINE, 0)))


def with_transactions(days: Iterable[EntityDay], entity: str,
                      transactions: Iterable[Mapping[str, Any]],
                      rates: ExchangeRates) -> list[EntityDay]:
    """``days`` with ``transactions`` (not yet counted in them) added to their days' counts.

    detect-fraud reads the days once per batch, before the batch's own transactions count in
    them: a transaction's features also count the batch's earlier transactions of its entity.
    """
    by_day = {day.day: day for day in days}
    for transaction in transactions:
        day = day_of(transaction)
        known = by_day.get(day, EntityDay(entity, day))
        by_day[day] = replace(known, transactions=known.transactions + 1,
                              amount_sum=known.amount_sum + amount_of(transaction, rates))
    return list(by_day.values())
