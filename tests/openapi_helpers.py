"""The OpenAPI document of an application that is never started, for the contract tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from visits.app import create_app
from visits.openapi import tidy
from visits.settings import Settings


def served_document(
    folder: Path, controllers: set[str], module_prefix: str
) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    """The operations of ``controllers`` (in modules under ``module_prefix``) and the document
    as ``/schema/openapi.json`` serves it; no database is needed."""
    app = create_app(
        Settings(
            environment="test",
            database_url=f"sqlite+aiosqlite:///{folder / 'unused.db'}",
            data_dir=str(folder),
            seed_demo=False,
            scheduler="off",
        )
    )
    operations = {
        (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if handler.fn.__qualname__.split(".")[0] in controllers
        and handler.fn.__module__.startswith(module_prefix)
        for method in handler.http_methods - {"OPTIONS", "HEAD"}
    }
    return operations, dict(tidy(app.openapi_schema.to_schema()))
