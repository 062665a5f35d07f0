"""Reading the console's HTML forms: every value a stripped string, checkboxes as lists.

Values are converted and checked by the API's own schemas (``parse_body``), so the console
accepts exactly what the API accepts, and a mistake re-shows the form with a sentence next to
each field. The limits a browser checks before sending (``min``, ``max``, ``maxlength``) and
that the sentences name are read from the same schemas (``bounds``), never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import msgspec.inspect as schema_info
from litestar import Request

from visits.validation import browser_text

MAX_FIELD_LENGTH = 4000  # longer than any field; keeps a pasted essay out of every check


@dataclass(frozen=True)
class FormValues:
    values: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def present(self, *names: str) -> dict[str, str]:
        """The non-empty fields among ``names`` (an empty field means "not given")."""
        return {name: self.get(name) for name in names if self.get(name)}


async def read_form(request: Request[Any, Any, Any]) -> FormValues:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(browser_text(value)[:MAX_FIELD_LENGTH])
    return FormValues(values)


@dataclass(frozen=True)
class Bounds:
    """A form field's limits as its schema sets them."""

    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    def attrs(self) -> str:
        """The field's HTML limits: ``min``/``max`` for a number, ``maxlength`` for a text
        (numbers only, so a template may write them unescaped)."""
        parts = []
        if self.minimum is not None:
            parts.append(f'min="{self.minimum}"')
        if self.maximum is not None:
            parts.append(f'max="{self.maximum}"')
        if self.max_length is not None:
            parts.append(f'maxlength="{self.max_length}"')
        return " ".join(parts)

    def values(self) -> dict[str, int]:
        """For a sentence naming the limits: ``%(min)d``, ``%(max)d``, ``%(max_length)d``."""
        found = {"min": self.minimum, "max": self.maximum, "max_length": self.max_length}
        return {name: value for name, value in found.items() if value is not None}


def _bounds(kind: schema_info.Type) -> Bounds | None:
    if isinstance(kind, schema_info.UnionType):  # "T | None": the limits of T
        inner = [t for t in kind.types if not isinstance(t, schema_info.NoneType)]
        return _bounds(inner[0]) if len(inner) == 1 else None
    if isinstance(kind, schema_info.Metadata):
        return _bounds(kind.type)
    if isinstance(kind, schema_info.IntType):
        low = kind.ge if kind.ge is not None else (kind.gt + 1 if kind.gt is not None else None)
        high = kind.le if kind.le is not None else (kind.lt - 1 if kind.lt is not None else None)
        return Bounds(minimum=low, maximum=high)
    if isinstance(kind, schema_info.StrType) and kind.max_length is not None:
        return Bounds(max_length=kind.max_length)
    return None


def bounds(struct_type: type[msgspec.Struct]) -> dict[str, Bounds]:
    """The limits of every bounded number and text field of a body schema, by field name."""
    info = schema_info.type_info(struct_type)
    assert isinstance(info, schema_info.StructType)
    found = {field.encode_name: _bounds(field.type) for field in info.fields}
    return {name: limits for name, limits in found.items() if limits is not None}
