"""The pages' form bodies: plain strings, checked here, so a mistake re-shows the form with a
kind sentence next to the field instead of an error document."""

from __future__ import annotations

import msgspec


class EmailForm(msgspec.Struct):
    email: str = ""


class SignUpForm(msgspec.Struct):
    guardian_name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    sms_consent: str = ""  # "yes" when the box is ticked


class CodeForm(msgspec.Struct):
    challenge_id: str = ""
    code: str = ""


class VisitorForm(msgspec.Struct):
    given_name: str = ""
    family_name: str = ""
    birth_date: str = ""
    relationship: str = ""


class SmsForm(msgspec.Struct):
    sms_consent: str = ""


class ApprovalForm(msgspec.Struct):
    visitor: str = ""
    facility_id: str = ""
    prison_number: str = ""
    prisoner_family_name: str = ""


class HoldForm(msgspec.Struct):
    slot_id: str = ""
    visitors: str = ""  # comma-separated visitor ids
    support_needs: str = ""
    request_review: str = ""  # "1": ask the facility for a group over the usual limit (CF-07)


class CancelForm(msgspec.Struct):
    reason: str = ""


class EmptyForm(msgspec.Struct):
    """Forms that carry nothing but the CSRF token."""


# --- household self-service (visits/web/household_pages.py) ---------------------------------


class PersonForm(msgspec.Struct):
    given_name: str = ""
    family_name: str = ""
    birth_date: str = ""
    relationship: str = ""
    is_guardian: str = ""  # "yes" when the box is ticked


class ContactForm(msgspec.Struct):
    guardian_name: str = ""
    language: str = ""
    email: str = ""
    phone: str = ""


class PreferencesForm(msgspec.Struct):
    sms_consent: str = ""  # "yes" or "no"; missing without a mobile number
    notify_by: str = ""


class ConfirmForm(msgspec.Struct):
    """A step that needs a ticked box (removing a person, erasing the household)."""

    confirm: str = ""  # "yes" when the box is ticked
