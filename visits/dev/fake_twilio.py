"""A fake of Twilio's Messages REST API on 127.0.0.1, with error injection.

    visits dev fake-twilio --port 8099

The official client talks to it when ``twilio_api_base_url`` points here. It records every
message it accepts (To, Body, From or MessagingServiceSid, StatusCallback) and can be told to
fail the next requests:

    POST /_fake/failures   {"kind": "5xx" | "timeout" | "21610" | "21211", "count": 3}
    GET  /_fake/messages   what it accepted, oldest first
    DELETE /_fake/messages forget everything
    POST /_fake/delay      {"seconds": 0.2}   slow every request (to stop a sender mid-batch)
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
from typing import Any

from litestar import Litestar, Request, Response, delete, get, post
from litestar.params import FromPath

FAILURES: dict[str, tuple[int, dict[str, Any]]] = {
    "5xx": (503, {"code": 20500, "message": "Service unavailable", "status": 503}),
    "21610": (
        400,
        {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
    ),
    "21211": (
        400,
        {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
    ),
}
TIMEOUT_SLEEP_SECONDS = 30.0


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, str]] = []
        self.failures: list[str] = []
        self.delay = 0.0
        self._numbers = itertools.count(1)

    def authorised(self, request: Request[Any, Any, Any]) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(value, expected)


def create_fake_app(account_sid: str = "ACfake", auth_token: str = "fake-token") -> Litestar:  # noqa: S107
    fake = FakeTwilio(account_sid, auth_token)

    @post("/2010-04-01/Accounts/{sid:str}/Messages.json", status_code=201)
    async def create_message(request: Request[Any, Any, Any], sid: FromPath[str]) -> Response[Any]:
        if sid != fake.account_sid or not fake.authorised(request):
            return Response(
                {"code": 20003, "message": "Authenticate", "status": 401}, status_code=401
            )
        if fake.delay:
            await asyncio.sleep(fake.delay)
        if fake.failures:
            kind = fake.failures.pop(0)
            if kind == "timeout":
                await asyncio.sleep(TIMEOUT_SLEEP_SECONDS)
            else:
                status, body = FAILURES[kind]
                return Response(body, status_code=status)
        form = dict(await request.form())
        if "To" not in form or "Body" not in form:
            return Response(
                {"code": 21604, "message": "A 'To' and 'Body' are required", "status": 400},
                status_code=400,
            )
        message = {key: str(value) for key, value in form.items()}
        message["sid"] = f"SM{next(fake._numbers):032x}"
        fake.messages.append(message)
        return Response(
            {
                "sid": message["sid"],
                "account_sid": fake.account_sid,
                "to": message["To"],
                "from": message.get("From"),
                "body": message["Body"],
                "status": "queued",
                "messaging_service_sid": message.get("MessagingServiceSid"),
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
            },
            status_code=201,
        )

    @post("/_fake/failures", status_code=204)
    async def inject(data: dict[str, Any]) -> None:
        kind = str(data.get("kind"))
        if kind not in {*FAILURES, "timeout"}:
            raise ValueError(f"unknown failure kind {kind!r}")
        fake.failures.extend([kind] * int(data.get("count", 1)))

    @post("/_fake/delay", status_code=204)
    async def slow(data: dict[str, Any]) -> None:
        fake.delay = float(data.get("seconds", 0))

    @get("/_fake/messages")
    async def messages() -> list[dict[str, str]]:
        return fake.messages

    @delete("/_fake/messages")
    async def reset() -> None:
        fake.messages.clear()
        fake.failures.clear()
        fake.delay = 0.0

    return Litestar(route_handlers=[create_message, inject, slow, messages, reset])
