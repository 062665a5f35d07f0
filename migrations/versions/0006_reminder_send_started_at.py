"""Reminders record when a send began, so that an unknown outcome is reconciled, not resent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 01:00:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "send_started_at",
                advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
                nullable=True,
                comment="set while a provider call may have happened and its outcome is not "
                "recorded",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("send_started_at")
