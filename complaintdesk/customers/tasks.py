"""The segment callbacks (002) as a periodic job (huey, as sla/tasks.py): every hour the
callbacks due in the coming week are generated. Idempotent (one task per customer and
due date, a unique key): a second run, or a second worker, creates nothing twice."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.customers.services.callbacks import callback_tasks_generate


# Hourly at :05 rather than once a day: a worker that was down at 06:00 catches up within the
# hour, and the unique key makes the repeats free of effect.
@db_periodic_task(crontab(minute="5"), name="customers.segment_callbacks", expires=3600)
def segment_callbacks_every_hour():
    return callback_tasks_generate(today=timezone.localdate())
