"""The rules engine: each rule at and just beside its threshold, scoring, overrides."""

from dataclasses import fields
from decimal import Decimal

import pytest
from common.exchange_rates import exchange_rates
from common.rules import (
    _PARSERS,
    AMOUNT_SPIKE,
    ENTITY_RULE_CODES,
    GEO_JUMP,
    HIGH_AMOUNT,
    HIGH_RISK_MCC,
    OVERRIDE_KEYS,
    RULE_CODES,
    VELOCITY,
    RuleConfig,
    RuleConfigError,
    as_overrides,
    evaluate,
    rule_config,
    rule_config_from_json,
    rule_table,
)

T = 1_714_564_800_000  # 2024-05-01T12:00:00Z
DEFAULTS = RuleConfig()


def txn(amount="20.00", timestamp=T, country="DE", mcc="5411", currency="EUR"):
    return {"amount": Decimal(amount), "timestamp": timestamp, "country": country,
            "merchantCategory": mcc, "currency": currency}


def codes(transaction, history=(), config=DEFAULTS):
    return evaluate(transaction, list(history), config).codes


@pytest.mark.parametrize(("amount", "fires"), [("9999.99", False), ("10000", True),
                                               ("10000.00", True), ("10000.01", True)])
def test_high_amount_fires_from_10000(amount, fires):
    assert (HIGH_AMOUNT in codes(txn(amount))) is fires


def test_a_reason_carries_the_value_seen_and_the_threshold():
    [reason] = evaluate(txn("12000.50"), [], DEFAULTS).reasons
    assert (reason.code, reason.value, reason.threshold, reason.weight) == (
        HIGH_AMOUNT, Decimal("12000.50"), Decimal(10000), 60)


@pytest.mark.parametrize(("earlier_in_window", "fires"), [(3, False), (4, True), (6, True)])
def test_velocity_fires_on_the_5th_transaction_within_60_s(earlier_in_window, fires):
    history = [txn(timestamp=T - 1000 * (n + 1)) for n in range(earlier_in_window)]
    history.append(txn(timestamp=T - 3_600_000))  # long before: does not count
    assert (VELOCITY in codes(txn(), history)) is fires


@pytest.mark.parametrize(("oldest_ms_before", "fires"), [(60_000, True), (60_001, False)])
def test_velocity_window_includes_exactly_60_s(oldest_ms_before, fires):
    history = [txn(timestamp=T - oldest_ms_before)] + [txn(timestamp=T - n) for n in (1, 2, 3)]
    assert (VELOCITY in codes(txn(), history)) is fires


@pytest.mark.parametrize(("gap_ms", "country", "fires"), [
    (3_599_999, "FR", True),
    (3_600_000, "FR", False),
    (60_000, "DE", False),
])
def test_geo_jump_fires_when_the_previous_was_elsewhere_less_than_an_hour_before(
        gap_ms, country, fires):
    history = [txn(timestamp=T - 7_200_000, country="DE"),
               txn(timestamp=T - gap_ms, country=country)]
    assert (GEO_JUMP in codes(txn(country="DE"), history)) is fires


def test_geo_jump_looks_at_the_previous_transaction_only():
    history = [txn(timestamp=T - 120_000, country="FR"), txn(timestamp=T - 60_000, country="DE")]
    assert GEO_JUMP not in codes(txn(country="DE"), history)
    assert GEO_JUMP not in codes(txn(country="DE"), [])


@pytest.mark.parametrize(("amount", "earlier", "fires"), [
    ("500.00", ["100", "100", "100"], True),
    ("499.99", ["100", "100", "100"], False),
    ("5000.00", ["100", "100"], False),  # fewer than 3 earlier transactions
])
def test_amount_spike_fires_at_5_times_the_mean(amount, earlier, fires):
    history = [txn(value, timestamp=T - 7_200_000 * (n + 1)) for n, value in enumerate(earlier)]
    assert (AMOUNT_SPIKE in codes(txn(amount), history)) is fires


def test_amount_spike_is_exact_where_floats_are_not():
    # 0.5 * 3 >= 5 * (0.1 + 0.1 + 0.1) holds in decimals; in binary floats it does not.
    history = [txn("0.1", timestamp=T - 7_200_000 * (n + 1)) for n in range(3)]
    assert AMOUNT_SPIKE in codes(txn("0.5"), history)


def test_amount_spike_uses_the_last_20_only():
    old_giant = txn("100000", timestamp=T - 10**9)
    recent = [txn("10", timestamp=T - 7_200_000 * (n + 1)) for n in range(20)]
    assert AMOUNT_SPIKE in codes(txn("50"), [old_giant, *recent])
    assert AMOUNT_SPIKE not in codes(txn("50"), [old_giant, *recent[:19]])


@pytest.mark.parametrize(("mcc", "fires"), [("7995", True), ("6051", True), ("4829", True),
                                            ("5967", True), ("7996", False), ("5411", False)])
def test_high_risk_merchant_categories(mcc, fires):
    assert (HIGH_RISK_MCC in codes(txn(mcc=mcc))) is fires


@pytest.mark.parametrize(("transaction", "history", "score", "status"), [
    (txn(), [], 0, "CLEAR"),
    (txn(mcc="7995"), [], 25, "CLEAR"),
    (txn("10000", mcc="7995"), [], 85, "SUSPICIOUS"),
    (txn("600", mcc="7995"), [txn("100", T - 9_000_000 - n) for n in range(3)], 55,
     "SUSPICIOUS"),
    # HIGH_AMOUNT + GEO_JUMP + AMOUNT_SPIKE + HIGH_RISK_MCC = 175, capped
    (txn("10000", country="FR", mcc="7995"),
     [txn("100", T - 9_000_000 - n) for n in range(3)] + [txn("100", T - 1000)], 100,
     "SUSPICIOUS"),
])
def test_weights_add_up_and_cap_at_100(transaction, history, score, status):
    verdict = evaluate(transaction, history, DEFAULTS)
    assert (verdict.score, verdict.status) == (score, status)


@pytest.mark.parametrize(("weight", "status"), [(49, "CLEAR"), (50, "SUSPICIOUS")])
def test_suspicious_from_a_score_of_50(weight, status):
    config = rule_config({"highRiskMccWeight": weight})
    assert evaluate(txn(mcc="7995"), [], config).status == status


def test_overrides_change_thresholds_and_weights():
    config = rule_config_from_json(
        '{"highAmount": 500.5, "highAmountWeight": 10, "highRiskMccs": ["5411"]}')
    verdict = evaluate(txn("500.50"), [], config)
    assert verdict.codes == [HIGH_AMOUNT, HIGH_RISK_MCC]
    assert verdict.score == 10 + DEFAULTS.high_risk_mcc_weight
    assert config.high_amount == Decimal("500.5")


def test_unknown_and_bad_overrides_are_rejected_naming_each_key():
    with pytest.raises(RuleConfigError) as raised:
        rule_config_from_json('{"highAmont": 5, "velocityWeight": 101, "highRiskMccs": "7995",'
                              ' "velocityCount": true}')
    message = str(raised.value)
    assert "unknown key 'highAmont'" in message
    assert "velocityWeight = 101" in message
    assert "highRiskMccs" in message
    assert "velocityCount = True" in message


@pytest.mark.parametrize("text", ["{", "[1]", '"x"'])
def test_overrides_must_be_a_json_object(text):
    with pytest.raises(RuleConfigError):
        rule_config_from_json(text)


@pytest.mark.parametrize("text", [None, "", "  ", "{}"])
def test_no_overrides_means_the_defaults(text):
    assert rule_config_from_json(text) == RuleConfig()


def test_every_setting_is_overridable_by_its_camel_case_name():
    assert set(_PARSERS) == {field.name for field in fields(RuleConfig)}
    assert OVERRIDE_KEYS["amountSpikeMinHistory"] == "amount_spike_min_history"


def test_history_needed_covers_velocity_and_spike():
    assert DEFAULTS.history_needed == 20
    assert rule_config({"velocityCount": 30}).history_needed == 29


@pytest.mark.parametrize(("count", "words"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                               (11, "11th"), (12, "12th"), (21, "21st"),
                                               (112, "112th")])
def test_the_rules_in_words_follow_the_config(count, words):
    table = {code: (condition, weight) for code, condition, weight in
             rule_table(rule_config({"velocityCount": count, "velocityWeight": 40}))}
    assert table["VELOCITY"] == (f"{words} or later transaction of the account within 60 s", 40)
    assert list(table) == [*RULE_CODES, *ENTITY_RULE_CODES]


def test_the_config_in_force_reads_back_as_the_same_overrides():
    config = rule_config({"highAmount": 5000, "highRiskMccs": ["7995"]})
    overrides = as_overrides(config)
    assert (overrides["highAmount"], overrides["highRiskMccs"]) == (5000, ["7995"])
    assert rule_config(overrides) == config


def test_high_amount_compares_the_amount_in_the_reference_currency():
    assert HIGH_AMOUNT in codes(txn("15000", currency="EUR"))
    assert HIGH_AMOUNT not in codes(txn("15000", currency="JPY"))  # 85.38 EUR of ramen


def test_a_high_amount_in_another_currency_shows_both_amounts():
    [reason] = evaluate(txn("15000.00", currency="USD"), [], DEFAULTS).reasons
    assert (reason.value, reason.threshold) == (Decimal("13426.42"), Decimal(10000))
    assert reason.detail == "amount 15000.00 USD = 13426.42 EUR ≥ 10000"


def test_a_currency_without_a_rate_is_compared_as_is_and_says_so():
    [reason] = evaluate(txn("10000", currency="XAF"), [], DEFAULTS).reasons
    assert reason.value == Decimal(10000)
    assert reason.detail == ("amount 10000 XAF (no exchange rate for XAF: compared as is) "
                             "≥ 10000")


def test_the_rates_given_are_the_rates_used():
    rates = exchange_rates("JPY", {"JPY": 1, "EUR": Decimal("0.0057")})
    assert evaluate(txn("15000", currency="JPY"), [], DEFAULTS, rates).codes == [HIGH_AMOUNT]
    assert evaluate(txn("57.00", currency="EUR"), [], DEFAULTS, rates).codes == [HIGH_AMOUNT]
    assert evaluate(txn("56.99", currency="EUR"), [], DEFAULTS, rates).codes == []
