"""The rule parameters of a facility as the staff API reads and writes them."""

from __future__ import annotations

from typing import Annotated

import msgspec

from visits.validation import FieldProblem, line_problems, multi_line, single_line

# Parameter values as JSON: scalars, lists (of pairs) and tables of up to two levels, which is
# every shape of the rule catalogue (``school_holidays``, ``composition.child_family.…``).
Key = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
]
Scalar = bool | int | float | Annotated[str, single_line(64, min_length=0)] | None
Row = Annotated[list[Scalar], msgspec.Meta(max_length=100)]
Rows = Annotated[list[Scalar | Row], msgspec.Meta(max_length=100)]
Group = Annotated[dict[Key, Scalar | Row], msgspec.Meta(max_length=100)]
Table = Annotated[dict[Key, Scalar | Row | Group], msgspec.Meta(max_length=100)]
Value = Scalar | Rows | Table
Parameters = Annotated[
    dict[Key, Value],
    msgspec.Meta(
        max_length=200,
        description="Parameter names (dotted, or as nested tables) and their values.",
        examples=[{"max_children": 4, "composition.child_family.max_accompanying_adults": 2}],
    ),
]


class RuleParametersOut(msgspec.Struct):
    profile: str
    available_profiles: list[str]
    overrides: Parameters
    effective: Parameters


class RuleParametersIn(msgspec.Struct, forbid_unknown_fields=True):
    """``overrides`` replace the facility's overrides as a whole; ``reason`` is audited."""

    reason: Annotated[str, multi_line(2000, min_length=3)]
    overrides: Parameters
    profile: Annotated[str, single_line(32)] | None = None

    def problems(self) -> list[FieldProblem]:
        return line_problems(self, multi_line=frozenset({"reason"}))
