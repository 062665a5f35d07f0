"""Retention of families' data (prison data-protection law, e.g. JVollzDSG NRW § 42 (3): data
of visitors is deleted once it is no longer needed, and the need is reviewed at least yearly).

A household is *due* when nothing keeps it:

- no active approval: none of its people is approved for a prisoner who is still held, unless
  the approval hangs on a court permit that has run out (on remand);
- no pending approval request for a prisoner who is still held (staff have yet to decide it);
- nothing within the period (``Settings.retention_days`` before the run): no visit that starts
  in it (any state: upcoming visits keep the household too), no approval request made or
  decided in it, no change to the household itself (``updated_at``: its sign-up, a new contact).

The period's edge belongs to the period: a visit that started exactly ``retention_days`` before
the run keeps the household; one a moment older does not.

A due household is erased the way a family's own erasure does it
(``accounts.service.households.erase_household``): the household, its people, their approvals,
tokens and codes are deleted; past visits stay, anonymised (no household, no people, no support
needs; the party's ages and seat needs remain for the figures). One audit record per household
(``household.retention_erase``, by the system), holding the period and nothing personal.

``due_condition`` is the one definition: the daily job (``visits.scheduler.retention``) erases
what it selects, and the console's review list (``due_households``) shows the same selection,
computed for the time of the next run.

Exactly once: each household is claimed in its own transaction by a conditional update
(``erased_at`` set where it is still unset *and the household is still due*). With two
schedulers running at once, the second claim of a household matches no row: on PostgreSQL the
row lock makes it wait for the first transaction, after which the row is gone; on SQLite every
write transaction begins ``IMMEDIATE``, so the claims run one after the other. A household that
booked or asked for approval since it was listed is no longer due, so its claim fails as well.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from visits.accounts.service.households import erase_household
from visits.audit import Actor
from visits.db.models import Household, Prisoner, Visit, Visitor, VisitorApproval
from visits.enums import ApprovalStatus, CustodyStatus

AUDIT_ACTION = "household.retention_erase"
# The daily run, in UTC (at night, when nobody books).
RUN_AT = time(2, 30)


def next_run(now: datetime) -> datetime:
    """When the daily job runs next after ``now``."""
    today = datetime.combine(now.astimezone(UTC).date(), RUN_AT, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


def cutoff_for(now: datetime, retention_days: int) -> datetime:
    """The start of the period: activity at or after it keeps a household."""
    return now - timedelta(days=retention_days)


def due_condition(now: datetime, retention_days: int) -> sa.ColumnElement[bool]:
    """A ``Household`` row that the run at ``now`` erases (see the module's docstring)."""
    cutoff = cutoff_for(now, retention_days)
    today = now.astimezone(UTC).date()
    held = sa.or_(Prisoner.released_on.is_(None), Prisoner.released_on > today)
    keeps = sa.or_(
        sa.and_(VisitorApproval.status == ApprovalStatus.PENDING, held),
        sa.and_(
            VisitorApproval.status == ApprovalStatus.APPROVED,
            held,
            sa.or_(
                VisitorApproval.court_permit_until.is_(None),
                VisitorApproval.court_permit_until >= today,
                Prisoner.custody_status != CustodyStatus.REMAND,
            ),
        ),
        VisitorApproval.created_at >= cutoff,
        VisitorApproval.decided_at >= cutoff,
    )
    approval_keeps = sa.exists().where(
        Visitor.household_id == Household.id,
        VisitorApproval.visitor_id == Visitor.id,
        Prisoner.id == VisitorApproval.prisoner_id,
        keeps,
    )
    visit_keeps = sa.exists().where(Visit.household_id == Household.id, Visit.starts_at >= cutoff)
    return sa.and_(
        Household.erased_at.is_(None),
        Household.updated_at < cutoff,
        ~approval_keeps,
        ~visit_keeps,
    )


def linked_to(facility_id: uuid.UUID | None) -> sa.ColumnElement[bool]:
    """A household that visited or asked to visit someone at ``facility_id``; ``None``: one
    that never did anywhere (only administrators see those)."""
    visits = sa.exists().where(Visit.household_id == Household.id)
    approvals = sa.exists().where(
        Visitor.household_id == Household.id,
        VisitorApproval.visitor_id == Visitor.id,
        Prisoner.id == VisitorApproval.prisoner_id,
    )
    if facility_id is None:
        return sa.and_(~visits, ~approvals)
    return sa.or_(
        visits.where(Visit.facility_id == facility_id),
        approvals.where(Prisoner.facility_id == facility_id),
    )


async def due_ids(session: AsyncSession, now: datetime, retention_days: int) -> list[uuid.UUID]:
    """The households the run at ``now`` erases."""
    rows = await session.scalars(
        sa.select(Household.id).where(due_condition(now, retention_days)).order_by(Household.id)
    )
    return list(rows)


@dataclass(frozen=True)
class DueHousehold:
    """A line of the review list: who goes, and why (when they were last in touch)."""

    id: uuid.UUID
    guardian_name: str
    people: int
    last_visit: datetime | None
    last_activity: datetime


async def due_households(
    session: AsyncSession,
    now: datetime,
    retention_days: int,
    where: sa.ColumnElement[bool] | None = None,
) -> list[DueHousehold]:
    """The households the run at ``now`` erases (those of them ``where`` selects, e.g.
    ``linked_to`` a facility), the longest silent first."""
    people = (
        sa.select(sa.func.count(Visitor.id))
        .where(Visitor.household_id == Household.id)
        .scalar_subquery()
    )
    last_visit = (
        sa.select(sa.func.max(Visit.starts_at))
        .where(Visit.household_id == Household.id)
        .scalar_subquery()
    )

    def latest(column: InstrumentedAttribute[Any]) -> sa.ScalarSelect[Any]:
        return (
            sa.select(sa.func.max(column))
            .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
            .where(Visitor.household_id == Household.id)
            .scalar_subquery()
        )

    last_asked = latest(VisitorApproval.created_at)
    last_decided = latest(VisitorApproval.decided_at)
    rows = await session.execute(
        sa.select(
            Household.id,
            Household.guardian_name,
            Household.updated_at,
            people,
            last_visit,
            last_asked,
            last_decided,
        ).where(due_condition(now, retention_days), sa.true() if where is None else where)
    )
    found = []
    for household_id, name, changed, count, visited, asked, decided in rows:
        moments = [m for m in (changed, visited, asked, decided) if m is not None]
        found.append(DueHousehold(household_id, name, count or 0, visited, max(moments)))
    return sorted(found, key=lambda row: (row.last_activity, row.guardian_name, row.id))


async def anonymise(
    session: AsyncSession, household_id: uuid.UUID, now: datetime, retention_days: int
) -> bool:
    """Erase the household if it is still due at ``now`` and nobody else claimed it; flushes,
    the caller commits. True when this call erased it."""
    claimed = await session.scalar(
        sa.update(Household)
        .where(Household.id == household_id, due_condition(now, retention_days))
        .values(erased_at=now)
        .returning(Household.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return False
    household = await session.get(Household, household_id, populate_existing=True)
    assert household is not None  # claimed in this transaction
    await erase_household(
        session,
        household,
        Actor.system(),
        AUDIT_ACTION,
        changes={"retention_days": retention_days},
    )
    await session.flush()
    return True


def period_start(now: datetime, retention_days: int) -> date:
    """The first day of the period (UTC), for the review page."""
    return cutoff_for(now, retention_days).date()
