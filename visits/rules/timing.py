"""D. Timing (CF-16, CF-17, CF-BW): school hours, times of day for young children, booking window.

Windows such as school hours are the facility's wall-clock times on the visit date. Each bound
becomes the instant it names (``local_time.instant``) and is compared with the slot's UTC start
and end, so a slot in the repeated autumn hour, or across the spring gap, is judged by when it
really happens.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from visits.enums import BookableBy
from visits.rules.allowances import CHILD_SESSION_TYPES
from visits.rules.catalogue import RuleId
from visits.rules.local_time import instant, on_wall, utc
from visits.rules.model import BookingContext, RuleResult, SlotFacts
from visits.rules.party import Party
from visits.rules.profiles import Profile
from visits.rules.results import result
from visits.rules.severity import Severity
from visits.rules.texts import Day, clock, say, wall_clock


def during_school_hours(start: datetime, end: datetime, zone: tzinfo, profile: Profile) -> bool:
    """Whether a visit from ``start`` to ``end`` overlaps school hours on a school day in
    ``zone`` (CF-16; the figures count child-friendly slots outside them the same way)."""
    day = on_wall(start, zone).date()
    if not profile.is_school_day(day):
        return False
    school_start = instant(day, profile.school_day_start, zone)
    school_end = instant(day, profile.school_day_end, zone)
    return utc(start) < school_end and utc(end) > school_start


def school_hours(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-16: warn when a slot on a school day overlaps school hours for a school-age child.

    A profile may make it HARD; that applies to child sessions only, never to regular visits.
    """
    profile = party.profile
    hard = profile.school_overlap_severity is Severity.HARD
    severity = Severity.HARD if hard and slot.visit_type in CHILD_SESSION_TYPES else Severity.SOFT
    pupils = [
        p.member.visitor_id
        for p in party.children
        if profile.school_age_min <= p.age <= profile.school_age_max
    ]
    school_day = profile.is_school_day(slot.visit_date)
    clash = bool(pupils) and during_school_hours(slot.start, slot.end, slot.zone, profile)
    params = {
        "school_age_children": pupils,
        "school_day": school_day,
        "school_day_start": f"{profile.school_day_start:%H:%M}",
        "school_day_end": f"{profile.school_day_end:%H:%M}",
    }
    if not clash:
        return result(
            RuleId.CF_16, say("CF-16.pass"), passed=True, params=params, severity=severity
        )
    text = say(
        "CF-16.fail",
        start=clock(profile.school_day_start),
        end=clock(profile.school_day_end),
    )
    return result(RuleId.CF_16, text, passed=False, params=params, severity=severity)


def young_children_times(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-17: for children under ``young_age``, warn when a slot starts before ``young_earliest``
    or ends after ``young_latest``."""
    profile = party.profile
    young = [p.member.visitor_id for p in party.children if p.age < profile.young_age]
    early = slot.start_utc < instant(slot.visit_date, profile.young_earliest, slot.zone)
    late = slot.end_utc > instant(slot.visit_date, profile.young_latest, slot.zone)
    params = {
        "young_children": young,
        "earliest": f"{profile.young_earliest:%H:%M}",
        "latest": f"{profile.young_latest:%H:%M}",
    }
    if not young or not (early or late):
        return result(RuleId.CF_17, say("CF-17.pass"), passed=True, params=params)
    text = say(
        "CF-17.fail",
        young_age=profile.young_age,
        earliest=clock(profile.young_earliest),
        latest=clock(profile.young_latest),
        start=wall_clock(slot.local_start),
        end=wall_clock(slot.local_end),
    )
    return result(RuleId.CF_17, text, passed=False, params=params)


def booking_window(slot: SlotFacts, context: BookingContext) -> RuleResult:
    """CF-BW: at least ``min_notice_hours`` and at most ``max_days_ahead`` before the visit, and
    only slots the public may book. HARD for the public; for staff a warning (e.g. CF-14)."""
    profile = context.profile
    public = context.channel is BookableBy.PUBLIC
    severity = Severity.HARD if public else Severity.SOFT
    until = slot.start_utc - utc(context.now)
    days_ahead = (slot.visit_date - on_wall(context.now, slot.zone).date()).days
    params = {
        "min_notice_hours": profile.min_notice_hours,
        "max_days_ahead": profile.max_days_ahead,
        "hours_until_start": round(until.total_seconds() / 3600, 2),
        "days_ahead": days_ahead,
        "bookable_by": slot.bookable_by.value,
        "channel": context.channel.value,
    }
    if until <= timedelta(0):
        text = say("CF-BW.past")
        return result(RuleId.CF_BW, text, passed=False, params=params, severity=Severity.HARD)
    if public and slot.bookable_by is BookableBy.STAFF:
        text = say("CF-BW.staff_only")
        return result(RuleId.CF_BW, text, passed=False, params=params, severity=Severity.HARD)
    if until < timedelta(hours=profile.min_notice_hours):
        text = say("CF-BW.too_soon", hours=profile.min_notice_hours)
        return result(RuleId.CF_BW, text, passed=False, params=params, severity=severity)
    if days_ahead > profile.max_days_ahead:
        opens = slot.visit_date - timedelta(days=profile.max_days_ahead)
        text = say("CF-BW.too_far", days=profile.max_days_ahead, opens=Day(opens))
        return result(RuleId.CF_BW, text, passed=False, params=params, severity=severity)
    return result(RuleId.CF_BW, say("CF-BW.pass"), passed=True, params=params, severity=severity)
