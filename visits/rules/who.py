"""A. Who may come (CF-01 … CF-06): companions, consent, ID, approval, safeguarding, ages."""

from __future__ import annotations

from visits.enums import CustodyStatus
from visits.rules.catalogue import RuleId
from visits.rules.model import HouseholdHistory, PrisonerFacts, RuleResult
from visits.rules.party import Party
from visits.rules.results import result
from visits.rules.texts import Day, joined, say


def lead_visitor(party: Party) -> RuleResult:
    """CF-01: a child below ``unaccompanied_min_age`` comes with someone of ``lead_min_age``+."""
    profile = party.profile
    alone = [
        child.member.visitor_id
        for child in party.people
        if child.age < profile.unaccompanied_min_age
        and not any(lead.member.visitor_id != child.member.visitor_id for lead in party.leads)
    ]
    params = {
        "lead_min_age": profile.lead_min_age,
        "unaccompanied_min_age": profile.unaccompanied_min_age,
        "unaccompanied_children": alone,
    }
    key = "CF-01.fail" if alone else "CF-01.pass"
    text = say(
        key,
        unaccompanied_min_age=profile.unaccompanied_min_age,
        lead_min_age=profile.lead_min_age,
    )
    return result(RuleId.CF_01, text, passed=not alone, params=params)


def guardian_consent(party: Party, history: HouseholdHistory) -> RuleResult:
    """CF-02: children without their guardian bring written consent (a checklist, not a refusal).

    Applies to children with a non-guardian adult and, where the profile says so, to minors
    coming on their own. Consent already on file satisfies it.
    """
    profile = party.profile
    guardian_present = any(p.member.is_guardian for p in party.adults)
    missing = [
        p.member.visitor_id
        for p in party.children
        if p.member.visitor_id not in history.consent_on_file
    ]
    params: dict[str, object] = {
        "children_without_consent": [],
        "guardian_id_copy": profile.consent_requires_guardian_id_copy,
    }
    if not party.children or guardian_present:
        return result(RuleId.CF_02, say("CF-02.pass"), passed=True, params=params)
    if not missing:
        return result(RuleId.CF_02, say("CF-02.on_file"), passed=True, params=params)
    suffix = "_id" if profile.consent_requires_guardian_id_copy else ""
    if party.leads:
        key = "CF-02.consent"
    elif profile.unaccompanied_requires_consent:
        key = "CF-02.unaccompanied"
    else:
        return result(RuleId.CF_02, say("CF-02.pass"), passed=True, params=params)
    params["children_without_consent"] = missing
    return result(
        RuleId.CF_02, say(key + suffix), passed=False, params=params, in_confirmation=True
    )


def id_documents(party: Party) -> RuleResult:
    """CF-03: who needs an ID document at the gate, shown before the visit and in the confirmation.

    Children under ``id_exempt_under_age`` are exempt only when someone old enough to lead comes.
    """
    exempt_age = party.profile.id_exempt_under_age
    accompanied = bool(party.leads)
    needs_id = [p.member.visitor_id for p in party.people if p.age >= exempt_age or not accompanied]
    text = say("CF-03.all") if exempt_age == 0 else say("CF-03.from_age", age=exempt_age)
    params = {"id_exempt_under_age": exempt_age, "needs_id": needs_id}
    return result(RuleId.CF_03, text, passed=True, params=params, in_confirmation=True)


def approval(party: Party, prisoner: PrisonerFacts) -> RuleResult:
    """CF-04: every visitor is approved for this prisoner; on remand, a court permit if required."""
    not_approved = [p.member.visitor_id for p in party.people if not p.member.approved_for_prisoner]
    permit_needed = (
        party.profile.requires_court_permit_on_remand
        and prisoner.custody_status is CustodyStatus.REMAND
    )
    no_permit = (
        [p.member.visitor_id for p in party.people if not p.member.court_permit_valid]
        if permit_needed
        else []
    )
    params = {
        "court_permit_required": permit_needed,
        "not_approved": not_approved,
        "without_court_permit": no_permit,
    }
    keys = [k for k, ids in (("not_approved", not_approved), ("no_permit", no_permit)) if ids]
    text = joined(say(f"CF-04.{k}") for k in keys) if keys else say("CF-04.pass")
    return result(RuleId.CF_04, text, passed=not keys, params=params)


def safeguarding(party: Party, prisoner: PrisonerFacts) -> RuleResult:
    """CF-05: a safeguarding restriction blocks self-booking and goes to a safeguarding lead.

    Families are told only to contact the facility; the reason stays in the staff text.
    """
    prisoner_codes = sorted(set(prisoner.restrictions)) if party.children else []
    visitor_flags = {
        p.member.visitor_id: sorted(set(p.member.safeguarding_flags))
        for p in party.people
        if p.member.safeguarding_flags
    }
    if not prisoner_codes and not visitor_flags:
        return result(RuleId.CF_05, say("CF-05.pass"), passed=True)
    codes = sorted({*prisoner_codes, *(c for flags in visitor_flags.values() for c in flags)})
    params = {"prisoner_restrictions": prisoner_codes, "visitor_flags": visitor_flags}
    return result(
        RuleId.CF_05,
        say("CF-05.fail", codes=", ".join(codes)),
        passed=False,
        params=params,
        family_text=say("family.contact_facility"),
    )


def ages_on_visit_date(party: Party) -> RuleResult:
    """CF-06: ages are those on the visit date; a birth date after it cannot be right."""
    params = {
        "visit_date": party.visit_date.isoformat(),
        "ages": party.ages(),
        "born_after_visit": list(party.unborn),
    }
    if party.unborn:
        return result(RuleId.CF_06, say("CF-06.unborn"), passed=False, params=params)
    text = say("CF-06.pass", visit_date=Day(party.visit_date))
    return result(RuleId.CF_06, text, passed=True, params=params)
