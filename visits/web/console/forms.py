"""Reading the console's HTML forms: every value a stripped string, checkboxes as lists.

Values are converted and checked by the API's own schemas (``parse_body``), so the console
accepts exactly what the API accepts, and a mistake re-shows the form with a sentence next to
each field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
