"""Django's PostgreSQL backend, preparing only the statements whose plan does not depend on
their parameters' values.

With server-side binding a query has one text whatever its values, and psycopg prepares it
after its 5th run on a connection; PostgreSQL then keeps one plan per connection. That spares
the planning of the point reads and writes that every request makes (the ticket read-back:
8 tables, 23 indexes on the ticket table, 4 ms to plan, 0.13 ms to run). But a plan made
without the values is blind where the values decide the plan: a subtree filter
`path LIKE $1` (a prefix of an org unit or a category) or a full-text match cannot use its
index range or statistics, and PostgreSQL's estimate for them is a default guess, so a
generic plan can look cheap and run slowly: a centre supervisor's open-ticket list used twice
the PostgreSQL CPU prepared. Those statements are left unprepared (planned with their values
on every run, as before).
"""

from django.db.backends.postgresql import base

# Statements planned with their values every time: a prefix or pattern match, full-text search.
VALUE_DEPENDENT = (" LIKE ", " ILIKE ", "@@")


def plan_depends_on_values(query) -> bool:
    return not isinstance(query, str) or any(marker in query for marker in VALUE_DEPENDENT)


class SelectivelyPreparedCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and plan_depends_on_values(query):
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = SelectivelyPreparedCursor
        return params
