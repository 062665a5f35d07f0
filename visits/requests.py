"""The request class: a JSON body's nesting depth is checked before it is parsed.

A deeply nested body (thousands of ``[``) costs recursion in every decoder and walker that reads
it; no request of this API nests deeper than a few levels, so anything beyond ``MAX_JSON_DEPTH``
is refused with a 400 problem before any parser or handler sees it. The body size is bounded by
``MAX_BODY_BYTES`` (Litestar answers 413 above it).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request

from visits.errors import Invalid

MAX_JSON_DEPTH = 32
MAX_BODY_BYTES = 1_048_576
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body`` (strings are skipped)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class VisitsRequest(Request[Any, Any, Any]):
    """Litestar's request, with the depth of a JSON body bounded before decoding."""

    async def json(self) -> Any:
        if json_depth(await self.body()) > MAX_JSON_DEPTH:
            raise Invalid(
                "invalid-request",
                "The JSON body is nested deeper than %(depth)s levels.",
                depth=MAX_JSON_DEPTH,
            )
        return await super().json()
