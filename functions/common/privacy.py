"""What may be shown of an account id: logs, alerts and digests carry a masked tail only."""

SHOWN_AT_MOST = 4  # characters of an id's tail that a log or a digest may show


def mask_account(account_id: str) -> str:
    """``****1234``: enough to tell accounts apart in a log, not enough to identify one.

    At most half of the id shows, and never more than its last 4 characters: ``ab`` is
    ``****b`` and a single character shows nothing (``****``), so a short id is never
    printed whole.
    """
    shown = min(SHOWN_AT_MOST, len(account_id) // 2)
    return "****" + (account_id[-shown:] if shown else "")


def looks_like_card_number(value: str) -> bool:
    """13 to 19 digits passing the Luhn check: the shape of a payment card number (PAN)."""
    if not (13 <= len(value) <= 19 and value.isascii() and value.isdigit()):
        return False
    total = 0
    for position, digit in enumerate(int(ch) for ch in reversed(value)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
