"""X-Forwarded-For counts only from trusted proxies, observed on a real ``visits serve``.

The observable is the per-client limit on sign-in code requests (20 per client and window): a
client that could name its own address would escape it.
"""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

from tests.test_cli import clean_env as clean_env  # the fixture
from tests.test_cli import run, serving
from visits.accounts.rate_limit import CODE_PER_CLIENT

FORWARDED = {"X-Forwarded-For": "203.0.113.9"}


def ask_for_code(base: str, email: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/household/code",
        data=json.dumps({"email": email}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def use_up_the_client_limit(base: str) -> None:
    """Spend 127.0.0.1's code requests (a new address each time, so only the client limit)."""
    for number in range(CODE_PER_CLIENT.hits):
        assert ask_for_code(base, f"nobody{number}@example.org") == 202


def quick_env(env: dict[str, str]) -> dict[str, str]:
    """No demo data and no jobs: only the sign-in endpoints are needed."""
    return {**env, "VISITS_SEED_DEMO": "false", "VISITS_SCHEDULER": "off"}


def test_by_default_a_forwarded_address_is_ignored(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    with serving(quick_env(clean_env), tmp_path) as server:
        use_up_the_client_limit(server.base)
        assert ask_for_code(server.base, "someone@example.org", FORWARDED) == 429
        assert server.stop(signal.SIGTERM) == 0
    assert "203.0.113.9" not in server.output


def test_a_trusted_proxy_names_the_client(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**quick_env(clean_env), "VISITS_TRUSTED_PROXIES": "127.0.0.1"}
    with serving(env, tmp_path) as server:
        use_up_the_client_limit(server.base)
        assert ask_for_code(server.base, "someone@example.org", FORWARDED) == 202
        assert ask_for_code(server.base, "someone.else@example.org") == 429  # 127.0.0.1 itself
        assert server.stop(signal.SIGTERM) == 0
    assert '203.0.113.9:0 - "POST /api/v1/auth/household/code' in server.output


def test_an_invalid_proxy_entry_stops_start_up(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "VISITS_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("visits: invalid settings:")
    assert "VISITS_TRUSTED_PROXIES" in result.stderr
    assert "'proxy.internal'" in result.stderr
