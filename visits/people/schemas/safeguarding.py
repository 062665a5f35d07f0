"""Staff-side bodies for the safeguarding facts the child-protection rules read: a visitor's
safeguarding flags (CF-05), a child's recorded wish (CF-22) and guardian consent on file for a
child coming with one adult (CF-02). Families never see any of these."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from visits.accounts.schemas import Reason
from visits.enums import Relationship, SafeguardingFlag
from visits.rules.model import VisitWish

ReasonField = Annotated[
    Reason,
    msgspec.Meta(
        description="Why (kept for staff and in the audit trail, never shown to families).",
        examples=["Youth office letter of 12 November: check still running."],
    ),
]


class FlagIn(msgspec.Struct, forbid_unknown_fields=True):
    """A safeguarding flag to set on a visitor, with the reason."""

    flag: SafeguardingFlag
    reason: ReasonField


class ClearIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a flag is cleared or a consent withdrawn."""

    reason: ReasonField


class WishIn(msgspec.Struct, forbid_unknown_fields=True):
    """A child's own wish about visiting (CF-22); ``null`` clears it."""

    wish: VisitWish | None
    reason: ReasonField


class ConsentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Written guardian consent for one child to come with one adult of the same household."""

    adult_visitor_id: uuid.UUID
    child_visitor_id: uuid.UUID
    reason: Annotated[
        Reason,
        msgspec.Meta(
            description="What was seen (the signed form, the guardian's ID copy); staff only.",
            examples=["Consent form signed by the mother, ID copy seen, 1 December."],
        ),
    ]


class NoteOut(msgspec.Struct):
    """Who recorded a fact and when; the reason only for safeguarding leads (else null)."""

    recorded_by: str | None
    recorded_at: datetime | None
    reason: str | None


class FlagOut(msgspec.Struct):
    flag: str
    known: Annotated[
        bool, msgspec.Meta(description="False for a code recorded before flags were a list.")
    ]
    note: NoteOut


class ConsentOut(msgspec.Struct):
    """Guardian consent for ``child_visitor_id`` coming with ``adult_visitor_id`` (CF-02)."""

    id: uuid.UUID
    adult_visitor_id: uuid.UUID
    child_visitor_id: uuid.UUID
    valid: bool
    note: NoteOut
    withdrawn: NoteOut | None


class PersonSafeguardingOut(msgspec.Struct):
    """One member of the household with the safeguarding facts about them."""

    visitor_id: uuid.UUID
    given_name: str
    family_name: str
    birth_date: date
    age: int
    child: bool
    relationship: Relationship
    is_guardian: bool
    flags: list[FlagOut]
    visit_wish: VisitWish | None
    wish_note: NoteOut | None
    may_have_wish: Annotated[
        bool,
        msgspec.Meta(description="A child old enough for a recorded wish (CF-22 child_voice_age)."),
    ]
    consents: Annotated[
        list[ConsentOut],
        msgspec.Meta(description="For a child: consents naming an adult, valid ones first."),
    ]


class HouseholdSafeguardingOut(msgspec.Struct):
    """A household as the safeguarding facts show it to staff of a facility it is connected to
    (an approval request for a prisoner there, or a visit there)."""

    household_id: uuid.UUID
    guardian_name: str
    may_record: Annotated[
        bool, msgspec.Meta(description="Whether the caller may record facts (safeguarding lead).")
    ]
    people: list[PersonSafeguardingOut]
