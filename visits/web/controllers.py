"""The family pages: sign up, sign in with a code, the household, choosing whom to visit, the
facility's information for each child, a week of slots judged for the group, hold and confirm,
and the household's visits (cancel, calendar file, subscription).

Plain HTML forms, no script needed. Pages call the same services as the JSON API, so the rules,
capacity and audit are exactly those of the API.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body, FromPath, QueryParameter

from visits.accounts import queries as account_queries
from visits.accounts.access import ForHousehold, visit_for
from visits.accounts.schemas import (
    ApprovalRequestIn,
    CodeRequestIn,
    HouseholdUpdateIn,
    SignUpIn,
    VisitorIn,
)
from visits.accounts.service import households
from visits.accounts.service.sign_in import (
    contact_from,
    request_code,
    sign_out,
    sign_up,
    verify_code,
)
from visits.booking import checks, service
from visits.booking import queries as visit_queries
from visits.booking.dependencies import CallersVisit, RequestCaller
from visits.booking.presenters import visit_out
from visits.booking.schemas import FACILITY_CHECK
from visits.calendar import feed_tokens
from visits.calendar.feeds import FeedScope
from visits.calendar.invites import invite_method, load_invite
from visits.db.models import Prisoner, Visit
from visits.dependencies import AppSettings, DbSession, client_address
from visits.enums import ACTIVE_VISIT_STATES, AgeBand, Channel, VisitStatus
from visits.errors import (
    Conflict,
    DomainError,
    Refused,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)
from visits.facilities import queries as facility_queries
from visits.facilities.presenters import room_out
from visits.people import queries as people_queries
from visits.rules.ages import age_on
from visits.validation import browser_text, parse_body
from visits.web import forms
from visits.web.labels import field_messages, set_aside_topic
from visits.web.pages import (
    PAGE_DEPENDENCIES,
    FamilyPage,
    HouseholdPage,
    Page,
    error_pages,
    own_visit,
    see_other,
)
from visits.web.qr import pass_path, qr_svg
from visits.web.security import (
    SignInRequired,
    check_csrf,
    cleared_session_cookie,
    is_secure,
    parse_uuid,
    session_cookie,
)

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
CODE_PATTERN = re.compile(r"^\d{6}$")
MAX_WEEKS_AHEAD = 8
CHILD_AGE_LIMIT = 18
DEFAULT_PHONE_REGION = "DE"
SIGN_UP_FIELDS = ("guardian_name", "email", "phone", "language", "sms_consent")


def _on_sign_in_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    return see_other("/sign-in")


async def _phone_region(db_session: DbSession) -> str:
    """Where a national mobile number is read: the facilities' country when they all share one
    (a family types 0151 …, not +49 151 …), else Germany."""
    facilities, _ = await facility_queries.list_facilities(db_session, limit=1000, offset=0)
    countries = {f.country.upper() for f in facilities}
    return countries.pop() if len(countries) == 1 else DEFAULT_PHONE_REGION


def _sign_up_body(
    form: forms.SignUpForm, region: str, page: Page
) -> tuple[SignUpIn | None, dict[str, str]]:
    """The sign-up, or every problem of the form at once, in the form's order (the schema
    alone stops at the first kind of problem: field types before the contact check)."""
    raw = {
        "guardian_name": form.guardian_name,
        "language": form.language,
        "email": form.email or None,
        "phone": form.phone or None,
        "sms_consent": form.sms_consent == "yes",
    }
    errors: dict[str, str] = {}
    body = None
    try:
        body = parse_body(SignUpIn, raw)
    except Unprocessable as invalid:
        errors |= field_messages(invalid.errors, page._)
    try:
        contact_from(form.email or None, form.phone or None, region)
    except Unprocessable as invalid:
        errors |= field_messages(invalid.errors, page._)
    if not form.email and not form.phone:
        errors["email"] = page._("Please enter an e-mail address or a mobile number, or both.")
    elif form.sms_consent == "yes" and not form.phone:
        errors["sms_consent"] = page._(
            "Text messages need a mobile number. Please enter one, or untick the box."
        )
    return body, {name: errors[name] for name in SIGN_UP_FIELDS if name in errors}


def times_url(
    prisoner_id: uuid.UUID,
    week: date,
    visitor_ids: Sequence[uuid.UUID],
    *,
    move: uuid.UUID | None = None,
    fits: bool = False,
) -> str:
    """The week's times for a group (``/book/{prisoner}``): the week of ``week``, the visitors,
    the visit being moved, and whether only the times that fit are shown."""
    params = [("party", "1"), ("week", week.isoformat())]
    params += [("visitor", str(v)) for v in visitor_ids]
    if move is not None:
        params.append(("move", str(move)))
    if fits:
        params.append(("fits", "1"))
    return f"/book/{prisoner_id}?{urlencode(params)}"


async def _times_of(db_session: DbSession, visit: Visit, zone: str) -> str:
    """The times of the visit's week for its party, to choose one again."""
    party = await visit_queries.party_visitor_ids(db_session, visit.id)
    return times_url(visit.prisoner_id, visit.starts_at.astimezone(ZoneInfo(zone)).date(), party)


def _hold_ran_out(visit: Visit, now: datetime) -> bool:
    """The reservation ran out: expired, or held past its time and not yet swept."""
    if visit.status is VisitStatus.EXPIRED:
        return True
    expires = visit.hold_expires_at
    return visit.status is VisitStatus.HELD and expires is not None and expires <= now


def _movable(visit: Visit, now: datetime) -> bool:
    """A booked visit that has not begun may move (``service.reschedule``)."""
    booked = visit.status in (VisitStatus.CONFIRMED, VisitStatus.REQUESTED)
    return booked and visit.starts_at > now


def _past_cutoff(visit: Visit, now: datetime, cutoff_hours: int) -> bool:
    """A booked visit too close to cancel online (``service.cancel`` refuses it then)."""
    return visit.status is VisitStatus.CONFIRMED and visit.starts_at - now < timedelta(
        hours=cutoff_hours
    )


class WebController(Controller):
    """Server-rendered pages for families (German and English)."""

    path = "/"
    include_in_schema = False
    dependencies = PAGE_DEPENDENCIES
    before_request = check_csrf  # type: ignore[assignment]  # a plain hook, not a method
    exception_handlers = {
        **error_pages(HouseholdPage, "problem.html"),
        SignInRequired: _on_sign_in_required,
    }

    # --- signing in -------------------------------------------------------------------------

    @get("/")
    async def home(self, public_page: FamilyPage) -> Response[Any]:
        return see_other("/household" if public_page.who else "/sign-in")

    @get("/sign-in")
    async def sign_in_page(self, public_page: FamilyPage) -> Response[Any]:
        return public_page.render("sign_in.html", email="", errors={})

    @post("/sign-in")
    async def send_code(
        self,
        request: Request[Any, Any, Any],
        public_page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.EmailForm, Form],
    ) -> Response[Any]:
        page = public_page
        email = data.email.strip()
        if not email:
            errors = {
                "email": page._("Please enter your e-mail address, for example name@example.org.")
            }
            return page.render("sign_in.html", status=422, email=email, errors=errors)
        try:
            challenge = await request_code(
                db_session,
                CodeRequestIn(email=email),
                client_address(request),
                settings.sign_in_code_minutes,
                page.language,
            )
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._)
            return page.render("sign_in.html", status=422, email=email, errors=errors)
        return see_other(f"/sign-in/code?challenge={challenge.challenge_id}")

    @get("/sign-up")
    async def sign_up_page(self, public_page: FamilyPage) -> Response[Any]:
        form = forms.SignUpForm(language=public_page.language)
        return public_page.render("sign_up.html", form=form, errors={}, problem=None)

    @post("/sign-up")
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        public_page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.SignUpForm, Form],
    ) -> Response[Any]:
        """A new household, then the code step. An address that is taken gets the same answer
        (its owner gets a code, nothing changes), so the page never tells who has an account."""
        page = public_page
        form = forms.SignUpForm(
            guardian_name=data.guardian_name.strip(),
            email=data.email.strip(),
            phone=data.phone.strip(),
            language=data.language.strip(),
            sms_consent="yes" if data.sms_consent == "yes" else "",
        )
        region = await _phone_region(db_session)
        body, errors = _sign_up_body(form, region, page)
        if body is None or errors:
            return page.render("sign_up.html", status=422, form=form, errors=errors, problem=None)
        try:
            challenge = await sign_up(
                db_session,
                body,
                client_address(request),
                settings.sign_in_code_minutes,
                region,
            )
        except TooManyRequests as refusal:
            return page.render(
                "sign_up.html", status=429, form=form, errors={}, problem=page.problem(refusal)
            )
        return see_other(f"/sign-in/code?challenge={challenge.challenge_id}")

    @get("/sign-in/code")
    async def code_page(
        self,
        public_page: FamilyPage,
        settings: AppSettings,
        challenge: Annotated[uuid.UUID, QueryParameter()],
    ) -> Response[Any]:
        return public_page.render(
            "code.html", challenge_id=challenge, errors={}, minutes=settings.sign_in_code_minutes
        )

    @post("/sign-in/code")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        public_page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.CodeForm, Form],
    ) -> Response[Any]:
        page = public_page
        challenge_id = parse_uuid(data.challenge_id)
        code = data.code.strip().replace(" ", "")
        if challenge_id is None:
            return see_other("/sign-in")
        error: str | None = None
        if not CODE_PATTERN.match(code):
            error = page._("Please enter the 6-digit code from the message.")
        else:
            try:
                issued = await verify_code(
                    db_session,
                    challenge_id,
                    code,
                    client_address(request),
                    timedelta(days=settings.household_token_days),
                )
            except (Unauthenticated, TooManyRequests) as refusal:
                error = page.problem(refusal)
            else:
                cookie = session_cookie(
                    issued.token, issued.expires_at, is_secure(request, settings)
                )
                return see_other("/household", cookies=[cookie])
        return page.render(
            "code.html",
            status=422,
            challenge_id=challenge_id,
            errors={"code": error},
            minutes=settings.sign_in_code_minutes,
        )

    @post("/sign-out")
    async def sign_out(
        self,
        request: Request[Any, Any, Any],
        public_page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.EmptyForm, Form],
    ) -> Response[Any]:
        who = public_page.who
        if who is not None:
            await sign_out(db_session, who.token_id, household_id=who.household_id)
        cookie = cleared_session_cookie(is_secure(request, settings))
        return see_other("/sign-in", done="signed_out", cookies=[cookie])

    # --- the household ----------------------------------------------------------------------

    async def _household_page(
        self, page: Page, db_session: DbSession, *, status: int = 200, **context: Any
    ) -> Response[Any]:
        visitors = await account_queries.household_visitors(db_session, page.principal.household_id)
        shown = await households.visitors_out(db_session, visitors, page.language)
        facility_names = await facility_queries.facility_names(db_session)
        today = datetime.now(UTC).date()
        ages = {v.id: age_on(v.birth_date, today) for v in visitors}
        defaults: dict[str, Any] = {"form": forms.VisitorForm(), "errors": {}}
        return page.render(
            "household.html",
            status=status,
            visitors=shown,
            ages=ages,
            facility_names=facility_names,
            today=today.isoformat(),
            **(defaults | context),
        )

    @get("/household")
    async def household(self, page: FamilyPage, db_session: DbSession) -> Response[Any]:
        return await self._household_page(page, db_session)

    @post("/household/visitors")
    async def add_visitor(
        self,
        page: FamilyPage,
        db_session: DbSession,
        data: Annotated[forms.VisitorForm, Form],
    ) -> Response[Any]:
        raw = {
            "given_name": data.given_name.strip(),
            "family_name": data.family_name.strip(),
            "birth_date": data.birth_date.strip(),
            "relationship": data.relationship.strip(),
        }
        try:
            visitor = parse_body(VisitorIn, raw)
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._)
            return await self._household_page(
                page, db_session, status=422, form=data, errors=errors
            )
        await households.add_visitor(db_session, page.principal, visitor)
        return see_other("/household", done="visitor_added")

    @post("/household/sms")
    async def sms_preference(
        self,
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.SmsForm, Form],
    ) -> Response[Any]:
        wanted = data.sms_consent == "yes"
        await households.update_household(
            db_session, page.principal, HouseholdUpdateIn(sms_consent=wanted), settings
        )
        return see_other("/household", done="sms_saved")

    # --- whom to visit ----------------------------------------------------------------------

    async def _book_page(
        self, page: Page, db_session: DbSession, *, status: int = 200, **context: Any
    ) -> Response[Any]:
        household_id = page.principal.household_id
        visitable = await people_queries.visitable(db_session, household_id)
        facilities, _ = await facility_queries.list_facilities(db_session, limit=200, offset=0)
        visitors = await account_queries.household_visitors(db_session, household_id)
        defaults: dict[str, Any] = {"form": forms.ApprovalForm(), "errors": {}, "problem": None}
        return page.render(
            "book.html",
            status=status,
            visitable=visitable,
            facilities=facilities,
            visitors=visitors,
            **(defaults | context),
        )

    @get("/book")
    async def book(self, page: FamilyPage, db_session: DbSession) -> Response[Any]:
        return await self._book_page(page, db_session)

    @post("/book/approval")
    async def ask_for_approval(
        self,
        page: FamilyPage,
        db_session: DbSession,
        data: Annotated[forms.ApprovalForm, Form],
    ) -> Response[Any]:
        who = page.principal
        errors: dict[str, str] = {}
        facility_id = parse_uuid(data.facility_id)
        if facility_id is None:
            errors["facility_id"] = page._("Please choose a facility.")
        if not data.prison_number.strip():
            errors["prison_number"] = page._("Please enter the prison number.")
        if not data.prisoner_family_name.strip():
            errors["prisoner_family_name"] = page._(
                "Please enter the family name of the person in prison."
            )
        own = [v.id for v in await account_queries.household_visitors(db_session, who.household_id)]
        chosen = own if data.visitor == "all" else [v for v in own if str(v) == data.visitor]
        if not chosen:
            errors["visitor"] = page._("Please choose a person.")
        if errors or facility_id is None:
            return await self._book_page(page, db_session, status=422, form=data, errors=errors)
        body = ApprovalRequestIn(
            facility_id=facility_id,
            prison_number=data.prison_number.strip()[:32],
            prisoner_family_name=data.prisoner_family_name.strip()[:100],
        )
        try:
            for visitor_id in chosen:
                await households.request_approval(db_session, who, visitor_id, body, page.language)
        except Unprocessable as unmatched:
            return await self._book_page(
                page, db_session, status=422, form=data, problem=page.problem(unmatched)
            )
        return see_other("/book", done="approval_requested")

    # --- the facility -----------------------------------------------------------------------

    @get("/facilities/{facility_id:uuid}")
    async def facility(
        self, public_page: FamilyPage, db_session: DbSession, facility_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        page = public_page
        facility = await facility_queries.facility_or_404(db_session, facility_id, active_only=True)
        rooms, _ = await facility_queries.list_rooms(db_session, facility_id, limit=100, offset=0)
        general = await facility_queries.public_information(
            db_session, facility_id, page.language, None
        )
        today = datetime.now(ZoneInfo(facility.timezone)).date()
        children: list[dict[str, Any]] = []
        if page.who is not None:
            visitors = await account_queries.household_visitors(
                db_session, page.who.household_id, youngest_first=True
            )
            for visitor in visitors:
                age = age_on(visitor.birth_date, today)
                band = AgeBand.for_age(age)
                if age >= CHILD_AGE_LIMIT or band is None:
                    continue
                texts = await facility_queries.public_information(
                    db_session, facility_id, page.language, band
                )
                children.append(
                    {
                        "name": visitor.given_name,
                        "age": age,
                        "band": band,
                        "texts": [t for t in texts if t.age_band == band.value],
                    }
                )
        else:
            for band in AgeBand:
                texts = await facility_queries.public_information(
                    db_session, facility_id, page.language, band
                )
                own = [t for t in texts if t.age_band == band.value]
                if own:
                    children.append({"name": None, "age": None, "band": band, "texts": own})
        return page.render(
            "facility.html", facility=facility, rooms=rooms, general=general, children=children
        )

    # --- slots, hold and confirm ------------------------------------------------------------

    @get("/book/{prisoner_id:uuid}")
    async def slots(
        self,
        page: FamilyPage,
        db_session: DbSession,
        prisoner_id: FromPath[uuid.UUID],
        week: Annotated[date | None, QueryParameter()] = None,
        visitor: Annotated[list[uuid.UUID] | None, QueryParameter()] = None,
        party: Annotated[str | None, QueryParameter()] = None,
        move: Annotated[uuid.UUID | None, QueryParameter()] = None,
        fits: Annotated[bool, QueryParameter()] = False,
    ) -> Response[Any]:
        """A week of times judged for the group (``fits``: only the times it can book). When
        a booked visit moves (``move``), each time is judged as the move itself would be."""
        household_id = page.principal.household_id
        moving = None
        if move is not None:  # choosing a new time for a booked visit: same party
            moving = await visit_for(db_session, move, ForHousehold(household_id))
            if moving.prisoner_id != prisoner_id:
                raise NotFoundException
            if not _movable(moving, datetime.now(UTC)):  # cancelled, begun, or not booked
                return see_other(f"/my-visits/{moving.id}")
            visitor = await visit_queries.party_visitor_ids(db_session, move)
            party = "1"
        found = [
            v
            for v in await people_queries.visitable(db_session, household_id)
            if v.prisoner.id == prisoner_id
        ]
        if not found:
            raise NotFoundException
        prisoner, facility = found[0].prisoner, found[0].facility
        approved = await people_queries.approved_visitors(db_session, household_id, prisoner_id)
        approved_ids = {v.id for v in approved}
        if party is None and not visitor:
            selected = [v.id for v in approved]
        else:
            selected = [v for v in visitor or [] if v in approved_ids]
        zone = ZoneInfo(facility.timezone)
        today = datetime.now(zone).date()
        if moving is not None and week is None:  # open at the visit's own week
            week = moving.starts_at.astimezone(zone).date()
        this_monday = today - timedelta(days=today.weekday())
        monday = (week or today) - timedelta(days=(week or today).weekday())
        monday = min(max(monday, this_monday), this_monday + timedelta(weeks=MAX_WEEKS_AHEAD))
        days: list[tuple[date, list[Any]]] = []
        hidden = 0
        if selected or moving is not None:
            criteria = facility_queries.SlotFilter(
                date_from=max(monday, today),
                date_to=monday + timedelta(days=6),
                facility_id=facility.id,
            )
            items, _ = await checks.annotated_slots(
                db_session,
                household_id=household_id,
                prisoner_id=prisoner_id,
                visitor_ids=selected,
                criteria=criteria,
                limit=200,
                offset=0,
                language=page.language,
                moving=moving,
            )
            for item in items:
                current = moving is not None and item.slot_id == moving.slot_id
                if fits and item.verdict == "not_possible" and not current:
                    hidden += 1
                    continue
                day = item.local_start.date()
                if not days or days[-1][0] != day:
                    days.append((day, []))
                days[-1][1].append(item)
        rooms, _ = await facility_queries.list_rooms(db_session, facility.id, limit=200, offset=0)
        ages = {v.id: age_on(v.birth_date, today) for v in approved}

        def week_url(first: date, *, only_fitting: bool = fits) -> str:
            return times_url(
                prisoner_id,
                first,
                selected,
                move=moving.id if moving is not None else None,
                fits=only_fitting,
            )

        return page.render(
            "slots.html",
            prisoner=prisoner,
            facility=facility,
            approved=approved,
            ages=ages,
            selected=selected,
            selected_csv=",".join(str(v) for v in selected),
            monday=monday,
            sunday=monday + timedelta(days=6),
            previous_week=week_url(monday - timedelta(weeks=1)) if monday > this_monday else None,
            next_week=(
                week_url(monday + timedelta(weeks=1))
                if monday < this_monday + timedelta(weeks=MAX_WEEKS_AHEAD)
                else None
            ),
            fits=fits,
            toggle_url=week_url(monday, only_fitting=not fits),
            hidden=hidden,
            days=days,
            moving=moving,
            # Rooms are unique by name within a facility; the list shows the facility's slots.
            child_friendly={room.name for room in rooms if room_out(room).child_friendly},
        )

    @post("/book/{prisoner_id:uuid}/hold")
    async def hold(
        self,
        page: FamilyPage,
        caller: RequestCaller,
        db_session: DbSession,
        settings: AppSettings,
        prisoner_id: FromPath[uuid.UUID],
        data: Annotated[forms.HoldForm, Form],
    ) -> Response[Any]:
        slot_id = parse_uuid(data.slot_id)
        visitor_ids = [parse_uuid(v) for v in data.visitors.split(",") if v.strip()]
        chosen = [v for v in visitor_ids if v is not None]
        if slot_id is None or not chosen or len(chosen) != len(visitor_ids):
            raise ValidationException
        asks = data.request_review == "1"  # a large group asks the facility (CF-07)
        try:
            visit, _ = await service.hold(
                db_session,
                caller,
                household_id=page.principal.household_id,
                prisoner_id=prisoner_id,
                slot_id=slot_id,
                visitor_ids=chosen,
                support_needs=browser_text(data.support_needs)[:1000] or None,
                hold_minutes=settings.hold_minutes,
                channel=Channel.ONLINE,
                request_review=asks,
            )
        except Refused as refusal:
            ask = (
                {
                    "action": f"/book/{prisoner_id}/hold",
                    "slot_id": slot_id,
                    "visitors": data.visitors,
                }
                if refusal.extra.get("request_review_possible")
                else None
            )
            return self._refused(page, refusal, back=f"/book/{prisoner_id}", ask=ask)
        except (Conflict, Unprocessable) as taken:  # the last place went, another visit is at
            # this time, or the time no longer needs a request
            back = (page._("Choose another time"), f"/book/{prisoner_id}")
            return self._problem(page, taken, links=[back])
        if visit.status is VisitStatus.REQUESTED:
            return see_other(f"/my-visits/{visit.id}", done="requested")
        return see_other(f"/my-visits/{visit.id}", done="held")

    @staticmethod
    def _refused(
        page: Page, refusal: Refused, *, back: str, ask: dict[str, Any] | None = None
    ) -> Response[Any]:
        """Every reason at once, kindly; other problems get their own sentence. ``ask``: the
        slot and group a large family may send as a request instead (CF-07)."""
        reasons = list(refusal.extra.get("rule_results", []))
        return page.render("refused.html", status=422, reasons=reasons, back=back, ask=ask)

    @staticmethod
    def _problem(
        page: Page, error: DomainError, *, links: Sequence[tuple[str, str]]
    ) -> Response[Any]:
        """A step that did not work, on a page of the signed-in family (its menu and
        language), in the page's words, with the ways on (text, address)."""
        return page.render(
            "problem.html", status=error.status, message=page.problem(error), links=links
        )

    # --- the household's visits -------------------------------------------------------------

    @get("/my-visits")
    async def my_visits(self, page: FamilyPage, db_session: DbSession) -> Response[Any]:
        rows = await visit_queries.household_visits(db_session, page.principal.household_id)
        now = datetime.now(UTC)
        upcoming = [
            r for r in rows if r.visit.ends_at > now and r.visit.status in ACTIVE_VISIT_STATES
        ]
        earlier = [r for r in rows if r not in upcoming]
        upcoming.reverse()  # soonest first
        return page.render("my_visits.html", upcoming=upcoming, earlier=earlier)

    @get("/my-visits/{visit_id:uuid}", dependencies=own_visit(lock=False))
    async def visit_page(
        self, page: FamilyPage, visit: CallersVisit, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        shown = await visit_out(
            db_session,
            visit,
            staff=False,
            language=page.language,
            public_url=settings.resolved_public_url,
        )
        ids = [p.visitor_id for p in shown.party if p.visitor_id is not None]
        row = await visit_queries.visit_row(db_session, visit)
        zone = row.facility.timezone
        now = datetime.now(UTC)
        ran_out = _hold_ran_out(visit, now)
        # A rule staff set aside reads as set aside, never as a failure; no name, no reason.
        set_aside = {o.rule_id for o in await visit_queries.overrides_of(db_session, visit.id)}
        stored = {str(r.get("rule_id")): r for r in visit.rule_results}
        if any(stored.get(rule, {}).get("family_message") is not None for rule in set_aside):
            set_aside.add(FACILITY_CHECK)  # the family reads a confidential rule as this id
        notes = [r for r in shown.results if r.passed or r.rule_id not in set_aside]
        topics = [
            set_aside_topic(
                r.rule_id,
                confidential=r.rule_id == FACILITY_CHECK
                or stored[r.rule_id].get("family_message") is not None,
                gettext=page._,
            )
            for r in shown.results
            if not r.passed and r.rule_id in set_aside
        ]
        upcoming = visit.ends_at > now
        # The visit pass for the gate: its QR code is the address of the staff's pass page,
        # which only staff of the facility can open (nothing about the household is in it).
        pass_url = settings.resolved_public_url + pass_path(visit.facility_id, visit.id)
        return page.render(
            "visit.html",
            pass_qr=qr_svg(pass_url, page._("QR code of the visit pass"))
            if visit.status is VisitStatus.CONFIRMED and upcoming
            else None,
            row=row,
            zone=zone,
            visit=visit,
            shown=shown,
            notes=notes,
            set_aside=topics,
            names=await account_queries.given_names(db_session, ids),
            prisoner=await db_session.get(Prisoner, visit.prisoner_id),
            ran_out=ran_out,
            times_again=await _times_of(db_session, visit, zone) if ran_out else None,
            can_confirm=visit.status is VisitStatus.HELD and not ran_out,
            can_cancel=visit.status in ACTIVE_VISIT_STATES and upcoming and not ran_out,
            too_late_to_cancel=_past_cutoff(visit, now, settings.cancel_cutoff_hours),
            can_move=_movable(visit, now),
            has_invite=invite_method(visit.status) == "REQUEST" and upcoming,
            cutoff_hours=settings.cancel_cutoff_hours,
        )

    @post("/my-visits/{visit_id:uuid}/confirm", dependencies=own_visit(lock=True))
    async def confirm(
        self,
        page: FamilyPage,
        caller: RequestCaller,
        visit: CallersVisit,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.EmptyForm, Form],
    ) -> Response[Any]:
        try:
            confirmed, _ = await service.confirm(
                db_session,
                caller,
                visit,
                settings=settings,
            )
        except Refused as refusal:
            return self._refused(page, refusal, back=f"/my-visits/{visit.id}")
        except Conflict as late:  # the hold ran out, or the visit was settled meanwhile
            row = await visit_queries.visit_row(db_session, visit)
            links = [(page._("Your visit"), f"/my-visits/{visit.id}")]
            if late.slug == "hold-expired":
                again = await _times_of(db_session, visit, row.facility.timezone)
                links.insert(0, (page._("Choose the time again"), again))
            return self._problem(page, late, links=links)
        done = "requested" if confirmed.status is VisitStatus.REQUESTED else "confirmed"
        return see_other(f"/my-visits/{confirmed.id}", done=done)

    @post("/my-visits/{visit_id:uuid}/reschedule", dependencies=own_visit(lock=True))
    async def reschedule(
        self,
        page: FamilyPage,
        caller: RequestCaller,
        visit: CallersVisit,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.HoldForm, Form],
    ) -> Response[Any]:
        """Move the visit: the new time is secured before the old one is given up."""
        slot_id = parse_uuid(data.slot_id)
        if slot_id is None:
            raise ValidationException
        try:
            moved, _ = await service.reschedule(
                db_session, caller, visit, slot_id, settings=settings
            )
        except Refused as refusal:
            return self._refused(page, refusal, back=f"/my-visits/{visit.id}")
        except (Conflict, Unprocessable) as problem:  # taken meanwhile, or the same time
            return self._problem(
                page, problem, links=[(page._("Your visit"), f"/my-visits/{visit.id}")]
            )
        return see_other(f"/my-visits/{moved.id}", done="rescheduled")

    @get("/my-visits/{visit_id:uuid}/cancel", dependencies=own_visit(lock=False))
    async def cancel_step(
        self, page: FamilyPage, visit: CallersVisit, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        """The second step of cancelling: what is cancelled, an optional reason, and the
        choice to cancel or to keep the visit. Nothing changes until the family confirms."""
        now = datetime.now(UTC)
        if (
            visit.status not in ACTIVE_VISIT_STATES
            or visit.ends_at <= now
            or _hold_ran_out(visit, now)
            or _past_cutoff(visit, now, settings.cancel_cutoff_hours)
        ):
            return see_other(f"/my-visits/{visit.id}")
        row = await visit_queries.visit_row(db_session, visit)
        return page.render(
            "cancel.html",
            row=row,
            zone=row.facility.timezone,
            visit=visit,
            prisoner=await db_session.get(Prisoner, visit.prisoner_id),
        )

    @post("/my-visits/{visit_id:uuid}/cancel", dependencies=own_visit(lock=True))
    async def cancel(
        self,
        page: FamilyPage,
        caller: RequestCaller,
        visit: CallersVisit,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.CancelForm, Form],
    ) -> Response[Any]:
        """Cancel, as confirmed on the second step (``cancel_step``)."""
        reason = data.reason.strip()
        try:
            cancelled = await service.cancel(
                db_session,
                caller,
                visit,
                reason=reason[:2000] if len(reason) >= 3 else None,
                cutoff_hours=settings.cancel_cutoff_hours,
                settings=settings,
            )
        except Conflict as problem:  # too close to the visit, or no longer standing
            return self._problem(
                page, problem, links=[(page._("Your visit"), f"/my-visits/{visit.id}")]
            )
        return see_other(f"/my-visits/{cancelled.id}", done="cancelled")

    @get("/my-visits/{visit_id:uuid}/invite.ics", dependencies=own_visit(lock=False))
    async def invite(
        self, visit: CallersVisit, db_session: DbSession, settings: AppSettings
    ) -> Response[bytes]:
        invite = await load_invite(
            db_session,
            visit,
            public_url=settings.resolved_public_url,
            mail_sender=settings.mail_sender,
        )
        if invite is None:
            raise Conflict("no-invite", "The visit has no invite yet.")
        return Response(
            invite.calendar,
            media_type=f"text/calendar; method={invite.method}",
            headers={
                "Content-Disposition": f'attachment; filename="{invite.filename}"',
                "Cache-Control": "no-store",
            },
        )

    @post("/my-visits/calendar")
    async def subscribe(
        self,
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.EmptyForm, Form],
    ) -> Response[Any]:
        owner = page.household
        assert owner is not None  # a signed-in page has its household
        scope = FeedScope(kind="household", household_id=owner.id, language=owner.language.value)
        created = await feed_tokens.create(
            db_session,
            scope,
            page.principal.actor,
            label=page._("Calendar subscription from the website"),
            public_url=settings.resolved_public_url,
        )
        return page.render("subscribed.html", url=created.url, webcal_url=created.webcal_url)
