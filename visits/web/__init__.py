"""The web pages families use: server-rendered HTML in German and English."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from visits.web.controllers import WebController as FamilyPagesController
from visits.web.household_pages import HouseholdPagesController

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

__all__ = ["WebController", "static_files", "template_config"]

WebController = Router(
    path="/",
    route_handlers=[FamilyPagesController, HouseholdPagesController],
    include_in_schema=False,
)
"""Every family page: the booking pages and the household's self-service pages."""


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 with autoescaping everywhere and strict undefined names (a typo is an error)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def static_files() -> Router:
    """The pages' stylesheet (no scripts)."""
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="web-static",
        cache_control=CacheControlHeader(max_age=3600, public=True),
    )
