"""How messages reach people: one interface, several channels.

Sign-in codes and notices to households use it. The embedded default writes messages to the
log, which is what a single-machine demo and the tests read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog

from visits.enums import ContactChannel
from visits.settings import Settings

log = structlog.get_logger("visits.notify")


@dataclass(frozen=True)
class OutgoingMessage:
    channel: ContactChannel
    to: str  # an e-mail address or an E.164 number
    subject: str
    text: str
    purpose: str  # e.g. "sign_in_code"; for logs and metrics


class NotificationChannel(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Deliver ``message`` or raise; callers decide whether a failure matters."""


class LogChannel:
    """Writes the message to the log instead of sending it (embedded default)."""

    async def send(self, message: OutgoingMessage) -> None:
        log.info(
            "message_logged_not_sent",
            channel=message.channel.value,
            to=message.to,
            purpose=message.purpose,
            subject=message.subject,
            text=message.text,
        )


def notifier_for(settings: Settings) -> NotificationChannel:
    """The channel the settings choose. The log channel is the only one so far; SMTP and
    Twilio channels plug in here."""
    del settings
    return LogChannel()
