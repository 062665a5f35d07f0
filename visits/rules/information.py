"""F. Information and the child's voice (CF-20, CF-21, CF-22).

What each child is told depends on their age band; what a child of ``child_voice_age`` or over
has said about visiting is heard, and a visit against it goes to a safeguarding lead. The family
is told only that staff will be in touch, so a child's wish is never exposed to the booker.
"""

from __future__ import annotations

from visits.rules.catalogue import RuleId
from visits.rules.model import RuleResult, VisitWish
from visits.rules.party import Party
from visits.rules.results import result
from visits.rules.rooms import child_bands
from visits.rules.texts import and_list, say


def age_appropriate_information(party: Party) -> RuleResult:
    """CF-21: the confirmation carries information for each child's age band."""
    bands = child_bands(party)
    params = {"age_bands": bands}
    text = say("CF-21.bands", bands=and_list(bands)) if bands else say("CF-21.no_children")
    return result(RuleId.CF_21, text, passed=True, params=params, in_confirmation=True)


def child_voice(party: Party) -> RuleResult:
    """CF-22: a visit against the recorded wish of a child aged ``child_voice_age`` or over goes
    to staff review."""
    voice_age = party.profile.child_voice_age
    against = [
        p.member.visitor_id
        for p in party.children
        if p.age >= voice_age and p.member.visit_wish is VisitWish.NO
    ]
    params = {"child_voice_age": voice_age, "children_against": against}
    if not against:
        text = say("CF-22.pass", voice_age=voice_age)
        return result(RuleId.CF_22, text, passed=True, params={"child_voice_age": voice_age})
    return result(
        RuleId.CF_22,
        say("CF-22.fail", voice_age=voice_age),
        passed=False,
        params=params,
        family_text=say("family.review"),
    )
