"""Count the whole roll-up again (first use on existing data, or after the counting rules
changed). The minute job keeps it up to date afterwards."""

import time

from django.core.management.base import BaseCommand

from complaintdesk.stats.services.rollup import rollup_rebuild, rollup_refresh


class Command(BaseCommand):
    help = "Rebuild the statistics roll-up from the tickets (or --refresh: only the days touched)."

    def add_arguments(self, parser):
        parser.add_argument("--refresh", action="store_true", help="only the days touched since the last run")

    def handle(self, *args, refresh=False, **options):
        t0 = time.perf_counter()
        result = rollup_refresh() if refresh else rollup_rebuild()
        self.stdout.write(f"{result.days} days, {result.rows} rows, {time.perf_counter() - t0:.1f} s")
