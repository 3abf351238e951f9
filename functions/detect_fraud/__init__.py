"""detect-fraud: scores new transactions from the table's stream and queues suspicious ones."""
