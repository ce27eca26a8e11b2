"""Every read of tickets, scoped to what the viewer may see and batch-built: a list costs the
same few queries whatever its length."""

import base64
import binascii
import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.core.queries import unique_or_none
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.search.conditions import rank_expression, rank_window, text_condition, text_query
from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.services.clocks import ClockView, ticket_clock_views
from complaintdesk.sla.vocabulary import ClockState, SlaStatus
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.facts import (
    actor_facts,
    can_view,
    flag_condition,
    full_phones_q,
    ticket_facts,
)
from complaintdesk.tickets.models import Assignment, Attachment, Ticket, TicketEvent
from complaintdesk.tickets.vocabulary import (
    OPEN_STATES,
    Cause,
    Satisfaction,
    Severity,
    SourceTier,
    TicketFlag,
)
from complaintdesk.tickets.workflow import allowed_actions

# Joined: only the one large table. The small ones (categories, org units, departments, staff)
# are fetched by id, one short query each: every table joined costs the planner more than the
# whole query takes to run (7 tables: ≈5 ms of planning for a 0.4 ms query, at any size).
LIST_RELATED = ("customer",)
LIST_PREFETCH = ("category", "org_unit", "lead_department", "owner")


def _subtree_ids(model, path: str):
    return model.objects.filter(path__startswith=path).values("id")


def visible_tickets(viewer) -> QuerySet:
    """The tickets a viewer may see: departments see what was dispatched to them; the centre
    and management see their org unit's subtree; everyone sees what they registered."""
    tickets = Ticket.objects.all()
    if viewer.role == Role.ADMIN:
        return tickets
    own = Q(owner_id=viewer.pk)
    if viewer.role in DEPARTMENT_ROLES:
        if not viewer.department_id:
            return tickets.filter(own)
        held = Exists(Assignment.objects.filter(ticket_id=OuterRef("pk"), department_id=viewer.department_id))
        return tickets.filter(held | own)
    if not viewer.org_unit_id:
        return tickets.filter(own)
    # A join on the path prefix, not `org_unit_id IN (subquery)`: OR'ed with the owner test,
    # the subquery is guessed to keep 0.5 % of the tickets and the planner then sorts every
    # open ticket a department holds (≈20 ms at 100k tickets) instead of reading 51 index rows.
    return tickets.filter(Q(org_unit__path__startswith=viewer.org_unit.path) | own)


def department_open_tickets(viewer) -> QuerySet:
    """The open tickets a department role works on now: its department leads them or assists
    on them (an active assignment), or the viewer registered them. A subset of
    `visible_tickets(viewer)` by construction (a lead department has an assignment row), for
    the worklist counts: the ever-held scope of `visible_tickets` would make the database scan
    every assignment the department ever had (≈22k at 100k tickets) for a few hundred open rows."""
    if viewer.role not in DEPARTMENT_ROLES or not viewer.department_id:
        return visible_tickets(viewer).filter(state__in=sorted(OPEN_STATES))
    assisting = Assignment.objects.filter(department_id=viewer.department_id, active=True).values("ticket_id")
    return Ticket.objects.filter(state__in=sorted(OPEN_STATES)).filter(
        Q(lead_department_id=viewer.department_id) | Q(owner_id=viewer.pk) | Q(id__in=assisting))


@dataclass
class TicketFilters:
    state: list[str] | None = None
    kind: str = ""
    category: str = ""  # code; the whole subtree matches
    department: str = ""  # code; tickets the department holds now
    org_unit: str = ""  # code; the whole subtree matches
    channel: str = ""
    registered_from: dt.datetime | None = None
    registered_to: dt.datetime | None = None
    open: bool | None = None
    sla: list[str] | None = None  # at_risk, overdue (the ticket's deadline status)
    q: str = ""  # free text: the start of a ticket number, words of the title, a phone number
    flag: list[str] | None = None  # repeat, over_the_head, special, incident (all must hold)
    # The statistics' drill-down (stats/): a value, or "-" for "not recorded".
    severity: str = ""
    cause: str = ""
    source_tier: str = ""
    satisfaction: str = ""
    lead_department: str = ""  # code; the department leading it now ("-": none, at the centre)
    responsible_department: str = ""  # code ("-": none recorded)


EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _bounded(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """A date filter within years any ticket can have: year 1 or 9999 overflows on the way
    to UTC and into the database."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        # In UTC: PostgreSQL refuses odd offsets such as +22:31 that Python accepts.
        value = value.astimezone(dt.UTC)
        ok = EARLIEST <= value <= LATEST
    except (OverflowError, ValueError):
        ok = False
    if not ok:
        raise ValidationFailed.on(field, _("Enter a date between 1970 and 2200."))
    return value


def _apply_filters(tickets: QuerySet, f: TicketFilters, viewer=None) -> QuerySet:
    registered_from = _bounded(f.registered_from, "registered_from")
    registered_to = _bounded(f.registered_to, "registered_to")
    if f.state:
        tickets = tickets.filter(state__in=f.state)
    if f.open is True:
        tickets = tickets.filter(state__in=list(OPEN_STATES))
    elif f.open is False:
        tickets = tickets.exclude(state__in=list(OPEN_STATES))
    if f.sla:
        wanted = set(f.sla)
        if not wanted <= {SlaStatus.AT_RISK.value, SlaStatus.OVERDUE.value}:
            raise ValidationFailed.on("sla", _("Choose at_risk or overdue."))
        tickets = tickets.filter(sla_status__in=sorted(wanted))
    for name in f.flag or ():
        try:
            flag = TicketFlag(name)
        except ValueError:
            raise ValidationFailed.on("flag", _("“%(value)s” is not a flag; choose from: %(values)s.") % {
                "value": name[:40], "values": ", ".join(x.value for x in TicketFlag)}) from None
        tickets = tickets.filter(flag_condition(flag))
    if f.kind:
        tickets = tickets.filter(kind=f.kind)
    if f.channel:
        tickets = tickets.filter(channel=f.channel)
    if f.category:
        node = Category.objects.filter(code=f.category).first()
        if node is None:
            raise ValidationFailed.on("category", _("No category has this code."))
        tickets = tickets.filter(category_id__in=_subtree_ids(Category, node.path))
    if f.org_unit:
        unit = OrgUnit.objects.filter(code=f.org_unit).first()
        if unit is None:
            raise ValidationFailed.on("org_unit", _("No org unit has this code."))
        tickets = tickets.filter(org_unit_id__in=_subtree_ids(OrgUnit, unit.path))
    if f.department:
        dept = Department.objects.filter(code=f.department).first()
        if dept is None:
            raise ValidationFailed.on("department", _("No department has this code."))
        tickets = tickets.filter(assignments__department=dept, assignments__active=True)
    tickets = _apply_stats_filters(tickets, f)
    if registered_from:
        tickets = tickets.filter(created_at__gte=registered_from)
    if registered_to:
        tickets = tickets.filter(created_at__lt=registered_to)
    if f.q:
        tickets = tickets.filter(_text_match(f.q, phones=full_phones_q(viewer)))
    return tickets


def _apply_stats_filters(tickets: QuerySet, f: TicketFilters) -> QuerySet:
    """The filters the statistics link to (one per dimension of the roll-up): an enum value
    checked against its vocabulary, or "-" for the tickets that have none yet."""
    for name, enum in (("severity", Severity), ("cause", Cause), ("source_tier", SourceTier),
                       ("satisfaction", Satisfaction)):
        value = getattr(f, name)
        if not value:
            continue
        if value == "-":
            tickets = tickets.filter(**{name: ""})
            continue
        if value not in {m.value for m in enum}:
            raise ValidationFailed.on(name, _("“%(value)s” is not a value of this field; choose from: %(values)s.") % {
                "value": value[:40], "values": ", ".join(m.value for m in enum)})
        tickets = tickets.filter(**{name: value})
    for name in ("lead_department", "responsible_department"):
        code = getattr(f, name)
        if not code:
            continue
        if code == "-":
            tickets = tickets.filter(**{f"{name}__isnull": True})
            continue
        dept = Department.objects.filter(code=code).first()
        if dept is None:
            raise ValidationFailed.on(name, _("No department has this code."))
        tickets = tickets.filter(**{f"{name}_id": dept.pk})
    return tickets


def _text_match(raw: str, *, phones: Q | None = None) -> Q:
    """The search box: words in the full-text index, a ticket number from its start or, among
    the tickets whose numbers the viewer sees in full (`phones`, facts.full_phones_q), a phone
    number (search/conditions.py)."""
    return text_condition(text_query(raw), phones=phones)


def encode_cursor(ticket_id: int) -> str:
    return base64.urlsafe_b64encode(f"t{ticket_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("t"):
            raise ValueError
        value = int(raw[1:])
        if not 0 < value < 2**63:
            raise ValueError
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page.")) from None


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None
    prev_cursor: str | None = None


# -- sort orders and keyset cursors both ways (the worklists) ---------------------------------
# "" is the API's order (newest id first, cursor "t<id>"); the others sort on a key and then on
# the id in the same direction, so ties on the key never lose or repeat a row across pages.
SORTS = ("registered", "-registered", "deadline", "-deadline", "severity", "-severity")
SEVERITY_RANK = {Severity.SIMPLE: 0, Severity.GENERAL: 1, Severity.COMPLEX: 2, Severity.MAJOR: 3}


def _next_due(field: str) -> Subquery:
    # The nearest deadline of a running clock (paused clocks do not count down); one index
    # probe per row on (ticket, state).
    return Subquery(
        TicketClock.objects.filter(ticket_id=OuterRef("pk"), state=ClockState.RUNNING, due_at__isnull=False)
        .order_by("due_at", "id").values(field)[:1]
    )


def with_deadlines(tickets: QuerySet) -> QuerySet:
    """Adds `next_due_at` and `next_due_clock`: the nearest running deadline and its clock."""
    return tickets.annotate(next_due_at=_next_due("due_at"), next_due_clock=_next_due("clock"))


RANK = "rank"  # best match first: the order of a list with a search text and no other order


def _effective_sort(sort: str, filters: TicketFilters) -> str:
    """Newest first, unless a search text is given and no other order was asked for: then the
    best match first."""
    if sort in ("", RANK):
        return RANK if filters.q and text_query(filters.q).ranked else ""
    return sort


def _ranked_window(viewer, filters: TicketFilters, where: Q | None) -> QuerySet | None:
    """For a very common word (search/conditions.py rank_window): the matches among the
    newest `window` tickets registered (an id range on the primary key, not "the newest in
    scope": the planner misjudges the scope's size and would sort all of it), each tested
    row by row; None: rank every match."""
    tq = text_query(filters.q)
    window = rank_window(tq)
    if window is None:
        return None
    scoped = _apply_filters(visible_tickets(viewer), dataclasses.replace(filters, q=""), viewer)
    if where is not None:
        scoped = scoped.filter(where)
    oldest = Coalesce(Subquery(Ticket.objects.order_by("-id").values("id")[window - 1:window]), Value(0))
    return scoped.filter(id__gte=oldest).filter(text_condition(tq, probe=True, phones=full_phones_q(viewer)))


def _sorted(tickets: QuerySet, sort: str, filters: TicketFilters | None = None) -> tuple[QuerySet, str, bool]:
    """The queryset with its sort key, the key's name and whether it runs downwards."""
    if sort == "":
        return tickets, "id", True
    if sort == RANK:
        return tickets.annotate(search_rank=rank_expression(text_query(filters.q))), "search_rank", True
    if sort not in SORTS:
        raise ValidationFailed.on("sort", _("Choose a sort order from the list."))
    desc, name = sort.startswith("-"), sort.lstrip("-")
    if name == "registered":
        return tickets, "created_at", desc
    if name == "deadline":
        # One query for the whole order (the export; pages use _deadline_page): open tickets
        # first, by their nearest running deadline (none: last among them), then the closed.
        open_q = Q(state__in=OPEN_LIST)
        tickets = tickets.annotate(
            segment=Case(When(open_q, then=Value(0)), default=Value(1), output_field=IntegerField()),
            sort_key=Case(When(open_q, then=_deadline_key(desc)), default=_deadline_fallback(desc),
                          output_field=DateTimeField()))
        return tickets, "sort_key", desc
    else:
        key = Case(*(When(severity=s.value, then=Value(r)) for s, r in SEVERITY_RANK.items()),
                   default=Value(1), output_field=IntegerField())
    return tickets.annotate(sort_key=key), "sort_key", desc


OPEN_LIST = sorted(OPEN_STATES)


def _deadline_fallback(desc: bool) -> Value:
    return Value(EARLIEST if desc else LATEST, output_field=DateTimeField())


def _deadline_key(desc: bool) -> Coalesce:
    # No running deadline (paused, or no policy): last either way.
    return Coalesce(_next_due("due_at"), _deadline_fallback(desc), output_field=DateTimeField())


def _deadline_page(tickets: QuerySet, *, desc: bool, backwards: bool, cursor_value, cursor_pk: int | None,
                   need: int, finish) -> list[Ticket]:
    """The deadline order without sorting every ticket in scope: two segments read one after
    the other, the open tickets by their nearest running deadline (the state index finds them;
    only they have running clocks), then the closed ones by id (the primary key's order). At
    most two queries; `cursor_value` None means the cursor is in the closed segment."""
    open_q = Q(state__in=OPEN_LIST)
    direction = desc != backwards
    segments = [
        ("open", tickets.filter(open_q).annotate(sort_key=_deadline_key(desc)), "sort_key"),
        ("closed", tickets.exclude(open_q), "id"),
    ]
    if backwards:
        segments.reverse()
    in_closed = cursor_pk is not None and cursor_value is None
    start = 0
    if cursor_pk is not None:
        start = next(i for i, (name, _q, _k) in enumerate(segments) if (name == "closed") == in_closed)
    rows: list[Ticket] = []
    for i, (_name, qs, key) in enumerate(segments[start:], start):
        if i == start and cursor_pk is not None:
            qs = qs.filter(_beyond(key, cursor_value, cursor_pk, direction))
        rows += list(finish(qs).order_by(*_ordering(key, direction))[: need - len(rows)])
        if len(rows) >= need:
            break
    return rows


def _deadline_value(row: Ticket):
    return row.sort_key if row.state in OPEN_STATES else None


def _beyond(key: str, value, pk: int, desc: bool) -> Q:
    op = "lt" if desc else "gt"
    if key == "id":
        return Q(id__gt=pk) if op == "gt" else Q(id__lt=pk)
    return Q(**{f"{key}__{op}": value}) | Q(**{key: value, f"id__{op}": pk})


def _ordering(key: str, desc: bool) -> list[str]:
    sign = "-" if desc else ""
    return [f"{sign}id"] if key == "id" else [f"{sign}{key}", f"{sign}id"]


def _key_value(row: Ticket, key: str):
    return row.pk if key == "id" else getattr(row, key)


def _encode_keyset(sort: str, backwards: bool, value, pk: int) -> str:
    if sort == "" and not backwards:
        return encode_cursor(pk)
    if isinstance(value, dt.datetime):
        text = value.astimezone(dt.UTC).isoformat()
    elif value is None:
        text = "closed"  # the deadline order's second segment
    else:
        text = str(value if sort else pk)
    raw = f"k|{sort}|{'p' if backwards else 'n'}|{text}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_keyset(cursor: str, sort: str, key: str) -> tuple[bool, object, int]:
    """(backwards, key value, id); a cursor made for another sort order is refused."""
    bad = ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page."))
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if raw.startswith("t"):
        if sort != "":
            raise bad
        pk = decode_cursor(cursor)
        return False, pk, pk
    parts = raw.split("|")
    if len(parts) != 5 or parts[0] != "k" or parts[1] != sort or parts[2] not in ("n", "p"):
        raise bad
    try:
        pk = int(parts[4])
        if not 0 < pk < 2**63:
            raise ValueError
        if sort.lstrip("-") == "deadline" and parts[3] == "closed":
            value = None
        elif key == "search_rank":
            value = float(parts[3])
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        elif key in ("created_at", "sort_key") and sort.lstrip("-") != "severity":
            value = dt.datetime.fromisoformat(parts[3])
            if timezone.is_naive(value) or not EARLIEST <= value <= LATEST:
                raise ValueError
        else:
            value = int(parts[3])
            if not -(2**31) < value < 2**63:
                raise ValueError
    except (ValueError, OverflowError):
        raise bad from None
    return parts[2] == "p", value, pk


def ticket_list(*, viewer, filters: TicketFilters, cursor: str = "", limit: int = 50, sort: str = "",
                where: Q | None = None, deadlines: bool = False,
                prefetch: tuple[str, ...] = LIST_PREFETCH, related: tuple[str, ...] = LIST_RELATED,
                defer: tuple[str, ...] = (), annotate: dict | None = None) -> Page:
    """Keyset-paginated, both ways: page 1,000 costs what page 1 costs.

    `sort` is "" (newest id first, the API's order) or one of SORTS; `where` narrows the list
    further (a worklist's condition; the viewer's scope always applies); `deadlines` adds
    `next_due_at` / `next_due_clock` to every row (see `with_deadlines`); `prefetch`: the
    small tables the caller shows (one query each); `related`: the tables joined; `defer`:
    long columns the caller does not show (not read, not decoded); `annotate`: extra columns
    (e.g. REPEAT_NUMBER)."""
    sort = _effective_sort(sort, filters)
    tickets = _ranked_window(viewer, filters, where) if sort == RANK else None
    if tickets is None:
        tickets = _apply_filters(visible_tickets(viewer), filters, viewer)
        if where is not None:
            tickets = tickets.filter(where)

    def finish(qs: QuerySet) -> QuerySet:
        if defer:
            qs = qs.defer(*defer)
        if annotate:
            qs = qs.annotate(**annotate)
        if deadlines:
            qs = with_deadlines(qs)
        if related:  # select_related() without names would follow every foreign key
            qs = qs.select_related(*related)
        return qs

    backwards, value, pk = False, None, None
    if sort.lstrip("-") == "deadline":
        desc, key_of = sort.startswith("-"), _deadline_value
        if cursor:
            backwards, value, pk = _decode_keyset(cursor, sort, "sort_key")
        rows = _deadline_page(tickets, desc=desc, backwards=backwards, cursor_value=value, cursor_pk=pk,
                              need=limit + 1, finish=finish)
        prefetch_related_objects(rows, *prefetch)
    else:
        tickets, key, desc = _sorted(tickets, sort, filters)
        key_of = functools.partial(_key_value, key=key)
        if cursor:
            backwards, value, pk = _decode_keyset(cursor, sort, key)
            tickets = tickets.filter(_beyond(key, value, pk, desc != backwards))
        rows = list(finish(tickets).prefetch_related(*prefetch)
                    .order_by(*_ordering(key, desc != backwards))[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(items=[], next_cursor=None)
    first, last = rows[0], rows[-1]
    after = _encode_keyset(sort, False, key_of(last), last.pk)
    before = _encode_keyset(sort, True, key_of(first), first.pk)
    if backwards:
        return Page(items=rows, next_cursor=after, prev_cursor=before if more else None)
    return Page(items=rows, next_cursor=after if more else None, prev_cursor=before if cursor else None)


def ticket_rows(*, viewer, filters: TicketFilters, sort: str = "", where: Q | None = None,
                limit: int = 10_000, related: tuple[str, ...] = LIST_PREFETCH, defer: tuple[str, ...] = ()):
    """Every row of a list (first `limit` + 1, to tell the caller it was cut), in the list's
    order, for an export: one query with the small tables joined, read in chunks (a
    server-side cursor on PostgreSQL), never all at once."""
    tickets = _apply_filters(visible_tickets(viewer), filters, viewer)
    if where is not None:
        tickets = tickets.filter(where)
    tickets, key, desc = _sorted(tickets, _effective_sort(sort, filters), filters)
    tickets = with_deadlines(tickets.defer(*defer) if defer else tickets)
    if related:
        tickets = tickets.select_related(*related)
    order = _ordering(key, desc)
    if sort.lstrip("-") == "deadline":
        order = ["segment", *order]  # the same order as the pages (_deadline_page)
    return tickets.order_by(*order)[: limit + 1].iterator(chunk_size=2000)


@dataclass
class TicketDetail:
    ticket: Ticket
    assignments: list[Assignment]
    attachments: list[Attachment]
    allowed_actions: list[str]
    clocks: list[ClockView]


def ticket_get(*, viewer, ticket_id: int) -> TicketDetail:
    """Permission-checked fetch: a ticket the viewer may not see is 'not found'."""
    ticket = unique_or_none(
        # The cross-ticket columns are joined (usually NULL): a prefetch would cost a query
        # only on the tickets that have them, and the page's count would vary.
        Ticket.objects.select_related("customer", "org_unit", "category", "owner", "routed_department",
                                      "special_type", "repeat_of")
        .filter(pk=ticket_id)
    )
    if ticket is not None:
        # The handling columns, one query each where set (none on a new ticket): asking
        # prefetch_related for the unset ones would still build their querysets (≈1 ms).
        handling = [name for name in ("lead_department", "lead_assignee", "responsible_department")
                    if getattr(ticket, f"{name}_id") is not None]
        if handling:
            prefetch_related_objects([ticket], *handling)
    if ticket is None:
        raise NotFound(_("No such ticket."))
    assignments = list(
        Assignment.objects.filter(ticket=ticket).select_related("department", "assignee").order_by("id")
    )
    facts = ticket_facts(ticket, assignments)
    who = actor_facts(viewer)
    if not can_view(who, facts, {a.department_id for a in assignments}):
        raise NotFound(_("No such ticket."))
    attachments = list(Attachment.objects.filter(ticket=ticket).order_by("id"))
    return TicketDetail(
        ticket=ticket,
        assignments=assignments,
        attachments=attachments,
        allowed_actions=[a.value for a in allowed_actions(who, facts)],
        clocks=ticket_clock_views(ticket_id=ticket.pk, now=timezone.now()),
    )


def ticket_timeline(*, viewer, ticket_id: int) -> list[TicketEvent]:
    ticket_get_scoped(viewer=viewer, ticket_id=ticket_id)
    return list(TicketEvent.objects.filter(ticket_id=ticket_id).select_related("actor").order_by("id"))


def ticket_get_scoped(*, viewer, ticket_id: int) -> Ticket:
    ticket = visible_tickets(viewer).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def attachment_get(*, viewer, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such attachment."))
    ticket_get_scoped(viewer=viewer, ticket_id=attachment.ticket_id)
    return attachment


class AttachmentFileMissing(NotFound):
    """The row exists, its file does not (lost storage, a restore without it)."""

    code = "attachment_file_missing"


def attachment_open(*, viewer, attachment_id: int):
    """(attachment, open binary file) for a download; NotFound with the reason when the
    viewer may not see it or its file is gone from storage (never a 500)."""
    attachment = attachment_get(viewer=viewer, attachment_id=attachment_id)
    try:
        return attachment, attachment.file.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise AttachmentFileMissing(
            _("The file of “%(name)s” is missing from the attachment storage (the ticket record "
              "is intact). Ask an administrator to restore it from a backup.") % {
                "name": attachment.original_name},
            extra={"attachment": attachment.pk, "ticket": attachment.ticket_id, "sha256": attachment.sha256},
        ) from None
# The first ticket's number on each list row (`annotate=REPEAT_NUMBER`): one primary-key probe
# per repeat within the list's own query, no query per row and none added.
REPEAT_NUMBER = {"repeat_of_number": Subquery(Ticket.objects.filter(pk=OuterRef("repeat_of_id")).values("number")[:1])}
