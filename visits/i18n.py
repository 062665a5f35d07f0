"""Language choice: the service speaks German and English."""

from __future__ import annotations

from typing import Any

from litestar import Request

SUPPORTED_LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "en"


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags from an ``Accept-Language`` header, best first (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate_language(request: Request[Any, Any, Any]) -> str:
    """``?lang=`` if given and supported, else the best supported ``Accept-Language``."""
    explicit: str | None = request.query_params.get("lang")
    if explicit in SUPPORTED_LANGUAGES:
        return explicit
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        if tag in SUPPORTED_LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
