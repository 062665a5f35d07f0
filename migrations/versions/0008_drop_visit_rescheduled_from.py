"""Visits lose ``rescheduled_from_id``: nothing ever wrote it (a move keeps the visit and its
calendar UID, and the audit trail records the slots it moved between).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-16 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_visit_rescheduled_from_id_visit"), type_="foreignkey")
        batch_op.drop_column("rescheduled_from_id")


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rescheduled_from_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_visit_rescheduled_from_id_visit"),
            "visit",
            ["rescheduled_from_id"],
            ["id"],
            ondelete="SET NULL",
        )
