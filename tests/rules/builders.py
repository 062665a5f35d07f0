"""Small builders for rule-engine inputs: a Wednesday afternoon visit in Berlin by default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from visits.enums import BookableBy, CustodyStatus, Relationship, VisitType
from visits.rules.engine import evaluate
from visits.rules.model import (
    BookingContext,
    HouseholdHistory,
    PartyMember,
    PrisonerFacts,
    RuleResult,
    SlotFacts,
)
from visits.rules.profiles import Profile, load_profile

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
VISIT_DAY = date(2026, 5, 13)  # a Wednesday, no holiday
ALL_BANDS = frozenset({"0-2", "3-5", "6-11", "12-17"})
PROFILES = {name: load_profile(name) for name in ("generic", "de-nw", "en-gb")}


def turns(age: int, on: date = VISIT_DAY) -> date:
    """A birth date whose ``age``-th birthday is ``on``."""
    return on.replace(year=on.year - age)


def aged(age: int, on: date = VISIT_DAY) -> date:
    """A birth date giving exactly ``age`` on ``on``, well away from any birthday."""
    return turns(age, on) - timedelta(days=100)


def person(
    visitor_id: str,
    birth_date: date,
    relationship: Relationship = Relationship.CHILD,
    **fields: Any,
) -> PartyMember:
    fields.setdefault("approved_for_prisoner", True)
    fields.setdefault("court_permit_valid", True)
    return PartyMember(
        visitor_id=visitor_id, birth_date=birth_date, relationship=relationship, **fields
    )


def guardian(visitor_id: str = "mum", age: int = 35, **fields: Any) -> PartyMember:
    fields.setdefault("is_guardian", True)
    return person(visitor_id, aged(age), Relationship.PARTNER, **fields)


def child(visitor_id: str, age: int, *, on: date = VISIT_DAY, **fields: Any) -> PartyMember:
    relationship = fields.pop("relationship", Relationship.CHILD)
    return person(visitor_id, aged(age, on), relationship, **fields)


def slot(
    *,
    day: date = VISIT_DAY,
    start: time = time(15, 30),
    minutes: int = 120,
    visit_type: VisitType = VisitType.REGULAR,
    zone: ZoneInfo = BERLIN,
    **fields: Any,
) -> SlotFacts:
    begin = datetime.combine(day, start, zone)
    end = (begin.astimezone(ZoneInfo("UTC")) + timedelta(minutes=minutes)).astimezone(zone)
    fields.setdefault("remaining_tables", 5)
    fields.setdefault("remaining_seats", 20)
    fields.setdefault("remaining_children", 10)
    fields.setdefault("room_age_bands", ALL_BANDS)
    return SlotFacts(start=begin, end=end, visit_type=visit_type, **fields)


def prisoner(**fields: Any) -> PrisonerFacts:
    fields.setdefault("custody_status", CustodyStatus.SENTENCED)
    fields.setdefault("admission_date", date(2026, 1, 5))
    return PrisonerFacts(**fields)


def profile(name: str = "generic", **overrides: Any) -> Profile:
    return load_profile(name, overrides) if overrides else PROFILES[name]


def run(
    party: Sequence[PartyMember],
    *,
    at: SlotFacts | None = None,
    of: PrisonerFacts | None = None,
    history: HouseholdHistory | None = None,
    rules: Profile | None = None,
    now: datetime | None = None,
    channel: BookableBy = BookableBy.PUBLIC,
) -> dict[str, RuleResult]:
    """Evaluate and index the results by rule id."""
    the_slot = at or slot()
    context = BookingContext(
        now=now or the_slot.start - timedelta(days=7),
        channel=channel,
        profile=rules or PROFILES["generic"],
    )
    results = evaluate(party, the_slot, of or prisoner(), history or HouseholdHistory(), context)
    return {r.rule_id: r for r in results}


def family() -> list[PartyMember]:
    """A guardian with two children (8 and 4), everyone approved."""
    return [guardian(), child("anna", 8), child("ben", 4)]
