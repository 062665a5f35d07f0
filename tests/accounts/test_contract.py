"""The contract of sign-in, household and staff-account operations, and of the probes.

The OpenAPI document must say what each operation does, which problems it can answer (and the
``Retry-After`` header of a rate limit), and type every body. The server must keep to it under
hostile input: texts with control characters or beyond their bound, unknown enum values,
impossible dates and numbers are refused field by field (422) or by parameter (400), never with
a 500, also where the family pages call the same services without the API's schemas. Creating
the same account or approval request from several processes at once ends in one row and
declared answers for the others.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, sign_up, staff_token
from visits.accounts.principals import HouseholdPrincipal
from visits.accounts.schemas import (
    ApprovalRequestIn,
    CodeRequestIn,
    GrantIO,
    HouseholdExportOut,
    StaffCreateIn,
)
from visits.accounts.service import households, sign_in
from visits.accounts.service.staff import create_staff
from visits.app import create_app
from visits.audit import Actor
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import (
    AuditEvent,
    Facility,
    Household,
    Prisoner,
    StaffGrant,
    StaffMember,
    Visitor,
    VisitorApproval,
)
from visits.demo import seed_demo
from visits.enums import Relationship, StaffRole
from visits.errors import DomainError
from visits.settings import Settings

# ---------------------------------------------------------------------------------------------
# The document

# Every problem slug each operation declares, by status (the common ones included).
DECLARED: dict[tuple[str, str], dict[int, set[str]]] = {
    ("get", "/health"): {},
    ("get", "/ready"): {503: {"database-unavailable"}},
    ("post", "/api/v1/auth/households"): {
        400: {"invalid-parameters", "invalid-request"},
        422: {"invalid-body"},
        429: {"rate-limited"},
    },
    ("post", "/api/v1/auth/household/code"): {
        400: {"invalid-parameters", "invalid-request"},
        422: {"invalid-body"},
        429: {"rate-limited"},
    },
    ("post", "/api/v1/auth/household/verify"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"invalid-code"},
        422: {"invalid-body"},
        429: {"rate-limited"},
    },
    ("post", "/api/v1/auth/staff/sign-in"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"invalid-credentials"},
        422: {"invalid-body"},
        429: {"rate-limited"},
    },
    ("post", "/api/v1/auth/sign-out"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
    },
    ("get", "/api/v1/auth/me"): {400: {"invalid-parameters"}, 401: {"unauthenticated"}},
    ("get", "/api/v1/household"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
    },
    ("patch", "/api/v1/household"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
        422: {"invalid-body", "contact-unavailable"},
        429: {"rate-limited"},
    },
    ("post", "/api/v1/household/phone-confirmation"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
        409: {"no-phone", "phone-confirmed"},
        429: {"rate-limited"},
    },
    ("post", "/api/v1/household/phone-confirmation/verify"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
        422: {"invalid-body", "invalid-phone-code"},
        429: {"rate-limited"},
    },
    ("delete", "/api/v1/household"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
        409: {"household-has-visits"},
    },
    ("get", "/api/v1/household/export"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
    },
    ("get", "/api/v1/household/visitors"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
    },
    ("post", "/api/v1/household/visitors"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        404: {"household-not-found"},
        422: {"invalid-body"},
    },
    ("get", "/api/v1/household/visitors/{visitor_id}"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        404: {"visitor-not-found"},
    },
    ("patch", "/api/v1/household/visitors/{visitor_id}"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        404: {"visitor-not-found"},
        422: {"invalid-body"},
    },
    ("delete", "/api/v1/household/visitors/{visitor_id}"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        404: {"visitor-not-found"},
        409: {"visitor-has-visits"},
    },
    ("post", "/api/v1/household/visitors/{visitor_id}/approval-requests"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        404: {"visitor-not-found"},
        422: {"invalid-body", "prisoner-not-matched"},
        429: {"rate-limited"},
    },
    ("get", "/api/v1/admin/staff"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        403: {"forbidden"},
    },
    ("post", "/api/v1/admin/staff"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        403: {"forbidden"},
        409: {"staff-exists"},
        422: {"invalid-body"},
    },
    ("get", "/api/v1/admin/staff/{staff_id}"): {
        400: {"invalid-parameters"},
        401: {"unauthenticated"},
        403: {"forbidden"},
        404: {"staff-not-found"},
    },
    ("patch", "/api/v1/admin/staff/{staff_id}"): {
        400: {"invalid-parameters", "invalid-request"},
        401: {"unauthenticated"},
        403: {"forbidden"},
        404: {"staff-not-found"},
        422: {"invalid-body"},
    },
}
RATE_LIMITED = [
    ("post", "/api/v1/auth/households"),
    ("post", "/api/v1/auth/household/code"),
    ("post", "/api/v1/auth/household/verify"),
    ("post", "/api/v1/auth/staff/sign-in"),
    ("patch", "/api/v1/household"),
    ("post", "/api/v1/household/phone-confirmation"),
    ("post", "/api/v1/household/phone-confirmation/verify"),
]
PAGES = {
    ("get", "/api/v1/household/visitors"): "VisitorPage",
    ("get", "/api/v1/admin/staff"): "StaffPage",
}
# Request fields that need no pattern: passwords may hold any character (only a hash is kept);
# e-mail addresses and mobile numbers are checked and normalised by the service.
FREE_FIELDS = {"password", "email", "phone"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document the application serves (no database is touched to build it)."""
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('spec') / 'spec.db'}",
        seed_demo=False,
        scheduler="off",
    )
    with TestClient(app=create_app(settings)) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][path][method]
    return found


def declared_slugs(op: dict[str, Any]) -> dict[int, set[str]]:
    """The problem types each error status of an operation lists."""
    return {
        int(status): set(re.findall(r"urn:visits:problem:([a-z-]+)", response["description"]))
        for status, response in op["responses"].items()
        if int(status) >= 400
    }


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` (direct or the single ``allOf`` of a body) followed."""
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = schema["allOf"][0]
    if "$ref" in schema:
        found: dict[str, Any] = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return found
    return schema


def untyped(spec: dict[str, Any], node: object, where: str, seen: set[str]) -> list[str]:
    """Every empty schema (``{}``: any value, undocumented) reachable from ``node``."""
    if isinstance(node, list):
        return [hit for item in node for hit in untyped(spec, item, where, seen)]
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return untyped(spec, spec["components"]["schemas"][name], name, seen)
    hits = []
    for key in ("schema", "items", "additionalProperties"):
        if node.get(key) == {}:
            hits.append(f"{where}.{key}")
    for key, value in node.items():
        if key not in ("examples", "example"):
            hits += untyped(spec, value, f"{where}.{key}", seen)
    return hits


def arms(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a union (``anyOf`` or ``oneOf``), or the schema itself."""
    found: list[dict[str, Any]] = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return found


def string_fields(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each string property with the schema that carries its constraints."""
    for name, prop in schema.get("properties", {}).items():
        options = arms(prop)
        if any(arm.get("type") == "string" for arm in options):
            yield name, prop | next(arm for arm in options if arm.get("type") == "string")


def test_each_operation_is_described_for_integrators(spec: dict[str, Any]) -> None:
    thin = [
        f"{method.upper()} {path}"
        for method, path in DECLARED
        if len(operation(spec, method, path).get("description", "")) < 60
        or not operation(spec, method, path).get("summary")
    ]
    assert thin == []


def test_each_operation_declares_exactly_the_problems_it_can_answer(
    spec: dict[str, Any],
) -> None:
    for (method, path), expected in DECLARED.items():
        assert declared_slugs(operation(spec, method, path)) == expected, f"{method} {path}"


def test_rate_limited_operations_declare_retry_after(spec: dict[str, Any]) -> None:
    for method, path in RATE_LIMITED:
        limited = operation(spec, method, path)["responses"]["429"]
        header = limited["headers"]["Retry-After"]
        assert header["required"] is True
        assert header["schema"]["type"] == "integer"


def test_no_body_of_these_operations_is_untyped(spec: dict[str, Any]) -> None:
    hits = [
        hit
        for method, path in DECLARED
        for hit in untyped(spec, operation(spec, method, path), f"{method} {path}", set())
    ]
    assert hits == []


def test_lists_have_clean_page_names(spec: dict[str, Any]) -> None:
    for (method, path), name in PAGES.items():
        ok = operation(spec, method, path)["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/{name}"}


def test_every_text_of_a_request_is_bounded_and_one_line(spec: dict[str, Any]) -> None:
    loose = []
    for method, path in DECLARED:
        body = operation(spec, method, path).get("requestBody")
        if body is None:
            continue
        schema = resolve(spec, body["content"]["application/json"]["schema"])
        for name, field in string_fields(schema):
            if "maxLength" not in field and "format" not in field:  # uuid, date: fixed forms
                loose.append(f"{path} {name}: unbounded")
            if name not in FREE_FIELDS and "pattern" not in field and "format" not in field:
                loose.append(f"{path} {name}: no pattern")
            if "pattern" in field and not field["pattern"].startswith("^"):
                loose.append(f"{path} {name}: pattern not anchored")
    assert loose == []


def test_mobile_numbers_and_languages_are_declared(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("SignUpIn", "CodeRequestIn", "HouseholdOut"):
        phone = schemas[name]["properties"]["phone"]
        assert "E.164" in phone["description"], name
        assert phone["examples"] == ["+4915123456789"]
    assert schemas["Language"]["enum"] == ["de", "en"]
    for name in ("SignUpIn", "HouseholdUpdateIn", "HouseholdOut"):
        language = schemas[name]["properties"]["language"]
        refs = [arm.get("$ref") for arm in arms(language)]
        assert "#/components/schemas/Language" in refs, name


def test_email_fields_declare_the_email_format(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("SignUpIn", "CodeRequestIn", "StaffSignInIn", "StaffCreateIn", "StaffOut"):
        email = schemas[name]["properties"]["email"]
        formats = {email.get("format")} | {arm.get("format") for arm in arms(email)}
        assert "email" in formats, name


def test_request_bodies_of_the_main_flows_have_examples(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    missing = []
    for method, path in DECLARED:
        body = operation(spec, method, path).get("requestBody")
        if body is None:
            continue
        schema = body["content"]["application/json"]["schema"]
        target = resolve(spec, schema)
        fields = target.get("properties", {}).values()
        if not (schema.get("examples") or target.get("examples")) and not any(
            f.get("examples") for f in fields
        ):
            missing.append(f"{method.upper()} {path}")
    assert missing == []
    # The token answer shows its kind; the challenge its message.
    assert schemas["TokenOut"]["properties"]["token_type"]["const"] == "Bearer"
    assert schemas["MeOut"]["properties"]["kind"]["enum"] == ["household", "staff"]


def test_the_probes_are_typed(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for path, name in (("/health", "Status"), ("/ready", "Readiness")):
        ok = operation(spec, "get", path)["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/{name}"}
    assert schemas["Readiness"]["properties"]["status"]["const"] == "ready"
    unavailable = operation(spec, "get", "/ready")["responses"]["503"]
    assert list(unavailable["content"]) == ["application/problem+json"]


# ---------------------------------------------------------------------------------------------
# Hostile input

# Texts that must never reach the database, an e-mail header, an SMS or a CSV file.
CONTROL_TEXTS = [
    "\x00",
    "Anna\x00Beispiel",
    "Anna\nBeispiel",
    "Anna\rBeispiel",
    "Anna\tBeispiel",
    "Anna\u2028Beispiel",
    "Anna\x1bBeispiel",
    "Anna\x7f",
    "Anna\x85Beispiel",
    "Anna\n",
    "",
]
WELL_FORMED_NAMES = ["Zoë Åström-Núñez", "李小龙", "O'Brien", "Anna 👶"]


def field_names(response: Any) -> set[str]:
    body = response.json()
    assert response.status_code == 422, response.text
    assert body["type"] == "urn:visits:problem:invalid-body"
    return {error["name"] for error in body["errors"]}


async def test_sign_up_refuses_hostile_names_and_contacts_field_by_field(
    client: Client, db: AsyncSession
) -> None:
    def body(**changes: Any) -> dict[str, Any]:
        return {"guardian_name": "Anna", "email": "anna@example.org", "language": "de"} | changes

    for name in [*CONTROL_TEXTS, "x" * 201, "x" * 100_000]:
        response = await client.post("/api/v1/auth/households", json=body(guardian_name=name))
        assert field_names(response) == {"guardian_name"}, repr(name[:20])
    for email in ["a\x00b@example.org", "anna@exa\x1bmple.org", "a@b", "x" * 250 + "@example.org"]:
        response = await client.post("/api/v1/auth/households", json=body(email=email))
        assert field_names(response) == {"email"}, repr(email[:20])
    for phone in ["+999", "1" * 33, "030 1234567", "+49 151\x00"]:
        response = await client.post("/api/v1/auth/households", json=body(email=None, phone=phone))
        assert field_names(response) == {"phone"}, repr(phone)
    wrong_types = await client.post(
        "/api/v1/auth/households",
        json={"guardian_name": 5, "language": "fr", "email": ["a@b.de"], "sms_consent": "yes"},
    )
    assert field_names(wrong_types) == {"guardian_name", "language", "email", "sms_consent"}
    not_objects: list[object] = [[], "text", 7, None]
    for not_an_object in not_objects:
        response = await client.post("/api/v1/auth/households", json=not_an_object)
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await db.scalar(sa.select(sa.func.count()).select_from(Household)) == 0
    await db.commit()  # end the read: on SQLite an open transaction holds the write lock
    for name in WELL_FORMED_NAMES:
        response = await client.post(
            "/api/v1/auth/households",
            json=body(guardian_name=name, email=f"{uuid.uuid4().hex}@example.org"),
        )
        assert response.status_code == 202, response.text
    assert set(await db.scalars(sa.select(Household.guardian_name))) == set(WELL_FORMED_NAMES)


async def test_codes_and_challenges_must_be_well_formed(client: Client, db: AsyncSession) -> None:
    challenge = str(uuid.uuid4())
    for code in [
        "123456\n",
        "12345",
        "1234567",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "12 456",
        "",
        123456,
    ]:
        response = await client.post(
            "/api/v1/auth/household/verify", json={"challenge_id": challenge, "code": code}
        )
        assert field_names(response) == {"code"}, repr(code)
    for challenge_id in ["not-a-uuid", "", "0" * 1000, None]:
        response = await client.post(
            "/api/v1/auth/household/verify", json={"challenge_id": challenge_id, "code": "123456"}
        )
        assert field_names(response) == {"challenge_id"}, repr(challenge_id)
    for contact in [{}, {"email": "a@b.de", "phone": "+4915123456789"}, {"email": "a\x00@b.de"}]:
        response = await client.post("/api/v1/auth/household/code", json=contact)
        assert field_names(response) == {"email"}, contact


async def test_staff_sign_in_with_a_hostile_address_is_just_a_failed_sign_in(
    client: Client, db: AsyncSession
) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    for email in ["root@example.org\x00", "ro\x00ot@example.org", "root@example.org\r\nBcc: x"]:
        response = await client.post(
            "/api/v1/auth/staff/sign-in", json={"email": email, "password": "whatever it is"}
        )
        assert response.status_code == 401, response.text
        assert response.json()["type"] == "urn:visits:problem:invalid-credentials"
    too_long = await client.post(
        "/api/v1/auth/staff/sign-in", json={"email": "x" * 255, "password": "p" * 257}
    )
    assert field_names(too_long) == {"email", "password"}


async def test_the_family_pages_path_refuses_control_characters_without_a_500(
    db: AsyncSession,
) -> None:
    """The pages build the bodies themselves (no schema), so the services must hold too."""
    with pytest.raises(DomainError) as refused:
        await sign_in.request_code(
            db, CodeRequestIn(email="a\x00b@example.org"), "192.0.2.1", 10, "de"
        )
    assert (refused.value.status, refused.value.slug) == (422, "invalid-body")
    await db.rollback()
    with pytest.raises(DomainError) as failed:
        await sign_in.staff_sign_in(
            db, "st\x00aff@example.org", "password", "192.0.2.1", timedelta(hours=1)
        )
    assert (failed.value.status, failed.value.slug) == (401, "invalid-credentials")
    await db.rollback()

    await seed_demo(db)
    facility_id = await db.scalar(sa.select(Facility.id))
    visitor = await db.scalar(sa.select(Visitor))
    assert facility_id is not None
    assert visitor is not None
    who = HouseholdPrincipal(household_id=visitor.household_id, token_id=uuid.uuid4())
    visitor_id = visitor.id
    await db.commit()
    for number, family in (("A\x00", "Beispiel"), ("A-1", "Bei\x00spiel"), ("A-1\r\n", "B")):
        with pytest.raises(DomainError) as unmatched:
            await households.request_approval(
                db, who, visitor_id, ApprovalRequestIn(facility_id, number, family), "en"
            )
        assert (unmatched.value.status, unmatched.value.slug) == (
            422,
            "prisoner-not-matched",
        )
        await db.rollback()


async def household_with_child(client: Client, caplog: pytest.LogCaptureFixture) -> tuple[Any, str]:
    token = bearer(await sign_up(client, caplog, "fam@example.org"))
    child = await client.post(
        "/api/v1/household/visitors",
        headers=token,
        json={
            "given_name": "Noah",
            "family_name": "Kaya",
            "birth_date": "2019-06-30",
            "relationship": "child",
        },
    )
    assert child.status_code == 201, child.text
    return token, child.json()["id"]


async def test_household_and_visitor_bodies_refuse_hostile_values(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token, child_id = await household_with_child(client, caplog)
    visitor = f"/api/v1/household/visitors/{child_id}"
    for text in [*CONTROL_TEXTS, "x" * 101]:
        for field in ("given_name", "family_name"):
            response = await client.patch(visitor, headers=token, json={field: text})
            assert field_names(response) == {field}, (field, repr(text))
    for text in [*CONTROL_TEXTS, "x" * 201]:
        response = await client.patch(
            "/api/v1/household", headers=token, json={"guardian_name": text}
        )
        assert field_names(response) == {"guardian_name"}, repr(text)
    for birth_date in ["0001-01-01", "9999-12-31", "2019-02-30", "", "2019-6-30", 20190630]:
        response = await client.patch(visitor, headers=token, json={"birth_date": birth_date})
        assert field_names(response) == {"birth_date"}, repr(birth_date)
    for field, value in (("relationship", "cousin"), ("language", "fr"), ("sms_consent", "yes")):
        target = visitor if field == "relationship" else "/api/v1/household"
        response = await client.patch(target, headers=token, json={field: value})
        assert field_names(response) == {field}
    unknown = await client.patch(visitor, headers=token, json={"household_id": str(uuid.uuid4())})
    assert field_names(unknown) == {"household_id"}
    request = {"facility_id": str(uuid.uuid4()), "prison_number": "A", "prisoner_family_name": "B"}
    for field, value in (
        ("prison_number", "A\x00"),
        ("prison_number", "x" * 33),
        ("prisoner_family_name", "B\nC"),
        ("facility_id", "nowhere"),
    ):
        response = await client.post(
            f"{visitor}/approval-requests", headers=token, json=request | {field: value}
        )
        assert field_names(response) == {field}, (field, repr(value))
    for name in WELL_FORMED_NAMES:
        response = await client.patch(visitor, headers=token, json={"given_name": name})
        assert response.status_code == 200
        assert response.json()["given_name"] == name


async def test_lists_refuse_numbers_out_of_range_naming_the_parameter(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = bearer(await sign_up(client, caplog, "list@example.org"))
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    admin = bearer(await staff_token(client, "root@example.org"))
    for path, headers in (("/api/v1/household/visitors", token), ("/api/v1/admin/staff", admin)):
        for name, value in (
            ("limit", "0"),
            ("limit", "201"),
            ("limit", str(10**30)),
            ("limit", "ten"),
            ("offset", "-1"),
            ("offset", str(10**30)),
        ):
            response = await client.get(path, headers=headers, params={name: value})
            assert response.status_code == 400, (path, name, value)
            body = response.json()
            assert body["type"] == "urn:visits:problem:invalid-parameters"
            assert [e["name"] for e in body["errors"]] == [name]


async def test_staff_bodies_refuse_hostile_values_and_duplicate_grants_collapse(
    client: Client, db: AsyncSession
) -> None:
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility.id))
    await db.commit()
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    admin = bearer(await staff_token(client, "root@example.org"))
    officer = {"role": "visits_officer", "facility_id": str(facility)}
    body = {
        "email": "olga@example.org",
        "name": "Olga",
        "password": "a long enough password",
        "grants": [officer],
    }
    for name in [*CONTROL_TEXTS, "x" * 201]:
        response = await client.post(
            "/api/v1/admin/staff", headers=admin, json=body | {"name": name}
        )
        assert field_names(response) == {"name"}, repr(name)
    for email in ["olga\x00@example.org", "olga@", "x" * 255]:
        response = await client.post(
            "/api/v1/admin/staff", headers=admin, json=body | {"email": email}
        )
        assert field_names(response) == {"email"}, repr(email)
    for grants in ([], [{"role": "jailer"}], [officer] * 51, [{"role": "admin", "facility_id": 1}]):
        response = await client.post(
            "/api/v1/admin/staff", headers=admin, json=body | {"grants": grants}
        )
        assert field_names(response) == {"grants"}, grants
    created = await client.post(
        "/api/v1/admin/staff", headers=admin, json=body | {"grants": [officer, officer, officer]}
    )
    assert created.status_code == 201, created.text
    assert created.json()["grants"] == [officer]
    member = f"/api/v1/admin/staff/{created.json()['id']}"
    for reason in ["ok", "Left\nthe service", "x" * 2001]:
        response = await client.patch(member, headers=admin, json={"reason": reason})
        assert field_names(response) == {"reason"}, repr(reason)


async def test_grants_that_stay_keep_their_row_when_grants_change(
    client: Client, db: AsyncSession
) -> None:
    """Replacing every grant inserted the kept one before deleting it: a unique violation."""
    await seed_demo(db)
    facility = str(await db.scalar(sa.select(Facility.id)))
    await db.commit()
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    admin = bearer(await staff_token(client, "root@example.org"))
    officer = {"role": "visits_officer", "facility_id": facility}
    manager = {"role": "visits_manager", "facility_id": facility}
    created = await client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={
            "email": "o@example.org",
            "name": "O",
            "password": "long enough pass",
            "grants": [officer],
        },
    )
    member = f"/api/v1/admin/staff/{created.json()['id']}"
    kept_row = await db.scalar(
        sa.select(StaffGrant.id).where(StaffGrant.role == StaffRole.VISITS_OFFICER)
    )
    await db.commit()
    both = await client.patch(member, headers=admin, json={"grants": [officer, manager]})
    assert both.status_code == 200, both.text
    assert sorted(g["role"] for g in both.json()["grants"]) == ["visits_manager", "visits_officer"]
    still = await db.scalar(
        sa.select(StaffGrant.id).where(StaffGrant.role == StaffRole.VISITS_OFFICER)
    )
    assert still == kept_row
    await db.commit()
    only_manager = await client.patch(member, headers=admin, json={"grants": [manager]})
    assert [g["role"] for g in only_manager.json()["grants"]] == ["visits_manager"]


async def test_the_export_is_the_declared_schema(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token, child_id = await household_with_child(client, caplog)
    response = await client.get("/api/v1/household/export", headers=token)
    assert response.status_code == 200
    export = msgspec.json.decode(response.content, type=HouseholdExportOut, strict=True)
    assert [str(v.id) for v in export.visitors] == [child_id]
    assert {"household.sign_up", "household.sign_in", "visitor.create"} <= {
        a.action for a in export.activity
    }


async def test_a_rate_limit_says_when_to_retry(client: Client, db: AsyncSession) -> None:
    statuses = []
    for _ in range(6):
        response = await client.post(
            "/api/v1/auth/household/code", json={"email": "busy@example.org"}
        )
        statuses.append(response.status_code)
    assert statuses == [202] * 5 + [429]
    retry = int(response.headers["retry-after"])
    assert 1 <= retry <= 15 * 60 + 1
    assert response.json()["retry_after_seconds"] == retry


# ---------------------------------------------------------------------------------------------
# The same thing created from several processes at once

PROCESSES = 2
ATTEMPTS_PER_PROCESS = 3


async def _create_staff_attempts(url: str, email: str, count: int) -> list[str]:
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)

        async def one() -> str:
            data = StaffCreateIn(
                email=email,
                name="Race",
                password="long enough password",
                grants=[GrantIO(StaffRole.ADMIN)],
            )
            async with sessions() as session:
                try:
                    await create_staff(session, data, Actor.system())
                except DomainError as exc:
                    return exc.slug
                await session.commit()
                return "created"

        return list(await asyncio.gather(*(one() for _ in range(count))))
    finally:
        await engine.dispose()


def race_staff(url: str, email: str, count: int) -> list[str]:
    """Runs in its own process: ``count`` concurrent creations on separate connections."""
    return asyncio.run(_create_staff_attempts(url, email, count))


async def _approval_attempts(
    url: str, who: HouseholdPrincipal, visitor_id: uuid.UUID, body: ApprovalRequestIn, count: int
) -> list[str]:
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)

        async def one() -> str:
            async with sessions() as session:
                out = await households.request_approval(session, who, visitor_id, body, "en")
                await session.commit()
                return str(out.id)

        return list(await asyncio.gather(*(one() for _ in range(count))))
    finally:
        await engine.dispose()


def race_approval(
    url: str, who: HouseholdPrincipal, visitor_id: uuid.UUID, body: ApprovalRequestIn, count: int
) -> list[str]:
    return asyncio.run(_approval_attempts(url, who, visitor_id, body, count))


async def test_one_account_per_address_when_many_create_it_at_once(
    db: AsyncSession, database_url: str
) -> None:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=PROCESSES) as pool:
        outcomes = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, race_staff, database_url, "race@example.org", ATTEMPTS_PER_PROCESS
                )
                for _ in range(PROCESSES)
            )
        )
    flat = sorted(o for batch in outcomes for o in batch)
    assert flat == ["created"] + ["staff-exists"] * (PROCESSES * ATTEMPTS_PER_PROCESS - 1)
    assert await db.scalar(sa.select(sa.func.count()).select_from(StaffMember)) == 1


async def test_one_approval_request_when_a_family_asks_many_times_at_once(
    db: AsyncSession, database_url: str
) -> None:
    await seed_demo(db)
    prisoner = await db.scalar(sa.select(Prisoner).order_by(Prisoner.prison_number))
    household_id = await db.scalar(sa.select(Household.id).order_by(Household.created_at))
    assert prisoner is not None
    assert household_id is not None
    visitor = Visitor(
        household_id=household_id,
        given_name="Mia",
        family_name="Neu",
        birth_date=date(2018, 3, 1),
        relationship=Relationship.CHILD,
    )
    db.add(visitor)
    await db.flush()
    body = ApprovalRequestIn(prisoner.facility_id, prisoner.prison_number, prisoner.family_name)
    who = HouseholdPrincipal(household_id=visitor.household_id, token_id=uuid.uuid4())
    visitor_id, prisoner_id = visitor.id, prisoner.id
    await db.commit()
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=PROCESSES) as pool:
        outcomes = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, race_approval, database_url, who, visitor_id, body, ATTEMPTS_PER_PROCESS
                )
                for _ in range(PROCESSES)
            )
        )
    ids = {i for batch in outcomes for i in batch}
    assert len(ids) == 1  # every request got the one stored request back
    stored = await db.scalar(
        sa.select(sa.func.count())
        .select_from(VisitorApproval)
        .where(VisitorApproval.visitor_id == visitor_id, VisitorApproval.prisoner_id == prisoner_id)
    )
    audited = await db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "approval.request", AuditEvent.object_id == ids.pop())
    )
    assert (stored, audited) == (1, 1)
