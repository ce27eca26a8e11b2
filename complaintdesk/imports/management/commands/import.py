"""`complaintdesk import FILE [--mapping NAME] [--dry-run] [--encoding X] [--stop-on-error]`

Imports a sheet as the given staff account (`--user`, a dispatcher, supervisor or
administrator): the dry run first (its report: would create / skip / fail, and every invalid
row with its reasons), then, without --dry-run, the import of the valid rows (or nothing at
all with --stop-on-error if any row is invalid). Runs in this process, not on the worker;
a progress bar on a terminal, plain lines otherwise. Stopped (Ctrl-C, a kill), the same batch
continues where it stopped with `--resume BATCH_ID`.

Exit status: 0 done, 1 rows failed or the file was refused, 2 wrong usage."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from complaintdesk.accounts.models import User
from complaintdesk.core.errors import DomainError
from complaintdesk.imports.models import ImportBatch
from complaintdesk.imports.selectors import batch_report_rows
from complaintdesk.imports.services import batches as svc
from complaintdesk.imports.vocabulary import BatchState, OnError


class Command(BaseCommand):
    help = "Import tickets from an xlsx or csv file (dry run first)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument("--mapping", default="", help="mapping name (default: the one the header matches)")
        parser.add_argument("--encoding", default="", help="csv encoding: utf-8, utf-8-sig, gbk, gb18030, big5")
        parser.add_argument("--dry-run", action="store_true", help="only check and report; create nothing")
        parser.add_argument("--stop-on-error", action="store_true", help="import nothing if any row is invalid")
        parser.add_argument("--user", default="", help="the staff account the tickets are registered by")
        parser.add_argument("--default", action="append", default=[], metavar="FIELD=VALUE",
                            help="a value for rows that have none, e.g. --default category=billing-overcharge "
                                 "--default source_tier=12345")
        parser.add_argument("--register-incomplete", action="store_true",
                            help="register rows that miss required elements, flagged for review")
        parser.add_argument("--resume", type=int, default=0, metavar="BATCH_ID", help="continue a stopped batch")
        parser.add_argument("--lang", default="", help="language of the report (zh-hans, en)")

    def handle(self, *args, **o):
        with translation.override(o["lang"] or translation.get_language()):
            return self._handle(o)

    def _handle(self, o):
        user = self._user(o["user"])
        self.tty = self.stderr.isatty()
        self.started = time.monotonic()
        self.last_shown = 0.0
        try:
            if o["resume"]:
                batch = ImportBatch.objects.filter(pk=o["resume"]).first()
                if batch is None:
                    raise CommandError(f"no batch {o['resume']}")
                # A stopped run's lease may still be held: take it over now (this process is the one running it).
                ImportBatch.objects.filter(pk=batch.pk).update(lease_until=None)
            else:
                if not o["file"]:
                    raise CommandError("name the FILE to import")
                defaults = {}
                for item in o["default"]:
                    key, sep, value = item.partition("=")
                    if not sep:
                        raise CommandError(f"--default {item}: write FIELD=VALUE")
                    defaults[key.strip()] = value.strip()
                try:
                    with open(o["file"], "rb") as f:
                        batch = svc.batch_create(actor=user, upload=f, mapping=o["mapping"], encoding=o["encoding"],
                                                 defaults=defaults, language=translation.get_language(),
                                                 register_incomplete=True if o["register_incomplete"] else None,
                                                 queue=False)
                except FileNotFoundError:
                    raise CommandError(f"{o['file']}: no such file") from None
                self.stdout.write(f"batch {batch.pk}: {batch.file_name}, mapping {batch.mapping_name}, "
                                  f"{batch.file_kind}{' ' + batch.encoding if batch.encoding else ''}"
                                  f"{' (detected)' if batch.encoding_detected else ''}")
            batch = self._run(batch)
            if batch.state == BatchState.UNREADABLE:
                self._done_line()
                self.stderr.write(f"the file was refused: {batch.problem.get('message')}")
                sys.exit(1)
            if batch.state == BatchState.CHECKED:
                self._dry_report(batch)
                if o["dry_run"]:
                    sys.exit(1 if batch.dry_failed else 0)
                mode = OnError.STOP if o["stop_on_error"] else OnError.SKIP
                batch = svc.batch_start(actor=user, batch_id=batch.pk, on_error=mode, queue=False)
                batch = self._run(batch)
            self._final(batch)
        except DomainError as exc:
            self._done_line()
            self.stderr.write(f"refused: {exc.message}")
            for f in exc.fields:
                self.stderr.write(f"  {f.field}: {f.reason}")
            sys.exit(1)

    def _user(self, username):
        users = User.objects.filter(is_active=True)
        user = users.filter(username=username).first() if username else \
            users.filter(role="admin").order_by("id").first()
        if user is None:
            raise CommandError("name the staff account with --user (a dispatcher, supervisor or administrator)")
        return user

    def _run(self, batch):
        result = svc.batch_run(batch.pk, progress=self._progress)
        self._done_line()
        if result is None:
            raise CommandError(f"batch {batch.pk} is being processed by a worker; try again later")
        return result

    def _progress(self, batch):
        b = ImportBatch.objects.get(pk=batch.pk)
        now = time.monotonic()
        if b.state == BatchState.CHECKING:
            done, total, what = b.dry_created + b.dry_skipped + b.dry_differs + b.dry_failed, 0, "checked"
        else:
            done, total, what = b.processed_rows, b.total_rows, "imported"
        rate = done / max(now - self.started, 1e-6)
        if self.tty:
            if total:
                share = min(1.0, done / total)
                filled = int(share * 30)
                self.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:6.1%} {done}/{total} rows "
                                  f"{what}, {rate:,.0f}/s ", ending="")
            else:
                self.stderr.write(f"\r{done} rows {what}, {rate:,.0f}/s ", ending="")
            self.stderr.flush()
        elif now - self.last_shown >= 5 or (total and done >= total):
            self.stderr.write(f"{done}{'/' + str(total) if total else ''} rows {what}")
            self.last_shown = now

    def _done_line(self):
        if self.tty:
            self.stderr.write("")

    def _dry_report(self, batch):
        self.stdout.write(f"dry run: {batch.total_rows} rows: would create {batch.dry_created}, "
                          f"skip {batch.dry_skipped} (already imported), differ {batch.dry_differs}, "
                          f"fail {batch.dry_failed}")
        self._rows(batch, dry_run=True)

    def _rows(self, batch, *, dry_run):
        after = 0
        while True:
            rows = batch_report_rows(batch=batch, dry_run=dry_run, after=after, limit=500)
            for r in rows:
                for reason in r.reasons or [{"field": "", "reason": r.get_outcome_display()}]:
                    column = reason.get("column") or reason.get("field") or ""
                    self.stdout.write(f"  row {r.row_number} [{r.outcome}{', incomplete' if r.incomplete else ''}]"
                                      f"{' ' + column + ':' if column else ''} {reason.get('reason')}")
            if len(rows) < 500:
                break
            after = rows[-1].row_number

    def _final(self, batch):
        if batch.state == BatchState.STOPPED:
            self.stderr.write(f"stopped: {batch.problem.get('message')}")
            for f in batch.problem.get("fields", []):
                self.stderr.write(f"  {f.get('column') or f.get('field')}: {f.get('reason')}")
        self.stdout.write(f"import {batch.get_state_display()}: created {batch.created_count}, "
                          f"skipped {batch.skipped_count}, differ {batch.differs_count}, failed {batch.failed_count}")
        if batch.failed_count or batch.differs_count:
            self._rows(batch, dry_run=False)
        sys.exit(0 if batch.state == BatchState.DONE and not batch.failed_count else 1)
