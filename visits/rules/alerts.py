"""ALERT rules for scheduled jobs (CF-09, CF-14, CF-15, CF-23): pure functions over plain data.

Each returns a ``RuleResult`` with severity ALERT: ``passed`` False means "raise the alert".
Staff see these texts only; a child is named by visitor id. Only visits in person count as
contact for CF-15: a video visit adds to contact but never replaces it (CF-23).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from visits.rules.catalogue import RuleId
from visits.rules.model import RuleResult
from visits.rules.profiles import Profile
from visits.rules.results import result
from visits.rules.severity import Severity
from visits.rules.texts import say

ALERT = Severity.ALERT


def regular_capacity(
    month: date, table_minutes: int, prisoners: int, profile: Profile
) -> RuleResult:
    """CF-09: can the facility offer every prisoner ``regular_min_minutes_per_month``?

    ``table_minutes``: the sum over the month's open regular slots of minutes times tables (one
    table is one prisoner's visit); ``prisoners``: how many prisoners share them.
    """
    minimum = profile.regular_min_minutes_per_month
    offered = table_minutes // prisoners if prisoners > 0 else table_minutes
    label = f"{month:%Y-%m}"
    params = {"month": label, "offered_minutes_per_prisoner": offered, "minimum": minimum}
    passed = minimum == 0 or prisoners == 0 or offered >= minimum
    key = "CF-09.pass" if passed else "CF-09.alert"
    text = say(key, month=label, offered=offered, minimum=minimum)
    return result(RuleId.CF_09, text, passed=passed, params=params, severity=ALERT)


def first_child_visit(
    admission_date: date, today: date, child_visit_dates: Iterable[date], profile: Profile
) -> RuleResult:
    """CF-14: from day ``first_visit_alert_after_days`` after admission, alert while no child visit
    is booked (or held); the target is a first child visit within ``first_visit_target_days``.

    Call it for prisoners with children; ``child_visit_dates`` are booked or attended visits with
    a child in the party.
    """
    day = (today - admission_date).days
    booked = sorted(d for d in child_visit_dates if d >= admission_date)
    target = profile.first_visit_target_days
    params: dict[str, object] = {
        "day": day,
        "first_visit_target_days": target,
        "first_visit_alert_after_days": profile.first_visit_alert_after_days,
        "first_child_visit": booked[0].isoformat() if booked else None,
    }
    if booked:
        visit_day = (booked[0] - admission_date).days
        params["within_target"] = visit_day <= target
        text = say("CF-14.booked", visit_day=visit_day, target_days=target)
        return result(RuleId.CF_14, text, passed=True, params=params, severity=ALERT)
    if day < profile.first_visit_alert_after_days:
        text = say("CF-14.not_due", day=day, alert_day=profile.first_visit_alert_after_days)
        return result(RuleId.CF_14, text, passed=True, params=params, severity=ALERT)
    text = say("CF-14.alert", day=day, target_days=target)
    return result(RuleId.CF_14, text, passed=False, params=params, severity=ALERT)


def contact_gap(
    child_id: str, last_visit: date | None, since: date, today: date, profile: Profile
) -> RuleResult:
    """CF-15: alert when a child has had no visit in person for ``alert_interval_days``.

    ``since``: when the count starts if the child has never visited (e.g. the admission date).
    """
    reference = max(last_visit, since) if last_visit else since
    days = (today - reference).days
    params = {
        "child": child_id,
        "days_without_visit": days,
        "target_interval_days": profile.target_interval_days,
        "alert_interval_days": profile.alert_interval_days,
    }
    passed = days < profile.alert_interval_days
    if passed:
        text = say("CF-15.pass", child=child_id, days=days, alert_days=profile.alert_interval_days)
    else:
        target = profile.target_interval_days
        text = say("CF-15.alert", child=child_id, days=days, target_days=target)
    return result(RuleId.CF_15, text, passed=passed, params=params, severity=ALERT)


def video_only_contact(
    child_id: str,
    last_in_person: date | None,
    video_dates: Iterable[date],
    since: date,
    today: date,
    profile: Profile,
) -> RuleResult:
    """CF-23: alert when a child's only contact for ``video_only_alert_days`` has been by video."""
    reference = max(last_in_person, since) if last_in_person else since
    days = (today - reference).days
    videos = [d for d in video_dates if reference < d <= today]
    params = {
        "child": child_id,
        "days_without_visit_in_person": days,
        "video_visits": len(videos),
        "video_only_alert_days": profile.video_only_alert_days,
    }
    passed = not videos or days < profile.video_only_alert_days
    if passed:
        text = say("CF-23.in_person", child=child_id, alert_days=profile.video_only_alert_days)
    else:
        text = say("CF-23.video_only", child=child_id, days=days)
    return result(RuleId.CF_23, text, passed=passed, params=params, severity=ALERT)
