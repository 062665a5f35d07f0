"""The one transaction rule: services flush, the request (or job) boundary commits.

A request's database session is provided as the ``db_session`` dependency by ``transaction``:
when the handler returns an answer below 400 it commits; when the handler raises, or returns an
error answer (a page rendered with a 4xx status marks itself with ``roll_back``), it rolls back.
The commit happens before the response is sent, so a failed commit becomes a 500 problem
document, never a false 2xx. Scheduled jobs and CLI commands are their own boundary and commit
with ``commit``.

Side effects of a change (an invite e-mail, a notice to a household) must not happen for a
change that is rolled back. Services register them with ``after_commit``; the boundary hands
them over only once the commit succeeded, and drops them on a rollback.

Named exceptions to "services never commit" (each says why where it commits):
- rate-limit and failed-sign-in counters (and the audit record of a failed staff sign-in),
  which must survive the rollback of the request they refuse;
- the idempotency wrapper, which commits a change or a refusal together with its record, so
  that a retry with the same key gets the same answer;
- the authentication guards, which record a token's last use in a short session of their own;
- the reminder dispatcher, a scheduled job whose claim, send and outcome are short
  transactions of their own, so that a crash loses no more than one message's lease.

Effects are kept with the session and delivered in this process after the commit: a process
that dies between the commit and the delivery loses them (the reminders are the exception: they
are an outbox in the database).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Protocol

import structlog
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.settings import Settings

log = structlog.get_logger(__name__)

_PENDING = "visits.after_commit"
_ROLL_BACK = "visits.roll_back"
_COMMITTED = "visits.committed_effects"


class EffectContext(Protocol):
    """What an effect may use once its change is committed: a fresh session, the settings and
    the notification channel (the request's session is closed by then)."""

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def notifier(self) -> Any: ...


class Effect(Protocol):
    """Something to do once a change is committed, e.g. e-mail the visit's invite."""

    async def deliver(self, context: EffectContext) -> None: ...


def after_commit(session: AsyncSession, effect: Effect) -> None:
    """Run ``effect`` once the transaction of ``session`` is committed (never if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(effect)


def discard_effects(session: AsyncSession) -> None:
    """Forget the effects of work that is being rolled back."""
    session.info.pop(_PENDING, None)


async def commit(session: AsyncSession) -> list[Effect]:
    """Commit, and return the effects the committed work registered (to ``deliver``)."""
    await session.commit()
    effects: list[Effect] = session.info.pop(_PENDING, [])
    return effects


async def rollback(session: AsyncSession) -> None:
    discard_effects(session)
    await session.rollback()


async def deliver(effects: list[Effect], context: EffectContext) -> None:
    """Deliver committed effects one by one; a failure is logged and never undoes the change."""
    for effect in effects:
        try:
            await effect.deliver(context)
        except Exception:
            log.exception("effect_failed", effect=type(effect).__name__)


def roll_back(request: Request[Any, Any, Any]) -> None:
    """Mark the request's work to be rolled back although its handler returns (an error page)."""
    request.state[_ROLL_BACK] = True


async def transaction(
    request: Request[Any, Any, Any], request_session: NamedDependency[AsyncSession]
) -> AsyncGenerator[AsyncSession, None]:
    """The ``db_session`` of a request, committed or rolled back once when the handler is done;
    the committed effects run after the response is sent (``deliver_after_response``)."""
    try:
        yield request_session
    except BaseException:
        await rollback(request_session)
        raise
    if request.state.get(_ROLL_BACK):
        await rollback(request_session)
        return
    request.state[_COMMITTED] = await commit(request_session)


class _AppContext:
    def __init__(self, state: State) -> None:
        self.session_factory: async_sessionmaker[AsyncSession] = state.session_factory
        self.settings: Settings = state.settings
        self.notifier: Any = state.notifier


async def deliver_after_response(request: Request[Any, Any, Any]) -> None:
    """``after_response`` hook: deliver the effects the request committed."""
    effects: list[Effect] = request.state.get(_COMMITTED) or []
    if effects:
        await deliver(effects, _AppContext(request.app.state))
