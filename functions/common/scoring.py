"""The one scoring path: a transaction's verdict from the account's transactions known then.

detect-fraud calls :func:`score` with the history it reads from the ``byAccount`` index and its
stream batch; the backtest calls it with the history of its replay. Whatever a caller passes,
only the transactions that come before this one count (the time discipline is kept here, not
by each caller), in :func:`order_key` order: by ``timestamp``, then ``transactionId``, so
equal timestamps order the same way live and in a replay.
"""

from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from common.exchange_rates import DEFAULT_RATES, ExchangeRates
from common.rules import RuleConfig, Verdict, evaluate

Transaction = Mapping[str, Any]


# (timestamp, transactionId): a timestamp read back from DynamoDB is a Decimal, which
# compares with an int by value; itemgetter keeps this cheap (it runs for every history entry).
order_key: Callable[[Transaction], tuple[Any, str]] = itemgetter("timestamp", "transactionId")


def score(transaction: Transaction, history: Iterable[Transaction],
          config: RuleConfig, rates: ExchangeRates = DEFAULT_RATES) -> Verdict:
    """The verdict of ``transaction`` given ``history``, the account's transactions known now.

    Those after it (or the transaction itself) are ignored; the rules see the newest
    :attr:`RuleConfig.history_needed` of those before it.
    """
    boundary = order_key(transaction)
    earlier = [known for known in history if order_key(known) < boundary]
    earlier.sort(key=order_key)
    return evaluate(transaction, earlier[-config.history_needed:], config, rates)
