"""The entity rules: MERCHANT_RISK and SPEND_DEVIATION at and beside their thresholds, their
windows, their reasons, their overrides, and when they run (with a model only)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from common.entity_days import EntityDay, account_entity, entities_of, merchant_entity
from common.entity_rules import entity_reasons
from common.features import FEATURE_NAMES
from common.model import FORMAT, forest_from_dict
from common.rules import (
    MERCHANT_RISK,
    SPEND_DEVIATION,
    RuleConfig,
    RuleConfigError,
    evaluate,
    rule_config,
    rule_table,
)
from common.scoring import MODEL, ModelInput, score

from backtest.entity_scorer import EntityDays
from local_mode.workload import generate

T = 1_714_564_800_000  # 2024-05-01T12:00:00Z
TODAY = date(2024, 5, 1)
DELAY = 7
ACCOUNT, MERCHANT = account_entity("acct-1"), merchant_entity("m-1")
DEFAULTS = RuleConfig()


def txn(amount="20.00", timestamp=T):
    return {"transactionId": "t-1", "accountId": "acct-1", "merchantId": "m-1",
            "amount": Decimal(amount), "currency": "EUR", "timestamp": timestamp,
            "country": "DE", "merchantCategory": "5411"}


def day(entity, days_ago, **counts):
    return EntityDay(entity, (TODAY - timedelta(days=days_ago)).isoformat(), **counts)


def forest(probability):
    """A one-leaf forest: the same fraud probability for every transaction."""
    return forest_from_dict({
        "format": FORMAT, "modelVersion": "forest-test", "labelDelayDays": DELAY,
        "features": list(FEATURE_NAMES),
        "trees": [{"feature": [0], "threshold": [0], "left": [-1], "right": [-1],
                   "value": [probability]}]})


def codes(account_days=(), merchant_days=(), config=DEFAULTS, amount="20.00"):
    return [reason.code for reason in entity_reasons(txn(amount), list(account_days),
                                                     list(merchant_days), DELAY, config)]


# ---- MERCHANT_RISK ----

@pytest.mark.parametrize(("frauds", "seen", "fires"), [
    (2, 20, True),  # 0.10, the threshold, at the minimum volume
    (1, 20, False),  # 0.05
    (2, 19, False),  # the rate is there, the volume is not
    (20, 20, True),
])
def test_merchant_risk_fires_from_its_rate_given_its_volume(frauds, seen, fires):
    config = rule_config({"merchantRiskRate": 0.1, "merchantRiskMinTransactions": 20,
                          "merchantRiskWindowDays": 30})
    merchant_days = [day(MERCHANT, 8, transactions=seen, labelled_fraud=frauds)]
    assert (MERCHANT_RISK in codes(merchant_days=merchant_days, config=config)) is fires


def test_merchant_risk_reads_only_days_whose_labels_have_all_arrived_within_its_window():
    config = rule_config({"merchantRiskRate": 0.5, "merchantRiskMinTransactions": 10,
                          "merchantRiskWindowDays": 7})
    recent = [day(MERCHANT, age, transactions=10, labelled_fraud=10) for age in (0, 3, 7)]
    too_old = [day(MERCHANT, 15, transactions=10, labelled_fraud=10)]
    assert codes(merchant_days=recent + too_old, config=config) == []
    in_window = [day(MERCHANT, 8, transactions=4, labelled_fraud=2),
                 day(MERCHANT, 14, transactions=6, labelled_fraud=3)]
    assert codes(merchant_days=recent + too_old + in_window, config=config) == [MERCHANT_RISK]


def test_a_merchant_risk_reason_states_the_rate_the_volume_and_the_window():
    config = rule_config({"merchantRiskRate": 0.2, "merchantRiskMinTransactions": 300,
                          "merchantRiskWindowDays": 7, "merchantRiskWeight": 45})
    merchant_days = [day(MERCHANT, 8, transactions=312, labelled_fraud=131)]
    [reason] = entity_reasons(txn(), [], merchant_days, DELAY, config)
    assert (reason.code, reason.value, reason.threshold, reason.weight) == (
        MERCHANT_RISK, Decimal("0.4199"), Decimal("0.2"), 45)
    assert reason.detail == ("merchant labelled fraud rate 0.42 over 312 transactions "
                             "(7 days to 2024-04-23) ≥ 0.2")


# ---- SPEND_DEVIATION: 10 earlier transactions summing 210.00 over the window ----

HISTORY = [day(ACCOUNT, 0, transactions=2, amount_sum=Decimal("40.00")),
           day(ACCOUNT, 20, transactions=8, amount_sum=Decimal("170.00"))]
TEN_EARLIER = {"spendDeviationMultiplier": 4, "spendDeviationMinHistory": 10,
               "spendDeviationWindowDays": 30}


@pytest.mark.parametrize(("amount", "fires"), [("120.00", True), ("119.99", False)])
def test_spend_deviation_fires_at_the_multiplier_of_the_accounts_mean(amount, fires):
    # 11 transactions with this one: 11 x 120 / (210 + 120) = 4 times the mean.
    config = rule_config(TEN_EARLIER)
    assert (SPEND_DEVIATION in codes(HISTORY, amount=amount, config=config)) is fires


def test_spend_deviation_needs_its_minimum_history_within_its_window():
    assert codes(HISTORY, amount="5000", config=rule_config(
        {**TEN_EARLIER, "spendDeviationMinHistory": 11})) == []
    # Over 7 days only today's two count.
    assert codes(HISTORY, amount="5000", config=rule_config(
        {**TEN_EARLIER, "spendDeviationWindowDays": 7})) == []
    assert codes(HISTORY, amount="5000", config=rule_config(
        {**TEN_EARLIER, "spendDeviationWindowDays": 7, "spendDeviationMinHistory": 2,
         "spendDeviationMultiplier": 2})) == [SPEND_DEVIATION]


def test_a_spend_deviation_reason_states_the_amount_the_mean_and_the_history():
    config = rule_config({**TEN_EARLIER, "spendDeviationWeight": 35})
    [reason] = entity_reasons(txn("120.00"), HISTORY, [], DELAY, config)
    assert (reason.code, reason.value, reason.threshold, reason.weight) == (
        SPEND_DEVIATION, Decimal("4.00"), Decimal(4), 35)
    assert reason.detail == ("amount 120.00 is 4.00 times the account's mean 30.00 over 30 "
                             "days (11 transactions, this one included) ≥ 4")


def test_the_defaults_leave_an_ordinary_purchase_of_a_short_history_alone():
    # A spike of 9 times the usual after ten purchases, at a merchant whose few labelled
    # transactions were all fraud: a short history, not yet a profile.
    short = [day(ACCOUNT, 1, transactions=10, amount_sum=Decimal("300.00"))]
    few = [day(MERCHANT, 8, transactions=DEFAULTS.merchant_risk_min_transactions - 1,
               labelled_fraud=DEFAULTS.merchant_risk_min_transactions - 1)]
    assert codes(short, few, amount="270.00") == []


# ---- overrides ----

@pytest.mark.parametrize(("key", "value", "expected"), [
    ("merchantRiskRate", 0, "a rate above 0, up to 1"),
    ("merchantRiskRate", 1.5, "a rate above 0, up to 1"),
    ("merchantRiskRate", "high", "a rate above 0, up to 1"),
    ("merchantRiskWindowDays", 14, "one of 1, 7, 30 (the features' windows)"),
    ("merchantRiskMinTransactions", 0, "an integer from 1 to 1000000"),
    ("merchantRiskWeight", 101, "an integer from 0 to 100"),
    ("spendDeviationMultiplier", -2, "a positive number"),
    ("spendDeviationWindowDays", True, "one of 1, 7, 30 (the features' windows)"),
    ("spendDeviationMinHistory", 2.5, "an integer from 1 to 100000"),
    ("spendDeviationWeight", -1, "an integer from 0 to 100"),
])
def test_a_bad_entity_rule_override_is_refused_naming_its_key(key, value, expected):
    with pytest.raises(RuleConfigError) as raised:
        rule_config({key: value})
    assert str(raised.value) == (f"invalid rule overrides:\n  {key} = {value!r} is invalid: "
                                 f"expected {expected}")


def test_the_rules_in_force_say_the_entity_rules_run_with_a_model():
    table = {code: (condition, weight) for code, condition, weight in
             rule_table(rule_config({"merchantRiskWindowDays": 7, "spendDeviationWeight": 30}))}
    assert table[MERCHANT_RISK] == (
        "with a model: the merchant's labelled fraud rate ≥ 0.1 over the 7 days before the "
        "label delay (given ≥ 20 transactions)", 0)
    assert table[SPEND_DEVIATION] == (
        "with a model: amount ≥ 3 times the account's mean over 30 days (given ≥ 20 earlier)", 30)


# ---- when they run: in common.scoring, with a model ----

RISKY = [day(MERCHANT, 8, transactions=400, labelled_fraud=200)]


def test_by_default_the_entity_rules_explain_and_add_nothing_the_model_weighs():
    verdict = score(txn("120.00"), [], rule_config(TEN_EARLIER),
                    model=ModelInput(forest(0.3), HISTORY, RISKY))
    assert [(reason.code, reason.weight) for reason in verdict.reasons] == [
        (MERCHANT_RISK, 0), (SPEND_DEVIATION, 0), (MODEL, 30)]
    assert (verdict.score, verdict.status) == (30, "CLEAR")


def test_with_a_model_the_entity_rules_add_the_weights_given_them_before_the_models_reason():
    config = rule_config({"merchantRiskWeight": 40, "spendDeviationWeight": 20, **TEN_EARLIER})
    verdict = score(txn("120.00"), [], config, model=ModelInput(forest(0.3), HISTORY, RISKY))
    assert verdict.codes == [MERCHANT_RISK, SPEND_DEVIATION, MODEL]
    assert (verdict.score, verdict.status) == (40 + 20 + 30, "SUSPICIOUS")
    quiet = score(txn("120.00"), [], rule_config({"merchantRiskWeight": 40}),
                  model=ModelInput(forest(0.0), [], RISKY))
    assert (quiet.score, quiet.status, quiet.codes) == (40, "CLEAR", [MERCHANT_RISK])


def test_without_a_model_the_verdict_is_the_rules_alone():
    transaction = txn("120.00")
    assert score(transaction, [], DEFAULTS) == evaluate(transaction, [], DEFAULTS)


def test_the_local_modes_scenarios_fire_no_entity_rule_under_the_defaults():
    """The end-to-end scenarios (local_mode.workload) keep their reason codes with a model:
    their spikes come after at most ten purchases, under the minimum history."""
    workload = generate(600, seed=3, now_ms=T)
    days = EntityDays(DELAY)
    fired = []
    for transaction in sorted((t.body for t in workload.transactions),
                              key=lambda body: (body["timestamp"], body["transactionId"])):
        account, merchant = entities_of(transaction)
        fired += entity_reasons(transaction, days.of(account, transaction),
                                days.of(merchant, transaction), DELAY, DEFAULTS)
        days.observe(transaction)
    assert fired == []
    assert {t.scenario for t in workload.transactions} >= {"spend-spike", "cash-out"}
