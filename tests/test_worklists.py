"""The staff worklists (/work/): which tickets each list holds for which role, counts, filters,
sort, keyset pages both ways, saved filters, the xlsx export, query counts and both languages."""

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from complaintdesk.sla.models import TicketClock
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.workbench import exports
from complaintdesk.workbench.models import SavedFilter
from complaintdesk.workbench.worklists import mask_phone, worklist_counts, worklist_get

pytestmark = pytest.mark.django_db
NUMBER = re.compile(r'<a href="/tickets/(\d+)/">')


def ids_on(response) -> list[int]:
    assert response.status_code == 200, response.content[:2000]
    return [int(x) for x in NUMBER.findall(response.content.decode())]


@pytest.fixture
def web(client):
    """Sign in as a user for the page requests: web(user).get(path, **params)."""

    class Browser:
        def __init__(self, user, lang="en"):
            self.user = user
            client.force_login(user)
            self.headers = {"HTTP_ACCEPT_LANGUAGE": lang}
            client.cookies.pop("django_language", None)

        def get(self, path, data=None, **extra):
            client.force_login(self.user)
            return client.get(path, data or {}, **self.headers, **extra)

        def post(self, path, data=None, **extra):
            client.force_login(self.user)
            return client.post(path, data or {}, **self.headers, **extra)

    return Browser


@pytest.fixture
def flow(org, make_ticket):
    """One ticket in each stage of the full path, plus others for scope checks."""
    u = org["users"]
    d = u["dispatcher"]

    def dispatched(**kw):
        ticket = make_ticket(**kw)
        t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
        t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
        return ticket

    def in_progress(**kw):
        ticket = dispatched(**kw)
        t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
        return ticket

    def awaiting_audit():
        ticket = in_progress()
        t.ticket_handle(ticket_id=ticket.pk, actor=u["handler"], notes="已核实，退还58元。", cause="service")
        return ticket

    registered = make_ticket()
    awaiting_dispatch = make_ticket()
    t.ticket_review(ticket_id=awaiting_dispatch.pk, actor=d, valid=True)
    to_ack = dispatched()
    handling = in_progress()
    audit = awaiting_audit()
    reply = awaiting_audit()
    t.ticket_audit(ticket_id=reply.pk, actor=d, approve=True)
    callback = awaiting_audit()
    t.ticket_audit(ticket_id=callback.pk, actor=d, approve=True)
    t.ticket_reply(ticket_id=callback.pk, actor=d, text="已退费。")
    closed = make_ticket()
    t.ticket_review(ticket_id=closed.pk, actor=d, valid=False, reason="重复", answer="已在处理。")
    network = dispatched(category="network-weak", elements={})
    major = make_ticket(severity="major")
    # Another customer: a customer's org unit is the default of their next tickets.
    city_b = make_ticket(org_unit="p-b", actor=u["city_b_dispatcher"], phone="13700137000")
    return {
        "registered": registered, "awaiting_dispatch": awaiting_dispatch, "to_ack": to_ack,
        "handling": handling, "audit": audit, "reply": reply, "callback": callback, "closed": closed,
        "network": network, "city_b": city_b, "major": major, "make_dispatched": dispatched,
    }


def _list(web, user, key, **params) -> list[int]:
    return ids_on(web(user).get(f"/work/{key}/", params))


# -- which tickets each list holds, for which role ------------------------------------------------


def test_centre_lists_hold_the_tickets_in_their_stage(org, web, flow):
    d = org["users"]["dispatcher"]
    f = flow
    # The province is the root: its dispatcher reviews city B's tickets too.
    assert set(_list(web, d, "to_review")) == {f["registered"].pk, f["major"].pk, f["city_b"].pk}
    assert _list(web, d, "to_dispatch") == [f["awaiting_dispatch"].pk]
    assert _list(web, d, "to_audit") == [f["audit"].pk]
    assert _list(web, d, "to_reply") == [f["reply"].pk]
    assert _list(web, d, "to_callback") == [f["callback"].pk]
    # The city B dispatcher sees only city B.
    b = org["users"]["city_b_dispatcher"]
    assert _list(web, b, "to_review") == [f["city_b"].pk]
    assert _list(web, b, "to_audit") == []


def test_department_lists_hold_only_what_the_department_holds(org, web, flow):
    u = org["users"]
    f = flow
    assert _list(web, u["handler"], "to_acknowledge") == [f["to_ack"].pk]
    assert set(_list(web, u["handler"], "to_handle")) == {f["handling"].pk}
    assert _list(web, u["network_handler"], "to_acknowledge") == [f["network"].pk]
    # A handler of another department sees nothing of billing's, in any list.
    for key in ("to_handle", "all", "at_risk", "overdue", "mine"):
        seen = set(_list(web, u["network_handler"], key))
        assert seen <= {f["network"].pk}, key
    # Centre lists are not department lists.
    assert web(u["handler"]).get("/work/to_review/").status_code == 404
    assert web(u["handler"]).get("/work/to_audit/").status_code == 404
    assert web(u["dispatcher"]).get("/work/to_acknowledge/").status_code == 404
    assert web(u["intake_agent"]).get("/work/to_audit/").status_code == 404
    assert web(u["handler"]).get("/work/nonsense/").status_code == 404


def test_named_assignee_and_department_head(org, web, make_ticket):
    u = org["users"]
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    # Dispatched to a named staff account: that person or the department head acts on it.
    t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department="billing", assignee="head")
    assert _list(web, u["handler"], "to_acknowledge") == []
    assert _list(web, u["dept_head"], "to_acknowledge") == [ticket.pk]
    assert _list(web, u["dept_head"], "mine") == [ticket.pk]


def test_assisting_department_list(org, web, flow):
    u = org["users"]
    handling = flow["handling"]
    t.ticket_co_handle(ticket_id=handling.pk, actor=u["handler"], departments=["network"])
    assert _list(web, u["network_handler"], "to_assist") == [handling.pk]
    assert _list(web, u["handler"], "to_assist") == []
    t.ticket_assist_input(ticket_id=handling.pk, actor=u["network_handler"], text="基站已修复。")
    assert _list(web, u["network_handler"], "to_assist") == []


def test_my_tickets_and_supervised(org, web, flow, make_ticket):
    u = org["users"]
    f = flow
    mine = set(_list(web, u["intake_agent"], "mine"))
    # Everything the agent registered that is still open (the invalid one is closed).
    open_registered = set(Ticket.objects.filter(owner=u["intake_agent"]).exclude(state="closed").values_list("id", flat=True))
    assert mine == open_registered and f["closed"].pk not in mine
    t.ticket_urge(ticket_id=f["handling"].pk, actor=u["dispatcher"], note="请尽快")
    assert _list(web, u["dispatcher"], "supervised") == [f["handling"].pk]
    # Supervisors also follow every major or special case in their scope.
    t.ticket_supervise(ticket_id=f["audit"].pk, actor=u["supervisor"])
    assert set(_list(web, u["supervisor"], "supervised")) == {f["audit"].pk, f["major"].pk}
    assert web(u["handler"]).get("/work/supervised/").status_code == 404


def test_leader_approves_plans(org, web, make_ticket):
    u = org["users"]
    ticket = make_ticket(category="billing-refund", elements={"account_phone": "13800138000"})
    t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
    t.ticket_submit_plan(ticket_id=ticket.pk, actor=u["handler"], plan="退还全部费用")
    assert _list(web, u["leader"], "to_approve") == [ticket.pk]
    assert web(u["dispatcher"]).get("/work/to_approve/").status_code == 404


def test_sales_leads_are_dispatched_by_the_intake_agent(org, web, make_ticket):
    u = org["users"]
    lead = make_ticket(kind="sales_lead", category="sales-broadband", elements={}, org_unit="p-a")
    complaint = make_ticket()
    t.ticket_review(ticket_id=complaint.pk, actor=u["dispatcher"], valid=True)
    assert _list(web, u["intake_agent"], "to_dispatch") == [lead.pk]
    assert set(_list(web, u["dispatcher"], "to_dispatch")) == {lead.pk, complaint.pk}


def test_at_risk_and_overdue(org, web, flow):
    u = org["users"]
    f = flow
    Ticket.objects.filter(pk=f["handling"].pk).update(sla_status="overdue")
    Ticket.objects.filter(pk=f["network"].pk).update(sla_status="at_risk")
    Ticket.objects.filter(pk=f["closed"].pk).update(sla_status="overdue")  # closed: not listed
    assert _list(web, u["dispatcher"], "overdue") == [f["handling"].pk]
    assert _list(web, u["dispatcher"], "at_risk") == [f["network"].pk]
    assert _list(web, u["handler"], "overdue") == [f["handling"].pk]
    assert _list(web, u["handler"], "at_risk") == []
    assert _list(web, u["network_handler"], "at_risk") == [f["network"].pk]
    page = web(u["dispatcher"]).get("/work/overdue/").content.decode()
    assert "badge-overdue" in page


def test_counts_match_the_lists(org, web, flow):
    for who in ("dispatcher", "handler", "network_handler", "intake_agent", "supervisor", "leader",
                "admin", "dept_head", "city_b_dispatcher"):
        user = org["users"][who]
        for entry in worklist_counts(user):
            if entry.count is None:
                continue
            assert len(_list(web, user, entry.key)) == entry.count, (who, entry.key)
    home = web(org["users"]["dispatcher"]).get("/work/").content.decode()
    assert "To review" in home and "To audit" in home and "My department" not in home


# -- filters, sort, pages --------------------------------------------------------------------------


def test_filters(org, web, flow, make_ticket):
    u = org["users"]
    d = u["dispatcher"]
    f = flow
    inquiry = make_ticket(kind="inquiry", category="inquiry-tariff", elements={}, channel="counter",
                          title="资费咨询套餐", phone="13912345678")
    everything = set(_list(web, d, "all"))
    assert inquiry.pk in everything and f["closed"].pk in everything
    assert _list(web, d, "all", kind="inquiry") == [inquiry.pk]
    assert _list(web, d, "all", channel="counter") == [inquiry.pk]
    assert _list(web, d, "all", category="inquiry") == [inquiry.pk]  # the subtree
    assert _list(web, d, "all", category="network") == [f["network"].pk]
    assert _list(web, d, "all", department="network") == [f["network"].pk]
    assert _list(web, d, "all", org_unit="p-b") == [f["city_b"].pk]
    assert _list(web, d, "all", state="closed") == [f["closed"].pk]
    assert set(_list(web, d, "all", state="")) == everything  # the select's "Any"
    assert set(_list(web, d, "all", state=["closed", "awaiting_audit"])) == {f["closed"].pk, f["audit"].pk}
    assert _list(web, d, "all", q="资费咨询") == [inquiry.pk]
    assert _list(web, d, "all", q="139 1234 5678") == [inquiry.pk]
    assert _list(web, d, "all", q="5678") == [inquiry.pk]
    assert _list(web, d, "all", q=inquiry.number[:-1] + inquiry.number[-1]) == [inquiry.pk]
    today = timezone.localdate()
    assert len(_list(web, d, "all", date_from=today.isoformat(), date_to=today.isoformat())) == len(everything)
    assert _list(web, d, "all", date_to=(today - dt.timedelta(days=1)).isoformat()) == []
    # Filters combine with the list's own condition.
    assert _list(web, d, "to_review", kind="inquiry") == [inquiry.pk]


def test_bad_filters_name_the_field_and_keep_the_input(org, web, flow):
    d = org["users"]["dispatcher"]
    r = web(d).get("/work/all/", {"category": "nope", "q": "话费", "date_from": "2026-13-01"})
    page = r.content.decode()
    assert r.status_code == 200
    assert "Registered from:" in page and 'value="话费"' in page
    assert '<option value="nope"' not in page  # unknown code: named, not offered
    r = web(d).get("/work/all/", {"kind": "inquiry", "category": "billing", "sort": "deadline", "state": "closed"})
    page = r.content.decode()
    for chosen in ('value="inquiry" selected', 'value="billing" selected', 'value="deadline" selected',
                   'value="closed" selected'):
        assert chosen in page, chosen
    r = web(d).get("/work/all/", {"category": "nope", "q": "话费"})
    assert "No category has this code." in r.content.decode()
    r = web(d).get("/work/all/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert "The end date is before the start date." in r.content.decode()
    r = web(d).get("/work/all/", {"cursor": "garbage"})
    assert "This cursor is not valid" in r.content.decode()
    r = web(d).get("/work/all/", {"sort": "-deadline", "cursor": _walk(web, d, "all", "-registered", 2)[1][0]})
    assert "This cursor is not valid" in r.content.decode()
    r = web(d).get("/work/all/", {"q": "a\x00b"})
    assert r.status_code == 200 and "Search:" in r.content.decode() and "<tbody>" not in r.content.decode()


def _walk(web, user, key, sort, size, **params):
    """Every page forwards: (ids in order, the cursors used)."""
    from complaintdesk.workbench.views import worklists as views

    old, views.PAGE_SIZE = views.PAGE_SIZE, size
    try:
        seen, cursors, cursor = [], [], ""
        while True:
            r = web(user).get(f"/work/{key}/", {"sort": sort, "cursor": cursor, **params})
            seen += ids_on(r)
            ctx = r.context
            cursor = ctx["page"].next_cursor
            if not cursor:
                return seen, cursors
            cursors.append(cursor)
    finally:
        views.PAGE_SIZE = old


@pytest.mark.parametrize("sort", ["-registered", "registered", "deadline", "-deadline", "severity", "-severity"])
def test_pages_lose_and_repeat_nothing_even_with_ties(org, web, make_ticket, sort):
    from complaintdesk.workbench.views import worklists as views

    d = org["users"]["dispatcher"]
    now = timezone.now()
    tickets = [make_ticket(severity=["simple", "general", "major"][i % 3]) for i in range(11)]
    for ticket in tickets[5:8]:  # some closed: the deadline order puts them after the open ones
        t.ticket_review(ticket_id=ticket.pk, actor=d, valid=False, reason="重复", answer="已在处理。")
    same = now - dt.timedelta(hours=1)
    for i, ticket in enumerate(tickets):
        # Ties on every key: three registration times, three deadlines, three severities.
        Ticket.objects.filter(pk=ticket.pk).update(created_at=same + dt.timedelta(minutes=i % 3))
        if i % 4 and not 5 <= i < 8:
            TicketClock.objects.create(ticket=ticket, clock="handle", started_at=same,
                                       due_at=now + dt.timedelta(hours=i % 3), state="running")
    seen, cursors = _walk(web, d, "all", sort, 3)
    assert sorted(seen) == sorted(x.pk for x in tickets)  # nothing lost, nothing repeated
    assert len(seen) == len(set(seen))
    rows = {x.pk: x for x in Ticket.objects.filter(pk__in=seen)}
    rank = {"simple": 0, "general": 1, "complex": 2, "major": 3}
    due = {c.ticket_id: c.due_at for c in TicketClock.objects.filter(ticket_id__in=seen)}
    desc = sort.startswith("-")
    if sort.endswith("registered"):
        keys = [(rows[i].created_at, i) for i in seen]
    elif sort.endswith("severity"):
        keys = [(rank[rows[i].severity], i) for i in seen]
    else:
        # Open tickets by their nearest deadline (none: last), then the closed ones.
        far = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) if desc else dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
        segment = {i: rows[i].state == "closed" for i in seen}
        assert [segment[i] for i in seen] == sorted(segment[i] for i in seen)
        keys = [(due.get(i) or far, i) for i in seen if not segment[i]] + [(far, i) for i in seen if segment[i]]
        assert keys[:8] == sorted(keys[:8], reverse=desc) and keys[8:] == sorted(keys[8:], reverse=desc)
        keys = sorted(keys[:8], reverse=desc) + keys[8:]
    if not sort.endswith("deadline"):
        assert keys == sorted(keys, reverse=desc)
    # The export lists the same rows in the same order.
    sheet = _sheet(web(d).get("/work/all/export.xlsx", {"sort": sort}))
    assert [r[0] for r in sheet[1:]] == [rows[i].number for i in seen]
    # Backwards from the last page gives the same pages in reverse.
    old, views.PAGE_SIZE = views.PAGE_SIZE, 3
    try:
        r = web(d).get("/work/all/", {"sort": sort, "cursor": cursors[-1]})
        back = ids_on(r)
        prev = r.context["page"].prev_cursor
        collected = back
        while prev:
            r = web(d).get("/work/all/", {"sort": sort, "cursor": prev})
            collected = ids_on(r) + collected
            assert r.context["page"].next_cursor
            prev = r.context["page"].prev_cursor
    finally:
        views.PAGE_SIZE = old
    assert collected == seen


def test_api_order_and_cursor_unchanged(org, api, make_ticket):
    for _ in range(5):
        make_ticket()
    page = api(org["users"]["dispatcher"]).get("/tickets?limit=2").json()
    assert page["next_cursor"] and len(page["items"]) == 2
    nxt = api(org["users"]["dispatcher"]).get(f"/tickets?limit=2&cursor={page['next_cursor']}").json()
    assert nxt["items"][0]["id"] < page["items"][-1]["id"]


def test_row_shows_deadline_time_left_and_masked_phone(org, web, make_ticket):
    d = org["users"]["dispatcher"]
    ticket = make_ticket(phone="13912345678", contact_phone="13912345678")
    TicketClock.objects.create(ticket=ticket, clock="ticket", started_at=timezone.now(),
                               due_at=timezone.now() + dt.timedelta(hours=5, minutes=30), state="running")
    page = web(d).get("/work/all/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert re.search(r"5 h (29|30) min left", page)
    assert "Ticket deadline" in page
    assert mask_phone("+862012345678") == "020****5678"
    assert mask_phone("") == ""


def test_htmx_request_gets_only_the_table(org, web, flow):
    d = org["users"]["dispatcher"]
    full = web(d).get("/work/all/")
    part = web(d).get("/work/all/", {"kind": "complaint"}, HTTP_HX_REQUEST="true",
                      HTTP_HX_TARGET="worklist-results")
    assert "<html" in full.content.decode() and "<html" not in part.content.decode()
    assert 'id="id_kind"' not in part.content.decode()
    assert ids_on(part) and "HX-Request" in part["Vary"]
    restore = web(d).get("/work/all/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="worklist-results",
                         HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


def test_get_never_changes_state(org, web, flow):
    d = org["users"]["dispatcher"]
    before = list(Ticket.objects.order_by("id").values_list("id", "state", "version", "updated_at"))
    events = TicketEvent.objects.count()
    for path in ("/work/", "/work/all/", "/work/to_review/", "/work/all/export.xlsx"):
        assert web(d).get(path).status_code == 200
    assert web(d).get("/work/saved/").status_code == 405
    assert web(d).get("/work/saved/1/delete/").status_code == 405
    assert list(Ticket.objects.order_by("id").values_list("id", "state", "version", "updated_at")) == before
    assert TicketEvent.objects.count() == events and SavedFilter.objects.count() == 0


def test_signed_out_is_sent_to_sign_in(client, org):
    r = client.get("/work/")
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert client.get("/work/all/export.xlsx").status_code == 302


# -- saved filters --------------------------------------------------------------------------------


def test_saved_filters_crud_and_privacy(org, web, flow):
    u = org["users"]
    me = web(u["dispatcher"])
    r = me.post("/work/saved/", {"name": "计费投诉", "worklist": "all", "query": "kind=complaint&category=billing"})
    assert r.status_code == 302 and r["Location"] == "/work/all/?kind=complaint&category=billing"
    saved = SavedFilter.objects.get()
    assert saved.owner == u["dispatcher"]
    assert "计费投诉" in me.get("/work/all/").content.decode()
    assert "计费投诉" in me.get("/work/").content.decode()
    # Saving under the same name replaces it.
    me.post("/work/saved/", {"name": "计费投诉", "worklist": "to_review", "query": "kind=complaint"})
    saved.refresh_from_db()
    assert SavedFilter.objects.count() == 1 and saved.worklist == "to_review"
    # Someone else neither sees nor deletes it.
    other = web(u["supervisor"])
    assert "计费投诉" not in other.get("/work/all/").content.decode()
    assert other.post(f"/work/saved/{saved.pk}/delete/").status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    # A list the owner does not have cannot be saved.
    assert web(u["handler"]).post("/work/saved/", {"name": "x", "worklist": "to_review", "query": ""}).status_code == 404
    # Mine goes.
    r = me.post(f"/work/saved/{saved.pk}/delete/", {"next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/work/"
    assert not SavedFilter.objects.exists()


def test_saving_without_a_name_keeps_the_filters(org, web, flow):
    r = web(org["users"]["dispatcher"]).post("/work/saved/", {"name": "  ", "worklist": "all", "query": "q=话费&kind=complaint"})
    page = r.content.decode()
    assert r.status_code == 422
    assert "Give the filter a name." in page and 'value="话费"' in page
    assert not SavedFilter.objects.exists()


def test_saved_filter_needs_csrf(org, flow):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(org["users"]["dispatcher"])
    assert c.post("/work/saved/", {"name": "x", "worklist": "all", "query": ""}).status_code == 403


# -- export ---------------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(wb.active.iter_rows(values_only=True))


def test_export_holds_the_list_in_scope_with_its_filters(org, web, flow):
    u = org["users"]
    rows = _sheet(web(u["dispatcher"]).get("/work/all/export.xlsx", {"category": "network"}))
    assert rows[0][0] == "Ticket number" and len(rows) == 2 and rows[1][0] == flow["network"].number
    rows = _sheet(web(u["network_handler"]).get("/work/all/export.xlsx"))
    assert [r[0] for r in rows[1:]] == [flow["network"].number]
    rows = _sheet(web(u["dispatcher"]).get("/work/to_review/export.xlsx", {"sort": "registered"}))
    assert [r[0] for r in rows[1:]] == [flow[k].number for k in ("registered", "major", "city_b")]
    assert rows[1][4] == "Registered, awaiting review" and rows[1][8] == "138****8000"
    zh = _sheet(web(u["dispatcher"], lang="zh-hans").get("/work/to_review/export.xlsx"))
    assert zh[0][0] == "工单编号" and zh[1][4] == "已受理，待复核"


def test_export_is_capped_and_says_so(org, web, flow, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 3)
    r = web(org["users"]["dispatcher"]).get("/work/all/export.xlsx")
    assert r["X-Export-Capped"] == "1" and r["X-Export-Rows"] == "3"
    rows = _sheet(r)
    assert len([x for x in rows[1:] if x and x[0] and x[0].startswith(("C", "c")) is not None]) >= 3
    assert "Only the first 3 rows are exported" in rows[-1][0]


# -- query counts ---------------------------------------------------------------------------------


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who,path,extra", [
    ("dispatcher", "/work/", {}),
    ("dispatcher", "/work/all/", {}),
    ("dispatcher", "/work/all/?category=billing&org_unit=p&department=billing&q=话费&sort=deadline", {}),
    ("dispatcher", "/work/all/?sort=-severity", {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "worklist-results"}),
    ("handler", "/work/", {}),
    ("handler", "/work/to_handle/", {}),
    ("handler", "/work/at_risk/", {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "worklist-results"}),
    ("dispatcher", "/work/all/export.xlsx?sort=deadline", {}),
    ("handler", "/work/to_handle/export.xlsx", {}),
])
def test_query_counts_do_not_grow(org, client, make_ticket, who, path, extra):
    u = org["users"]
    client.force_login(u[who])
    browser = client

    def grow(n):
        for i in range(n):
            ticket = make_ticket(severity=["simple", "major"][i % 2])
            t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
            t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"])
            t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
            TicketClock.objects.create(ticket=ticket, clock="handle", started_at=timezone.now(),
                                       due_at=timezone.now() + dt.timedelta(hours=i), state="running")
        Ticket.objects.update(sla_status="at_risk")
        SavedFilter.objects.create(owner=u[who], name=f"f{SavedFilter.objects.count()}", worklist="all", query="")

    grow(2)
    extra = {"HTTP_ACCEPT_LANGUAGE": "en", **extra}
    browser.get(path, **extra)  # warm the per-process caches
    small = _queries(lambda: browser.get(path, **extra))
    grow(25)
    large = _queries(lambda: browser.get(path, **extra))
    assert small == large
    assert large <= 14, large


def test_counts_are_one_query(org, make_ticket, flow):
    user = org["users"]["dispatcher"]
    user.org_unit  # noqa: B018 - loaded, as the request's user has it after the first use
    with CaptureQueriesContext(connection) as ctx:
        entries = worklist_counts(user)
    assert len(ctx.captured_queries) == 1
    assert {e.key for e in entries} >= {"to_review", "to_dispatch", "to_audit", "to_reply", "to_callback"}
    assert worklist_get(user, "all").worklist.counted is False


# -- both languages -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang,words", [
    ("en", ["Worklists", "To review", "Export to Excel (xlsx)"]),
    ("zh-hans", ["待复核", "导出"]),
])
def test_both_languages_render(org, web, flow, lang, words):
    browser = web(org["users"]["dispatcher"], lang=lang)
    text = browser.get("/work/").content.decode() + browser.get("/work/to_review/").content.decode()
    for word in words:
        assert word in text, word


@pytest.mark.parametrize("params", [
    {"cursor": "a" * 400}, {"cursor": "azw="}, {"cursor": "ay18LXJlZ2lzdGVyZWR8bnx4fDE"}, {"sort": "id"},
    {"state": "nope"}, {"kind": "nope"}, {"channel": "x"}, {"date_from": "9999-12-31"},
    {"date_to": "0001-01-01"}, {"date_from": "1969-12-31"}, {"q": "x" * 101}, {"q": "+86 138 0013 8000"},
    {"q": "%_\\'\""}, {"category": "\x00"}, {"department": "x" * 65}, {"org_unit": "nope"},
    {"sort": "deadline", "cursor": "ay18ZGVhZGxpbmV8bnwyMDI2LTEzLTAxfDE"},
])
def test_odd_parameters_never_fail(org, web, flow, params):
    for path in ("/work/all/", "/work/to_review/"):
        r = web(org["users"]["dispatcher"]).get(path, params)
        assert r.status_code == 200, (params, r.status_code)
        r = web(org["users"]["dispatcher"]).get(path + "export.xlsx", params)
        assert r.status_code in (200, 422), (params, r.status_code)


def test_department_counts_follow_what_it_holds_now(org, web, flow):
    u = org["users"]
    moved = flow["to_ack"]
    t.ticket_transfer(ticket_id=moved.pk, actor=u["dispatcher"], department="network", reason="属网络问题")
    Ticket.objects.filter(pk=moved.pk).update(sla_status="overdue")
    for who in ("handler", "dept_head", "network_handler"):
        user = u[who]
        for entry in worklist_counts(user):
            if entry.count is not None:
                assert len(_list(web, user, entry.key)) == entry.count, (who, entry.key)
    counts = {e.key: e.count for e in worklist_counts(u["handler"])}
    assert counts["to_acknowledge"] == 0 and counts["overdue"] == 0
    assert moved.pk in _list(web, u["handler"], "all")  # still visible: it was billing's once
    counts = {e.key: e.count for e in worklist_counts(u["network_handler"])}
    assert counts["to_acknowledge"] == 2 and counts["overdue"] == 1
