"""Incoming e-mail: each new message of a mailbox becomes a ticket (through the intake
service) or a customer message on the ticket it answers — exactly once.

Once: per message, one transaction writes its record (`IncomingMail`, unique per mailbox
and Message-ID) together with what it became (the ticket, the customer message, the
information received); only after that commit is the message marked handled on the IMAP
server (services/imap.py). A crash between the two leaves an unmarked message whose record
exists: the next poll finds the record and only marks it. A crash before the commit leaves
nothing: the next poll handles the message afresh. Two pollers at once: the unique key
lets one of them write the record, the other skips it.

Which ticket it answers: a Message-ID in In-Reply-To / References that we sent
(`OutgoingMail`) or received on a ticket (`IncomingMail`); else a ticket number in the
subject, accepted only from an address that already wrote to or was written to about that
ticket (a number alone is easy to guess). An answer to an archived ticket becomes a new one.

What it becomes on a ticket: when the ticket waits on the customer, the information asked
for (`ticket_info_received`: its clocks resume); otherwise a customer message, an event on
the timeline that changes no state.

Who acts: the mail system account (username MAIL_USERNAME, an intake agent at the root of
the org tree, inactive: it never signs in), like the portal's own account.
"""

import contextlib
import datetime as dt
import hashlib
import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.core.errors import Conflict, DomainError, ValidationFailed
from complaintdesk.mail.models import IncomingMail, Mailbox, OutgoingMail
from complaintdesk.mail.parsing import (
    ParsedMail,
    find_phone,
    guess_language,
    ignore_reason,
    parse_mail,
    without_quote,
)
from complaintdesk.mail.services.imap import ImapError, ImapSession
from complaintdesk.mail.services.outgoing import mail_acknowledge
from complaintdesk.mail.vocabulary import HANDLED_ON_TICKET, HoldReason, IncomingStatus
from complaintdesk.org.models import OrgUnit
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services.attachments import attachment_add, attachment_check
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.services.intake import TicketDraft, ticket_register
from complaintdesk.tickets.services.notify import notify_event
from complaintdesk.tickets.services.transitions import ticket_info_received
from complaintdesk.tickets.vocabulary import Channel, EventType, State

log = logging.getLogger(__name__)

MAIL_USERNAME = "mail"
DESCRIPTION_MAX = 20000
TRUNCATED = "\n…"


def mail_account() -> User:
    """The system account that registers and acts for incoming e-mail, created on demand."""
    root = OrgUnit.get_root_nodes().order_by("path").first()
    if root is None:
        raise Conflict(_("E-mail cannot be registered yet: the organisation has no org unit."),
                       code="mail_not_ready")
    account = User.objects.filter(username=MAIL_USERNAME).first()
    if account is None:
        account = User(username=MAIL_USERNAME, role=Role.INTAKE_AGENT, org_unit=root,
                       display_name="E-mail", is_active=False)
        account.set_unusable_password()
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:  # two pollers creating it at the same moment: one wins
            return User.objects.get(username=MAIL_USERNAME)
    elif account.org_unit_id != root.pk or account.role != Role.INTAKE_AGENT:
        account.org_unit, account.role = root, Role.INTAKE_AGENT
        account.save(update_fields=["org_unit", "role"])
    return account


@dataclass
class PollResult:
    mailbox: str
    counts: Counter = field(default_factory=Counter)  # status (and ignored:reason) → messages
    error: str = ""

    def add(self, record: IncomingMail | None, *, again: bool = False):
        if record is None:
            self.counts["errors"] += 1
        elif again:
            self.counts["already_handled"] += 1
        else:
            self.counts[record.status] += 1
            if record.status == IncomingStatus.IGNORED:
                self.counts[f"ignored:{record.reason}"] += 1


def mailbox_password(mailbox: Mailbox) -> str:
    name = (mailbox.password_env or "").strip()
    value = os.environ.get(name) if name else None
    if not value:
        raise ImapError(gettext("The environment variable %(name)s with the mailbox's password is not set.")
                        % {"name": name or "?"})
    return value


def mailbox_poll(*, mailbox: Mailbox, now: dt.datetime | None = None, limit: int | None = None) -> PollResult:
    """Handle the mailbox's new messages (at most `limit`, MAIL_POLL_BATCH by default)."""
    result = PollResult(mailbox=mailbox.name)
    limit = limit or settings.MAIL_POLL_BATCH
    try:
        session = ImapSession(host=mailbox.host, port=mailbox.port, security=mailbox.security,
                              username=mailbox.username, password=mailbox_password(mailbox),
                              folder=mailbox.folder)
    except ImapError as exc:
        result.error = str(exc)
        _polled(mailbox, error=result.error)
        log.warning("mailbox %s: %s", mailbox.name, exc)
        return result
    try:
        for uid in session.unhandled(limit):
            record, again = _handle_uid(session, mailbox, uid, now)
            result.add(record, again=again)
            if record is not None:
                # Only now, after the commit: a crash before this line leaves the message
                # unmarked, and the next poll finds its record (no second ticket).
                session.mark_handled(uid)
    except ImapError as exc:
        result.error = str(exc)
        log.warning("mailbox %s: %s", mailbox.name, exc)
    finally:
        session.close()
    _polled(mailbox, error=result.error)
    return result


def _polled(mailbox: Mailbox, *, error: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error[:2000])


def mail_poll_all(*, now: dt.datetime | None = None) -> list[PollResult]:
    return [mailbox_poll(mailbox=m, now=now) for m in Mailbox.objects.filter(active=True).order_by("pk")]


def _handle_uid(session: ImapSession, mailbox: Mailbox, uid: int, now) -> tuple[IncomingMail | None, bool]:
    size = session.size(uid)
    too_large = size > settings.MAIL_MAX_BYTES
    raw = session.fetch(uid, headers_only=too_large)
    try:
        return incoming_handle(mailbox=mailbox, raw=raw, uid=uid, size=size, too_large=too_large, now=now)
    except Exception as exc:  # a message that breaks the code must not block the mailbox
        log.exception("mailbox %s: message UID %s could not be handled", mailbox.name, uid)
        try:
            return _hold_unreadable(mailbox, raw, uid, size, exc, now), False
        except Exception:
            log.exception("mailbox %s: UID %s not recorded; it is tried again next time", mailbox.name, uid)
            return None, False


def _hold_unreadable(mailbox, raw: bytes, uid: int, size: int, exc: Exception, now) -> IncomingMail:
    message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@unreadable>"
    # Even the header may be unreadable: the content hash identifies the message then.
    with contextlib.suppress(Exception):
        message_id = parse_mail(raw, headers_only=True).message_id
    with transaction.atomic():
        existing = IncomingMail.objects.filter(mailbox=mailbox, message_id=message_id).first()
        if existing is not None:
            return existing
        record = IncomingMail(mailbox=mailbox, message_id=message_id, uid=uid, status=IncomingStatus.HELD,
                              reason=HoldReason.ERROR, detail=f"{type(exc).__name__}: {exc}"[:2000],
                              size=size, received_at=now or timezone.now())
        record.raw.save(_raw_name(raw), ContentFile(raw), save=False)
        record.save()
        return record


def _raw_name(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest() + ".eml"


def incoming_handle(*, mailbox: Mailbox, raw: bytes, uid: int | None = None, size: int | None = None,
                    too_large: bool = False, now: dt.datetime | None = None) -> tuple[IncomingMail, bool]:
    """Record one message and do what it asks, in one transaction. Returns (record, again):
    `again` is True when it had been handled before (nothing done now)."""
    now = now or timezone.now()
    mail = parse_mail(raw, headers_only=too_large)
    existing = IncomingMail.objects.filter(mailbox=mailbox, message_id=mail.message_id).first()
    if existing is not None:
        return existing, True
    record = IncomingMail(
        mailbox=mailbox, message_id=mail.message_id, uid=uid, from_address=mail.from_address[:254],
        reply_address=mail.reply_address[:254], subject=mail.subject[:255], references=mail.references,
        language=guess_language(mail.subject + mail.text), size=size if size is not None else len(raw),
        sent_at=mail.date, received_at=now,
    )
    reason = _ignored(mailbox, mail)
    if reason:
        record.status, record.reason = IncomingStatus.IGNORED, reason
    elif too_large:
        record.status, record.reason = IncomingStatus.HELD, HoldReason.TOO_LARGE
        record.detail = gettext("%(size)d bytes; at most %(max)d are read.") % {
            "size": record.size, "max": settings.MAIL_MAX_BYTES}
    else:
        record.raw.save(_raw_name(raw), ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            if record.status:
                record.save()
            else:
                _act(record=record, mailbox=mailbox, mail=mail, at=now)
    except IntegrityError:
        # A second poller wrote this message's record first (the unique key): theirs stands.
        existing = IncomingMail.objects.filter(mailbox=mailbox, message_id=mail.message_id).first()
        if existing is None:
            raise
        return existing, True
    return record, False


def _ignored(mailbox: Mailbox, mail: ParsedMail) -> str:
    own = frozenset(a.lower() for a in (mailbox.address, settings.DEFAULT_FROM_EMAIL) if a)
    reason = ignore_reason(mail, own_addresses=own, own_sender=settings.MAIL_DOMAIN)
    if reason is None and OutgoingMail.objects.filter(message_id=mail.message_id).exists():
        reason = "own_message"
    return str(reason or "")


def _act(*, record: IncomingMail, mailbox: Mailbox, mail: ParsedMail, at: dt.datetime,
         phone: str = "") -> None:
    """Inside the caller's transaction: the ticket, the customer message or the hold, and the
    record saying which."""
    actor = mail_account()
    accepted, refused = _checked_attachments(mail)
    record.refused_attachments = refused
    ticket = _answered_ticket(mail)
    if ticket is not None and ticket.state != State.ARCHIVED:
        _on_ticket(record=record, ticket=ticket, mail=mail, actor=actor, at=at, files=accepted)
        record.save()
        return
    record.phone = (phone or find_phone(mail.text, mail.from_name, mail.subject))[:40]
    if not record.phone:
        record.status, record.reason = IncomingStatus.HELD, HoldReason.NO_PHONE
        record.detail = gettext("No phone number was found in the message; a ticket needs one. "
                                "Enter it and register the message again.")
        record.save()
        return
    description = mail.text or mail.title
    if ticket is not None:  # an answer to an archived ticket: a new ticket that says so
        description = gettext("(Answer to the archived ticket %(number)s.)") % {"number": ticket.number} + "\n" + description
    if len(description) > DESCRIPTION_MAX:
        description = description[: DESCRIPTION_MAX - len(TRUNCATED)] + TRUNCATED
    draft = TicketDraft(
        kind=mailbox.kind, category=mailbox.category.code, channel=mailbox.channel or Channel.EMAIL,
        title=mail.title or gettext("E-mail without a subject"), description=description,
        phone=record.phone, customer_name=mail.from_name[:100], org_unit=mailbox.org_unit.code,
        first_reported_at=_sent_at(mail.date, at),
    )
    try:
        with transaction.atomic():
            ticket, _created = ticket_register(actor=actor, draft=draft, at=at)
            for upload in accepted:
                attachment_add(ticket_id=ticket.pk, actor=actor, name=upload.name, data=upload.data, at=at)
    except ValidationFailed as exc:
        record.status = IncomingStatus.HELD
        record.reason = HoldReason.INVALID
        with translation.override(settings.LANGUAGE_CODE):
            record.detail = "; ".join(f"{e.field}: {e.reason}" for e in exc.fields) or str(exc.message)
        record.save()
        return
    record.status, record.reason, record.ticket, record.detail = IncomingStatus.REGISTERED, "", ticket, ""
    record.save()
    if mailbox.acknowledge:
        mail_acknowledge(ticket=ticket, thread=record, at=at)


def _sent_at(date: dt.datetime | None, at: dt.datetime) -> dt.datetime | None:
    """The message's own date as the first report, when it is plausible (the intake refuses
    dates in the future; a sender's clock may be wrong)."""
    if date is None or date > at or date < at - dt.timedelta(days=366):
        return None
    return date


def _checked_attachments(mail: ParsedMail):
    """The attachments an upload would accept, and the refused ones with the reason."""
    accepted, refused = [], []
    for item in mail.attachments:
        try:
            attachment_check(item.name, item.data)
        except ValidationFailed as exc:
            with translation.override(settings.LANGUAGE_CODE):
                refused.append({"name": item.name[:200], "reason": "; ".join(str(e.reason) for e in exc.fields)})
            continue
        accepted.append(item)
    return accepted, refused


def _answered_ticket(mail: ParsedMail) -> Ticket | None:
    ids = mail.thread_ids
    if ids:
        ticket_id = (OutgoingMail.objects.filter(message_id__in=ids).values_list("ticket_id", flat=True).first()
                     or IncomingMail.objects.filter(message_id__in=ids, ticket__isnull=False,
                                                    status__in=HANDLED_ON_TICKET)
                     .values_list("ticket_id", flat=True).first())
        if ticket_id:
            return Ticket.objects.filter(pk=ticket_id).first()
    for number in mail.ticket_numbers:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None or not mail.from_address:
            continue
        addresses = {mail.from_address, mail.reply_address}
        known = (IncomingMail.objects.filter(ticket=ticket, from_address__in=addresses).exists()
                 or OutgoingMail.objects.filter(ticket=ticket, to_address__in=addresses).exists())
        if known:
            return ticket
    return None


def _on_ticket(*, record: IncomingMail, ticket: Ticket, mail: ParsedMail, actor, at: dt.datetime,
               files) -> None:
    text = without_quote(mail.text) or mail.title
    if len(text) > DESCRIPTION_MAX:
        text = text[: DESCRIPTION_MAX - len(TRUNCATED)] + TRUNCATED
    record.ticket = ticket
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        answered = False
        if locked.waiting_on_customer:
            try:
                with transaction.atomic():
                    ticket_info_received(ticket_id=locked.pk, actor=actor, answer=text, at=at)
                answered = True
            except DomainError:  # the step is not possible in this state: a plain message then
                answered = False
        if answered:
            record.status = IncomingStatus.INFO_RECEIVED
        else:
            payload = {"channel": Channel.EMAIL, "subject": mail.subject[:255], "text": text,
                       "from": mail.from_address}
            event = event_append(ticket=locked, type=EventType.CUSTOMER_MESSAGE, actor=actor, at=at,
                                 from_state=locked.state, to_state=locked.state, payload=payload)
            # Whoever holds the ticket hears of it (info_received is told by its own writer).
            notify_event(ticket=locked, event=EventType.CUSTOMER_MESSAGE, actor=actor, payload=payload,
                         at=at, event_id=event.pk)
            record.status = IncomingStatus.APPENDED
        for upload in files:
            attachment_add(ticket_id=locked.pk, actor=actor, name=upload.name, data=upload.data, at=at)


def incoming_register_again(*, record_id: int, phone: str = "", now: dt.datetime | None = None) -> IncomingMail:
    """A held message read again from its stored copy (after the administrator entered the
    phone number or fixed the mailbox's category): what it becomes now replaces the hold."""
    now = now or timezone.now()
    with transaction.atomic():
        record = IncomingMail.objects.select_for_update().select_related("mailbox__category", "mailbox__org_unit").get(pk=record_id)
        if record.status != IncomingStatus.HELD:
            raise Conflict(_("Only a held message can be registered again."), code="not_held")
        if not record.raw:
            raise Conflict(_("This message was not stored (it was too large) and cannot be registered again."),
                           code="not_stored")
        with record.raw.open("rb") as fh:
            raw = fh.read()
        mail = parse_mail(raw)
        record.status = ""
        _act(record=record, mailbox=record.mailbox, mail=mail, at=now, phone=phone or record.phone)
    return record
