"""C. Allowances (CF-10 … CF-13, CF-23): which ledger a visit draws on and what it may use.

The ledger follows the visit type: child and family visits draw on the child contingent (where
the profile has one), family programmes and video visits on their own ledgers, so none of them
ever reduces the regular allowance and video never uses the child contingent.
"""

from __future__ import annotations

from datetime import date, timedelta

from visits.enums import BookableBy, Ledger, VisitType
from visits.rules.catalogue import RuleId
from visits.rules.model import BookingContext, PrisonerFacts, RuleResult, SlotFacts
from visits.rules.party import Party
from visits.rules.profiles import Profile
from visits.rules.results import result
from visits.rules.severity import Severity
from visits.rules.texts import say

CHILD_SESSION_TYPES = frozenset(
    {VisitType.CHILD_FAMILY, VisitType.FAMILY_DAY, VisitType.PARENT_CHILD_GROUP}
)


def ledger_for(visit_type: VisitType, profile: Profile) -> Ledger:
    """The ledger a visit of this type draws on (CF-10, CF-23, CF-24)."""
    if visit_type is VisitType.VIDEO:
        return Ledger.VIDEO
    if visit_type in (VisitType.FAMILY_DAY, VisitType.PARENT_CHILD_GROUP):
        return Ledger.FAMILY_PROGRAMME
    if visit_type is VisitType.CHILD_FAMILY and profile.child_bonus_minutes_per_month > 0:
        return Ledger.CHILD
    return Ledger.REGULAR


def entitlement_window(visit_date: date, period_days: int) -> tuple[date, date]:
    """CF-11: the inclusive dates whose regular-ledger visits count as ``visits_used_in_period``
    for a visit on ``visit_date`` (the period ending on the visit date)."""
    return visit_date - timedelta(days=max(period_days, 1) - 1), visit_date


def child_contingent(party: Party, slot: SlotFacts, prisoner: PrisonerFacts) -> RuleResult:
    """CF-10: child contingent accounting. A child and family visit needs one of the prisoner's
    eligible children and enough contingent left this month."""
    profile = party.profile
    ledger = ledger_for(slot.visit_type, profile)
    minutes = slot.minutes
    params: dict[str, object] = {"ledger": ledger.value, "minutes": minutes}
    if ledger is Ledger.VIDEO:
        params["video_visits_this_month"] = prisoner.video_count
        return result(RuleId.CF_10, say("CF-10.video"), passed=True, params=params)
    if ledger is Ledger.FAMILY_PROGRAMME:
        params["family_programmes_this_month"] = prisoner.family_programme_count
        return result(RuleId.CF_10, say("CF-10.programme"), passed=True, params=params)
    if ledger is Ledger.REGULAR:
        params["regular_minutes_used"] = prisoner.regular_minutes_used
        return result(RuleId.CF_10, say("CF-10.regular"), passed=True, params=params)
    eligible = [
        p.member.visitor_id
        for p in party.people
        if p.member.relationship in profile.child_bonus_relationships
        and p.age <= profile.child_bonus_max_age
    ]
    remaining = max(profile.child_bonus_minutes_per_month - prisoner.child_minutes_used, 0)
    params |= {
        "eligible_children": eligible,
        "contingent_minutes": profile.child_bonus_minutes_per_month,
        "remaining_minutes": remaining,
    }
    if not eligible:
        text = say("CF-10.no_eligible_child", max_age=profile.child_bonus_max_age)
        return result(RuleId.CF_10, text, passed=False, params=params)
    if minutes > remaining:
        text = say("CF-10.exhausted", remaining=remaining, minutes=minutes)
        return result(RuleId.CF_10, text, passed=False, params=params)
    text = say("CF-10.child", minutes=minutes, remaining=remaining - minutes)
    return result(RuleId.CF_10, text, passed=True, params=params)


def visits_per_period(
    slot: SlotFacts, prisoner: PrisonerFacts, context: BookingContext
) -> RuleResult:
    """CF-11: visits per period by custody status, for regular-ledger visits only. HARD for the
    public; a warning for staff, who may book beyond it."""
    profile = context.profile
    severity = Severity.HARD if context.channel is BookableBy.PUBLIC else Severity.SOFT
    entitlement = profile.entitlement.for_status(prisoner.custody_status)
    params: dict[str, object] = {
        "custody_status": prisoner.custody_status.value,
        "visits_per_period": entitlement.visits_per_period,
        "period_days": entitlement.period_days,
        "used": prisoner.visits_used_in_period,
    }
    if ledger_for(slot.visit_type, profile) is not Ledger.REGULAR:
        return result(
            RuleId.CF_11, say("CF-11.not_counted"), passed=True, params=params, severity=severity
        )
    if not entitlement.capped:
        return result(
            RuleId.CF_11, say("CF-11.unlimited"), passed=True, params=params, severity=severity
        )
    number = prisoner.visits_used_in_period + 1
    passed = number <= entitlement.visits_per_period
    cap, period_days = entitlement.visits_per_period, entitlement.period_days
    if passed:
        text = say("CF-11.pass", number=number, cap=cap, period_days=period_days)
    else:
        text = say("CF-11.fail", cap=cap, period_days=period_days)
    return result(RuleId.CF_11, text, passed=passed, params=params, severity=severity)


def neither_reward_nor_sanction(party: Party, prisoner: PrisonerFacts) -> RuleResult:
    """CF-12: incentive level and discipline never reduce a child's visits.

    No rule reads them; this result records, for staff, what was disregarded.
    """
    flags = [
        *([f"incentive:{prisoner.incentive_level}"] if prisoner.incentive_level else []),
        *prisoner.discipline_flags,
    ]
    if not party.children or not flags:
        return result(RuleId.CF_12, say("CF-12.pass"), passed=True)
    return result(
        RuleId.CF_12,
        say("CF-12.disregarded", flags=", ".join(flags)),
        passed=True,
        params={"disregarded": flags},
        family_text=say("CF-12.pass"),
    )


def child_visit_length(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-13: child sessions last at least ``min_child_visit_minutes`` (HARD); other visits with
    children, and anything below the recommendation, get a SOFT note."""
    profile = party.profile
    session = slot.visit_type in CHILD_SESSION_TYPES
    severity = Severity.HARD if session else Severity.SOFT
    minutes = slot.minutes
    params = {
        "minutes": minutes,
        "min_child_visit_minutes": profile.min_child_visit_minutes,
        "recommended_child_visit_minutes": profile.recommended_child_visit_minutes,
        "child_session": session,
    }
    if not session and not party.children:
        return result(
            RuleId.CF_13, say("CF-13.no_children"), passed=True, params=params, severity=severity
        )
    if minutes < profile.min_child_visit_minutes:
        key = "CF-13.too_short" if session else "CF-13.too_short_regular"
        text = say(key, minutes=minutes, min_minutes=profile.min_child_visit_minutes)
        return result(RuleId.CF_13, text, passed=False, params=params, severity=severity)
    if minutes < profile.recommended_child_visit_minutes:
        text = say(
            "CF-13.below_recommended",
            minutes=minutes,
            recommended=profile.recommended_child_visit_minutes,
        )
        return result(RuleId.CF_13, text, passed=False, params=params, severity=Severity.SOFT)
    text = say("CF-13.pass", minutes=minutes)
    return result(RuleId.CF_13, text, passed=True, params=params, severity=severity)


def video_adds(slot: SlotFacts, profile: Profile) -> RuleResult:
    """CF-23 (booking): a video visit is on its own ledger, never the child contingent."""
    ledger = ledger_for(slot.visit_type, profile)
    params = {"ledger": ledger.value}
    key = "CF-23.video" if slot.visit_type is VisitType.VIDEO else "CF-23.pass"
    return result(RuleId.CF_23, say(key), passed=True, params=params)
