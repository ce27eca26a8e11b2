"""Keep the gettext catalogues (complaintdesk/locale/{zh_Hans,en}) up to date.

    .venv/bin/python scripts/i18n.py update            # extract messages; English = the source text
    .venv/bin/python scripts/i18n.py missing [PATH]    # untranslated zh_Hans entries (JSON), optionally
                                                       #   only those whose source is under PATH
    .venv/bin/python scripts/i18n.py fill FILE.json    # {"msgid": "译文", ...} into zh_Hans, then compile
    .venv/bin/python scripts/i18n.py compile

Every command takes a file lock, so two people (or helpers) updating at once do not overwrite
each other's catalogue.
"""

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "complaintdesk"
LOCALE = PACKAGE / "locale"
LOCK = Path(tempfile.gettempdir()) / "complaintdesk-i18n.lock"


def _po(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"), wrapwidth=0)


def _django_admin(*args: str) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="complaintdesk.config.settings")
    env.setdefault("SECRET_KEY", "i18n-only")
    env.setdefault("COMPLAINTDESK_DATA_DIR", str(Path(tempfile.gettempdir()) / "complaintdesk-i18n"))
    subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "django", *args], cwd=PACKAGE, env=env, check=True
    )


def update() -> None:
    _django_admin(
        "makemessages", "-l", "zh_Hans", "-l", "en", "--no-obsolete", "--no-location",
        "--add-location=file", "-i", "migrations/*",
    )
    en = _po("en")
    for entry in en:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    en.save()
    compile_()


def missing(under: str = "") -> None:
    prefix = str(Path(under).resolve().relative_to(PACKAGE)) if under else ""
    out = {}
    for entry in _po("zh_Hans"):
        untranslated = not entry.translated() or "fuzzy" in entry.flags
        if untranslated and (not prefix or any(f.startswith(prefix) for f, _ in entry.occurrences)):
            out[entry.msgid] = ""
    print(json.dumps(out, ensure_ascii=False, indent=1))


def fill(path: str) -> None:
    wanted = json.loads(Path(path).read_text(encoding="utf-8"))
    zh = _po("zh_Hans")
    unknown = []
    for msgid, text in wanted.items():
        entry = zh.find(msgid)
        if entry is None:
            unknown.append(msgid)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    zh.save()
    compile_()
    if unknown:
        print("not in the catalogue (run update first?):", *unknown, sep="\n  ", file=sys.stderr)


def compile_() -> None:
    for lang in ("zh_Hans", "en"):
        po = _po(lang)
        po.save_as_mofile(str(LOCALE / lang / "LC_MESSAGES" / "django.mo"))


def main(argv: list[str]) -> None:
    commands = {"update": update, "missing": missing, "fill": fill, "compile": compile_}
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        commands[argv[0]](*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
