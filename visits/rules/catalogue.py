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


class RuleId(StrEnum):
    """Every rule id, named once: code outside this module uses these, never a literal."""

    CF_01 = "CF-01"
    CF_02 = "CF-02"
    CF_03 = "CF-03"
    CF_04 = "CF-04"
    CF_05 = "CF-05"
    CF_06 = "CF-06"
    CF_07 = "CF-07"
    CF_08 = "CF-08"
    CF_07B = "CF-07b"
    CF_09 = "CF-09"
    CF_10 = "CF-10"
    CF_11 = "CF-11"
    CF_12 = "CF-12"
    CF_13 = "CF-13"
    CF_14 = "CF-14"
    CF_15 = "CF-15"
    CF_16 = "CF-16"
    CF_17 = "CF-17"
    CF_BW = "CF-BW"
    CF_18 = "CF-18"
    CF_19 = "CF-19"
    CF_20 = "CF-20"
    CF_24 = "CF-24"
    CF_25 = "CF-25"
    CF_21 = "CF-21"
    CF_22 = "CF-22"
    CF_23 = "CF-23"


@dataclass(frozen=True)
class RuleSpec:
    rule_id: RuleId
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
        RuleSpec(RuleId.CF_01, H, _MANAGER, False, (_B,)),
        RuleSpec(RuleId.CF_02, SO, None, False, (_B,)),
        RuleSpec(RuleId.CF_03, IN, None, False, (_B,)),
        RuleSpec(RuleId.CF_04, H, _OFFICER, False, (_B,)),
        RuleSpec(RuleId.CF_05, H, _LEAD, True, (_B,)),
        RuleSpec(RuleId.CF_06, H, None, False, (_B,)),
        # B. How many
        RuleSpec(RuleId.CF_07, H, _MANAGER, False, (_B,)),
        RuleSpec(RuleId.CF_08, H, _MANAGER, False, (_B,)),
        RuleSpec(RuleId.CF_07B, H, _MANAGER, False, (_B,)),
        # C. Allowances
        RuleSpec(RuleId.CF_09, AL, None, False, (_A,)),
        RuleSpec(RuleId.CF_10, H, _MANAGER, False, (_B,)),
        RuleSpec(RuleId.CF_11, H, _OFFICER, False, (_B,)),
        RuleSpec(RuleId.CF_12, H, None, False, (_B,)),
        RuleSpec(RuleId.CF_13, H, _MANAGER, False, (_B,)),
        # D. Timing
        RuleSpec(RuleId.CF_14, AL, None, False, (_A,)),
        RuleSpec(RuleId.CF_15, AL, None, False, (_A,)),
        RuleSpec(RuleId.CF_16, SO, None, False, (_B,)),
        RuleSpec(RuleId.CF_17, SO, None, False, (_B,)),
        RuleSpec(RuleId.CF_BW, H, _OFFICER, False, (_B,)),
        # E. Rooms and visit types
        RuleSpec(RuleId.CF_18, SO, None, False, (_B,)),
        RuleSpec(RuleId.CF_19, H, _LEAD, True, (_B,)),
        RuleSpec(RuleId.CF_20, IN, None, False, (_S,)),
        RuleSpec(RuleId.CF_24, H, _MANAGER, False, (_B,)),
        RuleSpec(RuleId.CF_25, H, _MANAGER, True, (_B,)),
        # F. Information and the child's voice
        RuleSpec(RuleId.CF_21, IN, None, False, (_B,)),
        RuleSpec(RuleId.CF_22, SO, _LEAD, True, (_B,)),
        RuleSpec(RuleId.CF_23, H, None, False, (_B, _A)),
    )
}

BOOKING_RULE_IDS: tuple[str, ...] = tuple(i for i, s in RULES.items() if Kind.BOOKING in s.kinds)
ALERT_RULE_IDS: tuple[str, ...] = tuple(i for i, s in RULES.items() if Kind.ALERT in s.kinds)
