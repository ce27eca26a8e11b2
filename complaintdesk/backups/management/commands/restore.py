"""complaintdesk restore FILE [--force] [--accept-other-secret]: put a backup back
(services/archive.py). Refuses, changing nothing, a damaged or foreign file, a newer schema
and a non-empty database (unless --force)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from complaintdesk.backups.services.archive import BackupRefused, backup_restore
from complaintdesk.backups.services.databases import DatabaseToolError


class Command(BaseCommand):
    help = "Restore a backup made by `complaintdesk backup` into the configured database and data dir."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The backup file.")
        parser.add_argument("--force", action="store_true",
                            help="Restore into a database that already holds data (all of it is replaced).")
        parser.add_argument("--accept-other-secret", action="store_true",
                            help="Restore although SECRET_KEY differs from the backup's: tracking codes stop verifying.")

    def handle(self, *args, archive, force=False, accept_other_secret=False, **options):
        try:
            report = backup_restore(archive=archive, force=force, other_secret=accept_other_secret)
        except (BackupRefused, DatabaseToolError, OSError) as exc:
            raise CommandError(str(exc)) from None
        m = report.manifest
        self.stdout.write(f"restored: {report.path} (made {m['created_at']} by complaintdesk "
                          f"{m['versions']['complaintdesk']}; {m['attachments']['files']} attachment files)")
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        if report.missing:
            self.stderr.write(f"  warning: {len(report.missing)} attachment(s) have no file, e.g. "
                              f"#{report.missing[0]['id']} {report.missing[0]['name']!r}: their download "
                              "answers 404 saying the file is missing")
