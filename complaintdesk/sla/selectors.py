"""Reads of the complaint ledger, scoped like tickets and batch-built: a page costs the same
few queries whatever its length; the export streams rows from the database into the sheet."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.core.phones import elements_shown, phone_shown
from complaintdesk.core.xlsx import XlsxSheet
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.search.conditions import text_condition, text_query
from complaintdesk.sla.models import CaseDossier, DossierNote, LedgerEntry, TicketClock
from complaintdesk.sla.vocabulary import ClockType, DossierNoteKind, LedgerReason
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.facts import full_phones_q
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.vocabulary import State

LIST_RELATED = ("ticket", "clock", "department", "org_unit")
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
MAX_LIMIT = 200
# One sheet holds 1,048,576 rows; past that the export says it was cut.
EXPORT_MAX_ROWS = 1_048_575 - 1


def visible_ledger(viewer) -> QuerySet:
    """The ledger entries a viewer may see, by the rule of `visible_tickets`: administrators
    all; centre and management roles their org unit's subtree; department roles what their
    department held when the clock broke; everyone the tickets they registered."""
    entries = LedgerEntry.objects.all()
    if viewer.role == Role.ADMIN:
        return entries
    own = Q(ticket__owner_id=viewer.pk)
    if viewer.role in DEPARTMENT_ROLES:
        if not viewer.department_id:
            return entries.filter(own)
        return entries.filter(Q(department_id=viewer.department_id) | own)
    if not viewer.org_unit_id:
        return entries.filter(own)
    subtree = OrgUnit.objects.filter(path__startswith=viewer.org_unit.path).values("id")
    return entries.filter(Q(org_unit_id__in=subtree) | own)


@dataclass
class LedgerFilters:
    q: str = ""  # words (full-text index), a ticket number from its start, a phone number
    org_unit: str = ""  # code; the whole subtree matches
    department: str = ""  # code
    date_from: dt.datetime | None = None  # entered at or after
    date_to: dt.datetime | None = None  # entered before
    open_only: bool = False  # not resolved yet
    resolved_only: bool = False  # resolved (the ticket closed)
    ticket_state: str = ""  # the ticket's state now
    category: str = ""  # category code; its whole subtree matches


def _bounded(value, field: str):
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        ok = EARLIEST <= value <= LATEST
    except (OverflowError, ValueError):
        ok = False
    if not ok:
        raise ValidationFailed.on(field, _("Enter a date between 1970 and 2200."))
    return value


def _filtered(viewer, f: LedgerFilters) -> QuerySet:
    entries = visible_ledger(viewer)
    date_from, date_to = _bounded(f.date_from, "date_from"), _bounded(f.date_to, "date_to")
    if (f.q or "").strip():
        # The full-text index of the entry's ticket (its text, ledger summaries and dossiers),
        # or its number or the customer's phone (search/selectors.py).
        # By phone only for viewers who see every number in scope in full (masking).
        phones = Q() if full_phones_q(viewer) == Q() else None
        entries = entries.filter(text_condition(text_query(f.q), column="ticket_id", prefix="ticket__",
                                                phones=phones))
    if f.org_unit:
        unit = OrgUnit.objects.filter(code=f.org_unit).first()
        if unit is None:
            raise ValidationFailed.on("org_unit", _("No org unit has this code."))
        entries = entries.filter(org_unit_id__in=OrgUnit.objects.filter(path__startswith=unit.path).values("id"))
    if f.department:
        dept = Department.objects.filter(code=f.department).first()
        if dept is None:
            raise ValidationFailed.on("department", _("No department has this code."))
        entries = entries.filter(department_id=dept.pk)
    if date_from:
        entries = entries.filter(opened_at__gte=date_from)
    if date_to:
        entries = entries.filter(opened_at__lt=date_to)
    if f.open_only:
        entries = entries.filter(resolved_at__isnull=True)
    if f.resolved_only:
        entries = entries.filter(resolved_at__isnull=False)
    if f.ticket_state:
        try:
            entries = entries.filter(ticket__state=State(f.ticket_state).value)
        except ValueError:
            raise ValidationFailed.on("ticket_state", _("Choose a state from the list.")) from None
    if f.category:
        node = Category.objects.filter(code=f.category).only("path").first()
        if node is None:
            raise ValidationFailed.on("category", _("No category has this code."))
        # The category's subtree by its materialised path (one join, no list of ids).
        entries = entries.filter(ticket__category__path__startswith=node.path)
    return entries


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"l{entry_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("l"):
            raise ValueError
        value = int(raw[1:])
        if not 0 < value < 2**63:
            raise ValueError
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.on("cursor", _("This cursor is not valid; start from the first page.")) from None


@dataclass
class LedgerPage:
    items: list[LedgerEntry]
    next_cursor: str | None


def ledger_search(*, viewer, q: str = "", org_unit: str = "", department: str = "",
                  date_from: dt.datetime | None = None, date_to: dt.datetime | None = None,
                  open_only: bool = False, resolved_only: bool = False, ticket_state: str = "",
                  category: str = "", cursor: str = "", limit: int = 50,
                  with_notes: bool = False) -> LedgerPage:
    """Newest first, keyset-paginated on id (entries are added in time order): page 1,000
    costs what page 1 costs. One query, plus one per org unit / department code given."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    entries = _filtered(viewer, LedgerFilters(q=q, org_unit=org_unit, department=department,
                                              date_from=date_from, date_to=date_to, open_only=open_only,
                                              resolved_only=resolved_only, ticket_state=ticket_state,
                                              category=category))
    if cursor:
        entries = entries.filter(id__lt=decode_cursor(cursor))
    entries = entries.select_related(*LIST_RELATED, "ticket__category")
    if with_notes:
        # The workbench list shows how many instructions and notes each case has: counted in
        # the same query (subqueries per row of the page, not a query per row).
        notes = DossierNote.objects.filter(ledger_entry_id=OuterRef("pk")).order_by().values("ledger_entry_id")
        entries = entries.annotate(
            instructions=Subquery(notes.filter(kind=DossierNoteKind.INSTRUCTION)
                                  .annotate(n=Count("id")).values("n")[:1]),
            follow_ups=Subquery(notes.filter(kind=DossierNoteKind.FOLLOW_UP)
                                .annotate(n=Count("id")).values("n")[:1]),
            has_dossier=Exists(CaseDossier.objects.filter(ledger_entry_id=OuterRef("pk"))))
    rows = list(entries.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return LedgerPage(items=rows, next_cursor=encode_cursor(rows[-1].pk) if more and rows else None)


def ledger_get(*, viewer, entry_id: int) -> LedgerEntry:
    """One entry with its dossier; an entry the viewer may not see is 'not found'."""
    entry = (visible_ledger(viewer).filter(pk=entry_id)
             .select_related(*LIST_RELATED, "dossier").first())
    if entry is None:
        raise NotFound(_("No such ledger entry."))
    return entry


# --- the xlsx export ---------------------------------------------------------------------------


def _headers() -> list[str]:
    # The models' own (translated) field names: the sheet speaks the reader's language.
    f = LedgerEntry._meta.get_field
    t = Ticket._meta.get_field
    c = TicketClock._meta.get_field
    return [
        str(t("number").verbose_name), str(t("title").verbose_name), str(c("clock").verbose_name),
        str(c("due_at").verbose_name), str(c("breached_at").verbose_name), str(f("level").verbose_name),
        str(f("org_unit").verbose_name), str(f("department").verbose_name),
        str(f("opened_at").verbose_name), str(f("resolved_at").verbose_name),
        str(f("summary").verbose_name),
    ]


def clock_label(value: str) -> str:
    try:
        return str(ClockType(value).label)
    except ValueError:
        return value


def _row(e: LedgerEntry) -> list:
    clock = e.clock
    # An entry without a clock (over the head) shows its reason where the clock would be.
    what = clock_label(clock.clock) if clock is not None else str(LedgerReason(e.reason).label)
    return [
        e.ticket.number or "", e.ticket.title, what,
        clock.due_at if clock else None, clock.breached_at if clock else None, e.level,
        e.org_unit.display_name if e.org_unit_id else "",
        e.department.display_name if e.department_id else "",
        e.opened_at, e.resolved_at, e.summary,
    ]


def ledger_xlsx_write(entries: Iterable[LedgerEntry], out, *, title: str = "",
                      customers: set[int] | None = None) -> int:
    """Write the entries (with ticket, clock, org unit and department loaded) as an .xlsx
    workbook to the binary file `out`, in the active language. Returns the rows written.
    `customers`, if given, receives the ids of the entries' customers (for the access log)."""
    sheet = XlsxSheet(title or _g("Complaint ledger"), widths=(22, 40, 0, 18, 18, 0, 0, 0, 18, 18, 60))
    sheet.header(_headers())
    n = 0
    for entry in entries:
        if n >= EXPORT_MAX_ROWS:
            sheet.row([_g("The export stops here: narrow the filters for the rest.")])
            break
        sheet.row(_row(entry))
        if customers is not None:
            customers.add(entry.ticket.customer_id)
        n += 1
    sheet.save(out)
    return n


def ledger_export_xlsx(*, viewer, out, q: str = "", org_unit: str = "", department: str = "",
                       date_from: dt.datetime | None = None, date_to: dt.datetime | None = None,
                       open_only: bool = False, resolved_only: bool = False, ticket_state: str = "",
                       category: str = "", customers: set[int] | None = None) -> int:
    """The entries `ledger_search` would list (all pages), newest first, as .xlsx into `out`.
    Rows are read in chunks (a server-side cursor on PostgreSQL), never all at once."""
    entries = _filtered(viewer, LedgerFilters(q=q, org_unit=org_unit, department=department,
                                              date_from=date_from, date_to=date_to, open_only=open_only,
                                              resolved_only=resolved_only, ticket_state=ticket_state,
                                              category=category))
    rows = entries.select_related(*LIST_RELATED).order_by("-id").iterator(chunk_size=2000)
    return ledger_xlsx_write(rows, out, customers=customers)


def dossier_shown(snapshot: dict, *, full_phones: bool) -> dict:
    """A case dossier's snapshot as the viewer may see it: the customer's phones, the contact
    phone and phone-typed elements masked unless `full_phones` (tickets.facts.sees_full_phones
    for the entry's ticket)."""
    if full_phones or not snapshot:
        return snapshot
    out = dict(snapshot)
    if isinstance(out.get("customer"), dict):
        customer = dict(out["customer"])
        customer["phones"] = [phone_shown(p, full=False) for p in customer.get("phones") or []]
        out["customer"] = customer
    if isinstance(out.get("ticket"), dict):
        ticket = dict(out["ticket"])
        ticket["contact_phone"] = phone_shown(ticket.get("contact_phone") or "", full=False)
        ticket["elements"] = elements_shown(ticket.get("elements") or {}, full=False)
        out["ticket"] = ticket
    return out


def dossier_notes(*, entry: LedgerEntry) -> list[DossierNote]:
    """The instructions and follow-up notes of an entry (already fetched through
    `ledger_get`, so in the viewer's scope), oldest first, with their authors: one query."""
    return list(DossierNote.objects.filter(ledger_entry_id=entry.pk).select_related("author").order_by("id"))


def snapshot_people(snapshot: dict) -> dict[int, str]:
    """{user id: name} of the people a dossier's snapshot names (no query: they are in it)."""
    return {p["id"]: p.get("name") or p.get("username") or str(p["id"])
            for p in (snapshot or {}).get("people") or [] if isinstance(p, dict) and "id" in p}
