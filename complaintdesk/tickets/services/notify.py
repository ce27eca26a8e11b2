"""Workflow notifications: the people a step concerns hear of it (issue: urging a department
notified no one; 003: every step of a special or major case is reported upward at once).

Called by the one writer (`transitions._transition`, `intake`) inside the event's transaction,
so a message exists if and only if the step committed. The recipients come from one query
(`People`), the messages from one insert per channel (`staff_notify_many`); a step that
concerns nobody costs nothing. The actor is never told of their own step.
"""

from __future__ import annotations

import datetime as dt

from complaintdesk.mail.services.outgoing import CUSTOMER_MAIL_EVENTS, mail_customer_on_event
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.sla.services.people import People
from complaintdesk.sla.vocabulary import EscalationTarget
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.vocabulary import AssignmentRole, EventType, Severity

E = EventType
T = EscalationTarget
NOTE_LIMIT = 300  # a message quotes the note; the ticket page has all of it

# Event → (template, who): "department" = who answers for the ticket where it is now,
# "dispatcher" = who dispatched the lead assignment that just ended, "leaders" = the
# leaders nearest up the tree (who approve plans).
_STEP_TEMPLATES = {
    E.DISPATCHED: ("ticket_dispatched_in", "department"),
    E.TRANSFERRED: ("ticket_transferred_in", "department"),
    E.RETURNED: ("ticket_returned", "dispatcher"),
    E.URGED: ("ticket_urged", "department"),
    E.SUPERVISED: ("ticket_supervised", "department"),
    E.AUDIT_REJECTED: ("ticket_audit_rejected", "department"),
    E.PLAN_SUBMITTED: ("ticket_plan_submitted", "leaders"),
    E.PLAN_APPROVED: ("ticket_plan_approved", "department"),
    E.PLAN_REJECTED: ("ticket_plan_rejected", "department"),
    # The customer's answer (portal, e-mail) or e-mail: whoever holds the ticket reads it.
    E.INFO_RECEIVED: ("ticket_customer_answered", "department"),
    E.CUSTOMER_MESSAGE: ("ticket_customer_answered", "department"),
}
_NOTE_KEYS = ("note", "reason", "plan", "notes", "text", "answer")


def notify_event(*, ticket: Ticket, event: str, actor, payload: dict, at: dt.datetime,
                 assignments: list[Assignment] = (), event_id: int | None = None) -> int:
    """Tell the people `event` concerns; returns how many messages were added."""
    if event in CUSTOMER_MAIL_EVENTS:
        # A reply or a question to a customer who wrote by e-mail goes to them by e-mail too.
        mail_customer_on_event(ticket=ticket, event=event, payload=payload, at=at, event_id=event_id)
    template, who = _STEP_TEMPLATES.get(event, (None, None))
    case_template = _case_template(ticket)
    if template is None and case_template is None:
        return 0
    dispatcher_id = _dispatcher(assignments, at) if who == "dispatcher" else None
    targets = set()
    if who == "department":
        targets |= {T.ASSIGNEE, T.DEPT_HEAD}
    if who == "leaders" or case_template:
        targets |= {T.SUPERVISOR, T.LEADER}
    people = People.load([ticket], targets=targets, user_ids=[dispatcher_id] if dispatcher_id else ())
    context = {
        "ticket_number": str(ticket), "ticket_id": ticket.pk, "title": ticket.title,
        "actor": _name(actor), "note": _note(payload),
    }
    stamp = event_id or int(at.timestamp() * 1000)
    items, told = [], set()

    def tell(users, key: str, extra: dict | None = None):
        for user in users:
            if user is None or user.pk in told or (actor is not None and user.pk == actor.pk):
                continue
            told.add(user.pk)
            items.append({"dedupe_key": f"step:{ticket.pk}:{stamp}:{key}:{user.pk}",
                          "template": key, "recipient_user": user,
                          "context": {**context, **(extra or {})}})

    if who == "department":
        tell(people.department(ticket), template)
    elif who == "dispatcher":
        tell([people.user(dispatcher_id)], template)
    elif who == "leaders":
        tell(people.leaders(ticket), template)
    if case_template:
        tell(people.upward(ticket), case_template, {"step": str(event)})
    return staff_notify_many(items)


def _case_template(ticket: Ticket) -> str | None:
    if ticket.special:
        return "special_case_step"
    if ticket.severity == Severity.MAJOR:
        return "major_case_step"
    return None


def _dispatcher(assignments, at: dt.datetime) -> int | None:
    ended = [a for a in assignments if a.role == AssignmentRole.LEAD and a.ended_at == at]
    return ended[-1].dispatched_by_id if ended else None


def _name(actor) -> str:
    if actor is None:
        return ""
    return actor.display_name or actor.username


def _note(payload: dict) -> str:
    for key in _NOTE_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"
    return ""
