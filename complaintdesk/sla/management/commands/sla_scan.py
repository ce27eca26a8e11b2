"""`complaintdesk sla_scan --once`: one deadline round now (the scan, then the outbox), for
cron, scripts and the tests; without --once, a round every --interval seconds until stopped
(a worker without the task queue)."""

import datetime as dt
import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from complaintdesk.sla.services.scan import DEFAULT_BATCH, deadlines_round


class Command(BaseCommand):
    help = "Run the deadline scan (warnings, breaches, escalations) and send due messages."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=60.0,
                            help="seconds between rounds without --once (default 60)")
        parser.add_argument("--now", default="",
                            help="scan as of this ISO 8601 time instead of the current time")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                            help=f"clocks per transaction (default {DEFAULT_BATCH})")
        parser.add_argument("--no-outbox", action="store_true",
                            help="only scan; leave sending the messages to the workers")
        parser.add_argument("--json", action="store_true", help="print each round as a JSON line")

    def handle(self, *args, once, interval, now, batch, no_outbox, json: bool, **options):
        fixed = self._parse_now(now)
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        while True:
            at = fixed or timezone.now()
            started = time.perf_counter()
            done = deadlines_round(at, batch=batch, outbox=not no_outbox)
            done["seconds"] = round(time.perf_counter() - started, 3)
            self._report(at, done, as_json=json)
            if once:
                return
            time.sleep(max(0.0, interval - done["seconds"]))

    def _parse_now(self, text: str) -> dt.datetime | None:
        if not text:
            return None
        try:
            value = parse_datetime(text)
        except ValueError:
            value = None
        if value is None:
            raise CommandError(f"--now: not an ISO 8601 date and time: {text!r}")
        return value if timezone.is_aware(value) else timezone.make_aware(value)

    def _report(self, at, done: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({"now": at.isoformat(), **done}))
            return
        self.stdout.write(
            f"{at.isoformat()}: warned {done['warned']}, breached {done['breached']}, "
            f"escalated {done['escalated']}"
            + f", messages attempted {done['messages_attempted']}"
            + f" ({done['seconds']} s)"
        )
