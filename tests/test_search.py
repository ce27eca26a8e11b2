"""Full-text search: the index is written with the text, the selector finds, ranks and
highlights on both databases, scoped to the viewer; bad input gets a clear answer."""

import pytest
from django.utils import translation

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.search.conditions import highlight, text_query
from complaintdesk.search.models import SearchDocument
from complaintdesk.tickets.selectors import TicketFilters, ticket_list
from complaintdesk.tickets.services.transitions import (
    ticket_acknowledge,
    ticket_dispatch,
    ticket_handle,
    ticket_review,
)

pytestmark = pytest.mark.django_db


def found(viewer, q, **filters):
    return [t.pk for t in ticket_list(viewer=viewer, filters=TicketFilters(q=q, **filters)).items]


def test_a_registered_ticket_is_found_by_its_words(make_ticket, users):
    t = make_ticket(title="刹车异响", description="新车刹车时有异响，4S店说正常。")
    other = make_ticket(title="话费多扣", description="质量很差的服务")
    doc = SearchDocument.objects.get(ticket=t)
    assert "刹车" in doc.title.split() and "异响" in doc.body.split()
    admin = users["admin"]
    assert found(admin, "刹车异响") == [t.pk]
    assert found(admin, "异响") == [t.pk]
    assert found(admin, "质量") == [other.pk]
    assert found(admin, "张三") == sorted([t.pk, other.pk], reverse=True) or set(found(admin, "张三")) == {t.pk, other.pk}
    assert found(admin, "根本不存在的词汇") == []


def test_ticket_number_and_phone_still_match_exactly(make_ticket, users):
    t = make_ticket(phone="13912345678")
    make_ticket(phone="13800138000")
    admin = users["admin"]
    assert found(admin, t.number) == [t.pk]
    assert found(admin, t.number[:10]) and t.pk in found(admin, t.number[:10])
    for form in ("13912345678", "139 1234 5678", "+86 139-1234-5678", "(+86)13912345678", "１３９１２３４５６７８"):
        assert found(admin, form) == [t.pk], form


def test_ranked_best_match_first_and_paged_by_rank(make_ticket, users):
    weak = make_ticket(title="话费问题", description="顺便说一下退款的事")
    strong = make_ticket(title="退款", description="要求退款，退款一直没到账")
    page = ticket_list(viewer=users["admin"], filters=TicketFilters(q="退款"), limit=1)
    assert [t.pk for t in page.items] == [strong.pk]
    nxt = ticket_list(viewer=users["admin"], filters=TicketFilters(q="退款"), limit=1, cursor=page.next_cursor)
    assert [t.pk for t in nxt.items] == [weak.pk]
    assert nxt.next_cursor is None


def test_handling_notes_are_indexed_in_the_same_transaction(make_ticket, users):
    t = make_ticket(title="网络慢", category="network-weak", kind="complaint", elements={})
    assert found(users["admin"], "基站") == []
    ticket_review(ticket_id=t.pk, actor=users["dispatcher"], valid=True)
    ticket_dispatch(ticket_id=t.pk, actor=users["dispatcher"], department="network")
    ticket_acknowledge(ticket_id=t.pk, actor=users["network_handler"])
    ticket_handle(ticket_id=t.pk, actor=users["network_handler"], notes="更换了小区基站的天线", cause="network")
    assert found(users["admin"], "基站天线") == [t.pk]


def test_a_handler_never_finds_another_departments_ticket(make_ticket, users):
    mine = make_ticket(title="退款未到账", category="billing-overcharge")
    theirs = make_ticket(title="退款信号差", category="network-weak", elements={})
    for t, dept in ((mine, "billing"), (theirs, "network")):
        ticket_review(ticket_id=t.pk, actor=users["dispatcher"], valid=True)
        ticket_dispatch(ticket_id=t.pk, actor=users["dispatcher"], department=dept)
    assert found(users["handler"], "退款") == [mine.pk]
    assert found(users["network_handler"], "退款") == [theirs.pk]
    assert found(users["handler"], theirs.number) == []
    assert found(users["handler"], "13800138000") == [mine.pk]
    # and the other filters still apply on top
    assert found(users["admin"], "退款", kind="inquiry") == []


@pytest.mark.parametrize("raw, message", [
    ("退" * 201, "at most 200"),
    ("a\x00b", "NUL"),
    ("！！？？", "Nothing to search for"),
    ("\u200b\u200e", None),  # only invisible characters: no condition at all
])
def test_bad_queries_get_a_clear_answer(raw, message):
    translation.activate("en")
    if message is None:
        assert text_query(raw).empty
        return
    with pytest.raises(ValidationFailed) as err:
        text_query(raw)
    assert message in str(err.value.message) and err.value.fields[0].field == "q"


def test_odd_unicode_is_searched_not_refused(make_ticket, users):
    t = make_ticket(title="ＶＩＰ客户 café 😀 退款")
    admin = users["admin"]
    assert found(admin, "vip") == [t.pk]
    assert found(admin, "CAFÉ") == [t.pk]
    assert found(admin, "😀 退款") == [t.pk]
    assert found(admin, "'\" OR 1=1 --") == []
    assert found(admin, 'NEAR(a b) AND "x') == []


def test_highlight_marks_words_and_escapes_html():
    html = highlight("<b>退款</b> 一直没有退款到账", ["退款"])
    assert html == "&lt;b&gt;<mark>退款</mark>&lt;/b&gt; 一直没有<mark>退款</mark>到账"
    assert highlight("ＶＩＰ退款", ["vip"]) == "<mark>ＶＩＰ</mark>退款"
    long = "无关" * 100 + "退款" + "无关" * 100
    snippet = highlight(long, ["退款"])
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>退款</mark>" in snippet


def test_api_q_is_ranked_scoped_and_documented(make_ticket, users, api, client):
    weak = make_ticket(title="话费问题", description="顺便说一下退款的事")
    strong = make_ticket(title="退款", description="要求退款，退款一直没到账")
    r = api(users["admin"]).get("/tickets?q=退款")
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["items"]] == [strong.pk, weak.pk]
    assert api(users["network_handler"]).get("/tickets?q=退款").json()["items"] == []
    r = api(users["admin"], lang="zh-hans").get("/tickets?q=" + "退" * 10_000)
    assert r.status_code == 422 and "200" in r.content.decode()
    r = api(users["admin"]).get("/tickets?q=%EF%BC%81%EF%BC%81")  # ！！
    assert r.status_code == 422 and "Nothing to search for" in r.content.decode()
    schema = client.get("/api/v1/openapi.json").json()
    params = {p["name"] for p in schema["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert "q" in params


def test_search_page_highlights_in_both_languages_and_is_scoped(make_ticket, users, client):
    t = make_ticket(title="刹车异响", description="新车<script>刹车</script>时有异响")
    client.force_login(users["admin"])
    r = client.get("/search/", {"q": "刹车异响"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = r.content.decode()
    assert r.status_code == 200 and t.number in html
    assert "<mark>刹车</mark>" in html and "<mark>异响</mark>" in html
    assert "&lt;script&gt;" in html and "<script>刹车" not in html
    assert "搜索" in html
    r = client.get("/search/", {"q": "刹车异响"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Search tickets" in r.content.decode()
    client.force_login(users["network_handler"])
    r = client.get("/search/", {"q": "刹车异响"}, HTTP_ACCEPT_LANGUAGE="en")
    assert t.number not in r.content.decode()
    assert "No ticket you may see" in r.content.decode()


@pytest.mark.parametrize("q", ["退" * 10_000, "！！", "\u202e\u0000x"])
def test_search_page_bad_input_is_a_clear_422(users, client, q):
    client.force_login(users["admin"])
    r = client.get("/search/", {"q": q}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert 'role="alert"' in r.content.decode()


def test_search_page_queries_do_not_grow(make_ticket, users, client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["admin"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/search/", {"q": "话费"}).status_code == 200
        return len(ctx.captured_queries)

    make_ticket()
    few = count()
    for _ in range(6):
        make_ticket()
    assert count() == few


def test_reindex_rebuilds_and_resumes(make_ticket, users):
    from io import StringIO

    from django.core.management import call_command

    from complaintdesk.search.models import ReindexRun

    first = make_ticket(title="宽带断网")
    second = make_ticket(title="宽带退款")
    SearchDocument.objects.all().delete()
    assert found(users["admin"], "宽带") == []
    # a run that stopped after the first ticket resumes after it
    ReindexRun.objects.create(started_at=first.created_at, last_ticket_id=first.pk, done=1)
    out, err = StringIO(), StringIO()
    call_command("search_reindex", "--batch", "1", stdout=out, stderr=err)
    assert found(users["admin"], "宽带") == [second.pk]
    assert "resuming after ticket id" in out.getvalue() and "100.0%" in err.getvalue()
    call_command("search_reindex", "--restart", stdout=out, stderr=err)
    assert set(found(users["admin"], "宽带")) == {first.pk, second.pk}
    assert ReindexRun.objects.filter(finished_at__isnull=True).count() == 0


def test_customer_name_set_later_reaches_earlier_tickets(make_ticket, users):
    t = make_ticket(customer_name="", phone="13700001111")
    assert found(users["admin"], "李四") == []
    make_ticket(customer_name="李四", phone="13700001111")
    assert t.pk in found(users["admin"], "李四")


def test_ledger_search_and_the_admin_use_the_index(make_ticket, users, client, django_user_model):
    import datetime as dt

    from complaintdesk.sla.models import LedgerEntry, TicketClock
    from complaintdesk.sla.selectors import ledger_search
    from complaintdesk.sla.services.ledger import ledger_enter_breaches
    from complaintdesk.sla.vocabulary import ClockType

    t = make_ticket(title="宽带装机超时", description="约定装机时间已过")
    clock = TicketClock.objects.filter(ticket=t).first() or TicketClock.objects.create(
        ticket=t, clock=ClockType.HANDLE, started_at=t.created_at, due_at=t.created_at + dt.timedelta(hours=1))
    ledger_enter_breaches(breaches=[(clock, type(t).objects.select_related(
        "category", "org_unit", "owner", "lead_department", "lead_assignee", "customer").get(pk=t.pk))],
        now=t.created_at + dt.timedelta(days=2))
    assert LedgerEntry.objects.filter(ticket=t).exists()
    assert "装机" in SearchDocument.objects.get(ticket=t).ledger.split()
    assert [e.ticket_id for e in ledger_search(viewer=users["admin"], q="装机超时").items] == [t.pk]
    assert ledger_search(viewer=users["admin"], q="没有这个词").items == []
    client.force_login(django_user_model.objects.create_superuser(
        username="root", password="pw-for-tests-1", role="admin", org_unit=users["admin"].org_unit))
    r = client.get("/admin/tickets/ticket/", {"q": "装机"})
    assert r.status_code == 200 and t.number in r.content.decode()
    r = client.get("/admin/sla/ledgerentry/", {"q": "装机"})
    assert r.status_code == 200 and t.number in r.content.decode()
    r = client.get("/admin/tickets/ticket/", {"q": "！！"})
    assert r.status_code == 200 and t.number not in r.content.decode()


def test_a_very_common_word_is_ranked_among_the_newest(make_ticket, users, monkeypatch):
    from django.db import connection

    from complaintdesk.search import conditions

    if connection.vendor != "postgresql":
        pytest.skip("the rank window uses PostgreSQL's statistics")
    old = make_ticket(title="退款退款退款", description="退款")
    newer = [make_ticket(title="退款", description="另外的事") for _ in range(3)]
    stats = conditions._Stats(share={"退款": 0.5}, unknown=0.001, total=10_000, at=1e18)
    monkeypatch.setattr(conditions, "_stats", lambda: stats)
    monkeypatch.setattr(conditions, "RANK_WINDOW", 1)  # window = 1 / 0.5: from the 3rd newest on
    got = found(users["admin"], "退款")
    assert got == [newer[2].pk, newer[1].pk] or set(got) == {newer[2].pk, newer[1].pk}
    assert old.pk not in got
    assert found(users["network_handler"], "退款") == []


@pytest.mark.parametrize("q", ["话费", "13800138000"])
def test_worklist_and_api_searches_have_a_fixed_number_of_queries(make_ticket, users, client, api, q):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["dispatcher"])
    caller = api(users["dispatcher"])

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get("/work/all/", {"q": q}).status_code == 200
        with CaptureQueriesContext(connection) as listing:
            assert caller.get(f"/tickets?q={q}").status_code == 200
        return len(page.captured_queries), len(listing.captured_queries)

    make_ticket()
    counts()  # warm: per-process caches (calendars, statistics)
    few = counts()
    for _ in range(8):
        make_ticket()
    assert counts() == few
