"""Booking bodies and answers. Families get the family view of rule results; staff get all.

Every text a caller sends is bounded and free of control characters: reasons reach the family
by e-mail and SMS, support needs reach the day sheet's CSV file.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import Schema
from litestar.params import KwargDefinition

from visits.enums import Channel, VisitStatus, VisitType
from visits.i18n import Message
from visits.openapi import schema_name
from visits.pagination import Page
from visits.rules.catalogue import RULES, Kind, RuleId
from visits.rules.decision import Outcome
from visits.rules.model import FamilyRuleResult, RuleResult
from visits.rules.severity import Severity
from visits.validation import FieldProblem, blank_problems, multi_line

MAX_PARTY = 12
# The booking rules staff may set aside for one visit, each by the role the catalogue names.
OVERRIDABLE_RULES = tuple(
    rule_id
    for rule_id, spec in RULES.items()
    if spec.overridable_by is not None and Kind.BOOKING in spec.kinds
)

SupportNeeds = Annotated[
    str,
    multi_line(1000),
    msgspec.Meta(
        description="What the party needs at the visit (printed on the staff's day sheet); "
        "up to 1000 characters, line breaks allowed.",
        examples=["Wheelchair access and a quiet table, please."],
    ),
]
Reason = Annotated[
    str,
    multi_line(2000, min_length=3),
    msgspec.Meta(
        description="Why (3 to 2000 characters, line breaks allowed); audited, and where the "
        "family is told, sent to them by e-mail or SMS.",
        examples=["The room is closed for repairs."],
    ),
]
VisitorIds = Annotated[
    list[uuid.UUID],
    msgspec.Meta(
        min_length=1,
        max_length=MAX_PARTY,
        description=f"The party: 1 to {MAX_PARTY} visitors of one household, each once.",
    ),
]
OverridableRule = Annotated[
    str,
    msgspec.Meta(
        min_length=5,
        max_length=6,
        pattern=r"^CF-[0-9A-Za-z]{2,3}$",
        description="A rule staff may set aside: " + ", ".join(OVERRIDABLE_RULES) + ".",
        examples=[RuleId.CF_01.value],
    ),
]
# Parameters differ per rule (numbers, texts, dates, lists of visitor ids).
RuleParams = Annotated[
    dict[str, Any],
    KwargDefinition(
        schema_extra={
            "additional_properties": Schema(
                description="A fact the rule used: a number, a text, a date or a list."
            )
        }
    ),
]


def _rule_problems(name: str, rule_id: str) -> list[FieldProblem]:
    if rule_id not in OVERRIDABLE_RULES:
        rules = ", ".join(OVERRIDABLE_RULES)
        return [(name, Message("is not a rule staff may override: %(rules)s", {"rules": rules}))]
    return []


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    """The slot, the prisoner to visit and the party (visitors of the caller's household)."""

    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    visitor_ids: VisitorIds
    support_needs: SupportNeeds | None = None
    request_review: Annotated[
        bool,
        msgspec.Meta(
            description="Send the booking as a request for the visits team to decide, for a "
            "group larger than the usual limit per visit (CF-07): accepted only when CF-07 is "
            "the only rule that refuses the booking (a refusal then says "
            "`request_review_possible: true`). The visit is `requested` at once and takes its "
            "places in the slot; the household is told the decision. Any other refusal "
            "answers `booking-refused` as without it; a booking possible without a request "
            "answers `no-request-needed`."
        ),
    ] = False


class CheckIn(msgspec.Struct, forbid_unknown_fields=True):
    """A booking to judge without making it."""

    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    visitor_ids: VisitorIds


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    """One failed HARD rule to set aside, with the reason (audited)."""

    rule_id: OverridableRule
    reason: Reason

    def problems(self) -> list[FieldProblem]:
        return _rule_problems("rule_id", self.rule_id) + blank_problems(reason=self.reason)


class StaffBookIn(msgspec.Struct, forbid_unknown_fields=True):
    """A booking made by staff for a household, e.g. on the phone."""

    household_id: uuid.UUID
    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    visitor_ids: VisitorIds
    channel: Literal["phone", "in_person"] = "phone"
    support_needs: SupportNeeds | None = None
    overrides: Annotated[
        list[OverrideIn],
        msgspec.Meta(
            max_length=len(OVERRIDABLE_RULES),
            description="Failed HARD rules to set aside, each rule once; the caller's role must "
            "be the one the rule names.",
        ),
    ] = []

    def problems(self) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        seen: set[str] = set()
        for index, override in enumerate(self.overrides):
            name = f"overrides[{index}]"
            if override.rule_id in seen:
                found.append((f"{name}.rule_id", Message("names a rule already overridden above")))
            seen.add(override.rule_id)
            found += _rule_problems(f"{name}.rule_id", override.rule_id)
            found += blank_problems(**{f"{name}.reason": override.reason})
        return found


class RescheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    """The slot to move to."""

    slot_id: uuid.UUID


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    """An optional reason the household gives."""

    reason: Reason | None = None

    def problems(self) -> list[FieldProblem]:
        return blank_problems(reason=self.reason)


class StaffCancelIn(msgspec.Struct, forbid_unknown_fields=True):
    """The reason is required: the household is told it."""

    reason: Reason

    def problems(self) -> list[FieldProblem]:
        return blank_problems(reason=self.reason)


class ReviewDecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Approve or reject a request (or clear a confirmed visit flagged for review)."""

    decision: Literal["approve", "reject"]
    reason: Reason

    def problems(self) -> list[FieldProblem]:
        return blank_problems(reason=self.reason)


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    """The gate's check-in of a confirmed visit: came (on time or late) or did not come."""

    outcome: Literal["attended", "late", "no_show"]


class RuleResultView(msgspec.Struct):
    """One rule result in the caller's language."""

    rule_id: Annotated[
        str,
        msgspec.Meta(
            description="The rule (CF-…). Families read `facility-check` instead of the id of a "
            "confidential rule (safeguarding, a child's wish).",
            examples=[RuleId.CF_01.value],
        ),
    ]
    severity: Severity
    passed: bool
    message: str
    route_to_review: bool
    params: RuleParams
    overridable_by: Annotated[
        str | None,
        msgspec.Meta(description="The staff role that may set the rule aside (staff view only)."),
    ] = None


# What a family reads instead of a confidential rule's id (safeguarding CF-05, a child's wish
# CF-22 ...: every result with a family text of its own). Which rule asked for a check by the
# facility, and why, is staff's business; the family is only asked to contact the facility.
FACILITY_CHECK = "facility-check"


def family_rule_id(result: RuleResult) -> str:
    """The rule id a family may read: ``FACILITY_CHECK`` for a confidential result."""
    return FACILITY_CHECK if result.confidential else result.rule_id


def family_rule_ids(rule_ids: Sequence[str], results: Sequence[RuleResult]) -> list[str]:
    """``rule_ids`` as a family may read them (confidential ones as one ``FACILITY_CHECK``)."""
    confidential = {r.rule_id for r in results if r.confidential}
    shown = [FACILITY_CHECK if rule in confidential else rule for rule in rule_ids]
    return list(dict.fromkeys(shown))


def family_view(result: RuleResult, language: str) -> RuleResultView:
    public: FamilyRuleResult = result.for_family()
    return RuleResultView(
        rule_id=family_rule_id(result),
        severity=public.severity,
        passed=public.passed,
        message=public.message_in(language),
        route_to_review=public.route_to_review,
        params=public.params,
    )


def staff_view(result: RuleResult, language: str) -> RuleResultView:
    return RuleResultView(
        rule_id=result.rule_id,
        severity=result.severity,
        passed=result.passed,
        message=result.message_in(language),
        route_to_review=result.route_to_review,
        params=dict(result.params),
        overridable_by=result.overridable_by.value if result.overridable_by else None,
    )


class CheckOut(msgspec.Struct):
    """The rules' verdict: bookable, review (staff decide) or refused, and every result. A
    family reads `facility-check` for confidential rules (never their ids)."""

    outcome: Outcome
    refused_by: list[str]
    review_by: list[str]
    warnings: list[str]
    results: list[RuleResultView]
    request_possible: Annotated[
        bool,
        msgspec.Meta(
            description="Refused only because the group is larger than the usual limit per "
            "visit (CF-07): the household may ask the visits team for this time "
            "(`POST /api/v1/household/holds` with `request_review: true`). Always false for "
            "staff, who book with an override instead."
        ),
    ] = False


class PartyOut(msgspec.Struct):
    """One member of the party: age on the visit day; no names."""

    visitor_id: uuid.UUID | None
    age: int
    child: bool


class VisitOut(msgspec.Struct):
    """A visit. Times are UTC (``starts_at``) and the facility's wall clock (``local_start``)."""

    id: uuid.UUID
    reference: Annotated[
        str,
        msgspec.Meta(description="Short code to quote on the phone.", examples=["K7QX-M2PA"]),
    ]
    status: VisitStatus
    visit_type: VisitType
    channel: Channel
    facility_id: uuid.UUID
    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    timezone: Annotated[str, msgspec.Meta(examples=["Europe/Berlin"])]
    hold_expires_at: Annotated[
        datetime | None, msgspec.Meta(description="Until when a hold waits for confirmation.")
    ]
    party: list[PartyOut]
    support_needs: str | None
    ical_uid: str
    ical_sequence: int
    manage_url: Annotated[
        str,
        msgspec.Meta(
            description="The family's page for this visit.", extra_json_schema={"format": "uri"}
        ),
    ]
    results: list[RuleResultView]
    needs_review: bool = False
    review_reason: Annotated[str | None, msgspec.Meta(description="Staff view only.")] = None
    status_reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why the visit ended. Staff read the reason as given; a family reads a "
            "neutral sentence, never a member of staff's words."
        ),
    ] = None


class AnnotatedSlot(msgspec.Struct):
    """A slot with what the rules say for this party: fits, fits with warnings, needs staff
    review, or not possible (with the reasons)."""

    slot_id: uuid.UUID
    room_name: str
    visit_type: VisitType
    local_start: datetime
    local_end: datetime
    remaining_tables: int
    verdict: Literal["fits", "warnings", "review", "not_possible"]
    reasons: list[RuleResultView]
    request_possible: Annotated[
        bool,
        msgspec.Meta(
            description="`not_possible` only because the group is larger than the usual limit "
            "per visit (CF-07): the household may ask the visits team for this time "
            "(`POST /api/v1/household/holds` with `request_review: true`)."
        ),
    ] = False


AnnotatedSlotPage = Annotated[Page[AnnotatedSlot], schema_name("AnnotatedSlotPage")]
VisitPage = Annotated[Page[VisitOut], schema_name("VisitPage")]
