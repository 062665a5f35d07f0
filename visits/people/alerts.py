"""Staff alerts for children's contact (CF-14, CF-15, CF-23) and for capacity (CF-09).

Pure rule functions from ``visits.rules.alerts`` over data read here; a scheduled job and the
staff API call ``facility_alerts``. CF-14 applies during a parent's first four weeks (after that
CF-15 watches the gap between visits).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import (
    Facility,
    Prisoner,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
    VisitParty,
)
from visits.enums import ApprovalStatus, SlotStatus, VisitStatus, VisitType
from visits.rules import alerts as rules
from visits.rules.ages import age_on
from visits.rules.model import RuleResult

CONTACT_STATES = (VisitStatus.CONFIRMED, VisitStatus.ATTENDED, VisitStatus.REQUESTED)
FIRST_VISIT_WINDOW_DAYS = 28
AlertParam = str | int | float | bool | None


class AlertOut(msgspec.Struct):
    rule_id: str
    message: str
    prisoner_id: uuid.UUID | None
    prison_number: str | None
    child: str | None  # given-name initial and age, enough for staff to recognise
    params: dict[str, AlertParam]


def _param(value: object) -> AlertParam:
    """Rule parameters are numbers, words and flags; anything else (a date) as its text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _out(
    result: RuleResult, language: str, prisoner: Prisoner | None, child: str | None
) -> AlertOut:
    return AlertOut(
        rule_id=result.rule_id,
        message=result.message_in(language),
        prisoner_id=prisoner.id if prisoner else None,
        prison_number=prisoner.prison_number if prisoner else None,
        child=child,
        params={name: _param(value) for name, value in result.params.items()},
    )


async def facility_alerts(
    session: AsyncSession, facility: Facility, language: str, today: date | None = None
) -> list[AlertOut]:
    """Every open alert of the facility (passed results are left out)."""
    zone = ZoneInfo(facility.timezone)
    today = today or datetime.now(UTC).astimezone(zone).date()
    profile = facility.profile()
    alerts: list[AlertOut] = []

    month = today.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    regular = (
        await session.execute(
            sa.select(Slot.starts_at, Slot.ends_at, Slot.capacity_tables).where(
                Slot.facility_id == facility.id,
                Slot.visit_type == VisitType.REGULAR,
                Slot.status == SlotStatus.OPEN,
                Slot.local_date >= month,
                Slot.local_date < next_month,
            )
        )
    ).all()
    table_minutes = sum(int((e - s).total_seconds() // 60) * t for s, e, t in regular)
    prisoners = list(
        await session.scalars(
            sa.select(Prisoner).where(
                Prisoner.facility_id == facility.id, Prisoner.released_on.is_(None)
            )
        )
    )
    capacity = rules.regular_capacity(month, table_minutes, len(prisoners), profile)
    if not capacity.passed:
        alerts.append(_out(capacity, language, None, None))

    children = (
        await session.execute(
            sa.select(VisitorApproval.prisoner_id, Visitor)
            .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
            .where(
                VisitorApproval.prisoner_id.in_([p.id for p in prisoners]),
                VisitorApproval.status == ApprovalStatus.APPROVED,
            )
        )
    ).all()
    visits = (
        await session.execute(
            sa.select(
                Visit.prisoner_id,
                Visit.starts_at,
                Visit.visit_type,
                VisitParty.visitor_id,
                VisitParty.is_child,
            )
            .join(VisitParty, VisitParty.visit_id == Visit.id)
            .where(Visit.facility_id == facility.id, Visit.status.in_(CONTACT_STATES))
        )
    ).all()
    child_visit_days: dict[uuid.UUID, list[date]] = defaultdict(list)
    in_person: dict[uuid.UUID, list[date]] = defaultdict(list)
    video: dict[uuid.UUID, list[date]] = defaultdict(list)
    for prisoner_id, starts_at, visit_type, visitor_id, is_child in visits:
        day = starts_at.astimezone(zone).date()
        if is_child:
            child_visit_days[prisoner_id].append(day)
        if visitor_id is not None and day <= today:
            (video if visit_type is VisitType.VIDEO else in_person)[visitor_id].append(day)

    by_id = {p.id: p for p in prisoners}
    for prisoner in prisoners:
        if (today - prisoner.admission_date).days > FIRST_VISIT_WINDOW_DAYS:
            continue
        has_children = any(
            pid == prisoner.id and age_on(v.birth_date, today) < profile.adult_age
            for pid, v in children
        )
        if has_children:
            first = rules.first_child_visit(
                prisoner.admission_date, today, child_visit_days[prisoner.id], profile
            )
            if not first.passed:
                alerts.append(_out(first, language, prisoner, None))
    for prisoner_id, child in children:
        if child.birth_date > today or age_on(child.birth_date, today) >= profile.adult_age:
            continue
        prisoner = by_id[prisoner_id]
        label = f"{child.given_name[:1]}. ({age_on(child.birth_date, today)})"
        seen = in_person[child.id]
        last = max(seen) if seen else None
        gap = rules.contact_gap(str(child.id), last, prisoner.admission_date, today, profile)
        if not gap.passed:
            alerts.append(_out(gap, language, prisoner, label))
        video_only = rules.video_only_contact(
            str(child.id), last, video[child.id], prisoner.admission_date, today, profile
        )
        if not video_only.passed:
            alerts.append(_out(video_only, language, prisoner, label))
    return alerts
