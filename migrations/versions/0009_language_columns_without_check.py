"""Language columns lose their CHECK constraint and take any language code up to 8 characters:
the languages spoken are the catalogs found, so adding one must not need a migration (the API
and the pages accept only languages spoken).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("household", "facility_information", "reminder")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_language"), type_="check")
            batch_op.alter_column(
                "language",
                existing_type=sa.String(length=2),
                type_=sa.String(length=8),
                existing_nullable=False,
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "language",
                existing_type=sa.String(length=8),
                type_=sa.String(length=2),
                existing_nullable=False,
            )
            batch_op.create_check_constraint(
                op.f(f"ck_{table}_language"), sa.column("language").in_(("de", "en"))
            )
