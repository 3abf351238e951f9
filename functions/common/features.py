"""A transaction's feature vector for the model, from its account's and merchant's entity days.

Pure, and the one definition: detect-fraud builds it from the days it reads from the features
table, the backtest from the days its replay keeps; both call :func:`feature_vector`. The
features are the Handbook's (chapter 3.3, "Baseline feature transformation"), counted per UTC
day as the features table holds them:

- the transaction: its amount, the UTC hour, night (before 06:00) and weekend;
- the account: how many transactions and their mean amount over the last 1, 7 and 30 days
  (today so far, this transaction included), and this amount over each mean;
- the merchant: how many transactions over the last 1, 7 and 30 days, and its *risk*: the
  share labelled fraud of its transactions over 1, 7 and 30 days ending before the label
  delay (only days whose labels have all arrived: days more recent would read as safe);
- the account's labelled frauds over the same delayed windows;
- the merchant's latest labels (the delayed days of the 30-day window, newest first): the
  fraud share of the newest day with transactions, its labelled genuine transactions over 7
  and 30 days, how many days ago its newest labelled genuine one was, and the run of fraud
  since then: how many labelled frauds, and how many days ago the run's oldest was. A
  compromised terminal turns every transaction fraud for weeks; its rate alone mixes that run
  with the genuine days before it, and a run that began long ago may be over;
- the merchant's *labelling day*, the day the label delay is crossing (``label_delay_days``
  ago, its labels partly in): the fraud share among its transactions labelled so far;
- this amount over the merchant's mean amount over the last 1, 7 and 30 days (this
  transaction included), as the account's;
- the account's *baseline*: its mean amount over the delayed 30 days (as the risk's), and
  this amount and its 7-day mean over it (0 without a baseline). A stolen card's inflated
  amounts lift its recent means too (the benchmark's third scenario multiplies a third of
  them by 5 for 14 days), so this amount over them understates the change; the delayed days
  hold the customer's spending before any fraud whose label has not yet arrived.

Amounts are in the reference currency (``common.exchange_rates``; as is for a currency the
table lacks), as the entity days sum them, kept as ``Decimal`` (never a float: the model only
compares them with its thresholds).
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from common.entity_days import EntityDay, amount_of
from common.exchange_rates import DEFAULT_RATES, ExchangeRates

WINDOWS_DAYS = (1, 7, 30)
NIGHT_BEFORE_HOUR = 6
FEATURE_NAMES: tuple[str, ...] = (
    "amount", "hour", "isNight", "isWeekend",
    *(f"account{kind}{days}d" for days in WINDOWS_DAYS
      for kind in ("Transactions", "MeanAmount", "AmountOverMean")),
    *(f"merchantTransactions{days}d" for days in WINDOWS_DAYS),
    *(f"merchantRisk{days}d" for days in WINDOWS_DAYS),
    *(f"accountLabelledFrauds{days}d" for days in WINDOWS_DAYS),
    "merchantRiskLatestDay", "merchantLabelledGenuine7d", "merchantLabelledGenuine30d",
    "merchantLastGenuineDaysAgo", "merchantFraudsSinceGenuine", "merchantFraudRunDaysAgo",
    "merchantRiskLabellingDay",
    *(f"merchantAmountOverMean{days}d" for days in WINDOWS_DAYS),
    "accountAmountOverBaseline", "accountMean7dOverBaseline",
)
ABSOLUTE_AMOUNTS = ("amount", *(f"accountMeanAmount{days}d" for days in WINDOWS_DAYS))
# What the model reads: amounts only relative to the account's and the merchant's own. An
# absolute amount lets a forest learn a cliff (the benchmark's first fraud scenario is "over
# 220"), flagging every larger purchase of an established customer; absolute thresholds are
# the rules' (HIGH_AMOUNT, configurable). The entity rules read all of FEATURE_NAMES.
MODEL_FEATURES: tuple[str, ...] = tuple(name for name in FEATURE_NAMES
                                        if name not in ABSOLUTE_AMOUNTS)


def days_needed(label_delay_days: int) -> int:
    """How many days back (today included) the features read: the longest delayed window."""
    return max(WINDOWS_DAYS) + label_delay_days + 1


def first_day_needed(today: date, label_delay_days: int) -> date:
    return today - timedelta(days=days_needed(label_delay_days) - 1)


def _by_age(days: Iterable[EntityDay], today: date) -> dict[int, EntityDay]:
    """The days by how many days before ``today`` they are (0 today); later ones dropped."""
    return {age: day for day in days
            if (age := (today - date.fromisoformat(day.day)).days) >= 0}


def feature_vector(transaction: Mapping[str, Any], account_days: Iterable[EntityDay],
                   merchant_days: Iterable[EntityDay], label_delay_days: int,
                   rates: ExchangeRates = DEFAULT_RATES) -> list[Decimal | int]:
    """The features of :data:`FEATURE_NAMES`, in that order.

    ``account_days`` and ``merchant_days`` are the entities' days as known before this
    transaction (it is counted here, once); days after the transaction's are ignored.
    """
    moment = datetime.fromtimestamp(int(transaction["timestamp"]) / 1000, UTC)
    today = moment.date()
    amount: Decimal = amount_of(transaction, rates)
    account, merchant = _by_age(account_days, today), _by_age(merchant_days, today)
    vector: list[Decimal | int] = [amount, moment.hour + Decimal(moment.minute) / 60,
                                   int(moment.hour < NIGHT_BEFORE_HOUR),
                                   int(moment.weekday() >= 5)]
    account_means: dict[int, Decimal] = {}
    for window in WINDOWS_DAYS:
        count, mean = _count_and_mean(account, window, amount)
        account_means[window] = mean
        vector += [count, mean, amount / mean if mean else 0]
    merchant_windows = [_count_and_mean(merchant, window, amount) for window in WINDOWS_DAYS]
    vector += [count for count, _mean in merchant_windows]
    delayed = [range(label_delay_days + 1, label_delay_days + 1 + window)
               for window in WINDOWS_DAYS]
    for ages in delayed:
        labelled = [merchant[age] for age in ages if age in merchant]
        seen = sum(day.transactions for day in labelled)
        vector.append(Decimal(sum(day.labelled_fraud for day in labelled)) / seen if seen else 0)
    vector += [sum(account[age].labelled_fraud for age in ages if age in account)
               for ages in delayed]
    vector += _latest_labels(merchant, delayed[-1])
    labelling = merchant.get(label_delay_days)
    labelled = labelling.labelled_fraud + labelling.labelled_genuine if labelling else 0
    vector.append(Decimal(labelling.labelled_fraud) / labelled if labelled else 0)
    vector += [amount / mean if mean else 0 for _count, mean in merchant_windows]
    baseline = _baseline_mean(account, delayed[-1])
    vector += [amount / baseline if baseline else 0,
               account_means[7] / baseline if baseline else 0]
    return vector


def _baseline_mean(account: dict[int, EntityDay], ages: range) -> Decimal:
    """The account's mean amount over the delayed ``ages``; 0 without a transaction there."""
    days = [account[age] for age in ages if age in account]
    seen = sum(day.transactions for day in days)
    return sum((day.amount_sum for day in days), Decimal(0)) / seen if seen else Decimal(0)


def _count_and_mean(entity: dict[int, EntityDay], window: int,
                    amount: Decimal) -> tuple[int, Decimal]:
    """The entity's transactions and mean amount over its last ``window`` days, this one in."""
    recent = [entity[age] for age in range(window) if age in entity]
    count = 1 + sum(day.transactions for day in recent)
    return count, (amount + sum(day.amount_sum for day in recent)) / count


def labelled_window(days: Iterable[EntityDay], today: date, label_delay_days: int,
                    window_days: int) -> tuple[int, int]:
    """(labelled frauds, transactions) of ``days`` over the ``window_days`` ending before the
    label delay: the two figures a risk feature is the share of, for a rule to state both."""
    ages = range(label_delay_days + 1, label_delay_days + 1 + window_days)
    counted = [day for age, day in _by_age(days, today).items() if age in ages]
    return sum(day.labelled_fraud for day in counted), sum(day.transactions for day in counted)


def _latest_labels(merchant: dict[int, EntityDay], ages: range) -> list[Decimal | int]:
    """The merchant's latest-label features (module docstring) over the delayed ``ages``."""
    labelled = [(age, merchant[age]) for age in ages if age in merchant]  # newest first
    newest = next((day for _age, day in labelled if day.transactions), None)
    latest_risk = Decimal(newest.labelled_fraud) / newest.transactions if newest else 0
    last_genuine = next((age for age, day in labelled if day.labelled_genuine),
                        ages.stop)  # none in the window: older than it
    run = [(age, day) for age, day in labelled if age < last_genuine and day.labelled_fraud]
    return [latest_risk,
            sum(day.labelled_genuine for age, day in labelled if age < ages.start + 7),
            sum(day.labelled_genuine for _age, day in labelled),
            last_genuine, sum(day.labelled_fraud for _age, day in run),
            run[-1][0] if run else 0]
