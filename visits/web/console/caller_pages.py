"""Phone bookings: find the caller's household (by name, e-mail address, mobile number in any
formatting, or the prison number of the prisoner they visit), set one up for a caller who has
none, and book on their behalf with every rule checked as the family would see it.

For the booking roles (``booking.roles.BOOKING_ROLES``). Which households a search finds, and
why staff cannot browse other facilities' families, is ``booking.callers``' rule (the staff API
``GET /api/v1/staff/facilities/{id}/households`` answers the same); a household opened here is
found again by the search it came from, so an id in the address alone opens nothing. The
booking itself is ``staff_actions.book_for_household``, as in the staff API: the household gets
the invite by e-mail and a text message through the notice outbox once it is committed.

The list of times names each day's weekday and date and can be narrowed to one day and one room.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.params import QueryParameter

from visits.accounts import queries as account_queries
from visits.accounts.schemas import VisitorIn
from visits.booking import callers, staff_actions
from visits.booking.dependencies import staff_caller
from visits.booking.facts import Verdict, judge, load_visitors
from visits.booking.roles import BOOKING_ROLES
from visits.booking.schemas import StaffBookIn
from visits.db.models import Household, Prisoner, Slot, Visitor
from visits.dependencies import AppSettings, DbSession
from visits.enums import BookableBy, StaffRole, VisitStatus
from visits.errors import Conflict, Refused, Unprocessable
from visits.facilities import queries as facility_queries
from visits.i18n import LANGUAGES, N_
from visits.people import queries as people_queries
from visits.validation import normalise_email, normalise_mobile, parse_body
from visits.web import labels
from visits.web.console.base import ConsoleController
from visits.web.console.explain import explain
from visits.web.console.forms import FormValues, read_form
from visits.web.console.labels import field_messages
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.household_pages import NOTIFY_BY
from visits.web.pages import see_other

SEARCH_RESULTS = 20
SLOT_CHOICES = 120
SLOTS_SCANNED = 2000  # open slots read for the filters: eight weeks of a large facility
BOOKING_WEEKS = 8
PEOPLE_ROWS = 6  # rows of the new-household form; more people: add them later

# What staff read for each field of the new-household form.
HOUSEHOLD_FIELD_ERRORS = {
    "guardian_name": N_("Please enter the guardian's name (up to 200 characters)."),
    "email": N_("Please enter a valid e-mail address, a mobile number, or both."),
    "phone": N_("Please enter a valid mobile number, such as 0151 23456789."),
    "language": N_("Please choose a language."),
    "notify_by": N_(
        "Text messages need a mobile number and e-mail needs an e-mail address: please choose "
        "a way the household can be reached."
    ),
    "prison_number": N_("No prisoner held here has this prison number."),
    "people": N_("Please enter at least one person who comes to visits."),
    "given_name": N_("Please enter the first name (up to 100 characters)."),
    "family_name": N_("Please enter the family name (up to 100 characters)."),
    "birth_date": N_("Please enter a birth date in the past, such as 2019-06-14."),
    "relationship": N_("Please choose the relationship to the prisoner."),
}
TAKEN = N_("Another household has this address. Search for it instead.")
NEW_PERSON_FIELDS = ("given_name", "family_name", "birth_date", "relationship")


@dataclass(frozen=True)
class Filters:
    """The time list's narrowing: one day (ISO date) and one room (id), each optional."""

    day: str = ""
    room: str = ""


def _roles(page: StaffPage) -> list[StaffRole]:
    return sorted(page.permissions().roles)


class ConsoleCallerController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}/phone-booking"

    # --- finding the caller and booking -----------------------------------------------------

    async def _booking_page(
        self,
        page: StaffPage,
        session: DbSession,
        *,
        query: str,
        household_id: str = "",
        filters: Filters = Filters(),
        status: int = 200,
        form: FormValues | None = None,
        errors: dict[str, str] | None = None,
        checked: list[Any] | None = None,
        outcome: str | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        results: list[callers.StaffHouseholdOut] = []
        total = 0
        if query:
            results, total = await callers.find_households(
                session, page.principal_staff, facility.id, query, limit=SEARCH_RESULTS
            )
        if not household_id and len(results) == 1:  # one match: open it at once
            household_id = str(results[0].id)
        household = await _household(page, session, query, household_id)
        visitors: list[Visitor] = []
        prisoners: list[Prisoner] = []
        connected = False
        if household is not None:
            visitors = await account_queries.household_visitors(session, household.id)
            visitable = await people_queries.visitable(
                session, household.id, facility_id=facility.id
            )
            prisoners = [v.prisoner for v in visitable]
            connected = await account_queries.household_connected(
                session, facility.id, household.id
            )
        ahead = await facility_queries.open_slots_ahead(
            session, facility.id, weeks=BOOKING_WEEKS, limit=SLOTS_SCANNED
        )
        zone = ZoneInfo(facility.timezone)
        day_of = {slot.id: slot.starts_at.astimezone(zone).date() for slot, _ in ahead}
        rooms = sorted({(str(slot.room_id), name) for slot, name in ahead}, key=lambda r: r[1])
        shown = [
            (slot, name)
            for slot, name in ahead
            if (not filters.day or day_of[slot.id].isoformat() == filters.day)
            and (not filters.room or str(slot.room_id) == filters.room)
        ]
        return page.render(
            "console/phone_booking.html",
            status=status,
            query=query,
            results=results,
            total=total,
            household=household,
            connected=connected,
            visitors=visitors,
            prisoners=prisoners,
            prisoner_options=[
                (str(p.id), f"{p.given_name} {p.family_name} ({p.prison_number})")
                for p in prisoners
            ],
            filters=filters,
            day_options=[(d.isoformat(), page.date(d)) for d in sorted(set(day_of.values()))],
            room_options=rooms,
            slot_options=slot_options(page, shown[:SLOT_CHOICES]),
            more_slots=len(shown) > SLOT_CHOICES,
            form=form or FormValues({}),
            errors=errors or {},
            checked=checked,
            outcome=outcome,
            created=page.request.query_params.get("created") == "1",
            contact_search=_is_contact(query, facility.country),
        )

    @get("")
    async def phone_booking(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        q: Annotated[str, QueryParameter(max_length=254)] = "",
        household: Annotated[str, QueryParameter(max_length=254)] = "",
        day: Annotated[str, QueryParameter(max_length=10)] = "",
        room: Annotated[str, QueryParameter(max_length=36)] = "",
    ) -> Response[Any]:
        facility_page.require(BOOKING_ROLES)
        query, chosen = q.strip(), household.strip()
        if chosen and not _is_id(chosen):  # an address in ``household``: as the search
            query, chosen = query or chosen, ""
        return await self._booking_page(
            facility_page,
            db_session,
            query=query,
            household_id=chosen,
            filters=Filters(day, room),
        )

    @post("")
    async def check_or_book(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """ "Check" shows every rule as the family would see it; "Book" books (with the
        overrides ticked, each needing the role the rule names)."""
        page = facility_page
        page.require(BOOKING_ROLES)
        form = await read_form(request)
        query = (form.get("q") or form.get("lookup")).strip()
        household_id = form.get("household_id")
        filters = Filters(form.get("day"), form.get("room"))

        async def again(status: int = 200, **context: Any) -> Response[Any]:
            return await self._booking_page(
                page,
                db_session,
                query=query,
                household_id=household_id,
                filters=filters,
                status=status,
                form=form,
                **context,
            )

        if await _household(page, db_session, query, household_id) is None:
            return await again(404, errors={"q": page._("Please find the household again.")})
        raw: dict[str, Any] = form.present("household_id", "prisoner_id", "slot_id", "channel")
        raw |= {"visitor_ids": form.all("visitor_ids")}
        if form.get("support_needs"):
            raw["support_needs"] = form.get("support_needs")
        overrides = form.all("override_rules")
        if overrides:
            raw["overrides"] = [
                {"rule_id": rule, "reason": form.get("override_reason")} for rule in overrides
            ]
        try:
            booking = parse_body(StaffBookIn, raw, strict=False)
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._, page.language)
            if any(e.get("name") == "overrides" for e in invalid.errors):
                errors["override_reason"] = page._("Please give a reason of at least 3 characters.")
            return await again(422, errors=errors)
        slot = await db_session.get(Slot, booking.slot_id)
        if slot is None or slot.facility_id != page.current_facility.id:
            return await again(422, errors={"slot_id": page._("Please choose a slot.")})
        roles = _roles(page)
        if form.get("action") != "book":
            verdict = await _staff_verdict(db_session, booking)
            return await again(
                checked=explain(verdict.results, roles, page.language),
                outcome=verdict.decision.outcome.value,
            )
        try:
            # A savepoint: a refused attempt's hold is undone, so the rules are judged again
            # on what is stored (the error page then rolls the request back as a whole).
            async with db_session.begin_nested():
                visit = await staff_actions.book_for_household(
                    db_session,
                    staff_caller(
                        page.principal_staff, page.current_facility.id, BOOKING_ROLES, page.language
                    ),
                    booking,
                    settings,
                )
        except Refused as refusal:
            verdict = await _staff_verdict(db_session, booking)
            return await again(
                refusal.status,
                errors={"slot_id": page._("The rules do not allow this booking as it is.")},
                checked=explain(verdict.results, roles, page.language),
                outcome="refused",
            )
        except (Conflict, Unprocessable) as problem:  # the slot filled meanwhile, ...
            return await again(problem.status, errors={"slot_id": page.problem(problem)})
        done = "requested" if visit.status is VisitStatus.REQUESTED else "booked"
        return see_other(f"/staff/facilities/{visit.facility_id}/visits/{visit.id}", done=done)

    # --- a household for a caller who has none ----------------------------------------------

    def _new_page(
        self,
        page: StaffPage,
        *,
        status: int = 200,
        form: FormValues | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response[Any]:
        return page.render(
            "console/caller_household.html",
            status=status,
            form=form or FormValues({"language": [page.language]}),
            errors=errors or {},
            rows=range(PEOPLE_ROWS),
            language_options=list(LANGUAGES.items()),
            notify_options=[("", page._("As the contact allows"))]
            + [(key.value, page._(text)) for key, text in NOTIFY_BY.items()],
            relationship_options=labels.Labels(page._).relationships(),
        )

    @get("/new-household")
    async def new_household(self, facility_page: ConsolePage) -> Response[Any]:
        facility_page.require(BOOKING_ROLES)
        return self._new_page(facility_page)

    @post("/new-household")
    async def create_household(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """Set up the caller's household and its people (``booking.callers``), then open it for
        booking."""
        page = facility_page
        page.require(BOOKING_ROLES)
        form = await read_form(request)
        errors: dict[str, str] = {}
        people: list[dict[str, Any]] = []
        for row in range(PEOPLE_ROWS):
            values: dict[str, Any] = {
                name: form.get(f"people-{row}-{name}").strip() for name in NEW_PERSON_FIELDS
            }
            if not any(values[n] for n in ("given_name", "family_name", "birth_date")):
                continue
            values["is_guardian"] = form.get(f"people-{row}-is_guardian") == "yes"
            try:
                person = parse_body(VisitorIn, values, strict=False)
            except Unprocessable as invalid:
                for error in invalid.errors:
                    errors.setdefault(f"people-{row}-{error['name']}", _message(page, error))
                continue
            people.append(msgspec.to_builtins(person))
        raw: dict[str, Any] = form.present(
            "guardian_name", "language", "prison_number", "email", "phone", "notify_by"
        )
        raw = {k: v.strip() for k, v in raw.items() if v.strip()}
        raw |= {
            "people": people,
            "sms_consent": form.get("sms_consent") == "yes",
            "phone_confirmed": form.get("phone_confirmed") == "yes",
        }
        household: Household | None = None
        try:
            body = parse_body(callers.CallerHouseholdIn, raw, strict=False)
            if not errors:
                household, _ = await callers.create_household(
                    db_session,
                    page.principal_staff,
                    page.current_facility.id,
                    body,
                    public_url=settings.resolved_public_url,
                )
        except Unprocessable as invalid:
            _add_errors(page, invalid, errors, people_given=bool(people))
        if household is None:
            return self._new_page(page, status=422, form=form, errors=errors)
        found_by = household.email or household.phone_e164 or ""
        return see_other(
            f"/staff/facilities/{page.current_facility.id}/phone-booking",
            query={"q": found_by, "household": str(household.id), "created": "1"},
        )


def _is_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _is_contact(text: str, region: str) -> bool:
    """Whether ``text`` reads as an e-mail address or a mobile number."""
    for normalise in (normalise_email, lambda t: normalise_mobile(t, region)):
        try:
            normalise(text)
        except ValueError:
            continue
        return True
    return False


def _add_errors(
    page: StaffPage, invalid: Unprocessable, errors: dict[str, str], *, people_given: bool
) -> None:
    """The problem's fields as the new-household form's, each with its sentence."""
    for error in invalid.errors:
        name = _form_name(str(error.get("name", "")))
        if invalid.slug == "contact-unavailable":
            errors.setdefault(name, page._(TAKEN))
        elif name == "people" and not people_given and not errors:
            errors.setdefault("people-0-given_name", page._(HOUSEHOLD_FIELD_ERRORS[name]))
        elif name != "people":
            errors.setdefault(name, _message(page, error))
    if not errors:
        errors["guardian_name"] = page.problem(invalid)


def _form_name(name: str) -> str:
    """A body field's name as the form's: ``people[1].birth_date`` is ``people-1-birth_date``."""
    return name.replace("[", "-").replace("].", "-").replace("]", "")


def _message(page: StaffPage, error: dict[str, Any]) -> str:
    field = str(error.get("name", "")).rsplit(".", 1)[-1].rsplit("-", 1)[-1]
    text = HOUSEHOLD_FIELD_ERRORS.get(field)
    return page._(text) if text else field_messages([error], page._, page.language)[field]


async def _household(
    page: StaffPage, session: DbSession, query: str, household_id: str
) -> Household | None:
    """The household of ``household_id`` if ``query`` finds it for this facility's staff."""
    if not query or not _is_id(household_id):
        return None
    facility = page.current_facility
    return await account_queries.household_found(
        session, facility.id, query, uuid.UUID(household_id), default_region=facility.country
    )


def slot_options(page: StaffPage, slots: list[tuple[Slot, str]]) -> list[tuple[str, str]]:
    """Open slots as choices: weekday and date, time in the facility's zone, room, tables
    free."""
    zone = page.current_facility.timezone
    return [
        (
            str(slot.id),
            f"{page.date(slot.starts_at, zone)}, "
            f"{page.time(slot.starts_at, zone)}\u2013{page.time(slot.ends_at, zone)} · "
            f"{room_name} · "
            + page.ngettext(
                "%(num)d table free",
                "%(num)d tables free",
                slot.capacity_tables - slot.booked_tables,
            ),
        )
        for slot, room_name in slots
    ]


async def _staff_verdict(session: DbSession, booking: StaffBookIn) -> Verdict:
    """Every rule for the booking as staff would make it."""
    visitors = await load_visitors(session, booking.visitor_ids, booking.household_id)
    return await judge(
        session,
        slot_id=booking.slot_id,
        prisoner_id=booking.prisoner_id,
        visitors=visitors,
        channel=BookableBy.STAFF,
    )
