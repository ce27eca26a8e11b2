"""Sign the tickets that have no near-duplicate signature yet (tickets registered before the
incidents app, imported or seeded ones); `--all` signs every ticket again."""

from django.core.management.base import BaseCommand

from complaintdesk.incidents.selectors import tickets_to_sign
from complaintdesk.incidents.services.signatures import signatures_backfill, signatures_clear


class Command(BaseCommand):
    help = "Write the near-duplicate signatures (MinHash + LSH bands) of tickets that have none."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Sign every ticket again.")

    def handle(self, *args, **options):
        if options["all"]:
            signatures_clear()
        done = signatures_backfill(tickets=tickets_to_sign())
        self.stdout.write(f"{done} tickets signed")
