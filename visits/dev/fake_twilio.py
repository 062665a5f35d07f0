"""A fake of Twilio's Messages REST API on 127.0.0.1, with error injection.

    visits dev fake-twilio --port 8099

The official client talks to it when ``twilio_api_base_url`` points here. It records every
message it accepts (To, Body, From or MessagingServiceSid, StatusCallback) and lists them as
Twilio does, newest first, paged (``PageSize``, ``PageToken``, ``next_page_uri``), filtered by
``To``, ``From`` and ``DateSent`` / ``DateSent<`` / ``DateSent>`` (a date ``YYYY-MM-DD`` means
midnight UTC; a date and time is taken to the second). Messages count as sent when accepted.
It can be told to fail, slow down or hold the next requests:

    POST /_fake/failures   {"kind": "5xx" | "timeout" | "21610" | "21211", "count": 3}
    POST /_fake/delay      {"seconds": 0.2}   slow every request (to stop a sender mid-batch)
    POST /_fake/hold       {"count": 1}       keep the next requests, received, unanswered ...
    POST /_fake/release                       ... until this; they are then accepted
    GET  /_fake/state      {"received", "in_flight", "held", "accepted"}
    GET  /_fake/messages   what it accepted, oldest first
    DELETE /_fake/messages forget everything; requests still waiting are dropped unrecorded

A "timeout" keeps the request for ``TIMEOUT_SLEEP_SECONDS`` and then accepts it, as a provider
that answers too late does.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
from datetime import UTC, date, datetime, time
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

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
PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 1000
UNAUTHORISED = {"code": 20003, "message": "Authenticate", "status": 401}


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, str]] = []
        self.failures: list[str] = []
        self.delay = 0.0
        self.received = 0
        self.in_flight = 0
        self.to_hold = 0
        self.held = 0
        self.release = asyncio.Event()
        self.generation = 0  # a reset drops what earlier requests would still record
        self._numbers = itertools.count(1)

    def authorised(self, request: Request[Any, Any, Any]) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(value, expected)

    def reset(self) -> None:
        self.messages.clear()
        self.failures.clear()
        self.delay = 0.0
        self.received = 0
        self.to_hold = 0
        self.generation += 1
        self.release.set()  # held requests end, unrecorded
        self.release = asyncio.Event()

    def resource(self, message: dict[str, str]) -> dict[str, Any]:
        """A message as Twilio's API shows it."""
        return {
            "sid": message["sid"],
            "account_sid": self.account_sid,
            "to": message["To"],
            "from": message.get("From"),
            "body": message["Body"],
            "status": "queued",
            "messaging_service_sid": message.get("MessagingServiceSid"),
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": message["date_created"],
            "date_updated": message["date_created"],
            "date_sent": message["date_created"],
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message['sid']}.json",
        }


def _moment(value: str) -> datetime:
    """A ``DateSent`` filter value: a date (midnight UTC) or a date and time."""
    if len(value) == len("2026-01-01"):
        return datetime.combine(date.fromisoformat(value), time(), UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def create_fake_app(account_sid: str = "ACfake", auth_token: str = "fake-token") -> Litestar:  # noqa: S107
    fake = FakeTwilio(account_sid, auth_token)
    base = f"/2010-04-01/Accounts/{account_sid}/Messages.json"

    @post("/2010-04-01/Accounts/{sid:str}/Messages.json", status_code=201)
    async def create_message(request: Request[Any, Any, Any], sid: FromPath[str]) -> Response[Any]:
        if sid != fake.account_sid or not fake.authorised(request):
            return Response(UNAUTHORISED, status_code=401)
        generation = fake.generation
        fake.received += 1
        fake.in_flight += 1
        try:
            form = dict(await request.form())
            if fake.delay:
                await asyncio.sleep(fake.delay)
            if fake.to_hold:
                fake.to_hold -= 1
                fake.held += 1
                try:
                    await fake.release.wait()
                finally:
                    fake.held -= 1
            if fake.failures:
                kind = fake.failures.pop(0)
                if kind == "timeout":
                    await asyncio.sleep(TIMEOUT_SLEEP_SECONDS)
                else:
                    status, body = FAILURES[kind]
                    return Response(body, status_code=status)
            if generation != fake.generation:
                return Response(FAILURES["5xx"][1], status_code=503)
            if "To" not in form or "Body" not in form:
                return Response(
                    {"code": 21604, "message": "A 'To' and 'Body' are required", "status": 400},
                    status_code=400,
                )
            message = {key: str(value) for key, value in form.items()}
            message["sid"] = f"SM{next(fake._numbers):032x}"
            message["date_created"] = format_datetime(datetime.now(UTC), usegmt=True)
            fake.messages.append(message)
            return Response(fake.resource(message), status_code=201)
        finally:
            fake.in_flight -= 1

    @get("/2010-04-01/Accounts/{sid:str}/Messages.json")
    async def list_messages(request: Request[Any, Any, Any], sid: FromPath[str]) -> Response[Any]:
        """Newest first; a page token names the last message of the page before."""
        if sid != fake.account_sid or not fake.authorised(request):
            return Response(UNAUTHORISED, status_code=401)
        query = request.query_params
        size = min(max(int(query.get("PageSize", PAGE_SIZE_DEFAULT)), 1), PAGE_SIZE_MAX)
        page = int(query.get("Page", 0))
        chosen = []
        for message in reversed(fake.messages):
            sent = parsedate_to_datetime(message["date_created"])
            if (
                ("To" in query and message["To"] != query["To"])
                or ("From" in query and message.get("From") != query["From"])
                or ("DateSent" in query and sent.date() != _moment(query["DateSent"]).date())
                or ("DateSent>" in query and sent < _moment(query["DateSent>"]))
                or ("DateSent<" in query and sent > _moment(query["DateSent<"]))
            ):
                continue
            chosen.append(message)
        token = query.get("PageToken", "")
        start = 0
        if token:
            after = token.removeprefix("PA")
            start = next((i + 1 for i, m in enumerate(chosen) if m["sid"] == after), len(chosen))
        rows = chosen[start : start + size]
        filters = {
            k: v
            for k, v in query.items()
            if k in {"To", "From", "DateSent", "DateSent<", "DateSent>"}
        }

        def uri(**extra: Any) -> str:
            return f"{base}?{urlencode(filters | {'PageSize': size} | extra)}"

        more = start + size < len(chosen)
        return Response(
            {
                "messages": [fake.resource(m) for m in rows],
                "page": page,
                "page_size": size,
                "start": start,
                "end": start + len(rows) - 1 if rows else start,
                "uri": uri(Page=page, **({"PageToken": token} if token else {})),
                "first_page_uri": uri(Page=0),
                "previous_page_uri": None,
                "next_page_uri": uri(Page=page + 1, PageToken=f"PA{rows[-1]['sid']}")
                if more
                else None,
            }
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

    @post("/_fake/hold", status_code=204)
    async def hold(data: dict[str, Any]) -> None:
        fake.to_hold += int(data.get("count", 1))

    @post("/_fake/release", status_code=204)
    async def release() -> None:
        fake.release.set()
        fake.release = asyncio.Event()

    @get("/_fake/state")
    async def state() -> dict[str, int]:
        return {
            "received": fake.received,
            "in_flight": fake.in_flight,
            "held": fake.held,
            "accepted": len(fake.messages),
        }

    @get("/_fake/messages")
    async def messages() -> list[dict[str, str]]:
        return fake.messages

    @delete("/_fake/messages")
    async def reset() -> None:
        fake.reset()

    return Litestar(
        route_handlers=[
            create_message,
            list_messages,
            inject,
            slow,
            hold,
            release,
            state,
            messages,
            reset,
        ]
    )
