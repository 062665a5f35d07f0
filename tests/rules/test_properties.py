"""Properties of the whole engine over generated bookings (hypothesis).

(a) Tightening any parameter never yields fewer HARD failures for the same booking.
(b) Every booking rule of the catalogue appears exactly once, in catalogue order.
Also: texts in both languages, nothing confidential in the family view, and incentive level or
discipline never changing any result about a visit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visits.enums import BookableBy, CustodyStatus, Relationship, VisitType
from visits.rules.catalogue import BOOKING_RULE_IDS
from visits.rules.engine import evaluate
from visits.rules.model import (
    BookingContext,
    HouseholdHistory,
    PartyMember,
    PrisonerFacts,
    RuleResult,
    Severity,
    SlotFacts,
    VisitWish,
)
from visits.rules.profiles import Profile

from .builders import ALL_BANDS, BERLIN, PROFILES

BASE_DAY = date(2026, 5, 11)  # a Monday
SECRET = "secret_code_7"


@dataclass(frozen=True)
class Booking:
    party: list[PartyMember]
    slot: SlotFacts
    prisoner: PrisonerFacts
    history: HouseholdHistory
    now: datetime
    channel: BookableBy
    profile: Profile

    def results(self, profile: Profile | None = None, **prisoner: Any) -> list[RuleResult]:
        context = BookingContext(
            now=self.now, channel=self.channel, profile=profile or self.profile
        )
        facts = msgspec.structs.replace(self.prisoner, **prisoner) if prisoner else self.prisoner
        return evaluate(self.party, self.slot, facts, self.history, context)


def _member(
    draw: st.DrawFn, number: int, birth_date: date, relationship: Relationship
) -> PartyMember:
    return PartyMember(
        visitor_id=f"v{number}",
        birth_date=birth_date,
        relationship=relationship,
        is_guardian=draw(st.booleans()),
        approved_for_prisoner=draw(st.sampled_from([True] * 9 + [False])),
        court_permit_valid=draw(st.sampled_from([True] * 4 + [False])),
        safeguarding_flags=draw(st.sampled_from([()] * 11 + [(SECRET,)])),
        visit_wish=draw(st.sampled_from([None, *VisitWish])),
    )


@st.composite
def members(draw: st.DrawFn, visit_day: date) -> list[PartyMember]:
    """Mostly families: some adults and some children, ages often right at a threshold."""
    adults = draw(st.integers(min_value=0, max_value=4))
    children = draw(st.integers(min_value=0, max_value=5))
    party = []
    for number in range(adults + children):
        if number < adults:
            birth = visit_day - timedelta(days=draw(st.integers(16 * 365, 80 * 365)))
            relationship = draw(st.sampled_from(Relationship))
        else:
            threshold = draw(st.sampled_from([0, 3, 6, 12, 14, 16, 18]))
            years = draw(st.one_of(st.integers(0, 17), st.just(threshold)))
            birth = visit_day.replace(year=visit_day.year - years)
            birth += timedelta(days=draw(st.sampled_from([-1, 0, 1, 100])))
            relationship = draw(st.sampled_from([Relationship.CHILD] * 6 + list(Relationship)))
        party.append(_member(draw, number, birth, relationship))
    return party


@st.composite
def bookings(draw: st.DrawFn) -> Booking:
    day = BASE_DAY + timedelta(days=draw(st.integers(min_value=0, max_value=13)))
    start = datetime.combine(day, time(draw(st.integers(6, 20)), draw(st.sampled_from([0, 30]))))
    start = start.replace(tzinfo=BERLIN)
    minutes = draw(st.sampled_from([30, 45, 60, 90, 120, 180, 240]))
    the_slot = SlotFacts(
        start=start,
        end=start + timedelta(minutes=minutes),
        visit_type=draw(st.sampled_from([VisitType.CHILD_FAMILY] * 3 + list(VisitType))),
        remaining_tables=draw(st.sampled_from([0, 1, 1, 2, 3])),
        remaining_seats=draw(st.integers(0, 12)),
        remaining_children=draw(st.integers(0, 5)),
        room_age_bands=draw(st.frozensets(st.sampled_from(sorted(ALL_BANDS)))),
        room_closed_visits=draw(st.sampled_from([False] * 5 + [True])),
        bookable_by=draw(st.sampled_from([BookableBy.PUBLIC] * 4 + [BookableBy.STAFF])),
    )
    party = draw(members(day))
    facts = PrisonerFacts(
        custody_status=draw(st.sampled_from(CustodyStatus)),
        admission_date=day - timedelta(days=draw(st.integers(0, 400))),
        restrictions=draw(st.sampled_from([()] * 5 + [(SECRET,)])),
        closed_visits_only=draw(st.sampled_from([False] * 5 + [True])),
        child_minutes_used=draw(st.integers(0, 200)),
        visits_used_in_period=draw(st.integers(0, 4)),
    )
    consent = draw(st.frozensets(st.sampled_from([m.visitor_id for m in party] or ["none"])))
    hours_before = draw(
        st.one_of(  # started, inside the notice period, bookable, beyond the window
            st.integers(-5, 0),
            st.integers(1, 72),
            st.integers(48, 24 * 28),
            st.integers(24 * 28, 24 * 40),
        )
    )
    return Booking(
        party=party,
        slot=the_slot,
        prisoner=facts,
        history=HouseholdHistory(consent_on_file=consent),
        now=start - timedelta(hours=hours_before),
        channel=draw(st.sampled_from([BookableBy.PUBLIC] * 2 + [BookableBy.STAFF])),
        profile=PROFILES[draw(st.sampled_from(sorted(PROFILES)))],
    )


# ---------------------------------------------------------------- tightening


def _get(profile: Profile, path: str) -> Any:
    value: Any = profile
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _set(struct: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    if not rest:
        return msgspec.structs.replace(struct, **{head: value})
    return msgspec.structs.replace(struct, **{head: _set(getattr(struct, head), rest, value)})


Draw = Callable[[st.SearchStrategy[Any]], Any]
Tighten = Callable[[Any, Draw], Any]


def _raise(limit: int) -> Tighten:
    return lambda value, draw: draw(st.integers(value, max(value, limit)))


def _lower(floor: int = 0) -> Tighten:
    return lambda value, draw: draw(st.integers(min(floor, value), value))


def _lower_cap(value: int, draw: Draw) -> int:
    """A per-period cap: 0 means none, so any positive cap, or a lower positive one, is tighter."""
    cap: int = draw(st.integers(1, value if value else 6))
    return cap


def _lower_optional(value: int | None, draw: Draw) -> int:
    cap: int = draw(st.integers(0, 5 if value is None else value))
    return cap


def _switch_on(value: bool, draw: Draw) -> bool:
    return True


def _harden(value: Severity, draw: Draw) -> Severity:
    return Severity.HARD


def _fewer(value: tuple[Any, ...], draw: Draw) -> tuple[Any, ...]:
    return tuple(v for v in value if draw(st.booleans()))


def _more_school_days(value: tuple[int, ...], draw: Draw) -> tuple[int, ...]:
    return tuple(sorted({*value, *draw(st.sets(st.integers(0, 6)))}))


def _earlier(value: time, draw: Draw) -> time:
    return time(draw(st.integers(0, value.hour)), 0)


def _later(value: time, draw: Draw) -> time:
    return time(draw(st.integers(value.hour, 23)), 59)


TIGHTER: dict[str, Tighten] = {
    "lead_min_age": _raise(25),
    "unaccompanied_min_age": _raise(25),
    "requires_court_permit_on_remand": _switch_on,
    "max_adults": _lower(),
    "max_children": _lower(),
    "max_total": _lower(1),
    "seat_age": _lower(),
    "infants_count_toward_caps": _switch_on,
    "child_bonus_minutes_per_month": lambda value, draw: (
        draw(st.integers(1, value)) if value else value  # 0 = no contingent: nothing to lower
    ),
    "child_bonus_max_age": _lower(),
    "child_bonus_relationships": _fewer,
    "min_child_visit_minutes": _raise(300),
    "school_age_min": _lower(),
    "school_age_max": _raise(25),
    "school_day_start": _earlier,
    "school_day_end": _later,
    "school_days": _more_school_days,
    "school_holidays": _fewer,
    "school_overlap_severity": _harden,
    "min_notice_hours": _raise(24 * 30),
    "max_days_ahead": _lower(1),
    "child_room_severity": _harden,
    "long_visit_requires_approval": _switch_on,
    **{f"entitlement.{s.value}.visits_per_period": _lower_cap for s in CustodyStatus},
    **{f"composition.{t.value}.children_required": _switch_on for t in VisitType},
    **{f"composition.{t.value}.max_accompanying_adults": _lower_optional for t in VisitType},
    **{
        f"programmes.{t}.{field}": tighten
        for t in ("family_day", "parent_child_group")
        for field, tighten in (
            ("min_child_age", _raise(25)),
            ("max_child_age", _lower()),
            ("children_required", _switch_on),
        )
    },
}


def _hard_failures(results: list[RuleResult]) -> set[str]:
    return {r.rule_id for r in results if not r.passed and r.severity is Severity.HARD}


@pytest.mark.parametrize("path", sorted(TIGHTER))
@settings(max_examples=80)
@given(booking=bookings(), data=st.data())
def test_tightening_a_parameter_never_removes_a_hard_failure(
    path: str, booking: Booking, data: st.DataObject
) -> None:
    before = _get(booking.profile, path)
    after = TIGHTER[path](before, data.draw)
    tightened = _set(booking.profile, path, after)
    if path.startswith("entitlement."):
        period = path.rsplit(".", 1)[0] + ".period_days"
        tightened = _set(tightened, period, _get(tightened, period) or 28)
    assert _hard_failures(booking.results()) <= _hard_failures(booking.results(tightened))


def test_the_tightening_table_covers_every_limit() -> None:
    # Parameters deliberately left out: definitions and texts, not limits.
    not_limits = {
        "adult_age",  # who counts as an adult moves people between the adult and child caps
        "id_exempt_under_age",  # INFO
        "unaccompanied_requires_consent",  # SOFT checklist
        "consent_requires_guardian_id_copy",  # SOFT checklist
        "regular_min_minutes_per_month",  # ALERT
        "recommended_child_visit_minutes",  # SOFT
        "first_visit_target_days",  # ALERT
        "first_visit_alert_after_days",  # ALERT
        "target_interval_days",  # ALERT
        "alert_interval_days",  # ALERT
        "video_only_alert_days",  # ALERT
        "young_age",  # SOFT
        "young_earliest",  # SOFT
        "young_latest",  # SOFT
        "age_bands",  # SOFT unless HARD; bands are definitions
        "child_voice_age",  # SOFT, review
        "entitlement.remand.period_days",  # counted by the caller
        "entitlement.sentenced.period_days",
    }
    from visits.rules.profile_params import PARAMETERS

    assert set(TIGHTER) | not_limits == set(PARAMETERS)
    assert not set(TIGHTER) & not_limits


# ---------------------------------------------------------------- every rule, once


@settings(max_examples=300)
@given(booking=bookings())
def test_every_booking_rule_appears_exactly_once_in_catalogue_order(booking: Booking) -> None:
    results = booking.results()
    assert [r.rule_id for r in results] == list(BOOKING_RULE_IDS)
    for result in results:
        assert result.message_in("de").strip()
        assert result.message_in("en").strip()
        assert result.message_in("de") != result.message_in("en")
        assert result.severity in (Severity.HARD, Severity.SOFT, Severity.INFO)
        if result.route_to_review:
            assert not result.passed
        msgspec.json.encode(result)  # params are plain JSON


@settings(max_examples=300)
@given(booking=bookings())
def test_the_family_view_never_shows_a_safeguarding_code(booking: Booking) -> None:
    for result in booking.results():
        public = msgspec.json.encode(result.for_family()).decode()
        assert SECRET not in public
        if result.confidential:
            assert result.for_family().params == {}
            assert result.for_family().message_in("en") != result.message_in("en")


@settings(max_examples=200)
@given(
    booking=bookings(),
    incentive=st.sampled_from([None, "basic", "standard", "enhanced"]),
    discipline=st.lists(st.sampled_from(["loss_of_visits", "cellular_confinement"]), max_size=2),
)
def test_incentive_level_and_discipline_change_no_result(
    booking: Booking, incentive: str | None, discipline: list[str]
) -> None:
    plain = booking.results(incentive_level=None, discipline_flags=())
    flagged = booking.results(incentive_level=incentive, discipline_flags=tuple(discipline))
    assert [r for r in plain if r.rule_id != "CF-12"] == [
        r for r in flagged if r.rule_id != "CF-12"
    ]
    cf12 = next(r for r in flagged if r.rule_id == "CF-12")
    assert cf12.passed
