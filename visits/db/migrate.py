"""Alembic, driven from the ``visits`` command rather than an ``alembic.ini``.

``upgrade`` only moves forward: asked for a revision below the database's, Alembic would do
nothing and report nothing, so ``upgrade`` refuses (``WrongDirection``) and a downgrade is an
explicit ``downgrade``, which in turn refuses a revision that is not below the database's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

import visits

MOVING_TARGETS = frozenset({"head", "heads"})


class WrongDirection(Exception):
    """The revision asked for lies in the other direction than the command goes."""


def migrations_directory() -> Path:
    """``migrations/`` of a source checkout, or the copy packaged inside an installed wheel."""
    package = Path(visits.__file__).resolve().parent
    for candidate in (package.parent / "migrations", package / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the migrations directory is missing from this installation")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    # ConfigParser interpolation would read '%' in passwords as syntax.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def current_revisions(database_url: str) -> tuple[str, ...]:
    """The revisions the database is at (empty for an empty database). Must not run inside an
    event loop (env.py owns one)."""
    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    found: list[str] = []

    def read(_revision: Any, context: Any) -> Sequence[Any]:
        found.extend(context.get_current_heads())
        return []  # nothing to run: only read

    with EnvironmentContext(config, script, fn=read, dont_mutate=True):
        script.run_env()
    return tuple(found)


def _resolve(script: ScriptDirectory, revision: str) -> str:
    """The full id of ``revision`` (a unique prefix is enough), or a clear CommandError."""
    try:
        found = script.get_revision(revision)
    except RevisionError as exc:  # unknown, or a prefix of several
        raise CommandError(f"no single revision {revision!r}: {exc}") from exc
    if found is None:
        raise CommandError(f"no revision {revision!r}")
    return found.revision


def _below(script: ScriptDirectory, target: str, current: Sequence[str]) -> bool:
    """Whether ``target`` is an ancestor of (strictly below) one of ``current``."""
    for head in current:
        ancestors = {r.revision for r in script.iterate_revisions(head, "base")}
        if target in ancestors and target != head:
            return True
    return False


def upgrade(database_url: str, revision: str = "head") -> tuple[str, ...]:
    """Apply migrations up to ``revision``; returns the revisions the database is then at.

    A ``revision`` below the database's raises ``WrongDirection`` (downgrades are explicit).
    Must not run inside an event loop (env.py owns one)."""
    config = alembic_config(database_url)
    if revision.startswith("-"):
        raise WrongDirection(f"{revision!r} goes down; use `visits db downgrade`")
    if revision == "base":
        current = current_revisions(database_url)
        if current:
            raise WrongDirection(
                f"the database is at revision {', '.join(current)}; upgrading cannot go back: "
                "use `visits db downgrade --revision base`"
            )
    elif revision not in MOVING_TARGETS and not revision.startswith("+"):  # "+1": forward
        script = ScriptDirectory.from_config(config)
        target = _resolve(script, revision)
        current = current_revisions(database_url)
        if _below(script, target, current):
            raise WrongDirection(
                f"the database is at revision {', '.join(current)}, above {target}; "
                f"upgrading cannot go back: use `visits db downgrade --revision {target}`"
            )
    command.upgrade(config, revision)
    return current_revisions(database_url)


def downgrade(database_url: str, revision: str) -> tuple[str, ...]:
    """Undo migrations down to ``revision`` ("base": all of them); returns the revisions the
    database is then at. A ``revision`` that is not below the database's raises
    ``WrongDirection``."""
    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    current = current_revisions(database_url)
    if revision != "base" and not revision.startswith("-"):
        target = _resolve(script, revision)
        if not _below(script, target, current):
            at = ", ".join(current) or "base (empty)"
            raise WrongDirection(
                f"the database is at revision {at}, not above {target}: nothing to downgrade"
            )
    elif revision == "base" and not current:
        raise WrongDirection("the database is empty (base): nothing to downgrade")
    command.downgrade(config, revision)
    return current_revisions(database_url)
