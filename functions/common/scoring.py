"""The one scoring path: a transaction's verdict from the account's transactions known then.

detect-fraud calls :func:`score` with the history it reads from the ``byAccount`` index and its
stream batch; the backtest calls it with the history of its replay. Whatever a caller passes,
only the transactions that come before this one count (the time discipline is kept here, not
by each caller), in :func:`order_key` order: by ``timestamp``, then ``transactionId``, so
equal timestamps order the same way live and in a replay.

With a trained model (:class:`ModelInput`), the account's and merchant's entity days feed
``common.features``; the model's fraud probability, times 100 and rounded, is the weight of a
``MODEL`` reason that names the features that moved it most. It counts only from
:attr:`RuleConfig.model_min_weight` on, so an ordinary purchase keeps the rules' verdict.
The same days feed the entity rules (``common.entity_rules``), so they run with a model too.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from common.entity_days import EntityDay
from common.entity_rules import entity_reasons
from common.exchange_rates import DEFAULT_RATES, ExchangeRates
from common.features import feature_vector
from common.model import Forest
from common.rules import MAX_SCORE, Reason, RuleConfig, Verdict, evaluate
from common.transaction import CLEAR, SUSPICIOUS

Transaction = Mapping[str, Any]
MODEL = "MODEL"
TOP_FEATURES = 3  # the features a MODEL reason names
_PROBABILITY = Decimal("0.0001")


# (timestamp, transactionId): a timestamp read back from DynamoDB is a Decimal, which
# compares with an int by value; itemgetter keeps this cheap (it runs for every history entry).
order_key: Callable[[Transaction], tuple[Any, str]] = itemgetter("timestamp", "transactionId")


@dataclass(frozen=True)
class ModelInput:
    """The model and what it reads: the account's and the merchant's days known now."""

    forest: Forest
    account_days: Iterable[EntityDay]
    merchant_days: Iterable[EntityDay]


def score(transaction: Transaction, history: Iterable[Transaction],
          config: RuleConfig, rates: ExchangeRates = DEFAULT_RATES,
          model: ModelInput | None = None) -> Verdict:
    """The verdict of ``transaction`` given ``history``, the account's transactions known now.

    Those after it (or the transaction itself) are ignored; the rules see the newest
    :attr:`RuleConfig.history_needed` of those before it. Without ``model``, the rules alone.
    """
    boundary = order_key(transaction)
    earlier = [known for known in history if order_key(known) < boundary]
    earlier.sort(key=order_key)
    verdict = evaluate(transaction, earlier[-config.history_needed:], config, rates)
    if model is None:
        return verdict
    reasons = verdict.reasons + entity_reasons(
        transaction, model.account_days, model.merchant_days, model.forest.label_delay_days,
        config, rates)
    model_reason = _model_reason(transaction, model, config, rates)
    if model_reason is not None:
        reasons += (model_reason,)
    total = min(MAX_SCORE, sum(reason.weight for reason in reasons))
    return Verdict(total, SUSPICIOUS if total >= config.suspicious_score else CLEAR, reasons,
                   model_version=model.forest.version)


def _model_reason(transaction: Transaction, model: ModelInput, config: RuleConfig,
                  rates: ExchangeRates) -> Reason | None:
    forest = model.forest
    vector = feature_vector(transaction, model.account_days, model.merchant_days,
                            forest.label_delay_days, rates)
    prediction = forest.predict(vector)
    weight = round(MAX_SCORE * prediction.probability)
    if weight < config.model_min_weight:
        return None
    values = dict(zip(prediction.contributions, vector, strict=True))
    top = sorted(prediction.contributions.items(), key=lambda item: -abs(item[1]))[:TOP_FEATURES]
    moved = ", ".join(f"{name} {values[name]:.4g} ({contribution:+.2f})"
                      for name, contribution in top)
    return Reason(MODEL, Decimal(prediction.probability).quantize(_PROBABILITY),
                  config.model_min_weight, weight,
                  f"model {forest.version}: fraud probability "
                  f"{prediction.probability:.2f}; {moved}")
