"""Replies the agents do not type twice, in a real browser: a reply template filled with the
ticket's facts goes into the reply and is sent; at registration an answer from the library
settles the case on the spot and is recorded on the ticket. Screenshots:
docs/screenshots/reply-template-*.png, register-answer-*.png."""

import pytest
from browserkit import labelled, tr
from playwright.sync_api import expect

from complaintdesk.answers.models import AnswerArticle, AnswerUse, ReplyTemplate
from complaintdesk.answers.services import article_save
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Action


@pytest.fixture
def awaiting_reply(users, make_ticket):
    ReplyTemplate.objects.create(
        code="general", purpose="reply", name="通用答复", name_en="General reply",
        body="{customer}您好，工单{number}已由{department}处理：已退还多扣的58元。",
        body_en="Dear {customer}, ticket {number} was handled by {department}: the CNY 58 was refunded.")
    ticket = make_ticket()
    tid = ticket.pk
    t.ticket_review(ticket_id=tid, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=tid, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=tid, actor=users["handler"])
    t.ticket_handle(ticket_id=tid, actor=users["handler"], notes="已退费", cause="service")
    t.ticket_audit(ticket_id=tid, actor=users["dispatcher"], approve=True)
    return Ticket.objects.get(pk=tid)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_template_filled_into_a_reply(people, awaiting_reply, lang):
    me = people(lang).login("agent")
    me.goto(f"/tickets/{awaiting_reply.pk}/")
    reply = tr(lang, Action.REPLY.label)
    box = me.action_box(reply)
    box.locator("summary").click()
    box.get_by_role("link", name=tr(lang, "Fill from a template")).click()
    use = box.get_by_role("button", name=tr(lang, "Use this text"))
    use.wait_for()
    expected = (f"张三您好，工单{awaiting_reply.number}已由计费账务部处理" if lang == "zh"
                else f"Dear 张三, ticket {awaiting_reply.number} was handled by Billing")
    assert expected in box.locator(".template-text").inner_text()
    use.click()
    text = box.locator("textarea").first
    assert text.input_value().startswith(expected)
    me.axe("reply template picker")
    me.shot(f"reply-template-{lang}")
    me.act(reply)
    ticket = Ticket.objects.get(pk=awaiting_reply.pk)
    assert ticket.state == "awaiting_callback" and ticket.reply_text.startswith(expected)
    me.guard.check()


def test_an_answer_from_the_library_settles_a_call_on_the_spot(people, org):
    article = article_save(article=AnswerArticle(
        code="tariff", title="套餐变更规则", title_en="Changing a tariff", keywords="套餐 改套餐",
        body="套餐变更次月生效，当月可办理一次。", body_en="A package change takes effect next month."))
    me = people("zh").login("agent")
    me.goto("/tickets/new/")
    page = me.page
    with page.expect_response(lambda r: "/categories/" in r.url):
        me.fill(page.get_by_label(labelled(tr("zh", "Ticket kind"))), tr("zh", "Inquiry"))
    me.htmx_settled()  # the new select is live only once htmx has processed it
    category = page.locator("#id_category")
    expect(category.locator("option", has_text="资费咨询")).to_have_count(1)
    with page.expect_response(lambda r: "/elements/" in r.url):
        me.fill(category, "资费咨询")
    me.htmx_settled()
    page.get_by_label(labelled(tr("zh", "Title"))).fill("咨询改套餐")
    page.get_by_label(labelled(tr("zh", "Description"))).fill("客户想把套餐改成低一档的")
    page.get_by_label(labelled(tr("zh", "Customer phone"))).fill("13800138000")
    page.get_by_label(labelled(tr("zh", "Customer name"))).fill("张三")
    search = page.get_by_label(tr("zh", "Search the answer library"))
    search.fill("改套餐")
    use = page.get_by_role("button", name=tr("zh", "Use this answer"))
    use.wait_for()
    use.click()
    spot = page.locator("#id_resolve_on_spot")
    assert spot.input_value() == article.body
    me.shot("register-answer-zh")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("zh", "Register"), exact=True).click()
    ticket = Ticket.objects.get(title="咨询改套餐")
    assert ticket.state == "closed"
    assert AnswerUse.objects.get(ticket=ticket).article == article
    me.guard.check()
