"""The declarative base: naming convention, UTC datetimes, portable UUIDs and JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from visits.enums import Language

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere; the binary JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC: the only clock models use."""
    return datetime.now(UTC)


def enum_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing the enum's values."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class LanguageCode(sa.TypeDecorator[Language]):
    """A language column: its code as VARCHAR without a CHECK constraint, so that a new catalog
    (a new ``Language``) needs no migration; only languages spoken are written or read."""

    impl = sa.String(8)
    cache_ok = True

    def process_bind_param(self, value: Language | str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else Language(value).value

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Language | None:
        return None if value is None else Language(value)


class Base(DeclarativeBase):
    """Base of every model; ``metadata`` is what Alembic compares against."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        datetime: DateTimeUTC(timezone=True),
        Language: LanguageCode(),
        uuid.UUID: sa.Uuid(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[dict[str, Any]]: JSONType,
        dict[str, Any] | None: JSONType,
        list[int]: JSONType,
        list[int] | None: JSONType,
    }


class IdMixin:
    """A random UUID primary key: ids reveal nothing about order or volume."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-100)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=100)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=100)
