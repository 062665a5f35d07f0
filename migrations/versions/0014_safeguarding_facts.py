"""Guardian consent on file (CF-02) becomes a relation between an adult and a child: one
``guardian_consent`` row per pair, with the safeguarding lead's note, who recorded it, and once
withdrawn who withdrew it and why.

The old yes/no ``visitor.guardian_consent_on_file`` said "consent for this child is on file"
without saying for which companion. Each child (under 18 on the day of the upgrade) marked so
gets one row per adult of the same household (18 or over), which keeps every booking that
passed CF-02 before passing after; the note says the row was moved. A mark on an adult, or on a
child without an adult in the household, has no pair and is dropped. A downgrade marks every
child with a valid consent row.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 15:00:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATED_BY = "migration 0014"
MIGRATED_REASON = "Consent on file before consent named the adult (moved by migration 0014)."
ADULT_AGE = 18
CONSENT_COMMENT = "written guardian consent (and ID copy) held by the facility (CF-02)"


def _when() -> advanced_alchemy.types.datetime.DateTimeUTC:
    return advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _consent_table() -> sa.TableClause:
    return sa.table(
        "guardian_consent",
        sa.column("id", sa.Uuid()),
        sa.column("adult_visitor_id", sa.Uuid()),
        sa.column("child_visitor_id", sa.Uuid()),
        sa.column("reason", sa.Text()),
        sa.column("recorded_by", sa.String(200)),
        sa.column("valid", sa.Boolean()),
        sa.column("created_at", _when()),
        sa.column("updated_at", _when()),
    )


def _visitor_table() -> sa.TableClause:
    return sa.table(
        "visitor",
        sa.column("id", sa.Uuid()),
        sa.column("household_id", sa.Uuid()),
        sa.column("birth_date", sa.Date()),
        sa.column("guardian_consent_on_file", sa.Boolean()),
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def upgrade() -> None:
    op.create_table(
        "guardian_consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("adult_visitor_id", sa.Uuid(), nullable=False),
        sa.Column("child_visitor_id", sa.Uuid(), nullable=False),
        sa.Column(
            "reason",
            sa.Text(),
            nullable=False,
            comment="what was seen: the form, the ID copy",
        ),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("valid", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("withdrawn_at", _when(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.CheckConstraint(
            "adult_visitor_id <> child_visitor_id", name=op.f("ck_guardian_consent_two_people")
        ),
        sa.ForeignKeyConstraint(
            ["adult_visitor_id"],
            ["visitor.id"],
            name=op.f("fk_guardian_consent_adult_visitor_id_visitor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_visitor_id"],
            ["visitor.id"],
            name=op.f("fk_guardian_consent_child_visitor_id_visitor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_consent")),
    )
    with op.batch_alter_table("guardian_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guardian_consent_adult_visitor_id"), ["adult_visitor_id"], unique=False
        )
        batch_op.create_index(
            "ix_guardian_consent_child_adult",
            ["child_visitor_id", "adult_visitor_id"],
            unique=False,
        )

    connection = op.get_bind()
    visitor = _visitor_table()
    today = datetime.now(UTC).date()
    households: dict[uuid.UUID, list[tuple[uuid.UUID, date, bool]]] = {}
    for visitor_id, household_id, born, on_file in connection.execute(
        sa.select(
            visitor.c.id,
            visitor.c.household_id,
            visitor.c.birth_date,
            visitor.c.guardian_consent_on_file,
        )
    ):
        households.setdefault(household_id, []).append((visitor_id, born, bool(on_file)))
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "adult_visitor_id": adult_id,
            "child_visitor_id": child_id,
            "reason": MIGRATED_REASON,
            "recorded_by": MIGRATED_BY,
            "valid": True,
            "created_at": now,
            "updated_at": now,
        }
        for members in households.values()
        for child_id, child_born, on_file in members
        if on_file and _age(child_born, today) < ADULT_AGE
        for adult_id, adult_born, _ in members
        if adult_id != child_id and _age(adult_born, today) >= ADULT_AGE
    ]
    if rows:
        connection.execute(_consent_table().insert(), rows)

    with op.batch_alter_table("visitor", schema=None) as batch_op:
        batch_op.drop_column("guardian_consent_on_file")


def downgrade() -> None:
    with op.batch_alter_table("visitor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "guardian_consent_on_file",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment=CONSENT_COMMENT,
            )
        )
    connection = op.get_bind()
    consent = _consent_table()
    visitor = _visitor_table()
    children = sorted(
        set(
            connection.scalars(
                sa.select(consent.c.child_visitor_id).where(consent.c.valid.is_(True))
            )
        )
    )
    if children:
        connection.execute(
            sa.update(visitor)
            .where(visitor.c.id.in_(children))
            .values(guardian_consent_on_file=True)
        )
    with op.batch_alter_table("guardian_consent", schema=None) as batch_op:
        batch_op.drop_index("ix_guardian_consent_child_adult")
        batch_op.drop_index(batch_op.f("ix_guardian_consent_adult_visitor_id"))
    op.drop_table("guardian_consent")
