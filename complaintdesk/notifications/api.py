"""The viewer's in-app notifications: parse, call a service or a selector, render."""

from ninja import Query, Router

from complaintdesk.notifications import schemas as s
from complaintdesk.notifications import selectors, services

router = Router(tags=["notifications"])


@router.get("/notifications", response=s.NotificationPage, summary="My notifications")
def list_notifications(request, filters: Query[s.InboxQuery]):
    """The signed-in user's in-app messages, newest first, with the number still unread.
    `unread=true` lists only those; pass the returned `next_cursor` as `cursor` for the next
    page."""
    page = selectors.inbox(user=request.user, unread_only=filters.unread, cursor=filters.cursor,
                           limit=filters.limit)
    return {"items": [s.notification(m) for m in page.items], "next_cursor": page.next_cursor,
            "unread_count": page.unread_count}


@router.get("/notifications/settings", response=s.NotificationSettingsOut,
            summary="My notification settings")
def get_settings(request):
    """Which channels bring each kind of notification to me (in-app unless chosen
    otherwise), my mobile for text messages and my quiet hours."""
    return s.notification_settings(selectors.notification_setting(user=request.user))


@router.put("/notifications/settings", response=s.NotificationSettingsOut,
            summary="Change my notification settings")
def put_settings(request, body: s.NotificationSettingsIn):
    """Replace my settings. During quiet hours e-mail and text messages wait until they end;
    missed deadlines and escalations do not wait. Refused (422, the field named) for an
    unknown event or channel, e-mail without an address on my account, text messages without
    a mobile number, or only one end of the quiet hours."""
    setting = services.notification_setting_save(
        user=request.user, channels=body.channels, sms_phone=body.sms_phone,
        quiet_from=body.quiet_from, quiet_to=body.quiet_to)
    return s.notification_settings(setting)


@router.post("/notifications/read-all", response=s.MarkedOut, summary="Mark all my notifications read")
def mark_all_read(request):
    return {"marked": services.message_mark_all_read(user=request.user)}


@router.post("/notifications/{message_id}/read", response=s.NotificationOut,
             summary="Mark a notification read")
def mark_read(request, message_id: int):
    return s.notification(services.message_mark_read(message_id=message_id, user=request.user))
