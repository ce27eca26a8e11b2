"""`complaintdesk sla_recompute`: compute again the deadlines flagged "calendar missing", after a
calendar year was entered outside the admin (the admin does it on save)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from complaintdesk.sla.services.recompute import clocks_recompute_missing


class Command(BaseCommand):
    help = "Recompute running deadlines that reached into a year without a working calendar."

    def handle(self, *args, **options):
        done = clocks_recompute_missing(at=timezone.now())
        self.stdout.write(
            f"tickets: {done.tickets}, clocks changed: {done.clocks_changed}, "
            f"tickets still without a calendar: {done.still_missing}"
        )
