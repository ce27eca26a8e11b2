"""Background job of e-mail (huey; settings.HUEY): every minute each active mailbox is
polled. Safe on several workers at once: a message is recorded once (unique per mailbox and
Message-ID) and marked handled on the server only after that commit."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from complaintdesk.mail.services.incoming import mail_poll_all


# expires: a poll that waited more than two minutes in the queue is dropped; the next
# minute's poll finds the same messages.
@db_periodic_task(crontab(minute="*"), name="mail.poll", expires=120)
def mail_poll_every_minute():
    return {r.mailbox: dict(r.counts) for r in mail_poll_all()}
