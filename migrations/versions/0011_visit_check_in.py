"""Visits record the gate's check-in: when the party arrived (``arrived_at``) and whether it
came late (``arrived_late``). A no-show stays a visit status; arrival makes it ``attended``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:00:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "arrived_at",
                advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
                nullable=True,
                comment="when the gate checked the party in",
            )
        )
        batch_op.add_column(
            sa.Column(
                "arrived_late",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="the gate recorded the party as late",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("arrived_late")
        batch_op.drop_column("arrived_at")
