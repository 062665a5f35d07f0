"""Console planning edges found by a new user (issue 17 point 8), on SQLite and PostgreSQL: the
decision form's reason is required and described by its hint; the room form's browser limits
are the server's; rooms and slot templates are changed and taken out of use (refused while
visits are booked ahead; booked visits are flagged, never cancelled); publishing says why a
template opened no slot; an administrator creates a facility; a visit a closure flagged is
moved to another time and the household is told. The German pages have no English left."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import msgspec.inspect as schema_info
import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff, bearer, staff_token
from tests.web.console_helpers import LEAD, MANAGER, OFFICER, demo_facility, staff_signs_in
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Facility,
    Notice,
    Room,
    Slot,
    SlotTemplate,
    Visit,
)
from visits.enums import NoticeKind, SlotStatus, StaffRole, VisitStatus
from visits.facilities.schemas.staff import RoomIn
from visits.i18n import LOCALE_DIR

ADMIN = "admin@visits.example"
KAYA = "deniz.kaya@example.org"


# --- reading pages --------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]


@dataclass
class Document(HTMLParser):
    """The elements of a page (tag and attributes, in order) and its visible text."""

    elements: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    _hidden: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.texts.append(data)

    @classmethod
    def of(cls, page: str) -> Document:
        document = cls()
        document.feed(page)
        return document

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, (element_id, found)
        return found[0]

    def has_id(self, element_id: str) -> bool:
        return any(e.attrs.get("id") == element_id for e in self.elements)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())


def assert_described(document: Document, element_id: str, *expected: str) -> None:
    """The element's ``aria-describedby`` names exactly ``expected``, and each exists."""
    described = (document.by_id(element_id).attrs.get("aria-describedby") or "").split()
    assert described == list(expected), described
    for target in described:
        assert document.has_id(target), target


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _english_fragments() -> list[tuple[str, str]]:
    """(English fragment, its German text) for every catalog message: the runs of words
    between placeholders, long enough not to be a German word by chance."""
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="de")
    fragments = []
    for message in catalog:
        if not message.id:
            continue
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        german = " ".join(s for s in strings if s)
        for text in english:
            for part in PLACEHOLDER.split(text):
                part = " ".join(part.split()).strip(" ,.:;()")
                if len(part) >= 9 and len(part.split()) >= 2:
                    fragments.append((part, german))
    return fragments


def assert_german(page: str, start: str | None = None) -> None:
    """No English message (or its part) is left on a German page, from the element marked
    ``start`` on when given (a part of the page other work still translates): an untranslated
    text falls back to its English id, which this finds."""
    assert '<html lang="de">' in page
    if start is not None:
        page = page[page.index(start) :]
    text = html.unescape(Document.of(page).text)
    left = sorted({f for f, german in _english_fragments() if f in text and f not in german})
    assert not left, left


def schema_bounds(name: str) -> tuple[int, int]:
    """``ge``/``le`` of a number field of ``RoomIn``, read from the schema itself."""
    info = schema_info.type_info(RoomIn)
    assert isinstance(info, schema_info.StructType)
    [found] = [f for f in info.fields if f.name == name]
    kind = found.type
    while isinstance(kind, schema_info.Metadata):
        kind = kind.type
    assert isinstance(kind, schema_info.IntType)
    assert kind.ge is not None
    assert kind.le is not None
    return kind.ge, kind.le


# --- the decision form ----------------------------------------------------------------------


async def test_the_decision_reason_is_required_and_described_by_its_hint(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    request = await db.scalar(sa.select(Visit).where(Visit.status == VisitStatus.REQUESTED))
    assert request is not None
    path = f"/staff/facilities/{facility_id}/visits/{request.id}"
    await db.commit()
    token = await staff_signs_in(client, LEAD)
    page = await client.get(path)
    assert page.status_code == 200
    assert "requiredaria" not in page.text
    document = Document.of(page.text)
    reason = document.by_id("reason")
    assert reason.tag == "textarea"
    assert "required" in reason.attrs
    assert_described(document, "reason", "reason-hint")
    assert "The family sees the reason" in html.unescape(document.text)

    missing = await client.post(
        f"{path}/decision", data={"csrf_token": token, "decision": "approve", "reason": ""}
    )
    assert missing.status_code == 422
    document = Document.of(missing.text)
    assert "required" in document.by_id("reason").attrs
    assert_described(document, "reason", "reason-hint", "reason-error")
    assert document.by_id("reason").attrs.get("aria-invalid") == "true"

    await staff_signs_in(client, LEAD, language="de")
    assert_german((await client.get(path)).text, start='id="decision-heading"')


# --- rooms ----------------------------------------------------------------------------------


async def test_the_room_forms_limits_are_the_servers_and_beyond_them_is_refused(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    room = await db.scalar(sa.select(Room).where(Room.name == "Spielzimmer"))
    assert room is not None
    room_id, tables_before = room.id, room.capacity_tables
    await db.commit()
    token = await staff_signs_in(client, MANAGER)
    for path in (
        f"/staff/facilities/{facility_id}/rooms",
        f"/staff/facilities/{facility_id}/rooms/{room_id}",
    ):
        document = Document.of((await client.get(path)).text)
        for name in ("capacity_tables", "capacity_seats", "capacity_children"):
            low, high = schema_bounds(name)
            shown = document.by_id(name).attrs
            assert (shown.get("min"), shown.get("max")) == (str(low), str(high)), (path, name)
            assert "required" in shown
    low_tables, _ = schema_bounds("capacity_tables")
    _, high_seats = schema_bounds("capacity_seats")
    _, high_children = schema_bounds("capacity_children")
    form = {
        "csrf_token": token,
        "name": "Spielzimmer",
        "description": "",
        "capacity_tables": str(low_tables - 1),
        "capacity_seats": str(high_seats + 1),
        "capacity_children": str(high_children),
    }
    refused = await client.post(f"/staff/facilities/{facility_id}/rooms/{room_id}", data=form)
    assert refused.status_code == 422
    text = html.unescape(Document.of(refused.text).text)
    tables_low, tables_high = schema_bounds("capacity_tables")
    seats_low, _ = schema_bounds("capacity_seats")
    assert f"Please enter a number of tables from {tables_low} to {tables_high}." in text
    assert f"Please enter a number of seats from {seats_low} to {high_seats}." in text
    assert "children from" not in text  # the limit itself is allowed
    document = Document.of(refused.text)
    assert_described(document, "capacity_seats", "capacity_seats-error")
    stored = await db.get(Room, room_id, populate_existing=True)
    assert stored is not None
    assert stored.capacity_tables == tables_before
    await db.commit()
    added = await client.post(
        f"/staff/facilities/{facility_id}/rooms",
        data=form
        | {"name": "Neuer Raum", "capacity_tables": "2", "capacity_seats": "6"}
        | {"capacity_children": str(high_children + 1)},
    )
    assert added.status_code == 422
    _, children_high = schema_bounds("capacity_children")
    children_low, _ = schema_bounds("capacity_children")
    assert (
        f"Please enter a number of children from {children_low} to {children_high}."
        in html.unescape(added.text)
    )
    assert await db.scalar(sa.select(sa.func.count()).where(Room.name == "Neuer Raum")) == 0


async def test_a_manager_changes_a_room_and_takes_it_out_of_use_only_when_nothing_is_booked(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    hall = await db.scalar(sa.select(Room).where(Room.name == "Besuchssaal"))
    play = await db.scalar(sa.select(Room).where(Room.name == "Spielzimmer"))
    assert hall is not None
    assert play is not None
    hall_id, play_id = hall.id, play.id
    booked = list(
        await db.scalars(
            sa.select(Visit)
            .join(Slot, Slot.id == Visit.slot_id)
            .where(Slot.room_id == hall_id, Visit.status == VisitStatus.REQUESTED)
        )
    )
    assert len(booked) == 1  # the Kaya family's request
    reference = booked[0].reference
    await db.commit()
    rooms = f"/staff/facilities/{facility_id}/rooms"

    token = await staff_signs_in(client, OFFICER)
    officer_view = await client.get(f"{rooms}/{hall_id}")
    assert officer_view.status_code == 200
    assert "Take the room out of use" not in officer_view.text
    assert "Only visits managers change rooms." in officer_view.text
    denied = await client.post(f"{rooms}/{play_id}/remove", data={"csrf_token": token})
    assert denied.status_code == 403

    token = await staff_signs_in(client, MANAGER)
    page = await client.get(f"{rooms}/{hall_id}")
    assert "1 visit is booked in this room ahead." in page.text
    assert reference in page.text
    assert f'action="{rooms}/{hall_id}/remove"' not in page.text
    refused = await client.post(f"{rooms}/{hall_id}/remove", data={"csrf_token": token})
    assert refused.status_code == 409
    assert (
        "Visits are booked in this room ahead. Move or cancel them first; the families are told."
        in html.unescape(refused.text)
    )
    await db.commit()
    # The staff API refuses alike; its detail counts the visits in the caller's language.
    await add_staff(db, "api@jva-musterstadt.example", [(StaffRole.VISITS_MANAGER, facility_id)])
    api = bearer(await staff_token(client, "api@jva-musterstadt.example"))
    for language, detail in (
        ("en", "The room has 1 booked visit ahead. Move or cancel it first."),
        ("de", "Der Raum hat 1 künftig gebuchten Besuch. Verlegen oder stornieren Sie ihn zuerst."),
    ):
        answer = await client.patch(
            f"/api/v1/staff/rooms/{hall_id}",
            json={"is_active": False},
            headers=api | {"accept-language": language},
        )
        assert answer.status_code == 409
        assert answer.json()["type"] == "urn:visits:problem:room-in-use"
        assert answer.json()["detail"] == detail
    token = await staff_signs_in(client, MANAGER)
    still = await db.get(Room, hall_id, populate_existing=True)
    assert still is not None
    assert still.is_active
    await db.commit()

    changed = await client.post(
        f"{rooms}/{play_id}",
        data={
            "csrf_token": token,
            "name": "Spielzimmer Nord",
            "description": "Mit Außenspielplatz.",
            "features": ["play_corner", "outdoor"],
            "age_bands": ["3-5"],
            "capacity_tables": "5",
            "capacity_seats": "15",
            "capacity_children": "10",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert "done=room_saved" in changed.headers["location"]
    saved = await db.get(Room, play_id, populate_existing=True)
    assert saved is not None
    assert (saved.name, saved.capacity_tables, saved.features) == (
        "Spielzimmer Nord",
        5,
        ["play_corner", "outdoor"],
    )
    await db.commit()

    page = await client.get(f"{rooms}/{play_id}")
    assert "No visit is booked in this room ahead." in page.text
    removed = await client.post(
        f"{rooms}/{play_id}/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert "done=room_removed" in removed.headers["location"]
    gone = await db.get(Room, play_id, populate_existing=True)
    assert gone is not None
    assert not gone.is_active
    assert not await db.scalar(
        sa.select(sa.func.count())
        .select_from(SlotTemplate)
        .where(SlotTemplate.room_id == play_id, SlotTemplate.is_active)
    )
    assert not await db.scalar(
        sa.select(sa.func.count())
        .select_from(Slot)
        .where(
            Slot.room_id == play_id,
            Slot.starts_at > utcnow(),
            Slot.status != SlotStatus.CANCELLED,
            Slot.status != SlotStatus.CLOSED,
        )
    )
    await db.commit()
    listed = await client.get(removed.headers["location"])
    assert "The room was taken out of use." in listed.text

    token = await staff_signs_in(client, MANAGER, language="de")
    assert_german((await client.get(f"{rooms}/{hall_id}")).text)
    german = await client.post(f"{rooms}/{hall_id}/remove", data={"csrf_token": token})
    assert german.status_code == 409
    assert_german(german.text)


# --- slot templates -------------------------------------------------------------------------


async def test_a_template_is_changed_and_removed_and_its_booked_visit_is_flagged_not_cancelled(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    visit = await db.scalar(sa.select(Visit).where(Visit.status == VisitStatus.CONFIRMED))
    assert visit is not None
    slot = await db.get(Slot, visit.slot_id)
    assert slot is not None
    assert slot.template_id is not None
    template = await db.get(SlotTemplate, slot.template_id)
    assert template is not None
    template_id, visit_id, reference = template.id, visit.id, visit.reference
    later = (datetime.combine(slot.local_date, template.start_time) + timedelta(minutes=30)).time()
    form = {
        "visit_type": template.visit_type.value,
        "weekday": str(template.weekday),
        "start_time": later.strftime("%H:%M"),
        "duration_minutes": str(template.duration_minutes),
        "interval_weeks": str(template.interval_weeks),
        "valid_from": template.valid_from.isoformat(),
        "valid_to": "",
        "bookable_by": template.bookable_by.value,
        "reason": "The staff rota changes",
    }
    await db.commit()
    path = f"/staff/facilities/{facility_id}/templates/{template_id}"

    token = await staff_signs_in(client, MANAGER)
    listing = await client.get(f"/staff/facilities/{facility_id}/templates")
    assert f'href="{path}"' in listing.text
    page = await client.get(path)
    assert page.status_code == 200
    assert reference in page.text
    assert "1 visit is booked in this template" in html.unescape(page.text)
    document = Document.of(page.text)
    assert "required" in document.by_id("reason").attrs
    assert not document.has_id("remove_reason")  # no removing while a visit is booked

    refused = await client.post(
        f"{path}/remove", data={"csrf_token": token, "remove_reason": "Not needed"}
    )
    assert refused.status_code == 409
    assert "Visits are booked in this template's slots ahead." in html.unescape(refused.text)
    kept = await db.get(SlotTemplate, template_id, populate_existing=True)
    assert kept is not None
    assert kept.is_active
    await db.commit()

    no_reason = await client.post(path, data={"csrf_token": token} | form | {"reason": ""})
    assert no_reason.status_code == 422
    assert 'href="#reason"' in no_reason.text
    changed = await client.post(path, data={"csrf_token": token} | form, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    assert "done=template_saved" in changed.headers["location"]
    moved = await db.get(SlotTemplate, template_id, populate_existing=True)
    assert moved is not None
    assert moved.start_time == later
    flagged = await db.get(Visit, visit_id, populate_existing=True)
    assert flagged is not None
    assert flagged.status is VisitStatus.CONFIRMED  # never cancelled
    assert flagged.needs_review
    await db.commit()
    queue = await client.get(f"/staff/facilities/{facility_id}/review")
    assert reference in queue.text
    assert "The staff rota changes" in queue.text

    empty = await client.post(f"{path}/remove", data={"csrf_token": token, "remove_reason": ""})
    assert empty.status_code == 422
    assert_described(Document.of(empty.text), "remove_reason", "remove_reason-error")
    removed = await client.post(
        f"{path}/remove",
        data={"csrf_token": token, "remove_reason": "The group moves to Saturdays"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "done=template_removed" in removed.headers["location"]
    ended = await db.get(SlotTemplate, template_id, populate_existing=True)
    assert ended is not None
    assert not ended.is_active
    assert not await db.scalar(
        sa.select(sa.func.count())
        .select_from(Slot)
        .where(Slot.template_id == template_id, Slot.starts_at > utcnow())
    )
    still = await db.get(Visit, visit_id, populate_existing=True)
    assert still is not None
    assert still.status is VisitStatus.CONFIRMED
    reasons = set(
        await db.scalars(
            sa.select(AuditEvent.reason).where(AuditEvent.object_id == str(template_id))
        )
    )
    assert {"The staff rota changes", "The group moves to Saturdays"} <= reasons
    await db.commit()

    await staff_signs_in(client, MANAGER, language="de")
    ended_page = await client.get(path)
    assert_german(ended_page.text)


async def test_publishing_a_template_beyond_the_horizon_says_why_nothing_was_published(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    hall_id = await db.scalar(sa.select(Room.id).where(Room.name == "Besuchssaal"))
    facility = await db.get(Facility, facility_id)
    assert facility is not None
    today = utcnow().astimezone(ZoneInfo(facility.timezone)).date()
    await db.commit()
    templates = f"/staff/facilities/{facility_id}/templates"
    token = await staff_signs_in(client, MANAGER)
    first = await client.post(
        f"/staff/facilities/{facility_id}/slots/publish",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert first.status_code == 303  # the demo's templates, up to the horizon
    assert "done=published" in first.headers["location"]
    start = today + timedelta(days=100)
    saved = await client.post(
        templates,
        data={
            "csrf_token": token,
            "action": "save",
            "room_id": str(hall_id),
            "visit_type": "regular",
            "weekday": str(start.weekday()),
            "start_time": "07:00",
            "duration_minutes": "30",
            "interval_weeks": "1",
            "valid_from": start.isoformat(),
            "bookable_by": "public",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    again = await client.post(
        f"/staff/facilities/{facility_id}/slots/publish",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert "created=0" in again.headers["location"]
    assert "done=published" not in again.headers["location"]  # no "published" claim
    page = await client.get(again.headers["location"])
    text = html.unescape(Document.of(page.text).text)
    assert "0 new slots are open for booking." in text
    assert "The slots were published." not in text
    assert "has its first slot on" in text
    assert f"{start:%b} {start.day}, {start.year}" in text
    assert "slots are published 56 days ahead" in text
    appear = start - timedelta(days=55)
    assert f"appear from {appear:%b} {appear.day}, {appear.year}" in text
    assert not await db.scalar(
        sa.select(sa.func.count())
        .select_from(Slot)
        .join(SlotTemplate, SlotTemplate.id == Slot.template_id)
        .where(SlotTemplate.valid_from == start)
    )
    await db.commit()

    await staff_signs_in(client, MANAGER, language="de")
    german = await client.get(again.headers["location"])
    assert "Termine werden 56 Tage im Voraus veröffentlicht" in html.unescape(german.text)
    assert_german(german.text)


# --- a new facility -------------------------------------------------------------------------


async def test_an_administrator_creates_a_facility_and_no_one_else_may(
    client: Client, db: AsyncSession
) -> None:
    await demo_facility(db)
    await add_staff(db, ADMIN, [(StaffRole.ADMIN, None)])
    token = await staff_signs_in(client, MANAGER)
    assert (await client.get("/staff/facilities/new")).status_code == 403
    posted = await client.post(
        "/staff/facilities/new", data={"csrf_token": token, "slug": "jva-nord"}
    )
    assert posted.status_code == 403

    token = await staff_signs_in(client, ADMIN, password=STAFF_PASSWORD)
    home = await client.get("/staff")
    assert 'href="/staff/facilities/new"' in home.text
    blank = await client.get("/staff/facilities/new")
    assert blank.status_code == 200
    document = Document.of(blank.text)
    assert document.by_id("max_days_ahead").attrs.get("value") == "28"
    assert "required" in document.by_id("name").attrs
    form = {
        "csrf_token": token,
        "name": "JVA Nord",
        "slug": "jva-nord",
        "street": "Am Wall 3",
        "postal_code": "12345",
        "city": "Nordstadt",
        "country": "DE",
        "email": "besuche@jva-nord.example",
        "phone": "",
        "timezone": "Europe/Berlin",
        "languages": ["de", "en"],
        "rule_profile": "generic",
        "min_notice_hours": "48",
        "max_days_ahead": "28",
    }
    bad = await client.post(
        "/staff/facilities/new",
        data=form | {"slug": "JVA Nord", "name": "", "max_days_ahead": "100000", "languages": []},
    )
    assert bad.status_code == 422
    text = html.unescape(bad.text)
    assert "Please enter 2 to 63 lower-case letters, digits and dashes" in text
    assert "Please enter a number of days from" in text
    assert "Please choose at least one language." in text
    order = [
        bad.text.index(f'href="#{n}"') for n in ("name", "slug", "languages", "max_days_ahead")
    ]
    assert order == sorted(order)  # the summary follows the form
    assert not await db.scalar(sa.select(sa.func.count()).where(Facility.slug == "jva-nord"))
    await db.commit()

    created = await client.post("/staff/facilities/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    made = await db.scalar(sa.select(Facility).where(Facility.slug == "jva-nord"))
    assert made is not None
    assert (made.name, made.city, made.timezone) == ("JVA Nord", "Nordstadt", "Europe/Berlin")
    assert created.headers["location"].startswith(f"/staff/facilities/{made.id}/rooms")
    assert "done=facility_created" in created.headers["location"]
    assert await db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "facility.create", AuditEvent.object_id == str(made.id))
    )
    await db.commit()
    rooms = await client.get(created.headers["location"])
    assert rooms.status_code == 200
    assert "The facility was created." in rooms.text

    taken = await client.post("/staff/facilities/new", data=form)
    assert taken.status_code == 409
    assert "A facility with this short name exists." in html.unescape(taken.text)

    token = await staff_signs_in(client, ADMIN, password=STAFF_PASSWORD, language="de")
    assert_german((await client.get("/staff/facilities/new")).text)
    german_bad = await client.post(
        "/staff/facilities/new", data=form | {"csrf_token": token, "name": "", "city": ""}
    )
    assert german_bad.status_code == 422
    assert_german(german_bad.text)


# --- moving a visit a closure flagged -------------------------------------------------------


async def test_a_visit_a_closure_flagged_is_moved_to_another_time_and_the_family_is_told(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    visit = await db.scalar(sa.select(Visit).where(Visit.status == VisitStatus.CONFIRMED))
    assert visit is not None
    assert visit.household_id is not None
    slot = await db.get(Slot, visit.slot_id)
    assert slot is not None
    target = await db.scalar(
        sa.select(Slot)
        .where(
            Slot.template_id == slot.template_id,
            Slot.starts_at > slot.starts_at + timedelta(days=1),
            Slot.status == SlotStatus.OPEN,
        )
        .order_by(Slot.starts_at)
    )
    assert target is not None
    visit_id, old_slot, target_id, day = visit.id, slot.id, target.id, slot.local_date
    await db.commit()
    path = f"/staff/facilities/{facility_id}/visits/{visit_id}"

    token = await staff_signs_in(client, MANAGER)
    closed = await client.post(
        f"/staff/facilities/{facility_id}/closures",
        data={
            "csrf_token": token,
            "action": "save",
            "starts_on": day.isoformat(),
            "ends_on": day.isoformat(),
            "room_id": "",
            "reason": "Water damage",
        },
        follow_redirects=False,
    )
    assert closed.status_code == 303
    queue = await client.get(closed.headers["location"])
    assert "then decide, or move it to another time" in queue.text
    flagged = await db.get(Visit, visit_id, populate_existing=True)
    assert flagged is not None
    assert flagged.needs_review
    await db.commit()

    page = await client.get(path)
    assert page.status_code == 200
    document = Document.of(page.text)
    assert document.by_id("slot_id").tag == "select"
    choices = {e.attrs.get("value") for e in document.elements if e.tag == "option"}
    assert str(target_id) in choices
    assert str(old_slot) not in choices
    assert 'value="approve"' in page.text  # keep, or cancel, or move

    missing = await client.post(f"{path}/move", data={"csrf_token": token, "slot_id": ""})
    assert missing.status_code == 422
    assert "Please choose the new time." in missing.text
    caplog.clear()
    moved = await client.post(
        f"{path}/move",
        data={"csrf_token": token, "slot_id": str(target_id)},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    assert "done=moved" in moved.headers["location"]
    after = await db.get(Visit, visit_id, populate_existing=True)
    assert after is not None
    assert after.slot_id == target_id
    assert after.status is VisitStatus.CONFIRMED
    assert not after.needs_review  # the flag of the closed day is settled by the move
    kinds = list(await db.scalars(sa.select(Notice.kind).where(Notice.visit_id == visit_id)))
    assert NoticeKind.VISIT_MOVED in kinds
    told = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict)
        and r.msg.get("event") == "message_logged_not_sent"
        and r.msg.get("to") == KAYA
    ]
    assert [m.get("purpose") for m in told] == ["visit_moved"]
    await db.commit()
    shown = await client.get(moved.headers["location"])
    assert "The visit was moved. The household was told." in shown.text

    await staff_signs_in(client, MANAGER, language="de")
    german = await client.get(path)
    assert "Auf einen anderen Termin verlegen" in german.text
    assert_german(german.text, start='aria-labelledby="move-heading"')
