"""The one scoring path: a transaction's verdict from the account's transactions known then.

detect-fraud calls :func:`score` with the history it reads from the ``byAccount`` index and its
stream batch; the backtest calls it with the history of its replay. Whatever a caller passes,
only the transactions that come before this one count (the time discipline is kept here, not
by each caller), in :func:`order_key` order: by ``timestamp``, then ``transactionId``, so
equal timestamps order the same way live and in a replay.

With a trained model (:class:`ModelInput`), the account's and merchant's entity days feed
``common.features``. The model *judges* a transaction when it knows one of its parties: the
account has at least :attr:`RuleConfig.model_min_history` transactions on the earlier days of
its 30-day window (a spending profile spans days: a new account, or a burst of today's, is not
one), or the merchant has labels over its delayed 30 days. Otherwise, a new account at a
merchant nobody has labelled, the verdict is exactly the rules'. Judging, the entity rules
(``common.entity_rules``) run on the same days, and the model's fraud probability, times 100
and rounded, is the weight of a ``MODEL`` reason that names the features that moved it most,
from :attr:`RuleConfig.model_min_weight` on. A rule of the five too weak to flag alone (its
weight under the suspicious score) then stays among the reasons but adds nothing: its weight
was set before there were labels, and measured on them the model ranks such a hint (a
high-risk category: 1,190 hits a week, 11 of them fraud) better than a fixed weight that lifts
every hit above the model's own middling suspicions. The entity rules need no such treatment:
their default weight is already 0, and a weight a team gives them counts as given.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from operator import itemgetter
from typing import Any

from common.entity_days import EntityDay
from common.entity_rules import entity_reasons
from common.exchange_rates import DEFAULT_RATES, ExchangeRates
from common.features import FEATURE_NAMES, feature_vector
from common.model import Forest
from common.rules import (
    ENTITY_RULE_CODES,
    MAX_SCORE,
    RULE_CODES,
    Reason,
    RuleConfig,
    Verdict,
    evaluate,
    rule_table,
)
from common.transaction import CLEAR, SUSPICIOUS

Transaction = Mapping[str, Any]
MODEL = "MODEL"
REASON_CODES = (*RULE_CODES, *ENTITY_RULE_CODES, MODEL)  # every code a verdict's reasons may hold
TOP_FEATURES = 3  # the features a MODEL reason names
_PROBABILITY = Decimal("0.0001")
# Today's transactions (this one included) and the 30 days': the account's earlier days hold
# the difference.
_ACCOUNT_1D, _ACCOUNT_30D = (FEATURE_NAMES.index(f"accountTransactions{days}d") for days in (1, 30))
# The merchant's labels over its delayed 30 days: frauds (a rate above 0) or genuine ones.
_MERCHANT_RISK_30D, _MERCHANT_GENUINE_30D = (
    FEATURE_NAMES.index(name) for name in ("merchantRisk30d", "merchantLabelledGenuine30d"))


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
    forest = model.forest
    vector = feature_vector(transaction, model.account_days, model.merchant_days,
                            forest.label_delay_days, rates)
    if not _judges(vector, config):
        return replace(verdict, model_version=forest.version)
    reasons = tuple(_weighed_by_model(reason)
                    if reason.code in RULE_CODES and reason.weight < config.suspicious_score
                    else reason for reason in verdict.reasons)
    reasons += entity_reasons(transaction, model.account_days, model.merchant_days,
                              forest.label_delay_days, config, rates, vector)
    model_reason = _model_reason(forest, vector, config)
    if model_reason is not None:
        reasons += (model_reason,)
    total = min(MAX_SCORE, sum(reason.weight for reason in reasons))
    return Verdict(total, SUSPICIOUS if total >= config.suspicious_score else CLEAR, reasons,
                   model_version=forest.version)


def _judges(vector: list[Decimal | int], config: RuleConfig) -> bool:
    """Whether the model knows the account's profile or the merchant's labelled record."""
    earlier_days = vector[_ACCOUNT_30D] - vector[_ACCOUNT_1D]
    return (earlier_days >= config.model_min_history
            or vector[_MERCHANT_RISK_30D] > 0 or vector[_MERCHANT_GENUINE_30D] > 0)


def _weighed_by_model(reason: Reason) -> Reason:
    if not reason.weight:
        return reason
    return replace(reason, weight=0,
                   detail=f"{reason.detail} (weight {reason.weight} left to the model)")


def _model_reason(forest: Forest, vector: list[Decimal | int],
                  config: RuleConfig) -> Reason | None:
    prediction = forest.predict(vector)
    weight = round(MAX_SCORE * prediction.probability)
    if weight < config.model_min_weight:
        return None
    values = dict(zip(FEATURE_NAMES, vector, strict=True))  # the forest reads some of them
    top = sorted(prediction.contributions.items(), key=lambda item: -abs(item[1]))[:TOP_FEATURES]
    moved = ", ".join(f"{name} {values[name]:.4g} ({contribution:+.2f})"
                      for name, contribution in top)
    return Reason(MODEL, Decimal(prediction.probability).quantize(_PROBABILITY),
                  config.model_min_weight, weight,
                  f"model {forest.version}: fraud probability "
                  f"{prediction.probability:.2f}; {moved}")


def reason_table(config: RuleConfig, reference_currency: str,
                 model_in_force: bool) -> list[tuple[str, str, int | None]]:
    """:func:`common.rules.rule_table` and the model's row, in words, for the daily report; the
    model's weight is its probability's (``None``). Without a model in force (``fraud:model``
    ``none``) only the five rules of :data:`RULE_CODES` can fire: the entity rules run only as
    the model judges."""
    rules = rule_table(config, reference_currency)
    if not model_in_force:
        return [row for row in rules if row[0] in RULE_CODES]
    model = (f"with a model, once it judges (the account has ≥ {config.model_min_history} "
             "transactions on earlier days, or the merchant has labels): its fraud probability "
             f"times 100, rounded, from {config.model_min_weight}; rules weighing under "
             f"{config.suspicious_score} are then left to it")
    return [*rules, (MODEL, model, None)]
