"""The hash chain over ticket events (audit/chain.py): two fields, the existing events chained
in batches (ticket by ticket, in id order). The unique (ticket, seq) constraint comes first,
while every seq is still NULL: PostgreSQL refuses an ALTER TABLE after rows were updated in
the same transaction."""

from django.db import migrations, models

BATCH = 2000


def chain_existing(apps, schema_editor):
    from complaintdesk.audit.chain import GENESIS, chain_key, event_hash

    TicketEvent = apps.get_model("tickets", "TicketEvent")
    db = schema_editor.connection.alias
    rows = (TicketEvent.objects.using(db).order_by("ticket_id", "id")
            .only("id", "ticket_id", "type", "actor_id", "created_at", "from_state", "to_state", "payload"))
    if not rows.exists():
        return
    key = chain_key()
    ticket, seq, previous, batch = None, 0, GENESIS, []
    for e in rows.iterator(chunk_size=BATCH):
        if e.ticket_id != ticket:
            ticket, seq, previous = e.ticket_id, 0, GENESIS
        seq += 1
        e.seq = seq
        e.hash = previous = event_hash(key, previous, ticket_id=e.ticket_id, seq=seq, type=e.type,
                                       actor_id=e.actor_id, at=e.created_at, from_state=e.from_state,
                                       to_state=e.to_state, payload=e.payload)
        batch.append(e)
        if len(batch) >= BATCH:
            TicketEvent.objects.using(db).bulk_update(batch, ["seq", "hash"])
            batch = []
    if batch:
        TicketEvent.objects.using(db).bulk_update(batch, ["seq", "hash"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_deadline_events")]

    operations = [
        migrations.AddField(
            model_name="ticketevent", name="seq",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name="sequence number"),
        ),
        migrations.AddField(
            model_name="ticketevent", name="hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64, verbose_name="chain hash"),
        ),
        migrations.AddConstraint(
            model_name="ticketevent",
            constraint=models.UniqueConstraint(fields=("ticket", "seq"), name="event_chain_seq_unique"),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=False),
    ]
