"""Background jobs of the statistics (huey): every minute the roll-up is brought up to date
(the days of the tickets touched since the last run are counted again); every hour the
control thresholds are checked. Both idempotent: running twice, or on two workers, does no harm."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.stats.services.rollup import rollup_refresh
from complaintdesk.stats.services.thresholds import thresholds_check


@db_periodic_task(crontab(minute="*"), name="stats.rollup_refresh", expires=120)
def rollup_every_minute():
    return rollup_refresh().days


@db_periodic_task(crontab(minute="7"), name="stats.thresholds_check", expires=3000)
def thresholds_every_hour():
    return thresholds_check()
