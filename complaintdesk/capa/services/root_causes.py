"""The only writer of a ticket's root cause and accountability note (TicketRootCause).

Recorded during handling (the holding department) and at audit (the centre): the same
people the ticket workflow lets handle or audit the ticket now. Each change is one
transaction that locks the ticket row (the event joins the ticket's hash chain), checks the
record's version, writes the record and appends a `root_cause_recorded` ticket event. The
event says *that* the accountability note changed, never what it says: the timeline is
read by roles that may not read the note.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.capa import workflow
from complaintdesk.capa.models import RootCause, TicketRootCause
from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.tickets.facts import actor_facts, can_view, ticket_facts
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.vocabulary import EventType

TEXT_LIMIT = 5000


def _text(value, field: str) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed.on(field, _("Text must not contain NUL characters."))
    if len(text) > TEXT_LIMIT:
        raise ValidationFailed.on(field, _("At most %(n)d characters.") % {"n": TEXT_LIMIT})
    return text


def root_cause_record(*, ticket_id: int, actor, root_cause: str, analysis: str = "",
                      accountability: str | None = None, expected_version: int | None = None,
                      at: dt.datetime | None = None) -> TicketRootCause:
    """`root_cause`: the code of an active node of the tree. `accountability`: None keeps
    the note as it is (the form of a role that may not read it has no such field); a text
    replaces it, and only the accountability roles may give one. `expected_version`: the
    record's version the caller saw (0 when there was none)."""
    at = at or timezone.now()
    code = (root_cause or "").strip()
    if not code:
        raise ValidationFailed.on("root_cause", _("Choose the root cause."), "required")
    node = RootCause.objects.filter(code=code, active=True).first()
    if node is None:
        raise ValidationFailed.on("root_cause", _("“%(value)s” is not an active root cause.") % {"value": code})
    analysis = _text(analysis, "analysis")
    who = actor_facts(actor)
    if accountability is not None:
        if not workflow.sees_accountability(who.role):
            raise Forbidden(_("Your role may not record a penalty or accountability note."),
                            code="refused_accountability")
        accountability = _text(accountability, "accountability")
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("org_unit")
                  .filter(pk=ticket_id).first())
        if ticket is None:
            raise NotFound(_("No such ticket."))
        assignments = list(Assignment.objects.filter(ticket=ticket))
        facts = ticket_facts(ticket, assignments)
        if not can_view(who, facts, {a.department_id for a in assignments}):
            raise NotFound(_("No such ticket."))
        if not workflow.may_record_root_cause(who, facts):
            raise Forbidden(_("The root cause is recorded while the ticket is handled or audited, by "
                              "whoever handles or audits it."), code="refused_root_cause")
        record = TicketRootCause.objects.select_for_update().filter(ticket=ticket).first()
        current = record.version if record is not None else 0
        if expected_version is not None and expected_version != current:
            raise Conflict(
                _("Someone else changed the root cause after you opened the page (version %(yours)d, "
                  "now %(now)d). Reload it to see the current one.") % {"yours": expected_version, "now": current},
                code="version_conflict", extra={"version": current})
        if record is None:
            record = TicketRootCause(ticket=ticket, version=0)
        accountability_changed = accountability is not None and accountability != record.accountability
        if (record.pk and record.root_cause_id == node.pk and record.analysis == analysis
                and not accountability_changed):
            return record  # nothing changed: no event
        record.root_cause = node
        record.analysis = analysis
        if accountability is not None:
            record.accountability = accountability
        record.recorded_by = actor
        record.recorded_at = at
        record.version = current + 1
        record.save()
        event_append(ticket=ticket, type=EventType.ROOT_CAUSE_RECORDED, actor=actor, at=at,
                     from_state=ticket.state, to_state=ticket.state,
                     payload={"root_cause": node.code, "root_cause_name": node.name,
                              "analysis": analysis, "accountability_changed": accountability_changed})
    return record
