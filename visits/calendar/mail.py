"""E-mailed invites (iMIP, RFC 6047) over SMTP, and the hook the booking handlers call.

Header values (names, subject, mailboxes) are flattened to one line and the bodies freed of
control characters, whatever was stored, so that no stored text can stop a message from being
built. The message is ``multipart/alternative``: text, HTML, and the calendar object as
``text/calendar; method=…; charset=UTF-8`` (the method matching the object's METHOD), base64
encoded so that its CRLF line endings and folding reach the client unchanged. Sending uses the
standard library's ``smtplib`` in a worker thread, after the response (a background task): a
slow or broken mail server never delays or fails a booking, and failures are logged.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

import structlog
from litestar import Response
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from sqlalchemy.ext.asyncio import AsyncSession

from visits.calendar.invites import Invite, load_invite
from visits.calendar.texts import plain
from visits.db.base import utcnow
from visits.db.models import Visit
from visits.db.transaction import EffectContext
from visits.settings import Settings

log = structlog.get_logger(__name__)
SMTP_TIMEOUT_SECONDS = 20.0


def _address(value: str) -> str:
    """A stored mailbox without spaces or control characters (a header must stay one line)."""
    return "".join(plain(value).split())


def build_message(invite: Invite, mail_sender: str = "") -> EmailMessage:
    """The e-mail for ``invite``; From is ``mail_sender`` or the facility's mailbox, and
    replies go to the facility."""
    if invite.recipient is None:
        raise ValueError("an invite without a recipient cannot be mailed")
    sender = _address(mail_sender or invite.organizer.email)
    organizer = plain(invite.organizer.name)
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((organizer, sender))
    message["To"] = formataddr((plain(invite.recipient.name), _address(invite.recipient.email)))
    message["Reply-To"] = formataddr((organizer, _address(invite.organizer.email)))
    message["Subject"] = plain(invite.subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(plain(invite.text, lines=True))
    message.add_alternative(plain(invite.html, lines=True), subtype="html")
    message.add_alternative(
        invite.calendar,
        maintype="text",
        subtype="calendar",
        params={"method": invite.method, "charset": "UTF-8"},
        cte="base64",
    )
    message["Content-Language"] = invite.language  # after the body: set_content drops Content-*
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


async def _deliver(
    sender: SmtpSender, message: EmailMessage, visit_id: uuid.UUID, method: str
) -> None:
    try:
        await sender.send(message)
    except Exception as exc:
        log.warning(
            "invite_mail_failed",
            visit_id=str(visit_id),
            method=method,
            error=f"{type(exc).__name__}: {exc}",
        )
        return
    log.info("invite_mailed", visit_id=str(visit_id), method=method)


def _visit_id(content: Any) -> uuid.UUID | None:
    value = content.get("id") if isinstance(content, dict) else getattr(content, "id", None)
    if isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value)) if value else None


async def _prepare(
    session: AsyncSession, settings: Settings, visit_id: uuid.UUID | None
) -> tuple[EmailMessage, uuid.UUID, str] | None:
    """The e-mail for the visit's current invite or cancellation, if it can be sent."""
    try:
        visit = await session.get(Visit, visit_id) if visit_id else None
        if visit is None:
            return None
        invite = await load_invite(
            session,
            visit,
            public_url=settings.resolved_public_url,
            mail_sender=settings.mail_sender,
        )
        if invite is None or invite.recipient is None:
            return None
        return build_message(invite, settings.mail_sender), invite.visit_id, invite.method
    except Exception:
        log.exception("invite_mail_failed", visit_id=str(visit_id), stage="build")
        return None


@dataclass(frozen=True)
class InviteMail:
    """An after-commit effect: e-mail the household the visit's current invite or cancellation,
    if SMTP is configured and the household has an address."""

    visit_id: uuid.UUID

    async def deliver(self, context: EffectContext) -> None:
        settings = context.settings
        if not settings.smtp_host:
            return
        async with context.session_factory() as session:
            prepared = await _prepare(session, settings, self.visit_id)
        if prepared is not None:
            message, invite_visit, method = prepared
            await _deliver(SmtpSender(settings), message, invite_visit, method)


async def mail_invite_after(
    session: AsyncSession, settings: Settings, response: Response[Any]
) -> None:
    """After a booking change took effect (a 2xx that is not an idempotent replay), e-mail the
    household the visit's invite or cancellation, if SMTP is configured and the household has an
    address. Never raises: the change is committed, the mail is a courtesy."""
    if not settings.smtp_host:
        return
    if response.status_code not in (200, 201) or "Idempotent-Replayed" in response.headers:
        return
    try:
        visit_id = _visit_id(response.content)
    except (TypeError, ValueError):
        return
    prepared = await _prepare(session, settings, visit_id)
    if prepared is None:
        return
    message, invite_visit, method = prepared
    task = BackgroundTask(_deliver, SmtpSender(settings), message, invite_visit, method)
    existing = response.background
    if existing is None:
        response.background = task
    elif isinstance(existing, BackgroundTasks):
        existing.tasks = [*existing.tasks, task]
    else:
        response.background = BackgroundTasks([existing, task])


async def mail_invite_with(
    session: AsyncSession, settings: Settings, visit_id: uuid.UUID, response: Response[Any]
) -> Response[Any]:
    """For web pages, whose answer is a page or a redirect: e-mail the visit's invite or
    cancellation after ``response`` is sent, as the API does."""
    probe: Response[Any] = Response({"id": str(visit_id)}, status_code=200)
    await mail_invite_after(session, settings, probe)
    response.background = probe.background
    return response


async def mail_invite_now(session: AsyncSession, settings: Settings, visit_id: uuid.UUID) -> None:
    """The same, for changes made outside a request (scheduled jobs); never raises."""
    if not settings.smtp_host:
        return
    prepared = await _prepare(session, settings, visit_id)
    if prepared is not None:
        message, invite_visit, method = prepared
        await _deliver(SmtpSender(settings), message, invite_visit, method)
