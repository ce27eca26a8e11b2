"""The instructions (批示) and follow-up notes on a case dossier: their only writer.

Apart from sla/services/ledger.py because it appends ticket events (tickets/services/events.py),
and ledger.py is read by the clock engine that the ticket selectors import: the layering
contract keeps selectors from reaching the ticket services through it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import Forbidden, NotFound, ValidationFailed
from complaintdesk.sla.models import DossierNote, LedgerEntry
from complaintdesk.sla.vocabulary import DossierNoteKind, dossier_note_allowed
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.vocabulary import EventType

DOSSIER_NOTE_MAX = 4000
_NOTE_EVENTS = {DossierNoteKind.INSTRUCTION: EventType.DOSSIER_INSTRUCTED,
                DossierNoteKind.FOLLOW_UP: EventType.DOSSIER_FOLLOWED_UP}


def dossier_note_add(*, entry: LedgerEntry, actor, kind: str, text: str,
                     at: dt.datetime | None = None) -> DossierNote:
    """Write the head's instruction (批示) or a follow-up note on the entry's case dossier.

    `entry` comes from the viewer-scoped `sla.selectors.ledger_get` (the caller may see it);
    the role is checked here (`dossier_note_allowed`). The note and its ticket event are one
    transaction under the ticket's row lock (the event log's hash chain needs it, and two
    heads writing at once are put one after the other). The ticket's state and version stay:
    a note is no step of the workflow and must not turn someone's open form stale."""
    try:
        kind = DossierNoteKind(kind)
    except ValueError:
        raise ValidationFailed.on("kind", _("Choose an instruction or a follow-up note."),
                                  "required" if not kind else "invalid") from None
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.on("text", _("Write the instruction or the note."), "required")
    if "\x00" in text:
        raise ValidationFailed.on("text", _("Text must not contain NUL characters."))
    if len(text) > DOSSIER_NOTE_MAX:
        raise ValidationFailed.on("text", _("At most %(n)d characters.") % {"n": DOSSIER_NOTE_MAX})
    if not dossier_note_allowed(actor.role, kind):
        raise Forbidden(_("Only a department head or a leader gives the instruction (批示).")
                        if kind == DossierNoteKind.INSTRUCTION else _("Your role may not write on case dossiers."),
                        code="refused_role")
    at = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=entry.ticket_id).only("id", "state").first()
        if ticket is None:
            raise NotFound(_("No such ledger entry."))
        event = event_append(ticket=ticket, type=_NOTE_EVENTS[kind], actor=actor, at=at,
                             from_state=ticket.state, to_state=ticket.state,
                             payload={"text": text, "ledger_entry": entry.pk})
        return DossierNote.objects.create(ledger_entry_id=entry.pk, kind=kind, text=text, author=actor,
                                          created_at=at, event=event)
