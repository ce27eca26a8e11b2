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


# -- the round trip ----------------------------------------------------------------------------

import io  # noqa: E402
import json  # noqa: E402
import tarfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402

from complaintdesk.portal.models import PortalTicket  # noqa: E402
from complaintdesk.tickets.models import Ticket  # noqa: E402
from tests.test_portal import PHONE, file_ticket, lookup  # noqa: E402


@pytest.fixture
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def _rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of the backup with `change(name, bytes) -> bytes` applied to its members."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as out:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def _wipe(media: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(org, make_ticket, api, client, data_dir, capsys):
    agent = org["users"]["intake_agent"]
    ticket = make_ticket()
    bill = attachment_add(ticket_id=ticket.pk, actor=agent, name="账单.png", data=PNG)
    lost = attachment_add(ticket_id=ticket.pk, actor=agent, name="录音.txt", data="通话记录".encode())
    os.remove(lost.file.path)  # already missing when the backup is made
    filed, code = file_ticket(client)
    archive = data_dir / "out" / "backup.tar.gz"

    call_command("backup", output=archive)
    err = capsys.readouterr().err
    assert "1 attachment(s) had no file" in err and "录音.txt" in err
    assert archive.stat().st_mode & 0o077 == 0  # personal data: the owner only
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
    assert manifest["database"]["vendor"] in ("sqlite", "postgresql")
    assert manifest["migrations"]["tickets"][0] == "0001_initial"
    assert manifest["secret"]["source"] == "environment" and "secret_key" not in names
    assert [m["id"] for m in manifest["attachments"]["missing"]] == [lost.pk]
    assert f"media/{bill.file.name}" in names and manifest["files"][f"media/{bill.file.name}"]["size"] == len(PNG)

    _wipe(Path(data_dir / "media"))
    assert Ticket.objects.count() == 0 and not (data_dir / "media" / bill.file.name).exists()

    call_command("restore", archive)
    assert "录音.txt" in capsys.readouterr().err
    restored = Ticket.objects.get(pk=ticket.pk)
    assert restored.number == ticket.number and Ticket.objects.count() == 2
    # The attachment's bytes, through the API.
    r = api(agent).get(f"/attachments/{bill.pk}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    # The one missing before the backup: 404 with the reason, not 500.
    r = api(agent).get(f"/attachments/{lost.pk}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "attachment_file_missing"
    # The customer's tracking code and phone still find the case (same key).
    assert PortalTicket.objects.get().ticket_id == filed.pk
    assert lookup(client, code, PHONE).status_code == 302
    assert lookup(client, code, "13900139001").status_code == 404

    # A second restore into what is now a full database: refused unless --force.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", archive)
    call_command("restore", archive, force=True)
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_damaged_newer_or_foreign_backups(org, make_ticket, data_dir, monkeypatch):
    ticket = make_ticket()
    attachment_add(ticket_id=ticket.pk, actor=org["users"]["intake_agent"], name="a.png", data=PNG)
    archive = data_dir / "backup.tar.gz"
    call_command("backup", output=archive)
    _wipe(data_dir / "media")

    def refused(path, match, **options):
        with pytest.raises(CommandError, match=match):
            call_command("restore", path, **options)
        assert Ticket.objects.count() == 0  # nothing was changed

    damaged = _rewrite(archive, data_dir / "damaged.tar.gz",
                       lambda name, data: data[:-1] + b"!" if name.startswith("media/") else data)
    refused(damaged, "checksum does not match")

    def newer(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"]["tickets"].append("9999_from_the_future")
        return json.dumps(manifest).encode()

    refused(_rewrite(archive, data_dir / "newer.tar.gz", newer), "newer version")
    (data_dir / "junk.tar.gz").write_bytes(b"not a backup")
    refused(data_dir / "junk.tar.gz", "not a readable backup")
    # Another SECRET_KEY: the tracking codes would not verify.
    monkeypatch.setenv("SECRET_KEY", "another key")
    refused(archive, "tracking codes would no longer verify")
    monkeypatch.setenv("SECRET_KEY", "x")


@pytest.mark.django_db(transaction=True)
def test_a_key_kept_in_the_data_dir_travels_with_the_backup(org, data_dir, monkeypatch, settings):
    """The demo's key (no SECRET_KEY in the environment) is in the backup and comes back."""
    monkeypatch.delenv("SECRET_KEY")
    (data_dir / "secret_key").write_text("the-demo-key")
    settings.SECRET_KEY = "the-demo-key"
    archive = data_dir / "backup.tar.gz"
    call_command("backup", output=archive)
    with tarfile.open(archive) as tar:
        assert tar.extractfile("secret_key").read() == b"the-demo-key"
        assert json.loads(tar.extractfile("manifest.json").read())["secret"]["source"] == "data_dir"
    # A new machine made its own key on first start: the restore puts the old one back.
    (data_dir / "secret_key").write_text("a-fresh-key")
    settings.SECRET_KEY = "a-fresh-key"
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", archive)
    assert (data_dir / "secret_key").read_text() == "the-demo-key"
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.django_db(transaction=True)
def test_an_older_backup_is_migrated_forward(org, make_ticket, data_dir):
    """A backup made before a migration this code has: restored, then migrated."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from complaintdesk.workbench.models import SavedFilter

    ticket = make_ticket()
    call_command("migrate", "workbench", "zero", verbosity=0)  # as if made before workbench 0001
    archive = data_dir / "older.tar.gz"
    try:
        call_command("backup", output=archive)
        with tarfile.open(archive) as tar:
            assert "workbench" not in json.loads(tar.extractfile("manifest.json").read())["migrations"]
    finally:
        call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", archive)
    assert Ticket.objects.get().number == ticket.number
    assert ("workbench", "0001_initial") in MigrationRecorder(connection).applied_migrations()
    assert SavedFilter.objects.count() == 0  # its table exists again
