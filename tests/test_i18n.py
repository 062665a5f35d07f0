"""The catalogs hold every text the code marks for translation, and German translates them all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po, write_po

import visits
from visits.i18n import LANGUAGES, LOCALE_DIR, extracted_messages


def test_catalogs_hold_every_message_and_german_translates_them_all() -> None:
    extracted = extracted_messages()
    assert "There is no such visit." in extracted  # domain error details are found too
    assert "%(num)d adult" in extracted  # and plurals
    for language in LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
            catalog = read_po(source, locale=language)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        missing = sorted(extracted - ids)
        assert not missing, f"{language}: run make messages: {missing}"
        if language == "de":
            untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
            assert untranslated == []


def test_the_languages_spoken_are_the_catalogs() -> None:
    assert LANGUAGES == {"de": "Deutsch", "en": "English"}


NEW_LANGUAGE_CHECK = """
import sqlite3, sys
from litestar.testing import TestClient
from visits.app import create_app
from visits.db.migrate import upgrade
from visits.enums import Language
from visits.i18n import LANGUAGES
from visits.settings import Settings

data = sys.argv[1]
assert LANGUAGES["tr"] == "Türkçe", LANGUAGES
assert Language("tr") == "tr"
url = f"sqlite+aiosqlite:///{data}/visits.db"
upgrade(url)  # the migrations as they are: no new revision for a new language
settings = Settings(
    environment="test", database_url=url, data_dir=data, seed_demo=False, scheduler="off"
)
with TestClient(create_app(settings)) as client:
    spec = client.get("/schema/openapi.json").json()
    assert spec["components"]["schemas"]["Language"]["enum"] == ["de", "en", "tr"]
    signed_up = client.post(
        "/api/v1/auth/households",
        json={"guardian_name": "Ayse Yilmaz", "language": "tr", "email": "ayse@example.org"},
    )
    assert signed_up.status_code == 202, signed_up.text
    incomplete = client.post("/api/v1/auth/households?lang=tr", json={"language": "tr"})
    assert incomplete.status_code == 422, incomplete.text
    assert {e["detail"] for e in incomplete.json()["errors"]} == {"gereklidir"}, incomplete.text
    start = client.get("/sign-in?lang=tr")
    assert start.status_code == 200 and '<html lang="tr"' in start.text, start.text[:300]
stored = sqlite3.connect(f"{data}/visits.db").execute("SELECT language FROM household").fetchall()
assert stored == [("tr",)], stored
print("ok")
"""


def test_a_new_language_is_a_new_catalog_and_nothing_else(tmp_path: Path) -> None:
    """A copy of the package with one more catalog speaks the language everywhere a language is
    chosen: households may choose it (API schema and database, without a migration), problem
    documents and pages are written in it."""
    package = Path(visits.__file__).parent
    copy = tmp_path / "src" / "visits"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(package, copy, ignore=ignore)
    shutil.copytree(package.parent / "migrations", copy.parent / "migrations", ignore=ignore)
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="tr")
    catalog.locale = Locale.parse("tr")
    catalog["is required"].string = "gereklidir"
    target = copy / "locale" / "tr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.po").open("wb") as out:
        write_po(out, catalog)
    data = tmp_path / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")}
    env["PYTHONPATH"] = str(copy.parent)
    checked = subprocess.run(
        [sys.executable, "-c", NEW_LANGUAGE_CHECK, str(data)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert checked.stdout.strip().endswith("ok")
