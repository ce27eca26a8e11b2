"""complaintdesk backup [--output FILE]: the database, the attachments and the tracking-code
key in one file (services/archive.py), consistent while the app runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from complaintdesk.backups.services.archive import BackupRefused, backup_create, backup_default_name
from complaintdesk.backups.services.databases import DatabaseToolError


class Command(BaseCommand):
    help = "Back up the database, the attachments and the key of the portal's tracking codes into one file."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, default=None,
                            help="The backup file to write (default: <data dir>/backups/complaintdesk-<time>.tar.gz).")

    def handle(self, *args, output=None, **options):
        try:
            report = backup_create(output=output or backup_default_name())
        except (BackupRefused, DatabaseToolError, OSError) as exc:
            raise CommandError(str(exc)) from None
        m = report.manifest
        size = report.path.stat().st_size
        self.stdout.write(f"backup written: {report.path} ({size / 1e6:.1f} MB)")
        self.stdout.write(f"  database: {m['database']['vendor']} {m['database']['server_version']} "
                          f"({m['database']['tool']}); attachments: {m['attachments']['files']} files "
                          f"for {m['attachments']['rows']} rows; secret: {m['secret']['source']}")
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        if report.missing:
            self.stderr.write(f"  warning: {len(report.missing)} attachment(s) had no file in storage and are not "
                              f"in the backup, e.g. #{report.missing[0]['id']} {report.missing[0]['name']!r} "
                              f"of ticket {report.missing[0]['ticket_id']} (listed in the manifest)")
