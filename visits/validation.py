"""Request bodies validated field by field, so that one answer lists every problem.

Handlers declare ``data: SkipValidation[SomeStruct]`` (the OpenAPI schema stays exact) and call
``parse_body(SomeStruct, data)``. A struct may add cross-field checks in ``problems()``.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

import msgspec
import phonenumbers

from visits.errors import Unprocessable
from visits.i18n import N_, Message, N_plural

S = TypeVar("S", bound=msgspec.Struct)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


_INVALID_FIELDS = N_plural("%(num)d field is not valid.", "%(num)d fields are not valid.")


def invalid_body(errors: list[dict[str, Any]]) -> Unprocessable:
    """One problem naming every invalid body field (``field_error`` each)."""
    return Unprocessable("invalid-body", _INVALID_FIELDS, errors=errors, num=len(errors))


FieldProblem = tuple[str, Message]
"""A field's problem found by a body's ``problems()`` check: (field name, what is wrong)."""


def field_error(name: str, detail: Message | str) -> dict[str, Any]:
    """A body field's problem: a ``Message`` or a message id, translated when the problem
    document is written in the reader's language, or a library's message, shown as it is."""
    if isinstance(detail, str):
        return {"name": name, "in": "body", "detail": detail}
    item: dict[str, Any] = {"name": name, "in": "body", "detail": detail.id}
    if detail.params:
        item["params"] = dict(detail.params)
    return item


def parse_body(struct_type: type[S], raw: object, *, strict: bool = True) -> S:
    """Convert ``raw`` JSON into ``struct_type`` or raise one problem naming every bad field.

    ``strict=False`` reads numbers and booleans from strings, as HTML forms send them.
    """
    if not isinstance(raw, dict):
        raise invalid_body([field_error("", N_("expected a JSON object"))])
    errors: list[dict[str, Any]] = []
    fields = msgspec.structs.fields(struct_type)
    known = {f.encode_name for f in fields}
    for key in raw:
        if key not in known:
            errors.append(field_error(str(key), N_("unknown field")))
    for field in fields:
        if field.encode_name not in raw:
            if field.required:
                errors.append(field_error(field.encode_name, N_("is required")))
            continue
        try:
            msgspec.convert(raw[field.encode_name], type=field.type, strict=strict)
        except msgspec.ValidationError as exc:
            errors.append(field_error(field.encode_name, str(exc).split(" - at ")[0]))
    if errors:
        raise invalid_body(errors)
    value = msgspec.convert(raw, type=struct_type, strict=strict)
    check = getattr(value, "problems", None)
    if check is not None:
        errors = [field_error(name, detail) for name, detail in check()]
        if errors:
            raise invalid_body(errors)
    return value


def normalise_email(value: str) -> str:
    """Trimmed, with a lower-case domain; raises ValueError when it is not an address."""
    address = value.strip()
    if len(address) > 254 or not _EMAIL.match(address) or not address.isprintable():
        raise ValueError(N_("is not a valid e-mail address"))
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_mobile(value: str, default_region: str = "DE") -> str:
    """E.164 form of a mobile number; national numbers are read in ``default_region``."""
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(N_("is not a phone number")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(N_("is not a valid phone number"))
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError(N_("is not a mobile number (codes are sent by SMS)"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Texts that end up in calendar lines, e-mail headers, SMS and CSV files must not carry control
# characters: a CR/LF in a room name would end a calendar line and break a feed for good.
# ``(?![\s\S])`` is "end of text" in Python and ECMA patterns alike (Python's ``$`` also matches
# before a final line break, which must not slip through). C0 and C1 controls are refused.
_END = r"(?![\s\S])"
_NO_CONTROLS = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*" + _END
_NO_CONTROLS_BUT_NEWLINE = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]*" + _END


def browser_text(value: str) -> str:
    """A form field as the schemas expect it: browsers send a textarea's line breaks as CRLF."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def single_line(max_length: int, *, min_length: int = 1) -> msgspec.Meta:
    """A one-line text: no control characters (no CR, LF or tab), bounded length."""
    return msgspec.Meta(
        min_length=min_length,
        max_length=max_length,
        pattern=_NO_CONTROLS,
        description=f"One line, {min_length} to {max_length} characters, no control characters.",
    )


def multi_line(max_length: int, *, min_length: int = 0) -> msgspec.Meta:
    """A text that may have line breaks (LF) but no other control characters."""
    return msgspec.Meta(
        min_length=min_length,
        max_length=max_length,
        pattern=_NO_CONTROLS_BUT_NEWLINE,
        description=f"Up to {max_length} characters; line breaks allowed, no other controls.",
    )


TIME_ZONE_META = msgspec.Meta(
    min_length=1,
    max_length=64,
    pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*" + _END,
    description="An IANA time zone name, e.g. Europe/Berlin.",
    examples=["Europe/Berlin"],
)
EMAIL_META = msgspec.Meta(
    max_length=254,
    extra_json_schema={"format": "email", "extra": {"format": "email"}},
    examples=["anna.beispiel@example.org"],
)
E164_META = msgspec.Meta(
    max_length=32,
    description="A mobile number; national numbers are read in the facility's country and "
    "stored in E.164 form (+4915123456789).",
    examples=["+4915123456789"],
)


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine's tz database knows."""
    return name in _time_zones()


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_problems(name: str | None, field: str = "timezone") -> list[FieldProblem]:
    if name is None or is_time_zone(name):
        return []
    unknown = Message("'%(name)s' is not an IANA time zone such as 'Europe/Berlin'", {"name": name})
    return [(field, unknown)]


def repeated_problems(field: str, values: Sequence[str] | None) -> list[FieldProblem]:
    if values is not None and len(set(values)) != len(values):
        return [(field, Message("lists an item more than once"))]
    return []


def line_problems(
    body: msgspec.Struct, *, multi_line: frozenset[str] = frozenset()
) -> list[FieldProblem]:
    """Text fields of ``body`` (other than the ``multi_line`` ones) with a line break. The
    patterns refuse them, except at the very end: in Python's ``re``, ``$`` also matches before
    a final newline, so ``"Raum\\n"`` or ``"DE\\n"`` would pass."""
    return [
        (field.encode_name, Message("must be one line without control characters"))
        for field in msgspec.structs.fields(body)
        if field.name not in multi_line
        and isinstance(text := getattr(body, field.name), str)
        and "\n" in text
    ]


def first_per_field(problems: list[FieldProblem]) -> list[FieldProblem]:
    """One problem per field (the first found): a field is fixed once, whatever else it had."""
    first: dict[str, Message] = {}
    for name, detail in problems:
        first.setdefault(name, detail)
    return list(first.items())


def blank_problems(**texts: str | None) -> list[FieldProblem]:
    """Texts that consist of spaces only (the length bounds let them through)."""
    return [
        (name, Message("must not be blank"))
        for name, text in texts.items()
        if text is not None and not text.strip()
    ]
