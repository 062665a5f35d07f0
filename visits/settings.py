"""Typed settings, read once: environment variables over a TOML file in ``config/`` over defaults.

Every setting has one name. In the environment it is ``VISITS_<NAME>`` (upper case), in the file
it is ``<name>`` at the top level. Invalid values never surface as tracebacks: ``load_settings``
collects every problem and raises ``SettingsError`` naming each setting and where it came from.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "VISITS_"
CONFIG_FILE_VARIABLE = "VISITS_CONFIG_FILE"
DEFAULT_CONFIG_FILE = Path("config/visits.toml")
# Variables with this prefix belong to the test suite, not to the service.
_IGNORED_ENV_PREFIXES = ("VISITS_TEST_",)

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class SettingsError(Exception):
    """Raised when settings cannot be used; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The service's settings. Documented, one by one, in the README's configuration table."""

    environment: Literal["development", "production", "test"] = "development"
    host: NonEmpty = "127.0.0.1"
    port: Port = 8000
    data_dir: NonEmpty = "data"
    database_url: str = ""
    public_url: str = ""
    # Addresses and networks whose X-Forwarded-For/-Proto are believed (reverse proxies); none.
    trusted_proxies: tuple[str, ...] = ()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"
    db_echo: bool = False
    seed_demo: bool = True
    demo_staff_password: str = ""
    scheduler: Literal["embedded", "external", "off"] = "embedded"
    slot_horizon_days: Annotated[int, msgspec.Meta(ge=1, le=366)] = 56
    staff_token_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 7)] = 12
    household_token_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    sign_in_code_minutes: Annotated[int, msgspec.Meta(ge=1, le=60)] = 10
    hold_minutes: Annotated[int, msgspec.Meta(ge=1, le=120)] = 10
    cancel_cutoff_hours: Annotated[int, msgspec.Meta(ge=0, le=24 * 14)] = 24
    request_cutoff_hours: Annotated[int, msgspec.Meta(ge=0, le=24 * 14)] = 24
    # Retention (e.g. JVollzDSG NRW § 42 (3)): a daily job anonymises each household with no
    # active approval, no pending request and no visit or other activity in this many days.
    retention_days: Annotated[int, msgspec.Meta(ge=30, le=3650)] = 365
    # SMS reminders
    sms_sender: Literal["console", "twilio", "off"] = "console"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_base_url: str = ""
    reminder_offsets_hours: tuple[Annotated[int, msgspec.Meta(ge=1, le=24 * 14)], ...] = (48, 2)
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    reminder_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    # E-mail (invites); empty smtp_host: invites are offered as downloads only
    smtp_host: str = ""
    smtp_port: Port = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    mail_sender: str = ""

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir) / 'visits.db'}"

    @property
    def resolved_public_url(self) -> str:
        """The URL people and calendar apps use to reach the service (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings)}
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalise_database_url(url: str) -> str:
    """Map plain ``sqlite://``/``postgresql://`` URLs onto the async drivers the service uses."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database {parsed.drivername!r}; use sqlite+aiosqlite:// "
            "or postgresql+asyncpg://"
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _check_public_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an absolute http:// or https:// URL")


def _check_proxies(entries: tuple[str, ...]) -> tuple[str, ...]:
    """Each entry as an IP address or CIDR network, written the canonical way.

    uvicorn quietly treats anything else as a literal host name that never matches, so a typo
    would switch proxy support off without a word; here it stops start-up instead.
    """
    checked, wrong = [], []
    for entry in entries:
        try:
            parsed = ipaddress.ip_network(entry) if "/" in entry else ipaddress.ip_address(entry)
        except ValueError as exc:
            wrong.append(str(exc))
        else:
            checked.append(str(parsed))
    if wrong:
        raise ValueError("; ".join(wrong) + " (give IP addresses or CIDR networks)")
    return tuple(checked)


def _read_file(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"{CONFIG_FILE_VARIABLE}: the file {str(path)!r} does not exist")
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        problems.append(f"{path}: cannot be read as TOML ({exc})")
        return {}
    return data


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Read settings from ``environ`` (default: ``os.environ``) and the config file.

    The file is ``$VISITS_CONFIG_FILE`` if set, else ``config/visits.toml`` when it exists.
    """
    env = os.environ if environ is None else environ
    problems: list[str] = []
    raw: dict[str, tuple[str, Any]] = {}  # name -> (where it came from, value)

    if config_file is None and env.get(CONFIG_FILE_VARIABLE):
        config_file = Path(env[CONFIG_FILE_VARIABLE])
    elif config_file is None and DEFAULT_CONFIG_FILE.is_file():
        config_file = DEFAULT_CONFIG_FILE
    if config_file is not None:
        for key, value in _read_file(config_file, problems).items():
            if key not in _FIELDS:
                problems.append(f"{key} (in {config_file}): unknown setting")
                continue
            raw[key] = (f"{key} (in {config_file})", value)

    for variable, value in env.items():
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_FILE_VARIABLE:
            continue
        if variable.startswith(_IGNORED_ENV_PREFIXES):
            continue
        key = variable.removeprefix(ENV_PREFIX).lower()
        if key not in _FIELDS:
            problems.append(f"{variable}: unknown setting")
            continue
        raw[key] = (variable, value)

    values: dict[str, Any] = {}
    for key, (origin, value) in raw.items():
        if isinstance(value, str) and _FIELDS[key].type is time and len(value) == 5:
            value = f"{value}:00"  # HH:MM
        if isinstance(value, str) and str(_FIELDS[key].type).startswith("tuple["):
            value = [part.strip() for part in value.split(",") if part.strip()]
        try:
            values[key] = msgspec.convert(value, type=_FIELDS[key].type, strict=False)
        except msgspec.ValidationError as exc:
            problems.append(f"{origin}: {exc} (got {value!r})")

    if values.get("database_url"):
        try:
            values["database_url"] = normalise_database_url(values["database_url"])
        except (ValueError, ArgumentError) as exc:
            problems.append(f"{raw['database_url'][0]}: {exc}")
    if values.get("public_url"):
        try:
            _check_public_url(values["public_url"])
        except ValueError as exc:
            problems.append(f"{raw['public_url'][0]}: {exc} (got {values['public_url']!r})")

    if values.get("trusted_proxies"):
        try:
            values["trusted_proxies"] = _check_proxies(values["trusted_proxies"])
        except ValueError as exc:
            problems.append(f"{raw['trusted_proxies'][0]}: {exc}")

    if problems:
        raise SettingsError(problems)
    settings = Settings(**values)
    problems = delivery_problems(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def delivery_problems(settings: Settings) -> list[str]:
    """Whether messages can reach people: a channel's settings complete, and in production a
    real channel (the log channels write texts and codes to the log: development only)."""
    problems = []
    if settings.sms_sender == "twilio":
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            problems.append("VISITS_SMS_SENDER=twilio needs twilio_account_sid and auth_token")
        if not (settings.twilio_messaging_service_sid or settings.twilio_from_number):
            problems.append(
                "VISITS_SMS_SENDER=twilio needs twilio_messaging_service_sid or twilio_from_number"
            )
    if settings.environment != "production":
        return problems
    if settings.sms_sender == "console":
        problems.append(
            "VISITS_SMS_SENDER: the console sender writes each SMS to the log, which production "
            "must not do; use twilio, or off for no SMS"
        )
    if not settings.smtp_host and settings.sms_sender != "twilio":
        problems.append(
            "production needs a channel to reach families: set VISITS_SMTP_HOST (e-mail) "
            "and/or VISITS_SMS_SENDER=twilio with its VISITS_TWILIO_* settings"
        )
    if settings.smtp_host and not settings.mail_sender:
        problems.append("VISITS_MAIL_SENDER: e-mail needs a sender address in production")
    return problems


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()
