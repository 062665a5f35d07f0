"""How messages reach people: one interface, one channel per medium.

Sign-in codes and notices to households are ``OutgoingMessage``s handed to the notifier, which
routes each to the channel of its medium: e-mail over SMTP (``visits.mail``), SMS through the
Twilio sender the reminders use. The log channel writes a message to the log instead; it stands
in for a medium without a configured channel in development and tests only. In production the
settings refuse to start without a real channel (``settings.load_settings``), and a message for
a medium without one is ``Undeliverable``; nothing here logs a message's text or recipient
outside the log channel.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from visits.enums import ContactChannel
from visits.i18n import DEFAULT_LANGUAGE
from visits.mail import SmtpSender, notice_mail
from visits.notify.sms import PermanentFailure, SmsSender, TwilioSender, masked
from visits.settings import Settings

log = structlog.get_logger("visits.notify")


@dataclass(frozen=True)
class OutgoingMessage:
    channel: ContactChannel
    to: str = field(repr=False)  # an e-mail address or an E.164 number
    subject: str  # e-mail only; an SMS is its text
    text: str = field(repr=False)
    purpose: str  # e.g. "sign_in_code"; for logs and metrics
    language: str = DEFAULT_LANGUAGE


class Undeliverable(Exception):
    """The message cannot reach its recipient (no channel for its medium, an address or number
    the provider refuses): trying again would not help."""


class NotificationChannel(Protocol):
    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver ``message`` and return the provider's id for it (an SMS's SID), or raise:
        ``Undeliverable`` when retrying is useless, anything else when it may work later."""


class LogChannel:
    """Writes the message to the log instead of sending it (development and tests only)."""

    async def send(self, message: OutgoingMessage) -> str | None:
        log.info(
            "message_logged_not_sent",
            channel=message.channel.value,
            to=message.to,
            purpose=message.purpose,
            subject=message.subject,
            text=message.text,
        )
        return None


class EmailChannel:
    """A message as a multipart (text and HTML) e-mail in its language, from ``sender``."""

    def __init__(self, smtp: SmtpSender, sender: str) -> None:
        self.smtp, self.sender = smtp, sender

    async def send(self, message: OutgoingMessage) -> str | None:
        mail = notice_mail(self.sender, message.to, message.subject, message.text, message.language)
        try:
            await self.smtp.send(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Undeliverable("the mail server refused the address") from exc
        log.info("message_mailed", purpose=message.purpose)
        return None


class SmsChannel:
    """A message's text as one SMS."""

    def __init__(self, sms: SmsSender) -> None:
        self.sms = sms

    async def send(self, message: OutgoingMessage) -> str | None:
        try:
            sent = await self.sms.send(message.to, message.text)
        except PermanentFailure as exc:
            raise Undeliverable(str(exc)) from exc
        log.info(
            "message_texted", purpose=message.purpose, to=masked(message.to), sid=sent.provider_id
        )
        return sent.provider_id


class Notifier:
    """Routes each message to the channel of its medium."""

    def __init__(self, channels: Mapping[ContactChannel, NotificationChannel]) -> None:
        self.channels = dict(channels)

    def delivers(self, medium: ContactChannel) -> bool:
        """Whether a message by ``medium`` reaches anyone (not only a log)."""
        return medium in self.channels and not isinstance(self.channels[medium], LogChannel)

    async def send(self, message: OutgoingMessage) -> str | None:
        channel = self.channels.get(message.channel)
        if channel is None:
            raise Undeliverable(f"no {message.channel.value} channel is configured")
        return await channel.send(message)


def notifier_for(settings: Settings) -> Notifier:
    """E-mail over SMTP when ``smtp_host`` is set, SMS through Twilio when ``sms_sender`` is
    ``twilio``; outside production a medium without a channel goes to the log."""
    channels: dict[ContactChannel, NotificationChannel] = {}
    if settings.smtp_host:
        channels[ContactChannel.EMAIL] = EmailChannel(SmtpSender(settings), settings.mail_sender)
    if settings.sms_sender == "twilio":
        channels[ContactChannel.SMS] = SmsChannel(TwilioSender(settings))
    if settings.environment != "production":
        for medium in ContactChannel:
            channels.setdefault(medium, LogChannel())
    return Notifier(channels)
