"""What a customer does on the portal, each through the ticket services.

Who registers: a dedicated system account (username `portal`, role intake agent, no usable
password, inactive so it can never sign in or hold an API token) created on demand, owning
the org unit named by PORTAL_ORG_UNIT or else the root of the org tree. Tickets filed on the
portal are registered by it on the web-portal channel and so enter the normal workflow at
the review step (State.REGISTERED), where the centre of that org unit reviews them; the
customer's org unit, when their phone is already known, wins (territorial ownership).
The same account records the customer's answers (`ticket_info_received`) and, when the
ticket waits for its callback, the customer's own rating as that callback
(`ticket_callback`): staff see both on the timeline with the portal as the actor.
"""

import contextlib
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.core.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from complaintdesk.core.phones import normalize_phone
from complaintdesk.notifications.services import message_enqueue
from complaintdesk.notifications.vocabulary import MessageChannel
from complaintdesk.org.models import OrgUnit
from complaintdesk.portal.codes import keyed_hash, new_code
from complaintdesk.portal.models import PortalTicket
from complaintdesk.portal.services.challenge import challenge_check, challenge_use
from complaintdesk.portal.workflow import CUSTOMER_KINDS, PORTAL_USERNAME, Rating, rating_possible
from complaintdesk.taxonomy.models import Category
from complaintdesk.taxonomy.selectors import category_chain, effective_elements
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services.attachments import attachment_add, attachment_check
from complaintdesk.tickets.services.elements import clean_elements
from complaintdesk.tickets.services.intake import TicketDraft, ticket_register
from complaintdesk.tickets.services.transitions import ticket_callback, ticket_info_received
from complaintdesk.tickets.vocabulary import Channel, Kind, State

MAX_FILES = 3
MAX_FILE_BYTES = 10 * 1024 * 1024
DESCRIPTION_MAX = 5000
ANSWER_MAX = 5000
COMMENT_MAX = 1000
NAME_MAX = 100
TITLE_LENGTH = 60


class BotSuspected(DomainError):
    status = 400
    code = "refused"


def max_file_bytes() -> int:
    return min(settings.ATTACHMENT_MAX_BYTES, getattr(settings, "PORTAL_MAX_FILE_BYTES", MAX_FILE_BYTES))


def max_request_bytes() -> int:
    """Anything larger is refused before Django reads it: the files plus the form."""
    return MAX_FILES * max_file_bytes() + 1024 * 1024


def portal_account() -> User:
    """The system account that registers and acts for the portal, created on demand."""
    code = getattr(settings, "PORTAL_ORG_UNIT", "")
    unit = OrgUnit.objects.filter(code=code).first() if code else None
    unit = unit or OrgUnit.get_root_nodes().order_by("path").first()
    if unit is None:
        raise Conflict(_("The portal is not set up yet: the organisation has no org unit."), code="portal_not_ready")
    account = User.objects.filter(username=PORTAL_USERNAME).first()
    if account is None:
        account = User(username=PORTAL_USERNAME, role=Role.INTAKE_AGENT, org_unit=unit,
                       display_name="Customer portal", is_active=False)
        account.set_unusable_password()
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:  # the first two filings at the same moment: one creates it
            return User.objects.get(username=PORTAL_USERNAME)
    elif account.org_unit_id is None or account.role != Role.INTAKE_AGENT:
        account.org_unit, account.role = unit, Role.INTAKE_AGENT
        account.save(update_fields=["org_unit", "role"])
    return account


@dataclass
class Upload:
    name: str
    data: bytes


@dataclass
class Filing:
    kind: str = ""
    category: str = ""
    description: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    elements: dict = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


def _check_files(files: list[Upload], errors: list[FieldError], field_name: str = "files") -> None:
    if len(files) > MAX_FILES:
        errors.append(FieldError(field_name, _("Attach at most %(n)d files.") % {"n": MAX_FILES}))
        return
    limit = max_file_bytes()
    for upload in files:
        if len(upload.data) > limit:
            errors.append(FieldError(field_name, _("“%(name)s” is larger than %(mb)d MB.") % {
                "name": upload.name, "mb": limit // (1024 * 1024)}))
            continue
        try:
            attachment_check(upload.name, upload.data)
        except ValidationFailed as exc:
            errors.extend(FieldError(field_name, f"{upload.name}: {e.reason}", e.code) for e in exc.fields)


def _text(value: str, field_name: str, limit: int, errors: list[FieldError], *, required: bool,
          message=None) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        errors.append(FieldError(field_name, message or _("This field is required."), "required"))
    elif len(text) > limit:
        errors.append(FieldError(field_name, _("At most %(n)d characters (now %(len)d).") % {"n": limit, "len": len(text)}))
    return text


def _validate(filing: Filing) -> tuple[dict, list[FieldError]]:
    """Everything the customer can get wrong, reported at once, before anything is written."""
    errors: list[FieldError] = []
    kind = Kind(filing.kind) if filing.kind in {k.value for k in Kind} else None
    if kind not in CUSTOMER_KINDS:
        kind = None
        errors.append(FieldError("kind", _("Choose what you are contacting us about."), "required"))
    category = None
    if not filing.category:
        errors.append(FieldError("category", _("Choose the category that fits best."), "required"))
    else:
        category = Category.objects.filter(code=filing.category, active=True).first()
        if category is None or (kind is not None and category.kind != kind) or not category.is_leaf():
            category = None
            errors.append(FieldError("category", _("Choose a category from the list.")))
    elements = {}
    if category is not None:
        try:
            elements = clean_elements(effective_elements(category_chain(category)), filing.elements)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    description = _text(filing.description, "description", DESCRIPTION_MAX, errors, required=True,
                        message=_("Describe what happened and what you would like us to do."))
    name = _text(filing.name, "name", NAME_MAX, errors, required=False)
    phone = ""
    try:
        phone = normalize_phone(filing.phone, field="phone")
    except ValidationFailed as exc:
        errors.extend(exc.fields)
    email = (filing.email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(FieldError("email", _("Enter an email address such as name@example.com.")))
    _check_files(filing.files, errors)
    return dict(kind=kind, category=category, elements=elements, description=description, name=name,
                phone=phone, email=email), errors


def _title(category: Category, description: str) -> str:
    first = " ".join(description.split())
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1] + "…"
    return first or category.name


def portal_ticket_file(*, filing: Filing, challenge_token: str, challenge_answer: str, honeypot: str = "",
                       language: str = "", now: dt.datetime | None = None) -> tuple[Ticket, str]:
    """Register a ticket for a customer. Returns the ticket and its tracking code, which is
    not stored anywhere and must be shown to the customer now (only its hash is kept)."""
    if (honeypot or "").strip():
        raise BotSuspected(_("The form could not be accepted."))
    now = now or timezone.now()
    clean, errors = _validate(filing)
    nonce = None
    try:
        nonce = challenge_check(token=challenge_token, answer=challenge_answer, now=now)
    except ValidationFailed as exc:
        errors.extend(exc.fields)
    if errors:
        raise ValidationFailed(_("Some answers need your attention."), fields=errors)
    actor = portal_account()
    code = new_code()
    with transaction.atomic():
        challenge_use(nonce=nonce, now=now)
        try:
            ticket, _created = ticket_register(actor=actor, at=now, draft=TicketDraft(
                kind=clean["kind"], category=clean["category"].code, channel=Channel.WEB_PORTAL,
                title=_title(clean["category"], clean["description"]), description=clean["description"],
                phone=clean["phone"], customer_name=clean["name"], elements=clean["elements"],
            ))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, fields=[
                FieldError("name" if e.field == "customer_name" else e.field, e.reason, e.code)
                for e in exc.fields]) from None
        for upload in filing.files:
            attachment_add(ticket_id=ticket.pk, actor=actor, name=upload.name, data=upload.data, at=now)
        PortalTicket.objects.create(
            ticket=ticket, code_hash=keyed_hash(code, purpose="code"),
            phone_hash=keyed_hash(clean["phone"], purpose="phone"), email=clean["email"],
            language=language, created_at=now,
        )
        _notify_received(ticket, clean["phone"], clean["email"], language)
    return ticket, code


def _notify_received(ticket: Ticket, phone: str, email: str, language: str) -> None:
    """The ticket number by SMS (mobiles only) and email; never the tracking code, which
    would then sit in the outbox in the clear."""
    context = {"ticket_number": ticket.number}
    for channel, to in ((MessageChannel.SMS, {"to_phone": phone}), (MessageChannel.EMAIL, {"to_email": email})):
        if not next(iter(to.values())):
            continue
        # A landline gets no SMS (refused as invalid); the number is on the screen anyway.
        with contextlib.suppress(ValidationFailed):
            message_enqueue(dedupe_key=f"portal-received:{channel}:{ticket.pk}", template="customer_ticket_received",
                            context=context, channel=channel, language=language, **to)


def _locked_case(ticket_id: int) -> PortalTicket:
    case = PortalTicket.objects.select_for_update().filter(ticket_id=ticket_id).first()
    if case is None:
        raise NotFound(_("No such case."))
    return case


def portal_info_answer(*, ticket_id: int, text: str, files: list[Upload], now: dt.datetime | None = None) -> Ticket:
    """The customer's answer to a request for more information: recorded with the ticket
    (`ticket_info_received`), which resumes its clocks."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    answer = _text(text, "answer", ANSWER_MAX, errors, required=True,
                   message=_("Write the information we asked for."))
    _check_files(files, errors, "file")
    if errors:
        raise ValidationFailed(_("Some answers need your attention."), fields=errors)
    actor = portal_account()
    with transaction.atomic():
        _locked_case(ticket_id)
        try:
            ticket = ticket_info_received(ticket_id=ticket_id, actor=actor, answer=answer, at=now)
        except ValidationFailed:
            raise
        except DomainError:
            raise Conflict(_("We are no longer waiting for information on this case. If you have "
                             "more to tell us, please call us and quote the ticket number."),
                           code="not_waiting") from None
        for upload in files:
            attachment_add(ticket_id=ticket_id, actor=actor, name=upload.name, data=upload.data, at=now)
    return ticket


def portal_rate(*, ticket_id: int, rating: str, comment: str = "", now: dt.datetime | None = None) -> PortalTicket:
    """The customer's evaluation of the handling, once, after the reply.

    While the ticket waits for its callback the rating IS the callback (the customer answered
    it themselves): satisfied or basically satisfied closes the ticket, dissatisfied reopens
    it for another round of handling (003), all on the staff's timeline. Given later (the
    callback was already made, or an inquiry closed with the reply) it is kept with the
    portal record (`PortalTicket.rating`) for the reports and the ticket page."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    if rating not in Rating.TO_SATISFACTION:
        errors.append(FieldError("rating", _("Choose how satisfied you are."), "required"))
    comment = _text(comment, "comment", COMMENT_MAX, errors, required=False)
    if errors:
        raise ValidationFailed(_("Some answers need your attention."), fields=errors)
    actor = portal_account()
    with transaction.atomic():
        case = _locked_case(ticket_id)
        ticket = Ticket.objects.get(pk=ticket_id)
        if not rating_possible(state=ticket.state, reply_text=ticket.reply_text, rated=case.rated_at is not None):
            raise Conflict(_("This case cannot be rated now: it has been rated already, or we "
                             "have not replied yet."), code="not_ratable")
        if ticket.state == State.AWAITING_CALLBACK:
            try:
                with transaction.atomic():
                    ticket_callback(ticket_id=ticket_id, actor=actor, at=now,
                                    satisfaction=Rating.TO_SATISFACTION[rating], note=comment)
            except Conflict:
                pass  # staff made the callback a moment ago: the rating is still kept below
        case.rating, case.rating_comment, case.rated_at = rating, comment, now
        case.save(update_fields=["rating", "rating_comment", "rated_at"])
    return case
