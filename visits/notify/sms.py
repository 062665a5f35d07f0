"""SMS senders: Twilio (the official client) and the console (the embedded default).

The Twilio client is synchronous; it runs in worker threads, one client per thread (the client
hands each response back through an attribute of its shared HTTP client). Errors are sorted into
temporary (server errors, timeouts, connection failures: retry with backoff) and permanent (21610
the recipient opted out, 21211 an invalid number, other client errors: record, never retry). A
timeout or a broken connection leaves the outcome unknown (Twilio may have accepted the message):
``TemporaryFailure.maybe_accepted`` says so, and the dispatcher asks ``sent_since`` before it
sends again, because Twilio has no idempotency key.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from requests.exceptions import RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from visits.settings import Settings

log = structlog.get_logger(__name__)

OPTED_OUT = 21610
DEFAULT_TIMEOUT_SECONDS = 10.0
LIST_PAGE_SIZE = 200


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str


@dataclass(frozen=True)
class Listed:
    """A message the provider holds for a recipient (what reconciliation compares)."""

    provider_id: str
    status: str
    body: str
    created_at: datetime | None


class TemporaryFailure(Exception):
    """Try again later. ``maybe_accepted``: no answer came, so the provider may have the
    message (a timeout, a dropped connection); not for an answer that refused it."""

    def __init__(self, message: str, *, maybe_accepted: bool = False) -> None:
        super().__init__(message)
        self.maybe_accepted = maybe_accepted


class PermanentFailure(Exception):
    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code


class SmsSender(Protocol):
    async def send(self, to: str, body: str) -> Sent: ...

    async def sent_since(self, to: str, since: datetime) -> list[Listed]:
        """The provider's messages to ``to`` created at or after ``since`` (for reconciling a
        send whose outcome is unknown); raises ``TemporaryFailure`` if it cannot tell."""
        ...


def masked(number: str) -> str:
    """For logs: enough to tell numbers apart, not enough to call them."""
    return f"{number[:4]}…{number[-2:]}"


class ConsoleSender:
    """Writes each SMS to the log instead of sending it."""

    def __init__(self) -> None:
        self.count = 0

    async def send(self, to: str, body: str) -> Sent:
        self.count += 1
        log.info("sms_logged_not_sent", to=masked(to), body=body)
        return Sent(provider_id=f"console-{self.count}", status="sent")

    async def sent_since(self, to: str, since: datetime) -> list[Listed]:
        """The log keeps nothing to look up: an unknown outcome is logged again."""
        del to, since
        return []


class TwilioSender:
    def __init__(self, settings: Settings, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise ValueError("sms_sender=twilio needs twilio_account_sid and twilio_auth_token")
        if not (settings.twilio_messaging_service_sid or settings.twilio_from_number):
            raise ValueError(
                "sms_sender=twilio needs twilio_messaging_service_sid or a from number"
            )
        self._settings, self._timeout = settings, timeout
        self._local = threading.local()
        self._sender = (
            {"messaging_service_sid": settings.twilio_messaging_service_sid}
            if settings.twilio_messaging_service_sid
            else {"from_": settings.twilio_from_number}
        )
        self._callback = f"{settings.resolved_public_url}/webhooks/twilio/status"

    def _client(self) -> Client:
        """This thread's client (created on first use)."""
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = Client(
                self._settings.twilio_account_sid,
                self._settings.twilio_auth_token,
                http_client=TwilioHttpClient(timeout=self._timeout),
            )
            if self._settings.twilio_api_base_url:
                client.api.base_url = self._settings.twilio_api_base_url.rstrip("/")
            self._local.client = client
        return client

    def _create(self, to: str, body: str) -> Sent:
        message = self._client().messages.create(
            to=to, body=body, status_callback=self._callback, **self._sender
        )
        return Sent(provider_id=str(message.sid), status=str(message.status))

    def _list(self, to: str, since: datetime) -> list[Listed]:
        # DateSent> narrows the listing on Twilio's side (to the day, as documented); the exact
        # window is applied here, on the creation time, which every message has.
        # Every page of the window: a cut-off would hide the oldest message, the one that
        # matters when a number gets many (a shared office phone, a backlog drained at once).
        messages = self._client().messages.stream(
            to=to, date_sent_after=since, page_size=LIST_PAGE_SIZE
        )
        return [
            Listed(str(m.sid), str(m.status), m.body or "", m.date_created)
            for m in messages
            if m.date_created is None or m.date_created >= since
        ]

    async def send(self, to: str, body: str) -> Sent:
        try:
            return await asyncio.to_thread(self._create, to, body)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise TemporaryFailure(f"Twilio answered {exc.status}") from exc
            raise PermanentFailure(exc.code, f"Twilio refused: {exc.code} {exc.msg}") from exc
        except RequestException as exc:
            raise TemporaryFailure(
                f"no answer from Twilio: {type(exc).__name__}", maybe_accepted=True
            ) from exc

    async def sent_since(self, to: str, since: datetime) -> list[Listed]:
        try:
            return await asyncio.to_thread(self._list, to, since)
        except (TwilioRestException, RequestException) as exc:
            raise TemporaryFailure(f"Twilio could not list messages: {exc}") from exc


def sender_for(settings: Settings) -> SmsSender:
    if settings.sms_sender == "twilio":
        return TwilioSender(settings)
    return ConsoleSender()
