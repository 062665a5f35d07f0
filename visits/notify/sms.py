"""SMS senders: Twilio (the official client) and the console (the embedded default).

The Twilio client is synchronous; it runs in a worker thread. Errors are sorted into temporary
(server errors, timeouts, connection failures: retry with backoff) and permanent (21610 the
recipient opted out, 21211 an invalid number, other client errors: record, never retry).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

import structlog
from requests.exceptions import RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from visits.settings import Settings

log = structlog.get_logger(__name__)

OPTED_OUT = 21610
INVALID_NUMBER = 21211
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code


class SmsSender(Protocol):
    async def send(self, to: str, body: str) -> Sent: ...


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


class TwilioSender:
    def __init__(self, settings: Settings, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise ValueError("sms_sender=twilio needs twilio_account_sid and twilio_auth_token")
        if not (settings.twilio_messaging_service_sid or settings.twilio_from_number):
            raise ValueError(
                "sms_sender=twilio needs twilio_messaging_service_sid or a from number"
            )
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=timeout),
        )
        if settings.twilio_api_base_url:
            self._client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        self._sender = (
            {"messaging_service_sid": settings.twilio_messaging_service_sid}
            if settings.twilio_messaging_service_sid
            else {"from_": settings.twilio_from_number}
        )
        self._callback = f"{settings.resolved_public_url}/webhooks/twilio/status"

    def _create(self, to: str, body: str) -> Sent:
        message = self._client.messages.create(
            to=to, body=body, status_callback=self._callback, **self._sender
        )
        return Sent(provider_id=str(message.sid), status=str(message.status))

    async def send(self, to: str, body: str) -> Sent:
        try:
            return await asyncio.to_thread(self._create, to, body)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise TemporaryFailure(f"Twilio answered {exc.status}") from exc
            raise PermanentFailure(exc.code, f"Twilio refused: {exc.code} {exc.msg}") from exc
        except RequestException as exc:
            raise TemporaryFailure(f"no answer from Twilio: {type(exc).__name__}") from exc


def sender_for(settings: Settings) -> SmsSender:
    if settings.sms_sender == "twilio":
        return TwilioSender(settings)
    return ConsoleSender()
