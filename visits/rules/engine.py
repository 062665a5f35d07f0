"""The booking-time rule engine: one pure call that returns a result for every booking rule.

``evaluate`` never refuses anything itself; ``decision.decide`` turns the results (and any staff
overrides) into bookable, review or refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from visits.rules import allowances, how_many, information, rooms, timing, who
from visits.rules.catalogue import BOOKING_RULE_IDS
from visits.rules.model import (
    BookingContext,
    HouseholdHistory,
    PartyMember,
    PrisonerFacts,
    RuleResult,
    SlotFacts,
)
from visits.rules.party import Party


def evaluate(
    party: Sequence[PartyMember],
    slot: SlotFacts,
    prisoner: PrisonerFacts,
    history: HouseholdHistory,
    context: BookingContext,
) -> list[RuleResult]:
    """Every booking-time rule of the catalogue, in catalogue order, passed or not.

    Ages are taken on the slot's local date (CF-06). Raises ``ValueError`` for inputs no caller
    should produce (a visitor twice in the party, naive datetimes).
    """
    profile = context.profile
    people = Party.on(party, slot.visit_date, profile)
    results = [
        who.lead_visitor(people),
        who.guardian_consent(people, history),
        who.id_documents(people),
        who.approval(people, prisoner),
        who.safeguarding(people, prisoner),
        who.ages_on_visit_date(people),
        how_many.visitor_caps(people),
        how_many.composition(people, slot),
        how_many.room_capacity(people, slot),
        allowances.child_contingent(people, slot, prisoner),
        allowances.visits_per_period(slot, prisoner, context),
        allowances.neither_reward_nor_sanction(people, prisoner),
        allowances.child_visit_length(people, slot),
        timing.school_hours(people, slot),
        timing.young_children_times(people, slot),
        timing.booking_window(slot, context),
        rooms.child_friendly_room(people, slot),
        rooms.closed_visit_with_children(people, slot, prisoner),
        rooms.family_programme(people, slot),
        rooms.long_visit(slot, profile),
        information.age_appropriate_information(people),
        information.child_voice(people),
        allowances.video_adds(slot, profile),
    ]
    if tuple(r.rule_id for r in results) != BOOKING_RULE_IDS:  # a wiring bug, never input
        raise AssertionError("evaluate() must return the catalogue's booking rules in order")
    return results
