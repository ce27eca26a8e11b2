"""Reads of the outbox for the people it is addressed to."""

import base64
import binascii
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.notifications.models import Message, NotificationSetting
from complaintdesk.notifications.vocabulary import MessageChannel, MessageStatus

MAX_LIMIT = 200
# What the list shows (see schemas.notification): not the delivery bookkeeping.
LIST_FIELDS = ("id", "template", "subject", "body", "context", "created_at", "read_at")


@dataclass
class InboxPage:
    items: list[Message]
    next_cursor: str | None
    unread_count: int


def _own_in_app(user):
    return Message.objects.filter(recipient_user=user, channel=MessageChannel.IN_APP,
                                  status=MessageStatus.SENT)


def unread_count(*, user) -> int:
    return _own_in_app(user).filter(read_at__isnull=True).count()


def inbox(*, user, unread_only: bool = False, cursor: str = "", limit: int = 50) -> InboxPage:
    """The user's in-app messages, newest first, keyset-paginated on id: two queries (the
    page and the unread count) whatever the page size or position."""
    limit = max(1, min(limit, MAX_LIMIT))
    messages = _own_in_app(user)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    if cursor:
        messages = messages.filter(id__lt=decode_cursor(cursor))
    rows = list(messages.only(*LIST_FIELDS).order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(items=rows, next_cursor=encode_cursor(rows[-1].pk) if more else None,
                     unread_count=unread_count(user=user))


def encode_cursor(message_id: int) -> str:
    return base64.urlsafe_b64encode(f"n{message_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("n"):
            raise ValueError
        value = int(raw[1:])
        if not 0 < value < 2**63:
            raise ValueError
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page.")) from None


def notification_setting(*, user) -> NotificationSetting | None:
    return NotificationSetting.objects.filter(user=user).first()
