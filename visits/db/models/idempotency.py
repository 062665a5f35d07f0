"""Stored responses for ``Idempotency-Key`` retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from visits.db.base import Base, utcnow


class IdempotencyRecord(Base):
    """One key per caller: the request's fingerprint and the response it got."""

    __tablename__ = "idempotency_record"

    caller: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None]
    response: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
