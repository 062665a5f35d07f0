"""Every profile parameter with its type and range, so files and overrides are checked alike.

Parameters are named by dotted paths that mirror the ``Profile`` attributes
(``entitlement.remand.visits_per_period``), so one name works in a TOML file, in a facility's
overrides and in error messages. Checks collect every problem instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeGuard

from visits.enums import CustodyStatus, Relationship, VisitType
from visits.i18n import N_, Message
from visits.rules.severity import Severity

MISSING: Any = object()
Parsed = tuple[Any, Message | None]  # (value, problem)
Problem = tuple[str, Message]  # (parameter name, problem)

PROGRAMME_TYPES = (VisitType.FAMILY_DAY, VisitType.PARENT_CHILD_GROUP)
META_KEYS = ("title_de", "title_en")
MAX_AGE = 25  # no age threshold in any catalogue rule is above this


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(low: int, high: int) -> Callable[[object], Parsed]:
    def parse(value: object) -> Parsed:
        if not _is_int(value):
            return None, Message("must be a whole number")
        if not low <= value <= high:
            return None, Message("must be between %(low)s and %(high)s", {"low": low, "high": high})
        return value, None

    return parse


def _optional_int(low: int, high: int) -> Callable[[object], Parsed]:
    whole = _int(low, high)

    def parse(value: object) -> Parsed:
        return (None, None) if value is None else whole(value)

    return parse


def _bool(value: object) -> Parsed:
    if not isinstance(value, bool):
        return None, Message("must be true or false")
    return value, None


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _time(value: object) -> Parsed:
    if isinstance(value, time):
        if value.tzinfo is not None:
            return None, Message("must be a local wall-clock time without a time zone")
        return value.replace(second=0, microsecond=0), None
    if isinstance(value, str) and _TIME.match(value):
        return time.fromisoformat(value), None
    return None, Message('must be a time of day written "HH:MM"')


def _severity(value: object) -> Parsed:
    if isinstance(value, str) and value in (Severity.SOFT, Severity.HARD):
        return Severity(value), None
    return None, Message('must be "SOFT" or "HARD"')


def _weekdays(value: object) -> Parsed:
    if not isinstance(value, list | tuple) or not all(_is_int(day) for day in value):
        return None, Message("must be a list of weekday numbers (0 = Monday … 6 = Sunday)")
    if not all(0 <= day <= 6 for day in value):
        return None, Message("weekday numbers run from 0 (Monday) to 6 (Sunday)")
    if len(set(value)) != len(value):
        return None, Message("lists a weekday twice")
    return tuple(sorted(value)), None


def _date(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _holidays(value: object) -> Parsed:
    if not isinstance(value, list | tuple):
        return None, Message(
            "must be a list of date ranges like {from = 2026-07-20, to = 2026-09-01}"
        )
    ranges: list[tuple[date, date]] = []
    for number, item in enumerate(value, start=1):
        if isinstance(item, Mapping) and set(item) == {"from", "to"}:
            pair = (item["from"], item["to"])
        elif isinstance(item, list | tuple) and len(item) == 2:
            pair = (item[0], item[1])
        else:
            return None, Message(
                "range %(number)s must have exactly a 'from' and a 'to' date", {"number": number}
            )
        first, last = _date(pair[0]), _date(pair[1])
        if first is None or last is None:
            return None, Message(
                "range %(number)s must give dates as YYYY-MM-DD", {"number": number}
            )
        if last < first:
            return None, Message("range %(number)s ends before it starts", {"number": number})
        ranges.append((first, last))
    return tuple(sorted(ranges)), None


def _relationships(value: object) -> Parsed:
    known = {relationship.value for relationship in Relationship}
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return None, Message("must be a list of relationships")
    unknown = [v for v in value if v not in known]
    if unknown:
        return None, Message(
            "unknown relationship '%(name)s'; choose from %(known)s",
            {"name": unknown[0], "known": ", ".join(sorted(known))},
        )
    if len(set(value)) != len(value):
        return None, Message("lists a relationship twice")
    return tuple(Relationship(v) for v in value), None


def _age_bands(value: object) -> Parsed:
    shape = Message("must be a list of [youngest, oldest] age pairs, e.g. [[0, 2], [3, 5]]")
    if not isinstance(value, list | tuple) or not value:
        return None, shape
    bands: list[tuple[int, int]] = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2 and all(map(_is_int, item))):
            return None, shape
        low, high = int(item[0]), int(item[1])
        if not 0 <= low <= high <= MAX_AGE:
            return None, Message(
                "band %(low)s-%(high)s must satisfy 0 <= youngest <= oldest <= %(oldest)s",
                {"low": low, "high": high, "oldest": MAX_AGE},
            )
        if bands and low <= bands[-1][1]:
            return None, Message("bands must be in ascending order and must not overlap")
        bands.append((low, high))
    return tuple(bands), None


def _text(value: object) -> Parsed:
    if isinstance(value, str) and value.strip():
        return value, None
    return None, Message("must be a non-empty text")


@dataclass(frozen=True)
class Param:
    """One parameter: its dotted name, how to read a value, its default (if any) and meaning."""

    name: str
    parse: Callable[[object], Parsed]
    doc: str
    default: Any = MISSING

    @property
    def required(self) -> bool:
        return self.default is MISSING


AGE = _int(0, MAX_AGE)
DAYS = _int(1, 366)
MONTH_MINUTES = _int(0, 44_640)  # a month has at most 31 * 24 * 60 minutes

_SCALARS: tuple[Param, ...] = (
    # A. Who may come
    Param("lead_min_age", AGE, "CF-01: age from which a visitor can accompany children"),
    Param("unaccompanied_min_age", AGE, "CF-01: age from which a child may come alone"),
    Param(
        "unaccompanied_requires_consent",
        _bool,
        "CF-01/CF-02: minors coming without an adult need written guardian consent",
    ),
    Param(
        "consent_requires_guardian_id_copy",
        _bool,
        "CF-02: a consent form comes with a copy of the guardian's ID",
    ),
    Param("id_exempt_under_age", AGE, "CF-03: accompanied children below this need no ID (0: all)"),
    Param(
        "requires_court_permit_on_remand",
        _bool,
        "CF-04: on remand every visitor needs a court visiting permit",
    ),
    # B. How many
    Param("max_adults", _int(0, 20), "CF-07: adults per visit"),
    Param("max_children", _int(0, 20), "CF-07: children per visit"),
    Param("max_total", _int(1, 30), "CF-07: visitors per visit"),
    Param("adult_age", _int(14, MAX_AGE), "CF-07: age from which a visitor counts as an adult"),
    Param("seat_age", _int(0, 10), "CF-07/CF-07b: children below this need no seat"),
    Param(
        "infants_count_toward_caps",
        _bool,
        "CF-07: children below seat_age count toward max_children and max_total",
    ),
    # C. Allowances
    Param(
        "regular_min_minutes_per_month",
        MONTH_MINUTES,
        "CF-09: regular visiting time the facility must be able to offer (0: counted in visits)",
    ),
    Param(
        "child_bonus_minutes_per_month",
        MONTH_MINUTES,
        "CF-10: separate child contingent per month (0: no separate contingent)",
    ),
    Param("child_bonus_max_age", AGE, "CF-10: oldest age (inclusive) for the child contingent"),
    Param(
        "child_bonus_relationships",
        _relationships,
        "CF-10: relationships that draw on the child contingent",
    ),
    Param("min_child_visit_minutes", _int(0, 1440), "CF-13: shortest child visit"),
    Param("recommended_child_visit_minutes", _int(0, 1440), "CF-13: recommended child visit"),
    # D. Timing
    Param("first_visit_target_days", DAYS, "CF-14: first child visit within days of admission"),
    Param("first_visit_alert_after_days", _int(0, 366), "CF-14: alert from this day"),
    Param("target_interval_days", DAYS, "CF-15: hoped-for days between a child's visits"),
    Param("alert_interval_days", DAYS, "CF-15: alert after this many days without a visit"),
    Param("video_only_alert_days", DAYS, "CF-23: alert after this many days of video-only contact"),
    Param("school_age_min", AGE, "CF-16: youngest school-age child"),
    Param("school_age_max", AGE, "CF-16: oldest school-age child"),
    Param("school_day_start", _time, "CF-16: school day start, local time"),
    Param("school_day_end", _time, "CF-16: school day end, local time"),
    Param("school_days", _weekdays, "CF-16: school weekdays, 0 = Monday"),
    Param("school_holidays", _holidays, "CF-16: school holidays, inclusive date ranges", ()),
    Param("school_overlap_severity", _severity, "CF-16: SOFT, or HARD for child sessions"),
    Param("young_age", AGE, "CF-17: children below this count as young"),
    Param("young_earliest", _time, "CF-17: earliest comfortable start for young children"),
    Param("young_latest", _time, "CF-17: latest comfortable end for young children"),
    Param("min_notice_hours", _int(0, 24 * 90), "CF-BW: hours of notice before a visit"),
    Param("max_days_ahead", DAYS, "CF-BW: how many days ahead the public can book"),
    # E. Rooms and visit types
    Param("child_room_severity", _severity, "CF-18: SOFT, or HARD"),
    Param("age_bands", _age_bands, "CF-18/CF-21: child age bands, inclusive years"),
    Param("long_visit_requires_approval", _bool, "CF-25: long visits go to the governor"),
    # F. The child's voice
    Param("child_voice_age", AGE, "CF-22: age from which a child's own wish is recorded"),
)


def _nested() -> tuple[Param, ...]:
    params: list[Param] = []
    for status in CustodyStatus:
        prefix = f"entitlement.{status.value}"
        params += [
            Param(f"{prefix}.visits_per_period", _int(0, 100), "CF-11: visits (0: no cap)", 0),
            Param(f"{prefix}.period_days", _int(0, 366), "CF-11: length of the period", 0),
        ]
    for visit_type in VisitType:
        prefix = f"composition.{visit_type.value}"
        params += [
            Param(f"{prefix}.children_required", _bool, "CF-08: at least one child", False),
            Param(
                f"{prefix}.max_accompanying_adults",
                _optional_int(0, 20),
                "CF-08: adults besides the children (none: CF-07 alone)",
                None,
            ),
        ]
    for visit_type in PROGRAMME_TYPES:
        prefix = f"programmes.{visit_type.value}"
        params += [
            Param(f"{prefix}.min_child_age", AGE, "CF-24: youngest eligible child", 0),
            Param(f"{prefix}.max_child_age", AGE, "CF-24: oldest eligible child", 17),
            Param(f"{prefix}.children_required", _bool, "CF-24: at least one child", True),
        ]
    return tuple(params)


PARAMETERS: dict[str, Param] = {param.name: param for param in (*_SCALARS, *_nested())}
META: dict[str, Param] = {key: Param(key, _text, "profile title") for key in META_KEYS}
_PREFIXES = {name.rsplit(".", i)[0] for name in PARAMETERS for i in range(1, name.count(".") + 1)}


def flatten(values: Mapping[str, Any], known: Mapping[str, Param]) -> dict[str, Any]:
    """Turn nested tables into dotted names; a table stops being flattened at a known name."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}{key}"
            if name not in known and name in _PREFIXES and isinstance(value, Mapping):
                walk(f"{name}.", value)
            else:
                flat[name] = value

    walk("", values)
    return flat


def check_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Parse dotted name → value pairs: known names only, each value by its type and range."""
    parsed: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, raw in values.items():
        param = PARAMETERS.get(name)
        if param is None:
            if name in META_KEYS:
                problems.append(
                    (name, Message("is a description of the profile and cannot be overridden"))
                )
            elif name in _PREFIXES:
                problems.append((name, Message("must be a table of parameters")))
            else:
                problems.append((name, Message("unknown parameter")))
            continue
        value, problem = param.parse(raw)
        if problem is not None:
            problems.append((name, problem))
        else:
            parsed[name] = value
    return parsed, problems


def check_consistency(
    values: Mapping[str, Any], changed: Collection[str] | None = None
) -> list[Problem]:
    """Relations between parameters, checked where both values are present.

    A problem is reported on the parameter that was ``changed`` (an override), so a form can
    point at the field the user actually touched; by default on the second of the pair.
    """
    problems: list[Problem] = []

    def need(low: str, high: str, strict: bool = False) -> None:
        if low not in values or high not in values:
            return
        a, b = values[low], values[high]
        if a < b or (a == b and not strict):
            return
        if changed is not None and low in changed and high not in changed:
            below = (
                N_("must be before %(other)s (%(value)s)")
                if strict
                else N_("must be at most %(other)s (%(value)s)")
            )
            problems.append((low, Message(below, {"other": high, "value": _show(b)})))
        else:
            above = (
                N_("must be after %(other)s (%(value)s)")
                if strict
                else N_("must be at least %(other)s (%(value)s)")
            )
            problems.append((high, Message(above, {"other": low, "value": _show(a)})))

    need("school_age_min", "school_age_max")
    need("school_day_start", "school_day_end", strict=True)
    need("young_earliest", "young_latest", strict=True)
    need("min_child_visit_minutes", "recommended_child_visit_minutes")
    need("first_visit_alert_after_days", "first_visit_target_days")
    need("target_interval_days", "alert_interval_days")
    need("seat_age", "adult_age")
    for visit_type in PROGRAMME_TYPES:
        prefix = f"programmes.{visit_type.value}"
        need(f"{prefix}.min_child_age", f"{prefix}.max_child_age")
    for status in CustodyStatus:
        prefix = f"entitlement.{status.value}"
        visits, days = (
            values.get(f"{prefix}.visits_per_period"),
            values.get(f"{prefix}.period_days"),
        )
        if visits and days is not None and days < 1:
            problems.append(
                (f"{prefix}.period_days", Message("must be at least 1 when visits are capped"))
            )
    return problems


def _show(value: object) -> str:
    return value.strftime("%H:%M") if isinstance(value, time) else str(value)
