"""Staff work on prisoners: registering (one, or many from a CSV file), listing and finding
them, and the safeguarding facts the rules read: restrictions (CF-05) and "closed visits only"
(CF-19), recorded only by the facility's safeguarding lead, each with a reason, audited.

Moving a prisoner (transfer, release) changes their visits too, so it lives in
``booking.prisoner_changes``; this module only holds what it shares (``prisoner_or_404``).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import Facility, Prisoner, PrisonerRestriction
from visits.enums import StaffRole
from visits.errors import Conflict, NotFound, Unprocessable
from visits.facilities.queries import facility_or_404
from visits.i18n import N_, Message
from visits.people import queries
from visits.people.schemas import (
    ClosedVisitsIn,
    ImportLineOut,
    LiftIn,
    PrisonerDetailOut,
    PrisonerIn,
    PrisonerOut,
    RestrictionIn,
    RestrictionOut,
)
from visits.people.service.roles import (
    PRISONER_EDIT_ROLES,
    READ_ROLES,
    SAFEGUARDING_ROLES,
    safeguarding_lead,
)
from visits.validation import field_error, invalid_body, parse_body

IMPORT_COLUMNS = ("prison_number", "given_name", "family_name", "admission_date", "custody_status")
MAX_IMPORT_LINES = 2000


def prisoner_out(p: Prisoner) -> PrisonerOut:
    return PrisonerOut(
        id=p.id,
        facility_id=p.facility_id,
        prison_number=p.prison_number,
        given_name=p.given_name,
        family_name=p.family_name,
        admission_date=p.admission_date,
        custody_status=p.custody_status,
        closed_visits_only=p.closed_visits_only,
        released_on=p.released_on,
    )


def today_at(facility: Facility) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(facility.timezone)).date()


def restriction_out(r: PrisonerRestriction, today: date) -> RestrictionOut:
    return RestrictionOut(
        id=r.id,
        code=r.code,
        reason=r.reason,
        valid_until=r.valid_until,
        recorded_by=r.recorded_by,
        recorded_at=r.created_at,
        lifted_at=r.lifted_at,
        lifted_by=r.lifted_by,
        lift_reason=r.lift_reason,
        in_force=r.lifted_at is None and (r.valid_until is None or r.valid_until >= today),
    )


async def _today_of(session: AsyncSession, prisoner: Prisoner) -> date:
    return today_at(await facility_or_404(session, prisoner.facility_id))


def _prisoner_exists() -> Conflict:
    return Conflict("prisoner-exists", "This prison number is already registered.")


async def _prisoner_id(
    session: AsyncSession, facility_id: uuid.UUID, prison_number: str
) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(Prisoner.id).where(
            Prisoner.facility_id == facility_id, Prisoner.prison_number == prison_number
        )
    )


async def prisoner_or_404(
    session: AsyncSession,
    prisoner_id: uuid.UUID,
    *,
    facility_id: uuid.UUID | None = None,
    lock: bool = False,
) -> Prisoner:
    """The prisoner (only at ``facility_id``, if given), or 404 ``prisoner-not-found``."""
    statement = sa.select(Prisoner).where(Prisoner.id == prisoner_id)
    if facility_id is not None:
        statement = statement.where(Prisoner.facility_id == facility_id)
    if lock:
        statement = statement.with_for_update()
    prisoner = await session.scalar(statement)
    if prisoner is None:
        raise NotFound("prisoner-not-found", "There is no such prisoner.")
    return prisoner


async def staff_prisoner(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    roles: frozenset[StaffRole],
    *,
    facility_id: uuid.UUID | None = None,
    lock: bool = False,
) -> tuple[Prisoner, StaffRole]:
    """A prisoner the caller may act on in one of ``roles`` at their facility, and that role.
    A prisoner at a facility where the caller has no role is reported missing."""
    prisoner = await prisoner_or_404(session, prisoner_id, facility_id=facility_id, lock=lock)
    if not staff.is_admin and not staff.roles_at(prisoner.facility_id):
        raise NotFound("prisoner-not-found", "There is no such prisoner.")
    if roles == SAFEGUARDING_ROLES:
        return prisoner, safeguarding_lead(staff, prisoner.facility_id)
    return prisoner, staff.role_for(prisoner.facility_id, roles)


async def create_prisoner(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: PrisonerIn
) -> Prisoner:
    role = staff.role_for(facility_id, PRISONER_EDIT_ROLES)
    await facility_or_404(session, facility_id)
    if await _prisoner_id(session, facility_id, data.prison_number):
        raise _prisoner_exists()
    prisoner = Prisoner(
        facility_id=facility_id, **{f: getattr(data, f) for f in data.__struct_fields__}
    )
    try:
        async with session.begin_nested():
            session.add(prisoner)
    except IntegrityError:
        # Registered by a parallel request since the check above (the unique constraint saw it).
        if await _prisoner_id(session, facility_id, data.prison_number):
            raise _prisoner_exists() from None
        raise
    record(
        session,
        staff.actor(role),
        "prisoner.create",
        "prisoner",
        prisoner.id,
        facility_id=facility_id,
        changes={"prison_number": data.prison_number},
    )
    return prisoner


def _search(q: str | None) -> list[Any]:
    if not q or not q.strip():
        return []
    pattern = (
        "%" + q.strip().lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    )
    full_name = sa.func.lower(Prisoner.given_name + " " + Prisoner.family_name)
    return [
        sa.or_(
            full_name.like(pattern, escape="\\"),
            sa.func.lower(Prisoner.family_name).like(pattern, escape="\\"),
            sa.func.lower(Prisoner.prison_number).like(pattern, escape="\\"),
        )
    ]


async def list_prisoners(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
) -> tuple[list[Prisoner], int]:
    """One page of the facility's prisoners by family name; ``q`` finds a part of the name or
    of the prison number (any case)."""
    staff.role_for(facility_id, READ_ROLES)
    await facility_or_404(session, facility_id)
    conditions = [Prisoner.facility_id == facility_id, *_search(q)]
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(Prisoner).where(*conditions)
    )
    rows = await session.scalars(
        sa.select(Prisoner)
        .where(*conditions)
        .order_by(Prisoner.family_name, Prisoner.given_name, Prisoner.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def prisoner_detail(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    *,
    facility_id: uuid.UUID | None = None,
) -> PrisonerDetailOut:
    """A prisoner with every restriction on record, for any member of staff of the facility."""
    prisoner, _ = await staff_prisoner(
        session, staff, prisoner_id, READ_ROLES, facility_id=facility_id
    )
    facility = await facility_or_404(session, prisoner.facility_id)
    today = today_at(facility)
    return PrisonerDetailOut(
        prisoner=prisoner_out(prisoner),
        restrictions=[
            restriction_out(r, today) for r in await queries.restrictions_of(session, prisoner.id)
        ],
    )


# --- safeguarding facts (CF-05, CF-19): the safeguarding lead only ---------------------------


async def add_restriction(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    data: RestrictionIn,
    *,
    facility_id: uuid.UUID | None = None,
) -> RestrictionOut:
    """Record a restriction (CF-05) with its reason: from now on a visit with a child on a day
    it applies is referred to the safeguarding lead, and the family is told only to contact
    the facility. Visits booked already are not changed (staff see them on the prisoner's
    page)."""
    prisoner, role = await staff_prisoner(
        session, staff, prisoner_id, SAFEGUARDING_ROLES, facility_id=facility_id, lock=True
    )
    restriction = PrisonerRestriction(
        id=uuid.uuid4(),
        prisoner_id=prisoner.id,
        code=data.code.value,
        reason=data.reason,
        valid_until=data.valid_until,
        recorded_by=staff.name,
    )
    session.add(restriction)
    record(
        session,
        staff.actor(role),
        "prisoner.restriction_add",
        "prisoner",
        prisoner.id,
        facility_id=prisoner.facility_id,
        changes={
            "restriction_id": str(restriction.id),
            "code": data.code.value,
            "valid_until": data.valid_until.isoformat() if data.valid_until else None,
        },
        reason=data.reason,
    )
    await session.flush()
    return restriction_out(restriction, await _today_of(session, prisoner))


async def lift_restriction(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    restriction_id: uuid.UUID,
    data: LiftIn,
    *,
    facility_id: uuid.UUID | None = None,
) -> RestrictionOut:
    """End a restriction now, with a reason; it stays on record."""
    prisoner, role = await staff_prisoner(
        session, staff, prisoner_id, SAFEGUARDING_ROLES, facility_id=facility_id, lock=True
    )
    restriction = await session.scalar(
        sa.select(PrisonerRestriction).where(
            PrisonerRestriction.id == restriction_id,
            PrisonerRestriction.prisoner_id == prisoner.id,
        )
    )
    if restriction is None:
        raise NotFound("restriction-not-found", "There is no such restriction.")
    if restriction.lifted_at is not None:
        raise Conflict("restriction-lifted", "The restriction was lifted already.")
    restriction.lifted_at, restriction.lifted_by = utcnow(), staff.name
    restriction.lift_reason = data.reason
    record(
        session,
        staff.actor(role),
        "prisoner.restriction_lift",
        "prisoner",
        prisoner.id,
        facility_id=prisoner.facility_id,
        changes={"restriction_id": str(restriction.id), "code": restriction.code},
        reason=data.reason,
    )
    await session.flush()
    return restriction_out(restriction, await _today_of(session, prisoner))


async def set_closed_visits(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    data: ClosedVisitsIn,
    *,
    facility_id: uuid.UUID | None = None,
) -> Prisoner:
    """Set or clear "closed visits only" (CF-19: a visit with a child then goes to review)."""
    prisoner, role = await staff_prisoner(
        session, staff, prisoner_id, SAFEGUARDING_ROLES, facility_id=facility_id, lock=True
    )
    before = prisoner.closed_visits_only
    prisoner.closed_visits_only = data.closed_visits_only
    record(
        session,
        staff.actor(role),
        "prisoner.closed_visits",
        "prisoner",
        prisoner.id,
        facility_id=prisoner.facility_id,
        changes={"closed_visits_only": [before, data.closed_visits_only]},
        reason=data.reason,
    )
    await session.flush()
    return prisoner


# --- import from a CSV file -----------------------------------------------------------------


@dataclass
class ImportResult:
    """The lines that can be stored and every problem (``field_error`` items, named
    ``lines[N].field``; line 1 is the header)."""

    lines: list[ImportLineOut] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0


def _problem(line: int, name: str, detail: Message | str) -> dict[str, Any]:
    error = field_error(f"lines[{line}].{name}" if name else f"lines[{line}]", detail)
    error["line"], error["field"] = line, name
    return error


def _german_date(value: str) -> str:
    """``DD.MM.YYYY`` (as German spreadsheets write dates) as ISO; anything else unchanged."""
    parts = value.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        return f"{parts[2]}-{int(parts[1]):02d}-{int(parts[0]):02d}"
    return value


def read_import(document: str) -> tuple[list[tuple[int, PrisonerIn]], list[dict[str, Any]]]:
    """The lines of a CSV document as prisoners to register, and each line's problems."""
    text = document.removeprefix("\ufeff")
    header_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    errors: list[dict[str, Any]] = []
    if not rows:
        return [], [_problem(1, "", N_("the file is empty"))]
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        return [], [
            _problem(
                1, "", Message(N_("missing columns: %(columns)s"), {"columns": ", ".join(missing)})
            )
        ]
    if len(rows) - 1 > MAX_IMPORT_LINES:
        return [], [
            _problem(
                1, "", Message(N_("at most %(count)s lines at once"), {"count": MAX_IMPORT_LINES})
            )
        ]
    found: list[tuple[int, PrisonerIn]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        raw = {
            name: row[header.index(name)].strip() if header.index(name) < len(row) else ""
            for name in IMPORT_COLUMNS
        }
        raw["admission_date"] = _german_date(raw["admission_date"])
        raw["custody_status"] = raw["custody_status"].lower()
        try:
            body = parse_body(PrisonerIn, raw)
        except Unprocessable as invalid:
            errors.extend(_problem(number, e["name"], _detail(e)) for e in invalid.errors)
            continue
        if body.prison_number in seen:
            errors.append(
                _problem(
                    number,
                    "prison_number",
                    Message(N_("also on line %(line)s"), {"line": seen[body.prison_number]}),
                )
            )
            continue
        seen[body.prison_number] = number
        found.append((number, body))
    return found, errors


def _detail(error: dict[str, Any]) -> Message | str:
    detail = str(error.get("detail", ""))
    params = error.get("params")
    return Message(detail, params) if params else Message(detail)


async def import_prisoners(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    document: str,
    *,
    store: bool,
) -> ImportResult:
    """Check every line of a CSV document (a preview stores nothing); with ``store``, register
    them all, or none when any line has a problem (422 ``invalid-body`` listing each). A prison
    number registered already, or twice in the file, is a problem of its line."""
    role = staff.role_for(facility_id, PRISONER_EDIT_ROLES)
    await facility_or_404(session, facility_id)
    found, errors = read_import(document)
    numbers = [body.prison_number for _, body in found]
    registered = (
        set(
            await session.scalars(
                sa.select(Prisoner.prison_number).where(
                    Prisoner.facility_id == facility_id, Prisoner.prison_number.in_(numbers)
                )
            )
        )
        if numbers
        else set()
    )
    result = ImportResult(errors=errors)
    for number, body in found:
        if body.prison_number in registered:
            result.errors.append(_problem(number, "prison_number", N_("is registered already")))
            continue
        result.lines.append(
            ImportLineOut(line=number, **{f: getattr(body, f) for f in IMPORT_COLUMNS})
        )
    result.errors.sort(key=lambda e: (e["line"], e["field"]))
    if not store:
        return result
    if result.errors:
        raise invalid_body(
            [{k: v for k, v in e.items() if k not in ("line", "field")} for e in result.errors]
        )
    if not result.lines:
        raise invalid_body([field_error("document", N_("the file holds no prisoner"))])
    prisoners = [
        Prisoner(
            id=uuid.uuid4(),
            facility_id=facility_id,
            **{f: getattr(line, f) for f in IMPORT_COLUMNS},
        )
        for line in result.lines
    ]
    try:
        async with session.begin_nested():
            session.add_all(prisoners)
    except IntegrityError:
        raise _prisoner_exists() from None  # registered meanwhile: nothing is stored
    for prisoner in prisoners:
        record(
            session,
            staff.actor(role),
            "prisoner.create",
            "prisoner",
            prisoner.id,
            facility_id=facility_id,
            changes={"prison_number": prisoner.prison_number, "imported": True},
        )
    result.stored = len(prisoners)
    return result
