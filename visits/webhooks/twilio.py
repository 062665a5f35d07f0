"""Twilio webhooks: delivery status callbacks and inbound messages (STOP, START, HELP).

Every request is checked with Twilio's ``RequestValidator`` against the public URL the service
is reached at (``public_url``); forged or unsigned requests get 403 and change nothing. A status
only moves forward, so repeated and reordered callbacks are harmless.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa
import structlog
from litestar import Controller, Request, Response, post
from twilio.request_validator import RequestValidator

from visits.audit import Actor, record
from visits.db.base import utcnow
from visits.db.models import Household, Reminder
from visits.dependencies import AppSettings, DbSession
from visits.enums import ActorType, Channel, ReminderState
from visits.errors import ProblemError
from visits.notify import reminders
from visits.notify.sms import OPTED_OUT, masked
from visits.settings import Settings

log = structlog.get_logger(__name__)

STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPP"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "HILFE"}
HELP_TEXT = (
    "visits: SMS-Erinnerungen an Besuche / visit reminders. "
    "STOP = abmelden / unsubscribe, START = wieder anmelden / resubscribe."
)


async def verified_form(request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
    """The form parameters, if the X-Twilio-Signature matches; a 403 problem otherwise."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    signature = request.headers.get("x-twilio-signature", "")
    url = f"{settings.resolved_public_url}{request.url.path}"
    if request.url.query:
        url = f"{url}?{request.url.query}"
    valid = bool(signature and settings.twilio_auth_token) and RequestValidator(
        settings.twilio_auth_token
    ).validate(url, form, signature)
    if not valid:
        log.warning("twilio_webhook_rejected", path=request.url.path, signed=bool(signature))
        raise ProblemError(403, "invalid-signature", "The request is not signed by Twilio.")
    return form


def twiml(message: str | None = None) -> Response[str]:
    body = f"<Message>{escape(message)}</Message>" if message else ""
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', media_type="text/xml"
    )


class TwilioWebhookController(Controller):
    path = "/webhooks/twilio"
    tags = ["Webhooks"]
    include_in_schema = True

    @post("/status", status_code=200, summary="Delivery status callback (signed by Twilio)")
    async def status(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[str]:
        form = await verified_form(request, settings)
        sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "").lower()
        reminder = await db_session.scalar(
            sa.select(Reminder).where(Reminder.provider_message_id == sid)
        )
        if reminder is None or status not in STATUS_RANK:
            return twiml()
        if STATUS_RANK[status] > STATUS_RANK.get(reminder.provider_status or "accepted", 0):
            reminder.provider_status = status
            if status == "delivered":
                reminder.state = ReminderState.DELIVERED
            elif status in ("failed", "undelivered"):
                reminder.state = ReminderState.UNDELIVERABLE
                reminder.last_error = f"{status} {form.get('ErrorCode', '')}".strip()
        if form.get("ErrorCode") == str(OPTED_OUT):
            await _opt_out(db_session, form.get("To", ""))
        await db_session.commit()
        return twiml()

    @post("/inbound", status_code=200, summary="Inbound SMS: STOP, START, HELP (signed)")
    async def inbound(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[str]:
        form = await verified_form(request, settings)
        sender = form.get("From", "")
        word = form.get("Body", "").strip().split(" ")[0].upper()
        opt = form.get("OptOutType", "").upper()
        if opt == "STOP" or (not opt and word in STOP_WORDS):
            await _opt_out(db_session, sender)
        elif opt == "START" or (not opt and word in START_WORDS):
            await _opt_in(db_session, sender, settings)
        elif opt == "HELP" or word in HELP_WORDS:
            return twiml(HELP_TEXT)
        await db_session.commit()
        return twiml()


async def _households(session: Any, phone: str) -> list[Household]:
    return list(await session.scalars(sa.select(Household).where(Household.phone_e164 == phone)))


async def _opt_out(session: Any, phone: str) -> None:
    for household in await _households(session, phone):
        household.sms_opted_out_at = household.sms_opted_out_at or utcnow()
        record(
            session,
            Actor(ActorType.HOUSEHOLD, str(household.id), None, Channel.ONLINE),
            "sms.opt_out",
            "household",
            household.id,
        )
    cancelled = await reminders.cancel_for_phone(session, phone)
    log.info("sms_opt_out", to=masked(phone), reminders_cancelled=cancelled)


async def _opt_in(session: Any, phone: str, settings: Settings) -> None:
    for household in await _households(session, phone):
        household.sms_opted_out_at = None
        record(
            session,
            Actor(ActorType.HOUSEHOLD, str(household.id), None, Channel.ONLINE),
            "sms.opt_in",
            "household",
            household.id,
        )
        await reminders.replan_household(session, household.id, settings)
    log.info("sms_opt_in", to=masked(phone))
