"""Customer segments and the callbacks they are due (002: new customers twice in their
first month, regular customers monthly, customers near contract end before expiry).

Pure: dates in, segment and due dates out; the periodic job (customers/tasks.py) and the
customer page use the same rules.
"""

import calendar
import datetime as dt

NEW_FOR_DAYS = 31  # "their first month"
NEW_CALLS_AFTER_DAYS = (7, 21)  # the two calls of the first month
NEAR_END_DAYS = 30  # a contract ending within this many days is "near contract end"
CONTRACT_END_CALL_DAYS_BEFORE = 14  # the call before expiry

NEW, REGULAR, VIP, NEAR_CONTRACT_END, UNKNOWN = "new", "regular", "vip", "near_contract_end", "unknown"


def segment_on(*, today: dt.date, since: dt.date | None, contract_end: dt.date | None, recorded: str) -> str:
    """The segment on `today`: near contract end wins (the call is about to be late), then a
    new customer (first month), then the recorded segment (VIP is set by hand), else regular
    once the start is known."""
    if contract_end is not None and today <= contract_end <= today + dt.timedelta(days=NEAR_END_DAYS):
        return NEAR_CONTRACT_END
    if since is not None and dt.timedelta(0) <= today - since < dt.timedelta(days=NEW_FOR_DAYS):
        return NEW
    if since is not None and since > today:
        return recorded or UNKNOWN
    if recorded in (VIP, REGULAR):
        return recorded
    if since is not None:
        return REGULAR
    return recorded or UNKNOWN


def _monthly(day_of_month: int, year: int, month: int) -> dt.date:
    return dt.date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def callbacks_due(*, start: dt.date, end: dt.date, since: dt.date | None, contract_end: dt.date | None,
                  recorded: str) -> list[tuple[dt.date, str]]:
    """(due date, reason) of every segment callback falling in [start, end], oldest first; at
    most one per date (the earliest reason wins: the first-month calls, then contract end)."""
    due: dict[dt.date, str] = {}

    def add(day: dt.date, reason: str):
        if start <= day <= end and day not in due:
            due[day] = reason

    if since is not None:
        for n, days in enumerate(NEW_CALLS_AFTER_DAYS):
            add(since + dt.timedelta(days=days), "new_first" if n == 0 else "new_second")
    if contract_end is not None:
        add(contract_end - dt.timedelta(days=CONTRACT_END_CALL_DAYS_BEFORE), "contract_end")
    # Monthly calls for a regular (or VIP) customer: on the day of the month they started
    # (the 1st when unknown), from their second month on.
    regular_from = (since + dt.timedelta(days=NEW_FOR_DAYS)) if since is not None else None
    is_regular = recorded in (REGULAR, VIP) or since is not None
    if is_regular:
        day_of_month = since.day if since is not None else 1
        year, month = start.year, start.month
        while True:
            day = _monthly(day_of_month, year, month)
            if day > end:
                break
            ended = contract_end is not None and day > contract_end
            if (regular_from is None or day >= regular_from) and not ended:
                add(day, "monthly")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(due.items())
