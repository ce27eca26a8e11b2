"""File import (issue 10 §1): N rows of real complaint text, dry run then import, PostgreSQL.

    .venv/bin/python bench/import_rows.py --create-db --rows 100000

Builds a regulator transfer sheet (csv, UTF-8, the built-in mapping's headers) from the real
complaints in ../shared/data (read from there, never copied into the repo): the online-shopping
reviews and the car complaints, cycled with unique transfer ids and valid mainland mobile
numbers; about 1 row in 200 is made invalid (a short phone number) and 1 in 500 repeats an
earlier id, as real sheets do. The file is written to a temporary directory.

Then, in this process, as the CLI does: upload (sniff, header), the dry run, the import (every
row through `ticket_register`, chunks of IMPORT_CHUNK_ROWS per transaction). Reports wall time,
this process's CPU time (time.process_time: the Python side; PostgreSQL's CPU is the rest),
rows per second and the peak resident memory (getrusage), which must not grow with N.
`--rows-dry N2` runs a second, dry-run-only pass over a bigger file to show memory is flat.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import setup_django

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")
DB = "postgres://postgres@127.0.0.1:5432/complaintdesk_bench_imports"
HEADER = ["转办编号", "投诉人", "联系电话", "被投诉单位", "投诉内容", "诉求", "转办时间", "办理时限"]


def texts():
    """Real complaint texts, endlessly (the files are read again when exhausted)."""
    while True:
        with open(DATA / "online_shopping_10_cats_negative.csv", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                text = (row.get("review") or "").strip().lstrip("\ufeff")
                if len(text) >= 6:
                    yield row.get("cat") or "网购", text[:2000]
        with open(DATA / "car_complaints_12365auto.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                yield row.get("brand") or "汽车", (row.get("desc") or "").strip() or "车辆故障"


def write_sheet(path: Path, rows: int, seed: int = 7, prefix: str = "ZB") -> None:
    rnd = random.Random(seed)
    prefixes = ["138", "139", "150", "151", "186", "187", "135", "136"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i, (unit, text) in zip(range(rows), texts(), strict=False):
            ident = f"{prefix}{i:07d}" if not (i and i % 500 == 0) else f"{prefix}{i - 1:07d}"
            phone = rnd.choice(prefixes) + f"{rnd.randrange(10**8):08d}"
            if i % 200 == 199:
                phone = phone[:5]
            day = 1 + i % 28
            w.writerow([ident, f"客户{i % 9973}", phone, unit, text, "请尽快处理并答复",
                        f"2026年11月{day}日 {8 + i % 10}:{i % 60:02d}", "15个工作日"])


def create_db():
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c",
                    "drop database if exists complaintdesk_bench_imports"], check=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c",
                    "create database complaintdesk_bench_imports"], check=True)


def seed_org():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from complaintdesk.accounts.models import User
    from complaintdesk.org.models import Department, OrgUnit
    from complaintdesk.taxonomy.models import Category

    if User.objects.filter(username="bench-dispatcher").exists():
        return User.objects.get(username="bench-dispatcher")
    province = OrgUnit.add_root(code="p", name="江南省", name_en="Jiangnan", level="province")
    centre = Department.objects.create(org_unit=province, code="centre", name="客户服务中心", is_centre=True)
    root = Category.add_root(kind="complaint", code="service", name="服务质量", owning_department=centre)
    root.add_child(kind="complaint", code="service-transfer", name="转办投诉")
    return User.objects.create_user(username="bench-dispatcher", password="x-bench-only-1",  # noqa: S106 role="dispatcher",
                                    org_unit=province, department=centre)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(user, path: Path, *, dry_only: bool) -> dict:
    from complaintdesk.imports.models import ImportBatch
    from complaintdesk.imports.services.batches import batch_create, batch_run, batch_start

    with open(path, "rb") as f:
        batch = batch_create(actor=user, upload=f, queue=False,
                             defaults={"category": "service-transfer", "source_tier": "12345"})
    w0, c0 = time.perf_counter(), time.process_time()
    batch = batch_run(batch.pk)
    dry_wall, dry_cpu = time.perf_counter() - w0, time.process_time() - c0
    out = {"rows": batch.total_rows, "dry_wall": dry_wall, "dry_cpu": dry_cpu, "would_create": batch.dry_created,
           "would_fail": batch.dry_failed, "peak_mb_after_dry": peak_mb()}
    if not dry_only:
        batch_start(actor=user, batch_id=batch.pk, on_error="skip", queue=False)
        w0, c0 = time.perf_counter(), time.process_time()
        batch = batch_run(batch.pk)
        out.update(import_wall=time.perf_counter() - w0, import_cpu=time.process_time() - c0,
                   created=batch.created_count, failed=batch.failed_count, peak_mb_after_import=peak_mb())
    ImportBatch.objects.filter(pk=batch.pk).update(file="")
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--create-db", action="store_true")
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--rows-dry", type=int, default=0, help="also a dry run alone over this many rows")
    args = p.parse_args()
    if args.create_db:
        create_db()
    setup_django(os.environ.get("BENCH_IMPORT_DB", DB))
    user = seed_org()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transfer.csv"
        # Ids of this run's own: earlier runs' tickets stay in the database and would be skipped.
        prefix = f"R{int(time.time()) % 10**6}-"
        write_sheet(path, args.rows, prefix=prefix)
        r = run(user, path, dry_only=False)
        print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
        print(f"{r['rows']:,} rows ({path.stat().st_size / 1048576:.1f} MB): would create {r['would_create']:,}, "
              f"fail {r['would_fail']:,}")
        print(f"dry run: {r['dry_wall']:.1f} s wall, {r['dry_cpu']:.1f} s CPU here, "
              f"{r['rows'] / r['dry_wall']:,.0f} rows/s, {1000 * r['dry_cpu'] / r['rows']:.2f} ms CPU/row")
        print(f"import:  {r['import_wall']:.1f} s wall, {r['import_cpu']:.1f} s CPU here, "
              f"{r['rows'] / r['import_wall']:,.0f} rows/s, {1000 * r['import_cpu'] / r['rows']:.2f} ms CPU/row; "
              f"created {r['created']:,}, failed {r['failed']:,}")
        print(f"peak RSS: {r['peak_mb_after_dry']:.0f} MB after the dry run, "
              f"{r['peak_mb_after_import']:.0f} MB after the import")
        if args.rows_dry:
            big = Path(tmp) / "big.csv"
            write_sheet(big, args.rows_dry, seed=11, prefix=prefix + "D")
            d = run(user, big, dry_only=True)
            print(f"dry run alone, {d['rows']:,} rows: {d['dry_wall']:.1f} s wall, "
                  f"{d['rows'] / d['dry_wall']:,.0f} rows/s; peak RSS {d['peak_mb_after_dry']:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())


