"""Browser fixtures: a real ``visits serve`` with demo data, Debian's Chromium, and axe-core."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bench.harness import free_port

ROOT = Path(__file__).parents[2]
CHROMIUM = Path(os.environ.get("VISITS_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE_PREFIX = ROOT / "test-artifacts"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_SECONDS = 60
PAGE_TIMEOUT_MS = 15_000
BAD_IMPACTS = ("serious", "critical")
DEMO_STAFF_PASSWORD = "browser test password"


@dataclass(frozen=True)
class Server:
    url: str
    log: Path
    database: Path

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read the server's SQLite database directly (to find what the demo created)."""
        with closing(sqlite3.connect(self.database)) as connection:
            return connection.execute(sql, params).fetchall()

    def messages_to(self, address: str) -> list[str]:
        """Purposes of the messages the log channel 'sent' to ``address``, oldest first."""
        purposes = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "message_logged_not_sent" and event.get("to") == address:
                purposes.append(str(event.get("purpose")))
        return purposes

    def sign_in_code(self, email: str, after: int = 0, purpose: str = "sign_in_code") -> str:
        """The newest code (of ``purpose``) the log channel 'sent' to ``email``, waiting a
        little."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            codes = []
            for line in self.log.read_text(encoding="utf-8").splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if (
                    event.get("event") == "message_logged_not_sent"
                    and event.get("to") == email
                    and event.get("purpose") == purpose
                ):
                    found = re.search(r"\b(\d{6})\b", str(event.get("text")))
                    if found:
                        codes.append(found.group(1))
            if len(codes) > after:
                return codes[-1]
            time.sleep(0.1)
        raise AssertionError(f"no sign-in code for {email} in the server log")

    def codes_sent(self, email: str) -> int:
        return self.log.read_text(encoding="utf-8").count(f'"to": "{email}"')


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from npm (CI installs it; locally it is installed here on first use)."""
    if not AXE_SCRIPT.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is needed to install axe-core")
        subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-package-lock",
                "--prefix",
                str(AXE_PREFIX),
                "axe-core@4",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE_SCRIPT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``visits serve`` on a free port, SQLite in a temporary directory, demo data seeded."""
    with serving(tmp_path_factory.mktemp("web-server")) as started:
        yield started


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[Server]:
    """A started ``visits serve`` with demo data in ``home``, with further ``VISITS_*``
    ``settings``; stopped when the ``with`` ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")}
    env |= {
        "VISITS_PORT": str(port),
        "VISITS_DATA_DIR": str(home / "data"),
        "VISITS_DATABASE_URL": f"sqlite:///{home / 'visits.db'}",
        "VISITS_SCHEDULER": "off",
        "VISITS_LOG_FORMAT": "json",
        "VISITS_SEED_DEMO": "true",
        "VISITS_DEMO_STAFF_PASSWORD": DEMO_STAFF_PASSWORD,
    } | settings
    log = home / "server.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "visits", "serve"],
            env=env,
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield Server(url, log, home / "visits.db")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"visits serve exited:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"visits serve was not ready within {START_SECONDS} s")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


async def new_page(browser: Browser, locale: str, *, desktop: bool = False) -> Page:
    """A phone-sized (or desk-sized) page in a fresh context (its own cookies)."""
    context = await browser.new_context(
        locale=locale,
        viewport={"width": 1280, "height": 900} if desktop else {"width": 412, "height": 915},
        accept_downloads=True,
        extra_http_headers={"Accept-Language": locale},
    )
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


async def check_page(page: Page, axe_script: Path, name: str) -> None:
    """No serious or critical axe violation; then a full-page screenshot."""
    await page.add_script_tag(path=str(axe_script))
    result: dict[str, Any] = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in BAD_IMPACTS
    ]
    assert bad == [], f"{name}: {bad}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
