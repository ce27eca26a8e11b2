"""Attachments kept with the ticket (000): checked by size, extension and actual content."""

import hashlib
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import Conflict, NotFound, ValidationFailed
from complaintdesk.tickets.facts import actor_facts, can_view, ticket_facts
from complaintdesk.tickets.models import Assignment, Attachment, Ticket
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.vocabulary import EventType, State

# extension → the MIME types its content may sniff as (None: plain text, must decode)
ALLOWED = {
    "jpg": {"image/jpeg"}, "jpeg": {"image/jpeg"}, "png": {"image/png"}, "gif": {"image/gif"},
    "webp": {"image/webp"}, "pdf": {"application/pdf"},
    "mp3": {"audio/mpeg"}, "wav": {"audio/x-wav", "audio/wav"}, "amr": {"audio/amr"},
    "mp4": {"video/mp4"},
    "docx": {"application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    "xlsx": {"application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    "doc": {"application/msword", "application/x-ole-storage"},
    "xls": {"application/vnd.ms-excel", "application/x-ole-storage"},
    "txt": None, "csv": None,
}


def attachment_check(name: str, data: bytes) -> str:
    """The content type of an acceptable upload; ValidationFailed (field "file") otherwise.
    Forms call it before anything is written, so a bad file is refused with the rest."""
    ext = PurePath(name).suffix.lower().lstrip(".")
    if ext not in ALLOWED:
        raise ValidationFailed.on("file", _("Files of type “.%(ext)s” are not accepted. Accepted: %(list)s.") % {
            "ext": ext or "?", "list": ", ".join(sorted(ALLOWED))})
    if not data:
        raise ValidationFailed.on("file", _("The file is empty."))
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationFailed.on("file", _("The file is larger than %(mb)d MB.") % {
            "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)})
    expected = ALLOWED[ext]
    if expected is None:
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
                return "text/csv" if ext == "csv" else "text/plain"
            except UnicodeDecodeError:
                continue
        raise ValidationFailed.on("file", _("This text file is neither UTF-8 nor GB18030."))
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in expected:
        raise ValidationFailed.on("file", _("The content of the file does not match its “.%(ext)s” name.") % {"ext": ext})
    return kind.mime


def attachment_add(*, ticket_id: int, actor, name: str, data: bytes, at=None) -> Attachment:
    # Keep only the last path part, without control characters (NUL breaks PostgreSQL text).
    name = "".join(ch for ch in PurePath((name or "").replace("\\", "/")).name if ch.isprintable())[:200]
    if not name:
        raise ValidationFailed.on("file", _("The file has no name."), "required")
    content_type = attachment_check(name, data)
    at = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("org_unit").filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("No such ticket."))
        assignments = list(Assignment.objects.filter(ticket=ticket))
        if not can_view(actor_facts(actor), ticket_facts(ticket, assignments), {a.department_id for a in assignments}):
            raise NotFound(_("No such ticket."))
        if ticket.state == State.ARCHIVED:
            raise Conflict(_("The ticket is archived and read-only."), code="archived",
                           extra={"state": ticket.state, "version": ticket.version})
        digest = hashlib.sha256(data).hexdigest()
        attachment = Attachment(ticket=ticket, original_name=name, content_type=content_type,
                                size=len(data), sha256=digest, uploaded_by=actor)
        attachment.file.save(digest, ContentFile(data), save=False)
        attachment.save()
        event_append(
            ticket=ticket, type=EventType.ATTACHMENT_ADDED, actor=actor, at=at,
            from_state=ticket.state, to_state=ticket.state,
            payload={"attachment": attachment.pk, "name": name, "size": len(data)},
        )
    return attachment
