"""Twilio webhooks: delivery status callbacks and inbound messages (STOP, START, HELP).

Every request is checked with Twilio's ``RequestValidator`` against the public URL the service
is reached at (``public_url``); forged or unsigned requests get 403 and change nothing. The
check is a guard, so it runs before the form is read into its schema: a stranger learns
nothing about which fields are expected. A status only moves forward, so repeated and
reordered callbacks are harmless.
"""

from __future__ import annotations

from typing import Annotated, Any
from xml.sax.saxutils import escape

import msgspec
import structlog
from litestar import Controller, Request, Response, post
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body
from twilio.request_validator import RequestValidator

from visits.dependencies import AppSettings, DbSession
from visits.errors import Forbidden
from visits.i18n import LANGUAGES, N_, translate
from visits.notify import service
from visits.openapi import problems
from visits.settings import Settings
from visits.validation import single_line

log = structlog.get_logger(__name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPP"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "HILFE"}


def _in_every_language(message: str) -> str:
    """``message`` in every language the service speaks: whoever texts HELP may have no
    household, so no language of their own."""
    return " / ".join(translate(language, message) for language in LANGUAGES)


_REMINDERS = _in_every_language(N_("visit reminders"))
_UNSUBSCRIBE = _in_every_language(N_("unsubscribe"))
_RESUBSCRIBE = _in_every_language(N_("resubscribe"))
HELP_TEXT = f"visits: {_REMINDERS}. STOP = {_UNSUBSCRIBE}, START = {_RESUBSCRIBE}."
TWIML_MEDIA_TYPE = "text/xml"

# Twilio's own fields: one line each (an SMS text may have line breaks). Twilio sends more
# fields than these; all of them are signed, the others are ignored.
Line = Annotated[str, single_line(64, min_length=0)]
SmsText = Annotated[str, msgspec.Meta(max_length=1600)]


class StatusCallbackForm(msgspec.Struct, rename="pascal"):
    """The fields of Twilio's message status callback that visits reads."""

    message_sid: Annotated[Line, msgspec.Meta(examples=["SM0123456789abcdef0123456789abcdef"])] = ""
    message_status: Annotated[
        Line,
        msgspec.Meta(
            description="queued, sending, sent, delivered, undelivered, failed or read; "
            "a status never moves a message back.",
            examples=["delivered"],
        ),
    ] = ""
    error_code: Annotated[
        Line,
        msgspec.Meta(description="Twilio's error code; 21610 means the number opted out."),
    ] = ""
    to: Annotated[Line, msgspec.Meta(examples=["+4915123456789"])] = ""


class InboundMessageForm(msgspec.Struct, rename="pascal"):
    """The fields of an inbound SMS that visits reads."""

    from_: Annotated[Line, msgspec.Meta(examples=["+4915123456789"])] = msgspec.field(
        default="", name="From"
    )
    body: Annotated[SmsText, msgspec.Meta(examples=["STOP"])] = ""
    opt_out_type: Annotated[
        Line,
        msgspec.Meta(description="STOP, START or HELP when Twilio's Advanced Opt-Out matched."),
    ] = ""


FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twiml(message: str | None = None) -> Response[str]:
    body = f"<Message>{escape(message)}</Message>" if message else ""
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
        media_type=TWIML_MEDIA_TYPE,
    )


def _twiml_response(description: str, *examples: str) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=str,
            media_type=TWIML_MEDIA_TYPE,
            description=description,
            generate_examples=False,
            examples=[Example(value=example) for example in examples],
        )
    }


async def twilio_signature_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Refuse (403) unless X-Twilio-Signature signs this URL and form with the auth token."""
    settings: Settings = connection.app.state.settings
    form: dict[str, str] = {}
    if isinstance(connection, Request):
        form = {key: str(value) for key, value in (await connection.form()).items()}
    signature = connection.headers.get("x-twilio-signature", "")
    url = f"{settings.resolved_public_url}{connection.url.path}"
    if connection.url.query:
        url = f"{url}?{connection.url.query}"
    valid = bool(signature and settings.twilio_auth_token) and RequestValidator(
        settings.twilio_auth_token
    ).validate(url, form, signature)
    if not valid:
        log.warning("twilio_webhook_rejected", path=connection.url.path, signed=bool(signature))
        raise Forbidden("invalid-signature", "The request is not signed by Twilio.")


class TwilioWebhookController(Controller):
    path = "/webhooks/twilio"
    tags = ["Webhooks"]
    include_in_schema = True
    guards = [twilio_signature_guard]

    @post(
        "/status",
        status_code=200,
        media_type=TWIML_MEDIA_TYPE,
        summary="Delivery status callback (signed by Twilio)",
        responses=problems("invalid-parameters", "invalid-signature")
        | _twiml_response("An empty TwiML document.", EMPTY_TWIML),
    )
    async def status(
        self,
        db_session: DbSession,
        data: Annotated[StatusCallbackForm, FORM],
    ) -> Response[str]:
        """Twilio reports the delivery of an SMS: a reminder, or a notice to a family (a
        decision, a cancellation, a sign-in code). Only Twilio may call this: the
        `X-Twilio-Signature` header must sign the public URL and every form field with the
        account's auth token, else 403 `invalid-signature` and nothing changes.

        The message's status is stored and only moves forward (delivered is not undone by a
        late "sent"), so repeated and reordered callbacks are harmless; "delivered" marks it
        delivered, "failed" and "undelivered" undeliverable with the error code (staff see
        failed notices in the console). Unknown messages are acknowledged. Error 21610
        (the number opted out) stops SMS to that number, as STOP does.
        """
        await service.record_delivery_status(
            db_session, data.message_sid, data.message_status, data.error_code, data.to
        )
        return twiml()

    @post(
        "/inbound",
        status_code=200,
        media_type=TWIML_MEDIA_TYPE,
        summary="Inbound SMS: STOP, START, HELP (signed)",
        responses=problems("invalid-parameters", "invalid-signature")
        | _twiml_response(
            "TwiML: empty, or the help text as a reply to HELP.",
            EMPTY_TWIML,
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{HELP_TEXT}'
            "</Message></Response>",
        ),
    )
    async def inbound(
        self,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[InboundMessageForm, FORM],
    ) -> Response[str]:
        """An SMS sent to the service's number. Only Twilio may call this (signed like the
        status callback, else 403 `invalid-signature`).

        STOP (and its synonyms, or Twilio's `OptOutType`) ends SMS to the sender's number and
        cancels its pending reminders; START plans them again for households that consented;
        HELP answers with a short help text. Any other text is acknowledged and ignored.
        """
        sender = data.from_
        words = data.body.strip().split()
        word = words[0].upper() if words else ""
        opt = data.opt_out_type.upper()
        if opt == "STOP" or (not opt and word in STOP_WORDS):
            await service.opt_out(db_session, sender)
        elif opt == "START" or (not opt and word in START_WORDS):
            await service.opt_in(db_session, sender, settings)
        elif opt == "HELP" or word in HELP_WORDS:
            return twiml(HELP_TEXT)
        return twiml()
