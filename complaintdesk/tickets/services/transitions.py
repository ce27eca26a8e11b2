"""The only writer of a ticket's state.

Every action is one atomic call: lock the ticket row, check the pure workflow table and its
guards, apply the action's own changes, bump `version`, append one TicketEvent. Two people
acting at once: the second waits for the lock, then finds the state (or version) changed and
gets a Conflict — never a double transition.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.regulators.models import RegulatorTransfer
from complaintdesk.regulators.services.transfers import (
    extension_next,
    extension_record,
    own_rule,
    plan_rule,
    transfer_clean,
    transfer_open,
)
from complaintdesk.screening.models import SpecialType
from complaintdesk.screening.services.source import source_clean
from complaintdesk.screening.services.special import (
    history_due_at,
    special_leader_id,
)
from complaintdesk.search.services.index import search_work_changed
from complaintdesk.sla.services.clocks import clocks_on_event, own_schedule
from complaintdesk.sla.vocabulary import ClockType
from complaintdesk.taxonomy.selectors import category_chain, owning_department_id
from complaintdesk.tickets import workflow
from complaintdesk.tickets.facts import actor_facts, can_view, ticket_facts
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.services.notify import notify_event
from complaintdesk.tickets.vocabulary import (
    CALLBACK_FAILURES,
    Action,
    AssignmentRole,
    CallbackOutcome,
    CallbackTopic,
    Cause,
    EventType,
    Kind,
    Resolution,
    Satisfaction,
    Severity,
    State,
)

# Who may approve an extension of a regulator's deadline (NFRA: a senior manager).
APPROVER_ROLES = (Role.LEADER.value,)
_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
MAX_AGREED_AHEAD = dt.timedelta(days=366)

# States in which no department works on the ticket any more: their assignments end.
_DEPARTMENT_DONE = frozenset(
    {State.REGISTERED, State.AWAITING_DISPATCH, State.AWAITING_REPLY, State.AWAITING_CALLBACK,
     State.CLOSED, State.ARCHIVED}
)

REFUSAL_MESSAGES = {
    "role": _("Your role may not do this."),
    "scope": _("This ticket is not held by your department or within your org unit."),
    "not_assisting": _("Your department is not assisting on this ticket."),
    "plan_not_approved": _("A leader must approve the plan before the ticket is handled."),
    "plan_not_needed": _("This ticket does not need a leader's approval."),
    "already_waiting": _("The ticket is already waiting on the customer."),
    "not_waiting": _("The ticket is not waiting on the customer."),
    "not_linked": _("This ticket is not linked to an earlier one."),
    "not_special": _("Only a special case has this history check."),
    "callback_attempts_used": _("Every allowed callback attempt has been made: close the ticket."),
    "merge_self": _("A ticket cannot be merged into itself."),
    "survivor_closed": _("The ticket to merge into is closed; choose an open one."),
    "link_self": _("A ticket cannot be linked to itself."),
    "not_transfer": _("Only a ticket transferred from above has a regulator's deadline."),
}


class _Change:
    """What one action does beyond the state: fields to save, event payload, extra rows."""

    def __init__(self, ticket: Ticket, assignments: list[Assignment], actor, at: dt.datetime):
        self.ticket = ticket
        self.assignments = assignments
        self.actor = actor
        self.at = at
        self.fields: set[str] = set()
        self.payload: dict = {}
        # Clocks whose rule the action gives (the regulator's deadline: sla OwnRule).
        self.own: dict = {}

    def set(self, **values):
        for name, value in values.items():
            setattr(self.ticket, name, value)
            self.fields.add(name)

    def lead(self) -> Assignment | None:
        return next((a for a in self.assignments if a.active and a.role == AssignmentRole.LEAD), None)

    def end_lead(self):
        lead = self.lead()
        if lead is not None:
            lead.active = False
            lead.ended_at = self.at
            lead.save(update_fields=["active", "ended_at"])
        self.set(lead_department=None, lead_assignee=None)

    def give_lead(self, department: Department, assignee: User | None):
        Assignment.objects.create(
            ticket=self.ticket, department=department, assignee=assignee,
            role=AssignmentRole.LEAD, dispatched_at=self.at, dispatched_by=self.actor,
        )
        self.set(lead_department=department, lead_assignee=assignee)
        self.payload.update(department=department.code, assignee=assignee.username if assignee else None)

    def end_all(self):
        ended = [a.pk for a in self.assignments if a.active]
        if ended:
            Assignment.objects.filter(pk__in=ended).update(active=False, ended_at=self.at)


def _no_nul(text: str, field: str) -> str:
    if "\x00" in text:
        raise ValidationFailed.on(field, _("Text must not contain NUL characters."))
    return text


def _required_text(value: str, field: str, message=None, limit: int = 20000) -> str:
    text = _no_nul((value or "").strip(), field)
    if not text:
        raise ValidationFailed.on(field, message or _("This field is required."), "required")
    if len(text) > limit:
        raise ValidationFailed.on(field, _("At most %(n)d characters.") % {"n": limit})
    return text


def _optional_text(value: str, field: str, limit: int = 20000) -> str:
    text = _no_nul((value or "").strip(), field)
    if len(text) > limit:
        raise ValidationFailed.on(field, _("At most %(n)d characters.") % {"n": limit})
    return text


def _refusal_error(refusal: workflow.Refusal, ticket: Ticket):
    if refusal.code == "not_in_state":
        return Conflict(
            _("This ticket is now “%(state)s”: “%(action)s” is no longer possible. Reload it to "
              "see its current state.") % {"state": State(ticket.state).label, "action": refusal.action.label},
            code="state_conflict",
            extra={"state": ticket.state, "version": ticket.version},
        )
    return Forbidden(REFUSAL_MESSAGES.get(refusal.code, _("You may not do this now.")), code=f"refused_{refusal.code}")


def _transition(*, ticket_id: int, actor, action: Action, expected_version: int | None,
                apply: Callable[[_Change], None] | None = None, payload: dict | None = None,
                at: dt.datetime | None = None) -> Ticket:
    at = at or timezone.now()
    payload = payload or {}
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("org_unit", "category")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None:
            raise NotFound(_("No such ticket."))
        assignments = list(Assignment.objects.filter(ticket=ticket))
        facts = ticket_facts(ticket, assignments)
        who = actor_facts(actor)
        if not can_view(who, facts, {a.department_id for a in assignments}):
            raise NotFound(_("No such ticket."))
        if expected_version is not None and expected_version != ticket.version:
            raise Conflict(
                _("Someone else changed this ticket after you opened it (version %(yours)d, now "
                  "%(now)d). Reload it to see its current state.")
                % {"yours": expected_version, "now": ticket.version},
                code="version_conflict",
                extra={"state": ticket.state, "version": ticket.version},
            )
        refusal = workflow.check(who, facts, action)
        if refusal is not None:
            raise _refusal_error(refusal, ticket)
        transition = workflow.transition_for(facts.kind, facts.state, action)
        target = workflow.resolve_target(transition, facts, payload)

        change = _Change(ticket, assignments, actor, at)
        if apply is not None:
            apply(change)
        from_state = ticket.state
        if target in _DEPARTMENT_DONE and facts.state not in _DEPARTMENT_DONE:
            change.end_all()
            change.set(lead_department=None, lead_assignee=None)
        if ticket.waiting_on_customer and (not workflow.is_open(target) or "reopen_count" in change.fields):
            change.set(waiting_on_customer=False)  # closed, or a new cycle: nobody waits any more
        change.set(state=target, version=ticket.version + 1, updated_at=at)
        # The deadlines follow the event in the same transaction; the ticket's deadline
        # status is saved with the rest of its changes.
        status = (ticket.sla_status, ticket.calendar_missing)
        clocks_on_event(ticket=ticket, event_type=transition.event, from_state=from_state,
                        to_state=target, at=at, payload={**payload, **change.payload},
                        store_status=False, own=change.own)
        if (ticket.sla_status, ticket.calendar_missing) != status:
            change.fields |= {"sla_status", "calendar_missing"}
        ticket.save(update_fields=sorted(change.fields))
        search_work_changed(ticket=ticket, fields=change.fields)  # no query unless text changed
        event = event_append(
            ticket=ticket, type=transition.event, actor=actor, at=at,
            from_state=from_state, to_state=target, payload=change.payload,
        )
        notify_event(ticket=ticket, event=transition.event, actor=actor, payload=change.payload,
                     at=at, assignments=assignments, event_id=event.pk)
    return ticket


# -- the actions ---------------------------------------------------------------------------

def ticket_resolve_on_spot(*, ticket_id, actor, answer: str, expected_version=None, at=None):
    answer = _required_text(answer, "answer", _("Write the explanation given to the customer."))

    def apply(c: _Change):
        c.set(reply_text=answer, resolution=Resolution.ON_SPOT, closed_at=c.at)
        c.payload["answer"] = answer

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.RESOLVE_ON_SPOT,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_review(*, ticket_id, actor, valid: bool, reason: str = "", answer: str = "",
                  severity: str = "", special: bool | None = None, expected_version=None, at=None):
    """Review (复核): valid makes the ticket effective; invalid closes it with a reason and a
    polite answer to the customer (001 有章可循)."""
    if valid:
        if severity:
            try:
                severity = Severity(severity)
            except ValueError:
                raise ValidationFailed.on("severity", _("Choose simple, general, complex or major.")) from None
        note = _optional_text(reason, "reason")

        def apply(c: _Change):
            if severity and severity != c.ticket.severity:
                c.set(severity=severity)
                c.payload["severity"] = severity
            if special is not None and special != c.ticket.special:
                c.set(special=special)
                c.payload["special"] = special
            if "severity" in c.fields or "special" in c.fields:
                c.set(requires_approval=workflow.requires_approval(
                    category_requires=any(n.requires_approval for n in category_chain(c.ticket.category)),
                    severity=Severity(c.ticket.severity), special=c.ticket.special,
                ))
            if note:
                c.payload["note"] = note

        return _transition(ticket_id=ticket_id, actor=actor, action=Action.REVIEW_VALID,
                           expected_version=expected_version, apply=apply, at=at)

    reason = _required_text(reason, "reason", _("Say why the complaint is not valid."))
    answer = _required_text(answer, "answer", _("Write the polite answer given to the customer."))

    def apply_invalid(c: _Change):
        c.set(resolution=Resolution.INVALID, reply_text=answer, closed_at=c.at)
        c.payload.update(reason=reason, answer=answer)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.REVIEW_INVALID,
                       expected_version=expected_version, apply=apply_invalid, at=at)


def _department_and_assignee(department_code: str, assignee_username: str):
    """The chosen target of a dispatch or transfer: a department, or a named staff account
    (工号) and their department."""
    department = assignee = None
    if assignee_username:
        assignee = User.objects.select_related("department").filter(username=assignee_username, is_active=True).first()
        if assignee is None or assignee.role not in DEPARTMENT_ROLES or assignee.department is None:
            raise ValidationFailed.on("assignee", _("No active department staff account has this name."))
        department = assignee.department
    if department_code:
        chosen = Department.objects.filter(code=department_code, active=True).first()
        if chosen is None:
            raise ValidationFailed.on("department", _("No active department has this code."))
        if department is not None and department.pk != chosen.pk:
            raise ValidationFailed.on("assignee", _("This staff account is not in the chosen department."))
        department = chosen
    return department, assignee


def _sales_lead_for(org_unit: OrgUnit) -> User | None:
    """The region's sales lead: the nearest org unit up the tree that names one."""
    units = list(org_unit.get_ancestors().select_related("sales_lead__department")) + [org_unit]
    if org_unit.sales_lead_id:
        org_unit = OrgUnit.objects.select_related("sales_lead__department").get(pk=org_unit.pk)
        units[-1] = org_unit
    for unit in reversed(units):
        lead = unit.sales_lead
        if lead is not None and lead.is_active and lead.department_id:
            return lead
    return None


def _unit_pick_up(org_unit_code: str) -> tuple[Department, User | None, OrgUnit]:
    """Who picks up a ticket dispatched to an org unit (派单到县市营业部): the unit's default
    department, else its head (a department account, named on the assignment)."""
    unit = (OrgUnit.objects.select_related("default_department", "head__department")
            .filter(code=org_unit_code).first())
    if unit is None:
        raise ValidationFailed.on("org_unit", _("No org unit has this code."))
    dept = unit.default_department
    if dept is not None and dept.active:
        return dept, None, unit
    head = unit.head
    if (head is not None and head.is_active and head.role in DEPARTMENT_ROLES
            and head.department is not None and head.department.active):
        return head.department, head, unit
    raise ValidationFailed.on("org_unit", _("This org unit names neither a default department nor a head "
                                            "who can take tickets; choose a department."))


def ticket_dispatch(*, ticket_id, actor, department: str = "", assignee: str = "", note: str = "",
                    org_unit: str = "", expected_version=None, at=None):
    """Dispatch (派单) to the category's owning department by default, or to a chosen
    department, staff account or org unit (its default department, else its head); a sales
    lead goes to its region's sales lead."""
    unit = None
    if org_unit:
        if department or assignee:
            raise ValidationFailed.on("org_unit", _("Choose an org unit, or a department or staff account, not both."))
        department_row, assignee_row, unit = _unit_pick_up(org_unit)
    else:
        department_row, assignee_row = _department_and_assignee(department, assignee)
    note = _optional_text(note, "note")

    def apply(c: _Change):
        dept, person = department_row, assignee_row
        if dept is None:
            if c.ticket.kind == Kind.SALES_LEAD:
                person = _sales_lead_for(c.ticket.org_unit)
                if person is None:
                    raise ValidationFailed.on("department", _("No sales lead is set for this region; choose a department."))
                dept = person.department
            else:
                # A repeat complaint goes where the first ticket was handled.
                dept_id = c.ticket.routed_department_id or owning_department_id(category_chain(c.ticket.category))
                if dept_id is None:
                    raise ValidationFailed.on("department", _("The category names no owning department; choose one."))
                dept = Department.objects.get(pk=dept_id)
        c.give_lead(dept, person)
        if unit is not None:
            c.payload["org_unit"] = unit.code
        if note:
            c.payload["note"] = note

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.DISPATCH,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_acknowledge(*, ticket_id, actor, expected_version=None, at=None):
    def apply(c: _Change):
        lead = c.lead()
        lead.acknowledged_at = c.at
        lead.acknowledged_by = c.actor
        lead.save(update_fields=["acknowledged_at", "acknowledged_by"])

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.ACKNOWLEDGE,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_transfer(*, ticket_id, actor, department: str = "", assignee: str = "", reason: str,
                    expected_version=None, at=None):
    """Transfer (转办) to another department with a reason; it must acknowledge again."""
    reason = _required_text(reason, "reason", _("Say why the ticket is transferred."))
    if not department and not assignee:
        raise ValidationFailed.on("department", _("Choose the department to transfer to."), "required")
    department_row, assignee_row = _department_and_assignee(department, assignee)

    def apply(c: _Change):
        if department_row.pk == c.ticket.lead_department_id and (assignee_row is None or assignee_row.pk == c.ticket.lead_assignee_id):
            raise ValidationFailed.on("department", _("The ticket is already with this department."))
        from_department = c.ticket.lead_department.code if c.ticket.lead_department_id else None
        c.end_lead()
        c.give_lead(department_row, assignee_row)
        c.payload.update(reason=reason, from_department=from_department)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.TRANSFER,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_return(*, ticket_id, actor, reason: str, expected_version=None, at=None):
    """Return (退单): wrongly dispatched; back to the centre for another dispatch."""
    reason = _required_text(reason, "reason", _("Say why the ticket is returned."))

    def apply(c: _Change):
        c.payload.update(reason=reason, department=c.ticket.lead_department.code)
        c.end_lead()

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.RETURN,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_co_handle(*, ticket_id, actor, departments: list[str], note: str = "",
                     expected_version=None, at=None):
    """Co-handling (会办): assisting departments give input; the lead consolidates."""
    if not departments:
        raise ValidationFailed.on("departments", _("Choose at least one assisting department."), "required")
    rows = list(Department.objects.filter(code__in=departments, active=True))
    missing = sorted(set(departments) - {d.code for d in rows})
    if missing:
        raise ValidationFailed.on("departments", _("No active department has the code(s): %(codes)s.") % {"codes": ", ".join(missing)})
    note = _optional_text(note, "note")

    def apply(c: _Change):
        active = {a.department_id for a in c.assignments if a.active}
        added = [d for d in rows if d.pk not in active]
        if any(d.pk == c.ticket.lead_department_id for d in rows):
            raise ValidationFailed.on("departments", _("The lead department cannot also assist."))
        if not added:
            raise ValidationFailed.on("departments", _("These departments already assist on this ticket."))
        Assignment.objects.bulk_create([
            Assignment(ticket=c.ticket, department=d, role=AssignmentRole.ASSISTING,
                       dispatched_at=c.at, dispatched_by=c.actor)
            for d in added
        ])
        c.payload.update(departments=[d.code for d in added], note=note)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.CO_HANDLE,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_assist_input(*, ticket_id, actor, text: str, expected_version=None, at=None):
    text = _required_text(text, "text", _("Write your department's input."))

    def apply(c: _Change):
        mine = next(a for a in c.assignments if a.active and a.role == AssignmentRole.ASSISTING
                    and a.department_id == c.actor.department_id)
        mine.input = text
        mine.input_at = c.at
        mine.acknowledged_at = mine.acknowledged_at or c.at
        mine.acknowledged_by = mine.acknowledged_by or c.actor
        mine.save(update_fields=["input", "input_at", "acknowledged_at", "acknowledged_by"])
        c.payload.update(department=mine.department.code, text=text)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.ASSIST_INPUT,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_urge(*, ticket_id, actor, note: str = "", at=None):
    note = _optional_text(note, "note")

    def apply(c: _Change):
        c.payload.update(note=note, department=c.ticket.lead_department.code if c.ticket.lead_department_id else None)

    # Urging repeats by nature: no version check, the log keeps each reminder.
    return _transition(ticket_id=ticket_id, actor=actor, action=Action.URGE,
                       expected_version=None, apply=apply, at=at)


def ticket_supervise(*, ticket_id, actor, note: str = "", at=None):
    note = _optional_text(note, "note")

    def apply(c: _Change):
        c.payload.update(note=note, supervisor=c.actor.username)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.SUPERVISE,
                       expected_version=None, apply=apply, at=at)


def ticket_submit_plan(*, ticket_id, actor, plan: str, expected_version=None, at=None):
    plan = _required_text(plan, "plan", _("Describe the handling plan."))

    def apply(c: _Change):
        c.set(plan=plan)
        c.payload["plan"] = plan

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.SUBMIT_PLAN,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_approve_plan(*, ticket_id, actor, approve: bool, note: str = "", expected_version=None, at=None):
    """A leader's sign-off (批示) on the plan; a rejection says what to change."""
    if approve:
        note = _optional_text(note, "note")
    else:
        note = _required_text(note, "note", _("Say what must change in the plan."))

    def apply(c: _Change):
        if c.ticket.special:
            # 003: a special case's plan is signed off by the leader configured for its unit.
            leader_id = special_leader_id(org_unit_id=c.ticket.org_unit_id)
            if leader_id is not None and leader_id != c.actor.pk:
                raise Forbidden(_("The plan of this special case is signed off by the leader named for "
                                  "its org unit."), code="refused_special_leader")
        c.set(plan_approved=approve)
        c.payload["note"] = note

    return _transition(ticket_id=ticket_id, actor=actor,
                       action=Action.APPROVE_PLAN if approve else Action.REJECT_PLAN,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_handle(*, ticket_id, actor, notes: str, cause: str = "", responsible_department: str = "",
                  responsible_person: str = "", partial: bool = False, outcome: str = "",
                  expected_version=None, at=None):
    """Handling (处理): notes answering every point raised, the cause and who is responsible.
    A partial completion goes to audit too and comes back for the rest."""
    notes = _required_text(notes, "notes", _("Write the handling notes, answering every point raised."))
    responsible_person = _optional_text(responsible_person, "responsible_person", 100)
    outcome = _optional_text(outcome, "outcome", 200)
    if cause:
        try:
            cause = Cause(cause)
        except ValueError:
            raise ValidationFailed.on("cause", _("“%(value)s” is not a known cause.") % {"value": cause}) from None
    responsible = None
    if responsible_department:
        responsible = Department.objects.filter(code=responsible_department).first()
        if responsible is None:
            raise ValidationFailed.on("responsible_department", _("No department has this code."))

    def apply(c: _Change):
        kind = Kind(c.ticket.kind)
        if kind in (Kind.COMPLAINT, Kind.GRIEVANCE, Kind.FAULT) and not cause and not partial:
            raise ValidationFailed.on("cause", _("Record the cause of the complaint."), "required")
        if kind == Kind.SALES_LEAD and not outcome:
            raise ValidationFailed.on("outcome", _("Report the outcome of the sales lead."), "required")
        if partial and kind not in (Kind.COMPLAINT, Kind.GRIEVANCE, Kind.FAULT):
            raise ValidationFailed.on("partial", _("Only complaints, grievances and faults are audited in parts."))
        c.set(handling_notes=notes, partial=partial)
        if cause:
            c.set(cause=cause)
        if responsible is not None:
            c.set(responsible_department=responsible)
        if responsible_person:
            c.set(responsible_person=responsible_person)
        if kind == Kind.SALES_LEAD:
            c.set(resolution=Resolution.RESOLVED, closed_at=c.at)
        c.payload.update(notes=notes, cause=cause or None, partial=partial, outcome=outcome or None,
                         responsible_department=responsible_department or None,
                         responsible_person=responsible_person or None)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.HANDLE,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_audit(*, ticket_id, actor, approve: bool, note: str = "", expected_version=None, at=None):
    """Audit (审核) by the centre: approve, or reject back to the department with a reason."""
    if approve:
        note = _optional_text(note, "note")
    else:
        note = _required_text(note, "note", _("Say why the handling is not accepted."))

    def apply(c: _Change):
        c.payload.update(note=note, partial=c.ticket.partial)
        c.set(partial=False)

    return _transition(ticket_id=ticket_id, actor=actor,
                       action=Action.AUDIT_APPROVE if approve else Action.AUDIT_REJECT,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_reply(*, ticket_id, actor, text: str, customer_accepts: bool | None = None,
                 expected_version=None, at=None, incident: str = ""):
    """`incident`: the number of the incident whose one reply is carried to this member (kept
    in the member's own event)."""
    text = _required_text(text, "text", _("Write what the customer was told."))

    def apply(c: _Change):
        c.set(reply_text=text)
        if c.ticket.kind in (Kind.INQUIRY, Kind.SUGGESTION):
            c.set(resolution=Resolution.RESOLVED, closed_at=c.at)
        c.payload.update(text=text, customer_accepts=customer_accepts)
        if incident:
            c.payload["incident"] = incident

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.REPLY,
                       expected_version=expected_version, apply=apply, at=at)


def _callback_topics(topics) -> list[str]:
    chosen = [str(x) for x in (topics or [])]
    known = {t.value for t in CallbackTopic}
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise ValidationFailed.on("topics", _("Unknown callback topics: %(items)s.") % {"items": ", ".join(unknown)})
    return [t.value for t in CallbackTopic if t.value in chosen]  # the vocabulary's order, once each


def ticket_callback(*, ticket_id, actor, satisfaction: str, note: str = "", topics=(),
                    expected_version=None, at=None):
    """Callback (回访): the customer was reached (outcome "answered"); satisfaction and the
    topics talked about are recorded; a dissatisfied customer reopens the case."""
    try:
        satisfaction = Satisfaction(satisfaction)
    except ValueError:
        raise ValidationFailed.on("satisfaction", _("Choose satisfied, neutral or dissatisfied."), "required" if not satisfaction else "invalid") from None
    note = _optional_text(note, "note")
    topics = _callback_topics(topics)

    def apply(c: _Change):
        c.set(satisfaction=satisfaction)
        if satisfaction == Satisfaction.DISSATISFIED:
            c.set(reopen_count=c.ticket.reopen_count + 1, plan_approved=False, resolution="")
        else:
            c.set(resolution=Resolution.RESOLVED, closed_at=c.at)
        c.payload.update(satisfaction=satisfaction, note=note, outcome=CallbackOutcome.ANSWERED.value,
                         attempt=c.ticket.callback_attempts + 1)
        if topics:
            c.payload["topics"] = topics
        # The round is over: a reopened case that comes back for a callback starts afresh.
        if c.ticket.callback_attempts or c.ticket.callback_due_at:
            c.set(callback_attempts=0, callback_due_at=None)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.CALLBACK,
                       expected_version=expected_version, apply=apply,
                       payload={"satisfaction": satisfaction}, at=at)


MAX_CALL_AGAIN_AHEAD = dt.timedelta(days=31)


def _call_again_at(value, now: dt.datetime) -> dt.datetime | None:
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        value = value.astimezone(dt.UTC)
        in_range = _EARLIEST <= value <= _LATEST
    except (OverflowError, ValueError, AttributeError):
        in_range = False
    if not in_range:
        raise ValidationFailed.on("call_again_at", _("Enter a date between 1970 and 2200."))
    if value <= now:
        raise ValidationFailed.on("call_again_at", _("The time to call again must be in the future."))
    if value > now + MAX_CALL_AGAIN_AHEAD:
        raise ValidationFailed.on("call_again_at", _("The time to call again must be within 31 days."))
    return value


def ticket_callback_attempt(*, ticket_id, actor, outcome: str, call_again_at: dt.datetime | None = None,
                            topics=(), note: str = "", expected_version=None, at=None):
    """A callback call that did not end in a satisfaction (回访未成功): no answer, switched off,
    wrong number (each counts towards settings.CALLBACK_MAX_ATTEMPTS), refused (the callback
    ends at once), or the customer asked to be called again at a time (not counted).

    The ticket stays awaiting callback with the time to call again (the one given, else
    CALLBACK_RETRY_MINUTES later); the last allowed failed call, or a refusal, closes it as
    "callback failed" (its own resolution, counted by the dashboard). One event per attempt."""
    now = at or timezone.now()
    try:
        outcome = CallbackOutcome(outcome)
    except ValueError:
        outcome = None
    if outcome is None or outcome == CallbackOutcome.ANSWERED:
        raise ValidationFailed.on(
            "outcome", _("Choose how the call went; a customer who answered is recorded with the callback and "
                         "the satisfaction."), "invalid" if outcome else "required")
    when = _call_again_at(call_again_at, now)
    if outcome == CallbackOutcome.CALL_AGAIN and when is None:
        raise ValidationFailed.on("call_again_at", _("Give the time the customer asked to be called at."),
                                  "required")
    topics = _callback_topics(topics)
    note = _optional_text(note, "note", 2000)
    failed = outcome in CALLBACK_FAILURES

    def apply(c: _Change):
        facts = ticket_facts(c.ticket, c.assignments)
        gives_up = workflow.callback_gives_up(facts, outcome)
        attempts = c.ticket.callback_attempts + (1 if failed else 0)
        c.set(callback_attempts=attempts)
        if gives_up:
            c.set(resolution=Resolution.CALLBACK_FAILED, closed_at=c.at, callback_due_at=None)
        else:
            retry = when or c.at + dt.timedelta(minutes=max(1, int(getattr(settings, "CALLBACK_RETRY_MINUTES", 120))))
            c.set(callback_due_at=retry)
        c.payload.update(outcome=outcome.value, attempt=attempts, max_attempts=facts.callback_max_attempts,
                         gives_up=gives_up, note=note,
                         call_again_at=None if gives_up else c.ticket.callback_due_at.isoformat())
        if topics:
            c.payload["topics"] = topics

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.CALLBACK_ATTEMPT,
                       expected_version=expected_version, apply=apply,
                       payload={"outcome": outcome.value}, at=now)


def ticket_close(*, ticket_id, actor, reason: str, expected_version=None, at=None, incident: str = ""):
    """Close without a callback (the customer cannot be reached), with a reason; `incident` as
    for `ticket_reply`."""
    reason = _required_text(reason, "reason", _("Say why the ticket is closed without a callback."))

    def apply(c: _Change):
        c.set(resolution=Resolution.CLOSED_WITHOUT_CALLBACK, closed_at=c.at)
        c.payload["reason"] = reason
        if incident:
            c.payload["incident"] = incident

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.CLOSE,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_archive(*, ticket_id, actor, expected_version=None, at=None):
    return _transition(ticket_id=ticket_id, actor=actor, action=Action.ARCHIVE,
                       expected_version=expected_version, at=at)


def ticket_reopen(*, ticket_id, actor, reason: str, expected_version=None, at=None):
    reason = _required_text(reason, "reason", _("Say why the ticket is reopened."))

    def apply(c: _Change):
        c.set(reopen_count=c.ticket.reopen_count + 1, closed_at=None, resolution="",
              satisfaction="", plan_approved=False, partial=False)
        c.payload["reason"] = reason
        if c.ticket.callback_attempts or c.ticket.callback_due_at:
            c.set(callback_attempts=0, callback_due_at=None)  # a new round of callbacks later

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.REOPEN,
                       expected_version=expected_version, apply=apply, at=at)


# -- deadline actions: the state stays, the clocks move (sla/services/clocks.py) -------------

def ticket_request_info(*, ticket_id, actor, question: str, expected_version=None, at=None):
    """Ask the customer for more information: the ticket waits on the customer and its clocks
    pause (domain.md: a ticket waiting on the customer does not use up its time)."""
    question = _required_text(question, "question", _("Write what the customer is asked."))

    def apply(c: _Change):
        c.set(waiting_on_customer=True)
        c.payload["question"] = question

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.REQUEST_INFO,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_info_received(*, ticket_id, actor, answer: str = "", expected_version=None, at=None):
    """The customer answered: the clocks run again, their deadlines moved by the wait."""
    answer = _optional_text(answer, "answer")

    def apply(c: _Change):
        c.set(waiting_on_customer=False)
        c.payload["answer"] = answer

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.INFO_RECEIVED,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_report_progress(*, ticket_id, actor, text: str, expected_version=None, at=None):
    """The department reports progress (001: within 24 hours, daily by 17:00): the progress
    clock starts its next period."""
    text = _required_text(text, "text", _("Write the progress made."))

    def apply(c: _Change):
        c.payload["text"] = text

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.REPORT_PROGRESS,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_set_agreed_time(*, ticket_id, actor, agreed_time: dt.datetime, note: str = "",
                           expected_version=None, at=None):
    """A time agreed with the customer: it replaces the handling deadline (001)."""
    note = _optional_text(note, "note")
    if agreed_time is None:
        raise ValidationFailed.on("agreed_time", _("Give the time agreed with the customer."), "required")
    try:
        if timezone.is_naive(agreed_time):
            agreed_time = timezone.make_aware(agreed_time)
        # In UTC: PostgreSQL refuses offsets such as +22:31 that Python accepts.
        agreed_time = agreed_time.astimezone(dt.UTC)
        in_range = _EARLIEST <= agreed_time <= _LATEST
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise ValidationFailed.on("agreed_time", _("Enter a date between 1970 and 2200."))
    now = at or timezone.now()
    if agreed_time <= now:
        raise ValidationFailed.on("agreed_time", _("The agreed time must be in the future."))
    if agreed_time > now + MAX_AGREED_AHEAD:
        raise ValidationFailed.on("agreed_time", _("The agreed time must be within a year."))

    def apply(c: _Change):
        previous = c.ticket.agreed_time
        c.set(agreed_time=agreed_time)
        c.payload.update(agreed_time=agreed_time.isoformat(),
                         previous=previous.isoformat() if previous else None, note=note)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.SET_AGREED_TIME,
                       expected_version=expected_version, apply=apply, at=now)


# -- cross-ticket facts: the state stays (screening/) -----------------------------------------

def ticket_set_source(*, ticket_id, actor, source_tier: str, regulator_ref: str = "",
                      regulator_due_at: dt.datetime | None = None, regulator: str = "",
                      regulator_matter: str = "", regulator_urgency: str = "",
                      transferred_at: dt.datetime | None = None, matter_date: dt.date | None = None,
                      expected_version=None, at=None):
    """Record where the ticket came from: its source tier, and for a transfer from above the
    regulator's reference and its deadline — from the regulator's profile (counted from the
    transfer time) or the date the body stated. The deadline is the ticket's REGULATOR clock."""
    def apply(c: _Change):
        errors = []
        tier = (source_tier or "").strip()
        plan = transfer_clean(regulator=regulator, matter=regulator_matter, urgency=regulator_urgency,
                              transferred_at=transferred_at, matter_date=matter_date, tier=tier,
                              now=c.at, errors=errors)
        if plan is not None:
            tier = tier or plan.profile.source_tier
        source = source_clean(tier=tier, ref=regulator_ref, due_at=regulator_due_at,
                              channel=c.ticket.channel, first_reported_at=c.ticket.first_reported_at,
                              errors=errors)
        if not tier:
            errors.append(FieldError("source_tier", _("Choose the source tier."), "required"))
        if errors:
            raise ValidationFailed(_("Check the fields named."), fields=errors)
        own = None
        if plan is not None:
            start = plan.transferred_at or c.ticket.created_at
            own = plan_rule(plan, start=start, stated_due=source.due_at)
            transfer_open(ticket=c.ticket, plan=plan, start=start, stated_due=source.due_at, at=c.at)
        else:
            RegulatorTransfer.objects.filter(ticket_id=c.ticket.pk).delete()
            if source.due_at is not None:
                own = own_rule(profile=None, matter=None, urgency="", start=c.ticket.first_reported_at,
                               amount=None, basis=None, stated_due=source.due_at)
        due = None
        if own is not None:
            c.own[ClockType.REGULATOR] = own
            due = own_schedule(org_unit_id=c.ticket.org_unit_id, own=own).due
        c.set(source_tier=source.tier, regulator_ref=source.ref, regulator_due_at=due)
        c.payload.update(source_tier=source.tier, regulator_ref=source.ref or None,
                         regulator_due_at=due.isoformat() if due else None)
        if plan is not None:
            c.payload.update(regulator=plan.profile.code,
                             regulator_matter=plan.matter.code if plan.matter else None,
                             regulator_urgency=plan.urgency or None)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.SET_SOURCE,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_extend_regulator_deadline(*, ticket_id, actor, reason: str, approved_by: str = "",
                                     expected_version=None, at=None):
    """Extend the regulator's deadline by its profile's next step (NFRA: complex 30 days;
    especially complex 60, approved by a senior manager), with the reason; a step that needs
    approval names the leader who approved it (the actor, when a leader extends it)."""
    reason = _required_text(reason, "reason", _("Say why the deadline needs extending."))
    approver = None
    name = (approved_by or "").strip()
    if name:
        approver = User.objects.filter(username=name, is_active=True, role__in=APPROVER_ROLES).first()
        if approver is None:
            raise ValidationFailed.on("approved_by", _("No active leader has this username."))
    elif getattr(actor, "role", None) in APPROVER_ROLES:
        approver = actor

    def apply(c: _Change):
        transfer = (RegulatorTransfer.objects.select_for_update(of=("self",)).select_related("profile", "matter")
                    .filter(ticket_id=c.ticket.pk).first())
        if transfer is None:
            raise ValidationFailed.on("regulator", _("This ticket has no regulator profile: choose it with the "
                                                     "source first."), "required")
        errors = []
        extension = extension_next(transfer=transfer, org_unit_id=c.ticket.org_unit_id,
                                   approved_by=approver, reason=reason, errors=errors)
        if extension is None:
            raise ValidationFailed(_("The deadline cannot be extended: check the fields named."), fields=errors)
        previous = c.ticket.regulator_due_at
        due = own_schedule(org_unit_id=c.ticket.org_unit_id, own=extension.rule).due
        c.own[ClockType.REGULATOR] = extension.rule
        extension_record(transfer=transfer, extension=extension, stated_due=extension.rule.due_at)
        c.set(regulator_due_at=due)
        c.payload.update(extension.payload, previous_due_at=previous.isoformat() if previous else None,
                         regulator_due_at=due.isoformat() if due else None)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.EXTEND_REGULATOR_DEADLINE,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_unlink_repeat(*, ticket_id, actor, reason: str, expected_version=None, at=None):
    """Undo a repeat link that was wrong (another matter, another person on a shared phone):
    the ticket is no longer a repeat or over the head, the first ticket counts one repeat
    less; the reason is in the event."""
    reason = _required_text(reason, "reason", _("Say why this ticket is not a repeat of the first one."))

    def apply(c: _Change):
        first = Ticket.objects.filter(pk=c.ticket.repeat_of_id).values_list("number", flat=True).first()
        Ticket.objects.filter(pk=c.ticket.repeat_of_id, repeat_count__gt=0).update(
            repeat_count=F("repeat_count") - 1)
        c.payload.update(reason=reason, repeat_of=first)
        if c.ticket.over_the_head:
            c.payload["over_the_head"] = True
        c.set(repeat_of=None, over_the_head=False, routed_department=None)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.UNLINK_REPEAT,
                       expected_version=expected_version, apply=apply, at=at)


def ticket_set_special_type(*, ticket_id, actor, special_type: str, note: str = "",
                            expected_version=None, at=None):
    """Name the special complainant type (000's six types); the ticket becomes a special case
    (its plan then needs a leader's sign-off)."""
    note = _optional_text(note, "note")
    chosen = SpecialType.objects.filter(code=special_type or "", active=True).first()
    if chosen is None:
        raise ValidationFailed.on("special_type", _("Choose a special complainant type."),
                                  "required" if not special_type else "invalid")

    def apply(c: _Change):
        c.set(special_type=chosen, special=True)
        c.set(requires_approval=workflow.requires_approval(
            category_requires=any(n.requires_approval for n in category_chain(c.ticket.category)),
            severity=Severity(c.ticket.severity), special=True))
        c.payload.update(special_type=chosen.code, note=note)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.SET_SPECIAL_TYPE,
                       expected_version=expected_version, apply=apply, at=at)


# 003: within one working day, gather all history and the people involved.
HISTORY_CHECKLIST = ("earlier_tickets", "people_involved", "contact_history", "commitments")


def ticket_gather_history(*, ticket_id, actor, checked: list[str], people: str, note: str = "",
                          expected_version=None, at=None):
    """The special case's history check (a checklist event): which items were gathered and who
    is involved. Every item must be ticked."""
    people = _required_text(people, "people", _("Name the people involved."), limit=2000)
    note = _optional_text(note, "note")
    unknown = sorted(set(checked or []) - set(HISTORY_CHECKLIST))
    if unknown:
        raise ValidationFailed.on("checked", _("Unknown checklist items: %(items)s.") % {"items": ", ".join(unknown)})
    missing = [item for item in HISTORY_CHECKLIST if item not in (checked or [])]
    if missing:
        raise ValidationFailed.on("checked", _("Tick every item of the checklist once it is gathered."), "required")

    def apply(c: _Change):
        due = history_due_at(org_unit_id=c.ticket.org_unit_id, registered_at=c.ticket.created_at)
        c.set(history_gathered_at=c.at)
        c.payload.update(checked=list(HISTORY_CHECKLIST), people=people, note=note,
                         due_at=due.isoformat() if due else None,
                         on_time=None if due is None else c.at <= due)

    return _transition(ticket_id=ticket_id, actor=actor, action=Action.GATHER_HISTORY,
                       expected_version=expected_version, apply=apply, at=at)


# -- merging a duplicate (desk/, issue 12 §5) -------------------------------------------------

def ticket_merge(*, ticket_id, into_id, actor, reason: str = "", expected_version=None, at=None,
                 link_created: Callable[..., None] | None = None):
    """Merge a duplicate (`ticket_id`) into the ticket it repeats (`into_id`): the duplicate is
    closed ("duplicate"), its assignments and clocks end, each ticket gets its own event naming
    the other, and both timelines are kept (the survivor's page shows the duplicate's too).

    Both rows are locked in one statement in id order, whichever way round the merge is
    asked, so two people merging A into B and B into A at once wait for each other instead of
    deadlocking; the second then finds its duplicate or survivor closed. `link_created`
    (desk/services/links.py) records the "duplicate of" link inside the same transaction."""
    reason = _optional_text(reason, "reason", 2000)
    at = at or timezone.now()
    if into_id is None:
        raise ValidationFailed.on("into", _("Give the number of the ticket to merge into."), "required")
    with transaction.atomic():
        rows = {t.pk: t for t in Ticket.objects.select_for_update(of=("self",))
                .select_related("org_unit", "category").filter(pk__in={ticket_id, into_id}).order_by("pk")}
        duplicate, survivor = rows.get(ticket_id), rows.get(into_id)
        if duplicate is None:
            raise NotFound(_("No such ticket."))
        assignments = list(Assignment.objects.filter(ticket_id__in=list(rows)))
        who = actor_facts(actor)
        facts, departments = {}, {}
        for pk, row in rows.items():
            mine = [a for a in assignments if a.ticket_id == pk]
            facts[pk] = ticket_facts(row, mine)
            departments[pk] = {a.department_id for a in mine}
        if not can_view(who, facts[ticket_id], departments[ticket_id]):
            raise NotFound(_("No such ticket."))
        if survivor is None or not can_view(who, facts[into_id], departments[into_id]):
            raise ValidationFailed.on("into", _("No ticket with this number that you may see."))
        if expected_version is not None and expected_version != duplicate.version:
            raise Conflict(
                _("Someone else changed this ticket after you opened it (version %(yours)d, now "
                  "%(now)d). Reload it to see its current state.")
                % {"yours": expected_version, "now": duplicate.version},
                code="version_conflict", extra={"state": duplicate.state, "version": duplicate.version},
            )
        refusal = workflow.merge_refusal(who, facts[ticket_id], facts[into_id], same=ticket_id == into_id)
        if refusal is not None:
            if refusal.code == "not_in_state":
                raise _refusal_error(workflow.Refusal("not_in_state", refusal.state, Action.CLOSE), duplicate)
            if refusal.code in ("merge_self", "survivor_closed"):
                raise ValidationFailed.on("into", REFUSAL_MESSAGES[refusal.code])
            raise _refusal_error(refusal, duplicate)

        # The duplicate: closed into the survivor, like any step of the one writer.
        change = _Change(duplicate, [a for a in assignments if a.ticket_id == ticket_id], actor, at)
        from_state = duplicate.state
        change.end_all()
        change.set(lead_department=None, lead_assignee=None, state=State.CLOSED,
                   resolution=Resolution.DUPLICATE, closed_at=at, version=duplicate.version + 1,
                   updated_at=at)
        if duplicate.waiting_on_customer:
            change.set(waiting_on_customer=False)
        change.payload.update(into=survivor.number or str(survivor.pk), into_id=survivor.pk, reason=reason)
        status = (duplicate.sla_status, duplicate.calendar_missing)
        clocks_on_event(ticket=duplicate, event_type=EventType.MERGED_INTO, from_state=from_state,
                        to_state=State.CLOSED, at=at, payload=change.payload, store_status=False)
        if (duplicate.sla_status, duplicate.calendar_missing) != status:
            change.fields |= {"sla_status", "calendar_missing"}
        duplicate.save(update_fields=sorted(change.fields))
        event_append(ticket=duplicate, type=EventType.MERGED_INTO, actor=actor, at=at,
                     from_state=from_state, to_state=State.CLOSED, payload=change.payload)
        # The survivor keeps its state; its version moves so open forms see the change.
        survivor.version += 1
        survivor.updated_at = at
        survivor.save(update_fields=["version", "updated_at"])
        # No state on the survivor's event: no step of its case (the portal counts steps by state).
        event_append(ticket=survivor, type=EventType.DUPLICATE_MERGED, actor=actor, at=at,
                     from_state="", to_state="",
                     payload={"duplicate": duplicate.number or str(duplicate.pk),
                              "duplicate_id": duplicate.pk, "reason": reason})
        if link_created is not None:
            link_created(duplicate=duplicate, survivor=survivor, at=at)
    return duplicate
