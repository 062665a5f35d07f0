"""The notice outbox: every message to a family (sign-in codes, staff decisions, cancellations,
moves, closures) is a row written with the change that causes it, then sent by the dispatcher.
Households choose how they are told (``notify_by``) and their mobile number is used for SMS only
once a code sent to it came back (``phone_confirmed_at``; numbers stored before are unconfirmed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 07:30:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
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
STATES = ("pending", "sending", "sent", "delivered", "failed", "undeliverable", "cancelled")


def _when() -> advanced_alchemy.types.datetime.DateTimeUTC:
    return advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone_confirmed_at",
                _when(),
                nullable=True,
                comment="when a code sent by SMS to phone_e164 came back: only then are SMS sent "
                "there",
            )
        )
        batch_op.add_column(
            sa.Column(
                "notify_by",
                sa.Enum(
                    "email",
                    "sms",
                    "both",
                    name="notify_by",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="email",
                nullable=False,
            )
        )
    op.create_table(
        "notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="notice_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "email", "sms", name="contact_channel", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="notice_state", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _when(), nullable=True),
        sa.Column("lease_until", _when(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column("provider_status", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notice_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_notice_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_notice_visit_id_visit"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("provider_message_id", name=op.f("uq_notice_provider_message_id")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index(
            "ix_notice_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("notice")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_household_notify_by"), type_="check")
        batch_op.drop_column("notify_by")
        batch_op.drop_column("phone_confirmed_at")
