"""Staff API: the safeguarding facts about visitors that the child-protection rules read —
safeguarding flags (CF-05), a child's recorded wish (CF-22) and guardian consent on file for a
child coming with one adult (CF-02). Recorded by a safeguarding lead only; never shown to
families."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, SkipValidation
from litestar.status_codes import HTTP_200_OK

from visits.accounts.principals import BEARER_SECURITY, STAFF_DEPENDENCIES, StaffUser, staff_guard
from visits.dependencies import DbSession
from visits.enums import SafeguardingFlag
from visits.openapi import problems
from visits.people.schemas.safeguarding import (
    ClearIn,
    ConsentIn,
    ConsentOut,
    FlagIn,
    HouseholdSafeguardingOut,
    PersonSafeguardingOut,
    WishIn,
)
from visits.people.service import safeguarding
from visits.people.service.roles import safeguarding_lead
from visits.validation import parse_body

VISITOR = "/facilities/{facility_id:uuid}/visitors/{visitor_id:uuid}"
WHO = (
    "\n\nOnly a safeguarding lead of the facility may do this (the role the rule catalogue "
    "names; not an administrator), with a reason kept for staff and in the audit trail. The "
    "people must belong to a household connected to the facility (an approval request for a "
    "prisoner there, or a visit there), else 404. Families never see the fact nor the reason: "
    "their answers only ask them to contact the facility."
)
CLEAR_EXAMPLE = {"reason": "Youth office confirmed on 1 December: no concerns."}


SET_FLAG_DESCRIPTION = (
    """Sets a safeguarding flag on a visitor: from now on every booking with this visitor
goes to staff review (CF-05) and the family is asked only to contact the facility. A
flag the visitor has already answers 409 `flag-exists`. Answers the visitor with the
facts about them."""
    + WHO
)


CLEAR_FLAG_DESCRIPTION = (
    """Clears one of the visitor's safeguarding flags (`flag`: one of """
    + ", ".join(f"`{f.value}`" for f in SafeguardingFlag)
    + """, or an older code the visitor carries); bookings made afterwards no longer go to
review for it. A flag the visitor does not have answers 409 `flag-not-set`."""
    + WHO
)


RECORD_WISH_DESCRIPTION = (
    """Records a child's own wish (`yes`, `no`, `unsure`; `null` clears it). A visit
against a recorded `no` goes to staff review (CF-22). Only for children from the
facility profile's `child_voice_age` (default 12) to 17: anyone else answers 422
`invalid-body` naming `wish`."""
    + WHO
)


RECORD_CONSENT_DESCRIPTION = (
    """Records that the facility holds the guardian's written consent (with the ID copy
where the profile asks) for one child to come with one adult of the same household.
CF-02 then counts consent as on file whenever that adult brings the child; another
companion needs a consent of their own. The child must be under the profile's adult
age and the adult at least its `lead_min_age` (422 `invalid-body` naming the field);
a valid consent for the same pair answers 409 `consent-exists`."""
    + WHO
)


WITHDRAW_CONSENT_DESCRIPTION = (
    """Withdraws a consent: it stays on record, not valid, with who withdrew it, when and
why; CF-02 no longer counts it. A consent withdrawn already answers 409
`consent-withdrawn`."""
    + WHO
)


class StaffSafeguardingController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @get(
        "/facilities/{facility_id:uuid}/households/{household_id:uuid}/safeguarding",
        summary="A household's safeguarding facts (CF-02, CF-05, CF-22)",
        responses=problems("facility-not-found", "household-not-found"),
    )
    async def household(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        household_id: FromPath[uuid.UUID],
    ) -> HouseholdSafeguardingOut:
        """The household's people, oldest first, each with the safeguarding facts the booking
        rules read: flags (CF-05), a child's recorded wish (CF-22), and for a child the
        guardian consents on file naming an adult of the household (CF-02).

        Any staff role at the facility may read them, for a household connected to the
        facility (an approval request for a prisoner there, or a visit there; else 404). Who
        recorded a fact and when is shown to all; the reasons only to safeguarding leads
        (`null` for everyone else). `may_record` says whether the caller may change them.
        """
        return await safeguarding.household_facts(db_session, staff, facility_id, household_id)

    @post(
        VISITOR + "/safeguarding-flags",
        status_code=HTTP_200_OK,
        summary="Set a safeguarding flag on a visitor (CF-05)",
        description=SET_FLAG_DESCRIPTION,
        responses=problems(
            "invalid-body", "facility-not-found", "visitor-not-found", "flag-exists"
        ),
    )
    async def set_flag(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[FlagIn],
            Body(
                examples=[
                    Example(
                        summary="A background check is running",
                        value={
                            "flag": "check_pending",
                            "reason": "Youth office asked on 28 November; answer pending.",
                        },
                    )
                ]
            ),
        ],
    ) -> PersonSafeguardingOut:
        safeguarding_lead(staff, facility_id)  # a role refused before the body is read
        body = parse_body(FlagIn, data)
        visitor = await safeguarding.set_flag(db_session, staff, facility_id, visitor_id, body)
        return await safeguarding.person_facts(db_session, staff, facility_id, visitor)

    @post(
        VISITOR + "/safeguarding-flags/{flag:str}/clearing",
        status_code=HTTP_200_OK,
        summary="Clear a visitor's safeguarding flag (CF-05)",
        description=CLEAR_FLAG_DESCRIPTION,
        responses=problems(
            "invalid-body", "facility-not-found", "visitor-not-found", "flag-not-set"
        ),
    )
    async def clear_flag(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
        flag: Annotated[str, FromPath],
        data: Annotated[
            SkipValidation[ClearIn],
            Body(examples=[Example(summary="The check came back", value=CLEAR_EXAMPLE)]),
        ],
    ) -> PersonSafeguardingOut:
        safeguarding_lead(staff, facility_id)  # a role refused before the body is read
        body = parse_body(ClearIn, data)
        visitor = await safeguarding.clear_flag(
            db_session, staff, facility_id, visitor_id, flag, body
        )
        return await safeguarding.person_facts(db_session, staff, facility_id, visitor)

    @put(
        VISITOR + "/visit-wish",
        status_code=HTTP_200_OK,
        summary="Record a child's own wish about visiting (CF-22)",
        description=RECORD_WISH_DESCRIPTION,
        responses=problems("invalid-body", "facility-not-found", "visitor-not-found"),
    )
    async def record_wish(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[WishIn],
            Body(
                examples=[
                    Example(
                        summary="The child does not want to visit for now",
                        value={"wish": "no", "reason": "Talk with the child on 30 November."},
                    ),
                    Example(
                        summary="Clear the wish",
                        value={"wish": None, "reason": "The child asked to visit again."},
                    ),
                ]
            ),
        ],
    ) -> PersonSafeguardingOut:
        safeguarding_lead(staff, facility_id)  # a role refused before the body is read
        body = parse_body(WishIn, data)
        visitor = await safeguarding.record_wish(db_session, staff, facility_id, visitor_id, body)
        return await safeguarding.person_facts(db_session, staff, facility_id, visitor)

    @post(
        "/facilities/{facility_id:uuid}/guardian-consents",
        summary="Record guardian consent for a child coming with an adult (CF-02)",
        description=RECORD_CONSENT_DESCRIPTION,
        responses=problems(
            "invalid-body", "facility-not-found", "visitor-not-found", "consent-exists"
        ),
    )
    async def record_consent(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[ConsentIn],
            Body(
                examples=[
                    Example(
                        summary="Consent for the aunt to bring the child",
                        value={
                            "adult_visitor_id": "3f2c6f0e-5a41-4d0b-9f0e-2f1c8a0e6d11",
                            "child_visitor_id": "8a1d4b7c-2e39-4c5a-b6f1-0d9e7c3a2b10",
                            "reason": "Form signed by the mother, ID copy seen, 1 December.",
                        },
                    )
                ]
            ),
        ],
    ) -> ConsentOut:
        safeguarding_lead(staff, facility_id)  # a role refused before the body is read
        body = parse_body(ConsentIn, data)
        consent = await safeguarding.record_consent(db_session, staff, facility_id, body)
        return safeguarding.consent_out(consent)

    @post(
        "/facilities/{facility_id:uuid}/guardian-consents/{consent_id:uuid}/withdrawal",
        status_code=HTTP_200_OK,
        summary="Withdraw a guardian consent (CF-02)",
        description=WITHDRAW_CONSENT_DESCRIPTION,
        responses=problems(
            "invalid-body", "facility-not-found", "consent-not-found", "consent-withdrawn"
        ),
    )
    async def withdraw_consent(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        consent_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[ClearIn],
            Body(
                examples=[Example(summary="Withdrawn", value={"reason": "The mother withdrew it."})]
            ),
        ],
    ) -> ConsentOut:
        safeguarding_lead(staff, facility_id)  # a role refused before the body is read
        body = parse_body(ClearIn, data)
        consent = await safeguarding.withdraw_consent(
            db_session, staff, facility_id, consent_id, body
        )
        return safeguarding.consent_out(consent)
