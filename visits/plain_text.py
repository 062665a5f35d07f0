"""Stored text made fit for outputs that must stay on their lines: calendar lines, e-mail
headers, CSV cells, text messages."""

from __future__ import annotations

import re

# Line breaks of every kind (what ``str.splitlines`` splits on), and the other control
# characters (C0 without tab and line breaks, DEL, C1).
_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def plain(text: str, *, lines: bool = False) -> str:
    """``text`` fit for a calendar line, an e-mail header or a CSV cell, whatever was stored:
    every line break becomes a space (with ``lines``: one LF, for texts that may have several
    lines), a tab a space, and other control characters are dropped. Input is validated when
    it is written; this guards the writers against texts stored before that, or by other
    means."""
    text = _BREAKS.sub("\n" if lines else " ", text).replace("\t", " ")
    return _CONTROLS.sub("", text)
