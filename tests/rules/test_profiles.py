"""Jurisdiction profiles: the shipped files, the catalogue's values, overrides and their checks."""

from __future__ import annotations

import os
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

import msgspec
import pytest

import visits
from visits.enums import CustodyStatus, Relationship, VisitType
from visits.rules import profiles as profiles_module
from visits.rules.profile_params import META_KEYS, PARAMETERS, flatten
from visits.rules.profiles import (
    Profile,
    ProfileError,
    available_profiles,
    load_profile,
    profiles_dir,
    validate_overrides,
)
from visits.rules.severity import Severity

SHIPPED = ("de-nw", "en-gb", "generic")


def _leaf_paths(struct: msgspec.Struct, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for field in msgspec.structs.fields(struct):
        value = getattr(struct, field.name)
        if isinstance(value, msgspec.Struct):
            paths |= _leaf_paths(value, f"{prefix}{field.name}.")
        else:
            paths.add(f"{prefix}{field.name}")
    return paths


def test_the_three_profiles_are_shipped_and_load() -> None:
    assert available_profiles() == list(SHIPPED)
    for name in SHIPPED:
        profile = load_profile(name)
        assert isinstance(profile, Profile)
        assert profile.name == name


def test_profiles_live_in_config_profiles_of_the_repository() -> None:
    repository = Path(visits.__file__).resolve().parent.parent
    assert profiles_dir() == repository / "config" / "profiles"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_parameter_is_written_out_in_every_file(name: str) -> None:
    with (profiles_dir() / f"{name}.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    written = set(flatten(raw, PARAMETERS)) - set(META_KEYS)
    expected = {
        key
        for key in PARAMETERS
        if not key.startswith("composition.")
        or key.split(".")[1] in {"child_family", "family_day", "parent_child_group"}
    }
    optional = {key for key in PARAMETERS if key.endswith("max_accompanying_adults")}
    assert expected - optional <= written
    assert written <= set(PARAMETERS)


def test_the_parameter_registry_covers_every_profile_field() -> None:
    profile = load_profile("generic")
    fields = _leaf_paths(profile) - {"name", *META_KEYS}
    assert fields == set(PARAMETERS)


def test_types_the_other_modules_rely_on() -> None:
    profile = load_profile("de-nw", {"school_holidays": [["2026-07-20", "2026-09-01"]]})
    assert profile.school_day_start == time(8, 0)
    assert profile.school_day_end == time(15, 0)
    assert (profile.school_age_min, profile.school_age_max) == (6, 17)
    assert profile.school_days == (0, 1, 2, 3, 4)
    assert profile.school_holidays == ((date(2026, 7, 20), date(2026, 9, 1)),)
    assert profile.young_earliest == time(9, 0)
    assert profile.young_latest == time(19, 0)
    assert profile.school_overlap_severity is Severity.SOFT
    assert profile.child_bonus_relationships == (Relationship.CHILD,)
    assert profile.age_bands == ((0, 2), (3, 5), (6, 11), (12, 17))


def test_generic_takes_the_catalogue_defaults() -> None:
    p = load_profile("generic")
    assert (p.lead_min_age, p.unaccompanied_min_age, p.id_exempt_under_age) == (18, 16, 0)
    assert (p.max_adults, p.max_children, p.max_total, p.adult_age, p.seat_age) == (3, 3, 6, 18, 3)
    assert (p.min_child_visit_minutes, p.recommended_child_visit_minutes) == (60, 120)
    assert (p.first_visit_target_days, p.first_visit_alert_after_days) == (7, 5)
    assert (p.target_interval_days, p.alert_interval_days, p.video_only_alert_days) == (7, 28, 28)
    assert (p.min_notice_hours, p.max_days_ahead, p.child_voice_age) == (48, 28, 12)
    assert p.regular_min_minutes_per_month == 120
    # one child visit of the recommended length fits the monthly child contingent
    assert p.child_bonus_minutes_per_month >= p.recommended_child_visit_minutes
    assert p.child_room_severity is Severity.SOFT
    assert p.long_visit_requires_approval
    assert p.requires_court_permit_on_remand
    assert not p.entitlement.sentenced.capped
    assert not p.entitlement.remand.capped
    assert p.composition.child_family.children_required
    assert p.composition.child_family.max_accompanying_adults == 1
    assert p.composition.regular.max_accompanying_adults is None
    group = p.programmes.parent_child_group
    assert (group.min_child_age, group.max_child_age, group.children_required) == (3, 15, True)


def test_de_nw_follows_north_rhine_westphalia() -> None:
    p = load_profile("de-nw")
    assert p.lead_min_age == 18
    assert p.unaccompanied_min_age == 16
    assert p.unaccompanied_requires_consent
    assert p.consent_requires_guardian_id_copy
    assert p.id_exempt_under_age == 0  # every child needs ID
    assert p.regular_min_minutes_per_month == 120
    assert p.child_bonus_minutes_per_month == 120
    assert p.child_bonus_max_age == 17  # children under 18
    assert p.min_child_visit_minutes == 60
    assert p.requires_court_permit_on_remand


def test_en_gb_follows_england_and_wales() -> None:
    p = load_profile("en-gb")
    assert (p.lead_min_age, p.adult_age, p.max_adults, p.max_total) == (18, 18, 3, 6)
    assert p.id_exempt_under_age == 16
    assert p.entitlement.for_status(CustodyStatus.SENTENCED).visits_per_period == 2
    assert p.entitlement.for_status(CustodyStatus.SENTENCED).period_days == 28
    assert p.entitlement.for_status(CustodyStatus.REMAND).visits_per_period == 3
    assert p.entitlement.for_status(CustodyStatus.REMAND).period_days == 7
    assert (p.min_notice_hours, p.max_days_ahead) == (48, 28)
    assert p.child_bonus_minutes_per_month == 0  # no separate contingent


@pytest.mark.parametrize("name", ["nowhere", "../config/visits", "", "DE-NW", "generic.toml"])
def test_an_unknown_profile_is_refused_with_the_choices(name: str) -> None:
    with pytest.raises(ProfileError, match="unknown rule profile") as caught:
        load_profile(name)
    assert "de-nw, en-gb, generic" in str(caught.value)


def test_overrides_change_single_parameters_and_keep_the_rest() -> None:
    base = load_profile("de-nw")
    adjusted = load_profile(
        "de-nw",
        {
            "min_notice_hours": 24,
            "school_day_end": "13:30",
            "composition": {"child_family": {"max_accompanying_adults": 2}},
            "entitlement.remand.visits_per_period": 4,
            "entitlement.remand.period_days": 7,
            "child_bonus_relationships": ["child", "stepchild", "foster_child"],
            "school_overlap_severity": "HARD",
        },
    )
    assert adjusted.min_notice_hours == 24
    assert adjusted.school_day_end == time(13, 30)
    assert adjusted.composition.child_family.max_accompanying_adults == 2
    assert adjusted.composition.child_family.children_required  # the rest of the table stays
    assert adjusted.entitlement.remand.visits_per_period == 4
    assert Relationship.FOSTER_CHILD in adjusted.child_bonus_relationships
    assert adjusted.school_overlap_severity is Severity.HARD
    assert adjusted.max_days_ahead == base.max_days_ahead
    assert load_profile("de-nw") == base  # the file itself is untouched


def test_an_empty_override_table_is_the_profile_itself() -> None:
    assert load_profile("generic", {}) == load_profile("generic")
    assert load_profile("generic", None) == load_profile("generic")
    assert validate_overrides({}) == []


def test_a_cap_can_be_lifted_with_null() -> None:
    profile = load_profile("generic", {"composition.child_family.max_accompanying_adults": None})
    assert profile.composition.child_family.max_accompanying_adults is None


BAD: dict[str, Any] = {
    "max_adults": "three",
    "max_children": -1,
    "lead_min_age": True,
    "min_notice_hours": 4.5,
    "school_day_start": "8 o'clock",
    "school_days": [0, 7],
    "school_holidays": [{"from": "2026-08-01", "to": "2026-07-01"}],
    "school_overlap_severity": "INFO",
    "child_bonus_relationships": ["child", "cousin"],
    "age_bands": [[0, 5], [3, 8]],
    "no_such_rule": 1,
    "title_en": "renamed",
    "entitlement": 3,
    "composition.child_family.max_accompanying_adults": 99,
    "composition.no_such_type.children_required": True,
}


def test_every_problem_is_listed_at_once() -> None:
    problems = validate_overrides(BAD)
    assert {name for name, _ in problems} == set(BAD)
    assert len(problems) == len(BAD)
    messages = {name: str(problem) for name, problem in problems}
    assert messages["no_such_rule"] == "unknown parameter"
    assert "between 0 and 20" in messages["max_children"]
    assert "whole number" in messages["lead_min_age"]  # a bool is not a number
    assert "HH:MM" in messages["school_day_start"]
    assert "cousin" in messages["child_bonus_relationships"]
    assert "overlap" in messages["age_bands"]
    assert "cannot be overridden" in messages["title_en"]


def test_load_profile_refuses_bad_overrides_with_every_problem() -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("generic", BAD)
    assert {name for name, _ in caught.value.problems} == set(BAD)


def test_relations_between_parameters_are_checked_against_the_profile() -> None:
    # Alone, each value is in range; against generic (school ends 15:00), a start at 16:00 is not.
    assert validate_overrides({"school_day_start": "16:00"}) == []
    problems = validate_overrides({"school_day_start": "16:00"}, profile="generic")
    assert [(n, str(p)) for n, p in problems] == [
        ("school_day_start", "must be before school_day_end (15:00)")
    ]
    problems = validate_overrides({"school_age_min": 10, "school_age_max": 9})
    assert [(n, str(p)) for n, p in problems] == [
        ("school_age_max", "must be at least school_age_min (10)")
    ]
    assert problems[0][1].translated("de") == "muss mindestens school_age_min (10) sein"
    problems = validate_overrides(
        {"min_child_visit_minutes": 150, "programmes.parent_child_group.min_child_age": 16},
        profile="de-nw",
    )
    assert {name for name, _ in problems} == {
        "min_child_visit_minutes",
        "programmes.parent_child_group.min_child_age",
    }
    with pytest.raises(ProfileError, match=r"entitlement\.sentenced\.period_days"):
        load_profile("generic", {"entitlement.sentenced.visits_per_period": 2})


def test_a_broken_profile_file_names_every_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.toml").write_text(
        'title_en = "Broken"\ntitle_de = "Kaputt"\nlead_min_age = "eighteen"\nunknown_key = 1\n',
        encoding="utf-8",
    )
    (tmp_path / "invalid.toml").write_text("lead_min_age = = 1\n", encoding="utf-8")
    monkeypatch.setattr(profiles_module, "profiles_dir", lambda: tmp_path)
    assert available_profiles() == ["broken", "invalid"]
    with pytest.raises(ProfileError) as caught:
        load_profile("broken")
    names = {name for name, _ in caught.value.problems}
    assert {"lead_min_age", "unknown_key", "max_adults", "school_days"} <= names
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile("invalid")


def test_a_packaged_copy_is_used_when_the_repository_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site" / "visits"
    (package / "_profiles").mkdir(parents=True)
    source = profiles_dir() / "en-gb.toml"
    (package / "_profiles" / "en-gb.toml").write_bytes(source.read_bytes())
    monkeypatch.setattr(visits, "__file__", str(package / "__init__.py"))
    assert profiles_dir() == package / "_profiles"
    assert available_profiles() == ["en-gb"]
    assert load_profile("en-gb").entitlement.sentenced.visits_per_period == 2


def test_programme_and_composition_lookups_by_visit_type() -> None:
    p = load_profile("generic")
    assert p.programmes.for_type(VisitType.FAMILY_DAY) is p.programmes.family_day
    assert p.programmes.for_type(VisitType.REGULAR) is None
    assert p.composition.for_type(VisitType.VIDEO).children_required is False
    assert p.age_band(0) == "0-2"
    assert p.age_band(12) == "12-17"
    assert p.age_band(18) is None


def test_a_changed_profile_file_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (profiles_dir() / "generic.toml").read_text(encoding="utf-8")
    target = tmp_path / "local.toml"
    target.write_text(source, encoding="utf-8")
    monkeypatch.setattr(profiles_module, "profiles_dir", lambda: tmp_path)
    assert load_profile("local").max_days_ahead == 28
    target.write_text(source.replace("max_days_ahead = 28", "max_days_ahead = 14"), "utf-8")
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_profile("local").max_days_ahead == 14
