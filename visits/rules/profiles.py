"""Jurisdiction profiles: the catalogue's parameters as data, so rules can follow each law.

A profile is a TOML file in ``config/profiles/<name>.toml``. A facility picks one and may adjust
single parameters (its overrides); both are checked by the same rules, and every problem is
reported at once so staff can fix a form in one go.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import msgspec

import visits
from visits.enums import CustodyStatus, Relationship, VisitType
from visits.i18n import Message
from visits.rules.profile_params import (
    META,
    PARAMETERS,
    Problem,
    check_consistency,
    check_values,
    flatten,
)
from visits.rules.severity import Severity

__all__ = [
    "Composition",
    "Compositions",
    "Entitlement",
    "Entitlements",
    "Profile",
    "ProfileError",
    "Programme",
    "Programmes",
    "available_profiles",
    "load_profile",
    "profiles_dir",
    "validate_overrides",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class ProfileError(ValueError):
    """An unknown profile, an invalid profile file or invalid overrides; ``problems`` lists all."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = list(problems or [])
        details = "; ".join(f"{name}: {problem}" for name, problem in self.problems)
        super().__init__(f"{message}: {details}" if details else message)


class Entitlement(msgspec.Struct, frozen=True, kw_only=True):
    """CF-11: visits per period for one custody status; ``visits_per_period`` 0 means no cap."""

    visits_per_period: int = 0
    period_days: int = 0

    @property
    def capped(self) -> bool:
        return self.visits_per_period > 0


class Entitlements(msgspec.Struct, frozen=True, kw_only=True):
    remand: Entitlement = msgspec.field(default_factory=Entitlement)
    sentenced: Entitlement = msgspec.field(default_factory=Entitlement)

    def for_status(self, status: CustodyStatus) -> Entitlement:
        return self.remand if status is CustodyStatus.REMAND else self.sentenced


class Composition(msgspec.Struct, frozen=True, kw_only=True):
    """CF-08: who a visit type is for. ``None`` adults: only the CF-07 caps apply."""

    children_required: bool = False
    max_accompanying_adults: int | None = None


class Compositions(msgspec.Struct, frozen=True, kw_only=True):
    regular: Composition = msgspec.field(default_factory=Composition)
    child_family: Composition = msgspec.field(default_factory=Composition)
    family_day: Composition = msgspec.field(default_factory=Composition)
    parent_child_group: Composition = msgspec.field(default_factory=Composition)
    long_visit: Composition = msgspec.field(default_factory=Composition)
    video: Composition = msgspec.field(default_factory=Composition)

    def for_type(self, visit_type: VisitType) -> Composition:
        composition: Composition = getattr(self, visit_type.value)
        return composition


class Programme(msgspec.Struct, frozen=True, kw_only=True):
    """CF-24: age eligibility of a family programme (inclusive years)."""

    min_child_age: int = 0
    max_child_age: int = 17
    children_required: bool = True


class Programmes(msgspec.Struct, frozen=True, kw_only=True):
    family_day: Programme = msgspec.field(default_factory=Programme)
    parent_child_group: Programme = msgspec.field(default_factory=Programme)

    def for_type(self, visit_type: VisitType) -> Programme | None:
        if visit_type is VisitType.FAMILY_DAY:
            return self.family_day
        if visit_type is VisitType.PARENT_CHILD_GROUP:
            return self.parent_child_group
        return None


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """Every parameter of the rule catalogue, for one jurisdiction (plus a facility's overrides).

    Ages are completed years on the visit date; times are local wall-clock times of the facility.
    """

    name: str
    # A. Who may come (CF-01 … CF-04)
    lead_min_age: int
    unaccompanied_min_age: int
    unaccompanied_requires_consent: bool
    consent_requires_guardian_id_copy: bool
    id_exempt_under_age: int
    requires_court_permit_on_remand: bool
    # B. How many (CF-07, CF-08)
    max_adults: int
    max_children: int
    max_total: int
    adult_age: int
    seat_age: int
    infants_count_toward_caps: bool
    composition: Compositions
    # C. Allowances (CF-09 … CF-13)
    regular_min_minutes_per_month: int
    child_bonus_minutes_per_month: int
    child_bonus_max_age: int
    child_bonus_relationships: tuple[Relationship, ...]
    entitlement: Entitlements
    min_child_visit_minutes: int
    recommended_child_visit_minutes: int
    # D. Timing (CF-14 … CF-17, CF-BW, CF-23)
    first_visit_target_days: int
    first_visit_alert_after_days: int
    target_interval_days: int
    alert_interval_days: int
    video_only_alert_days: int
    school_age_min: int
    school_age_max: int
    school_day_start: time
    school_day_end: time
    school_days: tuple[int, ...]
    school_holidays: tuple[tuple[date, date], ...]
    school_overlap_severity: Severity
    young_age: int
    young_earliest: time
    young_latest: time
    min_notice_hours: int
    max_days_ahead: int
    # E. Rooms and visit types (CF-18, CF-24, CF-25)
    child_room_severity: Severity
    age_bands: tuple[tuple[int, int], ...]
    programmes: Programmes
    long_visit_requires_approval: bool
    # F. The child's voice (CF-22)
    child_voice_age: int

    def age_band(self, age: int) -> str | None:
        """The label ("3-5") of the band an age falls in, as rooms store them; None outside."""
        for low, high in self.age_bands:
            if low <= age <= high:
                return f"{low}-{high}"
        return None

    def is_school_day(self, day: date) -> bool:
        """A weekday of school that is not inside a school holiday (CF-16)."""
        if day.weekday() not in self.school_days:
            return False
        return not any(first <= day <= last for first, last in self.school_holidays)


def profiles_dir() -> Path:
    """``config/profiles`` of the repository, else a copy packaged as ``visits/_profiles``."""
    package = Path(visits.__file__).resolve().parent
    repository = package.parent / "config" / "profiles"
    if repository.is_dir():
        return repository
    return package / "_profiles"


def available_profiles() -> list[str]:
    """Names of the shipped profiles, sorted."""
    directory = profiles_dir()
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.glob("*.toml") if _NAME.match(path.stem))


def _read(name: str) -> Mapping[str, Any]:
    names = available_profiles()
    if not isinstance(name, str) or name not in names:
        options = ", ".join(names) or "none installed"
        raise ProfileError(f"unknown rule profile {name!r}; available profiles: {options}")
    path = profiles_dir() / f"{name}.toml"
    return _parse(name, str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _parse(name: str, path: str, mtime_ns: int) -> Mapping[str, Any]:
    """A checked profile file; cached until the file changes (``mtime_ns`` is the cache key)."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"rule profile {name!r} is not valid TOML ({exc})") from exc
    flat = flatten(raw, {**PARAMETERS, **META})
    meta = {key: flat.pop(key) for key in META if key in flat}
    values, problems = check_values(flat)
    for key, param in META.items():  # the file's description for its readers, checked only
        _, problem = param.parse(meta.get(key))
        if problem is not None:
            problems.append((key, problem))
    problems += [
        (key, Message("missing")) for key, p in PARAMETERS.items() if p.required and key not in flat
    ]
    problems += check_consistency(values)
    if problems:
        raise ProfileError(f"rule profile {name!r} is invalid", problems)
    return MappingProxyType(values)


def _flat_overrides(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ProfileError("overrides must be a table of parameter names and values")
    return flatten(overrides, PARAMETERS)


def validate_overrides(
    overrides: Mapping[str, Any] | None, profile: str | None = None
) -> list[Problem]:
    """Every problem with a facility's overrides as (parameter name, problem) pairs.

    Names may be dotted (``composition.child_family.max_accompanying_adults``) or nested tables.
    Without ``profile``, relations between parameters are checked only among the overrides
    themselves; with it, against the profile they will be applied to.
    """
    try:
        flat = _flat_overrides(overrides)
    except ProfileError:
        return [("overrides", Message("must be a table of parameter names and values"))]
    parsed, problems = check_values(flat)
    base = _read(profile) if profile is not None else {}
    problems += check_consistency({**base, **parsed}, changed=parsed)
    return problems


def _build(name: str, values: Mapping[str, Any]) -> Profile:
    fields: dict[str, Any] = {}
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for key, value in values.items():
        table, _, rest = key.partition(".")
        if rest:
            group, _, field = rest.partition(".")
            tables.setdefault(table, {}).setdefault(group, {})[field] = value
        else:
            fields[key] = value
    for key, param in PARAMETERS.items():
        if key not in values and not param.required and "." not in key:
            fields[key] = param.default
    entitlement = tables.get("entitlement", {})
    composition = tables.get("composition", {})
    programmes = tables.get("programmes", {})
    return Profile(
        name=name,
        entitlement=Entitlements(**{k: Entitlement(**v) for k, v in entitlement.items()}),
        composition=Compositions(**{k: Composition(**v) for k, v in composition.items()}),
        programmes=Programmes(**{k: Programme(**v) for k, v in programmes.items()}),
        **fields,
    )


def load_profile(name: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    """The profile ``name`` with a facility's ``overrides`` applied, both fully checked.

    Raises ``ProfileError`` for an unknown name, an invalid file or invalid overrides; its
    ``problems`` list every (parameter, problem) pair.
    """
    values = _read(name)
    parsed, problems = check_values(_flat_overrides(overrides))
    merged = {**values, **parsed}
    problems += check_consistency(merged, changed=parsed)
    if problems:
        raise ProfileError(f"overrides for rule profile {name!r} are invalid", problems)
    return _build(name, merged)
