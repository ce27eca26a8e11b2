"""`complaintdesk mail_poll [--mailbox NAME]`: poll the active mailboxes once now (for cron,
scripts and the tests; the workers poll every minute) and print what each message became."""

import json

from django.core.management.base import BaseCommand, CommandError

from complaintdesk.mail.models import Mailbox
from complaintdesk.mail.services.incoming import mailbox_poll


class Command(BaseCommand):
    help = "Poll the active mailboxes once: new messages become tickets or customer messages."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", action="append", default=[], help="only this mailbox (by name); repeatable")
        parser.add_argument("--json", action="store_true", help="one JSON line per mailbox")

    def handle(self, *args, mailbox, json: bool, **options):
        boxes = Mailbox.objects.filter(active=True).order_by("pk")
        if mailbox:
            boxes = Mailbox.objects.filter(name__in=mailbox).order_by("pk")
            missing = sorted(set(mailbox) - set(boxes.values_list("name", flat=True)))
            if missing:
                raise CommandError(f"no mailbox named {', '.join(missing)}")
        failed = False
        for box in boxes:
            result = mailbox_poll(mailbox=box)
            failed = failed or bool(result.error)
            if json:
                self.stdout.write(_json({"mailbox": box.name, "counts": dict(result.counts), "error": result.error}))
            else:
                counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "nothing new"
                self.stdout.write(f"{box.name}: {counts}" + (f"; error: {result.error}" if result.error else ""))
        if failed:
            raise CommandError("a mailbox could not be polled (see above)")


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
