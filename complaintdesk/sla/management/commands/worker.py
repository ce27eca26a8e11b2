"""`complaintdesk worker`: the background worker (huey's consumer) with this project's
defaults: 2 worker threads, periodic jobs on (the deadline scan every minute). Every option
of huey's `run_huey` is accepted (`complaintdesk worker --help`), e.g. `-w 4`, or
`--no-periodic` on extra workers when one scheduler is enough.

Where the queue lives follows TASK_QUEUE_URL (see settings): a SQLite file in the data dir
when unset (one machine), Redis or PostgreSQL for workers on several machines. Several
workers are safe: the scan and the outbox skip the rows another worker holds.
"""

from django.conf import settings
from django.core.management.base import CommandError
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = "Run the background worker: the deadline scan every minute, the outbox, queued jobs."

    def handle(self, *args, **options):
        if settings.HUEY.get("immediate"):
            raise CommandError(
                "Tasks run in the calling process here (TASK_QUEUE_URL=immediate, or under "
                "pytest): there is no queue for a worker to consume."
            )
        consumer = settings.HUEY.get("consumer", {})
        for key in ("workers", "worker_type"):
            if options.get(key) is None:
                options[key] = consumer.get(key)
        queue = settings.HUEY.get("huey_class", "").rsplit(".", 1)[-1]
        where = settings.HUEY.get("filename") or _redacted(settings.TASK_QUEUE_URL)
        self.stdout.write(f"complaintdesk worker: {options['workers']} {options['worker_type']} "
                          f"worker(s), queue {queue} ({where})")
        self.stdout.flush()
        super().handle(*args, **options)


def _redacted(url: str) -> str:
    # Never print a password from the queue URL.
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
