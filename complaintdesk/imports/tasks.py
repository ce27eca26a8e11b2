"""Background jobs of file imports: the job itself (services/jobs.py, imported here so the
worker knows it) and, every minute, the resume of batches whose worker died: their lease has
expired, so the next job takes them over after their last committed chunk."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.imports.services.batches import batches_resume_stalled
from complaintdesk.imports.services.jobs import import_job  # noqa: F401 - registers the job with the worker


@db_periodic_task(crontab(minute="*"), name="imports.resume_stalled", expires=120)
def resume_stalled_imports():
    return batches_resume_stalled()
