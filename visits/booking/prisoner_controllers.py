"""Staff API: a prisoner's transfer and release, which cancel their upcoming visits
(``booking.prisoner_changes``; in booking, since people may not change visits)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, SkipValidation
from litestar.status_codes import HTTP_200_OK

from visits.accounts.principals import BEARER_SECURITY, STAFF_DEPENDENCIES, StaffUser, staff_guard
from visits.booking import prisoner_changes
from visits.dependencies import AppSettings, DbSession
from visits.openapi import problems
from visits.people.schemas import PrisonerChangeOut, ReleaseIn, TransferIn
from visits.people.service.prisoners import prisoner_out
from visits.validation import parse_body

CHANGE_PROBLEMS = ("invalid-body", "prisoner-not-found", "prisoner-released")


def _out(change: prisoner_changes.PrisonerChange) -> PrisonerChangeOut:
    return PrisonerChangeOut(
        prisoner=prisoner_out(change.prisoner),
        cancelled_visits=[v.reference for v in change.cancelled],
    )


class StaffPrisonerChangesController(Controller):
    path = "/api/v1/staff/prisoners/{prisoner_id:uuid}"
    tags = ["Staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @post(
        "/release",
        status_code=HTTP_200_OK,
        summary="Release a prisoner: visits from that day on are cancelled",
        responses=problems(*CHANGE_PROBLEMS),
    )
    async def release(
        self,
        db_session: DbSession,
        settings: AppSettings,
        staff: StaffUser,
        prisoner_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[ReleaseIn],
            Body(
                examples=[
                    Example(
                        summary="Released",
                        value={"released_on": "2027-01-15", "reason": "End of sentence."},
                    )
                ]
            ),
        ],
    ) -> PrisonerChangeOut:
        """Records the prisoner's release day (not before the admission; it may lie ahead).
        Every held, requested or confirmed visit from that day on is cancelled like a staff
        cancellation (capacity and allowance given back, invite cancelled) and each household
        is told through its channel only that the person it visits is no longer held at the
        facility. A released prisoner cannot be chosen for new bookings.

        For visits officers and visits managers of the prisoner's facility (and admins); the
        reason is audited with the cancelled visits' references. A second release answers 409
        `prisoner-released`.
        """
        body = parse_body(ReleaseIn, data)
        return _out(await prisoner_changes.release(db_session, staff, prisoner_id, body, settings))

    @post(
        "/transfer",
        status_code=HTTP_200_OK,
        summary="Transfer a prisoner to another facility: visits here are cancelled",
        responses=problems(*CHANGE_PROBLEMS, "facility-not-found", "prisoner-exists"),
    )
    async def transfer(
        self,
        db_session: DbSession,
        settings: AppSettings,
        staff: StaffUser,
        prisoner_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[TransferIn],
            Body(
                examples=[
                    Example(
                        summary="Transferred with a new prison number",
                        value={
                            "facility_id": "0b7f4a53-9e0c-4f7e-a1de-2f1c8a0e6d11",
                            "prison_number": "D-2026-0042",
                            "reason": "Transferred by order of 1 December.",
                        },
                    )
                ]
            ),
        ],
    ) -> PrisonerChangeOut:
        """Moves the prisoner to another active facility, with the prison number there if it
        changes (409 `prisoner-exists` if that facility has it). Every upcoming held, requested
        or confirmed visit at the facility left is cancelled (there is no one to visit there)
        and each household is told only that the person it visits is no longer held at the
        facility — never where they went. Visitor approvals and restrictions move with the
        prisoner.

        For visits officers and visits managers of the facility the prisoner leaves (and
        admins); audited at both facilities.
        """
        body = parse_body(TransferIn, data)
        return _out(await prisoner_changes.transfer(db_session, staff, prisoner_id, body, settings))
