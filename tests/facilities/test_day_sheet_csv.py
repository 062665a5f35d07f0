"""The one CSV writer (``visits.csv_files``) and the day sheet written with it: files German
spreadsheet programs open as they are (UTF-8 with a byte order mark, semicolons, translated
headings) and that no spreadsheet runs as a formula."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.visit_helpers import book_directly
from visits.csv_files import BOM, csv_document, read_document, safe_cell
from visits.db.base import utcnow
from visits.db.models import Facility, Prisoner, Slot
from visits.demo import seed_demo
from visits.enums import Attendance, StaffRole, VisitStatus, VisitType
from visits.facilities.reports import (
    CSV_COLUMNS,
    DaySheet,
    DaySheetVisit,
    PartyMemberOut,
    day_sheet_csv,
)
from visits.i18n import translate


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+49 151 000", "'+49 151 000"),
        ("-2 Stufen", "'-2 Stufen"),
        ('@HYPERLINK("http://x")', '\'@HYPERLINK("http://x")'),
        ("\t=1+1", "' =1+1"),
        ("\r=1+1", "' =1+1"),
        ("  =1+1", "'  =1+1"),  # spreadsheets skip the blanks
        ("\uff1d1+1", "'\uff1d1+1"),  # a full-width equals sign
        ("Familien\r\nzimmer\x00", "Familien zimmer"),
        ("Anna-Lena Müller", "Anna-Lena Müller"),  # a dash inside is harmless
        ("", ""),
        (None, ""),
    ],
)
def test_a_text_cell_is_on_one_line_and_never_a_formula(stored: str | None, written: str) -> None:
    assert safe_cell(stored) == written


def test_numbers_stay_numbers_and_bools_are_refused() -> None:
    assert safe_cell(-3) == -3
    assert safe_cell(2.5) == 2.5
    with pytest.raises(TypeError):
        safe_cell(True)


def test_a_document_opens_in_a_german_spreadsheet_as_it_is() -> None:
    text = csv_document(["Name", "Anzahl"], [["=1+1", 2], ["Öztürk; Weiß", -1]])
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs to read UTF-8
    assert text == BOM + 'Name;Anzahl\r\n\'=1+1;2\r\n"Öztürk; Weiß";-1\r\n'
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=";"))
    assert rows == [["Name", "Anzahl"], ["'=1+1", "2"], ["Öztürk; Weiß", "-1"]]
    assert read_document(text) == [
        {"Name": "'=1+1", "Anzahl": "2"},
        {"Name": "Öztürk; Weiß", "Anzahl": "-1"},
    ]


def _sheet() -> DaySheet:
    start = datetime(2027, 3, 3, 14, 0, tzinfo=UTC)
    visit = DaySheetVisit(
        visit_id=uuid.uuid4(),
        reference="3F9A21C7",
        status=VisitStatus.ATTENDED,
        visit_type=VisitType.CHILD_FAMILY,
        local_start=start,
        local_end=start.replace(hour=16),
        room_id=uuid.uuid4(),
        room_name="Familienzimmer",
        prisoner_name="=Jonas Schulz",
        prison_number="T-2026-0042",
        adults=1,
        children=2,
        child_in_party=True,
        party=[
            PartyMemberOut("Lea Schulz", 38, False),
            PartyMemberOut("Noah Schulz", 9, True),
            PartyMemberOut(None, 2, True),
        ],
        support_needs="+Kinderwagen",
        needs_review=False,
        review_reason=None,
        check_in=Attendance.LATE,
        arrived_at=start.replace(hour=13, minute=41),
    )
    return DaySheet(uuid.uuid4(), start.date(), "Europe/Berlin", [visit])


def test_the_day_sheet_has_translated_headings_and_safe_cells() -> None:
    sheet = _sheet()
    german = day_sheet_csv(sheet, "de")
    assert german.startswith(BOM)
    header = german.removeprefix(BOM).split("\r\n", 1)[0]
    assert header.split(";") == [translate("de", column) for column in CSV_COLUMNS]
    assert "Gefangene(r);Gefangenennummer" in header
    [row] = read_document(german)
    assert row["Buchungsnummer"] == "3F9A21C7"
    assert row["Ankunft"] == "Verspätet angekommen"
    assert row["Angekommen um"] == "13:41"
    assert row["Namen"] == "Lea Schulz; Noah Schulz; (gelöscht)"
    assert row["Alter"] == "38 9 2"
    [english] = read_document(day_sheet_csv(sheet, "en"))
    assert english["Prisoner"] == "'=Jonas Schulz"
    assert english["Prison number"] == "T-2026-0042"
    assert english["Support needs"] == "'+Kinderwagen"
    assert english["Check-in"] == "Arrived late"


async def test_the_day_sheet_download_names_the_prisoner_and_is_safe(
    client: Client, db: AsyncSession
) -> None:
    """The API's ``format=csv`` (the console's download is checked in tests/web/test_gate.py)."""
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility.id))
    assert facility is not None
    slot = await db.scalar(
        sa.select(Slot).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at.desc())
    )
    assert slot is not None
    visit = await book_directly(db, slot, [41, 7], support_needs='=HYPERLINK("x")')
    prisoner = await db.get(Prisoner, visit.prisoner_id)
    assert prisoner is not None
    name, number = f"{prisoner.given_name} {prisoner.family_name}", prisoner.prison_number
    day, reference = slot.local_date, visit.reference
    await db.commit()
    await add_staff(db, "pforte@example.org", [(StaffRole.VISITS_OFFICER, facility)])
    officer = bearer(await staff_token(client, "pforte@example.org"))
    answer = await client.get(
        f"/api/v1/staff/facilities/{facility}/day-sheet",
        headers=officer,
        params={"date": day.isoformat(), "format": "csv"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="day-sheet-{day.isoformat()}.csv"'
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")
    [row] = [r for r in read_document(answer.text) if r["Buchungsnummer"] == reference]
    assert (row["Gefangene(r)"], row["Gefangenennummer"]) == (name, number)
    assert row["Unterstützungsbedarf"] == '\'=HYPERLINK("x")'
    assert row["Ankunft"] == ""
