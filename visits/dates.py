"""The dates the application supports, and the date-range query parameters of slot listings.

Shared by the public slot listing (facilities) and the listings judged for a household
(booking), so that both bound and name their ranges the same way. Dates far from today are
refused before any arithmetic on them could overflow.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar.params import QueryParameter

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DEFAULT_SLOT_DAYS = 28
MAX_SLOT_DAYS = 92

# The date range of a slot listing, public or judged for a household's party.
DateFrom = Annotated[
    date | None,
    QueryParameter(
        name="from",
        description="First local date (default: today at the facility), "
        f"{EARLIEST_DATE} to {LATEST_DATE}.",
    ),
]
DateTo = Annotated[
    date | None,
    QueryParameter(
        name="to",
        description=f"Last local date, inclusive (default: {DEFAULT_SLOT_DAYS} days from "
        f"`from`; at most {MAX_SLOT_DAYS} days).",
    ),
]


def date_problems(**days: date | None) -> list[dict[str, Any]]:
    """Query dates outside the supported years, each named (a date far in the future would
    overflow the arithmetic on it)."""
    return [
        {
            "name": name,
            "in": "query",
            "detail": f"must lie between {EARLIEST_DATE} and {LATEST_DATE}",
        }
        for name, day in days.items()
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE
    ]


def range_problems(start: date, end: date, first: str, last: str) -> list[dict[str, Any]]:
    """A range that runs backwards or is longer than :data:`MAX_SLOT_DAYS`."""
    if end < start:
        return [{"name": last, "in": "query", "detail": f"must not be before '{first}'"}]
    if (end - start).days + 1 > MAX_SLOT_DAYS:
        detail = f"the range is limited to {MAX_SLOT_DAYS} days"
        return [{"name": last, "in": "query", "detail": detail}]
    return []
