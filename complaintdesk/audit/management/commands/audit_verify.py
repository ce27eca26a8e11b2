"""complaintdesk audit_verify [--ticket N]: check the ticket events' hash chains and the daily
anchors; print the first broken link of each ticket and exit 1 if there is any."""

from django.core.management.base import BaseCommand, CommandError

from complaintdesk.audit.selectors import anchor_breaks, chain_breaks


class Command(BaseCommand):
    help = "Verify the hash chain of the ticket events (and the daily anchors); exit 1 on a broken link."

    def add_arguments(self, parser):
        parser.add_argument("--ticket", type=int, help="only this ticket (its id)")
        parser.add_argument("--no-anchors", action="store_true", help="skip the daily anchors")

    def handle(self, *args, ticket=None, no_anchors=False, **options):
        broken = 0
        for b in chain_breaks(ticket_id=ticket):
            broken += 1
            where = f"event {b.event_id}" + (f" (seq {b.seq})" if b.seq is not None else "")
            self.stdout.write(f"ticket {b.ticket_id}: {where}: {b.problem}: {b.detail}")
        if not no_anchors:
            for a in anchor_breaks(ticket_id=ticket):
                broken += 1
                who = f"ticket {a.ticket_id}: " if a.ticket_id is not None else ""
                self.stdout.write(f"{who}anchor {a.day}: {a.problem}: {a.detail}")
        if broken:
            raise CommandError(f"{broken} broken link(s) found.", returncode=1)
        self.stdout.write("All chains intact.")
