"""The words of each notice, rendered in the household's language when it is sent.

No notice names a child or gives a safeguarding reason: the texts take only the visit's
reference and time, a sign-in code, the facility's name, a court permit's last day, and the
reason staff wrote for the family (a cancellation's, or a rejected approval's where staff chose
to tell it: never a safeguarding one), and the sign-in address of a household staff set up.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

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
    NoticeKind.APPROVAL_GIVEN: (
        N_("Visitor approved"),
        N_(
            "%(facility)s approved your household's request for a visitor. "
            "You can now book visits for this person."
        ),
    ),
    NoticeKind.APPROVAL_DENIED: (
        N_("Visitor not approved"),
        N_(
            "%(facility)s did not approve your household's request for a visitor. "
            "Please contact the facility."
        ),
    ),
    NoticeKind.ACCOUNT_CREATED: (
        N_("Your visits account"),
        N_(
            "%(facility)s set up a visits account for your household. Sign in at %(url)s "
            "with this e-mail address or mobile number to see and book your visits."
        ),
    ),
}
# A kind's other wording when one of its values is given: ``until``, the last day of a court
# permit (CF-04 on remand); ``reason``, a rejection's reason that staff chose to tell.
WITH_VALUE: dict[tuple[NoticeKind, str], str] = {
    (NoticeKind.APPROVAL_GIVEN, "until"): N_(
        "%(facility)s approved your household's request for a visitor, with a court permit "
        "valid until %(until)s. You can book visits for this person up to that day."
    ),
    (NoticeKind.APPROVAL_DENIED, "reason"): N_(
        "%(facility)s did not approve your household's request for a visitor: %(reason)s. "
        "Please contact the facility if you have questions."
    ),
}


def render(notice: Notice) -> OutgoingMessage:
    """The notice as a message in its language."""
    language = notice.language.value
    subject, text = TEXTS[notice.kind]
    params = dict(notice.params)
    for (kind, name), other in WITH_VALUE.items():
        if kind is notice.kind and params.get(name):
            text = other
    if params.get("until"):
        last_day = date.fromisoformat(params["until"])
        params["until"] = format_date(last_day, "medium", locale=language)
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
