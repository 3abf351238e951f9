"""An account's history for the rules: the index's answer merged with the batch's own records.

Pure: the stream batch and what the ``byAccount`` index returned go in, each batch transaction
comes out with the account's transactions that precede it, in ``common.scoring``'s order (by
``timestamp``, then ``transactionId``); that pair is also the item's key, which tells two
items of one ``transactionId`` apart.
"""

from collections.abc import Iterable

from common.scoring import Transaction, order_key

# The accounts' history queries a batch runs at once: botocore keeps 10 connections per
# client by default, so more in flight would only queue.
QUERIES_IN_FLIGHT = 10


def earlier_count(fetched: Iterable[Transaction], first: Transaction) -> int:
    """How many of ``fetched`` come before ``first`` (to know whether to read another page)."""
    boundary = order_key(first)
    return sum(1 for transaction in fetched if order_key(transaction) < boundary)


def with_history(batch: Iterable[Transaction], fetched: Iterable[Transaction], needed: int,
                 ) -> list[tuple[Transaction, list[Transaction]]]:
    """Each of one account's ``batch`` transactions, in order, with its ``needed`` predecessors.

    ``fetched`` (from the index) and ``batch`` may overlap: an item (``order_key`` is its key)
    is counted once, and the batch's copy (the full stream image) wins.
    """
    known = {order_key(transaction): transaction for transaction in fetched}
    batch = sorted(batch, key=order_key)
    known.update((order_key(transaction), transaction) for transaction in batch)
    timeline = sorted(known.values(), key=order_key)
    position = {order_key(transaction): index for index, transaction in enumerate(timeline)}
    return [(transaction,
             timeline[max(0, position[order_key(transaction)] - needed):
                      position[order_key(transaction)]])
            for transaction in batch]
