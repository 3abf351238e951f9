"""The fraud rules (docs/rules.md): a pure function from a transaction and its history to a
verdict.

No AWS, no clock, no I/O: detect-fraud feeds it, tests drive it directly, and the compute stack
validates the ``fraud:ruleOverrides`` config with :func:`rule_config_from_json` before deploying.
Every threshold and weight is a field of :class:`RuleConfig`; the defaults are docs/rules.md's.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from common.exchange_rates import DEFAULT_RATES, DEFAULT_REFERENCE, ExchangeRates, reference_amount
from common.features import WINDOWS_DAYS
from common.transaction import CLEAR, SUSPICIOUS

HIGH_AMOUNT = "HIGH_AMOUNT"
VELOCITY = "VELOCITY"
GEO_JUMP = "GEO_JUMP"
AMOUNT_SPIKE = "AMOUNT_SPIKE"
HIGH_RISK_MCC = "HIGH_RISK_MCC"
MERCHANT_RISK = "MERCHANT_RISK"
SPEND_DEVIATION = "SPEND_DEVIATION"
RULE_CODES = (HIGH_AMOUNT, VELOCITY, GEO_JUMP, AMOUNT_SPIKE, HIGH_RISK_MCC)
# Rules on the entity days (common.entity_rules): they run where those are read, with a model.
ENTITY_RULE_CODES = (MERCHANT_RISK, SPEND_DEVIATION)
MAX_SCORE = 100
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds and weights. Windows in seconds; high_amount in the reference currency, the
    amount spike in the account's own amounts."""

    high_amount: Decimal = Decimal(10_000)  # HIGH_AMOUNT when the reference amount ≥ this
    high_amount_weight: int = 60
    velocity_count: int = 5  # VELOCITY for the 5th or later transaction …
    velocity_window_seconds: int = 60  # … of the account within this window (inclusive)
    velocity_weight: int = 60
    geo_jump_window_seconds: int = 3600  # GEO_JUMP when the previous one, elsewhere, is newer
    geo_jump_weight: int = 60
    amount_spike_multiplier: Decimal = Decimal(5)  # AMOUNT_SPIKE: amount ≥ this times the mean …
    amount_spike_history: int = 20  # … of the last this-many earlier transactions …
    amount_spike_min_history: int = 3  # … given at least this many
    amount_spike_weight: int = 30
    high_risk_mccs: tuple[str, ...] = ("7995", "6051", "4829", "5967")
    high_risk_mcc_weight: int = 25
    # The entity rules (common.entity_rules), windows in days (one of the features' windows).
    # Their weights are 0: a reason explains, the model (reading the same features) weighs;
    # measured, their former 5 and 30 cost the model's ranking (docs/rules.md).
    merchant_risk_rate: Decimal = Decimal("0.1")  # MERCHANT_RISK: labelled fraud rate ≥ this …
    merchant_risk_window_days: int = 30  # … over this many days ending before the label delay …
    merchant_risk_min_transactions: int = 20  # … given at least this many transactions then
    merchant_risk_weight: int = 0
    spend_deviation_multiplier: Decimal = Decimal(3)  # SPEND_DEVIATION: amount ≥ this times …
    spend_deviation_window_days: int = 30  # … the account's mean over this many days …
    spend_deviation_min_history: int = 20  # … given at least this many earlier transactions
    spend_deviation_weight: int = 0
    suspicious_score: int = 50  # SUSPICIOUS when the (capped) score reaches this
    model_min_weight: int = 1  # MODEL (common.scoring) when 100 x the fraud probability ≥ this
    # The model judges only an account with at least this many transactions on the earlier
    # days (before today) of its 30-day window (common.scoring): on a shorter history its
    # features say nothing it has learnt from, and the rules' verdict stands.
    model_min_history: int = 5

    @property
    def history_needed(self) -> int:
        """How many earlier transactions of an account the rules can look at."""
        return max(self.amount_spike_history, self.velocity_count - 1, 1)


@dataclass(frozen=True)
class Reason:
    """A rule that fired: its code, the value it saw, the threshold it compared with."""

    code: str
    value: Decimal | int | str
    threshold: Decimal | int | str
    weight: int
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "value": self.value, "threshold": self.threshold,
                "weight": self.weight, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    score: int
    status: str
    reasons: tuple[Reason, ...]
    model_version: str | None = None  # the trained model that had its say, if any (audit)

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


_WEIGHT_FIELD = {HIGH_AMOUNT: "high_amount_weight", VELOCITY: "velocity_weight",
                 GEO_JUMP: "geo_jump_weight", AMOUNT_SPIKE: "amount_spike_weight",
                 HIGH_RISK_MCC: "high_risk_mcc_weight", MERCHANT_RISK: "merchant_risk_weight",
                 SPEND_DEVIATION: "spend_deviation_weight"}


def without_rule(config: RuleConfig, code: str) -> RuleConfig:
    """``config`` with the rule ``code`` adding nothing to a score (weight 0): the backtest
    measures what each rule contributes by scoring without it."""
    return replace(config, **{_WEIGHT_FIELD[code]: 0})


def _high_amount(amount: Decimal, currency: str, config: RuleConfig,
                 rates: ExchangeRates) -> Reason | None:
    """HIGH_AMOUNT on the amount in the reference currency (as is when the table has no rate)."""
    reference = reference_amount(amount, currency, rates)
    compared = amount if reference is None else reference
    if compared < config.high_amount:
        return None
    if reference is None:
        seen = f"{amount} {currency} (no exchange rate for {currency}: compared as is)"
    elif currency != rates.reference:
        seen = f"{amount} {currency} = {reference} {rates.reference}"
    else:
        seen = str(amount)
    return Reason(HIGH_AMOUNT, compared, config.high_amount, config.high_amount_weight,
                  f"amount {seen} ≥ {config.high_amount}")


def evaluate(transaction: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
             config: RuleConfig, rates: ExchangeRates = DEFAULT_RATES) -> Verdict:
    """Score ``transaction`` against the account's earlier transactions ``history``.

    Each mapping holds ``timestamp`` (epoch ms), ``amount`` (``Decimal``) and ``country``; the
    transaction also ``merchantCategory`` and ``currency`` (``rates`` convert its amount).
    ``history`` holds only transactions that come before this one, in any order; the newest
    :attr:`RuleConfig.history_needed` are enough.
    """
    history = sorted(history, key=lambda earlier: earlier["timestamp"])
    amount: Decimal = transaction["amount"]
    timestamp: int = transaction["timestamp"]
    reasons: list[Reason] = []

    if high_amount := _high_amount(amount, transaction["currency"], config, rates):
        reasons.append(high_amount)

    window_start = timestamp - config.velocity_window_seconds * 1000
    count = 1 + sum(1 for earlier in history if earlier["timestamp"] >= window_start)
    if count >= config.velocity_count:
        reasons.append(Reason(VELOCITY, count, config.velocity_count, config.velocity_weight,
                              f"{count} transactions within {config.velocity_window_seconds} s"))

    if history:
        previous = history[-1]
        gap_ms = timestamp - previous["timestamp"]
        if (previous["country"] != transaction["country"]
                and gap_ms < config.geo_jump_window_seconds * 1000):
            gap_seconds = Decimal(gap_ms).scaleb(-3)
            reasons.append(Reason(
                GEO_JUMP, gap_seconds, config.geo_jump_window_seconds, config.geo_jump_weight,
                f"{previous['country']} then {transaction['country']} {gap_seconds} s apart"))

    if len(history) >= config.amount_spike_min_history:
        recent = [earlier["amount"] for earlier in history[-config.amount_spike_history:]]
        # amount ≥ multiplier times mean, compared without dividing, so exactly.
        if amount * len(recent) >= config.amount_spike_multiplier * sum(recent):
            mean = (sum(recent) / len(recent)).quantize(_CENT)
            threshold = (config.amount_spike_multiplier * sum(recent) / len(recent)).quantize(_CENT)
            reasons.append(Reason(
                AMOUNT_SPIKE, amount, threshold, config.amount_spike_weight,
                f"amount {amount} ≥ {config.amount_spike_multiplier} times the mean {mean} "
                f"of the last {len(recent)}"))

    category = transaction.get("merchantCategory")
    if category in config.high_risk_mccs:
        reasons.append(Reason(HIGH_RISK_MCC, category, ",".join(config.high_risk_mccs),
                              config.high_risk_mcc_weight, f"merchant category {category}"))

    score = min(MAX_SCORE, sum(reason.weight for reason in reasons))
    status = SUSPICIOUS if score >= config.suspicious_score else CLEAR
    return Verdict(score, status, tuple(reasons))


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')}"


def rule_table(config: RuleConfig,
               reference_currency: str = DEFAULT_REFERENCE) -> list[tuple[str, str, int]]:
    """(code, when it fires, weight) of each rule under ``config``, in words: the daily report
    prints the rules in force, so its reader knows what a hit meant that day."""
    return [
        (HIGH_AMOUNT, f"amount ≥ {config.high_amount} {reference_currency}",
         config.high_amount_weight),
        (VELOCITY, f"{_ordinal(config.velocity_count)} or later transaction of the account "
                   f"within {config.velocity_window_seconds} s", config.velocity_weight),
        (GEO_JUMP, "previous transaction in another country less than "
                   f"{config.geo_jump_window_seconds} s earlier", config.geo_jump_weight),
        (AMOUNT_SPIKE, f"amount ≥ {config.amount_spike_multiplier} times the mean of the last "
                       f"{config.amount_spike_history} (given ≥ "
                       f"{config.amount_spike_min_history} earlier)", config.amount_spike_weight),
        (HIGH_RISK_MCC, "merchant category " + ", ".join(config.high_risk_mccs),
         config.high_risk_mcc_weight),
        (MERCHANT_RISK, f"with a model: the merchant's labelled fraud rate ≥ "
                        f"{config.merchant_risk_rate} over the {config.merchant_risk_window_days}"
                        f" days before the label delay (given ≥ "
                        f"{config.merchant_risk_min_transactions} transactions)",
         config.merchant_risk_weight),
        (SPEND_DEVIATION, f"with a model: amount ≥ {config.spend_deviation_multiplier} times the "
                          f"account's mean over {config.spend_deviation_window_days} days (given ≥ "
                          f"{config.spend_deviation_min_history} earlier)",
         config.spend_deviation_weight),
    ]


# ---- overrides: a JSON object with camelCase field names, e.g. {"highAmount": 5000} ----

class RuleConfigError(ValueError):
    """Rule overrides that cannot be used; the message names every bad key."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _positive_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError("a positive number")
    try:
        # str() keeps a float's shortest decimal form: 0.1 stays 0.1, not 0.1000000000000000055
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValueError("a positive number") from None
    if not number.is_finite() or number <= 0:
        raise ValueError("a positive number")
    return number


def _integer(low: int, high: int) -> Any:
    def parse(value: Any) -> int:
        integral = isinstance(value, int) or (
            isinstance(value, Decimal) and value == value.to_integral_value())
        if isinstance(value, bool) or not integral or not low <= value <= high:
            raise ValueError(f"an integer from {low} to {high}")
        return int(value)
    return parse


def _rate(value: Any) -> Decimal:
    expected = "a rate above 0, up to 1"
    try:
        number = _positive_decimal(value)
    except ValueError:
        raise ValueError(expected) from None
    if number > 1:
        raise ValueError(expected)
    return number


def _window_days(value: Any) -> int:
    if isinstance(value, bool) or value not in WINDOWS_DAYS:
        raise ValueError("one of " + ", ".join(map(str, WINDOWS_DAYS)) + " (the features' windows)")
    return int(value)


def _merchant_categories(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
            isinstance(code, str) and len(code) == 4 and code.isascii() and code.isdigit()
            for code in value):
        raise ValueError('a list of 4-digit merchant category codes, e.g. ["7995", "6051"]')
    return tuple(value)


_WEIGHT = _integer(0, MAX_SCORE)
_PARSERS: dict[str, Any] = {
    "high_amount": _positive_decimal,
    "high_amount_weight": _WEIGHT,
    "velocity_count": _integer(1, 1000),
    "velocity_window_seconds": _integer(1, 86_400),
    "velocity_weight": _WEIGHT,
    "geo_jump_window_seconds": _integer(1, 7 * 86_400),
    "geo_jump_weight": _WEIGHT,
    "amount_spike_multiplier": _positive_decimal,
    "amount_spike_history": _integer(1, 1000),
    "amount_spike_min_history": _integer(1, 1000),
    "amount_spike_weight": _WEIGHT,
    "high_risk_mccs": _merchant_categories,
    "high_risk_mcc_weight": _WEIGHT,
    "merchant_risk_rate": _rate,
    "merchant_risk_window_days": _window_days,
    "merchant_risk_min_transactions": _integer(1, 1_000_000),
    "merchant_risk_weight": _WEIGHT,
    "spend_deviation_multiplier": _positive_decimal,
    "spend_deviation_window_days": _window_days,
    "spend_deviation_min_history": _integer(1, 100_000),
    "spend_deviation_weight": _WEIGHT,
    "suspicious_score": _integer(1, MAX_SCORE),
    "model_min_weight": _integer(1, MAX_SCORE),
    "model_min_history": _integer(0, 1000),
}
OVERRIDE_KEYS: dict[str, str] = {_camel(field.name): field.name for field in fields(RuleConfig)}


def as_overrides(config: RuleConfig) -> dict[str, Any]:
    """Every value of ``config``, keyed as ``fraud:ruleOverrides`` spells them."""
    values = {key: getattr(config, field) for key, field in OVERRIDE_KEYS.items()}
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in values.items()}


def rule_config(overrides: Mapping[str, Any]) -> RuleConfig:
    """The defaults with ``overrides`` (camelCase keys) applied; unknown keys are errors."""
    problems = [f"unknown key {key!r}; known keys: {', '.join(OVERRIDE_KEYS)}"
                for key in overrides if key not in OVERRIDE_KEYS]
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in OVERRIDE_KEYS:
            field = OVERRIDE_KEYS[key]
            try:
                values[field] = _PARSERS[field](value)
            except ValueError as error:
                problems.append(f"{key} = {value!r} is invalid: expected {error}")
    if problems:
        raise RuleConfigError("invalid rule overrides:\n  " + "\n  ".join(problems))
    return RuleConfig(**values)


def rule_config_from_json(text: str | None) -> RuleConfig:
    """:func:`rule_config` from JSON text (the ``RULE_OVERRIDES`` variable); empty → defaults."""
    if text is None or not text.strip():
        return RuleConfig()
    try:
        overrides = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        raise RuleConfigError(f"invalid rule overrides: not JSON ({error})") from None
    if not isinstance(overrides, dict):
        raise RuleConfigError("invalid rule overrides: expected a JSON object such as "
                              '{"highAmount": 5000, "velocityWeight": 40}')
    return rule_config(overrides)
