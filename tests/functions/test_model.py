"""The model's path: features from entity days, the JSON forest, the MODEL reason, detect-fraud.

Tiny hand-made forests, so every figure can be worked out by hand; training is tested with
the backtest's CLI (tests/backtest/test_cli.py).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from common.entity_days import EntityDay, account_entity, merchant_entity, with_transactions
from common.exchange_rates import DEFAULT_RATES
from common.features import FEATURE_NAMES, feature_vector
from common.model import FORMAT, ModelError, forest_from_dict, load_forest
from common.rules import RuleConfig, evaluate, rule_config
from common.scoring import MODEL, ModelInput, score
from common.transaction import to_item

from shared.outputs import DataOutputs
from tests.functions.aws_calls import AwsCalls
from tests.functions.pipeline import DAY, T0, analyse, store, stored, transaction
from tests.harness.model_artifact import SHIPPED

RISK = FEATURE_NAMES.index("merchantRisk30d")
DAY_MS = 86_400_000


def _forest(threshold=0.1, low=0.0, high=0.9, root=0.05):
    """One split on the merchant's 30-day risk: ``high`` above ``threshold``, else ``low``."""
    return forest_from_dict({
        "format": FORMAT, "modelVersion": "forest-test", "labelDelayDays": 7,
        "features": list(FEATURE_NAMES),
        "trees": [{"feature": [RISK, 0, 0], "threshold": [threshold, 0, 0],
                   "left": [1, -1, -1], "right": [2, -1, -1], "value": [root, low, high]}]})


def _day(entity, days_ago, **counts):
    return EntityDay(entity, (date.fromisoformat(DAY) - timedelta(days=days_ago)).isoformat(),
                     **counts)


def test_features_count_the_windows_and_the_risk_only_once_labels_are_in():
    spent = transaction(1, amount="30.00")
    account, merchant = account_entity("acc-0001"), merchant_entity("m-1")
    account_days = [_day(account, 0, transactions=1, amount_sum=Decimal(10)),
                    _day(account, 3, transactions=2, amount_sum=Decimal(20)),
                    _day(account, 9, transactions=1, amount_sum=Decimal(40), labelled_fraud=1)]
    merchant_days = [_day(merchant, 2, transactions=4, labelled_fraud=4),  # labels not all in
                     _day(merchant, 8, transactions=10, labelled_fraud=5),
                     _day(merchant, 40, transactions=10, labelled_fraud=10),  # too old
                     _day(merchant, -1, transactions=99)]  # after the transaction: ignored
    features = dict(zip(FEATURE_NAMES, feature_vector(spent, account_days, merchant_days, 7),
                        strict=True))
    assert features["amount"] == 30.0
    assert (features["hour"], features["isNight"], features["isWeekend"]) == (12.0, 0.0, 0.0)
    assert (features["accountTransactions1d"], features["accountMeanAmount1d"]) == (2.0, 20.0)
    assert (features["accountTransactions7d"], features["accountMeanAmount7d"]) == (4.0, 15.0)
    assert features["accountAmountOverMean7d"] == 2.0
    assert features["accountTransactions30d"] == 5.0
    assert features["merchantTransactions7d"] == 5.0  # 4 and this one
    # the merchant's days hold no amounts here: its mean is this one's over the count
    assert (features["merchantAmountOverMean1d"], features["merchantAmountOverMean7d"]) == (1, 5)
    assert features["merchantRisk1d"] == 0.5  # day 8: the first whose labels have all arrived
    assert features["merchantRisk30d"] == 0.5
    assert features["accountLabelledFrauds30d"] == 1.0
    assert features["accountLabelledFrauds1d"] == 0.0


def test_the_accounts_baseline_is_its_mean_over_the_delayed_days():
    account = account_entity("acc-0001")
    account_days = [_day(account, 0, transactions=1, amount_sum=Decimal(10)),
                    _day(account, 3, transactions=2, amount_sum=Decimal(20)),
                    _day(account, 7, transactions=5, amount_sum=Decimal(500)),  # labelling day
                    _day(account, 9, transactions=1, amount_sum=Decimal(40)),
                    _day(account, 20, transactions=1, amount_sum=Decimal(20)),
                    _day(account, 40, transactions=1, amount_sum=Decimal(1000))]  # too old
    features = dict(zip(FEATURE_NAMES, feature_vector(transaction(1, amount="30.00"),
                                                      account_days, [], 7), strict=True))
    assert features["accountMeanAmount7d"] == 15  # (30 + 10 + 20) / 4
    # days 8 to 37: (40 + 20) / 2 = 30
    assert (features["accountAmountOverBaseline"], features["accountMean7dOverBaseline"]) == (
        1, Decimal("0.5"))
    recent_only = dict(zip(FEATURE_NAMES, feature_vector(transaction(1), account_days[:3], [], 7),
                           strict=True))
    assert (recent_only["accountAmountOverBaseline"],
            recent_only["accountMean7dOverBaseline"]) == (0, 0)


def test_the_forest_scores_and_says_which_features_moved_it():
    prediction = _forest().predict([0.0] * RISK + [0.5] + [0.0] * (len(FEATURE_NAMES) - RISK - 1))
    assert prediction.probability == 0.9
    assert prediction.contributions["merchantRisk30d"] == pytest.approx(0.85)
    assert sum(prediction.contributions.values()) == pytest.approx(0.9 - 0.05)


def test_an_artifact_reads_its_own_features_by_name_from_the_full_vector():
    forest = forest_from_dict({
        "format": FORMAT, "modelVersion": "forest-test", "labelDelayDays": 7,
        "features": ["hour", "merchantRisk30d"],  # node feature 1: merchantRisk30d
        "trees": [{"feature": [1, 0, 0], "threshold": [0.1, 0, 0], "left": [1, -1, -1],
                   "right": [2, -1, -1], "value": [0.05, 0.0, 0.9]}]})
    vector = [0.0] * len(FEATURE_NAMES)
    vector[RISK] = 0.5
    prediction = forest.predict(vector)
    assert prediction.probability == 0.9
    assert prediction.contributions == {"hour": 0.0, "merchantRisk30d": pytest.approx(0.85)}


_TREE = {"feature": [0], "threshold": [0.0], "left": [-1], "right": [-1], "value": [0.1]}


@pytest.mark.parametrize(("artifact", "message"), [
    ({"format": "other"}, "not a fraud-forest/1 model artifact"),
    ({"format": FORMAT, "features": ["amount", "amountInDollars"]},
     r"^the artifact reads features this code does not compute \(amountInDollars; "
     r"common.features.FEATURE_NAMES\): retrain it$"),
    ({"format": FORMAT, "features": ["hour", "hour"]}, "not a list of distinct names"),
    ({"format": FORMAT, "features": list(FEATURE_NAMES), "modelVersion": "v",
      "labelDelayDays": 7, "trees": [{**_TREE, "threshold": []}]}, "differ in length"),
    ({"format": FORMAT, "features": ["hour"], "modelVersion": "v", "labelDelayDays": 7,
      "trees": [{**_TREE, "feature": [1]}]}, "a node's feature is not one of its features"),
])
def test_a_bad_artifact_is_refused_with_a_clear_error(artifact, message):
    with pytest.raises(ModelError, match=message):
        forest_from_dict(artifact)


def _known(transactions=5):
    """An account's days with ``transactions`` earlier ones yesterday: the model judges it."""
    return [_day(account_entity("acc-0001"), 1, transactions=transactions,
                 amount_sum=Decimal(25 * transactions))]


def test_the_model_reason_counts_from_its_minimum_and_names_its_version():
    spent = transaction(1)
    risky = [_day(merchant_entity("m-1"), 8, transactions=10, labelled_fraud=5)]
    verdict = score(spent, [], RuleConfig(), model=ModelInput(_forest(), _known(), risky))
    assert (verdict.score, verdict.status, verdict.codes) == (90, "SUSPICIOUS", [MODEL])
    assert verdict.model_version == "forest-test"
    [reason] = verdict.reasons
    assert (reason.value, reason.threshold, reason.weight) == (Decimal("0.9000"), 1, 90)
    assert reason.detail.startswith("model forest-test: fraud probability 0.90; "
                                    "merchantRisk30d 0.5 (+0.85)")
    quiet = score(spent, [], RuleConfig(), model=ModelInput(_forest(low=0.004), _known(), []))
    assert (quiet.score, quiet.codes, quiet.model_version) == (0, [], "forest-test")
    assert score(spent, [], RuleConfig()) == evaluate(spent, [], RuleConfig())


GENUINE = [_day(merchant_entity("m-1"), 8, transactions=10, labelled_genuine=10)]


@pytest.mark.parametrize(("earlier", "merchant_days", "overrides", "judged"), [
    (4, [], {}, False), (5, [], {}, True), (0, GENUINE, {}, True),
    (0, [], {"modelMinHistory": 0}, True), (5, [], {"modelMinHistory": 6}, False)])
def test_the_model_judges_only_a_known_account_or_a_labelled_merchant(
        earlier, merchant_days, overrides, judged):
    spent = transaction(1, amount="15000.00")  # HIGH_AMOUNT
    today = _day(account_entity("acc-0001"), 0, transactions=3, amount_sum=Decimal(75))
    known = [today, *_known(earlier)] if earlier else [today]  # today's: not a profile
    config = rule_config(overrides)
    verdict = score(spent, [], config,
                    model=ModelInput(_forest(low=0.6), known, merchant_days))
    rules = evaluate(spent, [], config)
    if judged:
        assert (verdict.score, verdict.codes) == (100, ["HIGH_AMOUNT", MODEL])
    else:  # the rules' verdict, exactly; the model in force is still recorded
        assert (verdict.score, verdict.status, verdict.reasons) == (
            rules.score, rules.status, rules.reasons)
    assert verdict.model_version == "forest-test"


def test_judging_the_model_weighs_a_rule_too_weak_to_flag_alone():
    gambling = transaction(1, mcc="7995")
    risky = [_day(merchant_entity("m-1"), 8, transactions=10, labelled_fraud=5)]
    verdict = score(gambling, [], RuleConfig(), model=ModelInput(_forest(), _known(), risky))
    assert (verdict.score, verdict.status, verdict.codes) == (90, "SUSPICIOUS",
                                                               ["HIGH_RISK_MCC", MODEL])
    mcc = verdict.reasons[0]
    assert (mcc.weight, mcc.detail) == (0, "merchant category 7995 (weight 25 left to the model)")
    quiet = score(gambling, [], RuleConfig(), model=ModelInput(_forest(), _known(), []))
    assert (quiet.score, quiet.status, quiet.codes) == (0, "CLEAR", ["HIGH_RISK_MCC"])
    unknown = score(gambling, [], RuleConfig(), model=ModelInput(_forest(), [], []))
    assert (unknown.score, unknown.codes) == (25, ["HIGH_RISK_MCC"])  # not judged: the rules


def test_the_latest_labels_of_a_merchant_show_a_run_of_fraud_and_its_age():
    merchant = merchant_entity("m-1")
    merchant_days = [_day(merchant, 7, transactions=5, labelled_fraud=1, labelled_genuine=3),
                     _day(merchant, 9, transactions=2, labelled_fraud=2),  # the run's newest
                     _day(merchant, 12, transactions=1, labelled_fraud=1),  # its oldest
                     _day(merchant, 13, transactions=3, labelled_genuine=3),  # before the run
                     _day(merchant, 20, transactions=1, labelled_fraud=1, labelled_genuine=0),
                     _day(merchant, 30, transactions=4, labelled_genuine=4)]
    features = dict(zip(FEATURE_NAMES, feature_vector(transaction(1), [], merchant_days, 7),
                        strict=True))
    assert features["merchantRiskLatestDay"] == 1  # day 9: 2 of 2
    assert (features["merchantLabelledGenuine7d"], features["merchantLabelledGenuine30d"]) == (
        3, 7)  # days 8 to 14; 8 to 37
    assert features["merchantLastGenuineDaysAgo"] == 13
    assert (features["merchantFraudsSinceGenuine"], features["merchantFraudRunDaysAgo"]) == (3, 12)
    assert features["merchantRiskLabellingDay"] == Decimal("0.25")  # 1 of the 4 labelled so far
    calm = dict(zip(FEATURE_NAMES, feature_vector(transaction(1), [], [], 7), strict=True))
    assert (calm["merchantRiskLatestDay"], calm["merchantLastGenuineDaysAgo"],
            calm["merchantFraudsSinceGenuine"], calm["merchantFraudRunDaysAgo"],
            calm["merchantRiskLabellingDay"]) == (0, 38, 0, 0, 0)


def test_detect_fraud_reads_each_entitys_days_once_and_scores_with_them(
        detect_app, context, session, outputs, monkeypatch):
    monkeypatch.setattr(detect_app, "FOREST", _forest())
    features_table = outputs[DataOutputs.FEATURES_TABLE_NAME]
    risky = _day(merchant_entity("m-1"), 8, transactions=10, labelled_fraud=5)
    [known] = _known()  # acc-0001's; acc-0002 has no history: the rules alone
    dynamodb = session.client("dynamodb")
    dynamodb.put_item(TableName=features_table, Item=to_item(
        {"entity": risky.entity, "day": risky.day, "transactions": 10, "labelledFraud": 5}))
    dynamodb.put_item(TableName=features_table, Item=to_item(
        {"entity": known.entity, "day": known.day, "transactions": 5,
         "amountSum": known.amount_sum}))
    try:
        items = [transaction(1), transaction(8), transaction(2, "acc-0002")]  # m-1, m-1, m-2
        store(session, outputs, items)
        with AwsCalls(detect_app.dynamodb) as calls:
            assert analyse(detect_app, context, items) == []
        verdicts = stored(session, outputs)
        assert calls["DynamoDB.Query"] == 2 + 4  # histories; accounts 1, 2, merchants 1, 2
        for number in (1, 8):
            item = verdicts[f"txn-{number:05d}"]
            assert (item["fraudScore"], item["fraudReasons"]) == (90, [MODEL])
            assert item["fraudModelVersion"] == "forest-test"
        expected = score(items[0], [], RuleConfig(),
                         model=ModelInput(_forest(), [known], [risky]))
        assert verdicts["txn-00001"]["fraudReasonDetails"] == [
            reason.as_dict() for reason in expected.reasons]
        assert verdicts["txn-00002"]["fraudReasons"] == []
    finally:
        for day in (risky, known):
            dynamodb.delete_item(TableName=features_table,
                                 Key={"entity": {"S": day.entity}, "day": {"S": day.day}})


def test_the_batchs_earlier_transactions_count_in_their_days_in_the_reference_currency():
    merchant = merchant_entity("m-1")
    stored_days = [_day(merchant, 0, transactions=2, amount_sum=Decimal("10.00"))]
    earlier = [transaction(1, currency="JPY", amount="17568"), transaction(8, amount="5.00")]
    [today] = with_transactions(stored_days, merchant, earlier, DEFAULT_RATES)
    assert (today.transactions, today.amount_sum) == (4, Decimal("115.00"))  # ¥17,568 = €100
    [yesterday] = with_transactions([], merchant, [transaction(1, timestamp=T0 - DAY_MS)],
                                    DEFAULT_RATES)
    assert (yesterday.day, yesterday.transactions) == ("2024-04-30", 1)


def _established(amount: str):
    """The shipped model's verdict on a purchase of ``amount`` by an established customer
    (20 earlier days of 2 x €200) at a merchant of €200 purchases, labelled genuine."""
    spent = transaction(1, amount=amount)
    history = [transaction(100 + 2 * days_ago + second, amount="200.00",
                           timestamp=T0 - days_ago * DAY_MS - second * 3_600_000)
               for days_ago in range(1, 21) for second in (0, 1)]
    account_days = [_day(account_entity("acc-0001"), days_ago, transactions=2,
                         amount_sum=Decimal(400)) for days_ago in range(1, 21)]
    merchant_days = [_day(merchant_entity("m-1"), days_ago, transactions=10,
                          amount_sum=Decimal(2000),
                          labelled_genuine=10 if days_ago >= 7 else 0)
                     for days_ago in range(0, 38)]
    forest = load_forest(SHIPPED)
    verdict = score(spent, history, RuleConfig(),
                    model=ModelInput(forest, account_days, merchant_days))
    assert verdict.model_version == forest.version
    return verdict, sum(reason.weight for reason in verdict.reasons if reason.code == MODEL)


def test_the_shipped_model_reads_amounts_only_relative_to_the_customers_and_merchants_own():
    # Absolute amounts would let it learn the benchmark's "over 220 is fraud" cliff and flag
    # every larger purchase of an established customer; absolute thresholds are HIGH_AMOUNT's.
    ordinary, weight = _established("230.00")
    assert ordinary.status == "CLEAR"
    assert weight < 20, ordinary.reasons
    _unusual, unusual_weight = _established("1000.00")  # 5 x the customer's mean
    assert unusual_weight >= 50
