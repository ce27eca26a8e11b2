"""Background jobs of deadlines (huey; settings.HUEY): every minute the deadline scan and the
outbox it fills. Run by `complaintdesk worker` (production) or by the consumer that
`complaintdesk demo` starts. The job takes only the time, reads everything else afresh and is
idempotent: two consumers each running it in the same minute (several workers) do no harm,
as the scan and the outbox skip the rows another worker holds."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.sla.services.scan import deadlines_round


# expires: a round that waited more than two minutes in the queue (workers busy or down) is
# dropped; the next minute's round does the same work with a fresher `now`.
@db_periodic_task(crontab(minute="*"), name="sla.deadlines_round", expires=120)
def deadlines_every_minute():
    return deadlines_round()
