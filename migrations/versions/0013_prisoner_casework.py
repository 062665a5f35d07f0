"""Prisoner restrictions (CF-05) become rows of their own: each with its code, the safeguarding
lead's reason, who recorded it, an optional valid-until date and, once lifted, who lifted it and
why. The codes in ``prisoner.restrictions`` move there (reason: recorded before reasons were
kept) and the column goes; a downgrade writes the restrictions in force back into it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 14:40:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATED_BY = "migration 0013"
MIGRATED_REASON = "Recorded before restrictions kept a reason (moved by migration 0013)."


def _when() -> advanced_alchemy.types.datetime.DateTimeUTC:
    return advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _restriction_table() -> sa.TableClause:
    return sa.table(
        "prisoner_restriction",
        sa.column("id", sa.Uuid()),
        sa.column("prisoner_id", sa.Uuid()),
        sa.column("code", sa.String(32)),
        sa.column("reason", sa.Text()),
        sa.column("valid_until", sa.Date()),
        sa.column("recorded_by", sa.String(200)),
        sa.column("lifted_at", _when()),
        sa.column("created_at", _when()),
        sa.column("updated_at", _when()),
    )


def _prisoner_table() -> sa.TableClause:
    return sa.table("prisoner", sa.column("id", sa.Uuid()), sa.column("restrictions", _json()))


def upgrade() -> None:
    op.create_table(
        "prisoner_restriction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prisoner_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "valid_until",
            sa.Date(),
            nullable=True,
            comment="last day the restriction applies; none: until lifted",
        ),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("lifted_at", _when(), nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prisoner_id"],
            ["prisoner.id"],
            name=op.f("fk_prisoner_restriction_prisoner_id_prisoner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prisoner_restriction")),
    )
    with op.batch_alter_table("prisoner_restriction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prisoner_restriction_prisoner_id"), ["prisoner_id"], unique=False
        )

    connection = op.get_bind()
    prisoner = _prisoner_table()
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "prisoner_id": prisoner_id,
            "code": str(code)[:32],
            "reason": MIGRATED_REASON,
            "valid_until": None,
            "recorded_by": MIGRATED_BY,
            "lifted_at": None,
            "created_at": now,
            "updated_at": now,
        }
        for prisoner_id, codes in connection.execute(
            sa.select(prisoner.c.id, prisoner.c.restrictions)
        )
        for code in sorted(set(codes or []))
    ]
    if rows:
        connection.execute(_restriction_table().insert(), rows)

    # Plain ALTER TABLE on both databases (SQLite 3.35+): a batch copy of ``prisoner`` would
    # drop the table that visits and approvals refer to.
    op.execute("ALTER TABLE prisoner DROP COLUMN restrictions")


def downgrade() -> None:
    # SQLite adds a NOT NULL column only with a default, and cannot drop that default without
    # copying the table (see upgrade); PostgreSQL drops it below, as revision 0012 had none.
    op.add_column(
        "prisoner",
        sa.Column("restrictions", _json(), nullable=False, server_default=sa.text("'[]'")),
    )

    connection = op.get_bind()
    restriction = _restriction_table()
    prisoner = _prisoner_table()
    codes: dict[uuid.UUID, set[str]] = {}
    for prisoner_id, code in connection.execute(
        sa.select(restriction.c.prisoner_id, restriction.c.code).where(
            restriction.c.lifted_at.is_(None),
            sa.or_(
                restriction.c.valid_until.is_(None),
                restriction.c.valid_until >= datetime.now(UTC).date(),
            ),
        )
    ):
        codes.setdefault(prisoner_id, set()).add(code)
    for prisoner_id, found in codes.items():
        connection.execute(
            sa.update(prisoner)
            .where(prisoner.c.id == prisoner_id)
            .values(restrictions=sorted(found))
        )
    if connection.dialect.name != "sqlite":
        op.alter_column("prisoner", "restrictions", existing_type=_json(), server_default=None)

    with op.batch_alter_table("prisoner_restriction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prisoner_restriction_prisoner_id"))
    op.drop_table("prisoner_restriction")
