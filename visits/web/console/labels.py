"""Words the staff console shows: roles, notices after an action, problems and form fields,
and the messages to families (their kinds, channels and states)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_date, get_day_names

from visits.enums import ContactChannel, NoticeKind, ReminderState, StaffRole
from visits.i18n import N_
from visits.rules.catalogue import RuleId
from visits.web.labels import GENERIC_PROBLEM, Gettext

ROLES = {
    StaffRole.VISITS_OFFICER: N_("Visits officer"),
    StaffRole.VISITS_MANAGER: N_("Visits manager"),
    StaffRole.SAFEGUARDING_LEAD: N_("Safeguarding lead"),
    StaffRole.ADMIN: N_("Administrator"),
}
# The messages to families, in a word or two (the visit page and the notices list).
NOTICE_KINDS = {
    NoticeKind.SIGN_IN_CODE: N_("Sign-in code"),
    NoticeKind.PHONE_CODE: N_("Code to confirm a mobile number"),
    NoticeKind.VISIT_BOOKED: N_("Visit booked"),
    NoticeKind.VISIT_CONFIRMED: N_("Visit confirmed"),
    NoticeKind.VISIT_REJECTED: N_("Request rejected"),
    NoticeKind.REQUEST_EXPIRED: N_("Request not decided in time"),
    NoticeKind.VISIT_CANCELLED: N_("Visit cancelled"),
    NoticeKind.VISIT_MOVED: N_("Visit rescheduled"),
    NoticeKind.VISIT_AFFECTED: N_("Visit affected by a change"),
}
CHANNELS = {ContactChannel.EMAIL: N_("E-mail"), ContactChannel.SMS: N_("Text message")}
NOTICE_STATES = {
    ReminderState.PENDING: N_("Waiting to be sent"),
    ReminderState.SENDING: N_("Being sent"),
    ReminderState.SENT: N_("Sent"),
    ReminderState.DELIVERED: N_("Delivered"),
    ReminderState.FAILED: N_("Failed"),
    ReminderState.UNDELIVERABLE: N_("Undeliverable"),
    ReminderState.CANCELLED: N_("Not sent"),
}
DONE = {
    "signed_out": N_("You are signed out."),
    "room_added": N_("The room was added."),
    "room_saved": N_("The room was saved. New capacity applies to slots published from now on."),
    "template_added": N_("The template was saved. Publish the slots to open them for booking."),
    "published": N_("The slots were published."),
    "closure_added": N_("The closure was saved. Its booked visits are in the review queue."),
    "closure_removed": N_("The closure was removed and its slots are open again."),
    "approved": N_("Decision saved. The household was told."),
    "rejected": N_("The request was rejected. The household was told."),
    "cancelled": N_("The visit was cancelled. The household was told."),
    "overridden": N_("The override was saved with its reason."),
    "booked": N_("The visit is booked. The household was told."),
    "requested": N_("The booking was saved as a request for review."),
    "room_removed": N_(
        "The room was taken out of use. Its templates ended and its free slots were removed."
    ),
    "template_saved": N_("The template was changed. Its slots ahead follow the change."),
    "template_removed": N_(
        "The template was removed. Its free slots ahead were removed and it publishes no more."
    ),
    "facility_created": N_("The facility was created. Add its rooms next, then slot templates."),
    "moved": N_("The visit was moved. The household was told."),
}
# What staff read for a domain error, by its slug (see ``visits.web.labels.PROBLEMS``).
PROBLEMS = {
    "invalid-credentials": N_("The e-mail address or password is wrong."),
    "rate-limited": N_("There were many attempts in a short time. Please wait a few minutes."),
    "forbidden": N_("Your role does not allow this here."),
    "facility-not-found": N_("There is no such facility."),
    "visit-not-found": N_("There is no such visit."),
    "room-not-found": N_("There is no such room."),
    "closure-not-found": N_("There is no such closure."),
    "slot-not-found": N_("There is no such slot."),
    "household-not-found": N_("There is no such household."),
    "slot-full": N_("This slot has just been filled. Please choose another."),
    "prisoner-busy": N_("The prisoner already has a visit at this time."),
    "nothing-to-decide": N_("This visit is not waiting for a decision any more."),
    "nothing-to-override": N_("This rule did not fail for this visit."),
    "not-cancellable": N_("This visit cannot be cancelled any more."),
    "template-overlap": N_("The template overlaps another template in this room."),
    "template-not-found": N_("There is no such slot template."),
    "template-in-use": N_(
        "Visits are booked in this template's slots ahead. Move or cancel them first; the "
        "families are told."
    ),
    "room-in-use": N_(
        "Visits are booked in this room ahead. Move or cancel them first; the families are told."
    ),
    "facility-exists": N_("A facility with this short name exists. Please choose another."),
    "not-reschedulable": N_("This visit cannot be moved any more."),
    "same-slot": N_("The visit is already at this time. Please choose another."),
}
CRASHED = N_(
    "Something went wrong on our side and was logged. Please open the page again to see "
    "whether the change was saved before you repeat it."
)
FIELD_ERRORS = {
    "email": N_("Please enter your e-mail address."),
    "password": N_("Please enter your password."),
    "name": N_("Please enter a name (up to 200 characters)."),
    "description": N_("The description is too long."),
    "features": N_("Please choose features from the list."),
    "age_bands": N_("Please choose age groups from the list."),
    "room_id": N_("Please choose a room of this facility."),
    "visit_type": N_("Please choose a kind of visit."),
    "weekday": N_("Please choose a weekday."),
    "start_time": N_("Please enter a start time such as 14:30."),
    "duration_minutes": N_("Please enter a length from 15 to 1440 minutes."),
    "interval_weeks": N_("Please enter every how many weeks, from 1 to 52."),
    "valid_from": N_("Please enter the first date, such as 2026-12-01."),
    "valid_to": N_("The last date must be a date on or after the first date."),
    "starts_on": N_("Please enter the first closed date."),
    "ends_on": N_("The last date must be on or after the first date, at most a year later."),
    "reason": N_("Please give a reason of at least 3 characters."),
    "decision": N_("Please choose a decision."),
    "rule_id": N_("Please choose a rule."),
    "slot_id": N_("Please choose a slot."),
    "visitor_ids": N_("Please choose who comes."),
    "prisoner_id": N_("Please choose whom the family visits."),
    "household": N_("Please enter the household's e-mail address or mobile number."),
    "support_needs": N_("Support needs can be at most 1000 characters."),
    "slug": N_("Please enter 2 to 63 lower-case letters, digits and dashes, such as jva-nord."),
    "country": N_("Please enter the two-letter country code, such as DE."),
    "languages": N_("Please choose at least one language."),
}
# The heading of each group on the alerts page, in the order the page shows them.
ALERT_TITLES = {
    RuleId.CF_14: N_("No first visit within 7 days of the parent's admission (CF-14)"),
    RuleId.CF_15: N_("No visit for 28 days (CF-15)"),
    RuleId.CF_23: N_("Only video contact (CF-23)"),
    RuleId.CF_09: N_("Capacity below the statutory minimum (CF-09)"),
}
# Sentences naming a field's limits, which pages read from the field's schema
# (``forms.bounds``) and pass to ``field_messages``.
LIMIT_ERRORS = {
    "name": N_("Please enter a name of up to %(max_length)d characters."),
    "description": N_("The description can have at most %(max_length)d characters."),
    "capacity_tables": N_("Please enter a number of tables from %(min)d to %(max)d."),
    "capacity_seats": N_("Please enter a number of seats from %(min)d to %(max)d."),
    "capacity_children": N_("Please enter a number of children from %(min)d to %(max)d."),
    "street": N_("Please enter the street and number (up to %(max_length)d characters)."),
    "postal_code": N_("Please enter the postal code (up to %(max_length)d characters)."),
    "city": N_("Please enter the town (up to %(max_length)d characters)."),
    "timezone": N_("Please enter a time zone name such as Europe/Berlin."),
    "email": N_("Please enter the e-mail address families write to."),
    "phone": N_("Please enter a phone number with digits, spaces and + ( ) / . - only."),
    "min_notice_hours": N_("Please enter a notice in hours from %(min)d to %(max)d."),
    "max_days_ahead": N_("Please enter a number of days from %(min)d to %(max)d."),
    "rule_profile": N_("Please choose a rule profile from the list."),
}
OVERLAP_MESSAGE = N_("This overlaps another template in the same room (first on %(day)s).")


class ConsoleLabels:
    """Translated console words, for templates: ``console.role(role)``."""

    def __init__(self, gettext: Gettext, language: str) -> None:
        self._ = gettext
        self.language = language

    def role(self, key: Any) -> str:
        text = ROLES.get(key)
        return self._(text) if text else str(key)

    def alert_title(self, rule: RuleId) -> str:
        text = ALERT_TITLES.get(rule)
        return self._(text) if text else str(rule)

    def notice_kind(self, key: Any) -> str:
        text = NOTICE_KINDS.get(key)
        return self._(text) if text else str(key)

    def channel(self, key: Any) -> str:
        text = CHANNELS.get(key)
        return self._(text) if text else str(key)

    def notice_state(self, key: Any, attempts: int = 0) -> str:
        """A notice's state; a pending one that failed before waits for another attempt."""
        if key == ReminderState.PENDING and attempts > 0:
            return self._("Failed, will be tried again")
        text = NOTICE_STATES.get(key)
        return self._(text) if text else str(key)

    def weekday(self, number: int) -> str:
        """The name of weekday ``number`` (0 is Monday, as ``date.weekday()`` counts)."""
        return str(get_day_names("wide", locale=self.language)[number])

    def weekdays(self) -> list[tuple[int, str]]:
        return [(number, self.weekday(number)) for number in range(7)]


def done_message(key: str | None, gettext: Gettext) -> str | None:
    text = DONE.get(key or "")
    return gettext(text) if text else None


def field_messages(
    errors: list[dict[str, Any]],
    gettext: Gettext,
    language: str,
    limits: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, str]:
    """One sentence per form field; an overlap (its ``code``) names the first day it happens,
    written in ``language``; a field with ``limits`` (from its schema) names them."""
    result: dict[str, str] = {}
    for error in errors:
        name = str(error.get("name", ""))
        if error.get("code") == "overlap" and error.get("day"):
            day = format_date(date.fromisoformat(str(error["day"])), "medium", locale=language)
            result[name] = gettext(OVERLAP_MESSAGE) % {"day": day}
        elif limits is not None and name in limits and name in LIMIT_ERRORS:
            result.setdefault(name, gettext(LIMIT_ERRORS[name]) % limits[name])
        elif name not in result:
            result[name] = gettext(FIELD_ERRORS.get(name, GENERIC_PROBLEM))
    return result
