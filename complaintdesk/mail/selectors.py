"""What the admin shows of the mailboxes: per mailbox, its messages counted by outcome."""

from django.db.models import Count, Q, QuerySet

from complaintdesk.mail.models import Mailbox
from complaintdesk.mail.vocabulary import IncomingStatus


def mailboxes_with_counts() -> QuerySet:
    """Every mailbox with the number of its messages per outcome: one query (grouped)."""
    counts = {f"n_{s.value}": Count("incoming", filter=Q(incoming__status=s)) for s in IncomingStatus}
    return Mailbox.objects.select_related("category", "org_unit").annotate(**counts)
