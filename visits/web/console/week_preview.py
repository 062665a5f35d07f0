"""The week a slot template will create, beside the slots already planned, in local time.

Occurrences come from the same function slot generation uses, so the preview shows exactly
the slots publishing will create, including across a change of daylight saving time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from visits.db.models import SlotTemplate
from visits.enums import VisitType
from visits.facilities.schemas.staff import TemplateIn
from visits.facilities.slot_generation import occurrences

UPCOMING = 8


@dataclass(frozen=True)
class PreviewSlot:
    local_start: datetime
    local_end: datetime
    room_id: uuid.UUID
    visit_type: VisitType
    is_new: bool

    @property
    def utc_offset(self) -> str:
        """Such as ``UTC+01:00``: shows that a slot keeps its wall-clock time across DST."""
        offset = self.local_start.strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}"


@dataclass(frozen=True)
class WeekPreview:
    monday: date
    days: list[tuple[date, list[PreviewSlot]]]
    upcoming: list[PreviewSlot]  # the new template's first slots, week after week


def _slots(
    *,
    weekday: int,
    start: datetime,
    duration_minutes: int,
    interval_weeks: int,
    valid_from: date,
    valid_to: date | None,
    first: date,
    last: date,
    zone: ZoneInfo,
    room_id: uuid.UUID,
    visit_type: VisitType,
    is_new: bool,
) -> list[PreviewSlot]:
    return [
        PreviewSlot(
            o.starts_at.astimezone(zone), o.ends_at.astimezone(zone), room_id, visit_type, is_new
        )
        for o in occurrences(
            weekday=weekday,
            start_time=start.time(),
            duration_minutes=duration_minutes,
            interval_weeks=interval_weeks,
            valid_from=valid_from,
            valid_to=valid_to,
            first=first,
            last=last,
            zone=zone,
        )
    ]


def week_preview(
    candidate: TemplateIn,
    existing: Sequence[SlotTemplate],
    zone: ZoneInfo,
    today: date,
    week_of: date | None = None,
) -> WeekPreview:
    """The week of ``week_of`` (default: the candidate's first slot from today on) with every
    active template's slots, and the candidate's first ``UPCOMING`` slots."""

    def new_slots(first: date, last: date) -> list[PreviewSlot]:
        return _slots(
            weekday=candidate.weekday,
            start=datetime.combine(today, candidate.start_time),
            duration_minutes=candidate.duration_minutes,
            interval_weeks=candidate.interval_weeks,
            valid_from=candidate.valid_from,
            valid_to=candidate.valid_to,
            first=first,
            last=last,
            zone=zone,
            room_id=candidate.room_id,
            visit_type=candidate.visit_type,
            is_new=True,
        )

    horizon_first = max(today, candidate.valid_from)
    upcoming = new_slots(horizon_first, horizon_first + timedelta(weeks=104))[:UPCOMING]
    anchor = week_of or (upcoming[0].local_start.date() if upcoming else horizon_first)
    monday = anchor - timedelta(days=anchor.weekday())
    sunday = monday + timedelta(days=6)
    week = new_slots(monday, sunday)
    for template in existing:
        if not template.is_active:
            continue
        week += _slots(
            weekday=template.weekday,
            start=datetime.combine(monday, template.start_time),
            duration_minutes=template.duration_minutes,
            interval_weeks=template.interval_weeks,
            valid_from=template.valid_from,
            valid_to=template.valid_to,
            first=monday,
            last=sunday,
            zone=zone,
            room_id=template.room_id,
            visit_type=template.visit_type,
            is_new=False,
        )
    days = [
        (
            monday + timedelta(days=n),
            sorted(
                (s for s in week if s.local_start.date() == monday + timedelta(days=n)),
                key=lambda s: (s.local_start.astimezone(UTC), not s.is_new),
            ),
        )
        for n in range(7)
    ]
    return WeekPreview(monday, days, upcoming)
