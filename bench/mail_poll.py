"""Mail poll: how long one poll takes to turn N new e-mails into tickets, on PostgreSQL.

    .venv/bin/python bench/mail_poll.py [--messages 200] [--database-url postgres://…/complaintdesk_mail_bench]

Uses its own database (created and migrated on first use; a minimal organisation and one
category are added) and its own dovecot (tests/mailkit.py: unprivileged, free port, temporary
Maildir). The messages are real complaint texts (../shared/data/online_shopping_10_cats_negative.csv),
each with a mobile number; a third with a GBK body, a third as HTML, a third plain UTF-8; every
fourth with a small PNG attachment. They are appended to a fresh folder (not timed), then one
`mailbox_poll` is timed: wall time and this process's CPU time (parsing, the intake, the
acknowledgement; PostgreSQL's own CPU is not in it), and the load average around it.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid

from _common import REPO, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/complaintdesk_mail_bench"
DATA = REPO.parent / "shared" / "data" / "online_shopping_10_cats_negative.csv"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _create_db(url: str) -> None:
    import psycopg

    name = url.rstrip("/").rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')


def _organisation():
    from complaintdesk.org.models import OrgUnit
    from complaintdesk.taxonomy.models import Category

    unit = OrgUnit.objects.filter(code="bench-p").first() or OrgUnit.add_root(
        code="bench-p", name="江南省", name_en="Jiangnan", level="province")
    category = Category.objects.filter(code="bench-goods").first()
    if category is None:
        root = Category.add_root(kind="complaint", code="bench-shop", name="网购", name_en="Online shopping")
        category = root.add_child(kind="complaint", code="bench-goods", name="商品质量", name_en="Goods")
    return unit, category


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
        return True
    except UnicodeEncodeError:  # an emoji or the like: that message stays UTF-8
        return False


def _messages(n: int) -> list[bytes]:
    if not DATA.exists():
        raise SystemExit(f"{DATA} is missing: the bench reads real complaint texts from it")
    with DATA.open(encoding="utf-8-sig") as fh:
        texts = [row["review"].replace("\ufeff", "").strip() for row in csv.DictReader(fh) if len(row["review"].strip()) > 20][:n]
    out = []
    for i, text in enumerate(texts):
        msg = EmailMessage()
        msg["From"] = f"客户{i} <customer{i}@example.com>"
        msg["To"] = "complaints@desk.example.cn"
        msg["Subject"] = text[:30]
        msg["Message-ID"] = make_msgid(domain="example.com")
        body = f"{text}\n联系电话：139{i:08d}"
        if i % 3 == 0 and _gbk_ok(body):
            msg.set_content(body, charset="gbk")
        elif i % 3 == 1:
            msg.set_content(body)
            msg.add_alternative(f"<html><body><p>{body}</p><script>x()</script></body></html>", subtype="html")
        else:
            msg.set_content(body)
        if i % 4 == 0:
            msg.add_attachment(PNG, maintype="image", subtype="png", filename=f"照片{i}.png")
        out.append(msg.as_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    _create_db(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    sys.path.insert(0, str(REPO / "tests"))
    from mailkit import PASSWORD_ENV, dovecot_server

    from complaintdesk.mail.models import Mailbox
    from complaintdesk.mail.services.incoming import mailbox_poll

    unit, category = _organisation()
    raws = _messages(args.messages)
    with dovecot_server() as server:
        os.environ[PASSWORD_ENV] = server.password
        folder = server.new_folder()
        box = Mailbox.objects.create(
            name=f"bench-{folder}", host=server.host, port=server.port, security="none",
            username=server.user, password_env=PASSWORD_ENV, folder=folder,
            address="complaints@desk.example.cn", kind="complaint", category=category, org_unit=unit)
        conn = server.connect()
        for raw in raws:
            conn.append(folder, None, None, raw)
        conn.logout()
        load_before = os.getloadavg()
        wall, cpu = time.perf_counter(), time.process_time()
        result = mailbox_poll(mailbox=box, limit=len(raws))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        empty_wall = time.perf_counter()
        empty = mailbox_poll(mailbox=box)
        empty_wall = time.perf_counter() - empty_wall
    n = result.counts.get("registered", 0)
    report = {
        "messages": len(raws), "counts": dict(result.counts), "error": result.error,
        "wall_s": round(wall, 2), "messages_per_s": round(n / wall, 1) if wall else None,
        "wall_ms_per_message": round(1000 * wall / max(1, n), 1),
        "app_cpu_ms_per_message": round(1000 * cpu / max(1, n), 1),
        "empty_poll_ms": round(1000 * empty_wall, 1), "empty_poll_counts": dict(empty.counts),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
