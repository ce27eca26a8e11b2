"""The reports' periodic job (huey): every hour, generate the drafts of the periods that
ended and remind owners two working days before the due date (idempotent: see
services/reminders.py)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.monthly.services.reminders import report_reminders_run


@db_periodic_task(crontab(minute="17"), name="monthly.report_reminders", expires=3600)
def report_reminders_hourly():
    return report_reminders_run()
