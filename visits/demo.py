"""Demo data: one facility in Europe/Berlin with three rooms, four weeks of slots, two
households with children, their imprisoned parents, a booked visit and a request waiting for the
safeguarding lead, and (when a password is given) three staff accounts. Every name is invented."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.secrets import hash_password
from visits.audit import Actor
from visits.booking import service
from visits.db import transaction
from visits.db.base import utcnow
from visits.db.models import (
    Facility,
    FacilityInformation,
    Household,
    Prisoner,
    Room,
    Slot,
    SlotTemplate,
    StaffGrant,
    StaffMember,
    Visitor,
    VisitorApproval,
)
from visits.enums import (
    ActorType,
    AgeBand,
    ApprovalStatus,
    Channel,
    CustodyStatus,
    Language,
    Relationship,
    RoomFeature,
    StaffRole,
    VisitType,
)
from visits.facilities.slot_generation import generate_slots
from visits.settings import Settings

DEMO_TIMEZONE = "Europe/Berlin"
DEMO_WEEKS = 4
DEMO_HOLD_MINUTES = 10
# (e-mail, name, role at the demo facility); the password comes from the caller
DEMO_STAFF = (
    ("leitung@jva-musterstadt.example", "Petra Leitner", StaffRole.VISITS_MANAGER),
    ("besuchsdienst@jva-musterstadt.example", "Omar Haddad", StaffRole.VISITS_OFFICER),
    ("sozialdienst@jva-musterstadt.example", "Sabine Kraus", StaffRole.SAFEGUARDING_LEAD),
)

# (language, age band or None for everyone, topic, title, body)
_INFORMATION = [
    (
        "de",
        None,
        "arrival",
        "Ankunft",
        "Bitte kommen Sie 30 Minuten vor Beginn. Alle Besucherinnen und Besucher, auch Kinder, "
        "brauchen einen Ausweis.",
    ),
    (
        "en",
        None,
        "arrival",
        "Arrival",
        "Please arrive 30 minutes before the start. Every visitor, children too, needs an ID.",
    ),
    (
        "de",
        AgeBand.PRESCHOOL,
        "gate",
        "Am Eingang",
        "Am Eingang schaut eine freundliche Person in deine Tasche. Danach gehst du in ein Zimmer "
        "mit Spielecke, wo Papa oder Mama auf dich wartet.",
    ),
    (
        "en",
        AgeBand.PRESCHOOL,
        "gate",
        "At the gate",
        "At the gate a friendly person looks into your bag. Then you go to a room with a play "
        "corner where your dad or mum is waiting for you.",
    ),
    (
        "de",
        AgeBand.SCHOOL,
        "gate",
        "Am Eingang",
        "Am Eingang wird kontrolliert, was du mitbringst, wie am Flughafen. Im Familienzimmer gibt "
        "es Bücher und Spiele. Du darfst alles fragen.",
    ),
    (
        "en",
        AgeBand.SCHOOL,
        "gate",
        "At the gate",
        "At the gate staff check what you bring, like at an airport. The family room has books and "
        "games. You can ask anything.",
    ),
]


async def seed_demo(
    session: AsyncSession,
    today: date | None = None,
    *,
    staff_password: str | None = None,
    second_family: bool = False,
) -> bool:
    """Add the demo unless a facility exists already. Returns whether it seeded; commits.

    Staff accounts are added only with ``staff_password``: a password never lives in the code.
    ``second_family`` adds the Kaya family with a booked visit and a request for the console;
    ``visits serve`` always adds it, tests of one family leave it out.
    """
    if await session.scalar(sa.select(sa.func.count()).select_from(Facility)):
        return False
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = today or datetime.now(UTC).astimezone(zone).date()

    facility = Facility(
        slug="jva-musterstadt",
        name="JVA Musterstadt",
        timezone=DEMO_TIMEZONE,
        street="Am Besucherweg 1",
        postal_code="12345",
        city="Musterstadt",
        country="DE",
        phone="+49 30 1234567",
        email="besuch@jva-musterstadt.example",
        languages=["de", "en"],
        min_notice_hours=48,
        max_days_ahead=28,
        rule_profile="de-nw",
    )
    every_band = [band.value for band in AgeBand]
    family_room = Room(
        facility=facility,
        name="Familienzimmer",
        description="Helles Zimmer mit Spielecke, Wickeltisch, Büchern und Sofas.",
        features=[
            RoomFeature.PLAY_CORNER,
            RoomFeature.BABY_CHANGING,
            RoomFeature.BOOKS_GAMES,
            RoomFeature.MOVABLE_FURNITURE,
            RoomFeature.STEP_FREE,
        ],
        age_bands=every_band,
        capacity_tables=4,
        capacity_seats=14,
        capacity_children=8,
    )
    play_room = Room(
        facility=facility,
        name="Spielzimmer",
        description="Spielzimmer mit Zugang zum Außenspielplatz.",
        features=[RoomFeature.PLAY_CORNER, RoomFeature.BOOKS_GAMES, RoomFeature.OUTDOOR],
        age_bands=[AgeBand.PRESCHOOL.value, AgeBand.SCHOOL.value],
        capacity_tables=6,
        capacity_seats=18,
        capacity_children=12,
    )
    hall = Room(
        facility=facility,
        name="Besuchssaal",
        description="Der allgemeine Besuchsraum mit Einzeltischen.",
        features=[RoomFeature.STEP_FREE],
        age_bands=[],
        capacity_tables=10,
        capacity_seats=30,
        capacity_children=6,
    )
    session.add_all([facility, family_room, play_room, hall])
    await session.flush()
    start = today - timedelta(days=today.weekday())  # the rhythm starts on this week's Monday
    templates = [
        (hall, VisitType.REGULAR, 1, time(9, 0), 60, 1),
        (hall, VisitType.REGULAR, 3, time(9, 0), 60, 1),
        (hall, VisitType.REGULAR, 5, time(10, 0), 60, 1),
        (family_room, VisitType.CHILD_FAMILY, 2, time(15, 30), 120, 1),
        (family_room, VisitType.CHILD_FAMILY, 5, time(14, 0), 120, 1),
        (play_room, VisitType.PARENT_CHILD_GROUP, 4, time(15, 0), 120, 2),
        (play_room, VisitType.FAMILY_DAY, 6, time(10, 0), 240, 4),
    ]
    session.add_all(
        SlotTemplate(
            facility_id=facility.id,
            room=room,
            visit_type=visit_type,
            weekday=weekday,
            start_time=start_time,
            duration_minutes=minutes,
            interval_weeks=interval,
            valid_from=start,
            valid_to=None,
        )
        for room, visit_type, weekday, start_time, minutes, interval in templates
    )
    session.add_all(
        FacilityInformation(
            facility=facility,
            language=Language(language),
            age_band=band.value if band else None,
            topic=topic,
            title=title,
            body=body,
        )
        for language, band, topic, title, body in _INFORMATION
    )

    prisoner = Prisoner(
        facility_id=facility.id,
        prison_number="MS-2026-0042",
        given_name="Jonas",
        family_name="Beispiel",
        admission_date=today - timedelta(days=40),
        custody_status=CustodyStatus.SENTENCED,
    )
    household = Household(
        guardian_name="Anna Beispiel",
        email="anna.beispiel@example.org",
        phone_e164="+4915112345678",
        language=Language("de"),
        sms_consent=True,
        phone_confirmed_at=utcnow(),
    )
    visitors = [
        Visitor(
            household=household,
            given_name="Anna",
            family_name="Beispiel",
            birth_date=today - relativedelta(years=34, days=50),
            relationship=Relationship.PARTNER,
            is_guardian=True,
        ),
        Visitor(
            household=household,
            given_name="Mia",
            family_name="Beispiel",
            birth_date=today - relativedelta(years=4, days=120),
            relationship=Relationship.CHILD,
        ),
        Visitor(
            household=household,
            given_name="Leon",
            family_name="Beispiel",
            birth_date=today - relativedelta(years=10, days=200),
            relationship=Relationship.CHILD,
        ),
    ]
    session.add_all([prisoner, household, *visitors])
    await session.flush()
    session.add_all(
        VisitorApproval(
            visitor_id=visitor.id,
            prisoner_id=prisoner.id,
            status=ApprovalStatus.APPROVED,
            decided_at=datetime.now(UTC),
            decided_by="demo",
            reason="demo data",
        )
        for visitor in visitors
    )
    await session.flush()
    last = today + timedelta(weeks=DEMO_WEEKS) - timedelta(days=1)
    await generate_slots(session, facility, today, last)
    if second_family:
        await _second_family(session, facility, today)
    if staff_password:
        _staff(session, facility, staff_password)
    # The seeder is its own boundary. Its families are invented: their notices and invites
    # (the effects of the booked visits) are not sent.
    await transaction.commit(session)
    return True


def _staff(session: AsyncSession, facility: Facility, password: str) -> None:
    digest = hash_password(password)
    session.add_all(
        StaffMember(
            email=email,
            name=name,
            password_hash=digest,
            grants=[StaffGrant(role=role, facility_id=facility.id)],
        )
        for email, name, role in DEMO_STAFF
    )


async def _second_family(session: AsyncSession, facility: Facility, today: date) -> None:
    """The Kaya family: a booked child-and-family visit next week (for the day sheet) and a
    request with an uncle whose safeguarding check is pending (for the review queue)."""
    prisoner = Prisoner(
        facility_id=facility.id,
        prison_number="MS-2026-0107",
        given_name="Murat",
        family_name="Kaya",
        admission_date=today - timedelta(days=12),
        custody_status=CustodyStatus.SENTENCED,
    )
    household = Household(
        guardian_name="Deniz Kaya",
        email="deniz.kaya@example.org",
        phone_e164="+4915198765432",
        language=Language("en"),
        sms_consent=False,
        phone_confirmed_at=utcnow(),
    )
    mother, son, uncle = (
        Visitor(
            household=household,
            given_name="Deniz",
            family_name="Kaya",
            birth_date=today - relativedelta(years=31, days=77),
            relationship=Relationship.PARTNER,
            is_guardian=True,
        ),
        Visitor(
            household=household,
            given_name="Emil",
            family_name="Kaya",
            birth_date=today - relativedelta(years=7, days=30),
            relationship=Relationship.CHILD,
        ),
        Visitor(
            household=household,
            given_name="Can",
            family_name="Kaya",
            birth_date=today - relativedelta(years=45, days=12),
            relationship=Relationship.OTHER_RELATIVE,
            safeguarding_flags=["check_pending"],
        ),
    )
    session.add_all([prisoner, household, mother, son, uncle])
    await session.flush()
    session.add_all(
        VisitorApproval(
            visitor_id=visitor.id,
            prisoner_id=prisoner.id,
            status=ApprovalStatus.APPROVED,
            decided_at=datetime.now(UTC),
            decided_by="demo",
            reason="demo data",
        )
        for visitor in (mother, son, uncle)
    )
    await session.flush()
    caller = service.Caller(
        actor=Actor(ActorType.HOUSEHOLD, str(household.id), None, Channel.ONLINE),
        household_id=household.id,
    )
    family_slot = await _first_slot(session, facility, today, VisitType.CHILD_FAMILY)
    regular_slot = await _first_slot(session, facility, today, VisitType.REGULAR)
    for slot, party in ((family_slot, [mother, son]), (regular_slot, [mother, son, uncle])):
        if slot is None:
            continue
        visit, _ = await service.hold(
            session,
            caller,
            household_id=household.id,
            prisoner_id=prisoner.id,
            slot_id=slot.id,
            visitor_ids=[v.id for v in party],
            support_needs="Emil is shy with new people; a quiet table please."
            if slot is family_slot
            else None,
            hold_minutes=DEMO_HOLD_MINUTES,
            channel=Channel.ONLINE,
        )
        await session.flush()
        await service.confirm(
            session,
            caller,
            visit,
            settings=Settings(),
        )
        await session.flush()


async def _first_slot(
    session: AsyncSession, facility: Facility, today: date, visit_type: VisitType
) -> Slot | None:
    """The first slot of a type from next week on (beyond any booking notice)."""
    return await session.scalar(
        sa.select(Slot)
        .where(
            Slot.facility_id == facility.id,
            Slot.visit_type == visit_type,
            Slot.local_date >= today + timedelta(days=7),
        )
        .order_by(Slot.starts_at)
        .limit(1)
    )
