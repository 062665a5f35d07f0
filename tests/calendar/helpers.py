"""Shared pieces of the calendar tests: a local SMTP sink, DST days, visits written directly."""

from __future__ import annotations

import email
import email.policy
import secrets
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.base import utcnow
from visits.db.models import Household, Prisoner, Room, Slot, Visit, VisitParty
from visits.enums import Channel, SlotStatus, VisitStatus, VisitType

BERLIN = ZoneInfo("Europe/Berlin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sink:
    """Collects what the SMTP server receives; ``arrived`` is set by each message (a test
    waits on it for mail sent after a response)."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.arrived.set()
        return "250 OK"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 (a free port) for the duration of a ``with``."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[tuple[str, list[str], EmailMessage]]:
        return self.sink.messages


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def next_dst_change_days(today: date) -> tuple[date, date]:
    """The next last Sunday of March and of October (Europe/Berlin changes its clocks then)."""
    found = []
    for month in (3, 10):
        year = today.year
        while last_sunday(year, month) <= today + timedelta(days=3):
            year += 1
        found.append(last_sunday(year, month))
    return found[0], found[1]


async def slot_at(db: AsyncSession, room: Room, local_start: datetime, minutes: int = 120) -> Slot:
    """A slot written straight into the database at a local start time (for DST days)."""
    starts = local_start.replace(tzinfo=BERLIN).astimezone(UTC)
    slot = Slot(
        facility_id=room.facility_id,
        room_id=room.id,
        visit_type=VisitType.CHILD_FAMILY,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        local_date=local_start.date(),
        capacity_tables=room.capacity_tables,
        capacity_seats=room.capacity_seats,
        capacity_children=room.capacity_children,
        status=SlotStatus.OPEN,
    )
    db.add(slot)
    await db.flush()
    return slot


async def visit_on(
    db: AsyncSession,
    slot: Slot,
    household: Household | None,
    ages: list[int],
    *,
    status: VisitStatus = VisitStatus.CONFIRMED,
) -> Visit:
    """A visit of ``household`` on ``slot`` with one party member per age (no rules run)."""
    prisoner = await db.scalar(sa.select(Prisoner).where(Prisoner.facility_id == slot.facility_id))
    assert prisoner is not None
    children = sum(1 for age in ages if age < 18)
    visit_id = uuid.uuid4()
    visit = Visit(
        id=visit_id,
        reference=secrets.token_hex(4).upper(),
        facility_id=slot.facility_id,
        slot_id=slot.id,
        prisoner_id=prisoner.id,
        household_id=household.id if household else None,
        visit_type=slot.visit_type,
        status=status,
        channel=Channel.PHONE,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        used_tables=1,
        used_seats=len(ages),
        used_children=children,
        ical_uid=f"visit-{visit_id}@visits",
        confirmed_at=utcnow(),
        party=[
            VisitParty(visitor_id=None, age_years=age, is_child=age < 18, needs_seat=age >= 3)
            for age in ages
        ],
    )
    slot.booked_tables += 1
    slot.booked_seats += len(ages)
    slot.booked_children += children
    db.add(visit)
    await db.flush()
    return visit


async def demo_rooms(db: AsyncSession) -> dict[str, Room]:
    return {room.name: room for room in await db.scalars(sa.select(Room))}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))
