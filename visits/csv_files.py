"""The one way the project writes CSV files: for German spreadsheet programs, safe to open.

Excel and LibreOffice in a German locale read a semicolon as the column separator (the comma
is the decimal separator) and recognise UTF-8 only by its byte order mark, so every file is
UTF-8 with a BOM, semicolon-separated, with CRLF line ends and one header row; headings are
written by the caller in the reader's language.

Every text cell is made safe (OWASP "CSV injection"): line breaks and control characters are
flattened (``plain_text.plain``), and a cell that a spreadsheet would read as a formula (one
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also after leading blanks
or in their full-width forms) is prefixed with ``'``, which spreadsheets show as text. Numbers
are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from visits.plain_text import plain

MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text types
BOM = "\ufeff"
DELIMITER = ";"
# What makes a spreadsheet treat a cell as a formula (or pass it on as one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """One cell: numbers as they are, None as empty, text on one line and never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int to Python; say it in words instead
        raise TypeError("write yes/no in the reader's language, not a bool")
    if isinstance(value, int | float):
        return value
    if value.startswith(FORMULA_START):
        return "'" + plain(value)
    text = plain(value)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_START) else text


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The whole file as text (encode as UTF-8): BOM, header row, one row per item."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def download_headers(filename: str) -> dict[str, str]:
    """The headers of a CSV download (``filename`` is ASCII, chosen by the code)."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


def read_document(text: str) -> list[dict[str, str]]:
    """A file written by ``csv_document``, read back (for tests and round trips)."""
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM)), delimiter=DELIMITER))
