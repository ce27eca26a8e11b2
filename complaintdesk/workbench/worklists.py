"""The worklists of the staff workbench: which lists a role has, which tickets each holds, their
counts, and the saved filters.

A worklist is a condition on top of the viewer's scope (`visible_tickets`). The "to do" lists
are derived from the workflow table: "to dispatch" holds the open tickets in a (kind, state)
where the viewer's role may dispatch, and so on; department roles then see only what their
department holds now (the workflow's `holds_ticket`), the centre and management their org
unit's subtree plus what they registered (the workflow's `in_scope`). So a list holds what
the viewer can see and act on, and a change to the table changes the lists with it.

Guards that depend on more than the state (a plan still to approve, the customer still to
answer) are not applied: the ticket is still the viewer's to work on, the page says what to
do first.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import CENTRE_ROLES, DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.core.phones import mask_phone, phone_shown  # noqa: F401 (mask_phone: imported from here too)
from complaintdesk.sla.vocabulary import ClockType, SlaStatus
from complaintdesk.tickets.facts import flag_condition, ticket_flags
from complaintdesk.tickets.models import Assignment, TicketEvent
from complaintdesk.tickets.selectors import department_open_tickets
from complaintdesk.tickets.vocabulary import (
    OPEN_STATES,
    Action,
    AssignmentRole,
    EventType,
    Kind,
    Severity,
    State,
    TicketFlag,
)
from complaintdesk.tickets.workflow import SUPERVISORS, URGERS, transition_for
from complaintdesk.workbench.models import SavedFilter

OPEN = sorted(s.value for s in OPEN_STATES)


@dataclass(frozen=True)
class Worklist:
    key: str
    title: str
    description: str
    # The workflow actions that put a ticket on the list (any of them), or None for a list
    # defined by its own condition.
    actions: tuple[Action, ...] | None = None
    counted: bool = True


WORKLISTS: tuple[Worklist, ...] = (
    Worklist("mine", _("My tickets"),
             _("Open tickets I registered (first-contact responsibility) or that were dispatched to me by name.")),
    Worklist("to_review", _("To review"), _("Registered tickets to check for completeness and validity."),
             (Action.REVIEW_VALID,)),
    Worklist("to_dispatch", _("To dispatch"), _("Reviewed tickets (and sales leads) to send to a department."),
             (Action.DISPATCH,)),
    Worklist("to_acknowledge", _("My department's to acknowledge"),
             _("Dispatched to my department and not yet acknowledged."), (Action.ACKNOWLEDGE,)),
    Worklist("to_handle", _("To handle"), _("Acknowledged by my department and being handled."),
             (Action.HANDLE,)),
    Worklist("to_assist", _("Co-handling: my input"),
             _("Tickets another department leads where my department assists and has not given input yet."),
             (Action.ASSIST_INPUT,)),
    Worklist("to_approve", _("To approve"), _("Handling plans waiting for a leader's approval."),
             (Action.APPROVE_PLAN,)),
    Worklist("to_audit", _("To audit"), _("Handled tickets to check before the customer is told."),
             (Action.AUDIT_APPROVE,)),
    Worklist("to_reply", _("To reply"), _("Audited tickets whose result is to be told to the customer."),
             (Action.REPLY,)),
    Worklist("to_callback", _("To call back"), _("Replied tickets waiting for the callback and satisfaction."),
             (Action.CALLBACK,)),
    Worklist("at_risk", _("At risk"), _("Open tickets past the warning point of a deadline.")),
    Worklist("overdue", _("Overdue"), _("Open tickets past a deadline.")),
    Worklist("repeat", _("Repeat complaints"),
             _("Open tickets that repeat an earlier ticket of the same customer about the same matter.")),
    Worklist("over_the_head", _("Over the head"),
             _("Open tickets that came from a regulator, 12345, the media or leadership after the customer "
               "had complained directly.")),
    Worklist("supervised", _("Supervised by me"),
             _("Open tickets I urged or put under supervision; for supervisors and leaders also every "
               "major or special case in my scope.")),
    Worklist("all", _("All tickets I can see"), _("Every ticket in my scope, open or closed: search and filter."),
             counted=False),
)
BY_KEY = {w.key: w for w in WORKLISTS}


@functools.cache  # pure: the workflow table does not change while the process runs
def _action_cells(role: Role, actions: tuple[Action, ...]) -> list[tuple[list[str], str]]:
    """The (kinds, state) cells of the workflow table where `role` may take one of `actions`."""
    cells: dict[str, list[str]] = {}
    for state in State:
        if state not in OPEN_STATES:
            continue
        for kind in Kind:
            if any((t := transition_for(kind, state, a)) is not None and role in t.roles for a in actions):
                cells.setdefault(state.value, []).append(kind.value)
    return [(kinds, state) for state, kinds in cells.items()]


def _holds(viewer) -> Q:
    """The workflow's `holds_ticket` as a condition: my department holds the lead; a ticket
    dispatched to a named account is that person's (or the department head's)."""
    q = Q(lead_department_id=viewer.department_id)
    if viewer.role != Role.DEPT_HEAD:
        q &= Q(lead_assignee__isnull=True) | Q(lead_assignee_id=viewer.pk)
    return q


def _assisting(viewer, *, without_input: bool = False) -> Exists:
    rows = Assignment.objects.filter(ticket_id=OuterRef("pk"), department_id=viewer.department_id,
                                     role=AssignmentRole.ASSISTING, active=True)
    if without_input:
        rows = rows.filter(input="")
    return Exists(rows)


def _condition(worklist: Worklist, viewer) -> Q | None:
    """The list's condition on top of `visible_tickets(viewer)`, or None when the viewer's role
    has no such list."""
    role = Role(viewer.role)
    in_department = role in DEPARTMENT_ROLES
    if in_department and not viewer.department_id:
        in_department = False
    key = worklist.key
    if key == "all":
        return Q()
    if key == "mine":
        return Q(state__in=OPEN) & (Q(owner_id=viewer.pk) | Q(lead_assignee_id=viewer.pk))
    if key in ("repeat", "over_the_head"):
        q = Q(state__in=OPEN) & flag_condition(TicketFlag(key))
        if in_department:
            q &= _holds(viewer) | _assisting(viewer)
        return q
    if key in ("at_risk", "overdue"):
        status = SlaStatus.AT_RISK if key == "at_risk" else SlaStatus.OVERDUE
        q = Q(state__in=OPEN, sla_status=status.value)
        if in_department:
            # What my department works on now, not everything it ever held.
            q &= _holds(viewer) | _assisting(viewer)
        return q
    if key == "supervised":
        if role not in URGERS:
            return None
        mine = Q(id__in=TicketEvent.objects.filter(
            actor_id=viewer.pk, type__in=[EventType.URGED.value, EventType.SUPERVISED.value]).values("ticket_id"))
        if role in SUPERVISORS:
            mine |= Q(severity=Severity.MAJOR.value) | Q(special=True)
        return Q(state__in=OPEN) & mine
    cells = _action_cells(role, worklist.actions or ())
    if not cells:
        return None
    q = Q()
    for kinds, state in cells:
        q |= Q(state=state, kind__in=kinds)
    if key == "to_assist":
        return q & _assisting(viewer, without_input=True) if in_department else None
    if role in DEPARTMENT_ROLES:
        return q & _holds(viewer) if in_department else None
    if role in CENTRE_ROLES or role == Role.ADMIN:
        return q  # visible_tickets is the workflow's in_scope for these roles
    return None


@dataclass
class WorklistEntry:
    worklist: Worklist
    condition: Q
    count: int | None = None

    @property
    def key(self) -> str:
        return self.worklist.key


def worklists_for(viewer) -> list[WorklistEntry]:
    """The viewer's worklists, in a fixed order (no query)."""
    entries = []
    for worklist in WORKLISTS:
        cond = _condition(worklist, viewer)
        if cond is not None:
            entries.append(WorklistEntry(worklist, cond))
    return entries


def worklist_get(viewer, key: str) -> WorklistEntry:
    worklist = BY_KEY.get(key)
    cond = _condition(worklist, viewer) if worklist else None
    if cond is None:
        raise NotFound(_("No such worklist."))
    return WorklistEntry(worklist, cond)


def worklist_counts(viewer) -> list[WorklistEntry]:
    """The viewer's worklists with their counts: one aggregate query over the open tickets in
    scope (two with the viewer's org unit, when it is not loaded yet)."""
    entries = worklists_for(viewer)
    counted = {e.key: e for e in entries if e.worklist.counted}
    if counted:
        aggregates = {key: Count("pk", filter=e.condition) for key, e in counted.items()}
        # Every counted list is about open tickets; for a department role, about those its
        # department holds or assists on now, or that the viewer registered.
        base = department_open_tickets(viewer)
        totals = base.aggregate(**aggregates)
        for key, entry in counted.items():
            entry.count = totals[key] or 0
    return entries


# -- saved filters ------------------------------------------------------------------------------

SAVED_FILTER_MAX = 50


def saved_filters(viewer) -> list[SavedFilter]:
    """The viewer's own saved filters (one query)."""
    return list(SavedFilter.objects.filter(owner_id=viewer.pk).order_by("name", "id"))


def saved_filter_url_query(params: dict[str, list[str] | str]) -> str:
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            if item not in ("", None):
                pairs.append((name, item))
    return urlencode(pairs)


def saved_filter_save(*, owner, name: str, worklist: str, query: str) -> SavedFilter:
    """Save (or replace, under the same name) the owner's filter set for a worklist."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.on("name", _("Give the filter a name."), "required")
    if len(name) > 80:
        raise ValidationFailed.on("name", _("Use at most 80 characters for the name."))
    if "\x00" in name or "\x00" in (query or ""):
        raise ValidationFailed.on("name", _("Remove the NUL character."))
    if len(query or "") > 2000:
        raise ValidationFailed.on("name", _("These filters are too long to save."))
    worklist_get(owner, worklist)
    with transaction.atomic():
        existing = SavedFilter.objects.select_for_update().filter(owner_id=owner.pk, name=name).first()
        if existing is not None:
            existing.worklist, existing.query = worklist, query or ""
            existing.save(update_fields=["worklist", "query"])
            return existing
        if SavedFilter.objects.filter(owner_id=owner.pk).count() >= SAVED_FILTER_MAX:
            raise ValidationFailed.on("name", _("You have 50 saved filters; delete one first."))
        try:
            with transaction.atomic():
                return SavedFilter.objects.create(owner=owner, name=name, worklist=worklist, query=query or "")
        except IntegrityError:  # saved at the same moment in another tab
            raise ValidationFailed.on("name", _("A filter with this name was just saved; try again.")) from None


def saved_filter_delete(*, owner, filter_id: int) -> None:
    """Delete one of the owner's saved filters; another person's is 'not found'."""
    deleted, _n = SavedFilter.objects.filter(pk=filter_id, owner_id=owner.pk).delete()
    if not deleted:
        raise NotFound(_("No such saved filter."))


# -- rows as the table and the export show them -------------------------------------------------


class RowWords:
    """The translated words rows need, looked up once per list in the active language rather
    than per row (gettext and the enum labels cost microseconds each, fifty rows times ten)."""

    def __init__(self):
        def labels(enum) -> dict[str, str]:
            return {m.value: str(m.label) for m in enum}

        self.kind, self.state, self.severity = labels(Kind), labels(State), labels(Severity)
        self.sla, self.clock = labels(SlaStatus), labels(ClockType)
        self.days = gettext("%(days)d d %(hours)d h")
        self.hours = gettext("%(hours)d h %(minutes)d min")
        self.minutes = gettext("%(minutes)d min")
        self.left = gettext("%(time)s left")
        self.overdue = gettext("%(time)s overdue")
        self.categories: dict[int, str] = {}
        self.departments: dict[int, str] = {}

    def duration(self, seconds: int) -> str:
        minutes = max(0, seconds) // 60
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self.days % {"days": days, "hours": hours}
        if hours:
            return self.hours % {"hours": hours, "minutes": minutes}
        return self.minutes % {"minutes": minutes}

    def name(self, cache: dict[int, str], obj) -> str:
        if obj is None:
            return ""
        if obj.pk not in cache:
            cache[obj.pk] = obj.display_name
        return cache[obj.pk]


# What a row shows besides the ticket's own columns (loaded with the page: no query per row).
ROW_RELATED = ("category", "lead_department")
# Long columns a row does not show: neither read nor decoded (JSON) for fifty rows.
ROW_DEFERRED = ("description", "elements", "plan", "handling_notes", "reply_text", "product",
                "responsible_person", "special_matches", "regulator_ref")


@dataclass
class Row:
    id: int
    number: str
    title: str
    kind: str
    category: str
    state: str
    state_label: str
    severity: str
    severity_label: str
    special: bool
    department: str
    phone: str
    registered_at: dt.datetime
    due_at: dt.datetime | None
    due_clock: str
    left_seconds: int | None
    time_left: str
    sla_status: str
    sla_label: str
    waiting: bool
    flags: tuple[str, ...] = ()
    registered_iso: str = ""
    registered_text: str = ""
    due_iso: str = ""
    due_text: str = ""
    url: str = ""


def _times(value: dt.datetime | None) -> tuple[str, str]:
    # Local wall-clock time, formatted once here rather than by a template filter per cell.
    if value is None:
        return "", ""
    local = timezone.localtime(value)
    return local.isoformat(timespec="seconds"), local.strftime("%Y-%m-%d %H:%M")


def worklist_row(ticket, now: dt.datetime, words: RowWords | None = None) -> Row:
    """One ticket as a list row; the ticket comes from `ticket_list(..., deadlines=True)` or
    `ticket_rows` (category and department loaded: no query here). Pass the same `words` to
    every row of a list."""
    w = words or RowWords()
    due = getattr(ticket, "next_due_at", None)
    left = int((due - now).total_seconds()) if due is not None else None
    if left is None:
        time_left = ""
    elif left >= 0:
        time_left = w.left % {"time": w.duration(left)}
    else:
        time_left = w.overdue % {"time": w.duration(-left)}
    clock = getattr(ticket, "next_due_clock", None) or ""
    registered, due_times = _times(ticket.created_at), _times(due)
    return Row(
        id=ticket.pk, number=ticket.number or "", title=ticket.title, kind=w.kind.get(ticket.kind, ticket.kind),
        category=w.name(w.categories, ticket.category if ticket.category_id else None),
        state=ticket.state, state_label=w.state.get(ticket.state, ticket.state),
        severity=ticket.severity, severity_label=w.severity.get(ticket.severity, ticket.severity),
        special=ticket.special,
        department=w.name(w.departments, ticket.lead_department if ticket.lead_department_id else None),
        # Lists and their exports mask every number, whoever looks (a screen is looked over,
        # a file travels); the full number is on the ticket page for those who may see it.
        phone=phone_shown(ticket.contact_phone, full=False), registered_at=ticket.created_at,
        due_at=due, due_clock=w.clock.get(clock, clock), left_seconds=left,
        time_left=time_left, sla_status=ticket.sla_status, sla_label=w.sla.get(ticket.sla_status, ticket.sla_status),
        waiting=ticket.waiting_on_customer, flags=tuple(ticket_flags(ticket)),
        registered_iso=registered[0], registered_text=registered[1], due_iso=due_times[0], due_text=due_times[1],
    )
