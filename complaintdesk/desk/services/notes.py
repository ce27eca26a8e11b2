"""Internal notes (issue 12 §5): a note is an event of the ticket (`note_added`), visible to
staff only — the portal's public timeline lists only what was written for the customer —
and every @mentioned colleague hears of it through their notification settings.

No version bump: a note changes nothing another person's open form relies on, so it must
not turn their next action into a conflict. The ticket row is locked only to append the
event to the ticket's audit chain in order."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.models import User
from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.tickets import workflow
from complaintdesk.tickets.facts import actor_facts, can_view, ticket_facts
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.vocabulary import EventType

NOTE_MAX = 5000
MENTIONS_MAX = 20
# "@username" at the start or after a space or punctuation, not inside an e-mail address.
MENTION = re.compile(r"(?<![\w@.])@([\w][\w.\-]*)")
QUOTE = 300


def mentions_in(text: str) -> list[str]:
    return sorted({m.rstrip(".-") for m in MENTION.findall(text or "")})


def note_add(*, ticket_id: int, actor, text: str, mentions: list[str] | tuple = (),
             at: dt.datetime | None = None):
    """Add an internal note; `mentions` (from the staff picker) and the @names in the text
    are told. A name nobody has, or a colleague who may not see the ticket, is refused at the
    field `mentions` (nothing is written)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.on("text", _("Write the note."), "required")
    if "\x00" in text:
        raise ValidationFailed.on("text", _("Text must not contain NUL characters."))
    if len(text) > NOTE_MAX:
        raise ValidationFailed.on("text", _("At most %(n)d characters.") % {"n": NOTE_MAX})
    names = sorted(set(mentions_in(text)) | {m.strip().lstrip("@") for m in mentions if m and m.strip()})
    if len(names) > MENTIONS_MAX:
        raise ValidationFailed.on("mentions", _("Mention at most %(n)d people in one note.") % {"n": MENTIONS_MAX})
    at = at or timezone.now()
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("org_unit")
                  .filter(pk=ticket_id).first())
        if ticket is None:
            raise NotFound(_("No such ticket."))
        assignments = list(Assignment.objects.filter(ticket=ticket))
        facts = ticket_facts(ticket, assignments)
        departments = {a.department_id for a in assignments}
        if not can_view(actor_facts(actor), facts, departments):
            raise NotFound(_("No such ticket."))
        refusal = workflow.note_refusal(actor_facts(actor), facts)
        if refusal is not None:
            if refusal.code == "not_in_state":
                raise Conflict(_("This ticket is archived: it takes no more notes."), code="state_conflict",
                               extra={"state": ticket.state, "version": ticket.version})
            raise Forbidden(_("Your role may not do this."), code="refused_role")
        people = []
        if names:
            found = {u.username: u for u in User.objects.select_related("org_unit")
                     .filter(username__in=names, is_active=True)}
            unknown = [n for n in names if n not in found]
            if unknown:
                raise ValidationFailed.on("mentions", _("No active staff account is named: %(names)s.")
                                          % {"names": ", ".join(unknown)})
            # A mention tells the ticket's title: only to colleagues who may open it.
            blind = [n for n in names if not can_view(actor_facts(found[n]), facts, departments)]
            if blind:
                raise ValidationFailed.on("mentions", _("These colleagues may not see this ticket: %(names)s.")
                                          % {"names": ", ".join(blind)})
            people = [found[n] for n in names if found[n].pk != actor.pk]
        # No state on the event: it is no step of the case (the portal counts steps by state).
        event = event_append(ticket=ticket, type=EventType.NOTE_ADDED, actor=actor, at=at,
                             from_state="", to_state="",
                             payload={"text": text, "mentions": names})
        quote = text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"
        context = {"ticket_number": str(ticket), "ticket_id": ticket.pk, "title": ticket.title,
                   "actor": actor.display_name or actor.username, "note": quote}
        staff_notify_many([{"dedupe_key": f"note:{event.pk}:{u.pk}", "template": "ticket_mentioned",
                            "recipient_user": u, "context": context} for u in people])
    return event
