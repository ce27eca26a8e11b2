"""Small query helpers shared by the selectors and services."""

from django.db.models import QuerySet


def unique_or_none(queryset: QuerySet):
    """The one row a filter on a unique key matches, or None.

    Not `.first()`: that adds ORDER BY pk, and with a wide select_related Django compares the
    ordering with every selected column while compiling (≈1 ms of CPU per call on the ticket
    read-back, for an order that a unique key makes meaningless). A slice gives LIMIT 1 alone.
    """
    return next(iter(queryset[:1]), None)
