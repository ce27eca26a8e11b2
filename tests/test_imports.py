"""File imports (issue 10 §1): readers, mappings, dry run, import, idempotency, malformed
files, permissions, the CLI."""

import datetime as dt
import io
import os
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from complaintdesk.core.errors import Conflict, Forbidden, ValidationFailed
from complaintdesk.core.xlsx import XlsxSheet
from complaintdesk.imports import reading
from complaintdesk.imports.mapping import parse_when
from complaintdesk.imports.models import ImportBatch, ImportMapping, ImportRow
from complaintdesk.imports.selectors import visible_batches
from complaintdesk.imports.services.batches import batch_create, batch_run, batch_start
from complaintdesk.imports.vocabulary import BatchState, RowOutcome
from complaintdesk.tickets.models import Ticket, TicketEvent

HEADER = "转办编号,投诉人,联系电话,被投诉单位,投诉内容,诉求,转办时间,办理时限"
ROWS = [
    "ZB001,李四,13800138001,甲市营业厅,十月话费多扣58元,退还多扣费用,2026年11月3日 14:05,2026/11/18",
    "ZB002,王五,123,乙市营业厅,信号很差,尽快修复,2026/11/3,15天",
    "ZB003,赵六,13900139000,甲市营业厅,家里没有信号,派人检查,2026-11-04 09:30,15个工作日",
    "ZB001,李四,13800138001,甲市营业厅,十月话费多扣58元,退还多扣费用,2026年11月3日 14:05,2026/11/18",
]
DEFAULTS = {"category": "network-weak", "source_tier": "12345"}


def _file(tmp_path, text: str, encoding="utf-8", name="transfer.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _upload(user, path, **kw):
    kw.setdefault("defaults", DEFAULTS)
    with open(path, "rb") as f:
        return batch_create(actor=user, upload=f, queue=False, language="en", **kw)


def _sheet(tmp_path, lines, **kw):
    return _file(tmp_path, "\n".join([HEADER, *lines]) + "\n", **kw)


@pytest.fixture
def dispatcher(users):
    return users["dispatcher"]


# --- dates and readers (pure) ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026年11月3日 14:05", dt.datetime(2026, 11, 3, 14, 5)),
    ("2026年11月3日", dt.datetime(2026, 11, 3)),
    ("2026/11/3", dt.datetime(2026, 11, 3)),
    ("2026-11-03 14:05:07", dt.datetime(2026, 11, 3, 14, 5, 7)),
    ("2026.11.3 8:00", dt.datetime(2026, 11, 3, 8, 0)),
    ("20261103", dt.datetime(2026, 11, 3)),
    ("46329", dt.datetime(2026, 11, 3)),  # an Excel serial number as text
    (46329.5, dt.datetime(2026, 11, 3, 12, 0)),  # and as a number
    (dt.date(2026, 11, 3), dt.datetime(2026, 11, 3)),
])
def test_dates_in_chinese_sheets(text, expected):
    got = parse_when(text)
    assert timezone.localtime(got).replace(tzinfo=None) == expected


def test_a_deadline_date_is_the_end_of_that_day():
    got = parse_when("2026/11/18", end_of_day=True)
    assert timezone.localtime(got).replace(tzinfo=None) == dt.datetime(2026, 11, 18, 23, 59, 59)


@pytest.mark.parametrize("bad", ["明天", "2026/13/40", "3/11/2026x"])
def test_not_a_date(bad):
    with pytest.raises(ValueError):
        parse_when(bad)


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("big5", "big5"),
])
def test_encodings_are_detected(tmp_path, encoding, expected):
    # Big5 has no simplified characters: a Taiwanese or Hong Kong sheet is in traditional ones.
    text = HEADER + "\n" + "\n".join(ROWS) * 30
    if encoding == "big5":
        text = "轉辦編號,投訴人,聯繫電話,投訴內容\n" + "ZB1,李四,13800138001,話費多扣，網絡信號很差，營業廳服務態度不好\n" * 40
    path = _file(tmp_path, text, encoding)
    sniffed = reading.sniff(str(path))
    assert sniffed.encoding == expected
    rows = list(reading.rows(str(path), sniffed))
    assert rows[0][1][0] in ("转办编号", "轉辦編號")


def test_separators_and_quotes_are_detected(tmp_path):
    path = _file(tmp_path, '转办编号;投诉内容;联系电话\nA1;"话费;多扣\n两行";13800138001\n\n\n')
    rows = list(reading.rows(str(path), reading.sniff(str(path))))
    assert rows == [(1, ["转办编号", "投诉内容", "联系电话"]), (2, ["A1", "话费;多扣\n两行", "13800138001"])]


def test_a_binary_renamed_csv_is_refused(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    with pytest.raises(reading.FileUnreadable) as exc:
        reading.sniff(str(path))
    assert exc.value.code == "binary"


def test_a_wrong_encoding_override_is_refused(tmp_path):
    path = _sheet(tmp_path, ROWS, encoding="gbk")
    with pytest.raises(reading.FileUnreadable) as exc:
        reading.sniff(str(path), encoding="utf-8")
    assert exc.value.code == "encoding"


# --- dry run and import ---------------------------------------------------------------------

def test_regulator_sheet_dry_run_then_import(tmp_path, dispatcher):
    path = _sheet(tmp_path, ROWS, encoding="gbk")
    batch = _upload(dispatcher, path)
    assert (batch.mapping_name, batch.encoding, batch.encoding_detected) == ("regulator-transfer", "gb18030", True)
    assert batch.source == "regulator-transfer:12345"
    batch = batch_run(batch.pk)
    assert batch.state == BatchState.CHECKED
    assert (batch.total_rows, batch.dry_created, batch.dry_failed, batch.dry_skipped) == (4, 2, 2, 0)
    assert Ticket.objects.count() == 0  # a dry run creates nothing
    failed = {r.row_number: r.reasons for r in ImportRow.objects.filter(batch=batch, outcome=RowOutcome.FAILED)}
    assert failed[3][0]["field"] == "phone" and failed[3][0]["column"] == "联系电话"
    assert "row 2" in failed[5][0]["reason"] and failed[5][0]["field"] == "source_id"  # the duplicate id

    with pytest.raises(Conflict):  # stop on any error: the dry run found invalid rows
        batch_start(actor=dispatcher, batch_id=batch.pk, on_error="stop", queue=False)
    batch_start(actor=dispatcher, batch_id=batch.pk, on_error="skip", queue=False)
    batch = batch_run(batch.pk)
    assert batch.state == BatchState.DONE
    assert (batch.created_count, batch.failed_count) == (2, 2)
    first = Ticket.objects.get(regulator_ref="ZB001")
    assert (first.channel, first.source_tier, first.customer.name) == ("regulator_transfer", "12345", "李四")
    assert "十月话费多扣58元" in first.description and "诉求：退还多扣费用" in first.description
    assert timezone.localtime(first.first_reported_at).replace(tzinfo=None) == dt.datetime(2026, 11, 3, 14, 5)
    assert timezone.localtime(first.regulator_due_at).replace(tzinfo=None) == dt.datetime(2026, 11, 18, 23, 59, 59)
    third = Ticket.objects.get(regulator_ref="ZB003")
    # 15 working days after Wednesday 4 November 2026 (no holiday in between): 25 November.
    assert timezone.localtime(third.regulator_due_at).date() == dt.date(2026, 11, 25)
    event = TicketEvent.objects.get(ticket=first, type="imported")
    assert event.payload["batch"] == batch.pk and event.payload["row"] == 2 and event.payload["source_id"] == "ZB001"
    assert event.payload["channel"] == "regulator_transfer"

    # The same file again: nothing new; a changed text under a known id is reported, not overwritten.
    changed = [ROWS[0].replace("多扣58元", "多扣68元"), ROWS[2]]
    again = batch_run(_upload(dispatcher, _sheet(tmp_path, changed, name="again.csv")).pk)
    assert (again.dry_created, again.dry_differs, again.dry_skipped) == (0, 1, 1)
    differs = ImportRow.objects.get(batch=again, outcome=RowOutcome.DIFFERS)
    assert differs.reasons[0]["ticket"] == first.number
    with pytest.raises(Conflict):
        batch_start(actor=dispatcher, batch_id=again.pk, on_error="skip", queue=False)
    assert Ticket.objects.count() == 2
    first.refresh_from_db()
    assert "多扣58元" in first.description


def test_another_regulators_ids_are_their_own(tmp_path, dispatcher):
    path = _sheet(tmp_path, ROWS[:1])
    one = batch_run(_upload(dispatcher, path).pk)
    batch_start(actor=dispatcher, batch_id=one.pk, on_error="stop", queue=False)
    batch_run(one.pk)
    other = batch_run(_upload(dispatcher, path, defaults={**DEFAULTS, "source_tier": "12315"}).pk)
    assert other.dry_created == 1  # ZB001 of 12315 is not ZB001 of 12345


def test_required_elements_missing_fail_or_register_incomplete(tmp_path, dispatcher):
    defaults = {"category": "billing-overcharge", "source_tier": "12345"}
    path = _sheet(tmp_path, ROWS[:1])
    strict = batch_run(_upload(dispatcher, path, defaults=defaults).pk)
    reasons = ImportRow.objects.get(batch=strict).reasons
    assert {r["field"] for r in reasons} == {"elements.account_phone", "elements.month", "elements.amount"}
    assert all(r["code"] == "required" for r in reasons)
    lenient = batch_run(_upload(dispatcher, path, defaults=defaults, register_incomplete=True).pk)
    assert lenient.dry_created == 1
    batch_start(actor=dispatcher, batch_id=lenient.pk, on_error="stop", queue=False)
    lenient = batch_run(lenient.pk)
    row = ImportRow.objects.get(batch=lenient, dry_run=False)
    assert row.incomplete and row.ticket is not None
    event = TicketEvent.objects.get(ticket=row.ticket, type="imported")
    assert sorted(event.payload["incomplete"]) == ["account_phone", "amount", "month"]


def test_header_only_and_empty_files_change_nothing(tmp_path, dispatcher):
    batch = batch_run(_upload(dispatcher, _file(tmp_path, HEADER + "\n\n\n")).pk)
    assert batch.state == BatchState.UNREADABLE and batch.problem["code"] == "header_only"
    with pytest.raises(ValidationFailed) as exc:
        _upload(dispatcher, _file(tmp_path, "", name="empty.csv"))
    assert exc.value.fields[0].field == "file"
    assert Ticket.objects.count() == 0


def test_a_too_large_file_is_refused_before_it_is_read(tmp_path, dispatcher, settings):
    settings.IMPORT_MAX_BYTES = 1024
    with pytest.raises(ValidationFailed) as exc:
        _upload(dispatcher, _sheet(tmp_path, ROWS * 20))
    assert exc.value.fields[0].code == "too_large"
    assert ImportBatch.objects.count() == 0


def test_a_file_no_mapping_matches(tmp_path, dispatcher):
    with pytest.raises(ValidationFailed) as exc:
        _upload(dispatcher, _file(tmp_path, "a,b,c\n1,2,3\n"))
    assert exc.value.fields[0].field == "mapping"


def test_binary_upload_names_the_file(tmp_path, dispatcher):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02binary" * 100)
    with pytest.raises(ValidationFailed) as exc:
        _upload(dispatcher, path)
    assert exc.value.fields[0].field == "file" and exc.value.fields[0].code == "binary"


def test_who_may_import_and_who_sees_batches(tmp_path, users):
    path = _sheet(tmp_path, ROWS[:1])
    with pytest.raises(Forbidden):
        _upload(users["intake_agent"], path)
    with pytest.raises(Forbidden):
        _upload(users["handler"], path)
    batch = _upload(users["dispatcher"], path)
    assert list(visible_batches(users["dispatcher"])) == [batch]
    assert list(visible_batches(users["supervisor"])) == [batch]  # same org unit subtree
    assert list(visible_batches(users["city_b_dispatcher"])) == []
    assert list(visible_batches(users["admin"])) == [batch]


# --- xlsx -----------------------------------------------------------------------------------

def _export_xlsx(tmp_path, rows, lang="zh-hans", title_row=True):
    from complaintdesk.workbench.exports import _headers

    with translation.override(lang):
        sheet = XlsxSheet("export")
        if title_row:
            sheet.row(["工单导出 2026-11"])  # a title row above the header (often merged across)
        sheet.header(_headers())
        for r in rows:
            sheet.row(r)
        path = tmp_path / "export.xlsx"
        with open(path, "wb") as f:
            sheet.save(f)
    return path


def test_our_own_export_is_recognised_and_read(tmp_path, dispatcher):
    rows = [
        ["TS202611030000001", "信号弱", "投诉", "信号弱", "", "一般", "否", "", "13800138002",
         dt.datetime(2026, 11, 3, 14, 5)],
        ["TS202611030000002", "网络差", "Complaint", "Weak signal", "", "General", "yes", "", 13800138003.0, 46329.5],
        [None, None, None],
    ]
    for lang in ("zh-hans", "en"):
        path = _export_xlsx(tmp_path, rows, lang=lang)
        batch = _upload(dispatcher, path, defaults={})
        assert (batch.mapping_name, batch.file_kind) == ("worklist-export", "xlsx")
    batch = batch_run(batch.pk)
    assert (batch.total_rows, batch.dry_created, batch.dry_failed) == (2, 2, 0), list(
        ImportRow.objects.filter(batch=batch).values_list("reasons", flat=True))
    batch_start(actor=dispatcher, batch_id=batch.pk, on_error="stop", queue=False)
    batch_run(batch.pk)
    second = Ticket.objects.get(title="网络差")
    assert (second.category.code, second.special, second.channel) == ("network-weak", True, "hotline")
    assert timezone.localtime(second.first_reported_at).replace(tzinfo=None) == dt.datetime(2026, 11, 3, 12, 0)


def test_formulas_take_the_saved_value_or_are_refused(tmp_path, dispatcher):
    from openpyxl import Workbook  # the test writes a formula on purpose; the product never does

    book = Workbook()
    ws = book.active
    ws.append(HEADER.split(","))
    ws.append(["ZB9", "李四", "13800138001", "甲", "话费", "退", "=TODAY()", "2026/11/18"])
    path = tmp_path / "formula.xlsx"
    book.save(path)
    batch = batch_run(_upload(dispatcher, path).pk)
    reasons = ImportRow.objects.get(batch=batch).reasons
    assert reasons[0]["field"] == "first_reported_at" and "=TODAY()" in reasons[0]["reason"]
    assert "转办时间" in reasons[0]["reason"]


# --- CLI --------------------------------------------------------------------------------------

def test_cli_dry_run_and_import(tmp_path, dispatcher):
    path = _sheet(tmp_path, ROWS, encoding="gb18030")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import", str(path), "--dry-run", "--user", "dispatcher", "--lang", "en",
                     "--default", "category=network-weak", "--default", "source_tier=12345", stdout=out, stderr=err)
    assert exit_.value.code == 1  # rows would fail
    text = out.getvalue()
    assert "would create 2" in text and "fail 2" in text and "row 3" in text and "联系电话" in text
    assert Ticket.objects.count() == 0
    with pytest.raises(SystemExit):
        call_command("import", str(path), "--mapping", "regulator-transfer", "--user", "dispatcher",
                     "--default", "category=network-weak", "--default", "source_tier=12345", stdout=out, stderr=err)
    assert Ticket.objects.count() == 2
    assert "created 2" in out.getvalue()


def test_an_admin_mapping_replaces_and_adds(tmp_path, dispatcher):
    ImportMapping.objects.create(
        name="vendor", label="Hotline vendor", source="vendor",
        columns=[["单号", "source_id"], ["内容", "description"], ["电话", "phone"], ["类别", "category"],
                 ["渠道", "channel"], ["日期", "first_reported_at"]],
        value_maps={"category": {"没信号": "network-weak"}, "channel": {"电话": "hotline"}},
        date_formats=["%d.%m.%Y"], defaults={"kind": "complaint"})
    path = _file(tmp_path, "单号,内容,电话,类别,渠道,日期\nV1,家里没信号,13800138001,没信号,电话,03.11.2026\n")
    batch = batch_run(_upload(dispatcher, path, defaults={}).pk)
    assert batch.mapping_name == "vendor" and batch.dry_created == 1, list(
        ImportRow.objects.filter(batch=batch).values_list("reasons", flat=True))


@pytest.mark.skipif(sys.platform == "win32", reason="posix paths")
def test_rows_are_streamed(tmp_path):
    # 20,000 rows read one at a time: the reader is a generator over the file.
    path = _sheet(tmp_path, [f"Z{i},李,13800138001,甲,话费{i},退,2026/11/3,15天" for i in range(20000)])
    it = reading.rows(str(path), reading.sniff(str(path)))
    assert next(it)[0] == 1
    assert sum(1 for _ in it) == 20000


# --- API and pages ----------------------------------------------------------------------------

def test_api_upload_report_and_start(tmp_path, dispatcher, token_for, client, django_capture_on_commit_callbacks):
    path = _sheet(tmp_path, ROWS, encoding="gbk")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(dispatcher)}", "HTTP_ACCEPT_LANGUAGE": "en"}
    with open(path, "rb") as f, django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/v1/imports", {"file": f, "defaults": '{"category": "network-weak", "source_tier": "12345"}'},
                        **auth)
    assert r.status_code == 201, r.content
    batch_id = r.json()["id"]
    r = client.get(f"/api/v1/imports/{batch_id}", **auth)
    body = r.json()
    assert body["state"] == "checked" and body["dry_run"] == {"create": 2, "skip": 0, "differ": 0, "fail": 2}
    assert [(x["row"], x["reasons"][0]["field"]) for x in body["rows"]] == [(3, "phone"), (5, "source_id")]
    r = client.post(f"/api/v1/imports/{batch_id}/start", {"on_error": "stop"}, content_type="application/json", **auth)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/imports/{batch_id}/start", {"on_error": "skip"}, content_type="application/json",
                        **auth)
    assert r.status_code == 200
    body = client.get(f"/api/v1/imports/{batch_id}", **auth).json()
    assert body["state"] == "done" and body["imported"]["create"] == 2 and body["progress"] == 1.0
    r = client.get(f"/api/v1/imports/{batch_id}/errors.xlsx", **auth)
    assert r.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:4] == [3, "ZB002", "联系电话", "phone"]


def test_api_refusals_in_the_error_shape(tmp_path, users, token_for, client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(users['intake_agent'])}", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    with open(_sheet(tmp_path, ROWS), "rb") as f:
        r = client.post("/api/v1/imports", {"file": f}, **auth)
    assert r.status_code == 403 and "派单员" in r.json()["error"]["message"]
    auth["HTTP_AUTHORIZATION"] = f"Bearer {token_for(users['dispatcher'])}"
    path = tmp_path / "x.csv"
    path.write_bytes(os.urandom(3000).replace(b"\n", b"") + b"\x00")
    with open(path, "rb") as f:
        r = client.post("/api/v1/imports", {"file": f}, **auth)
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["field"] == "file"
    other = batch_create(actor=users["city_b_dispatcher"], upload=open(_sheet(tmp_path, ROWS), "rb"),  # noqa: SIM115
                         defaults=DEFAULTS, queue=False)
    assert client.get(f"/api/v1/imports/{other.pk}", **auth).status_code == 404


def test_pages_upload_dry_run_and_progress(tmp_path, dispatcher, client, django_capture_on_commit_callbacks):
    client.force_login(dispatcher)
    assert client.get("/imports/").status_code == 200
    with open(_sheet(tmp_path, ROWS), "rb") as f, django_capture_on_commit_callbacks(execute=True):
        r = client.post("/imports/", {"file": f, "category": "network-weak", "source_tier": "12345"},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 302
    page = client.get(r["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "would create 2" in text and "联系电话" in text
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/start/", {"on_error": "skip"})
    r = client.get(f"/imports/{batch.pk}/progress/")
    assert r["HX-Refresh"] == "true" and 'value="100"' in r.content.decode()
    assert client.get(f"/imports/{batch.pk}/start/").status_code == 405  # no change on GET
    client.force_login(dispatcher.__class__.objects.get(username="agent"))
    assert client.get("/imports/").status_code == 403


def test_lists_and_reports_have_a_fixed_number_of_queries(tmp_path, dispatcher, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dispatcher)

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx)

    first = batch_run(_upload(dispatcher, _sheet(tmp_path, ROWS)).pk)
    one = (count("/imports/"), count(f"/imports/{first.pk}/"))
    many = [f"ZX{i},李四,123,甲,话费{i},退,2026/11/3,15天" for i in range(30)]
    for i in range(3):
        batch_run(_upload(dispatcher, _sheet(tmp_path, many, name=f"m{i}.csv")).pk)
    last = ImportBatch.objects.order_by("-id").first()
    assert (count("/imports/"), count(f"/imports/{last.pk}/")) == one


def test_the_timeline_names_the_batch_file_and_row(tmp_path, dispatcher, client):
    batch = batch_run(_upload(dispatcher, _sheet(tmp_path, ROWS[:1], name="转办单-11月.csv")).pk)
    batch_start(actor=dispatcher, batch_id=batch.pk, on_error="stop", queue=False)
    batch_run(batch.pk)
    ticket = Ticket.objects.get()
    client.force_login(dispatcher)
    text = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Imported from a file" in text and "转办单-11月.csv" in text and "ZB001" in text
