"""Slot capacity that cannot be exceeded, on PostgreSQL and SQLite alike.

Taking capacity is one conditional UPDATE: it succeeds only while every counter stays within
capacity, so concurrent bookings cannot overbook (count-then-insert can). CHECK constraints on
the slot table are the last line of defence. Infants below the seat age take no seat (CF-07).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Slot
from visits.enums import SlotStatus
from visits.rules.party import Usage


async def take(
    session: AsyncSession, slot_id: uuid.UUID, usage: Usage, *, allow_closed: bool = False
) -> bool:
    """Reserve ``usage`` in the slot if it fits (and the slot is open); False otherwise."""
    condition = [
        Slot.id == slot_id,
        Slot.booked_tables + usage.tables <= Slot.capacity_tables,
        Slot.booked_seats + usage.seats <= Slot.capacity_seats,
        Slot.booked_children + usage.children <= Slot.capacity_children,
    ]
    if not allow_closed:
        condition.append(Slot.status == SlotStatus.OPEN)
    result = await session.execute(
        sa.update(Slot)
        .where(*condition)
        .values(
            booked_tables=Slot.booked_tables + usage.tables,
            booked_seats=Slot.booked_seats + usage.seats,
            booked_children=Slot.booked_children + usage.children,
        )
        .returning(Slot.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def overbook(session: AsyncSession, slot_id: uuid.UUID, usage: Usage) -> None:
    """Staff's explicit, audited overbooking (CF-07b override): capacity grows to fit."""
    await session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id)
        .values(
            booked_tables=Slot.booked_tables + usage.tables,
            booked_seats=Slot.booked_seats + usage.seats,
            booked_children=Slot.booked_children + usage.children,
            capacity_tables=sa.case(
                (
                    Slot.booked_tables + usage.tables > Slot.capacity_tables,
                    Slot.booked_tables + usage.tables,
                ),
                else_=Slot.capacity_tables,
            ),
            capacity_seats=sa.case(
                (
                    Slot.booked_seats + usage.seats > Slot.capacity_seats,
                    Slot.booked_seats + usage.seats,
                ),
                else_=Slot.capacity_seats,
            ),
            capacity_children=sa.case(
                (
                    Slot.booked_children + usage.children > Slot.capacity_children,
                    Slot.booked_children + usage.children,
                ),
                else_=Slot.capacity_children,
            ),
        )
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, slot_id: uuid.UUID, usage: Usage) -> None:
    """Give back what a visit took."""
    await session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id)
        .values(
            booked_tables=Slot.booked_tables - usage.tables,
            booked_seats=Slot.booked_seats - usage.seats,
            booked_children=Slot.booked_children - usage.children,
        )
        .execution_options(synchronize_session=False)
    )
