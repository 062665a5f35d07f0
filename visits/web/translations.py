"""Message catalogs for the family pages: German and English, compiled from the .po files.

Only the .po files are kept in the repository. They are compiled into memory on first use, so a
checkout runs without a build step and no .mo file can go stale.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("de", "en")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@functools.cache
def translations(language: str) -> Translations:
    """The catalog of ``language`` (de or en), compiled once per process."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)
