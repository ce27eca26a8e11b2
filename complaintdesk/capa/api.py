"""Root causes and corrective actions over the API: parse, call a service or selector, render."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Status
from pydantic import model_validator

from complaintdesk.capa import schemas as s
from complaintdesk.capa import selectors
from complaintdesk.capa.services import actions as services
from complaintdesk.capa.services.root_causes import root_cause_record
from complaintdesk.capa.vocabulary import Step
from complaintdesk.core.schema import InputSchema

router = Router(tags=["capa"])


@router.get("/tickets/{ticket_id}/root-cause", response=s.RootCauseOut, summary="A ticket's root cause",
            exclude_unset=True)
def get_root_cause(request, ticket_id: int):
    """`accountability` (责任追究) is present only for department heads, supervisors, leaders
    and administrators."""
    return s.root_cause_out(selectors.ticket_capa(viewer=request.user, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/root-cause", response=s.RootCauseOut,
             summary="Record a ticket's root cause", exclude_unset=True)
def post_root_cause(request, ticket_id: int, payload: s.RootCauseIn):
    root_cause_record(ticket_id=ticket_id, actor=request.user, root_cause=payload.root_cause,
                      analysis=payload.analysis, accountability=payload.accountability,
                      expected_version=payload.expected_version)
    return s.root_cause_out(selectors.ticket_capa(viewer=request.user, ticket_id=ticket_id))


class ListQuery(InputSchema):
    state: str = Field("open", max_length=30)
    overdue: bool = False
    mine: bool = False
    category: str = Field("", max_length=60)
    after: str = Field("", max_length=80)
    limit: int = Field(50, ge=1, le=200)


@router.get("/capa", response=s.ActionListOut, summary="List corrective and preventive actions")
def list_actions(request, q: Query[ListQuery]):
    rows, cursor = selectors.action_list(viewer=request.user, filters=selectors.ActionFilters(
        state=q.state, overdue=q.overdue, mine=q.mine, category=q.category, after=q.after, limit=q.limit))
    return {"items": [s.action_ref(a) for a in rows], "next": cursor}


class FiguresQuery(InputSchema):
    start: dt.date
    end: dt.date  # inclusive

    @model_validator(mode="after")
    def _ordered(self):
        for value in (self.start, self.end):
            if not dt.date(1970, 1, 1) <= value <= dt.date(2200, 1, 1):
                raise ValueError("dates are between 1970 and 2200")
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if (self.end - self.start).days > 3660:
            raise ValueError("at most ten years")
        return self


@router.get("/capa/figures", response=s.FiguresOut, summary="Corrective-action figures of a period")
def figures(request, q: Query[FiguresQuery]):
    """From `start` 00:00 to the end of `end` (local time), over the actions you may see."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(q.start, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return s.figures_out(selectors.capa_figures(viewer=request.user, start=start, end=end))


@router.post("/capa", response={201: s.ActionOut}, summary="Raise a corrective or preventive action")
def raise_action(request, payload: s.ActionIn):
    action = services.action_raise(
        actor=request.user, kind=payload.kind, title=payload.title, description=payload.description,
        owner=payload.owner, working_days=payload.working_days, due_date=payload.due_date,
        ticket_id=payload.ticket, category=payload.category, source_note=payload.source_note)
    return Status(201, s.action_out(selectors.action_page(viewer=request.user, action_id=action.pk)))


@router.get("/capa/{action_id}", response=s.ActionOut, summary="Get a corrective or preventive action")
def get_action(request, action_id: int):
    return s.action_out(selectors.action_page(viewer=request.user, action_id=action_id))


@router.post("/capa/{action_id}/tickets", response=s.ActionOut, summary="Link a ticket to an action")
def link_ticket(request, action_id: int, payload: s.LinkIn):
    services.action_link_ticket(action_id=action_id, actor=request.user, ticket_number=payload.ticket,
                                expected_version=payload.expected_version)
    return s.action_out(selectors.action_page(viewer=request.user, action_id=action_id))


@router.post("/capa/{action_id}/{step}", response=s.ActionOut, summary="Take a step on an action")
def take_step(request, action_id: int, step: Step, payload: s.StepIn):
    """note_progress and submit (`text`: what was done), verify_effective /
    verify_ineffective and close (`text`: the verifier's note), cancel (`text`: the reason)."""
    args = {"action_id": action_id, "actor": request.user, "expected_version": payload.expected_version}
    if step == Step.NOTE_PROGRESS:
        services.action_note_progress(**args, text=payload.text)
    elif step == Step.SUBMIT:
        services.action_submit(**args, text=payload.text)
    elif step in (Step.VERIFY_EFFECTIVE, Step.VERIFY_INEFFECTIVE):
        services.action_verify(**args, effective=step == Step.VERIFY_EFFECTIVE, note=payload.text)
    elif step == Step.CLOSE:
        services.action_close(**args, note=payload.text)
    else:
        services.action_cancel(**args, reason=payload.text)
    return s.action_out(selectors.action_page(viewer=request.user, action_id=action_id))
