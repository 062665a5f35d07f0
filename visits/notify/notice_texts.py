"""The words of each notice, rendered in the household's language when it is sent.

No notice names a child or gives a safeguarding reason: the texts take only the visit's
reference and time, a sign-in code, and for a staff cancellation the reason staff wrote for the
family.
"""

from __future__ import annotations

from datetime import datetime

from visits.db.models import Notice
from visits.enums import NoticeKind
from visits.i18n import N_, translate
from visits.notify.channels import OutgoingMessage
from visits.notify.formats import day_and_time

# kind: (subject, text); ``%(when)s`` is the visit's local date and time.
TEXTS: dict[NoticeKind, tuple[str, str]] = {
    NoticeKind.SIGN_IN_CODE: (
        N_("Your visits sign-in code"),
        N_("Your sign-in code is %(code)s. It is valid for %(minutes)s minutes."),
    ),
    NoticeKind.PHONE_CODE: (
        N_("Your visits confirmation code"),
        N_(
            "Your code to confirm this number for visits is %(code)s. "
            "It is valid for %(minutes)s minutes."
        ),
    ),
    NoticeKind.VISIT_BOOKED: (
        N_("Visit booked"),
        N_("Your visit %(reference)s on %(when)s is booked."),
    ),
    NoticeKind.VISIT_CONFIRMED: (
        N_("Visit confirmed"),
        N_("Your visit %(reference)s on %(when)s is confirmed."),
    ),
    NoticeKind.VISIT_REJECTED: (
        N_("Visit request not confirmed"),
        N_(
            "Your request %(reference)s for %(when)s could not be confirmed. "
            "Please contact the facility."
        ),
    ),
    NoticeKind.REQUEST_EXPIRED: (
        N_("Visit request not confirmed"),
        N_(
            "Your request %(reference)s for %(when)s could not be confirmed in time. "
            "Please choose another time."
        ),
    ),
    NoticeKind.VISIT_CANCELLED: (
        N_("Visit cancelled"),
        N_(
            "Your visit %(reference)s on %(when)s was cancelled by the facility: %(reason)s. "
            "Please book another time or call us."
        ),
    ),
    NoticeKind.VISIT_MOVED: (
        N_("Visit moved"),
        N_("The facility moved your visit %(reference)s to %(when)s."),
    ),
    NoticeKind.VISIT_AFFECTED: (
        N_("Please check your visit"),
        N_(
            "Your visit %(reference)s on %(when)s may not take place as planned. "
            "The facility will contact you. Please do not travel before you hear from us."
        ),
    ),
}


def render(notice: Notice) -> OutgoingMessage:
    """The notice as a message in its language."""
    language = notice.language.value
    subject, text = TEXTS[notice.kind]
    params = dict(notice.params)
    if "starts_at" in params:
        moment = datetime.fromisoformat(params.pop("starts_at"))
        params["when"] = day_and_time(moment, params.pop("timezone"), language)
    return OutgoingMessage(
        channel=notice.channel,
        to=notice.address,
        subject=translate(language, subject),
        text=translate(language, text, **params),
        purpose=notice.kind.value,
        language=language,
    )
