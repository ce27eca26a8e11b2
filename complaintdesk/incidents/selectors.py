"""Reads of near-duplicates and incidents, scoped to the viewer.

A suggestion lookup is two queries whatever the number of tickets: the band keys of the text
(16 index probes in one `IN`, grouped by ticket, the tickets sharing most bands first), then
the candidates the viewer may see that are still open, with their signatures, ranked by
estimated Jaccard similarity. A ticket outside the viewer's scope is never a candidate: the
second query goes through `visible_tickets`.
"""

from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.incidents import minhash
from complaintdesk.incidents.models import Incident, IncidentMember, SignatureBand, TicketSignature
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.vocabulary import OPEN_STATES

# Candidates read per lookup: the tickets sharing the most bands. A mass incident with
# thousands of members still costs one bounded read: each band is probed for its newest
# PER_BAND tickets only (an index range read backwards on (key, ticket)), so a lookup reads
# at most BANDS × PER_BAND index entries whatever the size of the buckets.
CANDIDATES = 200
PER_BAND = 100
SUGGESTIONS_MAX = 20
TEXT_MAX = 20200


@dataclass(frozen=True)
class SuggestedTicket:
    pk: int
    number: str | None
    title: str
    state: str
    created_at: object


@dataclass
class Suggestion:
    ticket: SuggestedTicket
    similarity: float
    incident_id: int | None


def _clean_text(title: str, description: str) -> str:
    for name, value in (("title", title), ("description", description)):
        if value and "\x00" in value:
            raise ValidationFailed.on(name, _("Text must not contain NUL characters."))
    text = minhash.ticket_text((title or "").strip(), (description or "").strip())
    if len(text) > TEXT_MAX:
        raise ValidationFailed.on("description", _("At most %(n)d characters.") % {"n": 20000})
    return text


def candidates_sql(n_keys: int) -> str:
    """The candidate probe for `n_keys` band keys (parameters: the keys): a UNION ALL of one
    bounded index probe per band, counted per ticket. Raw SQL because the ORM cannot put
    LIMIT inside the parts of a UNION on SQLite."""
    # Only quoted identifiers and integer constants go into the text; the keys are parameters.
    q = connection.ops.quote_name
    table, key, tid = q(SignatureBand._meta.db_table), q("key"), q("ticket_id")
    probe = (f"SELECT * FROM (SELECT {tid} FROM {table} WHERE {key} = %s ORDER BY {tid} DESC "  # noqa: S608
             f"LIMIT {PER_BAND}) AS b{{i}}")
    union = " UNION ALL ".join(probe.format(i=i) for i in range(n_keys))
    return (f"SELECT {tid} FROM ({union}) AS shared GROUP BY {tid} "  # noqa: S608
            f"ORDER BY COUNT(*) DESC, {tid} DESC LIMIT {CANDIDATES + 1}")


def _candidates(keys: list[int], *, exclude: int | None) -> list[int]:
    """The tickets sharing most of these band keys (newest first among equals): one statement."""
    with connection.cursor() as cursor:
        cursor.execute(candidates_sql(len(keys)), keys)
        ids = [row[0] for row in cursor.fetchall()]
    return [i for i in ids if i != exclude][:CANDIDATES]


def similar_open_tickets(*, viewer, title: str = "", description: str = "", ticket_id: int | None = None,
                         limit: int = 5) -> list[Suggestion]:
    """Open tickets the viewer may see that say the same thing as the text (registration) or
    as ticket `ticket_id` (the ticket page; the ticket itself is left out)."""
    limit = max(1, min(int(limit), SUGGESTIONS_MAX))
    if ticket_id is not None:
        raw = TicketSignature.objects.filter(ticket_id=ticket_id).values_list("signature", flat=True).first()
        if raw is None:
            return []
        sig = minhash.from_bytes(raw)
    else:
        text = _clean_text(title, description)
        if not text.strip():
            return []
        sig = minhash.signature(text)
    if minhash.is_empty(sig):
        return []
    ids = _candidates(minhash.band_keys(sig), exclude=ticket_id)
    if not ids:
        return []
    # Plain rows, not model instances: the candidates of a mass incident are many, and only
    # these few columns are shown; the similarities are computed in one numpy operation.
    rows = list(
        visible_tickets(viewer).filter(pk__in=ids, state__in=sorted(OPEN_STATES))
        .values_list("id", "number", "title", "state", "created_at", "signature__signature",
                     "incident_membership__incident_id")
    )
    rows = [r for r in rows if r[5] is not None]
    if not rows:
        return []
    matrix = np.frombuffer(b"".join(bytes(r[5]) for r in rows), dtype="<u4").reshape(len(rows), -1)
    scores = (matrix == sig).mean(axis=1)
    found = [
        Suggestion(ticket=SuggestedTicket(pk=r[0], number=r[1], title=r[2], state=r[3], created_at=r[4]),
                   similarity=round(float(score), 2), incident_id=r[6])
        for r, score in zip(rows, scores, strict=True) if score >= minhash.SIMILAR_AT
    ]
    found.sort(key=lambda s: (-s.similarity, -s.ticket.pk))
    return found[:limit]


# -- incidents ---------------------------------------------------------------------------------

@dataclass
class IncidentView:
    incident: Incident
    members: list[IncidentMember]  # the members the viewer may see, lead first
    hidden: int  # members outside the viewer's scope (counted, not shown)


def incident_get(*, viewer, incident_id: int) -> IncidentView:
    """An incident is visible to whoever may see its lead ticket; its members are listed as
    far as the viewer may see them (three queries whatever the number of members)."""
    incident = Incident.objects.select_related("lead", "created_by").filter(pk=incident_id).first()
    if incident is None or not visible_tickets(viewer).filter(pk=incident.lead_id).exists():
        raise NotFound(_("No such incident."))
    visible = visible_tickets(viewer).filter(incident_membership__incident_id=incident.pk).values("pk")
    members = list(
        IncidentMember.objects.filter(incident=incident, ticket_id__in=visible)
        .select_related("ticket", "ticket__customer", "added_by").order_by("id")
    )
    total = IncidentMember.objects.filter(incident=incident).count()
    members.sort(key=lambda m: (m.ticket_id != incident.lead_id, m.pk))
    return IncidentView(incident=incident, members=members, hidden=total - len(members))


def incident_of_ticket(*, ticket_id: int) -> Incident | None:
    """The incident a ticket belongs to (the caller has already checked the ticket's scope)."""
    member = IncidentMember.objects.select_related("incident").filter(ticket_id=ticket_id).first()
    return member.incident if member else None


def incident_list(*, viewer, open_only: bool = True, limit: int = 100) -> list[Incident]:
    """Incidents whose lead ticket the viewer may see, newest first, with member counts."""
    incidents = Incident.objects.filter(lead_id__in=visible_tickets(viewer).values("pk"))
    if open_only:
        incidents = incidents.filter(state="open")
    return list(incidents.select_related("lead").annotate(member_count=Count("members"))
                .order_by("-id")[:limit])


def ticket_id_for_number(*, viewer, number: str) -> int:
    """The id of the ticket with this number that the viewer may see (a form names tickets by
    number); NotFound otherwise."""
    number = (number or "").strip().upper()
    pk = None
    if number and len(number) <= 32 and number.isalnum():
        pk = visible_tickets(viewer).filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise ValidationFailed.on("ticket", _("No ticket you may see has this number."), "not_found")
    return pk


def incident_flags(*, ticket_ids: list[int]) -> set[int]:
    """Which of these tickets belong to an incident (one query): the `incident` flag."""
    return set(IncidentMember.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", flat=True))




def tickets_to_sign():
    """(id, title, description) of every ticket without a signature, read in chunks (a
    maintenance read over all tickets: no viewer, used by `incidents_reindex` only)."""
    from complaintdesk.tickets.models import Ticket

    return (Ticket.objects.filter(signature__isnull=True).order_by("id")
            .values_list("id", "title", "description").iterator(chunk_size=2000))
