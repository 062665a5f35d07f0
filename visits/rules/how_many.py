"""B. How many (CF-07, CF-08, CF-07b): caps per visit, per visit type and per room.

A refusal here never asks a family to leave a child at home: the texts point to family slots and
to a request the visits team can look at.
"""

from __future__ import annotations

from visits.rules.catalogue import RuleId
from visits.rules.model import RuleResult, SlotFacts
from visits.rules.party import Party
from visits.rules.results import result
from visits.rules.texts import joined, say, visit_type_name


def visitor_caps(party: Party) -> RuleResult:
    """CF-07: adults, children and total per visit. Infants below ``seat_age`` need no seat and,
    unless ``infants_count_toward_caps``, do not count toward the child and total caps."""
    profile = party.profile
    adults = len(party.adults)
    counted = [
        p for p in party.children if profile.infants_count_toward_caps or p.age >= profile.seat_age
    ]
    children = len(counted)
    params = {
        "adults": adults,
        "children": children,
        "total": adults + children,
        "max_adults": profile.max_adults,
        "max_children": profile.max_children,
        "max_total": profile.max_total,
    }
    if not party.people:
        return result(RuleId.CF_07, say("CF-07.empty"), passed=False, params=params)
    caps = {
        "max_adults": profile.max_adults,
        "max_children": profile.max_children,
        "max_total": profile.max_total,
    }
    over = (
        adults > profile.max_adults
        or children > profile.max_children
        or adults + children > profile.max_total
    )
    if over:
        text = say("CF-07.fail", adults=adults, children=children, **caps)
    else:
        text = say("CF-07.pass", **caps)
    return result(RuleId.CF_07, text, passed=not over, params=params)


def composition(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-08: what a visit type is for, e.g. a child and family visit needs children and allows
    one accompanying adult besides them."""
    rule = party.profile.composition.for_type(slot.visit_type)
    adults = len(party.adults)
    params = {
        "visit_type": slot.visit_type.value,
        "children_required": rule.children_required,
        "max_accompanying_adults": rule.max_accompanying_adults,
        "adults": adults,
        "children": len(party.children),
    }
    name = visit_type_name(slot.visit_type)
    texts = []
    if rule.children_required and not party.children:
        texts.append(say("CF-08.children_required", visit_type=name))
    if rule.max_accompanying_adults is not None and adults > rule.max_accompanying_adults:
        texts.append(
            say(
                "CF-08.too_many_adults",
                visit_type=name,
                max_adults=rule.max_accompanying_adults,
                adults=adults,
            )
        )
    text = joined(texts) if texts else say("CF-08.pass")
    return result(RuleId.CF_08, text, passed=not texts, params=params)


def room_capacity(party: Party, slot: SlotFacts) -> RuleResult:
    """CF-07b: tables, seats and children left in the slot, after every concurrent booking."""
    need = party.usage()
    params = {
        "need_tables": need.tables,
        "need_seats": need.seats,
        "need_children": need.children,
        "remaining_tables": slot.remaining_tables,
        "remaining_seats": slot.remaining_seats,
        "remaining_children": slot.remaining_children,
    }
    fits = (
        need.tables <= slot.remaining_tables
        and need.seats <= slot.remaining_seats
        and need.children <= slot.remaining_children
    )
    if fits:
        return result(RuleId.CF_07B, say("CF-07b.pass"), passed=True, params=params)
    text = say(
        "CF-07b.fail",
        tables=max(slot.remaining_tables, 0),
        seats=max(slot.remaining_seats, 0),
        children=max(slot.remaining_children, 0),
        need_seats=need.seats,
        need_children=need.children,
    )
    return result(RuleId.CF_07B, text, passed=False, params=params)
