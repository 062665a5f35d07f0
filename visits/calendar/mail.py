"""E-mailed invites (iMIP, RFC 6047) over SMTP, sent by the ``InviteMail`` after-commit effect.

Header values (names, subject, mailboxes) are flattened to one line and the bodies freed of
control characters, whatever was stored, so that no stored text can stop a message from being
built. The message is ``multipart/alternative``: text, HTML, and the calendar object as
``text/calendar; method=…; charset=UTF-8`` (the method matching the object's METHOD), base64
encoded so that its CRLF line endings and folding reach the client unchanged.

The service that changes a visit registers ``InviteMail(visit_id)`` with ``after_commit``; the
boundary (a request after its response is sent, or a scheduled job) delivers it only once the
change is committed, so a rolled-back change and an idempotent replay mail nothing. Sending
(``visits.mail``) runs in a worker thread: a slow or broken mail server never delays or fails a
booking, and failures are logged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from visits.calendar.invites import Invite, load_invite
from visits.db.models import Visit
from visits.db.transaction import EffectContext
from visits.mail import SmtpSender, mailbox, new_message
from visits.plain_text import plain
from visits.settings import Settings

log = structlog.get_logger(__name__)


def build_message(invite: Invite, mail_sender: str = "") -> EmailMessage:
    """The e-mail for ``invite``; From is ``mail_sender`` or the facility's mailbox, and
    replies go to the facility."""
    if invite.recipient is None:
        raise ValueError("an invite without a recipient cannot be mailed")
    organizer = plain(invite.organizer.name)
    message = new_message(
        mail_sender or invite.organizer.email,
        formataddr((plain(invite.recipient.name), mailbox(invite.recipient.email))),
        invite.subject,
        sender_name=organizer,
    )
    message["Reply-To"] = formataddr((organizer, mailbox(invite.organizer.email)))
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


async def _prepare(
    session: AsyncSession, settings: Settings, visit_id: uuid.UUID
) -> tuple[EmailMessage, str] | None:
    """The e-mail for the visit's current invite or cancellation and its method, if it can be
    sent."""
    try:
        visit = await session.get(Visit, visit_id)
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
        return build_message(invite, settings.mail_sender), invite.method
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
            message, method = prepared
            await _deliver(SmtpSender(settings), message, self.visit_id, method)
