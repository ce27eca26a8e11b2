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


@router.post("/notifications/read-all", response=s.MarkedOut, summary="Mark all my notifications read")
def mark_all_read(request):
    return {"marked": services.message_mark_all_read(user=request.user)}


@router.post("/notifications/{message_id}/read", response=s.NotificationOut,
             summary="Mark a notification read")
def mark_read(request, message_id: int):
    return s.notification(services.message_mark_read(message_id=message_id, user=request.user))
