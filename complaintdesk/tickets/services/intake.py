"""Registering a ticket (受理): validate, find or create the customer, write the ticket and
its first event in one transaction. A retried create with the same Idempotency-Key
returns the first ticket; a retry without a key (`retry_guard`) is refused, naming it."""

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import Conflict, FieldError, ValidationFailed
from complaintdesk.core.phones import normalize_phone
from complaintdesk.customers.services import customer_for_phone
from complaintdesk.incidents.services.signatures import signature_write
from complaintdesk.org.models import OrgUnit
from complaintdesk.regulators.services.transfers import (
    own_rule,
    plan_rule,
    transfer_clean,
    transfer_open,
)
from complaintdesk.screening.models import SpecialType
from complaintdesk.screening.services.repeats import raised_severity, repeat_find, repeat_record
from complaintdesk.screening.services.rules import repeat_rule_for, special_phrases_match
from complaintdesk.screening.services.source import source_clean
from complaintdesk.search.services.index import search_index_ticket
from complaintdesk.sla.services.clocks import clocks_on_event, own_schedule
from complaintdesk.sla.vocabulary import ClockType
from complaintdesk.taxonomy.models import Category
from complaintdesk.taxonomy.selectors import category_chain, default_severity, effective_elements
from complaintdesk.tickets.models import IdempotencyKey, Ticket
from complaintdesk.tickets.services.elements import clean_elements
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.services.notify import notify_event
from complaintdesk.tickets.services.transitions import ticket_resolve_on_spot
from complaintdesk.tickets.vocabulary import Channel, EventType, Kind, Severity, State
from complaintdesk.tickets.workflow import requires_approval

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
# An agreed time replaces the handling deadline: a year ahead is already generous.
MAX_AGREED_AHEAD = dt.timedelta(days=366)
# A create without an Idempotency-Key whose body the same account sent this recently is
# taken for a retry (a client that saw no answer sends again) and refused, naming the first.
RETRY_WINDOW = dt.timedelta(minutes=10)
# The guard's rows share the idempotency table under a key no header can collide with
# by accident (a header that does only meets its own account's retries).
RETRY_GUARD_PREFIX = "retry-guard:"

NUMBER_PREFIX = {
    Kind.COMPLAINT: "TS",
    Kind.GRIEVANCE: "BY",
    Kind.INQUIRY: "ZX",
    Kind.SUGGESTION: "JY",
    Kind.FAULT: "GZ",
    Kind.SALES_LEAD: "SJ",
}


@dataclass
class TicketDraft:
    kind: str
    category: str  # category code
    channel: str
    title: str
    description: str
    phone: str
    customer_name: str = ""
    customer_segment: str = ""
    contact_phone: str = ""
    product: str = ""
    severity: str = ""
    special: bool = False
    org_unit: str = ""  # org unit code; default: the customer's, else the registering staff's
    elements: dict = field(default_factory=dict)
    first_reported_at: dt.datetime | None = None
    agreed_time: dt.datetime | None = None
    # Where it came from: default direct (or what the channel implies); a transfer's own
    # reference and reply deadline.
    source_tier: str = ""
    regulator_ref: str = ""
    regulator_due_at: dt.datetime | None = None
    special_type: str = ""  # code of one of 000's six types
    # A regulator's transfer (regulators/): the profile's code gives the deadline; its matter
    # type and urgency pick the figure; counted from the transfer time (default: now); the
    # date the matter arose gives the admissibility hints.
    regulator: str = ""
    regulator_matter: str = ""
    regulator_urgency: str = ""
    transferred_at: dt.datetime | None = None
    matter_date: dt.date | None = None

    def fingerprint(self, *extra: str) -> str:
        data = [asdict(self), *extra]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyMismatch(ValidationFailed):
    code = "idempotency_key_reused"


class DuplicateRequest(Conflict):
    """The same body, no key, moments after a ticket was registered from it."""

    code = "duplicate_request"


def _choice(value: str, enum, field_name: str, errors: list[FieldError]):
    try:
        return enum(value)
    except ValueError:
        errors.append(FieldError(
            field_name,
            _("“%(value)s” is not one of: %(values)s.") % {
                "value": value, "values": ", ".join(m.value for m in enum)},
        ))
        return None


def _text(value: str, field_name: str, limit: int, errors: list[FieldError], required=True) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        errors.append(FieldError(field_name, _("Text must not contain NUL characters.")))
    elif required and not text:
        errors.append(FieldError(field_name, _("This field is required."), "required"))
    elif len(text) > limit:
        errors.append(FieldError(field_name, _("At most %(n)d characters.") % {"n": limit}))
    return text


def _validate(draft: TicketDraft, actor, incomplete_ok: bool = False):
    """Check everything a registration needs; all problems reported at once."""
    errors: list[FieldError] = []
    kind = _choice(draft.kind, Kind, "kind", errors)
    channel = _choice(draft.channel, Channel, "channel", errors)
    severity = _choice(draft.severity, Severity, "severity", errors) if draft.severity else None
    title = _text(draft.title, "title", 200, errors)
    description = _text(draft.description, "description", 20000, errors)
    product = _text(draft.product, "product", 200, errors, required=False)
    customer_name = _text(draft.customer_name, "customer_name", 100, errors, required=False)

    phones = {}
    for name, raw, required in (("phone", draft.phone, True), ("contact_phone", draft.contact_phone, False)):
        if not raw and not required:
            continue
        try:
            phones[name] = normalize_phone(raw, field=name)
        except ValidationFailed as exc:
            errors.extend(exc.fields)

    category = Category.objects.filter(code=draft.category, active=True).first() if draft.category else None
    if category is None:
        errors.append(FieldError("category", _("Choose a category from the category tree."), "required" if not draft.category else "invalid"))
    elif kind and category.kind != kind:
        errors.append(FieldError("category", _("This category belongs to another ticket kind.")))
    elif not category.is_leaf():
        errors.append(FieldError("category", _("Choose the most specific category (a leaf of the tree).")))

    org_unit = None
    if draft.org_unit:
        org_unit = OrgUnit.objects.filter(code=draft.org_unit).first()
        if org_unit is None:
            errors.append(FieldError("org_unit", _("No org unit has this code.")))

    now = timezone.now()
    for name in ("first_reported_at", "agreed_time"):
        value = getattr(draft, name)
        if value is None:
            continue
        # Within years a deadline can be counted in (year 1 or 9999 overflows on the way to UTC).
        try:
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            # In UTC: PostgreSQL refuses offsets such as +22:31 that Python accepts.
            value = value.astimezone(dt.UTC)
            in_range = EARLIEST <= value <= LATEST
        except (OverflowError, ValueError):
            in_range = False
        if in_range:
            setattr(draft, name, value)
        else:
            setattr(draft, name, None)
            errors.append(FieldError(name, _("Enter a date between 1970 and 2200.")))
    if draft.agreed_time and draft.agreed_time > now + MAX_AGREED_AHEAD:
        errors.append(FieldError("agreed_time", _("The agreed time must be within a year.")))
    if draft.first_reported_at and draft.first_reported_at > now + dt.timedelta(minutes=5):
        errors.append(FieldError("first_reported_at", _("The first report cannot be in the future.")))

    tier = (draft.source_tier or "").strip()
    transfer = transfer_clean(regulator=draft.regulator, matter=draft.regulator_matter,
                              urgency=draft.regulator_urgency, transferred_at=draft.transferred_at,
                              matter_date=draft.matter_date, tier=tier, now=now, errors=errors)
    if transfer is not None:
        tier = tier or transfer.profile.source_tier
        if transfer.transferred_at is not None and draft.first_reported_at is None:
            # Our clocks count from the transfer too: that is when it reached us.
            draft.first_reported_at = min(transfer.transferred_at, now)
    source = source_clean(tier=tier, ref=draft.regulator_ref, due_at=draft.regulator_due_at,
                          channel=channel, first_reported_at=draft.first_reported_at or now, errors=errors)
    special_type = None
    if draft.special_type:
        special_type = SpecialType.objects.filter(code=draft.special_type, active=True).first()
        if special_type is None:
            errors.append(FieldError("special_type", _("No special complainant type has this code.")))
    # 000 / domain.md: threats of media, lawsuits or regulators mark the ticket as special.
    matches = special_phrases_match(title, description)

    chain, elements = [], {}
    if category is not None and not any(e.field == "category" for e in errors):
        chain = category_chain(category)
        try:
            elements = clean_elements(effective_elements(chain), draft.elements, missing_ok=incomplete_ok)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    if errors:
        raise ValidationFailed(_("The ticket cannot be registered: check the fields named."), fields=errors)
    return dict(
        kind=kind, channel=channel, severity=severity, title=title, description=description,
        product=product, customer_name=customer_name, phones=phones, category=category,
        chain=chain, elements=elements, org_unit=org_unit, source=source, special_type=special_type,
        matches=matches, transfer=transfer,
    )


def _number(kind: Kind, created: dt.datetime, pk: int) -> str:
    local = timezone.localtime(created)
    return f"{NUMBER_PREFIX[kind]}{local:%Y%m%d}{pk:07d}"


def ticket_register(*, actor, draft: TicketDraft, idempotency_key: str = "", resolve_on_spot: str = "",
                    at: dt.datetime | None = None, retry_guard: bool = False,
                    incomplete_ok: bool = False) -> tuple[Ticket, bool]:
    """Register a ticket. Returns (ticket, created); created is False for a retried request.

    `resolve_on_spot`: an answer that settles it at once (000): the ticket is registered and
    closed in the same transaction, so a failure leaves neither.

    `retry_guard` (the API): without an Idempotency-Key, a body this account already sent
    within RETRY_WINDOW raises DuplicateRequest naming that ticket instead of registering a
    second one silently. It costs what a key costs: one indexed lookup and one insert into
    the idempotency table (whose unique index also stops two concurrent twins).

    `incomplete_ok` (file imports only): missing required elements do not refuse it."""
    key = (idempotency_key or "").strip()
    if len(key) > 200 or not key.isprintable():
        raise ValidationFailed.on("Idempotency-Key", _("At most 200 printable characters."))
    guarded = retry_guard and not key
    fingerprint = draft.fingerprint(resolve_on_spot) if key or guarded else ""
    stale = None
    if key:
        earlier = _earlier(actor, key, fingerprint)
        if earlier is not None:
            return earlier, False
    elif guarded:
        key = RETRY_GUARD_PREFIX + fingerprint
        stale = _refuse_retry(actor, key, at)
    clean = _validate(draft, actor, incomplete_ok)
    try:
        with transaction.atomic():
            at = at or timezone.now()
            ticket = _create(actor=actor, clean=clean, draft=draft, at=at)
            if resolve_on_spot:
                ticket = ticket_resolve_on_spot(ticket_id=ticket.pk, actor=actor, answer=resolve_on_spot, at=at)
            if stale is not None:
                # The same body long ago: the guard now points at the new ticket. Conditional,
                # so that of two concurrent twins only one moves it; the other is refused.
                moved = IdempotencyKey.objects.filter(pk=stale.pk, ticket_id=stale.ticket_id).update(
                    ticket=ticket, created_at=at)
                if not moved:
                    raise IntegrityError("retry guard moved by a concurrent twin")
            elif key:
                # Inserted last: a concurrent twin blocks here until the first commits,
                # then fails on the unique index and returns the first ticket below.
                IdempotencyKey.objects.create(user=actor, key=key, request_hash=fingerprint, ticket=ticket)
    except IntegrityError:
        if not key:
            raise
        if guarded:
            _refuse_retry(actor, key, None)
            raise
        earlier = _earlier(actor, key, fingerprint)
        if earlier is None:
            raise
        return earlier, False
    return ticket, True


def _refuse_retry(actor, key: str, at: dt.datetime | None):
    """DuplicateRequest if this account registered the same body within RETRY_WINDOW;
    else the guard's older row (to move to the new ticket), or None."""
    row = (IdempotencyKey.objects.filter(user=actor, key=key)
           .select_related("ticket").only("id", "created_at", "ticket__id", "ticket__number",
                                          "ticket__state", "ticket__version").first())
    if row is None or row.ticket is None:
        return row
    age = (at or timezone.now()) - row.created_at
    if age > RETRY_WINDOW:
        return row
    first = row.ticket
    minutes = max(1, int(age.total_seconds() // 60) + 1)
    raise DuplicateRequest(
        _("You registered the same ticket %(minutes)d min ago as %(number)s; no second ticket was "
          "registered. To register another one with the same content, send a new "
          "Idempotency-Key.") % {"minutes": minutes, "number": first.number},
        extra={"ticket": {"id": first.pk, "number": first.number, "state": first.state,
                          "version": first.version, "url": f"/api/v1/tickets/{first.pk}"}},
    )


def _earlier(actor, key: str, fingerprint: str) -> Ticket | None:
    row = IdempotencyKey.objects.filter(user=actor, key=key).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyMismatch.on(
            "Idempotency-Key",
            _("This Idempotency-Key was used for a different request; use a new key."),
            "idempotency_key_reused",
        )
    return Ticket.objects.get(pk=row.ticket_id)


def _create(*, actor, clean: dict, draft: TicketDraft, at: dt.datetime) -> Ticket:
    phones = clean["phones"]
    org_unit = clean["org_unit"]
    customer = customer_for_phone(
        phone=phones["phone"], name=clean["customer_name"], segment=draft.customer_segment,
        org_unit=org_unit,
    )
    if org_unit is None:
        org_unit_id = customer.org_unit_id or actor.org_unit_id
        if org_unit_id is None:
            raise ValidationFailed.on("org_unit", _("Name the org unit that owns this ticket."), "required")
    else:
        org_unit_id = org_unit.pk
    severity = clean["severity"] or default_severity(clean["chain"]) or Severity.GENERAL
    matches, special_type, source = clean["matches"], clean["special_type"], clean["source"]
    special = bool(draft.special) or bool(matches) or special_type is not None
    # Repeat / over the head: one indexed look-up of the customer's earlier tickets; a new
    # customer has none.
    finding = None
    rule = repeat_rule_for(clean["kind"])
    if rule is not None and not getattr(customer, "just_created", False):
        finding = repeat_find(customer_id=customer.pk, category_path=clean["category"].path,
                              steplen=Category.steplen, source_tier=source.tier, rule=rule, at=at)
    severity_before = severity
    if finding is not None and finding.over_the_head:
        severity = raised_severity(severity, rule)
    # The regulator's deadline, a clock of its own beside ours: from the profile, or the date
    # the transferring body stated. Direct tickets cost nothing here.
    transfer, own = clean["transfer"], None
    if transfer is not None:
        start = transfer.transferred_at or at
        own = plan_rule(transfer, start=start, stated_due=source.due_at)
    elif source.due_at is not None:
        start = draft.first_reported_at or at
        own = own_rule(profile=None, matter=None, urgency="", start=start, amount=None, basis=None,
                       stated_due=source.due_at)
    regulator_due = own_schedule(org_unit_id=org_unit_id, own=own).due if own is not None else None
    ticket = Ticket.objects.create(
        kind=clean["kind"],
        state=State.REGISTERED,
        category=clean["category"],
        channel=clean["channel"],
        severity=severity,
        special=special,
        title=clean["title"],
        description=clean["description"],
        product=clean["product"],
        customer=customer,
        contact_phone=phones.get("contact_phone") or phones["phone"],
        org_unit_id=org_unit_id,
        owner=actor,
        elements=clean["elements"],
        first_reported_at=draft.first_reported_at or at,
        agreed_time=draft.agreed_time,
        created_at=at,
        updated_at=at,
        source_tier=source.tier,
        regulator_ref=source.ref,
        regulator_due_at=regulator_due,
        repeat_of_id=finding.first_id if finding else None,
        over_the_head=bool(finding and finding.over_the_head),
        routed_department_id=finding.routed_department_id if finding else None,
        special_matches=[{"phrase": m.phrase, "meaning": m.meaning} for m in matches],
        special_type=special_type,
        requires_approval=requires_approval(
            category_requires=any(c.requires_approval for c in clean["chain"]),
            severity=Severity(severity), special=special,
        ),
    )
    ticket.number = _number(clean["kind"], at, ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(number=ticket.number)
    event = event_append(
        ticket=ticket, type=EventType.REGISTERED, actor=actor, at=at,
        from_state="", to_state=State.REGISTERED, first=True,
        payload=_registered_payload(ticket, clean, finding, severity_before),
    )
    if finding is not None:
        repeat_record(ticket=ticket, finding=finding, actor=actor, at=at)
    if transfer is not None:
        transfer_open(ticket=ticket, plan=transfer, start=own.start, stated_due=source.due_at, at=at)
    clocks_on_event(ticket=ticket, event_type=EventType.REGISTERED, from_state="",
                    to_state=State.REGISTERED, at=at,
                    own={ClockType.REGULATOR: own} if own is not None else None)
    # A special or major case is reported upward from its first step (no cost otherwise).
    notify_event(ticket=ticket, event=EventType.REGISTERED, actor=actor, payload={}, at=at,
                 event_id=event.pk)
    # In the same transaction: the ticket is never without its search document.
    search_index_ticket(ticket=ticket, customer_name=customer.name)
    # In the same transaction: a registered ticket is at once found by the suggestions.
    signature_write(ticket=ticket, created=True)
    return ticket


def _registered_payload(ticket: Ticket, clean: dict, finding, severity_before: str) -> dict:
    payload = {"channel": ticket.channel, "category": clean["category"].code, "number": ticket.number}
    if ticket.source_tier != "direct":
        payload.update(source_tier=ticket.source_tier, regulator_ref=ticket.regulator_ref or None,
                       regulator_due_at=ticket.regulator_due_at.isoformat() if ticket.regulator_due_at else None)
    transfer = clean["transfer"]
    if transfer is not None:
        payload["regulator"] = transfer.profile.code
        if transfer.matter is not None:
            payload["regulator_matter"] = transfer.matter.code
        if transfer.urgency:
            payload["regulator_urgency"] = transfer.urgency
        if transfer.hints:
            payload["admissibility_hints"] = [h["limit"] for h in transfer.hints]
    if finding is not None:
        payload["repeat_of"] = finding.first_number
        if finding.over_the_head:
            payload["over_the_head"] = True
        if ticket.severity != severity_before:
            payload.update(severity=ticket.severity, severity_before=severity_before)
    if ticket.special_matches:
        payload["special_phrases"] = [m["phrase"] for m in ticket.special_matches]
    if clean["special_type"] is not None:
        payload["special_type"] = clean["special_type"].code
    return payload
