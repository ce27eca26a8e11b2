"""The only writer of near-duplicate signatures and their LSH bands.

`signature_write` runs inside the intake transaction (tickets/services/intake.py): a ticket
and its signature are committed together, so a suggestion never misses a registered ticket.
At registration it costs the MinHash (≈0.5 ms of CPU with jieba) and two INSERTs. Called again
whenever a ticket's title or description changes: an unchanged text is left alone.
"""

from django.db import transaction

from complaintdesk.incidents import minhash
from complaintdesk.incidents.models import SignatureBand, TicketSignature


def signature_write(*, ticket, created: bool = False) -> bool:
    """Write (or bring up to date) the ticket's signature; False when it was already current.

    `created`: the ticket was inserted in this transaction (intake), so there is nothing to
    compare or replace: two INSERTs, no read, no savepoint."""
    text = minhash.ticket_text(ticket.title, ticket.description)
    digest = minhash.text_hash(text)
    if created:
        _insert(ticket.pk, minhash.signature(text), digest)
        return True
    current = TicketSignature.objects.filter(ticket_id=ticket.pk).values_list("text_hash", flat=True).first()
    if current == digest:
        return False
    sig = minhash.signature(text)
    with transaction.atomic():
        if current is None:
            _insert(ticket.pk, sig, digest)
        else:
            TicketSignature.objects.filter(ticket_id=ticket.pk).update(
                signature=minhash.to_bytes(sig), text_hash=digest)
            SignatureBand.objects.filter(ticket_id=ticket.pk).delete()
            if not minhash.is_empty(sig):
                SignatureBand.objects.bulk_create(
                    [SignatureBand(key=k, ticket_id=ticket.pk) for k in minhash.band_keys(sig)])
    return True


def _insert(ticket_id: int, sig, digest: str) -> None:
    TicketSignature.objects.create(ticket_id=ticket_id, signature=minhash.to_bytes(sig), text_hash=digest)
    if not minhash.is_empty(sig):
        SignatureBand.objects.bulk_create([SignatureBand(key=k, ticket_id=ticket_id) for k in minhash.band_keys(sig)])


def signatures_backfill(*, tickets, batch: int = 1000) -> int:
    """Sign tickets that have no signature yet (tickets registered before this app, a bench
    seed): batched inserts, no per-ticket query. `tickets` yields (id, title, description)."""
    done = 0
    rows, bands = [], []

    def flush():
        with transaction.atomic():
            TicketSignature.objects.bulk_create(rows, ignore_conflicts=True)
            SignatureBand.objects.bulk_create(bands)
        rows.clear()
        bands.clear()

    for pk, title, description in tickets:
        text = minhash.ticket_text(title, description)
        sig = minhash.signature(text)
        rows.append(TicketSignature(ticket_id=pk, signature=minhash.to_bytes(sig), text_hash=minhash.text_hash(text)))
        if not minhash.is_empty(sig):
            bands.extend(SignatureBand(key=k, ticket_id=pk) for k in minhash.band_keys(sig))
        done += 1
        if len(rows) >= batch:
            flush()
    if rows:
        flush()
    return done


def signatures_clear() -> None:
    """Forget every signature (before signing all tickets again with new parameters)."""
    with transaction.atomic():
        SignatureBand.objects.all().delete()
        TicketSignature.objects.all().delete()
