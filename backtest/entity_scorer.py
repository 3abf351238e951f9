"""The rules and a trained model, fed as detect-fraud feeds them: history and entity days.

:class:`EntityDays` keeps, per account and merchant and UTC day, the aggregates detect-fraud
writes to the features table (``common.entity_days``): a transaction counts in its days once
observed (its amount in the reference currency, with the default rates as the replay's
rules use them), its label moves the labelled counts once it arrives. A verdict reads the days the
features need as :class:`common.entity_days.EntityDay` values, through ``common.scoring``: the
one scoring path.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from common.entity_days import EntityDay, amount_of, day_of, entities_of
from common.exchange_rates import DEFAULT_RATES
from common.features import feature_vector, first_day_needed
from common.model import Forest
from common.rules import RuleConfig, Verdict
from common.scoring import ModelInput, score

from backtest.replay import RulesScorer, Transaction

TRANSACTIONS, AMOUNT_SUM, LABELLED_FRAUD, LABELLED_GENUINE = range(4)


class EntityDays:
    """Per entity and day: [transactions, amount sum, labelled fraud, labelled genuine]."""

    def __init__(self, label_delay_days: int) -> None:
        self.label_delay_days = label_delay_days
        self.days: defaultdict[str, dict[str, list]] = defaultdict(dict)

    def observe(self, transaction: Transaction) -> None:
        day, amount = day_of(transaction), amount_of(transaction, DEFAULT_RATES)
        for entity in entities_of(transaction):
            counters = self.days[entity].setdefault(day, [0, Decimal(0), 0, 0])
            counters[TRANSACTIONS] += 1
            counters[AMOUNT_SUM] += amount

    def label(self, transaction: Transaction, fraud: bool) -> None:
        day = day_of(transaction)
        for entity in entities_of(transaction):
            self.days[entity][day][LABELLED_FRAUD if fraud else LABELLED_GENUINE] += 1

    def of(self, entity: str, transaction: Transaction) -> list[EntityDay]:
        """The entity's days the features of ``transaction`` read, as a Query returns them."""
        today = date.fromisoformat(day_of(transaction))
        first = first_day_needed(today, self.label_delay_days).isoformat()
        return [EntityDay(entity, day, *counters)
                for day, counters in self.days[entity].items() if day >= first]

    def features(self, transaction: Transaction) -> list[float]:
        account, merchant = entities_of(transaction)
        return feature_vector(transaction, self.of(account, transaction),
                              self.of(merchant, transaction), self.label_delay_days)


class ModelScorer(RulesScorer):
    """The rules and ``forest`` over the replay's history and entity days."""

    def __init__(self, rules: RuleConfig, forest: Forest) -> None:
        super().__init__(rules)
        self.forest = forest
        self.entity_days = EntityDays(forest.label_delay_days)

    def verdict(self, transaction: Transaction, rules: RuleConfig) -> Verdict:
        account, merchant = entities_of(transaction)
        days = self.entity_days
        return score(transaction, self.history[transaction["accountId"]], rules,
                     model=ModelInput(self.forest, days.of(account, transaction),
                                      days.of(merchant, transaction)))

    def observe(self, transaction: Transaction) -> None:
        super().observe(transaction)
        self.entity_days.observe(transaction)

    def label(self, transaction: Transaction, fraud: bool) -> None:
        self.entity_days.label(transaction, fraud)


class FeatureRecorder(RulesScorer):
    """The rules' verdicts, recording each scored transaction's features (to train on)."""

    def __init__(self, rules: RuleConfig, label_delay_days: int) -> None:
        super().__init__(rules)
        self.rules = rules
        self.entity_days = EntityDays(label_delay_days)
        self.vectors: list[list[float]] = []

    def verdict(self, transaction: Transaction, rules: RuleConfig) -> Verdict:
        if rules is self.rules:  # not a rule's removal: once per transaction
            self.vectors.append(self.entity_days.features(transaction))
        return super().verdict(transaction, rules)

    def observe(self, transaction: Transaction) -> None:
        super().observe(transaction)
        self.entity_days.observe(transaction)

    def label(self, transaction: Transaction, fraud: bool) -> None:
        self.entity_days.label(transaction, fraud)
