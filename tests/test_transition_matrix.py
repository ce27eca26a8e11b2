"""Every cell path × state × action × role through the services, against the expectation of
tests/test_workflow_table.py.

One ticket per (path, state), put into that state with the ORM (bypassing the workflow).
Each attempt calls the action's service function with a valid payload as the org fixture's
user of that role (in scope: centre users at the province root, handler / dept_head in the
billing department, which holds the lead assignment in the department states), inside a
transaction that is rolled back afterwards, so every attempt starts from the same row.

Allowed → the state becomes the expected target, the version grows by one, exactly one
event is appended. Refused → Conflict / Forbidden / NotFound, and state, version and event
count are unchanged.
"""

import datetime as dt
import itertools

import pytest
from django.db import connection, transaction
from django.utils import timezone

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import Conflict, Forbidden, NotFound
from complaintdesk.regulators.models import RegulatorProfile, RegulatorTransfer
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Action, AssignmentRole, State
from complaintdesk.tickets.workflow import Path
from tests.test_workflow_table import expected_cell

A, S = Action, State

TICKET_OF_PATH = {
    Path.FULL: dict(kind="complaint", category="billing-overcharge",
                    elements={"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"}),
    Path.SHORT: dict(kind="inquiry", category="inquiry-tariff", elements={}),
    Path.SALES: dict(kind="sales_lead", category="sales-broadband", elements={}),
}
DEPARTMENT_STATES = {S.DISPATCHED, S.IN_PROGRESS, S.AWAITING_APPROVAL, S.AWAITING_AUDIT}

# One valid call per action: (ticket id, actor, expected version) -> ticket.
CALLS = {
    A.RESOLVE_ON_SPOT: lambda i, u, v: t.ticket_resolve_on_spot(
        ticket_id=i, actor=u, answer="已当场解释资费标准", expected_version=v),
    A.REVIEW_VALID: lambda i, u, v: t.ticket_review(
        ticket_id=i, actor=u, valid=True, expected_version=v),
    A.REVIEW_INVALID: lambda i, u, v: t.ticket_review(
        ticket_id=i, actor=u, valid=False, reason="非本公司业务", answer="已礼貌说明", expected_version=v),
    A.DISPATCH: lambda i, u, v: t.ticket_dispatch(
        ticket_id=i, actor=u, department="billing", expected_version=v),
    A.ACKNOWLEDGE: lambda i, u, v: t.ticket_acknowledge(ticket_id=i, actor=u, expected_version=v),
    A.TRANSFER: lambda i, u, v: t.ticket_transfer(
        ticket_id=i, actor=u, department="network", reason="属网络问题", expected_version=v),
    A.RETURN: lambda i, u, v: t.ticket_return(
        ticket_id=i, actor=u, reason="派错部门", expected_version=v),
    A.CO_HANDLE: lambda i, u, v: t.ticket_co_handle(
        ticket_id=i, actor=u, departments=["network"], note="请核查基站", expected_version=v),
    A.ASSIST_INPUT: lambda i, u, v: t.ticket_assist_input(
        ticket_id=i, actor=u, text="本部门核查无异常", expected_version=v),
    A.URGE: lambda i, u, v: t.ticket_urge(ticket_id=i, actor=u, note="请尽快处理"),
    A.SUPERVISE: lambda i, u, v: t.ticket_supervise(ticket_id=i, actor=u, note="列入督办"),
    A.SUBMIT_PLAN: lambda i, u, v: t.ticket_submit_plan(
        ticket_id=i, actor=u, plan="全额退费并致歉", expected_version=v),
    A.APPROVE_PLAN: lambda i, u, v: t.ticket_approve_plan(
        ticket_id=i, actor=u, approve=True, note="同意", expected_version=v),
    A.REJECT_PLAN: lambda i, u, v: t.ticket_approve_plan(
        ticket_id=i, actor=u, approve=False, note="补偿不足", expected_version=v),
    A.HANDLE: lambda i, u, v: t.ticket_handle(
        ticket_id=i, actor=u, notes="已核实并退费", cause="service", outcome="已签约",
        expected_version=v),
    A.AUDIT_APPROVE: lambda i, u, v: t.ticket_audit(
        ticket_id=i, actor=u, approve=True, expected_version=v),
    A.AUDIT_REJECT: lambda i, u, v: t.ticket_audit(
        ticket_id=i, actor=u, approve=False, note="未说明原因", expected_version=v),
    A.REPLY: lambda i, u, v: t.ticket_reply(
        ticket_id=i, actor=u, text="已退还58元", customer_accepts=True, expected_version=v),
    A.CALLBACK: lambda i, u, v: t.ticket_callback(
        ticket_id=i, actor=u, satisfaction="satisfied", expected_version=v),
    A.CLOSE: lambda i, u, v: t.ticket_close(
        ticket_id=i, actor=u, reason="三次联系不上客户", expected_version=v),
    A.ARCHIVE: lambda i, u, v: t.ticket_archive(ticket_id=i, actor=u, expected_version=v),
    A.REOPEN: lambda i, u, v: t.ticket_reopen(
        ticket_id=i, actor=u, reason="客户再次来电", expected_version=v),
    A.REQUEST_INFO: lambda i, u, v: t.ticket_request_info(
        ticket_id=i, actor=u, question="请提供缴费凭证", expected_version=v),
    A.INFO_RECEIVED: lambda i, u, v: t.ticket_info_received(
        ticket_id=i, actor=u, answer="客户已发来凭证", expected_version=v),
    A.REPORT_PROGRESS: lambda i, u, v: t.ticket_report_progress(
        ticket_id=i, actor=u, text="已调取详单，正在核实", expected_version=v),
    A.SET_AGREED_TIME: lambda i, u, v: t.ticket_set_agreed_time(
        ticket_id=i, actor=u, agreed_time=timezone.now() + dt.timedelta(days=2), expected_version=v),
    A.SET_SOURCE: lambda i, u, v: t.ticket_set_source(
        ticket_id=i, actor=u, source_tier="12345", regulator_ref="GOV-1", expected_version=v),
    A.UNLINK_REPEAT: lambda i, u, v: t.ticket_unlink_repeat(
        ticket_id=i, actor=u, reason="不是同一事项", expected_version=v),
    A.SET_SPECIAL_TYPE: lambda i, u, v: t.ticket_set_special_type(
        ticket_id=i, actor=u, special_type="publicity", expected_version=v),
    A.GATHER_HISTORY: lambda i, u, v: t.ticket_gather_history(
        ticket_id=i, actor=u, checked=list(t.HISTORY_CHECKLIST), people="张三", expected_version=v),
    A.CALLBACK_ATTEMPT: lambda i, u, v: t.ticket_callback_attempt(
        ticket_id=i, actor=u, outcome="no_answer", expected_version=v),
    A.EXTEND_REGULATOR_DEADLINE: lambda i, u, v: t.ticket_extend_regulator_deadline(
        ticket_id=i, actor=u, reason="情况复杂", expected_version=v),
}


class _Rollback(Exception):
    pass


_ROW_SQL = "SELECT state, version, (SELECT COUNT(*) FROM {events} WHERE ticket_id = %s) FROM {tickets} WHERE id = %s"


def _row(ticket_id):
    """(state, version, number of events) of one ticket, read straight from the database."""
    sql = _ROW_SQL.format(events=TicketEvent._meta.db_table, tickets=Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id, ticket_id])
        return tuple(cursor.fetchone())


def _put_in_state(org, make_ticket, path, state):
    ticket = make_ticket(**TICKET_OF_PATH[path])
    now = timezone.now()
    fields = {"state": state}
    if state in DEPARTMENT_STATES:
        Assignment.objects.create(
            ticket=ticket, department=org["billing"], role=AssignmentRole.LEAD,
            dispatched_at=now, dispatched_by=org["users"]["dispatcher"],
            acknowledged_at=None if state == S.DISPATCHED else now,
            acknowledged_by=None if state == S.DISPATCHED else org["users"]["handler"],
        )
        fields["lead_department"] = org["billing"]
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return ticket.pk


def _prepare(action, ticket_id, actor, now):
    """Per-attempt facts the action's guard needs (rolled back with the attempt)."""
    if action == A.SUBMIT_PLAN:
        # A plan is submitted only when an approval is needed; handle needs the opposite.
        Ticket.objects.filter(pk=ticket_id).update(requires_approval=True, plan_approved=False)
    elif action == A.INFO_RECEIVED:
        # The customer's answer is recorded only while the ticket waits on them.
        Ticket.objects.filter(pk=ticket_id).update(waiting_on_customer=True)
    elif action == A.UNLINK_REPEAT:
        # Only a linked ticket is unlinked: link it to itself, the one ticket there is.
        Ticket.objects.filter(pk=ticket_id).update(repeat_of_id=ticket_id)
    elif action == A.GATHER_HISTORY:
        Ticket.objects.filter(pk=ticket_id).update(special=True)
    elif action == A.EXTEND_REGULATOR_DEADLINE:
        # Only a regulator's transfer has a deadline to extend (its first step needs no approval).
        Ticket.objects.filter(pk=ticket_id).update(source_tier="12378")
        RegulatorTransfer.objects.create(ticket_id=ticket_id, profile=RegulatorProfile.objects.get(code="nfra"),
                                         transferred_at=now, amount=15, day_basis="calendar_days", created_at=now)
    elif action == A.ASSIST_INPUT and actor.department_id is not None:
        Assignment.objects.create(
            ticket_id=ticket_id, department_id=actor.department_id, role=AssignmentRole.ASSISTING,
            dispatched_at=now, dispatched_by=actor,
        )


def _attempt(path, state, action, role, ticket_id, actor, allowed, target, anyone_may, before):
    """Run one cell; return a description of what went wrong, or None.

    `before`: the ticket's (state, version, events), the same for every attempt since each
    is rolled back."""
    now = timezone.now()
    problem = None
    try:
        with transaction.atomic():
            _prepare(action, ticket_id, actor, now)
            error = None
            try:
                CALLS[action](ticket_id, actor, before[1])
            except (Conflict, Forbidden, NotFound) as exc:
                error = exc
            after = _row(ticket_id)
            if allowed:
                want = (str(target), before[1] + 1, before[2] + 1)
                if error is not None:
                    problem = f"refused with {type(error).__name__}({error.code}), expected → {target}"
                elif after != want:
                    problem = f"(state, version, events) {before} → {after}, expected {want}"
                else:
                    event = TicketEvent.objects.filter(ticket_id=ticket_id).latest("id")
                    if (event.from_state, event.to_state, event.actor_id) != (state, target, actor.pk):
                        problem = f"event {event.type} {event.from_state} → {event.to_state} by {event.actor_id}"
            else:
                visible = role not in DEPARTMENT_ROLES or state in DEPARTMENT_STATES or action == A.ASSIST_INPUT
                if not visible:
                    want_error = (NotFound,)
                elif not anyone_may:
                    want_error = (Conflict,)  # the state does not allow the action
                else:
                    want_error = (Forbidden,)  # role, scope or guard
                if error is None:
                    problem = f"allowed (→ {after[0]}), expected a refusal"
                elif not isinstance(error, want_error):
                    problem = f"refused with {type(error).__name__}({error.code}), expected {want_error[0].__name__}"
                elif after != before:
                    problem = f"refused but the row changed: {before} → {after}"
            raise _Rollback
    except _Rollback:
        pass
    except Exception as exc:  # a crash or a ValidationFailed is a finding too
        problem = f"raised {type(exc).__name__}: {exc}"
    return problem


CASES = list(itertools.product(Path, State))


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "state"), CASES, ids=[f"{p}-{s}" for p, s in CASES])
def test_every_action_by_every_role(org, make_ticket, path, state):
    users = org["users"]
    ticket_id = _put_in_state(org, make_ticket, path, state)
    before = _row(ticket_id)
    assert before == (state, 1, 1)
    problems = []
    checked = 0
    for action in Action:
        cells = {role: expected_cell(path, state, action, role) for role in Role}
        anyone_may = any(allowed for allowed, _ in cells.values())
        for role, (allowed, target) in cells.items():
            problem = _attempt(path, state, action, role, ticket_id, users[role.value],
                               allowed, target, anyone_may, before)
            checked += 1
            if problem:
                problems.append(f"{path}/{state}/{action}/{role}: {problem}")
    assert checked == len(Action) * len(Role)
    assert _row(ticket_id) == before  # every attempt was rolled back
    assert not problems, "\n".join(problems)
