"""Staff API for phone bookings: find a caller's household, or set one up for a caller who has
none (``booking.callers``, the same service as the console's phone booking page)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_201_CREATED

from visits.accounts import queries as account_queries
from visits.accounts.principals import BEARER_SECURITY, STAFF_DEPENDENCIES, StaffUser, staff_guard
from visits.booking import callers
from visits.booking.callers import CallerHouseholdIn, StaffHouseholdOut, StaffHouseholdPage
from visits.dependencies import AppSettings, DbSession
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.validation import parse_body

HOUSEHOLD_EXAMPLE = {
    "guardian_name": "Mira Hoffmann",
    "language": "de",
    "phone": "0151 2345 6789",
    "sms_consent": True,
    "phone_confirmed": True,
    "prison_number": "MS-2026-0815",
    "people": [
        {
            "given_name": "Mira",
            "family_name": "Hoffmann",
            "birth_date": "1990-04-02",
            "relationship": "partner",
            "is_guardian": True,
        },
        {
            "given_name": "Lina",
            "family_name": "Hoffmann",
            "birth_date": "2019-06-14",
            "relationship": "child",
        },
    ],
}


class StaffCallerController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff: visits"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @get(
        "/facilities/{facility_id:uuid}/households",
        summary="Find a caller's household",
        responses=problems("facility-not-found"),
    )
    async def households(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        q: Annotated[
            str,
            QueryParameter(
                min_length=1,
                max_length=254,
                description="A name (the guardian's or anyone's in the household; every word "
                "part of a name, at least 2 characters), an e-mail address, a mobile number in "
                "any formatting (national numbers read in the facility's country) or a "
                "prisoner's prison number.",
                examples=[Example(value="0151 2345 6789")],
            ),
        ],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> StaffHouseholdPage:
        """The households a caller may be, by guardian name, one page at a time, each with its
        people (for the party of a phone booking).

        For visits officers and visits managers of the facility (and admins); a facility where
        the caller holds no such role answers 403. A name or a prison number finds only
        households known to this facility (an approval request, approval or refusal for a
        prisoner held here, or a visit here): staff cannot browse other facilities' families.
        An exact e-mail address or mobile number finds any household (`connected` is then
        false until it asks for approval or books here). Erased households are never found.
        """
        rows, total = await callers.find_households(
            db_session, staff, facility_id, q, limit=limit, offset=offset
        )
        return Page(rows, total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/households",
        status_code=HTTP_201_CREATED,
        summary="Set up a household for a caller",
        responses=problems("invalid-body", "facility-not-found", "contact-unavailable"),
    )
    async def create(
        self,
        db_session: DbSession,
        settings: AppSettings,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[CallerHouseholdIn],
            Body(examples=[Example(summary="A mother and her daughter", value=HOUSEHOLD_EXAMPLE)]),
        ],
    ) -> StaffHouseholdOut:
        """Sets up the household of a caller who has none: the guardian's contact, language
        and how notices reach it, and its people (adults and children with birth dates and
        their relationship to the prisoner).

        For visits officers and visits managers of the facility (and admins); audited. The
        caller names the prisoner they visit by prison number (422 `invalid-body` naming
        `prison_number` when nobody held here has it): each person gets a pending approval
        request for that prisoner (CF-04), decided in the approval queue. The household is told
        at once that it has an account and where to sign in, then of each decision and each
        booking, by e-mail or text message. An e-mail address or
        mobile number another household has answers 422 `contact-unavailable` (find that
        household by the exact address instead). `phone_confirmed`: the caller confirmed the
        mobile number on the phone (e.g. staff called back); only a confirmed number gets text
        messages.
        """
        body = parse_body(CallerHouseholdIn, data)
        household, _ = await callers.create_household(
            db_session, staff, facility_id, body, public_url=settings.resolved_public_url
        )
        people = await account_queries.people_of(db_session, [household.id])
        return callers.household_out(household, people[household.id], connected=True)
