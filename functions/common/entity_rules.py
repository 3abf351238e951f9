"""The rules on the entity days (docs/rules.md): what the merchant's and the account's days say.

``MERCHANT_RISK``: the merchant's labelled fraud rate over a window ending before the label
delay (only days whose labels have all arrived, as the model's ``merchantRisk`` features), given
a minimum volume then: the Handbook's compromised terminal, said in one sentence.
``SPEND_DEVIATION``: this amount against the account's own mean over a window (the model's
``accountAmountOverMean``: this transaction included, reference currency), given a minimum
history in that window.

They read the features of ``common.features`` by name, from the same entity days the model
reads, so they run where those are read: with a model (``common.scoring``). By default they
weigh 0: the reason says in a sentence what the model reads and weighs (``fraud:ruleOverrides``
can give them a weight). Pure, like the rules.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from common.entity_days import EntityDay
from common.exchange_rates import DEFAULT_RATES, ExchangeRates
from common.features import FEATURE_NAMES, feature_vector, labelled_window
from common.rules import MERCHANT_RISK, SPEND_DEVIATION, Reason, RuleConfig

_CENT = Decimal("0.01")
_RATE = Decimal("0.0001")


def entity_reasons(transaction: Mapping[str, Any], account_days: Sequence[EntityDay],
                   merchant_days: Sequence[EntityDay], label_delay_days: int,
                   config: RuleConfig, rates: ExchangeRates = DEFAULT_RATES,
                   vector: Sequence[Decimal | int] | None = None) -> tuple[Reason, ...]:
    """The entity rules that fire on ``transaction``, given its entities' days known now;
    ``vector`` is its :func:`feature_vector` when the caller has it already (the model's)."""
    if vector is None:
        vector = feature_vector(transaction, account_days, merchant_days, label_delay_days, rates)
    features = dict(zip(FEATURE_NAMES, vector, strict=True))
    reasons = (_merchant_risk(transaction, merchant_days, label_delay_days, config),
               _spend_deviation(features, config))
    return tuple(reason for reason in reasons if reason is not None)


def _merchant_risk(transaction: Mapping[str, Any], merchant_days: Sequence[EntityDay],
                   label_delay_days: int, config: RuleConfig) -> Reason | None:
    window = config.merchant_risk_window_days
    today = datetime.fromtimestamp(int(transaction["timestamp"]) / 1000, UTC).date()
    frauds, seen = labelled_window(merchant_days, today, label_delay_days, window)
    # rate ≥ threshold, compared without dividing, so exactly.
    if seen < config.merchant_risk_min_transactions or frauds < config.merchant_risk_rate * seen:
        return None
    rate = (Decimal(frauds) / seen).quantize(_RATE)
    last_day = today - timedelta(days=label_delay_days + 1)
    return Reason(MERCHANT_RISK, rate, config.merchant_risk_rate, config.merchant_risk_weight,
                  f"merchant labelled fraud rate {rate:.2f} over {seen} transactions "
                  f"({window} days to {last_day}) ≥ {config.merchant_risk_rate}")


def _spend_deviation(features: Mapping[str, Decimal | int], config: RuleConfig) -> Reason | None:
    window = config.spend_deviation_window_days
    count = features[f"accountTransactions{window}d"]  # this one included
    ratio = features[f"accountAmountOverMean{window}d"]
    if count - 1 < config.spend_deviation_min_history or ratio < config.spend_deviation_multiplier:
        return None
    mean = Decimal(features[f"accountMeanAmount{window}d"]).quantize(_CENT)
    shown = Decimal(ratio).quantize(_CENT)
    return Reason(SPEND_DEVIATION, shown, config.spend_deviation_multiplier,
                  config.spend_deviation_weight,
                  f"amount {features['amount']} is {shown} times the account's mean {mean} "
                  f"over {window} days ({count} transactions, this one included) "
                  f"≥ {config.spend_deviation_multiplier}")
