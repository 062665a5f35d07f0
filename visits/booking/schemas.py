"""Booking bodies and answers. Families get the family view of rule results; staff get all."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from visits.enums import Channel, VisitStatus, VisitType
from visits.rules.model import FamilyRuleResult, RuleResult
from visits.rules.severity import Severity

SupportNeeds = Annotated[str, msgspec.Meta(max_length=1000)]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
VisitorIds = Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=12)]


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    visitor_ids: VisitorIds
    support_needs: SupportNeeds | None = None


class CheckIn(msgspec.Struct, forbid_unknown_fields=True):
    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    visitor_ids: VisitorIds


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    rule_id: Annotated[str, msgspec.Meta(pattern=r"^CF-[0-9A-Za-z]{2,4}$")]
    reason: Reason


class StaffBookIn(msgspec.Struct, forbid_unknown_fields=True):
    """A booking made by staff for a household, e.g. on the phone."""

    household_id: uuid.UUID
    prisoner_id: uuid.UUID
    slot_id: uuid.UUID
    visitor_ids: VisitorIds
    channel: Literal["phone", "in_person"] = "phone"
    support_needs: SupportNeeds | None = None
    overrides: list[OverrideIn] = []


class RescheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: uuid.UUID


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None


class StaffCancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class ReviewDecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["approve", "reject"]
    reason: Reason


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["attended", "no_show"]


class RuleResultView(msgspec.Struct):
    """One rule result in the caller's language."""

    rule_id: str
    severity: Severity
    passed: bool
    message: str
    route_to_review: bool
    params: dict[str, Any]
    overridable_by: str | None = None


def family_view(result: RuleResult, language: str) -> RuleResultView:
    public: FamilyRuleResult = result.for_family()
    return RuleResultView(
        rule_id=public.rule_id,
        severity=public.severity,
        passed=public.passed,
        message=public.message_de if language == "de" else public.message_en,
        route_to_review=public.route_to_review,
        params=public.params,
    )


def staff_view(result: RuleResult, language: str) -> RuleResultView:
    return RuleResultView(
        rule_id=result.rule_id,
        severity=result.severity,
        passed=result.passed,
        message=result.message(language),
        route_to_review=result.route_to_review,
        params=dict(result.params),
        overridable_by=result.overridable_by.value if result.overridable_by else None,
    )


class CheckOut(msgspec.Struct):
    outcome: str  # bookable | review | refused
    refused_by: list[str]
    review_by: list[str]
    warnings: list[str]
    results: list[RuleResultView]


class PartyOut(msgspec.Struct):
    visitor_id: uuid.UUID | None
    age: int
    child: bool


class VisitOut(msgspec.Struct):
    id: uuid.UUID
    reference: str
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
    timezone: str
    hold_expires_at: datetime | None
    party: list[PartyOut]
    support_needs: str | None
    ical_uid: str
    ical_sequence: int
    manage_url: str
    results: list[RuleResultView]
    needs_review: bool = False
    review_reason: str | None = None
    status_reason: str | None = None


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
