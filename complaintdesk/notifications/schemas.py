"""The notification API's input and output shapes."""

import datetime as dt

from ninja import Schema

from complaintdesk.core.schema import InputSchema
from complaintdesk.notifications.models import Message
from complaintdesk.notifications.vocabulary import DEFAULT_CHANNELS, StaffEvent


class InboxQuery(InputSchema):
    unread: bool = False
    cursor: str = ""
    limit: int = 50


class NotificationOut(Schema):
    id: int
    template: str
    subject: str
    body: str
    ticket_number: str | None
    ticket_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class MarkedOut(Schema):
    marked: int


def notification(message: Message) -> dict:
    # The ticket a message is about, when its producer named one: the UI links to it.
    context = message.context if isinstance(message.context, dict) else {}
    number, ticket_id = context.get("ticket_number"), context.get("ticket_id")
    return {
        "id": message.pk, "template": message.template, "subject": message.subject,
        "body": message.body, "created_at": message.created_at, "read_at": message.read_at,
        "ticket_number": str(number) if number not in (None, "") else None,
        "ticket_id": ticket_id if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) else None,
    }


class NotificationSettingsIn(InputSchema):
    """Which channels bring each kind of notification (an event left out keeps in-app only;
    an empty list silences it), the mobile for text messages and the quiet hours."""

    channels: dict[str, list[str]] = {}
    sms_phone: str = ""
    quiet_from: dt.time | None = None
    quiet_to: dt.time | None = None


class NotificationSettingsOut(Schema):
    channels: dict[str, list[str]]
    sms_phone: str
    quiet_from: dt.time | None
    quiet_to: dt.time | None
    events: dict[str, str]  # every kind of notification with its label, for a settings form


def notification_settings(setting) -> dict:
    chosen = setting.channels if setting else {}
    return {
        "channels": {str(e): chosen.get(str(e), [str(c) for c in DEFAULT_CHANNELS]) for e in StaffEvent},
        "sms_phone": setting.sms_phone if setting else "",
        "quiet_from": setting.quiet_from if setting else None,
        "quiet_to": setting.quiet_to if setting else None,
        "events": {str(e): str(e.label) for e in StaffEvent},
    }
