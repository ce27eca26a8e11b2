"""Reading an uploaded sheet row by row, whatever its format: xlsx (through core/xlsx.py, streamed
in read-only mode) or csv in UTF-8 (with or without BOM), GBK/GB18030 or Big5,
detected with charset-normalizer unless the user names it. Everything streams: a 100,000-row
file is never held in memory. Problems that make the whole file unusable raise
FileUnreadable with a message for the user; nothing has been written by then."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.xlsx import XlsxUnreadable, xlsx_rows

# The encodings a user may choose (what Chinese offices' tools write). GBK is read as GB18030,
# its superset: every GBK file decodes the same, and the rare characters only GB18030 has too.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",  # Big5 with the Hong Kong additions: what Taiwanese and HK tools write
}
SAMPLE_BYTES = 256 * 1024
MAX_COLUMNS = 200
csv.field_size_limit(1024 * 1024)


class FileUnreadable(Exception):
    def __init__(self, message, *, code: str = "unreadable", row: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.row = row


@dataclass
class Sniffed:
    kind: str  # "xlsx" | "csv"
    encoding: str = ""  # a key of ENCODINGS (csv only)
    detected: bool = False


def sniff(path: str, *, encoding: str = "") -> Sniffed:
    """What the file is, by its content (never its name): a renamed binary is refused here."""
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head.strip():
        raise FileUnreadable(_("The file is empty."), code="empty")
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path)
        return Sniffed(kind="xlsx")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileUnreadable(_("This is an old Excel file (.xls): save it as .xlsx or .csv and upload it again."),
                             code="xls")
    if encoding:
        if encoding not in ENCODINGS:
            raise FileUnreadable(_("Choose an encoding among: %(values)s.") % {"values": ", ".join(ENCODINGS)},
                                 code="encoding")
        _check_text(head, encoding)
        return Sniffed(kind="csv", encoding=encoding)
    return Sniffed(kind="csv", encoding=detect_encoding(head), detected=True)


def _check_zip(path: str) -> None:
    # A zip that unpacks to far more than its size is refused before it is read.
    from django.conf import settings

    limit = settings.IMPORT_MAX_UNPACKED_BYTES
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names:
                raise FileUnreadable(_("This zip file is not an Excel workbook (.xlsx)."), code="not_xlsx")
            if sum(i.file_size for i in z.infolist()) > limit:
                raise FileUnreadable(_("The workbook unpacks to more than %(mb)d MB: split it into smaller files.")
                                     % {"mb": limit // (1024 * 1024)}, code="too_large")
    except zipfile.BadZipFile:
        raise FileUnreadable(_("The file looks like an xlsx workbook but is damaged."), code="not_xlsx") from None


def _looks_binary(head: bytes) -> bool:
    # Text in the supported encodings has no NUL; a UTF-16 file or any binary has many.
    return b"\x00" in head


def detect_encoding(head: bytes) -> str:
    if _looks_binary(head):
        raise FileUnreadable(_("This is not a text (csv) file or a workbook: upload .xlsx or .csv."), code="binary")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # final=False: a sample cut inside a character is still UTF-8.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    sample = head[: head.rfind(b"\n") + 1] or head
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp950", "utf_8"]).best()
    if best is None:
        raise FileUnreadable(_("The file's encoding could not be recognised: choose it (UTF-8, GBK, GB18030, Big5)."),
                             code="encoding")
    name = best.encoding.lower()
    if name in {"big5", "cp950", "big5hkscs"}:
        return "big5"
    return "gb18030"


def _check_text(head: bytes, encoding: str) -> None:
    if _looks_binary(head):
        raise FileUnreadable(_("This is not a text (csv) file or a workbook: upload .xlsx or .csv."), code="binary")
    try:
        codecs.getincrementaldecoder(ENCODINGS[encoding])().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise FileUnreadable(_("The file is not %(encoding)s text (byte %(at)d): choose another encoding.")
                             % {"encoding": encoding.upper(), "at": exc.start}, code="encoding") from None


def rows(path: str, sniffed: Sniffed) -> Iterator[tuple[int, list]]:
    """(row number as the user sees it, cell values); rows without any value are left out."""
    if sniffed.kind == "xlsx":
        try:
            yield from xlsx_rows(path, max_columns=MAX_COLUMNS)
        except XlsxUnreadable:
            raise FileUnreadable(_("The workbook could not be read: open it in Excel, save it again and retry."),
                                 code="not_xlsx") from None
        return
    yield from _csv_rows(path, sniffed.encoding)


def _csv_rows(path: str, encoding: str) -> Iterator[tuple[int, list]]:
    codec = ENCODINGS[encoding]
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=codec, errors="strict", newline="")
        number = 0
        try:
            sample = text.read(64 * 1024)
            dialect = _dialect(sample)
            text.seek(0)
            if codec == "utf-8" and sample.startswith("\ufeff"):
                text.read(1)
            for record in csv.reader(text, dialect):
                number += 1
                if len(record) > MAX_COLUMNS:
                    record = record[:MAX_COLUMNS]
                if not any(cell.strip() for cell in record):
                    continue
                if any("\x00" in cell for cell in record):
                    raise FileUnreadable(_("Row %(row)d holds a NUL character: this is not a text file.")
                                         % {"row": number}, code="binary", row=number)
                yield number, record
        except UnicodeDecodeError:
            raise FileUnreadable(
                _("Row %(row)d is not valid %(encoding)s text: choose the file's encoding and upload it again.")
                % {"row": number + 1, "encoding": encoding.upper()}, code="encoding", row=number + 1) from None
        except csv.Error as exc:
            raise FileUnreadable(_("Row %(row)d cannot be read as csv: %(reason)s")
                                 % {"row": number + 1, "reason": str(exc)}, code="csv", row=number + 1) from None


class _Excel(csv.excel):
    pass


def _dialect(sample: str):
    # The Sniffer guesses from the first lines; cut the sample at a line end so a half row
    # does not mislead it. A single-column file has no separator to find: plain commas.
    cut = sample[: sample.rfind("\n") + 1] or sample
    try:
        dialect = csv.Sniffer().sniff(cut, delimiters=",;\t|")
    except csv.Error:
        return _Excel
    dialect.doublequote = True  # the Sniffer sometimes says False for files Excel wrote
    return dialect
