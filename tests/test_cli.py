"""The ``visits`` command as a person runs it: help, bad settings, migrate, seed, serve."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from visits.db.migrate import alembic_config

VISITS = [sys.executable, "-m", "visits"]
# Generous: start-up includes migrations and imports, and the machine may be busy.
START_TIMEOUT = 120.0


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


class Served:
    """A ``visits serve`` process on a free port, its log read line by line as it is written."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [*VISITS, "serve"],
            env={**env, "VISITS_PORT": str(port)},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._unread: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._unread.put(line)
        self._unread.put(None)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Read the log up to the first line containing ``text``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._unread.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}") from None
            if line is None:
                raise AssertionError(f"the server exited before {text!r}:\n{self.output}")
            self.lines.append(line)
            if text in line:
                return

    def finish(self, timeout: float = 60.0) -> int:
        """The exit status, once the process and its log have ended."""
        try:
            returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout} s:\n{self.output}") from None
        while (line := self._unread.get(timeout=timeout)) is not None:
            self.lines.append(line)
        self._close()
        return returncode

    def stop(self, signum: signal.Signals) -> int:
        self.process.send_signal(signum)
        return self.finish()

    def kill(self) -> None:
        """End the process if a failed test left it running."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def _close(self) -> None:
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def serving(env: dict[str, str], cwd: Path) -> Iterator[Served]:
    """A started server (it has bound its port); killed if the test leaves it running."""
    served = Served(env, cwd)
    try:
        served.wait_for("Uvicorn running on")
        yield served
    finally:
        served.kill()


@contextmanager
def write_locked(database: Path) -> Iterator[None]:
    """Hold SQLite's write lock on ``database`` (in WAL mode, as the service uses it)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
    finally:
        connection.close()


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
    with serving(clean_env, tmp_path) as server:
        base = server.base
        assert get_json(f"{base}/health") == (200, {"status": "ok"})
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
        returncode = server.stop(signal.SIGINT)
    assert returncode == 0, server.output
    assert "demo_data_seeded" in server.output
    assert "Traceback" not in server.output


def test_sigterm_while_jobs_run_lets_them_finish_and_exits_0(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """The embedded scheduler's catch-up jobs wait on SQLite's write lock until the server has
    begun its shutdown, so they are still running when the lifespan stops the scheduler. The
    stop must let them finish (the demo covers four weeks, the slot horizon eight, so one of them
    adds slots) and close the pool only afterwards."""
    server = Served(clean_env, tmp_path)
    try:
        server.wait_for("demo_data_seeded")
        with write_locked(tmp_path / "data" / "visits.db"):
            server.wait_for("Application startup complete")
            server.process.send_signal(signal.SIGTERM)
            server.wait_for("Waiting for application shutdown")  # the lifespan's exit is next
        returncode = server.finish()
    finally:
        server.kill()
    output = server.output
    assert returncode == 0, output
    assert "Traceback" not in output
    assert output.index("slots_generated") > output.index("Waiting for application shutdown")
    assert output.index("Application shutdown complete") > output.index("slots_generated")


def test_sigint_during_migrations_finishes_them_and_exits_0_without_serving(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """The first migration waits on SQLite's write lock while the signal is sent."""
    database = tmp_path / "data" / "visits.db"
    server = Served({**clean_env, "VISITS_SEED_DEMO": "false"}, tmp_path)
    try:
        with write_locked(database):
            server.wait_for("Context impl SQLiteImpl")
            server.process.send_signal(signal.SIGINT)
        returncode = server.finish()
    finally:
        server.kill()
    assert returncode == 0, server.output
    assert "Traceback" not in server.output
    assert "stopped_before_serving" in server.output
    assert "Uvicorn running" not in server.output
    url = f"sqlite+aiosqlite:///{database}"
    with closing(sqlite3.connect(database)) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == ScriptDirectory.from_config(alembic_config(url)).get_current_head()


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


def test_a_second_signal_during_migrations_stops_at_once(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    """The process ends while the migration still waits on the lock: it does not finish it."""
    server = Served({**clean_env, "VISITS_SEED_DEMO": "false"}, tmp_path)
    try:
        with write_locked(tmp_path / "data" / "visits.db"):
            server.wait_for("Context impl SQLiteImpl")
            server.process.send_signal(signal.SIGINT)
            server.process.send_signal(signal.SIGTERM)
            returncode = server.finish()
    finally:
        server.kill()
    assert returncode == -signal.SIGTERM, server.output
    assert "Traceback" not in server.output


def _revision(database: Path) -> str:
    with closing(sqlite3.connect(database)) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(revision)


def test_upgrade_to_an_older_revision_is_refused_and_downgrade_is_explicit(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "data" / "visits.db"
    assert run(["db", "upgrade", "--revision", "0005"], clean_env, tmp_path).returncode == 0
    assert _revision(database) == "0005"
    back = run(["db", "upgrade", "--revision", "0003"], clean_env, tmp_path)
    assert back.returncode == 2
    assert "database at revision" not in back.stdout  # no claim of success
    assert "above 0003" in back.stderr
    assert "visits db downgrade --revision 0003" in back.stderr
    assert "Traceback" not in back.stderr
    assert _revision(database) == "0005"
    unknown = run(["db", "upgrade", "--revision", "9999"], clean_env, tmp_path)
    assert (unknown.returncode, "Traceback" in unknown.stderr) == (2, False)
    assert "9999" in unknown.stderr
    unconfirmed = run(["db", "downgrade", "--revision", "0003"], clean_env, tmp_path)
    assert unconfirmed.returncode != 0  # no "yes" on stdin: nothing is undone
    assert _revision(database) == "0005"
    down = run(["db", "downgrade", "--revision", "0003", "--yes"], clean_env, tmp_path)
    assert down.returncode == 0, down.stderr
    assert "database at revision 0003" in down.stdout
    assert _revision(database) == "0003"
    up_again = run(["db", "downgrade", "--revision", "0005", "--yes"], clean_env, tmp_path)
    assert up_again.returncode == 2
    assert "not above 0005" in up_again.stderr
    assert _revision(database) == "0003"
    to_base = run(["db", "upgrade", "--revision", "base"], clean_env, tmp_path)
    assert to_base.returncode == 2
    assert "visits db downgrade --revision base" in to_base.stderr
    one_up = run(["db", "upgrade", "--revision", "+1"], clean_env, tmp_path)
    assert one_up.returncode == 0, one_up.stderr
    assert "database at revision 0004" in one_up.stdout
    assert _revision(database) == "0004"
    head = run(["db", "upgrade"], clean_env, tmp_path)
    assert head.returncode == 0, head.stderr
    url = f"sqlite+aiosqlite:///{database}"
    current_head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert f"database at revision {current_head}" in head.stdout
    assert _revision(database) == current_head


FACILITY = [
    "facility",
    "create",
    "--slug",
    "jva-nordheim",
    "--name",
    "JVA Nordheim",
    "--street",
    "Am Wall 3",
    "--postal-code",
    "12345",
    "--city",
    "Nordheim",
    "--email",
    "besuche@jva-nordheim.example",
]


def test_facility_create_then_staff_list_and_disable(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "data" / "visits.db"
    created = run([*FACILITY, "--max-days-ahead", "30"], clean_env, tmp_path)
    assert created.returncode == 0, created.stderr
    assert "facility jva-nordheim created" in created.stdout
    with closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT name, timezone, max_days_ahead FROM facility WHERE slug = 'jva-nordheim'"
        ).fetchone()
    assert row == ("JVA Nordheim", "Europe/Berlin", 30)
    again = run(FACILITY, clean_env, tmp_path)
    assert again.returncode == 2
    assert "cannot create the facility" in again.stderr
    bad = run(
        [
            *("facility", "create", "--slug", "Nord Heim", "--name", "", "--street", "x"),
            *("--postal-code", "1", "--city", "x", "--email", "a@example.org"),
        ],
        clean_env,
        tmp_path,
    )
    assert bad.returncode == 2
    assert "slug:" in bad.stderr
    assert "name:" in bad.stderr  # every problem, not only the first
    assert "Traceback" not in bad.stderr
    made = subprocess.run(
        [
            *VISITS,
            *("staff", "create", "--email", "Nina@Example.org", "--name", "Nina Nord"),
            *("--role", "visits_officer:jva-nordheim", "--password-stdin"),
        ],
        input="a long enough password\n",
        env=clean_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    listed = run(["staff", "list"], clean_env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "nina@example.org\tNina Nord\tactive\tvisits_officer:jva-nordheim"
    ]
    disabled = run(
        ["staff", "disable", "--email", "NINA@example.org", "--reason", "moved away"],
        clean_env,
        tmp_path,
    )
    assert disabled.returncode == 0, disabled.stderr
    assert "nina@example.org disabled" in disabled.stdout
    [account] = [
        json.loads(line)
        for line in run(["staff", "list", "--json"], clean_env, tmp_path).stdout.splitlines()
    ]
    assert (account["email"], account["active"]) == ("nina@example.org", False)
    assert account["roles"] == ["visits_officer:jva-nordheim"]
    twice = run(["staff", "disable", "--email", "nina@example.org"], clean_env, tmp_path)
    assert (twice.returncode, "disabled already" in twice.stdout) == (0, True)
    nobody = run(["staff", "disable", "--email", "nobody@example.org"], clean_env, tmp_path)
    assert nobody.returncode == 2
    assert "no staff account nobody@example.org" in nobody.stderr
    with closing(sqlite3.connect(database)) as connection:
        audit = connection.execute(
            "SELECT action, actor_type, reason FROM audit_event ORDER BY occurred_at"
        ).fetchall()
    assert ("facility.create", "system", None) in audit
    assert ("staff.update", "system", "moved away") in audit
