"""The daily anchor of the ticket events' hash chains (audit/services.py), run by the worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.audit.services import chain_anchor_due


@db_periodic_task(crontab(minute="15", hour="0"), name="audit.chain_anchor")
def chain_anchor_daily():
    return chain_anchor_due()
