"""Notices tell households of staff's decision on a visitor approval (CF-04): the notice kinds
``approval_given`` and ``approval_denied`` join the kind's CHECK constraint. The column's length
stays (no new kind is longer than the longest before).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "sign_in_code",
    "phone_code",
    "visit_booked",
    "visit_confirmed",
    "visit_rejected",
    "request_expired",
    "visit_cancelled",
    "visit_moved",
    "visit_affected",
)
NEW = ("approval_given", "approval_denied")


def _kinds(kinds: Sequence[str]) -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notice_notice_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_notice_notice_kind"), sa.column("kind").in_(tuple(kinds))
        )


def upgrade() -> None:
    _kinds(BEFORE + NEW)


def downgrade() -> None:
    notice = sa.table("notice", sa.column("kind", sa.String))
    op.execute(sa.delete(notice).where(notice.c.kind.in_(NEW)))
    _kinds(BEFORE)
