"""Backup and restore (issue 13 §6): what a restore may leave missing is answered, never a 500."""

import os

from django.urls import reverse

from complaintdesk.tickets.models import Attachment
from complaintdesk.tickets.services.attachments import attachment_add

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_missing_attachment_file_is_a_404_with_the_reason(org, make_ticket, api, client):
    ticket = make_ticket()
    agent = org["users"]["intake_agent"]
    attachment = attachment_add(ticket_id=ticket.pk, actor=agent, name="账单.png", data=PNG)
    os.remove(attachment.file.path)  # as after a restore without the attachment folder
    r = api(agent).get(f"/attachments/{attachment.pk}")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "attachment_file_missing" and "账单.png" in error["message"]
    assert "restore it from a backup" in error["message"]
    client.force_login(agent)
    r = client.get(reverse("workbench:ticket_attachment", args=[ticket.pk, attachment.pk]),
                   HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 404
    page = r.content.decode()
    assert "附件存储中缺少“账单.png”的文件" in page and ticket.number in page
    # Another ticket's address for it: plain not found, the name not disclosed.
    other = make_ticket()
    r = client.get(reverse("workbench:ticket_attachment", args=[other.pk, attachment.pk]))
    assert r.status_code == 404 and "账单.png" not in r.content.decode()
    assert Attachment.objects.count() == 1
