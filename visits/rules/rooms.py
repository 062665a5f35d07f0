"""E. Rooms and visit types (CF-18, CF-19, CF-24, CF-25): suitable rooms, closed visits with
children, family programmes' age eligibility, and long visits."""

from __future__ import annotations

from visits.enums import VisitType
from visits.rules.catalogue import RuleId
from visits.rules.model import PrisonerFacts, RuleResult, SlotFacts
from visits.rules.party import Party
from visits.rules.profiles import Profile
from visits.rules.results import result
from visits.rules.texts import and_list, say, visit_type_name


def child_bands(party: Party) -> list[str]:
    """The age-band labels of the children in the party, youngest first, each once."""
    labels = (party.profile.age_band(p.age) for p in sorted(party.children, key=lambda p: p.age))
    return list(dict.fromkeys(label for label in labels if label is not None))


def child_friendly_room(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-18: a visit with children goes to a room suited to each child's age band."""
    needed = child_bands(party)
    missing = [band for band in needed if band not in slot.room_age_bands]
    params = {
        "child_age_bands": needed,
        "room_age_bands": sorted(slot.room_age_bands),
        "room_features": sorted(feature.value for feature in slot.room_features),
        "missing_age_bands": missing,
    }
    severity = party.profile.child_room_severity
    if not missing:
        return result(
            RuleId.CF_18, say("CF-18.pass"), passed=True, params=params, severity=severity
        )
    text = say("CF-18.fail", bands=and_list(missing))
    return result(RuleId.CF_18, text, passed=False, params=params, severity=severity)


def closed_visit_with_children(
    party: Party, slot: SlotFacts, prisoner: PrisonerFacts
) -> RuleResult:
    """CF-19: a closed (glass-partition) visit with a child is never self-booked: staff review.

    When the prisoner's own closed-visits status is the cause, the family sees a neutral text.
    """
    params = {
        "room_closed_visits": slot.room_closed_visits,
        "prisoner_closed_visits_only": prisoner.closed_visits_only,
        "children": len(party.children),
    }
    closed = slot.room_closed_visits or prisoner.closed_visits_only
    if not closed or not party.children:
        return result(RuleId.CF_19, say("CF-19.pass"), passed=True, params=params)
    if prisoner.closed_visits_only:
        return result(
            RuleId.CF_19,
            say("CF-19.prisoner_closed"),
            passed=False,
            params=params,
            family_text=say("family.review"),
        )
    return result(RuleId.CF_19, say("CF-19.fail"), passed=False, params=params)


def family_programme(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-24: family programmes are for children of given ages; every child in the party must be
    eligible. The refusal points to child and family visits, where all siblings can come."""
    programme = party.profile.programmes.for_type(slot.visit_type)
    if programme is None:
        return result(RuleId.CF_24, say("CF-24.not_programme"), passed=True)
    name = visit_type_name(slot.visit_type)
    outside = [
        p.member.visitor_id
        for p in party.children
        if not programme.min_child_age <= p.age <= programme.max_child_age
    ]
    params = {
        "visit_type": slot.visit_type.value,
        "min_child_age": programme.min_child_age,
        "max_child_age": programme.max_child_age,
        "children_required": programme.children_required,
        "children_outside_ages": outside,
        "ledger": "family_programme",
    }
    if programme.children_required and not party.children:
        text = say("CF-24.children_required", programme=name)
        return result(RuleId.CF_24, text, passed=False, params=params)
    if outside:
        text = say(
            "CF-24.ages",
            programme=name,
            min_age=programme.min_child_age,
            max_age=programme.max_child_age,
        )
        return result(RuleId.CF_24, text, passed=False, params=params)
    return result(RuleId.CF_24, say("CF-24.pass", programme=name), passed=True, params=params)


def long_visit(slot: SlotFacts, profile: Profile) -> RuleResult:
    """CF-25: long visits (Langzeitbesuch) need the governor's approval: staff review."""
    needs = slot.visit_type is VisitType.LONG_VISIT and profile.long_visit_requires_approval
    key = "CF-25.fail" if needs else "CF-25.pass"
    params = {"long_visit_requires_approval": profile.long_visit_requires_approval}
    return result(RuleId.CF_25, say(key), passed=not needs, params=params)
