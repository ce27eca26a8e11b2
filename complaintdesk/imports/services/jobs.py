"""The import job on the task queue (huey, settings.HUEY). Here, under services, so that the
upload and start services can queue it when their transaction commits; `imports/tasks.py`
imports it for the worker and adds the periodic resume."""

from huey.contrib.djhuey import db_task

from complaintdesk.imports.services.batches import batch_run


# retries: a job that raised (a database hiccup) runs again; the lease and `last_row` make a
# second run continue where the first stopped.
@db_task(name="imports.run", retries=3, retry_delay=10)
def import_job(batch_id: int):
    batch_run(batch_id)
