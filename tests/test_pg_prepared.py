"""PostgreSQL prepared statements (complaintdesk/core/postgresql/base.py): point reads are
prepared after their 5th run on a connection; subtree (LIKE) and full-text statements never
are, because a plan made without their values cannot use their index range."""

import pytest
from django.db import connection

from complaintdesk.core.postgresql.base import plan_depends_on_values
from complaintdesk.org.models import OrgUnit
from complaintdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_which_statements_are_left_unprepared():
    assert plan_depends_on_values('SELECT 1 FROM t WHERE "path"::text LIKE $1')
    assert plan_depends_on_values("SELECT 1 FROM d WHERE d.body @@ to_tsquery($1)")
    assert not plan_depends_on_values('SELECT 1 FROM t WHERE "id" = $1 LIMIT 21')


def _prepared() -> list[str]:
    with connection.cursor() as c:
        c.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in c.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_point_reads_are_prepared_and_subtree_reads_are_not(org):
    province = OrgUnit.objects.get(code="p")
    for _ in range(6):
        list(Ticket.objects.filter(pk=123456789))
        list(OrgUnit.objects.filter(path__startswith=province.path).exclude(pk=province.pk))
    statements = _prepared()
    assert any('FROM "tickets_ticket"' in s and '"tickets_ticket"."id" = $1' in s for s in statements)
    assert not any(" LIKE " in s for s in statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_prepared_reads_see_their_new_values(org):
    """A prepared statement is a plan, not a cached answer: each run binds its own values."""
    units = list(OrgUnit.objects.order_by("pk"))
    for _ in range(3):
        for unit in units:
            assert OrgUnit.objects.get(pk=unit.pk).code == unit.code
