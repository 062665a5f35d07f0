"""The OpenAPI document is the contract: described operations, typed bodies, declared problems.

Checked on the document the application serves, so a new operation that forgets any of this
fails here. What the server really answers is checked against the same document by the fuzzer
(``make fuzz``, ``tests/fuzz_api.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from visits import errors
from visits.openapi import PROBLEM_TYPES

Client = AsyncTestClient  # type: ignore[type-arg]
PACKAGE = Path(__file__).parents[1] / "visits"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
async def spec(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _domain_errors() -> dict[str, int]:
    """Each DomainError subclass by name, with the status it maps to."""
    found: dict[str, int] = {}
    pending = [errors.DomainError]
    while pending:
        kind = pending.pop()
        found[kind.__name__] = kind.status
        pending.extend(kind.__subclasses__())
    return found


def raised_problems() -> set[tuple[int, str]]:
    """Every domain error (``NotFound("slug", ...)``) the package raises with a literal slug."""
    kinds = _domain_errors()
    found = set()
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            name = getattr(getattr(node, "func", None), "id", None)
            if (
                isinstance(node, ast.Call)
                and name in kinds
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add((kinds[name], str(node.args[0].value)))
    return found


def test_every_problem_the_code_raises_is_registered_with_its_status() -> None:
    raised = raised_problems()
    assert len(raised) > 30  # the scan finds the services' problems
    unregistered = sorted(
        (status, slug)
        for status, slug in raised
        if slug not in PROBLEM_TYPES or PROBLEM_TYPES[slug].status != status
    )
    assert unregistered == []


async def test_every_operation_is_described(spec: dict[str, Any]) -> None:
    found = operations(spec)
    assert len(found) >= 78
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in found
        if not operation.get("summary") or not operation.get("description")
    ]
    assert missing == []


def _empty_schemas(node: object, where: str) -> list[str]:
    if isinstance(node, dict):
        if "schema" in node and node["schema"] == {}:
            return [where]
        return [hit for key, value in node.items() for hit in _empty_schemas(value, where)]
    if isinstance(node, list):
        return [hit for value in node for hit in _empty_schemas(value, where)]
    return []


async def test_no_request_or_response_is_an_untyped_object(spec: dict[str, Any]) -> None:
    untyped = [
        hit
        for path, method, operation in operations(spec)
        for part in ("requestBody", "responses")
        for hit in _empty_schemas(operation.get(part, {}), f"{method.upper()} {path} {part}")
    ]
    assert untyped == []


async def test_every_error_is_a_declared_problem_document(spec: dict[str, Any]) -> None:
    wrong = []
    for path, method, operation in operations(spec):
        if not path.startswith("/api/"):
            continue
        responses = operation["responses"]
        assert "400" in responses, f"{method.upper()} {path} declares no 400"
        for status, response in responses.items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            if list(content) != ["application/problem+json"]:
                wrong.append(f"{method.upper()} {path} {status}: {list(content)}")
            elif "urn:visits:problem:" not in response["description"]:
                wrong.append(f"{method.upper()} {path} {status}: no problem types listed")
        if operation.get("security"):
            assert "401" in responses, f"{method.upper()} {path} declares no 401"
    assert wrong == []


async def test_schema_names_are_clean_and_formats_declared(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert [name for name in schemas if not name.isidentifier()] == []
    assert "RoomPage" in schemas
    template = schemas["TemplateOut"]["properties"]
    assert template["start_time"].get("format") == "partial-time"  # a wall time: no offset
    problem = schemas["Problem"]["properties"]
    assert {"type", "title", "status", "instance", "detail", "errors"} <= set(problem)


async def test_the_main_flows_have_examples(spec: dict[str, Any]) -> None:
    def has_example(node: object) -> bool:
        if isinstance(node, dict):
            if node.get("examples") or node.get("example") is not None:
                return True
            return any(has_example(value) for value in node.values())
        if isinstance(node, list):
            return any(has_example(value) for value in node)
        return False

    schemas = spec["components"]["schemas"]
    for path, method in (
        ("/api/v1/household/holds", "post"),
        ("/api/v1/household/checks", "post"),
        ("/api/v1/auth/households", "post"),
        ("/api/v1/auth/household/code", "post"),
    ):
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        reference = body["schema"].get("$ref", "")
        target = schemas[reference.rsplit("/", 1)[-1]] if reference else body["schema"]
        assert has_example(body) or has_example(target), f"{method.upper()} {path}"
