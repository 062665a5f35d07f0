"""The transaction boundary of work outside a request (a scheduled job, a CLI command).

It commits its own session, then delivers the effects the committed work registered (invites,
notices), exactly as the request boundary does after a response.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.db import transaction
from visits.notify.channels import NotificationChannel, notifier_for
from visits.settings import Settings


@dataclass(frozen=True)
class OutsideRequest:
    """What an effect may use when no application is serving (an ``EffectContext``)."""

    session_factory: async_sessionmaker[AsyncSession]
    settings: Settings
    notifier: NotificationChannel

    @classmethod
    def of(
        cls, session_factory: async_sessionmaker[AsyncSession], settings: Settings
    ) -> OutsideRequest:
        return cls(session_factory, settings, notifier_for(settings))


async def commit(session: AsyncSession, context: OutsideRequest) -> None:
    """Commit ``session`` and deliver the effects of what it committed."""
    await transaction.deliver(await transaction.commit(session), context)
