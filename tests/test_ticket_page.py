"""The ticket page: what it shows, only the actions the viewer may take, each form reaching
its service, stale pages, scope, GET never changing anything, and fixed query counts."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaintdesk.tickets.facts import actor_facts, ticket_facts
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.workflow import allowed_actions


def page_url(ticket):
    return reverse("workbench:ticket", args=[ticket.pk])


def act_url(ticket, slug):
    return reverse("workbench:ticket_action", args=[ticket.pk, slug])


@pytest.fixture
def as_user(client):
    def login(user, lang="en"):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client
    return login


def shown_actions(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def expected_actions(user, ticket) -> set[str]:
    ticket = Ticket.objects.select_related("org_unit").get(pk=ticket.pk)
    facts = ticket_facts(ticket, list(Assignment.objects.filter(ticket=ticket)))
    return {a.value for a in allowed_actions(actor_facts(user), facts)}


def test_page_renders(org, make_ticket, as_user):
    users = org["users"]
    ticket = make_ticket()
    r = as_user(users["dispatcher"]).get(page_url(ticket))
    assert r.status_code == 200
    html = r.content.decode()
    assert ticket.number in html
    assert shown_actions(html) == expected_actions(users["dispatcher"], ticket)


# -- bringing a ticket to a state through the services ----------------------------------------

def walk(users, ticket, state):
    """Take `ticket` along the full path up to `state` (the services, as the right people)."""
    tid = ticket.pk
    steps = [
        ("awaiting_dispatch", lambda: t.ticket_review(ticket_id=tid, actor=users["dispatcher"], valid=True)),
        ("dispatched", lambda: t.ticket_dispatch(ticket_id=tid, actor=users["dispatcher"])),
        ("in_progress", lambda: t.ticket_acknowledge(ticket_id=tid, actor=users["handler"])),
        ("awaiting_audit", lambda: t.ticket_handle(ticket_id=tid, actor=users["handler"], notes="已核实并退费", cause="service")),
        ("awaiting_reply", lambda: t.ticket_audit(ticket_id=tid, actor=users["dispatcher"], approve=True)),
        ("awaiting_callback", lambda: t.ticket_reply(ticket_id=tid, actor=users["intake_agent"], text="已退费")),
        ("closed", lambda: t.ticket_callback(ticket_id=tid, actor=users["intake_agent"], satisfaction="satisfied")),
        ("archived", lambda: t.ticket_archive(ticket_id=tid, actor=users["dispatcher"])),
    ]
    for _target, step in steps:
        if Ticket.objects.get(pk=tid).state == state:
            break
        step()
    ticket.refresh_from_db()
    assert ticket.state == state
    return ticket


STATES = ["registered", "awaiting_dispatch", "dispatched", "in_progress", "awaiting_audit",
          "awaiting_reply", "awaiting_callback", "closed", "archived"]


@pytest.mark.parametrize("state", STATES)
def test_page_shows_exactly_the_allowed_actions(org, make_ticket, as_user, state):
    users = org["users"]
    ticket = walk(users, make_ticket(), state)
    for name in ("intake_agent", "dispatcher", "handler", "dept_head", "supervisor", "leader",
                 "admin", "network_handler", "city_b_dispatcher"):
        user = users[name]
        r = as_user(user).get(page_url(ticket))
        visible = Ticket.objects.filter(pk=ticket.pk).exists() and r.status_code == 200
        if not visible:
            assert r.status_code == 404, name
            continue
        assert shown_actions(r.content.decode()) == expected_actions(user, ticket), (name, state)


def test_plan_approval_actions(org, make_ticket, as_user):
    users = org["users"]
    ticket = walk(users, make_ticket(category="billing-refund", elements={"account_phone": "13800138000"}), "in_progress")
    html = as_user(users["handler"]).get(page_url(ticket)).content.decode()
    assert "submit_plan" in shown_actions(html)
    t.ticket_submit_plan(ticket_id=ticket.pk, actor=users["handler"], plan="退还58元")
    html = as_user(users["leader"]).get(page_url(ticket)).content.decode()
    assert {"approve_plan", "reject_plan"} <= shown_actions(html)
    assert shown_actions(html) == expected_actions(users["leader"], ticket)


def test_out_of_scope_viewer_gets_404(org, make_ticket, as_user):
    users = org["users"]
    ticket = walk(users, make_ticket(), "dispatched")
    client = as_user(users["network_handler"])
    assert client.get(page_url(ticket)).status_code == 404
    r = client.post(act_url(ticket, "acknowledge"), {"acknowledge-expected_version": ticket.version})
    assert r.status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == "dispatched"
    assert as_user(users["city_b_dispatcher"]).get(page_url(ticket)).status_code == 404
    assert client.post(act_url(ticket, "no-such-action"), {}).status_code == 404


def test_sign_in_required(client, org, make_ticket):
    ticket = make_ticket()
    r = client.get(page_url(ticket))
    assert r.status_code == 302 and "/login/" in r.url


# -- every action form reaches its service -------------------------------------------------------

def _in_future(days=2):
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _co_handled(users, ticket):
    walk(users, ticket, "in_progress")
    t.ticket_co_handle(ticket_id=ticket.pk, actor=users["handler"], departments=["network"])


def _waiting(users, ticket):
    walk(users, ticket, "in_progress")
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["handler"], question="请提供账单截图")


def _awaiting_approval(users, ticket):
    walk(users, ticket, "in_progress")
    t.ticket_submit_plan(ticket_id=ticket.pk, actor=users["handler"], plan="退还58元")


def _linked_repeat(users, ticket):
    from complaintdesk.tickets.models import Ticket
    from complaintdesk.tickets.services.intake import ticket_register
    from tests.conftest import draft

    first, _ = ticket_register(actor=users["intake_agent"], draft=draft(phone="13900139000"))
    Ticket.objects.filter(pk=ticket.pk).update(repeat_of=first)


REFUND = {"category": "billing-refund", "elements": {"account_phone": "13800138000"}}
SPECIAL = {"description": "再不退费我就找记者曝光。"}
HISTORY = ["earlier_tickets", "people_involved", "contact_history", "commitments"]

# slug, setup (a state or a function), ticket overrides, who, form data, event expected, state after
def _regulator_transfer(users, ticket):
    """An NFRA transfer (issue 10 §3): its deadline can be extended."""
    from tests.test_regulators import ensure_profiles

    ensure_profiles()
    t.ticket_set_source(ticket_id=ticket.pk, actor=users["intake_agent"], source_tier="", regulator="nfra",
                        regulator_ref="YJ-1")


CASES = [
    ("review-valid", "registered", {}, "dispatcher", {"severity": "complex", "reason": "要素齐全"}, "reviewed_valid", "awaiting_dispatch"),
    ("review-invalid", "registered", {}, "dispatcher", {"reason": "重复提交", "answer": "您好，该问题已在处理中。"}, "reviewed_invalid", "closed"),
    ("resolve-on-spot", "registered", {}, "intake_agent", {"answer": "已解释扣费规则"}, "resolved_on_spot", "closed"),
    ("dispatch", "awaiting_dispatch", {}, "dispatcher", {"department": "network", "note": "请核查"}, "dispatched", "dispatched"),
    ("acknowledge", "dispatched", {}, "handler", {}, "acknowledged", "in_progress"),
    ("transfer", "dispatched", {}, "handler", {"department": "network", "reason": "属网络问题"}, "transferred", "dispatched"),
    ("return", "dispatched", {}, "handler", {"reason": "派错部门"}, "returned", "awaiting_dispatch"),
    ("co-handle", "in_progress", {}, "handler", {"departments": ["network"], "note": "请协助核查基站"}, "co_handling_requested", "in_progress"),
    ("assist-input", _co_handled, {}, "network_handler", {"text": "基站运行正常"}, "assist_input_given", "in_progress"),
    ("urge", "in_progress", {}, "supervisor", {"note": "请尽快处理"}, "urged", "in_progress"),
    ("supervise", "in_progress", {}, "leader", {"note": "重点关注"}, "supervised", "in_progress"),
    ("submit-plan", "in_progress", REFUND, "handler", {"plan": "退还58元并致歉"}, "plan_submitted", "awaiting_approval"),
    ("approve-plan", _awaiting_approval, REFUND, "leader", {"note": "同意"}, "plan_approved", "in_progress"),
    ("reject-plan", _awaiting_approval, REFUND, "leader", {"note": "补偿方案需细化"}, "plan_rejected", "in_progress"),
    ("handle", "in_progress", {}, "handler", {"notes": "已退费58元", "cause": "service", "responsible_department": "billing", "responsible_person": "李四"}, "handled", "awaiting_audit"),
    ("audit-approve", "awaiting_audit", {}, "dispatcher", {"note": "处理到位"}, "audit_approved", "awaiting_reply"),
    ("audit-reject", "awaiting_audit", {}, "dispatcher", {"note": "未答复全部诉求"}, "audit_rejected", "in_progress"),
    ("reply", "awaiting_reply", {}, "intake_agent", {"text": "已告知客户退费结果", "customer_accepts": "true"}, "replied", "awaiting_callback"),
    ("callback", "awaiting_callback", {}, "intake_agent", {"satisfaction": "dissatisfied", "note": "客户仍不满意"}, "called_back", "awaiting_dispatch"),
    ("callback-attempt", "awaiting_callback", {}, "intake_agent", {"outcome": "no_answer", "topics": ["case_result"], "note": "无人接听"}, "callback_attempted", "awaiting_callback"),
    ("close", "awaiting_callback", {}, "dispatcher", {"reason": "客户无法联系"}, "closed", "closed"),
    ("archive", "closed", {}, "dispatcher", {}, "archived", "archived"),
    ("reopen", "closed", {}, "dispatcher", {"reason": "客户再次来电"}, "reopened", "awaiting_dispatch"),
    ("request-info", "in_progress", {}, "handler", {"question": "请提供账单截图"}, "info_requested", "in_progress"),
    ("info-received", _waiting, {}, "intake_agent", {"answer": "客户已提供"}, "info_received", "in_progress"),
    ("report-progress", "in_progress", {}, "handler", {"text": "已联系计费系统核查"}, "progress_reported", "in_progress"),
    ("set-agreed-time", "in_progress", {}, "handler", {"agreed_time": _in_future, "note": "客户同意"}, "agreed_time_set", "in_progress"),
    ("set-source", "registered", {}, "intake_agent", {"source_tier": "12345", "regulator_ref": "GOV-7"}, "source_set", "registered"),
    ("unlink-repeat", _linked_repeat, {}, "dispatcher", {"reason": "家人的另一诉求"}, "repeat_unlinked", "registered"),
    ("set-special-type", "registered", {}, "dispatcher", {"special_type": "publicity", "note": "曾向媒体反映"}, "special_type_set", "registered"),
    ("gather-history", "in_progress", SPECIAL, "handler", {"checked": HISTORY, "people": "张三；营业员李四"}, "history_gathered", "in_progress"),
    ("extend-regulator-deadline", _regulator_transfer, {}, "intake_agent", {"reason": "需调取录音，情况复杂"},
     "regulator_deadline_extended", "registered"),
]


def _prepare(users, make_ticket, setup, overrides):
    ticket = make_ticket(**overrides)
    if callable(setup):
        setup(users, ticket)
    else:
        walk(users, ticket, setup)
    ticket.refresh_from_db()
    return ticket


def _post_data(slug, data, version):
    out = {f"{slug}-expected_version": version}
    for key, value in data.items():
        out[f"{slug}-{key}"] = value() if callable(value) else value
    return out


def test_every_action_has_a_case():
    from complaintdesk.tickets.vocabulary import Action

    assert {c[0] for c in CASES} == {a.value.replace("_", "-") for a in Action}


@pytest.mark.parametrize("slug,setup,overrides,who,data,event,after", CASES, ids=[c[0] for c in CASES])
def test_action_form_reaches_its_service(org, make_ticket, as_user, slug, setup, overrides, who, data, event, after):
    users = org["users"]
    ticket = _prepare(users, make_ticket, setup, overrides)
    client = as_user(users[who])
    html = client.get(page_url(ticket)).content.decode()
    assert f'data-action="{slug.replace("-", "_")}"' in html  # the page offers it
    r = client.post(act_url(ticket, slug), _post_data(slug, data, ticket.version))
    assert r.status_code == 302, r.content.decode()[:2000]
    assert r.url == page_url(ticket)
    last = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert last.type == event and last.actor == users[who]
    ticket.refresh_from_db()
    assert ticket.state == after
    followed = client.get(r.url).content.decode()
    assert "Done:" in followed


def test_htmx_action_swaps_the_main_section(org, make_ticket, as_user):
    users = org["users"]
    ticket = walk(users, make_ticket(), "dispatched")
    client = as_user(users["handler"])
    r = client.post(act_url(ticket, "acknowledge"), {"acknowledge-expected_version": ticket.version},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<div id="ticket-main"') and "<html" not in html
    assert "Done: Acknowledge" in html
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    assert shown_actions(html) == expected_actions(users["handler"], ticket)


def test_dispatch_to_a_staff_account(org, make_ticket, as_user):
    users = org["users"]
    ticket = walk(users, make_ticket(), "awaiting_dispatch")
    r = as_user(users["dispatcher"]).post(act_url(ticket, "dispatch"), _post_data("dispatch", {"assignee": "handler"}, ticket.version))
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.lead_assignee == users["handler"] and ticket.lead_department == org["billing"]


# -- errors at the field, values kept --------------------------------------------------------------

def test_form_error_is_shown_at_the_field_with_values_kept(org, make_ticket, as_user):
    users = org["users"]
    ticket = make_ticket()
    client = as_user(users["dispatcher"], "en")
    r = client.post(act_url(ticket, "review-invalid"),
                    _post_data("review-invalid", {"reason": "重复提交的工单", "answer": ""}, ticket.version))
    assert r.status_code == 422
    html = r.content.decode()
    assert "This field is required." in html
    assert "重复提交的工单" in html  # kept
    assert 'id="id_review-invalid-answer_error"' in html
    assert re.search(r'<details class="action" data-action="review_invalid" open>', html)
    ticket.refresh_from_db()
    assert ticket.state == "registered"


def test_service_error_is_shown_at_the_field_in_chinese(org, make_ticket, as_user):
    users = org["users"]
    ticket = walk(users, make_ticket(), "in_progress")
    client = as_user(users["handler"], "zh-hans")
    r = client.post(act_url(ticket, "handle"), _post_data("handle", {"notes": "已处理"}, ticket.version))
    assert r.status_code == 422
    html = r.content.decode()
    error = re.search(r'id="id_handle-cause_error">([^<]+)<', html).group(1)
    assert re.search(r"[\u4e00-\u9fff]", error)
    assert "已处理" in html
    r = client.post(act_url(ticket, "transfer"),
                    _post_data("transfer", {"department": "network", "assignee": "nobody", "reason": "x"}, ticket.version),
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200  # htmx swaps only 2xx responses
    assert 'id="id_transfer-assignee_error"' in r.content.decode()


# -- a stale page -------------------------------------------------------------------------------

def test_stale_page_gets_the_conflict_message_and_the_fresh_state(org, make_ticket, as_user, client):
    users = org["users"]
    ticket = walk(users, make_ticket(), "awaiting_audit")
    stale_version = ticket.version
    # someone else approves the audit first
    t.ticket_audit(ticket_id=ticket.pk, actor=users["supervisor"], approve=True)
    c = as_user(users["dispatcher"], "en")
    r = c.post(act_url(ticket, "audit-reject"), _post_data("audit-reject", {"note": "不通过"}, stale_version))
    assert r.status_code == 302
    html = c.get(r.url).content.decode()
    assert "This ticket was changed by supervisor" in html
    assert "Awaiting reply to customer" in html
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"
    assert shown_actions(html) == expected_actions(users["dispatcher"], ticket)
    # with htmx: the message and the fresh section in one response, never an error page
    r = c.post(act_url(ticket, "audit-approve"), _post_data("audit-approve", {}, stale_version),
               HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "changed by supervisor" in body and "Awaiting reply to customer" in body
    assert 'role="alert"' in body


def test_two_sessions_acting_at_once(org, make_ticket, as_user):
    """Two dispatchers open the same page; the first dispatch wins, the second is told."""
    from django.test import Client

    users = org["users"]
    ticket = walk(users, make_ticket(), "awaiting_dispatch")
    one, two = Client(), Client()
    one.force_login(users["dispatcher"])
    two.force_login(users["supervisor"])
    for c in (one, two):
        assert 'data-action="dispatch"' in c.get(page_url(ticket)).content.decode()
    r1 = one.post(act_url(ticket, "dispatch"), _post_data("dispatch", {"department": "billing"}, ticket.version))
    r2 = two.post(act_url(ticket, "dispatch"), _post_data("dispatch", {"department": "network"}, ticket.version),
                  HTTP_ACCEPT_LANGUAGE="en")
    assert r1.status_code == r2.status_code == 302
    assert Assignment.objects.filter(ticket=ticket).count() == 1
    html = two.get(r2.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "changed by dispatcher" in html


# -- GET never changes anything -------------------------------------------------------------------

def test_get_never_changes_state(org, make_ticket, as_user):
    users = org["users"]
    ticket = walk(users, make_ticket(), "dispatched")
    before = (ticket.version, TicketEvent.objects.filter(ticket=ticket).count())
    client = as_user(users["handler"])
    client.get(page_url(ticket))
    for slug in ("acknowledge", "return", "transfer", "handle", "urge"):
        assert client.get(act_url(ticket, slug), {f"{slug}-expected_version": ticket.version}).status_code == 405
    assert client.get(reverse("workbench:ticket_attachment_add", args=[ticket.pk])).status_code == 405
    ticket.refresh_from_db()
    assert (ticket.version, TicketEvent.objects.filter(ticket=ticket).count()) == before


# -- attachments ------------------------------------------------------------------------------------

def test_attachment_upload_and_scoped_download(org, make_ticket, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    users = org["users"]
    ticket = walk(users, make_ticket(), "dispatched")
    client = as_user(users["handler"], "en")
    r = client.post(reverse("workbench:ticket_attachment_add", args=[ticket.pk]),
                    {"file": SimpleUploadedFile("账单.txt", "十月账单".encode())})
    assert r.status_code == 302
    attachment = ticket.attachments.get()
    html = client.get(page_url(ticket)).content.decode()
    url = reverse("workbench:ticket_attachment", args=[ticket.pk, attachment.pk])
    assert url in html and "账单.txt" in html
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == "十月账单".encode()
    assert as_user(users["network_handler"]).get(url).status_code == 404
    bad = as_user(users["handler"], "en").post(reverse("workbench:ticket_attachment_add", args=[ticket.pk]),
                                                {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert bad.status_code == 422 and "are not accepted" in bad.content.decode()


# -- what the page shows -----------------------------------------------------------------------

def test_page_shows_deadlines_elements_customer_timeline_and_assist_input(org, make_ticket, as_user):
    from tests.test_sla_clocks import make_policy

    users = org["users"]
    make_policy("全程", {"dispatch": "1 calendar_hours", "acknowledge": "2 calendar_hours",
                       "handle": "3 working_days", "ticket": "5 working_days"})
    ticket = make_ticket()
    _co_handled(users, ticket)
    t.ticket_assist_input(ticket_id=ticket.pk, actor=users["network_handler"], text="基站运行正常")
    client = as_user(users["dispatcher"], "en")
    html = client.get(page_url(ticket)).content.decode()
    assert "Handling deadline" in html and "left" in html
    deadlines = reverse("workbench:ticket_deadlines", args=[ticket.pk])
    assert deadlines in html  # the explanation, on demand
    explained = client.get(deadlines).content.decode()
    assert "全程" in explained and "Counted from" in explained  # the policy, the start
    partial = client.get(deadlines, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<section") and "全程" in partial
    assert as_user(users["city_b_dispatcher"]).get(deadlines).status_code == 404
    assert "Disputed amount" in html and "58.00" in html
    assert "138 0013 8000" in html
    assert "基站运行正常" in html and "Network operations" in html
    assert "Co-handling requested" in html and "Acknowledged" in html
    zh = as_user(users["dispatcher"], "zh-hans").get(page_url(ticket)).content.decode()
    assert "处理时限" in zh and "争议金额" in zh


# -- query counts -----------------------------------------------------------------------------------

def test_page_queries_do_not_grow(org, make_ticket, as_user):
    from complaintdesk.tickets.services.attachments import attachment_add
    from tests.test_sla_clocks import make_policy

    users = org["users"]
    make_policy("全程", {"dispatch": "1 calendar_hours", "acknowledge": "2 calendar_hours",
                       "handle": "3 working_days", "progress": "1 calendar_hours",
                       "reply": "1 working_days", "callback": "2 working_days", "ticket": "5 working_days"})
    small = walk(users, make_ticket(), "in_progress")
    large = make_ticket()
    # a second cycle (more clocks), many events, attachments and assisting departments
    walk(users, large, "awaiting_callback")
    t.ticket_callback(ticket_id=large.pk, actor=users["intake_agent"], satisfaction="dissatisfied")
    t.ticket_dispatch(ticket_id=large.pk, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=large.pk, actor=users["handler"])
    t.ticket_co_handle(ticket_id=large.pk, actor=users["handler"], departments=["network", "sales-a"])
    for i in range(15):
        t.ticket_urge(ticket_id=large.pk, actor=users["supervisor"], note=f"第{i}次催办")
        attachment_add(ticket_id=large.pk, actor=users["handler"], name=f"f{i}.txt", data=f"内容{i}".encode())
    large.refresh_from_db()
    client = as_user(users["dispatcher"])

    def count(ticket):
        client.get(page_url(ticket))  # warm the per-process calendar cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page_url(ticket)).status_code == 200
        return len(ctx.captured_queries)

    from complaintdesk.sla.models import TicketClock

    assert TicketClock.objects.filter(ticket=large).count() > TicketClock.objects.filter(ticket=small).count()
    n_small, n_large = count(small), count(large)
    assert n_small == n_large, (n_small, n_large)
    assert n_large <= 15  # 14 + the links of the ticket (issue 12 §5: one query, merged duplicates included)


def test_sales_lead_path_through_the_forms(org, make_ticket, as_user):
    users = org["users"]
    lead = make_ticket(kind="sales_lead", category="sales-broadband", elements={}, org_unit="p-a")
    agent = as_user(users["intake_agent"], "en")
    html = agent.get(page_url(lead)).content.decode()
    assert shown_actions(html) == expected_actions(users["intake_agent"], lead)
    assert "dispatch" in shown_actions(html) and "review_valid" not in shown_actions(html)
    r = agent.post(act_url(lead, "dispatch"), _post_data("dispatch", {}, lead.version))
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.lead_assignee == users["sales_lead"]  # routed by region
    t.ticket_acknowledge(ticket_id=lead.pk, actor=users["sales_lead"])
    lead.refresh_from_db()
    seller = as_user(users["sales_lead"], "en")
    html = seller.get(page_url(lead)).content.decode()
    assert 'name="handle-outcome"' in html and 'name="handle-cause"' not in html
    r = seller.post(act_url(lead, "handle"), _post_data("handle", {"notes": "已上门", "outcome": ""}, lead.version))
    assert r.status_code == 422 and 'id="id_handle-outcome_error"' in r.content.decode()
    r = seller.post(act_url(lead, "handle"), _post_data("handle", {"notes": "已上门", "outcome": "签约千兆宽带"}, lead.version))
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.state == "closed"


def test_dispatch_without_an_owner_asks_for_a_department(org, make_ticket, as_user):
    users = org["users"]
    lead = make_ticket(kind="sales_lead", category="sales-broadband", elements={}, org_unit="p-b")
    r = as_user(users["intake_agent"], "en").post(act_url(lead, "dispatch"), _post_data("dispatch", {}, lead.version))
    assert r.status_code == 422
    assert re.search(r'id="id_dispatch-department_error">[^<]*sales lead', r.content.decode())


def test_inquiry_reply_closes_it(org, make_ticket, as_user):
    users = org["users"]
    inquiry = make_ticket(kind="inquiry", category="inquiry-tariff", elements={})
    walk(users, inquiry, "in_progress")
    t.ticket_handle(ticket_id=inquiry.pk, actor=users["handler"], notes="资费已说明")
    inquiry.refresh_from_db()
    agent = as_user(users["intake_agent"], "en")
    html = agent.get(page_url(inquiry)).content.decode()
    assert shown_actions(html) == expected_actions(users["intake_agent"], inquiry)
    r = agent.post(act_url(inquiry, "reply"), _post_data("reply", {"text": "已告知资费标准"}, inquiry.version))
    assert r.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.state == "closed"


def test_boosted_navigation_gets_the_whole_page(org, make_ticket, as_user):
    ticket = make_ticket()
    html = as_user(org["users"]["dispatcher"]).get(page_url(ticket), HTTP_HX_REQUEST="true",
                                                    HTTP_HX_BOOSTED="true").content.decode()
    assert "<html" in html and 'id="ticket-main"' in html
