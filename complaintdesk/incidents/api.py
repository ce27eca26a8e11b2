"""Near-duplicate suggestions and incidents: parse, call a service or selector, render."""

from ninja import Field, Query, Router, Status

from complaintdesk.core.schema import InputSchema
from complaintdesk.incidents import schemas as s
from complaintdesk.incidents import selectors
from complaintdesk.incidents.services import incidents as services
from complaintdesk.tickets.selectors import ticket_get_scoped

router = Router(tags=["incidents"])


@router.post("/similar-tickets", response=list[s.SuggestionOut], summary="Open tickets that say the same thing")
def similar_for_text(request, payload: s.SimilarIn):
    """For a ticket being registered: the open tickets you may see whose title and
    description say the same thing (MinHash over the words, LSH bands), closest first."""
    found = selectors.similar_open_tickets(viewer=request.user, title=payload.title,
                                           description=payload.description, limit=payload.limit)
    return [s.suggestion(x) for x in found]


class LimitQuery(InputSchema):
    limit: int = Field(5, ge=1, le=20)


@router.get("/tickets/{ticket_id}/similar", response=list[s.SuggestionOut], summary="Similar open tickets")
def similar_for_ticket(request, ticket_id: int, q: Query[LimitQuery]):
    ticket_get_scoped(viewer=request.user, ticket_id=ticket_id)
    found = selectors.similar_open_tickets(viewer=request.user, ticket_id=ticket_id, limit=q.limit)
    return [s.suggestion(x) for x in found]


class IncidentListQuery(InputSchema):
    open: bool = True


@router.get("/incidents", response=list[s.IncidentRef], summary="List incidents")
def list_incidents(request, q: Query[IncidentListQuery]):
    return [s.incident_ref(i) for i in selectors.incident_list(viewer=request.user, open_only=q.open)]


def _incident(request, incident_id: int) -> dict:
    return s.incident(selectors.incident_get(viewer=request.user, incident_id=incident_id))


@router.post("/incidents", response={201: s.IncidentOut}, summary="Create an incident around a lead ticket")
def create_incident(request, payload: s.IncidentIn):
    incident = services.incident_create(actor=request.user, lead_ticket_id=payload.lead, title=payload.title)
    return Status(201, _incident(request, incident.pk))


@router.get("/incidents/{incident_id}", response=s.IncidentOut, summary="Get an incident")
def get_incident(request, incident_id: int):
    return _incident(request, incident_id)


@router.post("/incidents/{incident_id}/members", response=s.IncidentOut, summary="Add a member")
def add_member(request, incident_id: int, payload: s.MemberIn):
    services.incident_add_member(actor=request.user, incident_id=incident_id, ticket_id=payload.ticket,
                                 source=payload.source)
    return _incident(request, incident_id)


@router.delete("/incidents/{incident_id}/members/{ticket_id}", response=s.IncidentOut, summary="Remove a member")
def remove_member(request, incident_id: int, ticket_id: int):
    services.incident_remove_member(actor=request.user, incident_id=incident_id, ticket_id=ticket_id)
    return _incident(request, incident_id)


@router.post("/incidents/{incident_id}/reply", response=s.CarryOut, summary="Carry one reply to every member")
def reply(request, incident_id: int, payload: s.IncidentReplyIn):
    """Each member gets its own `replied` event; members that cannot take it are listed in
    `refused` with the reason (state, role or scope), the others are answered."""
    result = services.incident_reply(actor=request.user, incident_id=incident_id, text=payload.text,
                                     customer_accepts=payload.customer_accepts)
    return s.carry(result)


@router.post("/incidents/{incident_id}/close", response=s.CarryOut, summary="Carry one close to every member")
def close(request, incident_id: int, payload: s.IncidentCloseIn):
    result = services.incident_close(actor=request.user, incident_id=incident_id, reason=payload.reason)
    return s.carry(result)
