"""The only writer of incidents: create one around a lead ticket, add and remove members,
and carry one reply or one close to every member.

Carrying goes through the one writer of ticket state (tickets/services/transitions.py), one
member after the other, each in its own transaction: every member gets its own event (with
the incident's number in its payload), a member whose state or scope cannot take the action
is refused by the same checks as on its own page and named in the result with the reason;
the others go ahead. Membership rows are locked with the incident (SELECT … FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) so two people changing one incident never lose a change.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import CENTRE_ROLES, Role
from complaintdesk.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from complaintdesk.incidents.models import Incident, IncidentMember
from complaintdesk.incidents.vocabulary import IncidentState, MemberSource
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.services import transitions
from complaintdesk.tickets.vocabulary import OPEN_STATES

TITLE_MAX = 200


def _required(value: str, field: str, message) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed.on(field, _("Text must not contain NUL characters."))
    if not text:
        raise ValidationFailed.on(field, message, "required")
    if len(text) > 20000:
        raise ValidationFailed.on(field, _("At most %(n)d characters.") % {"n": 20000})
    return text


def may_manage(actor) -> bool:
    """Whether the actor groups tickets into incidents (the pages show the forms only then)."""
    return actor.role in CENTRE_ROLES or actor.role == Role.ADMIN


def _may_manage(actor) -> None:
    if not may_manage(actor):
        raise Forbidden(_("Only the centre groups tickets into incidents."), code="refused_role")


def _open_visible_ticket(actor, ticket_id: int, field: str):
    ticket = visible_tickets(actor).filter(pk=ticket_id).only("id", "number", "state", "title").first()
    if ticket is None:
        raise ValidationFailed.on(field, _("No such ticket."), "not_found")
    if ticket.state not in OPEN_STATES:
        raise ValidationFailed.on(field, _("Ticket %(number)s is closed: only open tickets join an incident.")
                                  % {"number": ticket.number})
    return ticket


def _locked(actor, incident_id: int) -> Incident:
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None or not visible_tickets(actor).filter(pk=incident.lead_id).exists():
        raise NotFound(_("No such incident."))
    return incident


def _already_member(ticket, field: str) -> ValidationFailed:
    other = IncidentMember.objects.select_related("incident").filter(ticket_id=ticket.pk).first()
    number = other.incident.number if other else "?"
    return ValidationFailed.on(field, _("Ticket %(ticket)s already belongs to incident %(incident)s.")
                               % {"ticket": ticket.number, "incident": number}, "already_member")


def incident_create(*, actor, lead_ticket_id: int, title: str = "", at=None) -> Incident:
    """An incident around an open lead ticket; its title defaults to the lead's."""
    _may_manage(actor)
    title = (title or "").strip()
    if "\x00" in title:
        raise ValidationFailed.on("title", _("Text must not contain NUL characters."))
    if len(title) > TITLE_MAX:
        raise ValidationFailed.on("title", _("At most %(n)d characters.") % {"n": TITLE_MAX})
    at = at or timezone.now()
    lead = _open_visible_ticket(actor, lead_ticket_id, "lead")
    try:
        with transaction.atomic():
            incident = Incident.objects.create(title=title or lead.title, lead_id=lead.pk, created_by=actor,
                                               created_at=at)
            incident.number = f"SG{timezone.localtime(at):%Y%m%d}{incident.pk:05d}"
            Incident.objects.filter(pk=incident.pk).update(number=incident.number)
            IncidentMember.objects.create(incident=incident, ticket_id=lead.pk, source=MemberSource.LEAD,
                                          added_by=actor, added_at=at)
    except IntegrityError:
        raise _already_member(lead, "lead") from None
    return incident


def incident_add_member(*, actor, incident_id: int, ticket_id: int, source: str = MemberSource.HAND,
                        at=None) -> IncidentMember:
    _may_manage(actor)
    if source not in (MemberSource.HAND, MemberSource.SUGGESTION):
        raise ValidationFailed.on("source", _("Choose hand or suggestion."))
    at = at or timezone.now()
    try:
        with transaction.atomic():
            incident = _locked(actor, incident_id)
            if incident.state != IncidentState.OPEN:
                raise Conflict(_("Incident %(number)s is closed.") % {"number": incident.number},
                               code="incident_closed")
            ticket = _open_visible_ticket(actor, ticket_id, "ticket")
            with transaction.atomic():
                return IncidentMember.objects.create(incident=incident, ticket_id=ticket.pk, source=source,
                                                     added_by=actor, added_at=at)
    except IntegrityError:
        raise _already_member(ticket, "ticket") from None


def incident_remove_member(*, actor, incident_id: int, ticket_id: int) -> None:
    """Take a member out (added by mistake); the lead ticket stays: it is the incident."""
    _may_manage(actor)
    with transaction.atomic():
        incident = _locked(actor, incident_id)
        if incident.state != IncidentState.OPEN:
            raise Conflict(_("Incident %(number)s is closed.") % {"number": incident.number},
                           code="incident_closed")
        if ticket_id == incident.lead_id:
            raise ValidationFailed.on("ticket", _("The lead ticket cannot leave its incident."))
        if not visible_tickets(actor).filter(pk=ticket_id).exists():
            raise ValidationFailed.on("ticket", _("No such ticket."), "not_found")
        deleted, _rows = IncidentMember.objects.filter(incident=incident, ticket_id=ticket_id).delete()
        if not deleted:
            raise ValidationFailed.on("ticket", _("This ticket is not a member of the incident."))


@dataclass
class Refusal:
    ticket_id: int
    number: str
    code: str
    reason: str


@dataclass
class CarryResult:
    incident: Incident
    done: list[str] = field(default_factory=list)  # ticket numbers that took the action
    refused: list[Refusal] = field(default_factory=list)


def _carry(*, actor, incident_id: int, act) -> CarryResult:
    with transaction.atomic():
        incident = _locked(actor, incident_id)
        if incident.state != IncidentState.OPEN:
            raise Conflict(_("Incident %(number)s is closed.") % {"number": incident.number},
                           code="incident_closed")
        members = list(IncidentMember.objects.filter(incident=incident).select_related("ticket")
                       .only("id", "ticket_id", "ticket__number").order_by("id"))
    result = CarryResult(incident=incident)
    members.sort(key=lambda m: (m.ticket_id != incident.lead_id, m.pk))
    for member in members:
        number = member.ticket.number or str(member.ticket_id)
        try:
            act(member.ticket_id)
        except NotFound:
            # Out of the actor's scope: named by number only, its content stays hidden.
            result.refused.append(Refusal(member.ticket_id, number, "not_found",
                                          str(_("You may not see this ticket."))))
        except DomainError as exc:
            result.refused.append(Refusal(member.ticket_id, number, exc.code, str(exc.message)))
        else:
            result.done.append(number)
    return result


def incident_reply(*, actor, incident_id: int, text: str, customer_accepts: bool | None = None) -> CarryResult:
    """One reply to the customers of every member (each member its own `replied` event)."""
    _may_manage(actor)
    # Checked once here: a missing text is the caller's mistake, not every member's refusal.
    text = _required(text, "text", _("Write what the customers were told."))
    number_of = {}

    def act(ticket_id):
        transitions.ticket_reply(ticket_id=ticket_id, actor=actor, text=text, customer_accepts=customer_accepts,
                                 incident=number_of["n"])

    incident = Incident.objects.filter(pk=incident_id).only("number").first()
    number_of["n"] = incident.number if incident else ""
    return _carry(actor=actor, incident_id=incident_id, act=act)


def incident_close(*, actor, incident_id: int, reason: str, at=None) -> CarryResult:
    """One close (without callback) carried to every member; the incident closes once no
    member is left open."""
    _may_manage(actor)
    reason = _required(reason, "reason", _("Say why the tickets are closed."))
    incident = Incident.objects.filter(pk=incident_id).only("number").first()
    number = incident.number if incident else ""

    def act(ticket_id):
        transitions.ticket_close(ticket_id=ticket_id, actor=actor, reason=reason, incident=number)

    result = _carry(actor=actor, incident_id=incident_id, act=act)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident_id)
        still_open = IncidentMember.objects.filter(incident=locked, ticket__state__in=sorted(OPEN_STATES)).exists()
        if not still_open and locked.state == IncidentState.OPEN:
            locked.state = IncidentState.CLOSED
            locked.closed_at = at or timezone.now()
            locked.save(update_fields=["state", "closed_at"])
        result.incident = locked
    return result
