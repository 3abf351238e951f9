"""Time as the platform records it: epoch milliseconds, UTC days and hours, ISO 8601 text."""

import time
from datetime import UTC, datetime, timedelta


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def _utc(timestamp_ms: int) -> datetime:
    # Whole milliseconds through timedelta: no float rounding at any magnitude.
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=timestamp_ms)


def utc_day(timestamp_ms: int) -> str:
    """``YYYY-MM-DD`` of the UTC day holding ``timestamp_ms``."""
    return _utc(timestamp_ms).strftime("%Y-%m-%d")


def utc_hour(timestamp_ms: int) -> int:
    """The UTC hour (0 to 23) holding ``timestamp_ms``."""
    return _utc(timestamp_ms).hour


def iso(timestamp_ms: int) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. ``2024-05-01T12:00:00.000Z``."""
    return _utc(timestamp_ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def iso_now() -> str:
    """The current time as :func:`iso` writes it."""
    return iso(now_ms())
