"""The gettext catalogues are complete, well-formed and compiled.

Both catalogues (zh_Hans and en) must translate every entry, carry no fuzzy entry, keep every
python-format placeholder, and the committed .mo files must hold exactly what the .po files say
(run `compilemessages` after editing a .po). English is the source language: its msgstr repeats
the msgid, so a missing entry is still visible as incomplete.

No database is needed.
"""

import gettext
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parent.parent / "complaintdesk" / "locale"
LANGS = {
    # directory name: (Language header, Plural-Forms header)
    "zh_Hans": ("zh_Hans", "nplurals=1; plural=0;"),
    "en": ("en", "nplurals=2; plural=(n != 1);"),
}
# zh msgstrs that may legitimately contain no Chinese character (product names, codes...).
ZH_LATIN_ONLY_ALLOWED: set[str] = {"SHA-256"}  # an algorithm name, the same in Chinese

PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
CJK = re.compile(r"[\u3400-\u9fff]")


# --- a tiny .po parser (enough for what makemessages writes) ---------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    def __str__(self):
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted string: {text}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> tuple[Entry, list[Entry]]:
    """(header, entries) of a .po file; obsolete (#~) entries are ignored."""
    entries: list[Entry] = []
    current, target = Entry(), None

    def finish():
        nonlocal current, target
        if target is not None:
            entries.append(current)
        current, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            continue
        if not line or (line.startswith("#") and current.msgstr):
            finish()
        if not line:
            continue
        if line.startswith("#,"):
            current.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgctxt", "msgid ")) and current.msgstr:
            finish()
        if line.startswith('"'):
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, kind, getattr(current, kind) + _unquote(line))
        elif m := re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line):
            kind, index, text = m.group(1), int(m.group(2) or 0), _unquote(m.group(3))
            if kind == "msgstr":
                current.msgstr[index] = text
            else:
                setattr(current, kind, text)
                current.line = current.line or number
            target = (kind, index)
        elif not line.startswith("#"):
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    assert entries and entries[0].msgid == "" and entries[0].msgctxt is None, f"{path}: no header"
    return entries[0], entries[1:]


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module", params=sorted(LANGS))
def catalogue(request):
    lang = request.param
    header, entries = parse_po(po_path(lang))
    return lang, header, entries


# --- the catalogues -------------------------------------------------------------------------


def test_header(catalogue):
    lang, header, _ = catalogue
    fields = dict(line.split(":", 1) for line in header.msgstr[0].splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    language, plural_forms = LANGS[lang]
    assert "fuzzy" not in header.flags, "the header is fuzzy: msgfmt would ignore it"
    assert fields.get("Language") == language
    assert fields.get("Plural-Forms") == plural_forms
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8"


def test_catalogue_is_not_empty(catalogue):
    assert len(catalogue[2]) > 100


def test_every_entry_is_translated(catalogue):
    lang, _, entries = catalogue
    nplurals = 1 if lang == "zh_Hans" else 2
    missing = [
        str(e)
        for e in entries
        if not e.msgstr
        or any(not s for s in e.msgstr.values())
        or (e.msgid_plural is not None and sorted(e.msgstr) != list(range(nplurals)))
    ]
    assert not missing, f"{lang}: {len(missing)} untranslated entries:\n" + "\n".join(missing)


def test_no_fuzzy_entry(catalogue):
    lang, _, entries = catalogue
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"{lang}: fuzzy entries (check, then drop the flag):\n" + "\n".join(fuzzy)


def test_placeholders_are_kept(catalogue):
    lang, _, entries = catalogue
    wrong = []
    for e in entries:
        for index, text in e.msgstr.items():
            source = e.msgid if index == 0 or e.msgid_plural is None else e.msgid_plural
            if text and placeholders(text) != placeholders(source):
                wrong.append(
                    f"{e}: {sorted(placeholders(text).elements())} "
                    f"!= {sorted(placeholders(source).elements())}"
                )
    assert not wrong, f"{lang}: placeholders differ:\n" + "\n".join(wrong)


def test_no_duplicate_entries(catalogue):
    lang, _, entries = catalogue
    duplicates = [k for k, n in Counter(e.key for e in entries).items() if n > 1]
    assert not duplicates, f"{lang}: duplicate msgids {duplicates}"


def test_both_catalogues_have_the_same_messages():
    keys = {lang: {e.key for e in parse_po(po_path(lang))[1]} for lang in LANGS}
    zh, en = keys["zh_Hans"], keys["en"]
    assert zh == en, (
        "run makemessages for every language: "
        f"only in zh_Hans {sorted(zh - en)}, only in en {sorted(en - zh)}"
    )


def test_english_repeats_the_source_text():
    _, entries = parse_po(po_path("en"))
    differ = [str(e) for e in entries if e.msgid_plural is None and e.msgstr.get(0) != e.msgid]
    assert not differ, (
        "change English wording in the Python source, not in en/django.po:\n" + "\n".join(differ)
    )


def test_chinese_catalogue_is_chinese():
    _, entries = parse_po(po_path("zh_Hans"))
    latin = [
        f"{e}: {e.msgstr.get(0)!r}"
        for e in entries
        if e.msgstr.get(0)
        and not CJK.search(e.msgstr[0])
        and e.msgstr[0] not in ZH_LATIN_ONLY_ALLOWED
    ]
    assert not latin, "zh_Hans msgstrs without any Chinese character:\n" + "\n".join(latin)


def test_mobile_number_message_says_shoujihao():
    _, entries = parse_po(po_path("zh_Hans"))
    mobile = [e for e in entries if "mobile number" in e.msgid]
    assert mobile
    for e in mobile:
        assert "手机号" in e.msgstr[0], str(e)


# --- compiled files -------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
def test_msgfmt_check_passes(catalogue, tmp_path):
    lang, _, entries = catalogue
    result = subprocess.run(
        [
            "msgfmt",
            "--check",
            "--statistics",
            "-o",
            str(tmp_path / "django.mo"),
            str(po_path(lang)),
        ],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip().splitlines()[-1]
    assert stats == f"{len(entries)} translated messages.", stats


def test_compiled_catalogue_matches_po(catalogue):
    """The .mo that Django loads says exactly what the .po says (not merely a newer mtime:
    git checkouts do not keep mtimes)."""
    lang, _, entries = catalogue
    mo = po_path(lang).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    with mo.open("rb") as fh:
        catalog = dict(gettext.GNUTranslations(fh)._catalog)
    catalog.pop("", None)
    expected = {}
    for e in entries:
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            expected.update({(e.key, i): s for i, s in e.msgstr.items()})
    stale = sorted(
        str(k) for k in expected.keys() | catalog.keys() if expected.get(k) != catalog.get(k)
    )
    assert not stale, f"{mo} is stale, run compilemessages; differing entries:\n" + "\n".join(
        stale[:20]
    )


# --- Django serves the translations ---------------------------------------------------------


def test_django_speaks_chinese():
    from complaintdesk.accounts.roles import Role
    from complaintdesk.core.errors import ValidationFailed
    from complaintdesk.core.phones import normalize_phone
    from complaintdesk.tickets.vocabulary import Action, Kind, State

    with translation.override("zh-hans"):
        assert str(Action.DISPATCH.label) == "派单"
        assert str(Action.ACKNOWLEDGE.label) == "签收"
        assert str(Action.CO_HANDLE.label) == "会办"
        assert str(State.AWAITING_CALLBACK.label) == "待回访"
        assert str(Kind.GRIEVANCE.label) == "抱怨"
        assert str(Role.INTAKE_AGENT.label) == "受理员"
        assert translation.gettext("This field is required.") == "此项为必填。"
        with pytest.raises(ValidationFailed) as exc:
            normalize_phone("12345678901")
        assert "手机号" in str(exc.value.fields[0].reason)
        assert "12345678901" in str(exc.value.fields[0].reason)

    with translation.override("en"):
        assert str(Action.DISPATCH.label) == "Dispatch"
        assert translation.gettext("This field is required.") == "This field is required."


# --- the catalogues hold every string the code marks ----------------------------------------


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (gettext) is not installed")
def test_every_marked_string_is_in_the_catalogues(tmp_path):
    """Extract the messages afresh from a copy of the code and compare: a string marked for
    translation but missing from the catalogue would show in English under zh-Hans."""
    import os
    import sys

    package = LOCALE_DIR.parent
    copy = tmp_path / "complaintdesk"
    shutil.copytree(
        package, copy,
        ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.po", "*.mo", "node_modules"),
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="complaintdesk.config.settings")
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-location",
         "-i", "migrations/*"],
        cwd=copy, env=env, check=True, capture_output=True,
    )
    _, fresh = parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    _, committed = parse_po(po_path("zh_Hans"))
    absent = sorted({e.key for e in fresh} - {e.key for e in committed})
    assert not absent, (
        "marked for translation but not in the catalogues (run scripts/i18n.py update, then "
        "translate):\n" + "\n".join(absent)
    )
