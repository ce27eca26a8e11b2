"""One backup file: the database, the attachments and the key the portal's tracking codes
are hashed with, under a manifest (versions, migration state, SHA-256 of every member).

    backup.tar.gz
      database.sqlite3 | database.pgdump   (services/databases.py)
      media/...                            every file under MEDIA_ROOT (the attachments)
      secret_key                           only when the key is the one kept in the data dir
      audit_chain_key                      the same for the key of the events' hash chain
      manifest.json                        written last, read first

The database is copied first, then the files: attachments are written before their row
commits and never deleted, so every attachment of the copied database has its file in the
archive (one that arrives meanwhile is merely extra). An attachment whose file was already
missing is listed in the manifest and reported; after a restore it answers 404 with the
reason, never 500.

The tracking codes (portal/codes.py) are HMACs under SECRET_KEY. A key from the data dir
(`secret_key`, made by the demo) is part of the backup; a key from the environment is not
(the environment is the place for secrets): the manifest keeps an HMAC of a fixed text under
it, and a restore refuses to go on when the key the app will run with (or one of its
SECRET_KEY_FALLBACKS) is not the same, because no code would verify any more.
"""

import datetime as dt
import hashlib
import io
import json
import os
import platform
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.crypto import salted_hmac

from complaintdesk.audit.chain import KEY_FILE_NAME, chain_key_file, chain_key_forget
from complaintdesk.backups.services import databases
from complaintdesk.tickets.models import Attachment

FORMAT = "complaintdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_MEMBER = "secret_key"  # noqa: S105 - the name of the key file, not a key
CHAIN_KEY_MEMBER = KEY_FILE_NAME  # the ticket events' hash-chain key (audit/chain.py), same rule
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024


class BackupRefused(Exception):
    """The backup cannot be made or restored as asked; nothing was changed. The message
    says why and what to do."""


@dataclass
class Report:
    """What a backup or restore did, for the command to print."""

    path: Path | None = None
    manifest: dict = field(default_factory=dict)
    missing: list[dict] = field(default_factory=list)  # attachments without their file
    notes: list[str] = field(default_factory=list)


def _secret_check(key: str) -> str:
    return salted_hmac("complaintdesk.backups.secret", "tracking-codes", secret=key, algorithm="sha256").hexdigest()


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / SECRET_MEMBER


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _missing_files(media: Path) -> list[dict]:
    """Attachments whose file is not in storage: one query, one directory walk."""
    present = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.is_dir() else set()
    return [
        {"id": pk, "ticket_id": ticket_id, "name": name, "file": path}
        for pk, ticket_id, name, path in Attachment.objects.order_by("id").values_list(
            "id", "ticket_id", "original_name", "file").iterator(chunk_size=5000)
        if path not in present
    ]


class _Hashing(io.RawIOBase):
    """Reads through a file, hashing what tarfile reads: one pass per member."""

    def __init__(self, raw):
        self.raw, self.sha = raw, hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        self.sha.update(data)
        buffer[: len(data)] = data
        return len(data)


def _add(tar: tarfile.TarFile, path: Path, name: str, files: dict) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as raw:
        reader = _Hashing(raw)
        tar.addfile(info, io.BufferedReader(reader, CHUNK))
    files[name] = {"sha256": reader.sha.hexdigest(), "size": info.size}


def backup_create(*, output: Path) -> Report:
    """Write a backup to `output` (atomically: a `.partial` file renamed at the end)."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    media = Path(settings.MEDIA_ROOT)
    from_environment = bool(os.environ.get("SECRET_KEY"))
    report = Report(path=output)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as work:
        db_file = Path(work) / databases.member_name()
        db_facts = databases.database_dump(db_file)
        migrations = _applied_migrations()
        report.missing = _missing_files(media)
        files: dict[str, dict] = {}
        partial = output.with_name(output.name + ".partial")
        # The archive holds every customer's personal data (and maybe the key): owner only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as stream, tarfile.open(fileobj=stream, mode="w:gz", compresslevel=6) as tar:
            _add(tar, db_file, db_file.name, files)
            if media.is_dir():
                for path in sorted(p for p in media.rglob("*") if p.is_file()):
                    _add(tar, path, MEDIA_PREFIX + path.relative_to(media).as_posix(), files)
            if not from_environment and _key_file().is_file():
                _add(tar, _key_file(), SECRET_MEMBER, files)
            chain_file = chain_key_file()  # the events' hash-chain key, when kept in the data dir
            if chain_file is not None and chain_file.is_file():
                _add(tar, chain_file, CHAIN_KEY_MEMBER, files)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "versions": {
                    "complaintdesk": _version(), "django": django.get_version(),
                    "python": platform.python_version(),
                },
                "database": {"vendor": databases.vendor(), "member": db_file.name, **db_facts},
                "migrations": migrations,
                "secret": {
                    "source": "environment" if from_environment else "data_dir",
                    "member": None if from_environment else SECRET_MEMBER,
                    "check": _secret_check(settings.SECRET_KEY),
                },
                "attachments": {
                    "rows": Attachment.objects.count(),
                    "files": sum(1 for n in files if n.startswith(MEDIA_PREFIX)),
                    "missing": report.missing,
                },
                "files": files,
            }
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, output)
    report.manifest = manifest
    if from_environment:
        report.notes.append("SECRET_KEY comes from the environment and is not in the backup: keep it "
                            "with your secrets; a restore needs the same key for the tracking codes.")
    return report


def _version() -> str:
    try:
        return metadata.version("complaintdesk")
    except metadata.PackageNotFoundError:
        return "unknown"


# -- restore ----------------------------------------------------------------------------------

def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, AttributeError, ValueError):
        raise BackupRefused("This is not a complaintdesk backup: it has no readable manifest.json.") from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused("This is not a complaintdesk backup (manifest format).")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupRefused(f"This backup has format {manifest['format_version']}; this version of "
                            f"complaintdesk reads up to {FORMAT_VERSION}. Restore it with a newer version.")
    return manifest


def _check_schema(manifest: dict) -> None:
    """Refuse a backup of a newer schema: migrations this code does not have."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, names in manifest.get("migrations", {}).items()
               for name in names if (app, name) not in known]
    if unknown:
        raise BackupRefused(
            "This backup was made by a newer version of complaintdesk: its database has migrations "
            f"this version does not know ({', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}). "
            "Install that version (or a later one) to restore it.")


def _check_vendor(manifest: dict) -> None:
    theirs = manifest.get("database", {}).get("vendor")
    if theirs != databases.vendor():
        raise BackupRefused(f"This backup is of a {theirs} database; DATABASE_URL points to "
                            f"{databases.vendor()}. Restore it into the same kind of database.")


def _effective_keys(backup_key: str | None) -> list[str]:
    """The keys the app will hash codes with after the restore (and a restart)."""
    current = os.environ.get("SECRET_KEY") or backup_key or settings.SECRET_KEY
    return [current, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _has_rows() -> list[str]:
    """The project's tables that hold rows (a freshly migrated database holds none)."""
    from django.apps import apps

    existing = set(connection.introspection.table_names())
    full = []
    for model in apps.get_models():
        if (model.__module__.startswith("complaintdesk.") and model._meta.db_table in existing
                and model._default_manager.exists()):
            full.append(model._meta.db_table)
    return full


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _extract_verified(tar: tarfile.TarFile, manifest: dict, work: Path) -> None:
    """Every member the manifest lists, checked against its SHA-256 and size, into `work`;
    BackupRefused on any difference, before anything is changed."""
    listed: dict = manifest.get("files", {})
    seen = set()
    for member in tar:
        if member.name == MANIFEST:
            continue
        expected = listed.get(member.name)
        if expected is None or not member.isfile() or not _safe_member(member.name):
            raise BackupRefused(f"The backup holds {member.name!r}, which its manifest does not list: "
                                "it was changed after it was made. Nothing was restored.")
        target = work / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        sha = hashlib.sha256()
        size = 0
        with tar.extractfile(member) as source, target.open("wb") as out:
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if sha.hexdigest() != expected["sha256"] or size != expected["size"]:
            raise BackupRefused(f"{member.name}: its checksum does not match the manifest (the file is "
                                "damaged or was changed). Nothing was restored.")
        seen.add(member.name)
    absent = sorted(set(listed) - seen)
    if absent:
        raise BackupRefused(f"The backup lacks {len(absent)} file(s) its manifest lists ({absent[0]} …): "
                            "it is incomplete. Nothing was restored.")


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupRefused(f"{archive}: not a readable backup file ({exc}).") from None


def backup_restore(*, archive: Path, force: bool = False, other_secret: bool = False) -> Report:
    """Restore a backup into the configured database, MEDIA_ROOT and data dir.

    Refuses (BackupRefused, nothing changed) a file that is not a complete, unmodified
    backup, a backup of a newer schema or of another database engine, a non-empty database
    unless `force`, and a SECRET_KEY under which the tracking codes would not verify unless
    `other_secret`. Then migrates an older schema forward."""
    archive = archive.resolve()
    report = Report(path=archive)
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    with _open(archive) as tar, tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as tmp:
        manifest = _read_manifest(tar)
        report.manifest = manifest
        _check_vendor(manifest)
        _check_schema(manifest)
        full = _has_rows()
        if full and not force:
            raise BackupRefused(
                f"The database is not empty ({len(full)} tables hold rows, e.g. {full[0]}). Restoring "
                "replaces all of it: run again with --force to do so.")
        work = Path(tmp)
        _extract_verified(tar, manifest, work)
        secret = manifest.get("secret", {})
        backup_key = None
        if secret.get("member"):
            backup_key = (work / secret["member"]).read_text().strip()
        keys = _effective_keys(backup_key)
        if secret.get("check") not in {_secret_check(k) for k in keys}:
            if not other_secret:
                raise BackupRefused(
                    "SECRET_KEY is not the key this backup was made with, so the customers' tracking "
                    "codes would no longer verify (and every session ends). Set SECRET_KEY to the key "
                    "used when the backup was made (or add it to SECRET_KEY_FALLBACKS), or run again "
                    "with --accept-other-secret to restore anyway.")
            report.notes.append("Restored under another SECRET_KEY: the portal's tracking codes no longer verify.")

        databases.database_load(work / manifest["database"]["member"])
        call_command("migrate", interactive=False, verbosity=0)  # an older backup, brought forward
        media = Path(settings.MEDIA_ROOT)
        source = work / MEDIA_PREFIX.rstrip("/")
        if source.is_dir():
            for path in source.rglob("*"):
                if path.is_file():
                    target = media / path.relative_to(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(str(path), target)
        if backup_key is not None and not os.environ.get("SECRET_KEY"):
            key_file = _key_file()
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # also when the file was there before
            with os.fdopen(fd, "w") as out:
                out.write(backup_key)
            if backup_key != settings.SECRET_KEY:
                report.notes.append(f"The secret key was restored to {key_file}: restart the app and its workers.")
        chain_file = chain_key_file()
        if CHAIN_KEY_MEMBER in manifest.get("files", {}) and chain_file is not None:
            kept = (work / CHAIN_KEY_MEMBER).read_text().strip()
            fd = os.open(chain_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(kept)
            chain_key_forget()
        report.missing = _missing_files(media)
    return report


def backup_default_name() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"complaintdesk-{stamp}.tar.gz"
