"""`complaintdesk search_reindex`: segment every ticket again and rebuild the search index.

Needed after the user dictionary changed (texts keep the words they were cut into) or after
an upgrade that brought the search to existing tickets. Goes through the tickets in id
order, a batch per transaction; stopped (Ctrl-C, a crash), it resumes where the last batch
ended the next time it is started (`--restart` begins again from the first ticket).
"""

import sys
import time

from django.core.management.base import BaseCommand

from complaintdesk.search import segment
from complaintdesk.search.services.dictionary import dictionary_seed
from complaintdesk.search.services.index import (
    REINDEX_BATCH,
    reindex_batch,
    reindex_remaining,
    reindex_run_start,
)


def _bar(done: int, total: int, started: float, width: int = 30) -> str:
    share = min(1.0, done / total) if total else 1.0
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    filled = int(share * width)
    return (f"\r[{'#' * filled}{'.' * (width - filled)}] {share:6.1%} {done}/{total} "
            f"{rate:,.0f}/s, {eta:,.0f} s left ")


class Command(BaseCommand):
    help = "Rebuild the full-text search index (resumable; progress on stderr)."

    def add_arguments(self, parser):
        parser.add_argument("--restart", action="store_true",
                            help="start again from the first ticket instead of resuming")
        parser.add_argument("--batch", type=int, default=REINDEX_BATCH, help="tickets per transaction")
        parser.add_argument("--no-seed", action="store_true",
                            help="do not add the category names and element labels to the user dictionary first")

    def handle(self, *args, restart=False, batch=REINDEX_BATCH, no_seed=False, **options):
        if batch < 1 or batch > 10_000:
            self.stderr.write("--batch: give a number from 1 to 10000.")
            sys.exit(2)
        if not no_seed:
            added = dictionary_seed()
            if added:
                self.stdout.write(f"user dictionary: {added} words added from the category tree")
        segment.user_words_changed()
        segment.warm()
        run = reindex_run_start(resume=not restart)
        if run.last_ticket_id:
            self.stdout.write(f"resuming after ticket id {run.last_ticket_id} ({run.done} done)")
        total = run.done + reindex_remaining(run=run)
        started, shown = time.monotonic(), 0.0
        tty = self.stderr.isatty()
        while True:
            n = reindex_batch(run=run, batch=batch)
            now = time.monotonic()
            if n == 0 or tty or now - shown >= 5:
                self.stderr.write(_bar(run.done, total, started), ending="" if tty else "\n")
                self.stderr.flush()
                shown = now
            if n == 0:
                break
        self.stderr.write("")
        self.stdout.write(f"search index rebuilt: {run.done} tickets in {time.monotonic() - started:.1f} s")
