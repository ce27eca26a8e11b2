"""The outbox's only writers: enqueue, send, retry, mark read.

Delivery is at most once per claim: a sender claims due messages in a short transaction
(pending → sending, attempts + 1; `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, the
IMMEDIATE transaction on SQLite), sends each outside any transaction, then records the
outcome. Two senders never claim the same message. A sender that dies mid-batch leaves
messages in `sending`; `outbox_requeue_stale` puts them back after STALE_AFTER, the one case
in which a message may go out twice (the dead sender may have sent it just before dying).
"""

import datetime as dt
import json
import logging

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import FieldError, NotFound, ValidationFailed
from complaintdesk.core.phones import normalize_phone
from complaintdesk.notifications import channels
from complaintdesk.notifications.models import Message, NotificationSetting
from complaintdesk.notifications.templates import RenderError, get_template, render
from complaintdesk.notifications.vocabulary import (
    DEFAULT_CHANNELS,
    URGENT_EVENTS,
    MessageChannel,
    MessageStatus,
    StaffEvent,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Wait after the 1st, 2nd, 3rd, 4th failed attempt; the 5th failure is final.
BACKOFF = (
    dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
    dt.timedelta(minutes=120),
)
# A message claimed this long ago and still `sending` belongs to a sender that died. Longer
# than one delivery may take (the SMTP timeout, the gateway's own timeout).
STALE_AFTER = dt.timedelta(minutes=10)
MAX_ERROR_LENGTH = 2000


# --- enqueue ---------------------------------------------------------------------------------


def message_enqueue(*, dedupe_key: str, template: str, context: dict, channel: str,
                    recipient_user=None, to_phone: str = "", to_email: str = "",
                    language: str = "") -> Message | None:
    """Add a message to the outbox; None (and nothing added) when `dedupe_key` is taken.

    Safe to call twice for one event, also at the same moment from two workers: the unique
    key decides, inside a savepoint, so the caller's transaction goes on either way. Call it
    inside the transaction that makes the event happen: if that rolls back, so does the
    message. In-app messages are rendered and `sent` at once; the rest wait for
    `outbox_send_due`. The context is checked against the template when it is rendered: a
    missing key fails that one message (with the reason in last_error), not the caller.
    """
    message = _build(dedupe_key=dedupe_key, template=template, context=context, channel=channel,
                     recipient_user=recipient_user, to_phone=to_phone, to_email=to_email,
                     language=language, now=timezone.now())
    if Message.objects.filter(dedupe_key=message.dedupe_key).exists():
        return None  # the common repeat, without provoking an IntegrityError
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        # A concurrent twin committed first (PostgreSQL waits for it, SQLite's IMMEDIATE
        # transaction too); anything else is a real error.
        if Message.objects.filter(dedupe_key=message.dedupe_key).exists():
            return None
        raise
    return message


def message_enqueue_many(items: list[dict], *, channel: str) -> int:
    """Add a batch of messages (each a dict of `message_enqueue`'s arguments but the channel)
    with one read and one INSERT … ON CONFLICT DO NOTHING, whatever the batch's size: the
    deadline scan's batches enqueue thousands at once, where one savepoint per message cost
    most of the scan's time. The same guarantees as `message_enqueue`: a dedupe key already
    taken, twice in the batch or by a concurrent twin adds nothing. Returns how many were new
    to this call's view (a twin committing in between is not subtracted)."""
    now = timezone.now()
    built: dict[str, Message] = {}
    rendered: dict = {}  # one event tells several people the same thing: render it once
    for item in items:
        message = _build(channel=channel, now=now, rendered=rendered, **item)
        built.setdefault(message.dedupe_key, message)
    if not built:
        return 0
    taken = set(Message.objects.filter(dedupe_key__in=list(built)).values_list("dedupe_key", flat=True))
    fresh = [m for key, m in built.items() if key not in taken]
    Message.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
    return len(fresh)


def _build(*, dedupe_key: str, template: str, context: dict, channel: str, recipient_user=None,
           to_phone: str = "", to_email: str = "", language: str = "", now: dt.datetime,
           rendered: dict | None = None, not_before: dt.datetime | None = None) -> Message:
    """A checked, unsaved message (in-app ones rendered and `sent`; `rendered` memoises the
    rendering by template, language and context for a batch)."""
    key = (dedupe_key or "").strip()
    if not key or len(key) > 200:
        raise ValidationFailed.on("dedupe_key", _("Give a key of 1 to 200 characters."))
    spec = get_template(template)
    if spec is None:
        raise ValidationFailed.on("template", _("Unknown message template “%(template)s”.")
                                  % {"template": template})
    try:
        channel = MessageChannel(channel)
    except ValueError:
        raise ValidationFailed.on("channel", _("Unknown channel “%(channel)s”.")
                                  % {"channel": channel}) from None
    if channel not in spec.channels:
        raise ValidationFailed.on("channel", _("Template “%(template)s” is not sent by %(channel)s.")
                                  % {"template": template, "channel": channel.label})
    language = _language(language)
    context = _json_context(context)
    to_phone, to_email = _recipient(channel, recipient_user, to_phone, to_email)
    message = Message(
        dedupe_key=key, channel=channel, template=template, context=context, language=language,
        recipient_user=recipient_user, to_phone=to_phone, to_email=to_email, created_at=now,
        status=MessageStatus.PENDING, next_attempt_at=max(now, not_before or now),
    )
    if channel == MessageChannel.IN_APP:
        _render_in_app(message, now, rendered)
    return message


def _language(language: str) -> str:
    language = (language or settings.LANGUAGE_CODE).lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationFailed.on("language", _("Choose one of: %(values)s.")
                                  % {"values": ", ".join(c for c, _n in settings.LANGUAGES)})
    return language


def _json_context(context) -> dict:
    if not isinstance(context, dict):
        raise ValidationFailed.on("context", _("Give an object."))
    try:
        # Datetimes and timedeltas become ISO 8601 strings, as they will be read back.
        return json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        raise ValidationFailed.on("context", _("The context must hold JSON values, dates and durations.")) from None


def _recipient(channel, user, to_phone: str, to_email: str) -> tuple[str, str]:
    if channel == MessageChannel.IN_APP:
        if user is None:
            raise ValidationFailed.on("recipient_user", _("In-app messages need a staff recipient."), "required")
        return "", ""
    if channel == MessageChannel.SMS:
        phone = normalize_phone(to_phone, field="to_phone")
        kind = phonenumbers.number_type(phonenumbers.parse(phone))
        if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
            raise ValidationFailed.on("to_phone", _("Text messages go to mobile numbers only."))
        return phone, ""
    email = (to_email or "").strip() or (user.email if user is not None else "")
    if not email:
        raise ValidationFailed.on("to_email", _("Give an email address; this staff account has none."), "required")
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed.on("to_email", _("Enter a valid email address.")) from None
    return "", email


def _render_in_app(message: Message, now: dt.datetime, memo: dict | None = None) -> None:
    try:
        if memo is None:
            message.subject, message.body = _rendered(message)
        else:
            key = (message.template, message.language,
                   json.dumps(message.context, sort_keys=True, ensure_ascii=False))
            if key not in memo:
                memo[key] = _rendered(message)
            message.subject, message.body = memo[key]
    except RenderError as exc:
        message.status, message.last_error, message.next_attempt_at = (
            MessageStatus.FAILED, str(exc), None)
        log.error("in-app message %s not rendered: %s", message.dedupe_key, exc)
        return
    message.status, message.sent_at, message.next_attempt_at = MessageStatus.SENT, now, None


def _rendered(message: Message) -> tuple[str, str]:
    subject, body = render(template=message.template, context=message.context,
                           language=message.language)
    return subject[:255], body


# --- staff notifications: the user's channels and quiet hours --------------------------------


def staff_notify_many(items: list[dict]) -> int:
    """Tell staff members something, each by the channels they chose for that kind of event
    (`StaffEvent`, from the template): in-app by default, e-mail and text messages when the
    user asked for them. Items are `message_enqueue`'s arguments without the channel. Outside
    in-app, a message due in the user's quiet hours waits until they end, except breaches and
    escalations. One query for the recipients' settings plus one read and one insert per
    channel used, whatever the batch's size; the dedupe keys keep a repeat a no-op. Returns
    how many messages were new."""
    if not items:
        return 0
    now = timezone.now()
    user_ids = {item["recipient_user"].pk for item in items}
    chosen = {s.user_id: s for s in NotificationSetting.objects.filter(user_id__in=user_ids)}
    by_channel: dict[str, list[dict]] = {}
    for item in items:
        user = item["recipient_user"]
        spec = get_template(item["template"])
        event = spec.event if spec is not None else None
        setting = chosen.get(user.pk)
        for channel in _channels_for(setting, event):
            extra = {}
            if channel != MessageChannel.IN_APP:
                if channel == MessageChannel.EMAIL and not user.email:
                    continue  # chosen while the account had an address; never fail the producer
                if channel == MessageChannel.SMS:
                    if not setting.sms_phone:
                        continue
                    extra["to_phone"] = setting.sms_phone
                if event not in URGENT_EVENTS:
                    extra["not_before"] = quiet_hours_end(setting, now)
            key = item["dedupe_key"] if channel == MessageChannel.IN_APP else f"{item['dedupe_key']}:{channel}"
            by_channel.setdefault(channel, []).append({**item, **extra, "dedupe_key": key[:200]})
    return sum(message_enqueue_many(batch, channel=channel) for channel, batch in by_channel.items())


def _channels_for(setting: NotificationSetting | None, event: StaffEvent | None) -> tuple[str, ...]:
    if setting is None or event is None:
        return DEFAULT_CHANNELS
    return tuple(setting.channels.get(str(event), DEFAULT_CHANNELS))


def quiet_hours_end(setting: NotificationSetting | None, now: dt.datetime) -> dt.datetime | None:
    """When the user's quiet hours, if `now` falls in them, end (local time; a window such as
    22:00–07:30 runs over midnight); None outside them or without quiet hours."""
    if setting is None or setting.quiet_from is None or setting.quiet_to is None:
        return None
    start, end = setting.quiet_from, setting.quiet_to
    if start == end:
        return None
    local = timezone.localtime(now)
    moment = local.time()
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), local.tzinfo)


def notification_setting_save(*, user, channels: dict, sms_phone: str = "",
                              quiet_from: dt.time | None = None,
                              quiet_to: dt.time | None = None) -> NotificationSetting:
    """Store a staff member's choices (the settings page, the API). Checked as a whole: an
    unknown event or channel, e-mail without an address on the account, text messages
    without a mobile number, or half a quiet-hours window is refused with the field named."""
    errors = []
    clean: dict[str, list[str]] = {}
    for event, wanted in (channels or {}).items():
        try:
            event = StaffEvent(event)
        except ValueError:
            errors.append(("channels", _("Unknown kind of notification “%(event)s”.") % {"event": event}))
            continue
        try:
            values = sorted({MessageChannel(c) for c in wanted}, key=list(MessageChannel).index)
        except (ValueError, TypeError):
            errors.append((f"channels.{event}", _("Choose among: in-app, email, SMS.")))
            continue
        clean[str(event)] = [str(v) for v in values]
    used = {c for values in clean.values() for c in values}
    if MessageChannel.EMAIL in used and not user.email:
        errors.append(("channels", _("Your account has no email address: ask an administrator "
                                     "to add one, or do not choose email.")))
    phone = ""
    if (sms_phone or "").strip():
        try:
            phone = normalize_phone(sms_phone, field="sms_phone")
        except ValidationFailed as exc:
            errors.extend(("sms_phone", f.reason) for f in exc.fields)
    if MessageChannel.SMS in used and not phone and not errors:
        errors.append(("sms_phone", _("Give your mobile number to receive text messages.")))
    for name, value in (("quiet_from", quiet_from), ("quiet_to", quiet_to)):
        if value is not None and value.tzinfo is not None:
            errors.append((name, _("Give the local time of day, without a time zone.")))
    if (quiet_from is None) != (quiet_to is None):
        errors.append(("quiet_from" if quiet_from is None else "quiet_to",
                       _("Give both ends of the quiet hours, or neither.")))
    if errors:
        raise ValidationFailed(errors[0][1], fields=[FieldError(f, r) for f, r in errors])
    setting, _created = NotificationSetting.objects.update_or_create(
        user=user, defaults={"channels": clean, "sms_phone": phone, "quiet_from": quiet_from,
                             "quiet_to": quiet_to})
    return setting


# --- send ------------------------------------------------------------------------------------


def outbox_send_due(*, now: dt.datetime, batch: int = 100) -> int:
    """Send up to `batch` messages due at `now`. Returns how many were attempted (sent,
    rescheduled or failed): `batch` means more may be waiting."""
    claimed = _claim(now=now, batch=batch)
    if not claimed:
        return 0
    gateway = None
    for message in claimed:
        if not _still_ours(message):
            continue  # requeued as stale and taken by another sender: not ours to send
        try:
            subject, body = _rendered(message)
        except RenderError as exc:
            _record_failure(message, now=now, error=str(exc), final=True)
            continue
        try:
            if message.channel == MessageChannel.IN_APP:
                provider_id = ""  # retried after a render error: shown in the list, no sending
            elif message.channel == MessageChannel.SMS:
                gateway = gateway or channels.sms_gateway()
                provider_id = gateway.send(message.to_phone, body)
            else:
                provider_id = channels.send_email(to=message.to_email, subject=subject, body=body,
                                                  headers=channels.thread_headers(message.context or {}))
        except channels.PermanentDeliveryError as exc:
            _record_failure(message, now=now, error=_describe(exc), final=True)
        except Exception as exc:  # any provider error: retried with backoff
            log.warning("message %s attempt %s failed: %s", message.pk, message.attempts, exc)
            _record_failure(message, now=now, error=_describe(exc),
                            final=message.attempts >= MAX_ATTEMPTS)
        else:
            Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING,
                                   attempts=message.attempts).update(
                status=MessageStatus.SENT, subject=subject, body=body,
                provider_id=str(provider_id or "")[:200], sent_at=_after(now),
                next_attempt_at=None, last_error="",
            )
    return len(claimed)


def _claim(*, now: dt.datetime, batch: int) -> list[Message]:
    with transaction.atomic():
        due = (Message.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            # Rows another sender is claiming right now are skipped, not waited for.
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:batch])
        if not ids:
            return []
        Message.objects.filter(id__in=ids).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now,
        )
        return list(Message.objects.filter(id__in=ids).order_by("next_attempt_at", "id"))


def _still_ours(message: Message) -> bool:
    """Renew the claim just before sending; (status, attempts) identify this claim, as every
    claim adds an attempt."""
    return bool(Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING,
                                       attempts=message.attempts)
                .update(claimed_at=timezone.now()))


def _record_failure(message: Message, *, now: dt.datetime, error: str, final: bool) -> None:
    if final:
        changes = {"status": MessageStatus.FAILED, "next_attempt_at": None}
    else:
        changes = {"status": MessageStatus.PENDING,
                   "next_attempt_at": now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]}
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING,
                           attempts=message.attempts).update(
        last_error=error[:MAX_ERROR_LENGTH], **changes)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _after(now: dt.datetime) -> dt.datetime:
    # The real time, but never before the time the caller was sending for.
    return max(now, timezone.now())


def outbox_requeue_stale(*, now: dt.datetime) -> int:
    """Put back messages a dead sender left in `sending` (claimed more than STALE_AFTER
    ago): due at once, or failed if they have used all their attempts. Returns how many."""
    stale = Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STALE_AFTER)
    error = gettext("The sender stopped while sending; it may or may not have gone out.")
    with transaction.atomic():
        failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
            status=MessageStatus.FAILED, next_attempt_at=None, last_error=error)
        retried = stale.filter(attempts__lt=MAX_ATTEMPTS).update(
            status=MessageStatus.PENDING, next_attempt_at=now, last_error=error)
    if failed or retried:
        log.warning("requeued %s stale messages, failed %s", retried, failed)
    return failed + retried


def message_retry(*, message_ids, now: dt.datetime) -> int:
    """Give failed messages a fresh set of attempts, due at once (the admin's "retry now").
    Returns how many were failed and are pending again."""
    return Message.objects.filter(pk__in=list(message_ids), status=MessageStatus.FAILED).update(
        status=MessageStatus.PENDING, attempts=0, next_attempt_at=now, claimed_at=None)


# --- in-app ----------------------------------------------------------------------------------


def message_mark_read(*, message_id: int, user, now: dt.datetime | None = None) -> Message:
    """Mark one of the user's in-app messages read (again: no change). Another user's
    message is NotFound."""
    message = (Message.objects.filter(pk=message_id, recipient_user=user,
                                      channel=MessageChannel.IN_APP, status=MessageStatus.SENT)
               .first())
    if message is None:
        raise NotFound(_("No such notification."))
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now or timezone.now())
        message.refresh_from_db(fields=["read_at"])
    return message


def message_mark_all_read(*, user, now: dt.datetime | None = None) -> int:
    """Mark all the user's unread in-app messages read; returns how many."""
    return Message.objects.filter(recipient_user=user, channel=MessageChannel.IN_APP,
                                  status=MessageStatus.SENT, read_at__isnull=True).update(
        read_at=now or timezone.now())
