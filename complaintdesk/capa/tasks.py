"""The periodic job of corrective actions (huey): every ten minutes, overdue actions are
escalated (services/overdue.py: row locks with SKIP LOCKED and a conditional update, so two
workers never escalate one action twice)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.capa.services.overdue import capa_overdue_round


@db_periodic_task(crontab(minute="*/10"), name="capa.overdue_round", expires=600)
def capa_overdue_every_ten_minutes():
    return capa_overdue_round()
