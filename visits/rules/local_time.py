"""Wall-clock times of the facility and the instants they name.

Aware datetimes that share one ``tzinfo`` compare and subtract by their wall-clock reading and
ignore ``fold`` (PEP 495): on the autumn change day in Europe/Berlin the first 02:30 (CEST) plus
an hour of elapsed time is the second 02:30 (CET), which compares *equal* to the first. So every
comparison and every duration works on UTC instants; local time is only read — a date, a
weekday, the bounds of a window such as school hours, an hour to show.

Twice a year a wall-clock time does not name exactly one instant; the choice is deliberate:

* a time that does not exist (spring gap) moves forward by the gap: 02:30 → 03:30 in Berlin,
  the time a clock on the wall shows an hour after 01:30;
* a time that occurs twice (autumn) is the first occurrence (summer time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo


def instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant that the wall-clock time ``at`` on ``day`` names in ``zone``."""
    # fold=0 is the first of two repeated times, and for a time in the gap it takes the offset
    # from before the change, which lands after the gap: exactly the choices above.
    return datetime.combine(day, at, zone).replace(fold=0).astimezone(UTC)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC, so that it compares and subtracts as elapsed time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a local time needs its time zone")
    return moment.astimezone(UTC)


def on_wall(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` as the wall clock in ``zone`` shows it, with the ``fold`` that tells the two
    readings of a repeated hour apart (and a time in the gap read as the clock shows it)."""
    return utc(moment).astimezone(zone)


def elapsed_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes of real time from ``start`` to ``end``, across any change of offset."""
    return int((utc(end) - utc(start)).total_seconds() // 60)
