"""What may be shown of an account id: logs, alerts and digests carry a masked tail only."""

SHOWN_AT_MOST = 4  # characters of an id's tail that a log or a digest may show

# How the daily report shows account ids (fraud:reportAccountIds): masked as everywhere else by
# default, whole in the risk team's copy.
MASKED = "masked"
FULL = "full"
REPORT_ACCOUNT_IDS = (MASKED, FULL)


def mask_account(account_id: str) -> str:
    """``****1234``: enough to tell accounts apart in a log, not enough to identify one.

    At most half of the id shows, and never more than its last 4 characters: ``ab`` is
    ``****b`` and a single character shows nothing (``****``), so a short id is never
    printed whole.
    """
    shown = min(SHOWN_AT_MOST, len(account_id) // 2)
    return "****" + (account_id[-shown:] if shown else "")

