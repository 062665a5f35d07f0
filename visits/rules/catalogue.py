"""The rule catalogue's ids with their severity, override role and kind, as the code knows them.

The ids are those of the design catalogue and appear unchanged in results, the API and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from visits.enums import StaffRole
from visits.rules.severity import Severity


class Kind(StrEnum):
    BOOKING = "booking"  # evaluated for every booking by ``engine.evaluate``
    ALERT = "alert"  # produced by scheduled jobs (``alerts``)
    STAFF_INFO = "staff_info"  # shown to staff outside the booking (CF-20 day sheet)


@dataclass(frozen=True)
class RuleSpec:
    rule_id: str
    severity: Severity  # the catalogue's severity; some results vary it (see each rule)
    overridable_by: StaffRole | None
    route_to_review: bool  # a failure goes to staff review instead of a refusal
    kinds: tuple[Kind, ...]


_OFFICER, _MANAGER, _LEAD = (
    StaffRole.VISITS_OFFICER,
    StaffRole.VISITS_MANAGER,
    StaffRole.SAFEGUARDING_LEAD,
)
_B, _A, _S = Kind.BOOKING, Kind.ALERT, Kind.STAFF_INFO
H, SO, IN, AL = Severity.HARD, Severity.SOFT, Severity.INFO, Severity.ALERT

RULES: dict[str, RuleSpec] = {
    spec.rule_id: spec
    for spec in (
        # A. Who may come
        RuleSpec("CF-01", H, _MANAGER, False, (_B,)),
        RuleSpec("CF-02", SO, None, False, (_B,)),
        RuleSpec("CF-03", IN, None, False, (_B,)),
        RuleSpec("CF-04", H, _OFFICER, False, (_B,)),
        RuleSpec("CF-05", H, _LEAD, True, (_B,)),
        RuleSpec("CF-06", H, None, False, (_B,)),
        # B. How many
        RuleSpec("CF-07", H, _MANAGER, False, (_B,)),
        RuleSpec("CF-08", H, _MANAGER, False, (_B,)),
        RuleSpec("CF-07b", H, _MANAGER, False, (_B,)),
        # C. Allowances
        RuleSpec("CF-09", AL, None, False, (_A,)),
        RuleSpec("CF-10", H, _MANAGER, False, (_B,)),
        RuleSpec("CF-11", H, _OFFICER, False, (_B,)),
        RuleSpec("CF-12", H, None, False, (_B,)),
        RuleSpec("CF-13", H, _MANAGER, False, (_B,)),
        # D. Timing
        RuleSpec("CF-14", AL, None, False, (_A,)),
        RuleSpec("CF-15", AL, None, False, (_A,)),
        RuleSpec("CF-16", SO, None, False, (_B,)),
        RuleSpec("CF-17", SO, None, False, (_B,)),
        RuleSpec("CF-BW", H, _OFFICER, False, (_B,)),
        # E. Rooms and visit types
        RuleSpec("CF-18", SO, None, False, (_B,)),
        RuleSpec("CF-19", H, _LEAD, True, (_B,)),
        RuleSpec("CF-20", IN, None, False, (_S,)),
        RuleSpec("CF-24", H, _MANAGER, False, (_B,)),
        RuleSpec("CF-25", H, _MANAGER, True, (_B,)),
        # F. Information and the child's voice
        RuleSpec("CF-21", IN, None, False, (_B,)),
        RuleSpec("CF-22", SO, _LEAD, True, (_B,)),
        RuleSpec("CF-23", H, None, False, (_B, _A)),
    )
}

BOOKING_RULE_IDS: tuple[str, ...] = tuple(i for i, s in RULES.items() if Kind.BOOKING in s.kinds)
ALERT_RULE_IDS: tuple[str, ...] = tuple(i for i, s in RULES.items() if Kind.ALERT in s.kinds)
