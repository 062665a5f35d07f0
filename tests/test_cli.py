"""The ``visits`` command as a person runs it: help, bad settings, migrate, seed, serve."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

VISITS = [sys.executable, "-m", "visits"]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VISITS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment without any VISITS_ setting, with a private data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")}
    env["VISITS_DATA_DIR"] = str(tmp_path / "data")
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_help_lists_the_commands(clean_env: dict[str, str], tmp_path: Path) -> None:
    result = run(["--help"], clean_env, tmp_path)
    assert result.returncode == 0
    for command in ("serve", "scheduler", "db", "demo"):
        assert command in result.stdout
    assert "upgrade" in run(["db", "--help"], clean_env, tmp_path).stdout


def test_bad_settings_stop_start_up_with_one_clear_message(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**clean_env, "VISITS_PORT": "http", "VISITS_LOG_LEVEL": "LOUD"}
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("visits: invalid settings:")
    assert "VISITS_PORT" in result.stderr
    assert "VISITS_LOG_LEVEL" in result.stderr


def test_db_upgrade_then_demo_seed_once(clean_env: dict[str, str], tmp_path: Path) -> None:
    upgraded = run(["db", "upgrade"], clean_env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "data" / "visits.db").is_file()
    first = run(["demo", "seed"], clean_env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "demo data seeded" in first.stdout
    again = run(["demo", "seed"], clean_env, tmp_path)
    assert "not added" in again.stdout


def test_serve_migrates_seeds_and_serves_the_demo(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**clean_env, "VISITS_PORT": str(port)}
    server = subprocess.Popen(
        [*VISITS, "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get_json(f"{base}/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.3)
        assert (status, body) == (200, {"status": "ok"})
        status, body = get_json(f"{base}/ready")
        assert status == 200
        assert body["database"] == "ok"
        _, spec = get_json(f"{base}/schema/openapi.json")
        assert "/api/v1/slots" in spec["paths"]
        _, slots = get_json(f"{base}/api/v1/slots")
        assert slots["total"] > 0
        assert {s["timezone"] for s in slots["items"]} == {"Europe/Berlin"}
        status, problem = get_json(f"{base}/api/v1/slots?limit=1000")
        assert status == 400
        assert problem["errors"][0]["name"] == "limit"
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "demo_data_seeded" in output
    assert "Traceback" not in output


def test_staff_create_asks_for_the_password_and_validates(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    assert run(["demo", "seed"], clean_env, tmp_path).returncode == 0
    created = subprocess.run(
        [
            *VISITS,
            "staff",
            "create",
            "--email",
            "Boss@Example.org",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--role",
            "visits_manager:jva-musterstadt",
            "--password-stdin",
        ],
        input="a long enough password\n",
        env=clean_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "created" in created.stdout
    refused = subprocess.run(
        [
            *VISITS,
            "staff",
            "create",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "visits_officer",
            "--password-stdin",
        ],
        input="short\n",
        env=clean_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2
    assert "password" in refused.stderr
    assert "Traceback" not in refused.stderr
    no_facility = subprocess.run(
        [
            *VISITS,
            "staff",
            "create",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "visits_officer",
            "--password-stdin",
        ],
        input="a long enough password\n",
        env=clean_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert no_facility.returncode == 2
    assert "grants[0]" in no_facility.stderr
