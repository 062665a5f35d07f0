"""E-mail over SMTP: the one sender every mail of the service goes through, and plain notices.

Sending uses the standard library's ``smtplib`` in a worker thread, so a slow mail server never
blocks the event loop. Header values are flattened to one line and bodies freed of control
characters, whatever was stored, so that no stored text can stop a message from being built.
"""

from __future__ import annotations

import asyncio
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid

from visits.db.base import utcnow
from visits.plain_text import plain
from visits.settings import Settings

SMTP_TIMEOUT_SECONDS = 20.0


def mailbox(value: str) -> str:
    """A stored mailbox without spaces or control characters (a header must stay one line)."""
    return "".join(plain(value).split())


def new_message(sender: str, recipient: str, subject: str, sender_name: str = "") -> EmailMessage:
    """An empty message with the headers every mail of the service carries."""
    address = mailbox(sender)
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((plain(sender_name), address)) if sender_name else address
    message["To"] = recipient
    message["Subject"] = plain(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    return message


def notice_mail(sender: str, to: str, subject: str, text: str, language: str) -> EmailMessage:
    """A notice as ``multipart/alternative``: the text, and the same words as simple HTML (one
    paragraph per paragraph of the text, escaped), in ``language``."""
    message = new_message(sender, mailbox(to), subject)
    body = plain(text, lines=True)
    message.set_content(body)
    paragraphs = "".join(
        f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>"
        for part in body.split("\n\n")
        if part.strip()
    )
    message.add_alternative(
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><body>{paragraphs}</body></html>',
        subtype="html",
    )
    message["Content-Language"] = language  # after the body: set_content drops Content-*
    return message


class SmtpSender:
    """Delivers messages through the configured SMTP server (``smtp_*`` settings)."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.username = settings.smtp_username
        self.password = settings.smtp_password

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            client.send_message(message)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)
