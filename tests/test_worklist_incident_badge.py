"""Issue 9 §3 in the worklists: a ticket that belongs to an incident carries the incident
badge in every list row, and the list's query count does not change with the number of
incident members on the page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaintdesk.incidents.services.incidents import incident_add_member, incident_create

OUTAGE = dict(title="甲市城区4G信号中断", description="甲市城区4G信号中断，无法上网，已持续两小时。",
              category="network-weak", elements={})


def _get(client, path):
    with CaptureQueriesContext(connection) as q:
        r = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    return r.content.decode(), len(q)


@pytest.mark.django_db
def test_incident_badge_in_worklist_rows_with_a_fixed_query_count(org, client, make_ticket):
    dispatcher = org["users"]["dispatcher"]
    lead = make_ticket(**OUTAGE, phone="13900000001")
    others = [make_ticket(**OUTAGE, phone=f"1390000001{i}") for i in range(3)]
    lonely = make_ticket(phone="13900000099")
    client.force_login(dispatcher)
    _get(client, "/work/all/")  # warm the per-process caches
    html, before = _get(client, "/work/all/")
    assert 'data-flag="incident"' not in html

    incident = incident_create(actor=dispatcher, lead_ticket_id=lead.pk, title="甲市4G中断")
    for ticket in others:
        incident_add_member(actor=dispatcher, incident_id=incident.pk, ticket_id=ticket.pk)
    html, after = _get(client, "/work/all/")
    assert after == before, (before, after)
    rows = re.findall(r'<tr[^>]*>.*?</tr>', html, flags=re.S)
    badged = {n for n in (lead.number, lonely.number, *(t.number for t in others))
              if any(n in row and 'data-flag="incident"' in row for row in rows)}
    assert badged == {lead.number, *(t.number for t in others)}
    assert html.count('data-flag="incident"') == 4
