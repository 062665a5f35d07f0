"""Settings: environment over file over defaults; every bad value is named at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from visits.settings import Settings, SettingsError, load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_serve_on_localhost_with_a_sqlite_file(tmp_path: Path) -> None:
    settings = load_settings(environ={}, config_file=write(tmp_path / "empty.toml", ""))
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.resolved_database_url == "sqlite+aiosqlite:///data/visits.db"
    assert settings.resolved_public_url == "http://127.0.0.1:8000"


def test_environment_overrides_file_which_overrides_defaults(tmp_path: Path) -> None:
    config = write(tmp_path / "visits.toml", 'port = 9000\nhost = "0.0.0.0"\nlog_level = "DEBUG"\n')
    settings = load_settings(environ={"VISITS_PORT": "9100"}, config_file=config)
    assert settings.port == 9100  # environment wins
    assert settings.host == "0.0.0.0"  # from the file
    assert settings.log_level == "DEBUG"
    assert settings.scheduler == "embedded"  # default


def test_config_file_is_found_through_the_environment(tmp_path: Path) -> None:
    config = write(tmp_path / "other.toml", "port = 8123\n")
    settings = load_settings(environ={"VISITS_CONFIG_FILE": str(config)})
    assert settings.port == 8123


def test_every_invalid_setting_is_named_in_one_error(tmp_path: Path) -> None:
    config = write(tmp_path / "visits.toml", 'colour = "blue"\nscheduler = "sometimes"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={
                "VISITS_PORT": "eighty",
                "VISITS_DATABASE_URL": "mysql://db/visits",
                "VISITS_PUBLIC_URL": "ftp://example.org",
                "VISITS_SLOT_HORIZON_DAYS": "0",
                "VISITS_PROT": "1",
            },
            config_file=config,
        )
    message = str(caught.value)
    for name in (
        "VISITS_PORT",
        "VISITS_DATABASE_URL",
        "VISITS_PUBLIC_URL",
        "VISITS_SLOT_HORIZON_DAYS",
        "VISITS_PROT: unknown setting",
        "colour",
        "scheduler",
    ):
        assert name in message
    assert len(caught.value.problems) == 7


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(SettingsError, match="VISITS_PORT"):
        load_settings(environ={"VISITS_PORT": "70000"}, config_file=None)


def test_missing_and_broken_config_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"VISITS_CONFIG_FILE": str(tmp_path / "missing.toml")})
    broken = write(tmp_path / "broken.toml", "port = = 1\n")
    with pytest.raises(SettingsError, match="cannot be read as TOML"):
        load_settings(environ={}, config_file=broken)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db/visits", "postgresql+asyncpg://u:p@db/visits"),
        ("postgres://u@db/visits", "postgresql+asyncpg://u@db/visits"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://u@db/v", "postgresql+asyncpg://u@db/v"),
    ],
)
def test_database_urls_use_the_async_drivers(given: str, expected: str) -> None:
    settings = load_settings(environ={"VISITS_DATABASE_URL": given}, config_file=None)
    assert settings.resolved_database_url == expected


def test_test_suite_variables_are_not_settings() -> None:
    settings = load_settings(environ={"VISITS_TEST_POSTGRES_URL": "x"}, config_file=None)
    assert settings == Settings()


def test_booleans_from_the_environment() -> None:
    settings = load_settings(environ={"VISITS_SEED_DEMO": "false"}, config_file=None)
    assert settings.seed_demo is False


def test_no_proxy_is_trusted_by_default() -> None:
    assert load_settings(environ={}, config_file=None).trusted_proxies == ()


def test_trusted_proxies_are_addresses_and_networks_written_canonically(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"VISITS_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,2001:DB8::/32,::1"},
        config_file=None,
    )
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1")
    config = write(tmp_path / "visits.toml", 'trusted_proxies = ["172.16.0.0/12"]\n')
    assert load_settings(environ={}, config_file=config).trusted_proxies == ("172.16.0.0/12",)


def test_every_unusable_proxy_entry_is_named() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={"VISITS_TRUSTED_PROXIES": "10.0.0.1/8,proxy.internal,127.0.0.1,*"},
            config_file=None,
        )
    (problem,) = caught.value.problems
    assert problem.startswith("VISITS_TRUSTED_PROXIES: ")
    for entry in ("10.0.0.1/8 has host bits set", "'proxy.internal'", "'*'"):
        assert entry in problem
    assert "127.0.0.1" not in problem
