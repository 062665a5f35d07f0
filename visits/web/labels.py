"""Words the family pages show for the domain's vocabularies, notices and problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from visits.enums import VISIT_TYPE_NAMES, AgeBand, Relationship, RoomFeature, VisitStatus
from visits.errors import DomainError
from visits.i18n import N_
from visits.rules.catalogue import RuleId

Gettext = Callable[..., str]

RELATIONSHIPS = {
    Relationship.CHILD: N_("Child"),
    Relationship.STEPCHILD: N_("Stepchild"),
    Relationship.FOSTER_CHILD: N_("Foster child"),
    Relationship.GRANDCHILD: N_("Grandchild"),
    Relationship.SIBLING: N_("Brother or sister"),
    Relationship.PARTNER: N_("Partner"),
    Relationship.PARENT: N_("Parent"),
    Relationship.GRANDPARENT: N_("Grandparent"),
    Relationship.OTHER_RELATIVE: N_("Other relative"),
    Relationship.FRIEND: N_("Friend"),
    Relationship.ESCORT: N_("Escort"),
}
FEATURES = {
    RoomFeature.PLAY_CORNER: N_("Play corner"),
    RoomFeature.BABY_CHANGING: N_("Baby changing"),
    RoomFeature.BOOKS_GAMES: N_("Books and games"),
    RoomFeature.TEEN_ZONE: N_("Corner for teenagers"),
    RoomFeature.OUTDOOR: N_("Outdoor play area"),
    RoomFeature.MOVABLE_FURNITURE: N_("Comfortable, movable furniture"),
    RoomFeature.STEP_FREE: N_("Step-free access"),
}
AGE_BANDS = {
    AgeBand.INFANT: N_("babies and toddlers (0 to 2)"),
    AgeBand.PRESCHOOL: N_("young children (3 to 5)"),
    AgeBand.SCHOOL: N_("school children (6 to 11)"),
    AgeBand.TEEN: N_("teenagers (12 to 17)"),
}
STATUSES = {
    VisitStatus.HELD: N_("Reserved, not booked yet"),
    VisitStatus.REQUESTED: N_("Requested: the visits team will check it"),
    VisitStatus.CONFIRMED: N_("Booked"),
    VisitStatus.REJECTED: N_("Not confirmed"),
    VisitStatus.CANCELLED: N_("Cancelled"),
    VisitStatus.EXPIRED: N_("Reservation ran out"),
    VisitStatus.ATTENDED: N_("Took place"),
    VisitStatus.NO_SHOW: N_("Missed"),
}
VERDICTS = {
    "fits": N_("Fits your group"),
    "warnings": N_("Possible, please read the notes"),
    "review": N_("Possible as a request: the visits team will check it"),
    "not_possible": N_("Not possible for this group"),
}
APPROVALS = {
    "pending": N_("The facility is checking this."),
    "approved": N_("Approved"),
    "rejected": N_("Not approved. Please contact the facility."),
}
DONE = {
    "visitor_added": N_("The person was added to your household."),
    "sms_saved": N_("Your text message preference was saved."),
    "approval_requested": N_("Thank you. The facility will check the request."),
    "held": N_("The time is reserved for you. Please confirm the booking below."),
    "confirmed": N_("Your visit is booked. We look forward to seeing you."),
    "requested": N_("Your request was sent. The visits team will get back to you."),
    "cancelled": N_("The visit was cancelled. You can book a new time at any point."),
    "rescheduled": N_("Your visit was moved to the new time."),
    "signed_out": N_("You are signed out. See you soon."),
}
# What a family reads for a rule that staff set aside for its visit: the subject only, never
# who decided or why. A confidential rule (safeguarding, a child's wish, closed visits) and any
# rule not named here read as a check by the facility.
SET_ASIDE_TOPICS: dict[str, str] = {
    RuleId.CF_01: N_("Who comes with the children"),
    RuleId.CF_04: N_("The approval of the visitors"),
    RuleId.CF_07: N_("The number of visitors"),
    RuleId.CF_07B: N_("The places left at this time"),
    RuleId.CF_08: N_("Who can come to this kind of visit"),
    RuleId.CF_10: N_("The visiting time for children this month"),
    RuleId.CF_11: N_("The number of visits allowed"),
    RuleId.CF_13: N_("The length of the visit"),
    RuleId.CF_BW: N_("How far ahead visits are booked"),
    RuleId.CF_24: N_("The children's ages for this programme"),
    RuleId.CF_25: N_("The approval of a long visit"),
}
A_CHECK_BY_THE_FACILITY = N_("A check by the facility")
# The sentence a family reads for a domain error, by the error's slug: one error type stands
# for several situations (a Conflict may be a full slot or a hold that ran out), and the pages
# speak more kindly and concretely than the API's details. Slugs read only here.
PROBLEMS = {
    "invalid-code": N_(
        "This code did not work. It may be mistyped, used already or expired. "
        "Please check it, or ask for a new code."
    ),
    "rate-limited": N_("There were many attempts in a short time. Please wait a few minutes."),
    "slot-full": N_(
        "Someone else has just taken the last place at this time. Please choose another time."
    ),
    "prisoner-busy": N_(
        "There is already a visit booked at this time. Please choose another time."
    ),
    "hold-expired": N_(
        "The reservation ran out before it was confirmed. Please choose the time "
        "again. It may still be free."
    ),
    "not-held": N_("This visit is no longer waiting for confirmation."),
    "past-cancel-cutoff": N_(
        "The visit is very soon, so it can no longer be cancelled online. "
        "Please call the facility. They will help you."
    ),
    "not-cancellable": N_("This visit cannot be cancelled any more."),
    "not-reschedulable": N_("This visit cannot be moved any more."),
    "same-slot": N_("Your visit is already at this time. Please choose another time."),
    "no-request-needed": N_(
        "This time is possible for your group without a request. Please reserve it as usual."
    ),
    "prisoner-not-matched": N_(
        "We could not find this person with these details. Please check "
        "the prison number and family name, or call the facility."
    ),
    "visit-not-found": N_("We could not find this visit."),
    "visitor-not-found": N_("We could not find this person in your household."),
    "no-invite": N_("There is no calendar entry for this visit yet."),
}
GENERIC_PROBLEM = N_(
    "Something did not work. Please try again, or call the facility. They are glad to help."
)
FIELD_ERRORS = {
    "guardian_name": N_("Please enter your name."),
    "email": N_("Please enter your e-mail address, for example name@example.org."),
    "phone": N_("Please enter a mobile number, for example 0151 23456789."),
    "language": N_("Please choose a language."),
    "code": N_("Please enter the 6-digit code from the message."),
    "given_name": N_("Please enter a first name."),
    "family_name": N_("Please enter a family name."),
    "birth_date": N_("Please enter a birth date in the past."),
    "relationship": N_("Please choose how the person is related."),
    "visitor": N_("Please choose a person."),
    "facility_id": N_("Please choose a facility."),
    "prison_number": N_("Please enter the prison number."),
    "prisoner_family_name": N_("Please enter the family name of the person in prison."),
}


class Labels:
    """Translated labels, for templates: ``label.visit_type(slot.visit_type)``."""

    def __init__(self, gettext: Gettext) -> None:
        self._ = gettext

    def _pick(self, table: dict[Any, str], key: Any) -> str:
        text = table.get(key)
        return self._(text) if text else str(key)

    def relationship(self, key: Any) -> str:
        return self._pick(RELATIONSHIPS, key)

    def visit_type(self, key: Any) -> str:
        return self._pick(VISIT_TYPE_NAMES, key)

    def feature(self, key: Any) -> str:
        return self._pick(FEATURES, key)

    def age_band(self, key: Any) -> str:
        return self._pick(AGE_BANDS, key)

    def status(self, key: Any) -> str:
        return self._pick(STATUSES, key)

    def verdict(self, key: Any) -> str:
        return self._pick(VERDICTS, key)

    def approval(self, key: Any) -> str:
        return self._pick(APPROVALS, key)

    def relationships(self) -> list[tuple[str, str]]:
        return [(key.value, self._(text)) for key, text in RELATIONSHIPS.items()]


def set_aside_topic(rule_id: str, *, confidential: bool, gettext: Gettext) -> str:
    """The subject of a rule staff set aside for the family's visit, in the page's words."""
    topic = None if confidential else SET_ASIDE_TOPICS.get(rule_id)
    return gettext(topic or A_CHECK_BY_THE_FACILITY)


def done_message(key: str | None, gettext: Gettext) -> str | None:
    text = DONE.get(key or "")
    return gettext(text) if text else None


def problem_message(error: DomainError, sentences: dict[str, str], gettext: Gettext) -> str:
    """The page's sentence for ``error`` (from ``sentences``, keyed on its slug), else a
    general one."""
    return gettext(sentences.get(error.slug, GENERIC_PROBLEM))


def field_messages(errors: list[dict[str, Any]], gettext: Gettext) -> dict[str, str]:
    """Per form field, one kind sentence (the API's technical details stay out)."""
    result = {}
    for error in errors:
        name = str(error.get("name", ""))
        result[name] = gettext(FIELD_ERRORS.get(name, GENERIC_PROBLEM))
    return result
