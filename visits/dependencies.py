"""Application-wide dependencies: settings, the notification channel, the request's database
session inside its transaction boundary."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.transaction import transaction
from visits.i18n import negotiate_language
from visits.notify.channels import NotificationChannel
from visits.settings import Settings

DbSession = NamedDependency[AsyncSession]
RequestLanguage = NamedDependency[str]
"""The language of the answer (``?lang=``, else ``Accept-Language``, else the default)."""
AppSettings = NamedDependency[Settings]
Notifier = NamedDependency[SkipValidation[NotificationChannel]]


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_notifier(state: State) -> NotificationChannel:
    notifier: NotificationChannel = state.notifier
    return notifier


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address, for rate limits (behind a proxy, uvicorn's proxy headers apply)."""
    return request.client.host if request.client else "unknown"


def provide_language(request: Request[Any, Any, Any]) -> str:
    return negotiate_language(request)


APP_DEPENDENCIES = {
    "language": Provide(provide_language, sync_to_thread=False),
    "db_session": Provide(transaction),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "notifier": Provide(provide_notifier, sync_to_thread=False),
}
