"""The only writer of the search index (SearchDocument).

Each service that writes a ticket's text calls one of these in its own transaction, so the
index never disagrees with the ticket: intake (`search_index_ticket`, one INSERT), the
transitions that write the plan, handling notes or reply (`search_work_changed`, one
UPDATE), the ledger when it opens an entry or a dossier (`search_ledger_changed`), and the
customer service when it first learns a customer's name (`search_customer_renamed`). The
database keeps its own index in step with the row (a generated column on PostgreSQL,
triggers into FTS5 on SQLite: migration 0002). `complaintdesk search_reindex` rebuilds it all.

Segmenting costs ~0.05 ms per 100 characters once jieba is loaded (segment.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from complaintdesk.search.models import ReindexRun, SearchDocument
from complaintdesk.search.segment import segmented
from complaintdesk.sla.models import CaseDossier, LedgerEntry
from complaintdesk.tickets.models import Ticket

# The ticket's fields in each part of the document (title: weight A … ledger: D).
WORK_FIELDS = ("plan", "handling_notes", "reply_text")
BODY_FIELDS = ("description", "product")
TEXT_FIELDS = frozenset(("title", *BODY_FIELDS, *WORK_FIELDS, "elements"))


# A phone-typed element is stored normalised (+8613800138000). It is left out of the index:
# phones are found by the phone match, which honours who may see them in full (masking).
_E164 = re.compile(r"^\+\d{6,}$")


def _element_text(elements) -> str:
    """The values of the required elements (text, choices, numbers), not their keys."""
    if not isinstance(elements, dict):
        return ""
    values = []
    for value in elements.values():
        items = value if isinstance(value, list | tuple) else [value]
        for v in items:
            if v in (None, "") or isinstance(v, dict) or _E164.match(str(v)):
                continue
            values.append(str(v))
    return " ".join(values)


def _work_text(ticket) -> str:
    return "\n".join(getattr(ticket, name) or "" for name in WORK_FIELDS)


def _body_text(ticket) -> str:
    return "\n".join([*(getattr(ticket, name) or "" for name in BODY_FIELDS), _element_text(ticket.elements)])


def document_for(ticket, *, customer_name: str = "", ledger_texts: Iterable[str] = ()) -> SearchDocument:
    """The ticket's document, built from the ticket in hand (no query)."""
    return SearchDocument(
        ticket_id=ticket.pk, title=segmented(ticket.title), customer=segmented(customer_name),
        body=segmented(_body_text(ticket)), work=segmented(_work_text(ticket)),
        ledger=segmented("\n".join(ledger_texts)), indexed_at=timezone.now(),
    )


def search_index_ticket(*, ticket, customer_name: str = "", ledger_texts: Iterable[str] = ()) -> None:
    """Write the whole document of a ticket (insert or replace): one statement."""
    SearchDocument.objects.bulk_create(
        [document_for(ticket, customer_name=customer_name, ledger_texts=ledger_texts)],
        update_conflicts=True, unique_fields=["ticket"],
        update_fields=["title", "customer", "body", "work", "ledger", "indexed_at"],
    )


def search_ticket_reindex(*, ticket_id: int) -> None:
    """Rebuild one ticket's document from the database (everything it is made of)."""
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None:
        SearchDocument.objects.filter(ticket_id=ticket_id).delete()
        return
    search_index_ticket(ticket=ticket, customer_name=ticket.customer.name,
                        ledger_texts=ledger_texts(
                            LedgerEntry.objects.filter(ticket_id=ticket_id).order_by("id").values_list("summary", flat=True),
                            CaseDossier.objects.filter(ticket_id=ticket_id).order_by("id").values_list("snapshot", flat=True)))


def search_work_changed(*, ticket, fields: Iterable[str]) -> None:
    """A transition saved `fields` of the ticket: update the parts they belong to (one
    UPDATE; a ticket indexed before the search existed gets its whole document)."""
    fields = set(fields) & TEXT_FIELDS
    if not fields:
        return
    parts = {}
    if fields & set(WORK_FIELDS):
        parts["work"] = segmented(_work_text(ticket))
    if "title" in fields:
        parts["title"] = segmented(ticket.title)
    if fields & {*BODY_FIELDS, "elements"}:
        parts["body"] = segmented(_body_text(ticket))
    if not SearchDocument.objects.filter(ticket_id=ticket.pk).update(**parts, indexed_at=timezone.now()):
        search_ticket_reindex(ticket_id=ticket.pk)


# The snapshot's keys whose values are what people wrote or are called (not times, codes,
# states or ids, which only add noise words like 04t18).
_DOSSIER_TEXT_KEYS = frozenset({
    "name", "name_en", "title", "description", "product", "plan", "handling_notes", "reply_text",
    "note", "notes", "reason", "answer", "question", "text", "input", "summary", "responsible_person",
})


def _dossier_text(snapshot) -> str:
    """The words of a dossier's snapshot: the human text in it (names, texts, notes)."""
    out: list[str] = []

    def walk(value, key=""):
        if isinstance(value, str):
            if key in _DOSSIER_TEXT_KEYS:
                out.append(value)
        elif isinstance(value, dict):
            for k, item in value.items():
                walk(item, k)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, key)

    walk(snapshot)
    return " ".join(out)


def ledger_texts(summaries: Iterable[str], snapshots: Iterable) -> list[str]:
    return [*(s or "" for s in summaries), *(_dossier_text(s) for s in snapshots)]


def search_ledger_changed(*, ticket_ids: Iterable[int]) -> None:
    """The ledger opened entries or dossiers for these tickets: their ledger parts again.
    A fixed number of queries for the scan's whole batch."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    summaries: dict[int, list[str]] = {i: [] for i in ids}
    snapshots: dict[int, list] = {i: [] for i in ids}
    for tid, summary in LedgerEntry.objects.filter(ticket_id__in=ids).order_by("id").values_list("ticket_id", "summary"):
        summaries[tid].append(summary)
    for tid, snapshot in CaseDossier.objects.filter(ticket_id__in=ids).order_by("id").values_list("ticket_id", "snapshot"):
        snapshots[tid].append(snapshot)
    have = set(SearchDocument.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
    now = timezone.now()
    SearchDocument.objects.bulk_update(
        [SearchDocument(ticket_id=i, ledger=segmented("\n".join(ledger_texts(summaries[i], snapshots[i]))),
                        indexed_at=now) for i in ids if i in have],
        ["ledger", "indexed_at"], batch_size=500)
    for i in ids:
        if i not in have:  # indexed before the search existed: the whole document
            search_ticket_reindex(ticket_id=i)


def search_customer_renamed(*, customer_id: int, name: str) -> None:
    """The customer's name was set: every ticket of that customer (one UPDATE)."""
    SearchDocument.objects.filter(ticket__customer_id=customer_id).update(customer=segmented(name))


# -- rebuilding the whole index (complaintdesk search_reindex) ------------------------------------

REINDEX_BATCH = 500


def reindex_run_start(*, resume: bool = True) -> ReindexRun:
    """The unfinished run to go on with (resume), or a new one."""
    if resume:
        run = ReindexRun.objects.filter(finished_at__isnull=True).order_by("-id").first()
        if run is not None:
            return run
    return ReindexRun.objects.create(started_at=timezone.now())


def reindex_remaining(*, run: ReindexRun) -> int:
    return Ticket.objects.filter(pk__gt=run.last_ticket_id).count()


def reindex_batch(*, run: ReindexRun, batch: int = REINDEX_BATCH) -> int:
    """Index the next `batch` tickets after the run's last one, in one transaction with the
    run's progress (stopped at any point, the run resumes after the last batch that
    committed). The tickets are locked meanwhile, so a transition writing notes waits and
    its own index update comes after ours. Returns how many were indexed (0: finished).
    Six queries per batch whatever its size."""
    with transaction.atomic():
        tickets = list(Ticket.objects.select_for_update(of=("self",)).select_related("customer")
                       .filter(pk__gt=run.last_ticket_id).order_by("pk")[:batch])
        if not tickets:
            ReindexRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
            run.finished_at = timezone.now()
            return 0
        ids = [t.pk for t in tickets]
        summaries: dict[int, list[str]] = {i: [] for i in ids}
        snapshots: dict[int, list] = {i: [] for i in ids}
        for tid, summary in (LedgerEntry.objects.filter(ticket_id__in=ids).order_by("id")
                             .values_list("ticket_id", "summary")):
            summaries[tid].append(summary)
        for tid, snapshot in (CaseDossier.objects.filter(ticket_id__in=ids).order_by("id")
                              .values_list("ticket_id", "snapshot")):
            snapshots[tid].append(snapshot)
        docs = [document_for(t, customer_name=t.customer.name,
                             ledger_texts=ledger_texts(summaries[t.pk], snapshots[t.pk])) for t in tickets]
        SearchDocument.objects.bulk_create(
            docs, update_conflicts=True, unique_fields=["ticket"],
            update_fields=["title", "customer", "body", "work", "ledger", "indexed_at"])
        run.last_ticket_id, run.done = ids[-1], run.done + len(ids)
        ReindexRun.objects.filter(pk=run.pk).update(last_ticket_id=run.last_ticket_id, done=run.done)
    return len(ids)
