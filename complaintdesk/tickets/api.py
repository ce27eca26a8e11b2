"""The ticket endpoints: parse, call a service or a selector, render. Nothing else."""

import datetime as dt

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Header, Query, Router, Status
from ninja.files import UploadedFile

from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.schema import InputSchema
from complaintdesk.incidents.schemas import incident_ref
from complaintdesk.incidents.selectors import incident_of_ticket
from complaintdesk.tickets import schemas as s
from complaintdesk.tickets import selectors
from complaintdesk.tickets.facts import in_incident_annotation, sees_full_phones
from complaintdesk.tickets.services import attachments as attachment_services
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.services.intake import TicketDraft, ticket_register
from complaintdesk.tickets.vocabulary import TicketFlag

router = Router(tags=["tickets"])


def _detail(request, ticket_id: int, *, record: bool = True, registered_now: bool = False) -> dict:
    """The ticket as the viewer may see it (phones masked or not); the read is recorded in the
    personal-data access log, except the answer to a create (the caller's own input).
    `registered_now`: the ticket was registered by this request, so it is in no incident
    (staff gather incidents later) and the incident look-up is skipped."""
    d = selectors.ticket_get(viewer=request.user, ticket_id=ticket_id)
    full = sees_full_phones(request.user, d.ticket)
    if record:
        access_record(actor=request.user, kind=AccessKind.TICKET_API, customer_ids=[d.ticket.customer_id],
                      ticket_id=d.ticket.pk, full_phones=full, path=request.get_full_path())
    out = s.detail(d, full_phones=full)
    # The incident the ticket belongs to (incidents/): one indexed read.
    out["incident"] = None if registered_now else incident_ref(incident_of_ticket(ticket_id=ticket_id))
    if out["incident"] is not None:
        out["flags"] = [*out["flags"], TicketFlag.INCIDENT.value]  # the last in the vocabulary's order
    return out


READ_BACK_FAILED = _("Saved, but the ticket could not be read back just now: this is what was "
                     "written. Read the ticket at “url” for the rest; do not send the request again.")


def _answer(request, ticket, status: int, *, record: bool = True, registered_now: bool = False) -> Status:
    """The ticket as it now is, read back after the commit. Should that fail, the error
    handlers answer `status` with what was written (core/api_errors.py: committed_answer),
    never "nothing was changed"."""
    request.committed = (status, lambda: s.committed(ticket, READ_BACK_FAILED))
    return Status(status, _detail(request, ticket.pk, record=record, registered_now=registered_now))


@router.post("/tickets", response={200: s.TicketAnswer, 201: s.TicketAnswer}, summary="Register a ticket")
def create_ticket(request, payload: s.TicketIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    """Register (受理). Send an `Idempotency-Key` header so that a retry returns the first
    ticket (200) instead of creating a second (201). Without a key, the same body sent
    again by the same account within 10 minutes is refused (409 `duplicate_request`, naming
    the first ticket in `error.ticket`) rather than registered twice."""
    draft = TicketDraft(
        kind=payload.kind, category=payload.category, channel=payload.channel, title=payload.title,
        description=payload.description, phone=payload.customer.phone,
        customer_name=payload.customer.name, customer_segment=payload.customer.segment,
        contact_phone=payload.contact_phone, product=payload.product, severity=payload.severity,
        special=payload.special, org_unit=payload.org_unit, elements=payload.elements,
        first_reported_at=payload.first_reported_at, agreed_time=payload.agreed_time,
        source_tier=payload.source_tier, regulator_ref=payload.regulator_ref,
        regulator_due_at=payload.regulator_due_at, special_type=payload.special_type,
        regulator=payload.regulator, regulator_matter=payload.regulator_matter,
        regulator_urgency=payload.regulator_urgency, transferred_at=payload.transferred_at,
        matter_date=payload.matter_date,
    )
    ticket, created = ticket_register(actor=request.user, draft=draft, idempotency_key=idempotency_key,
                                      resolve_on_spot=payload.resolve_on_spot, retry_guard=True)
    return _answer(request, ticket, 201 if created else 200, record=False, registered_now=created)


class ListQuery(InputSchema):
    state: str = ""
    kind: str = ""
    category: str = ""
    department: str = ""
    org_unit: str = ""
    channel: str = ""
    registered_from: dt.datetime | None = None
    registered_to: dt.datetime | None = None
    open: bool | None = None
    sla: str = ""
    q: str = Field("", description="Search text: words (Chinese is segmented; ranked, best match first), "
                   "a ticket number from its start, or a phone number in any common format. At most 200 characters.")
    flag: str = ""
    cursor: str = ""
    limit: int = 50


@router.get("/tickets", response=s.TicketPage, summary="List tickets")
def list_tickets(request, filters: Query[ListQuery]):
    """Newest first, or best match first when `q` is given. `state` takes several values separated by commas; `category` and
    `org_unit` match their whole subtree; `department` matches what it holds now; `sla` is
    `at_risk` or `overdue` (or both, comma-separated): the deadline status; `flag` is
    `repeat`, `over_the_head`, `special` or `incident` (several, comma-separated: all must
    hold). Pass the returned `next_cursor` as `cursor` for the next page."""
    limit = max(1, min(filters.limit, 200))
    page = selectors.ticket_list(
        viewer=request.user,
        filters=selectors.TicketFilters(
            state=[x for x in filters.state.split(",") if x] or None, kind=filters.kind,
            category=filters.category, department=filters.department, org_unit=filters.org_unit,
            channel=filters.channel, registered_from=filters.registered_from,
            registered_to=filters.registered_to, open=filters.open,
            sla=[x for x in filters.sla.split(",") if x] or None, q=filters.q,
            flag=[x for x in filters.flag.split(",") if x] or None,
        ),
        cursor=filters.cursor, limit=limit, annotate={**selectors.REPEAT_NUMBER, **in_incident_annotation()},
    )
    full = {x.pk: sees_full_phones(request.user, x) for x in page.items}
    access_record(actor=request.user, kind=AccessKind.TICKET_LIST_API,
                  customer_ids=[x.customer_id for x in page.items], full_phones=any(full.values()),
                  path=request.get_full_path())
    return {"items": [s.summary(x, full_phones=full[x.pk]) for x in page.items], "next_cursor": page.next_cursor}


@router.get("/tickets/{ticket_id}", response=s.TicketDetailOut, summary="Get a ticket")
def get_ticket(request, ticket_id: int):
    return _detail(request, ticket_id)


@router.get("/tickets/{ticket_id}/timeline", response=list[s.EventOut], summary="A ticket's timeline")
def timeline(request, ticket_id: int):
    return [s.event(e) for e in selectors.ticket_timeline(viewer=request.user, ticket_id=ticket_id)]


@router.post("/tickets/{ticket_id}/attachments", response={201: s.AttachmentOut}, summary="Attach a file")
def add_attachment(request, ticket_id: int, file: File[UploadedFile]):
    # Read one byte past the limit: enough to refuse an oversized file without holding it all.
    data = file.read(settings.ATTACHMENT_MAX_BYTES + 1)
    a = attachment_services.attachment_add(ticket_id=ticket_id, actor=request.user, name=file.name, data=data)
    return Status(201, {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size,
                 "created_at": a.created_at, "url": f"/api/v1/attachments/{a.pk}"})


@router.get("/attachments/{attachment_id}", summary="Download an attachment", tags=["tickets"])
def download_attachment(request, attachment_id: int):
    """404 `attachment_file_missing`, with the reason, when the file is gone from storage."""
    a, handle = selectors.attachment_open(viewer=request.user, attachment_id=attachment_id)
    return FileResponse(handle, as_attachment=True, filename=a.original_name, content_type=a.content_type)


# -- transitions: one endpoint per action, each returning the ticket as it now is ----------

def _act(request, ticket_id: int, fn, **kwargs) -> Status:
    return _answer(request, fn(ticket_id=ticket_id, actor=request.user, **kwargs), 200)


@router.post("/tickets/{ticket_id}/resolve-on-spot", response=s.TicketAnswer)
def resolve_on_spot(request, ticket_id: int, payload: s.AnswerIn):
    return _act(request, ticket_id, t.ticket_resolve_on_spot, answer=payload.answer, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/review", response=s.TicketAnswer)
def review(request, ticket_id: int, payload: s.ReviewIn):
    return _act(request, ticket_id, t.ticket_review, valid=payload.valid, reason=payload.reason,
                answer=payload.answer, severity=payload.severity, special=payload.special,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/dispatch", response=s.TicketAnswer)
def dispatch(request, ticket_id: int, payload: s.DispatchIn):
    return _act(request, ticket_id, t.ticket_dispatch, department=payload.department,
                assignee=payload.assignee, note=payload.note, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/acknowledge", response=s.TicketAnswer)
def acknowledge(request, ticket_id: int, payload: s.EmptyIn):
    return _act(request, ticket_id, t.ticket_acknowledge, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/transfer", response=s.TicketAnswer)
def transfer(request, ticket_id: int, payload: s.TransferIn):
    return _act(request, ticket_id, t.ticket_transfer, department=payload.department,
                assignee=payload.assignee, reason=payload.reason, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/return", response=s.TicketAnswer)
def return_(request, ticket_id: int, payload: s.ReasonIn):
    return _act(request, ticket_id, t.ticket_return, reason=payload.reason, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/co-handle", response=s.TicketAnswer)
def co_handle(request, ticket_id: int, payload: s.CoHandleIn):
    return _act(request, ticket_id, t.ticket_co_handle, departments=payload.departments,
                note=payload.note, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/assist-input", response=s.TicketAnswer)
def assist_input(request, ticket_id: int, payload: s.TextIn):
    return _act(request, ticket_id, t.ticket_assist_input, text=payload.text, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/urge", response=s.TicketAnswer)
def urge(request, ticket_id: int, payload: s.NoteIn):
    return _act(request, ticket_id, t.ticket_urge, note=payload.note)


@router.post("/tickets/{ticket_id}/supervise", response=s.TicketAnswer)
def supervise(request, ticket_id: int, payload: s.NoteIn):
    return _act(request, ticket_id, t.ticket_supervise, note=payload.note)


@router.post("/tickets/{ticket_id}/plan", response=s.TicketAnswer)
def submit_plan(request, ticket_id: int, payload: s.PlanIn):
    return _act(request, ticket_id, t.ticket_submit_plan, plan=payload.plan, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/plan-decision", response=s.TicketAnswer)
def plan_decision(request, ticket_id: int, payload: s.DecisionIn):
    return _act(request, ticket_id, t.ticket_approve_plan, approve=payload.approve, note=payload.note,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/handle", response=s.TicketAnswer)
def handle(request, ticket_id: int, payload: s.HandleIn):
    return _act(request, ticket_id, t.ticket_handle, notes=payload.notes, cause=payload.cause,
                responsible_department=payload.responsible_department,
                responsible_person=payload.responsible_person, partial=payload.partial,
                outcome=payload.outcome, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/audit", response=s.TicketAnswer)
def audit(request, ticket_id: int, payload: s.DecisionIn):
    return _act(request, ticket_id, t.ticket_audit, approve=payload.approve, note=payload.note,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/reply", response=s.TicketAnswer)
def reply(request, ticket_id: int, payload: s.ReplyIn):
    return _act(request, ticket_id, t.ticket_reply, text=payload.text,
                customer_accepts=payload.customer_accepts, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/callback", response=s.TicketAnswer)
def callback(request, ticket_id: int, payload: s.CallbackIn):
    return _act(request, ticket_id, t.ticket_callback, satisfaction=payload.satisfaction,
                note=payload.note, topics=payload.topics, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/callback-attempt", response=s.TicketAnswer,
             summary="Record a callback attempt that did not reach the customer")
def callback_attempt(request, ticket_id: int, payload: s.CallbackAttemptIn):
    """The ticket stays awaiting callback with the time to call again, or, after the last
    allowed failed call (settings CALLBACK_MAX_ATTEMPTS) or a refusal, is closed as
    "callback failed"."""
    return _act(request, ticket_id, t.ticket_callback_attempt, outcome=payload.outcome,
                call_again_at=payload.call_again_at, topics=payload.topics, note=payload.note,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/close", response=s.TicketAnswer)
def close(request, ticket_id: int, payload: s.ReasonIn):
    return _act(request, ticket_id, t.ticket_close, reason=payload.reason, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/archive", response=s.TicketAnswer)
def archive(request, ticket_id: int, payload: s.EmptyIn):
    return _act(request, ticket_id, t.ticket_archive, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/reopen", response=s.TicketAnswer)
def reopen(request, ticket_id: int, payload: s.ReasonIn):
    return _act(request, ticket_id, t.ticket_reopen, reason=payload.reason, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/request-info", response=s.TicketAnswer)
def request_info(request, ticket_id: int, payload: s.QuestionIn):
    """Ask the customer for more information: the ticket waits on the customer, its clocks pause."""
    return _act(request, ticket_id, t.ticket_request_info, question=payload.question,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/info-received", response=s.TicketAnswer)
def info_received(request, ticket_id: int, payload: s.InfoReceivedIn):
    """The customer answered: the clocks resume, each deadline moved by the wait."""
    return _act(request, ticket_id, t.ticket_info_received, answer=payload.answer,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/report-progress", response=s.TicketAnswer)
def report_progress(request, ticket_id: int, payload: s.TextIn):
    """The department reports progress: the progress clock starts its next period."""
    return _act(request, ticket_id, t.ticket_report_progress, text=payload.text,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/agreed-time", response=s.TicketAnswer)
def set_agreed_time(request, ticket_id: int, payload: s.AgreedTimeIn):
    """Record a time agreed with the customer: the handling deadline becomes that time."""
    return _act(request, ticket_id, t.ticket_set_agreed_time, agreed_time=payload.agreed_time,
                note=payload.note, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/source", response=s.TicketDetailOut)
def set_source(request, ticket_id: int, payload: s.SourceIn):
    """Record where the ticket came from: the source tier, and for a transfer from above the
    regulator's reference and reply deadline."""
    return _act(request, ticket_id, t.ticket_set_source, source_tier=payload.source_tier,
                regulator_ref=payload.regulator_ref, regulator_due_at=payload.regulator_due_at,
                regulator=payload.regulator, regulator_matter=payload.regulator_matter,
                regulator_urgency=payload.regulator_urgency, transferred_at=payload.transferred_at,
                matter_date=payload.matter_date, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/regulator-extension", response=s.TicketDetailOut)
def extend_regulator_deadline(request, ticket_id: int, payload: s.RegulatorExtensionIn):
    """Extend the regulator's deadline by its profile's next step (NFRA: complex 30 days,
    especially complex 60 with a senior manager's approval). The event records the step, the
    reason and who approved it."""
    return _act(request, ticket_id, t.ticket_extend_regulator_deadline, reason=payload.reason,
                approved_by=payload.approved_by, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/unlink-repeat", response=s.TicketDetailOut)
def unlink_repeat(request, ticket_id: int, payload: s.ReasonIn):
    """Undo a wrong repeat link, with the reason: the ticket is no longer a repeat (nor over
    the head) of the first ticket."""
    return _act(request, ticket_id, t.ticket_unlink_repeat, reason=payload.reason,
                expected_version=payload.version)


@router.post("/tickets/{ticket_id}/special-type", response=s.TicketDetailOut)
def set_special_type(request, ticket_id: int, payload: s.SpecialTypeIn):
    """Name the special complainant type (000's six types); the ticket becomes a special case."""
    return _act(request, ticket_id, t.ticket_set_special_type, special_type=payload.special_type,
                note=payload.note, expected_version=payload.version)


@router.post("/tickets/{ticket_id}/history", response=s.TicketDetailOut)
def gather_history(request, ticket_id: int, payload: s.HistoryIn):
    """A special case's history check (003: within one working day): every checklist item
    gathered, and who is involved."""
    return _act(request, ticket_id, t.ticket_gather_history, checked=payload.checked,
                people=payload.people, note=payload.note, expected_version=payload.version)
