"""Key schema of the tables: the handlers query by it, the stacks and the local mode create it.

Plain data, no AWS calls, so the data stack, the provisioning helper and the handlers all read
the same attribute names, index names and projections.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str  # "S" or "N", as DynamoDB spells key types


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: Attribute
    range_key: Attribute
    projection_type: str  # "ALL", "KEYS_ONLY" or "INCLUDE"
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    hash_key: Attribute
    range_key: Attribute
    indexes: tuple[Index, ...] = ()
    stream_view_type: str | None = None
    ttl_attribute: str | None = None  # epoch seconds after which DynamoDB deletes the item

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        """Every key attribute of the table and its indexes, once each (DynamoDB's definitions)."""
        keys = [self.hash_key, self.range_key]
        for index in self.indexes:
            keys += [index.hash_key, index.range_key]
        return tuple(dict.fromkeys(keys))


TRANSACTION_ID = Attribute("transactionId", "S")
TIMESTAMP = Attribute("timestamp", "N")  # epoch milliseconds
# A client's own transactionId is taken by a guard item, (the id, this sort key), written in
# the same transaction as the transaction's item: the table's key is (id, timestamp), so only
# an item keyed by the id alone makes one id one transaction. 0 is below every transaction's
# timestamp (the schema's minimum is the year 2000); the guard has no other attribute, so no
# index holds it, and the stream mapping's filter keeps it from detect-fraud.
ID_GUARD_TIMESTAMP = 0
ACCOUNT_ID = Attribute("accountId", "S")
FLAGGED_DAY = Attribute("flaggedDay", "S")  # "YYYY-MM-DD", set on SUSPICIOUS items only
# "YYYY-MM-DD" of the transaction, set on items labelled FRAUD only (by the label route alone:
# keyed on the label, not the verdict, so a label that lands before the verdict needs no
# second writer; the report tells caught from missed by the projected fraudStatus).
LABELLED_FRAUD_DAY = Attribute("labelledFraudDay", "S")

# History for the rules: the account's latest transactions, newest first.
BY_ACCOUNT = Index("byAccount", ACCOUNT_ID, TIMESTAMP, "INCLUDE", ("amount", "country"))
# Sparse: only flagged transactions carry flaggedDay, so the report reads just those.
BY_FLAGGED_DAY = Index(
    "byFlaggedDay", FLAGGED_DAY, TIMESTAMP, "INCLUDE",
    ("accountId", "amount", "currency", "merchantId", "merchantCategory", "country",
     "fraudScore", "fraudReasons", "analyzedAt", "label"),
)
# Sparse: only transactions labelled FRAUD carry labelledFraudDay, so the report reads the
# day's labelled frauds, the ones the rules missed (fraudStatus CLEAR) among them, without a scan.
BY_LABELLED_FRAUD_DAY = Index(
    "byLabelledFraudDay", LABELLED_FRAUD_DAY, TIMESTAMP, "INCLUDE",
    ("accountId", "amount", "currency", "merchantId", "merchantCategory", "country",
     "fraudStatus", "fraudScore", "fraudReasons", "analyzedAt", "labelSource", "labelledAt"),
)

TRANSACTIONS = Table(
    hash_key=TRANSACTION_ID,
    range_key=TIMESTAMP,
    indexes=(BY_ACCOUNT, BY_FLAGGED_DAY, BY_LABELLED_FRAUD_DAY),
    stream_view_type="NEW_AND_OLD_IMAGES",
)

# Daily aggregates for the report: one partition per UTC day, items per hour and shard, so
# concurrent batches spread their updates instead of all hitting one item.
STATS_DAY = Attribute("day", "S")  # "YYYY-MM-DD"
STATS_HOUR_SHARD = Attribute("hourShard", "S")  # "HH#NN"
STATS_SHARDS = 8
STATS = Table(hash_key=STATS_DAY, range_key=STATS_HOUR_SHARD)

# Entity-day aggregates (the feature store, see common.entity_days): per account and per
# merchant, per UTC day, the transactions counted and the labels given. Items expire on their own.
FEATURES_ENTITY = Attribute("entity", "S")  # "account#<accountId>" or "merchant#<merchantId>"
FEATURES_DAY = Attribute("day", "S")  # "YYYY-MM-DD" of the transactions' UTC timestamps
FEATURES_EXPIRES_AT = "expiresAt"
FEATURES = Table(hash_key=FEATURES_ENTITY, range_key=FEATURES_DAY,
                 ttl_attribute=FEATURES_EXPIRES_AT)

REPORTS_PREFIX = "reports/"
