"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000  # far beyond any real list, far below a database integer's range

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")
]
Offset = Annotated[
    int, QueryParameter(ge=0, le=MAX_OFFSET, description=f"Items to skip (0 to {MAX_OFFSET}).")
]


class Page(msgspec.Struct, Generic[T]):
    """One page of a list; ``total`` counts every item that matches the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int
