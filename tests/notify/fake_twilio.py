"""The fake Twilio server as a real process on 127.0.0.1, as `visits dev fake-twilio` runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time as clock
from typing import Any

from bench.harness import free_port
from visits.settings import Settings

ACCOUNT = "ACtest"
TOKEN = "test-auth-token"


@dataclass(frozen=True)
class FakeTwilio:
    url: str

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def messages(self) -> list[dict[str, str]]:
        return list(self._call("GET", "/_fake/messages"))

    def fail_next(self, kind: str, count: int = 1) -> None:
        self._call("POST", "/_fake/failures", {"kind": kind, "count": count})

    def slow_down(self, seconds: float) -> None:
        self._call("POST", "/_fake/delay", {"seconds": seconds})

    def hold(self, count: int = 1) -> None:
        """Keep the next ``count`` send requests unanswered until ``release``."""
        self._call("POST", "/_fake/hold", {"count": count})

    def release(self) -> None:
        self._call("POST", "/_fake/release")

    def state(self) -> dict[str, int]:
        """Requests received, in flight and held; messages accepted."""
        return dict(self._call("GET", "/_fake/state"))

    def reset(self) -> None:
        self._call("DELETE", "/_fake/messages")

    def settings(self, base: Settings, **changes: Any) -> Settings:
        """Settings that send through this fake; no quiet hours unless ``changes`` set them
        (equal start and end), so that tests do not depend on the time they run at."""
        import msgspec

        changes = {"quiet_hours_start": clock(0), "quiet_hours_end": clock(0)} | changes
        return msgspec.structs.replace(
            base,
            sms_sender="twilio",
            twilio_account_sid=ACCOUNT,
            twilio_auth_token=TOKEN,
            twilio_messaging_service_sid="MGtest",
            twilio_api_base_url=self.url,
            public_url="https://visits.example.org",
            **changes,
        )


@contextmanager
def fake_twilio_process() -> Iterator[FakeTwilio]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "visits",
            "dev",
            "fake-twilio",
            "--port",
            str(port),
            "--account-sid",
            ACCOUNT,
            "--auth-token",
            TOKEN,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    fake = FakeTwilio(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90  # a busy machine imports slowly
        while True:
            try:
                fake.messages()
                break
            except OSError:
                assert process.poll() is None, "the fake Twilio server exited"
                assert time.monotonic() < deadline, "the fake Twilio server did not start"
                time.sleep(0.2)
        yield fake
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a request sleeping for an injected timeout
            process.kill()
            process.wait(timeout=5)
