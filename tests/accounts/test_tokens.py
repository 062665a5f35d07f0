"""Token kinds are separate; OpenAPI documents the security scheme."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, bearer, sign_up
from visits.accounts import tokens
from visits.accounts.secrets import TOKEN_BYTES, new_token, token_digest
from visits.db.models import AuthToken, Household
from visits.enums import TokenKind


async def test_feed_tokens_are_read_only_and_cannot_use_the_api(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_up(client, caplog, "cal@example.org")
    household_id = await db.scalar(sa.select(Household.id))
    feed, row = tokens.issue(
        db,
        TokenKind.FEED,
        household_id=household_id,
        lifetime=None,
        label="phone calendar",
        scope={"feed": "household"},
    )
    await db.commit()
    assert feed.startswith("vf_")
    assert row.token_hash == token_digest(feed)
    assert row.expires_at is None
    for path in ("/api/v1/household", "/api/v1/auth/me"):
        assert (await client.get(path, headers=bearer(feed))).status_code == 401
    await tokens.revoke(db, row.id)
    await db.commit()
    assert (await db.get(AuthToken, row.id, populate_existing=True)).revoked_at is not None  # type: ignore[union-attr]


def test_tokens_are_unique_and_long() -> None:
    seen = {new_token("vh") for _ in range(1000)}
    assert len(seen) == 1000
    assert TOKEN_BYTES * 8 >= 128
    assert all(len(t) == 3 + 43 for t in seen)


async def test_openapi_documents_bearer_security(client: Client) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["paths"]["/api/v1/household"]["get"]["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/admin/staff"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/api/v1/slots"]["get"]
    # Bodies keep their schema although they are validated field by field.
    body = spec["paths"]["/api/v1/auth/households"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("SignUpIn")


def test_expiry_helper() -> None:
    assert tokens.expiry(timedelta(hours=1)) > tokens.expiry(timedelta(minutes=59))


async def test_openapi_documents_the_staff_facility_api(client: Client) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/v1/staff/facilities",
        "/api/v1/staff/facilities/{facility_id}/rooms",
        "/api/v1/staff/facilities/{facility_id}/slot-templates",
        "/api/v1/staff/slot-templates/{template_id}",
        "/api/v1/staff/facilities/{facility_id}/closures",
        "/api/v1/staff/facilities/{facility_id}/day-sheet",
        "/api/v1/staff/facilities/{facility_id}/figures",
        "/api/v1/facilities/{facility_id}/information",
    ):
        assert path in spec["paths"], path
    template = spec["components"]["schemas"]["TemplateIn"]["properties"]
    assert template["duration_minutes"]["minimum"] == 15
    assert template["weekday"]["maximum"] == 6
