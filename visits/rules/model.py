"""What the rule engine reads and returns: frozen plain data, free of the database and HTTP.

The API maps rows onto these structs, calls ``engine.evaluate`` and stores or shows the results.
A result's staff text may name a safeguarding reason; what a family may see is a separate type,
``FamilyRuleResult``, that has no field able to carry that reason.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any

import msgspec

from visits.enums import (
    BookableBy,
    CustodyStatus,
    Relationship,
    RoomFeature,
    StaffRole,
    VisitType,
)
from visits.rules.local_time import elapsed_minutes, on_wall, utc
from visits.rules.profiles import Profile
from visits.rules.severity import Severity
from visits.rules.texts import Text, render

__all__ = [
    "CHILD_VISITORS_VETTED",
    "NO_CHILD_CONTACT",
    "BookingContext",
    "FamilyRuleResult",
    "HouseholdHistory",
    "PartyMember",
    "PrisonerFacts",
    "RuleResult",
    "Severity",
    "SlotFacts",
    "VisitWish",
]

# Common prisoner restriction codes (CF-05). Any restriction code blocks self-booking of a visit
# with a child; any safeguarding flag on a visitor blocks self-booking of that visitor's visits.
NO_CHILD_CONTACT = "no_child_contact"
CHILD_VISITORS_VETTED = "child_visitors_vetted"


class VisitWish(StrEnum):
    """A child's own recorded wish about visiting (CF-22)."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class FamilyRuleResult(msgspec.Struct, frozen=True, kw_only=True):
    """What the public may see of a result: no staff reason, no parameters of a confidential one."""

    rule_id: str
    severity: Severity
    passed: bool
    message: Text
    params: dict[str, Any]
    route_to_review: bool
    in_confirmation: bool

    def message_in(self, language: str) -> str:
        """The family text in ``language``."""
        return render(self.message, language)


class RuleResult(msgspec.Struct, frozen=True, kw_only=True):
    """One rule's verdict on one booking (or one alert), for staff.

    Texts are language-neutral (``texts.Text``) and rendered when read, so stored results
    survive a wording change or a new language.
    ``route_to_review``: a failure sends the booking to staff review instead of refusing it.
    ``in_confirmation``: the text belongs in the family's confirmation (INFO, checklists).
    ``family_message``: set for confidential results (safeguarding, a child's wish): families
    see only this, while ``message`` and ``params`` give staff the reason.
    """

    rule_id: str
    severity: Severity
    passed: bool
    message: Text
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    overridable_by: StaffRole | None = None
    route_to_review: bool = False
    in_confirmation: bool = False
    family_message: Text | None = None

    def __post_init__(self) -> None:
        if self.route_to_review and self.passed:
            raise ValueError("only a failed result goes to review")

    @property
    def confidential(self) -> bool:
        return self.family_message is not None

    @property
    def refuses(self) -> bool:
        """A HARD failure that refuses the booking (unless overridden)."""
        return not self.passed and self.severity is Severity.HARD and not self.route_to_review

    @property
    def needs_review(self) -> bool:
        return not self.passed and self.route_to_review

    def message_in(self, language: str) -> str:
        """The staff text in ``language``."""
        return render(self.message, language)

    def for_family(self) -> FamilyRuleResult:
        """The public view: confidential results keep only the neutral family text."""
        if self.family_message is not None:
            message, params = self.family_message, {}
        else:
            message, params = self.message, dict(self.params)
        return FamilyRuleResult(
            rule_id=self.rule_id,
            severity=self.severity,
            passed=self.passed,
            message=message,
            params=params,
            route_to_review=self.route_to_review,
            in_confirmation=self.in_confirmation,
        )


class PartyMember(msgspec.Struct, frozen=True, kw_only=True):
    """One visitor of the booking; ``court_permit_valid`` means valid on the visit date."""

    visitor_id: str
    birth_date: date
    relationship: Relationship
    is_guardian: bool = False
    approved_for_prisoner: bool = False
    court_permit_valid: bool = False
    safeguarding_flags: tuple[str, ...] = ()
    visit_wish: VisitWish | None = None


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


class SlotFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The slot as booked: ``start``/``end`` aware, in the facility's time zone.

    ``remaining_*`` is capacity left after every other active booking (holds included). Rules
    compare and measure ``start_utc``/``end_utc``: the local datetimes share one ``tzinfo`` and
    would compare by wall clock, blind to the repeated autumn hour (see ``local_time``).
    """

    start: datetime
    end: datetime
    visit_type: VisitType
    remaining_tables: int
    remaining_seats: int
    remaining_children: int
    room_features: frozenset[RoomFeature] = frozenset()
    room_age_bands: frozenset[str] = frozenset()
    room_closed_visits: bool = False
    bookable_by: BookableBy = BookableBy.PUBLIC

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end_utc <= self.start_utc:
            raise ValueError("a slot ends after it starts")

    @property
    def zone(self) -> tzinfo:
        """The facility's time zone, whose wall clock local rules read."""
        zone = self.start.tzinfo
        assert zone is not None  # checked in __post_init__
        return zone

    @property
    def start_utc(self) -> datetime:
        return utc(self.start)

    @property
    def end_utc(self) -> datetime:
        return utc(self.end)

    @property
    def local_start(self) -> datetime:
        """The start as the facility's clock shows it (for display and for reading the hour)."""
        return on_wall(self.start, self.zone)

    @property
    def local_end(self) -> datetime:
        return on_wall(self.end, self.zone)

    @property
    def visit_date(self) -> date:
        """The local date of the visit: every age is computed on it (CF-06)."""
        return self.local_start.date()

    @property
    def minutes(self) -> int:
        """Elapsed minutes, correct across a daylight-saving change."""
        return elapsed_minutes(self.start, self.end)


class PrisonerFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The prisoner as far as the rules need, with ledger use for the month of the visit.

    ``visits_used_in_period``: visits on the regular ledger in the CF-11 period ending on the
    visit date (see ``allowances.entitlement_window``). ``incentive_level`` and
    ``discipline_flags`` are recorded for CF-12 only: no rule lets them reduce a child's visits.
    """

    custody_status: CustodyStatus
    admission_date: date
    restrictions: tuple[str, ...] = ()
    closed_visits_only: bool = False
    incentive_level: str | None = None
    discipline_flags: tuple[str, ...] = ()
    regular_minutes_used: int = 0
    child_minutes_used: int = 0
    family_programme_count: int = 0
    video_count: int = 0
    visits_used_in_period: int = 0


class HouseholdHistory(msgspec.Struct, frozen=True, kw_only=True):
    """What the facility already holds for the household: children's visitor ids whose written
    guardian consent (with the guardian's ID copy where the profile asks for it) is on file."""

    consent_on_file: frozenset[str] = frozenset()


class BookingContext(msgspec.Struct, frozen=True, kw_only=True):
    """When and through whom the booking is made, under which (facility-adjusted) profile."""

    now: datetime
    channel: BookableBy
    profile: Profile

    def __post_init__(self) -> None:
        _require_aware(self.now, "now")
