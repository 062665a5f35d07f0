"""Failures become problem documents and a log line, never a traceback for the client."""

from __future__ import annotations

import logging

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import FromQuery, SkipValidation
from litestar.testing import AsyncTestClient

from visits.app import create_app
from visits.errors import EXCEPTION_HANDLERS
from visits.logging import configure_logging
from visits.settings import Settings
from visits.validation import parse_body


@get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


async def test_an_unexpected_exception_is_logged_and_answered_with_a_problem(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging(Settings(environment="test"))
    app = Litestar(
        route_handlers=[boom], exception_handlers=EXCEPTION_HANDLERS, logging_config=None
    )
    with caplog.at_level(logging.ERROR):
        async with AsyncTestClient(app) as client:
            response = await client.get("/boom", headers={"Accept-Language": "de"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "urn:visits:problem:internal-error"
    assert body["title"] == "Bei uns ist ein Fehler passiert"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert any("unhandled_exception" in record.getMessage() for record in caplog.records)


async def test_ready_reports_an_unreachable_database_as_503() -> None:
    settings = Settings(
        environment="test",
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        scheduler="off",
    )
    async with AsyncTestClient(create_app(settings)) as client:
        ready = await client.get("/ready")
        health = await client.get("/health")
    assert ready.status_code == 503
    assert ready.json()["type"] == "urn:visits:problem:database-unavailable"
    assert health.status_code == 200  # the process itself is fine


@get("/needs", sync_to_thread=False)
def needs(month: FromQuery[str]) -> str:
    return month


async def test_a_missing_query_parameter_is_named_in_errors() -> None:
    app = Litestar(route_handlers=[needs], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app) as client:
        response = await client.get("/needs", params={"lang": "en"})
        german = await client.get("/needs", params={"lang": "de"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:visits:problem:invalid-parameters"
    assert body["errors"] == [{"name": "month", "in": "query", "detail": "is required"}]
    assert body["detail"] == "1 parameter is not valid."
    assert german.json()["detail"] == "1 Parameter ist ungültig."
    assert german.json()["errors"] == [
        {"name": "month", "in": "query", "detail": "ist erforderlich"}
    ]


class _Named(msgspec.Struct):
    name: str
    count: int


@post("/named", sync_to_thread=False)
def named(data: SkipValidation[_Named]) -> str:
    return parse_body(_Named, data).name


async def test_field_details_are_in_the_request_language() -> None:
    """This code's field details are translated; msgspec's own messages pass through."""
    app = Litestar(route_handlers=[named], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app) as client:
        german = await client.post("/named?lang=de", json={"count": "x", "extra": 1})
        english = await client.post("/named?lang=en", json={"count": "x", "extra": 1})
    assert german.status_code == english.status_code == 422
    assert german.json()["errors"] == [
        {"name": "extra", "in": "body", "detail": "unbekanntes Feld"},
        {"name": "name", "in": "body", "detail": "ist erforderlich"},
        {"name": "count", "in": "body", "detail": "Expected `int`, got `str`"},
    ]
    assert [e["detail"] for e in english.json()["errors"]] == [
        "unknown field",
        "is required",
        "Expected `int`, got `str`",
    ]
    assert english.json()["detail"] == "3 fields are not valid."
    assert german.json()["detail"] == "3 Angaben sind ungültig."
