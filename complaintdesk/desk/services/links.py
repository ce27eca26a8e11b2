"""Links between tickets (related, duplicate of) and merging a duplicate (issue 12 §5).

A link writes one event on each ticket; both ticket rows are locked in id order first (each
ticket's event chain is appended under its own lock, and a fixed order means two people
linking the same pair from either side wait rather than deadlock). Merging goes through the
one writer of state, `transitions.ticket_merge`, which records the link in its transaction."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.desk.models import TicketLink
from complaintdesk.desk.vocabulary import LinkType
from complaintdesk.tickets import workflow
from complaintdesk.tickets.facts import actor_facts, can_view, ticket_facts
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.services import transitions
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.vocabulary import EventType


def ticket_id_of(number: str) -> int | None:
    """The id of the ticket with this number (or a plain id); visibility is checked by the
    writer under its lock."""
    number = (number or "").strip()
    if not number:
        return None
    found = Ticket.objects.filter(number=number).values_list("pk", flat=True).first()
    if found is None and number.isdigit() and len(number) < 12:
        found = Ticket.objects.filter(pk=int(number)).values_list("pk", flat=True).first()
    return found


def _locked_pair(actor, ticket_id: int, other_id: int | None):
    """Both rows locked in id order, with their facts; NotFound / field errors when the
    actor may not see them."""
    rows = {t.pk: t for t in Ticket.objects.select_for_update(of=("self",)).select_related("org_unit")
            .filter(pk__in={ticket_id, other_id or ticket_id}).order_by("pk")}
    who = actor_facts(actor)
    assignments = list(Assignment.objects.filter(ticket_id__in=list(rows)))
    facts = {}
    for pk, row in rows.items():
        mine = [a for a in assignments if a.ticket_id == pk]
        facts[pk] = ticket_facts(row, mine)
        if not can_view(who, facts[pk], {a.department_id for a in mine}):
            rows.pop(pk)
    if ticket_id not in rows:
        raise NotFound(_("No such ticket."))
    if other_id is None or other_id not in rows:
        raise ValidationFailed.on("other", _("No ticket with this number that you may see."))
    return who, rows, facts


def _refuse(refusal, ticket):
    if refusal.code == "link_self":
        raise ValidationFailed.on("other", transitions.REFUSAL_MESSAGES["link_self"])
    if refusal.code == "not_in_state":
        raise Conflict(_("An archived ticket cannot be linked."), code="state_conflict",
                       extra={"state": ticket.state, "version": ticket.version})
    raise Forbidden(_("Your role may not do this."), code=f"refused_{refusal.code}")


def link_add(*, ticket_id: int, other: str, type: str, actor, at: dt.datetime | None = None) -> TicketLink:
    try:
        link_type = LinkType(type)
    except ValueError:
        raise ValidationFailed.on("type", _("Choose related or duplicate of."), "required" if not type else "invalid") from None
    other_id = ticket_id_of(other)
    if other_id is None:
        raise ValidationFailed.on("other", _("No ticket with this number that you may see."),
                                  "required" if not (other or "").strip() else "invalid")
    at = at or timezone.now()
    with transaction.atomic():
        who, rows, facts = _locked_pair(actor, ticket_id, other_id)
        refusal = workflow.link_refusal(who, facts[ticket_id], facts[other_id], same=ticket_id == other_id)
        if refusal is not None:
            _refuse(refusal, rows[ticket_id])
        a, b = ticket_id, other_id
        if link_type == LinkType.RELATED and a > b:
            a, b = b, a  # stored once, read from both sides
        if TicketLink.objects.filter(ticket_id__in=(a, b), other_id__in=(a, b)).exists():
            raise ValidationFailed.on("other", _("These two tickets are already linked."))
        try:
            with transaction.atomic():
                link = TicketLink.objects.create(ticket_id=a, other_id=b, type=link_type, created_by=actor,
                                                 created_at=at)
        except IntegrityError:
            raise ValidationFailed.on("other", _("These two tickets are already linked.")) from None
        for me, them in ((ticket_id, other_id), (other_id, ticket_id)):
            event_append(ticket=rows[me], type=EventType.TICKET_LINKED, actor=actor, at=at,
                         from_state="", to_state="",
                         payload={"link": link_type.value, "other": rows[them].number or str(them),
                                  "direction": "from" if me == link.ticket_id else "to"})
    return link


def link_remove(*, link_id: int, ticket_id: int, actor, at: dt.datetime | None = None) -> None:
    at = at or timezone.now()
    link = TicketLink.objects.filter(pk=link_id).first()
    if link is None or ticket_id not in (link.ticket_id, link.other_id):
        raise NotFound(_("No such link."))
    with transaction.atomic():
        who, rows, facts = _locked_pair(actor, link.ticket_id, link.other_id)
        link = TicketLink.objects.select_for_update().filter(pk=link_id).first()
        if link is None:
            raise NotFound(_("No such link."))
        if link.merged_at is not None:
            raise ValidationFailed.on("link", _("A merged duplicate stays linked to the ticket it was merged into."))
        refusal = workflow.link_refusal(who, facts[link.ticket_id], facts[link.other_id], same=False)
        if refusal is not None:
            _refuse(refusal, rows[link.ticket_id])
        link.delete()
        for me, them in ((link.ticket_id, link.other_id), (link.other_id, link.ticket_id)):
            event_append(ticket=rows[me], type=EventType.TICKET_UNLINKED, actor=actor, at=at,
                         from_state="", to_state="",
                         payload={"link": link.type, "other": rows[them].number or str(them)})


def _merge_link(*, duplicate, survivor, at, actor=None):
    # Any earlier link between the two becomes the merge's "duplicate of" link.
    TicketLink.objects.filter(ticket_id__in=(duplicate.pk, survivor.pk),
                              other_id__in=(duplicate.pk, survivor.pk)).delete()
    TicketLink.objects.create(ticket=duplicate, other=survivor, type=LinkType.DUPLICATE_OF,
                              created_by=actor, created_at=at, merged_at=at)


def ticket_merge(*, ticket_id: int, into: str, actor, reason: str = "", expected_version=None,
                 at: dt.datetime | None = None):
    """Merge the duplicate `ticket_id` into the ticket numbered `into` (the one writer of
    state does it; the link is recorded in the same transaction)."""
    into_id = ticket_id_of(into)
    if into_id is None:
        raise ValidationFailed.on("into", _("No ticket with this number that you may see."),
                                  "required" if not (into or "").strip() else "invalid")
    return transitions.ticket_merge(ticket_id=ticket_id, into_id=into_id, actor=actor, reason=reason,
                                    expected_version=expected_version, at=at,
                                    link_created=lambda **kw: _merge_link(actor=actor, **kw))
