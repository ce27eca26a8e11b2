"""An import with errors, in the browser: upload a regulator transfer sheet with an invalid
phone number and a repeated id, see the dry run's progress and then its report (row, column,
reason, in the user's language), start the import of the valid rows and watch the progress bar
(htmx polling) reach 100 %. The job is run by the test, not by the request, so that the page
is seen while it waits; everything else is the real page. Screenshots: docs/screenshots/import-*.png."""

import pytest
from browserkit import tr
from playwright.sync_api import expect

from complaintdesk.imports.models import ImportBatch
from complaintdesk.imports.services import batches
from complaintdesk.tickets.models import Ticket

SHEET = "\n".join([
    "转办编号,投诉人,联系电话,被投诉单位,投诉内容,诉求,转办时间,办理时限",
    "ZB001,李四,13800138001,甲市营业厅,十月话费多扣58元,退还多扣费用,2026年11月3日 14:05,2026/11/18",
    "ZB002,王五,123,乙市营业厅,信号很差,尽快修复,2026/11/3,15天",
    "ZB003,赵六,13900139000,甲市营业厅,家里没有信号,派人检查,2026-11-04 09:30,15个工作日",
    "ZB001,李四,13800138001,甲市营业厅,十月话费多扣58元,退还多扣费用,2026年11月3日 14:05,2026/11/18",
]) + "\n"


@pytest.fixture
def queued(monkeypatch):
    """The jobs the pages queue, held for the test to run (no worker in the test)."""
    held: list[int] = []
    monkeypatch.setattr(batches, "enqueue", held.append)
    return held


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_import_with_errors_dry_run_and_progress(people, users, queued, tmp_path, lang):
    path = tmp_path / "转办单.csv"
    path.write_bytes(SHEET.encode("gbk"))
    me = people(lang).login("dispatcher")
    me.goto("/imports/")
    page = me.page
    page.get_by_label(tr(lang, "File (xlsx or csv)")).set_input_files(str(path))
    page.get_by_label(tr(lang, "Category code")).fill("network-weak")
    page.get_by_label(tr(lang, "Transferred by")).select_option("12345")
    me.axe("imports-upload")
    with page.expect_navigation():
        page.get_by_role("button", name=tr(lang, "Upload and check")).click()
    batch = ImportBatch.objects.get()
    assert queued == [batch.pk]
    # The dry run waits for its job: the page says so and polls.
    progress = page.locator("#import-progress")
    expect(progress).to_contain_text(tr(lang, "Dry run in progress"))
    assert progress.get_attribute("hx-trigger") == "every 1s"

    batches.batch_run(batch.pk)
    # The poll sees it finished and reloads the page with the report.
    summary = page.locator(".import-summary")
    expect(summary).to_be_visible()
    numbers = {"total": "4", "create": "2", "fail": "2"}
    for n in numbers.values():
        assert n in summary.inner_text()
    report = page.locator("table.import-rows")
    expect(report).to_contain_text("联系电话")
    expect(report).to_contain_text("ZB002")
    rows = report.locator("tbody tr")
    assert rows.count() == 2 and rows.nth(0).locator("td").first.inner_text() == "3"
    assert rows.nth(1).locator("td").first.inner_text() == "5"
    me.axe("imports-dry-run")
    me.shot(f"import-dry-run-{lang}")
    # "Stop on any error" is not offered: the dry run found invalid rows.
    assert page.get_by_role("button", name=tr(lang, "Import, stop on any error")).count() == 0

    with page.expect_navigation():
        page.locator(".import-start button[value=skip]").click()
    bar = page.locator("#import-progress progress")
    expect(bar).to_have_attribute("value", "0")
    expect(page.locator("#import-progress")).to_contain_text(tr(lang, "Waiting for a worker"))
    me.shot(f"import-progress-{lang}")
    batches.batch_run(batch.pk)
    expect(page.locator("#import-progress")).to_contain_text(tr(lang, "Imported"))
    expect(page.locator("#import-progress progress")).to_have_attribute("value", "100")
    assert page.locator("#import-progress").get_attribute("hx-trigger") is None  # polling stopped
    assert Ticket.objects.filter(channel="regulator_transfer").count() == 2
    me.guard.check()
