"""Reply templates and the answer library: placeholders checked and filled from the ticket,
offered where they fit (purpose, kind, category subtree), the library searched by word at
registration, the answer used recorded on the ticket; scoped reads; both languages."""

import pytest
from django.contrib.admin.sites import site
from django.utils import translation

from complaintdesk.answers.admin import ReplyTemplateForm
from complaintdesk.answers.models import AnswerArticle, AnswerUse, ReplyTemplate
from complaintdesk.answers.selectors import articles_search, templates_for
from complaintdesk.answers.services import article_save, template_check, template_fill
from complaintdesk.core.errors import ValidationFailed
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user, lang="en"):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client
    return login


@pytest.fixture
def library(org):
    billing = Category.objects.get(code="billing")
    network = Category.objects.get(code="network")
    rows = [
        ("refund", "错扣费用的退费流程", "How a wrong charge is refunded", "退费 退款 多扣", billing,
         "核实为错扣的费用，3个工作日内退回原账户。", "Refunded within 3 working days."),
        ("signal", "信号弱的处理办法", "What is done about weak signal", "信号差 信号弱", network,
         "网络部门在3个工作日内测试。", "Tested within 3 working days."),
        ("tariff", "套餐变更规则", "Changing a tariff", "套餐 资费", None,
         "套餐变更次月生效。", "A package change takes effect next month."),
    ]
    out = {}
    for code, title, title_en, keywords, category, body, body_en in rows:
        out[code] = article_save(article=AnswerArticle(
            code=code, title=title, title_en=title_en, keywords=keywords, category=category,
            body=body, body_en=body_en))
    AnswerArticle.objects.create(code="old", title="退费旧规定", body="作废", active=False)
    return out


@pytest.fixture
def templates(org):
    billing = Category.objects.get(code="billing")
    return {
        "general": ReplyTemplate.objects.create(
            code="general", purpose="reply", name="通用答复", name_en="General reply",
            body="{customer}您好，工单{number}“{title}”已由{department}处理，时限{deadline}。——{agent}",
            body_en="Dear {customer}, ticket {number} was handled by {department}."),
        "refund": ReplyTemplate.objects.create(
            code="refund", purpose="reply", name="退费答复", kind="complaint", category=billing,
            body="{customer}您好，多扣费用将退回。"),
        "inquiry_only": ReplyTemplate.objects.create(
            code="inq", purpose="reply", name="咨询答复", kind="inquiry", body="{customer}您好"),
        "invalid": ReplyTemplate.objects.create(
            code="invalid", purpose="invalid_answer", name="不成立", body="{customer}您好，经核实不属于受理范围。"),
        "script": ReplyTemplate.objects.create(
            code="script", purpose="callback_script", name="回访话术", body="我是{agent}，关于工单{number}……"),
        "off": ReplyTemplate.objects.create(code="off", purpose="reply", name="停用", body="x", active=False),
    }


# -- placeholders ------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    ("{custmer}您好", "{custmer}"),
    ("您好{customer", "brace"),
    ("{number!r}", None),
])
def test_a_template_with_a_wrong_placeholder_is_refused_naming_it(body, message):
    if message is None:
        template_check(body)  # a conversion of a known name is harmless
        return
    with translation.override("en"):
        with pytest.raises(ValidationFailed) as caught:
            template_check(body)
        assert message in str(caught.value.fields[0].reason)


def test_literal_braces_are_kept():
    template = ReplyTemplate(body="费用{{含税}}：{customer}")
    template_check(template.body)
    assert template_fill(template=template, values={"customer": "张三"}, language="zh-hans") == "费用{含税}：张三"


def test_the_admin_form_names_the_bad_placeholder_in_either_language(org):
    form = ReplyTemplateForm(data={"code": "x", "purpose": "reply", "name": "x", "body": "{foo}",
                                   "body_en": "{bar}", "position": 0, "active": True})
    assert not form.is_valid()
    assert "{foo}" in form.errors["body"][0] and "{bar}" in form.errors["body_en"][0]


# -- which templates fit -----------------------------------------------------------------------


def test_templates_fit_by_purpose_kind_and_category_subtree(org, templates):
    overcharge = Category.objects.get(code="billing-overcharge")
    weak = Category.objects.get(code="network-weak")
    codes = lambda rows: [r.code for r in rows]  # noqa: E731
    assert codes(templates_for(purpose="reply", kind="complaint", category=overcharge)) == ["general", "refund"]
    assert codes(templates_for(purpose="reply", kind="complaint", category=weak)) == ["general"]
    assert codes(templates_for(purpose="reply", kind="inquiry", category=None)) == ["general", "inq"]
    assert codes(templates_for(purpose="invalid_answer", kind="complaint", category=weak)) == ["invalid"]


# -- the library -------------------------------------------------------------------------------


def test_the_library_is_searched_by_word_and_fits_the_category(org, library, django_assert_num_queries):
    overcharge = Category.objects.get(code="billing-overcharge")
    with django_assert_num_queries(1):
        found = articles_search(query="我的话费多扣了要退费", kind="complaint", category=overcharge)
    assert [f.article.code for f in found] == ["refund"]
    assert [f.article.code for f in articles_search(query="信号很差")] == ["signal"]
    # another category's entry is not offered; an entry for every category is
    weak = Category.objects.get(code="network-weak")
    assert [f.article.code for f in articles_search(query="退费 套餐", category=weak)] == ["tariff"]
    # English words, and an inactive entry is never found
    assert [f.article.code for f in articles_search(query="refunded charge")] == ["refund"]
    assert all(f.article.code != "old" for f in articles_search(query="退费旧规定"))


@pytest.mark.parametrize("query", ["", "   ", "！？。", "x" * 10000, "\x00\ud800", "𠮷野家"])
def test_odd_queries_find_nothing_or_something_never_fail(org, library, query):
    assert isinstance(articles_search(query=query), list)


def test_the_search_partial_and_the_library_page(org, users, library, as_user):
    client = as_user(users["intake_agent"], "zh-hans")
    r = client.get("/answers/search/", {"answer_q": "多扣费退费", "kind": "complaint", "category": "billing-overcharge"})
    html = r.content.decode()
    assert r.status_code == 200 and "错扣费用的退费流程" in html
    assert f'data-answer-id="{library["refund"].pk}"' in html and 'data-fill-target="id_resolve_on_spot"' in html
    none = client.get("/answers/search/", {"answer_q": "火星"}).content.decode()
    assert "答案库中没有" in none
    page = as_user(users["handler"], "en").get("/answers/", {"q": "weak signal"}).content.decode()
    assert "What is done about weak signal" in page and "Tested within 3 working days." in page
    assert client.get("/answers/search/", {"answer_q": "x" * 10000, "category": "y" * 500}).status_code == 200


def test_registering_with_a_library_answer_records_it_on_the_ticket(org, users, library, as_user):
    client = as_user(users["intake_agent"])
    data = {
        "kind": "inquiry", "category": "inquiry-tariff", "channel": "hotline", "title": "套餐变更",
        "description": "想改套餐", "phone": "13800138000", "customer_name": "张三",
        "idempotency_key": "k-1", "resolve_on_spot": "套餐变更次月生效。",
        "answer_article": str(library["tariff"].pk),
    }
    r = client.post("/tickets/new/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    ticket = Ticket.objects.get(title="套餐变更")
    assert ticket.state == "closed"
    use = AnswerUse.objects.get(ticket=ticket)
    assert use.article == library["tariff"] and use.used_by == users["intake_agent"]
    # the same form sent again registers nothing new and records nothing twice
    client.post("/tickets/new/", data)
    assert AnswerUse.objects.count() == 1


def test_an_answer_chosen_but_not_used_for_a_resolution_is_not_recorded(org, users, library, as_user):
    client = as_user(users["intake_agent"])
    r = client.post("/tickets/new/", {
        "kind": "inquiry", "category": "inquiry-tariff", "channel": "hotline", "title": "套餐咨询",
        "description": "想改套餐", "phone": "13800138000", "customer_name": "张三",
        "idempotency_key": "k-2", "resolve_on_spot": "", "answer_article": str(library["tariff"].pk)})
    assert r.status_code == 302
    assert not AnswerUse.objects.exists()


# -- the ticket page's picker ------------------------------------------------------------------


def _awaiting_reply(users, ticket):
    tid = ticket.pk
    t.ticket_review(ticket_id=tid, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=tid, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=tid, actor=users["handler"])
    t.ticket_handle(ticket_id=tid, actor=users["handler"], notes="已退费", cause="service")
    t.ticket_audit(ticket_id=tid, actor=users["dispatcher"], approve=True)
    return Ticket.objects.get(pk=tid)


def test_the_reply_form_offers_templates_filled_with_the_tickets_facts(org, users, templates, make_ticket, as_user):
    ticket = _awaiting_reply(users, make_ticket())
    client = as_user(users["intake_agent"], "zh-hans")
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    url = f"/answers/templates/{ticket.pk}/reply/"
    assert url in page and "answers/answers.js" in page
    r = client.get(url, {"target": "id_reply-text"})
    html = r.content.decode()
    assert r.status_code == 200
    assert f"张三您好，工单{ticket.number}“话费多扣”已由" in html and "——agent" in html
    assert 'data-fill-target="id_reply-text"' in html
    assert "张三您好，多扣费用将退回。" in html  # the billing subtree's template
    assert "咨询答复" not in html and "停用" not in html
    en = as_user(users["intake_agent"], "en").get(url, {"target": "id_reply-text"}).content.decode()
    assert f"Dear 张三, ticket {ticket.number} was handled by" in en


def test_the_picker_is_scoped_and_checks_its_input(org, users, templates, make_ticket, as_user):
    ticket = make_ticket()
    assert as_user(users["network_handler"]).get(f"/answers/templates/{ticket.pk}/reply/").status_code == 404
    client = as_user(users["intake_agent"])
    assert client.get(f"/answers/templates/{ticket.pk}/nonsense/").status_code == 404
    html = client.get(f"/answers/templates/{ticket.pk}/reply/", {"target": '"><script>x</script>'}).content.decode()
    assert "<script>x" not in html and 'data-fill-target="scriptxscript"' in html


def test_the_callback_script_is_shown_not_filled_in(org, users, templates, make_ticket, as_user):
    ticket = make_ticket()
    html = as_user(users["intake_agent"]).get(f"/answers/templates/{ticket.pk}/callback_script/",
                                              {"target": "id_callback-note"}).content.decode()
    assert f"我是agent，关于工单{ticket.number}" in html and "data-fill-target" not in html


def test_no_template_fits_says_so(org, users, make_ticket, as_user):
    ticket = make_ticket()
    html = as_user(users["intake_agent"]).get(f"/answers/templates/{ticket.pk}/invalid_answer/").content.decode()
    assert "No template fits this ticket." in html


def test_the_admin_keeps_the_library_terms(org, users, client):
    client.force_login(users["admin"])
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save()
    assert AnswerArticle in site._registry and ReplyTemplate in site._registry
    r = client.post("/admin/answers/answerarticle/add/", {
        "code": "porting", "title": "携号转网", "title_en": "Number porting", "body": "发送CXXZ到10086查询。",
        "body_en": "", "keywords": "转网", "kind": "", "category": "", "active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert "转网" in AnswerArticle.objects.get(code="porting").search_terms
    assert [f.article.code for f in articles_search(query="我想携号转网")] == ["porting"]
