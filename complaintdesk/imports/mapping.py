"""From a sheet row to the fields of a ticket draft, by a mapping (pure: no database).

A mapping names, per column header, the field(s) it fills; value maps turn the source's words
into ours; dates are read in the spellings Chinese sheets use. The result of a row is its
source id, the draft's fields, the problems found (field + reason, in the user's language) and
a hash of its content (a later import of the same id with another hash is reported)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.xlsx import XlsxFormula

# What a column may fill: the fields of a TicketDraft, an element (elements.KEY), the source's
# own id, or nothing (ignore).
TEXT_TARGETS = ("title", "description", "customer_name", "customer_segment", "product", "regulator_ref")
CODE_TARGETS = ("kind", "category", "channel", "severity", "org_unit", "source_tier", "special_type")
PHONE_TARGETS = ("phone", "contact_phone")
DATE_TARGETS = ("first_reported_at", "agreed_time", "regulator_due_at")
TARGETS = frozenset((*TEXT_TARGETS, *CODE_TARGETS, *PHONE_TARGETS, *DATE_TARGETS, "special", "source_id", "ignore"))
TITLE_FROM_DESCRIPTION = 40
SOURCE_ID_MAX = 100
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # Excel's 1900 date system (with its 1900 leap-year bug)

_DATE = re.compile(
    r"^\s*(\d{4})\s*[年/\-.]\s*(\d{1,2})\s*[月/\-.]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?\s*$")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_DURATION = re.compile(r"^\s*(\d{1,3})\s*(?:个)?\s*(工作日|天|日|自然日)?\s*(?:内)?\s*$")
_TRUE = {"1", "y", "yes", "true", "是", "√", "✓", "特殊"}
_FALSE = {"", "0", "n", "no", "false", "否", "×"}


def norm_header(text) -> str:
    """Headers compare without spaces, case, full-width forms or a trailing */：."""
    s = unicodedata.normalize("NFKC", str(text or "")).casefold()
    s = re.sub(r"\s+", "", s)
    return s.rstrip("*:：")


def norm_value(text) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text or ""))).strip().casefold()


@dataclass
class MappingSpec:
    name: str
    label: str
    source: str
    columns: list  # [[header, target | [targets]], ...]
    value_maps: dict = field(default_factory=dict)
    date_formats: list = field(default_factory=list)
    defaults: dict = field(default_factory=dict)
    register_incomplete: bool = False
    builtin: bool = False
    # The headers of the same columns in other languages (a built-in mapping reads the sheets
    # our own export writes in zh-Hans and in en).
    aliases: dict = field(default_factory=dict)
    # Columns read when the sheet has them, never missed when it has not.
    optional: list = field(default_factory=list)

    def as_json(self) -> dict:
        return {"name": self.name, "label": str(self.label), "source": self.source, "columns": self.columns,
                "value_maps": self.value_maps, "date_formats": self.date_formats, "defaults": self.defaults,
                "register_incomplete": self.register_incomplete, "builtin": self.builtin, "aliases": self.aliases,
                "optional": self.optional}

    @classmethod
    def from_json(cls, data: dict) -> MappingSpec:
        return cls(**{k: data[k] for k in ("name", "label", "source", "columns", "value_maps", "date_formats",
                                             "defaults", "register_incomplete", "builtin", "aliases", "optional")
                     if k in data})

    def header_targets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for header, targets in [*self.optional, *self.columns]:
            targets = [targets] if isinstance(targets, str) else list(targets)
            for name in [header, *self.aliases.get(header, [])]:
                out[norm_header(name)] = targets
        return out


def spec_problems(columns, value_maps, date_formats, defaults) -> list[tuple[str, str]]:
    """What is wrong with a mapping typed in the admin: (field, reason)."""
    problems = []
    if not isinstance(columns, list) or not columns:
        return [("columns", str(_("List the columns as [[header, field], ...]."))) ]
    has_id = False
    for item in columns:
        if not (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str)):
            problems.append(("columns", str(_("Each column is [header, field] or [header, [fields]]."))))
            continue
        targets = [item[1]] if isinstance(item[1], str) else item[1]
        for t in targets if isinstance(targets, list) else [None]:
            if not isinstance(t, str) or not (t in TARGETS or (t.startswith("elements.") and len(t) > 9)):
                problems.append(("columns", str(_("“%(target)s” is not a field a column can fill.") % {"target": t})))
            has_id = has_id or t == "source_id"
    if not has_id:
        problems.append(("columns", str(_("One column must be the source's own id (source_id): it keeps a "
                                          "re-import from creating tickets twice."))))
    if not isinstance(value_maps, dict) or not all(isinstance(v, dict) for v in value_maps.values()):
        problems.append(("value_maps", str(_("Give value maps as {field: {their value: our value}}."))))
    if not isinstance(date_formats, list) or not all(isinstance(f, str) and "%" in f for f in date_formats):
        problems.append(("date_formats", str(_("Give date formats as a list such as [\"%d.%m.%Y %H:%M\"]."))))
    if not isinstance(defaults, dict) or not all(isinstance(k, str) and k in TARGETS | {"special"} or
                                                 str(k).startswith("elements.") for k in defaults):
        problems.append(("defaults", str(_("Give defaults as {field: value} for fields a draft has."))))
    return problems


@dataclass
class Header:
    row_number: int
    columns: list  # per column: list of targets ([] = not mapped)
    labels: list  # the header text per column
    matched: int
    missing: list  # the mapping's headers not found


def header_match(cells: list, spec: MappingSpec) -> Header:
    targets = spec.header_targets()
    columns, labels, seen = [], [], set()
    last = ""
    for cell in cells:
        text = str(cell.cached if isinstance(cell, XlsxFormula) else cell or "").strip()
        # A merged header cell has its text in the first cell only: the empty cells after it
        # belong to the same heading.
        if not text and last:
            text = last
        last = text
        key = norm_header(text)
        found = targets.get(key, [])
        if found:
            seen.add(key)
        columns.append(found)
        labels.append(text)
    wanted = [h for h, _t in spec.columns]
    missing = [h for h in wanted
               if norm_header(h) not in seen and not any(norm_header(a) in seen for a in spec.aliases.get(h, []))]
    return Header(row_number=0, columns=columns, labels=labels, matched=len(wanted) - len(missing), missing=missing)


@dataclass
class MappedRow:
    row_number: int
    source_id: str
    fields: dict
    elements: dict
    errors: list  # [(field, reason)]
    text_hash: str
    due_duration: tuple | None = None  # (days, working) when the deadline is given as a span


class RowMapper:
    """Turns rows into drafts' fields. `lookups` (from the database, built once per batch)
    gives, per code field, {normalised name or code: code} (category names, org unit names...)."""

    def __init__(self, spec: MappingSpec, header: Header, *, lookups: dict | None = None, defaults: dict | None = None):
        self.spec = spec
        self.header = header
        self.lookups = lookups or {}
        self.defaults = {**spec.defaults, **(defaults or {})}
        self.value_maps = {t: {norm_value(k): v for k, v in m.items()} for t, m in (spec.value_maps or {}).items()}
        self.id_columns = [i for i, ts in enumerate(header.columns) if "source_id" in ts]

    def source_id(self, values: list) -> str:
        for i in self.id_columns:
            if i < len(values):
                v = _plain(values[i])
                if v:
                    return v[:SOURCE_ID_MAX]
        return ""

    def map(self, row_number: int, values: list) -> MappedRow:
        errors: list[tuple[str, str]] = []
        texts: dict[str, list[tuple[str, str]]] = {}
        raw: dict[str, object] = {}
        for index, targets in enumerate(self.header.columns):
            if not targets or index >= len(values):
                continue
            value = values[index]
            label = self.header.labels[index]
            if isinstance(value, XlsxFormula):
                if value.cached is None:
                    for t in targets:
                        if t != "ignore":
                            errors.append((t, str(_("Column “%(column)s” holds a formula (%(formula)s) without a "
                                                    "saved result: paste its values or save the file in Excel.")
                                                  % {"column": label, "formula": value.formula[:60]})))
                    continue
                value = value.cached  # the value the sheet last computed and saved
            for t in targets:
                if t == "ignore":
                    continue
                if t in DATE_TARGETS:
                    if not _blank(value):
                        raw.setdefault(t, value)
                else:
                    text = _plain(value)
                    if text:
                        texts.setdefault(t, []).append((label, text))
        fields: dict = {}
        elements: dict = {}
        for t, parts in texts.items():
            if t in ("description",):
                first, *rest = parts
                fields[t] = "\n".join([first[1], *[f"{label}：{text}" for label, text in rest]])
            elif t == "title":
                fields[t] = " ".join(p[1] for p in parts)
            elif t.startswith("elements."):
                elements[t[9:]] = self._value(t, parts[0][1])
            else:
                fields[t] = parts[0][1]
        for t, value in self.defaults.items():
            if t.startswith("elements."):
                elements.setdefault(t[9:], value)
            elif t not in fields and t not in raw:
                fields[t] = value
        for t in list(fields):
            if t in CODE_TARGETS or t in self.value_maps:
                fields[t] = self._value(t, fields[t])
        if "special" in fields:
            word = norm_value(fields["special"])
            if word in _TRUE:
                fields["special"] = True
            elif word in _FALSE:
                fields["special"] = False
            else:
                errors.append(("special", str(_("Write yes or no (是/否)."))))
                fields.pop("special")
        if "phone" in fields:
            fields["phone"] = _phone_text(fields["phone"])
        due_duration = None
        for t, value in raw.items():
            if t == "regulator_due_at" and (m := _DURATION.match(_plain(value))) and not isinstance(value, dt.datetime):
                due_duration = (int(m.group(1)), m.group(2) == "工作日")
                continue
            try:
                fields[t] = parse_when(value, self.spec.date_formats, end_of_day=(t == "regulator_due_at"))
            except ValueError:
                errors.append((t, str(_("“%(value)s” is not a date: write it as 2026-11-03 14:05, 2026/11/3 or "
                                        "2026年11月3日.") % {"value": _plain(value)[:40]})))
        if not fields.get("title") and fields.get("description"):
            first_line = fields["description"].strip().splitlines()[0]
            fields["title"] = first_line if len(first_line) <= TITLE_FROM_DESCRIPTION else \
                first_line[: TITLE_FROM_DESCRIPTION - 1] + "…"
        if not fields.get("description") and fields.get("title"):
            fields["description"] = fields["title"]
        source_id = self.source_id(values)
        if not source_id:
            errors.append(("source_id", str(_("The row has no id of its own: it could be imported twice."))))
        content = json.dumps([{k: v for k, v in fields.items() if k != "source_id"}, elements,
                              due_duration], sort_keys=True, default=str, ensure_ascii=False)
        text_hash = hashlib.sha256(content.encode()).hexdigest()[:32]
        fields.pop("source_id", None)
        return MappedRow(row_number=row_number, source_id=source_id, fields=fields, elements=elements,
                         errors=errors, text_hash=text_hash, due_duration=due_duration)

    def _value(self, target: str, text: str):
        key = norm_value(text)
        mapped = self.value_maps.get(target, {}).get(key)
        if mapped is not None:
            return mapped
        found = self.lookups.get(target, {}).get(key)
        return found if found is not None else text


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value) -> str:
    """A cell as text: whole numbers without ".0" (a phone number or an id typed into Excel
    comes as a float), dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _phone_text(text: str) -> str:
    # "13800138000.0" from a sheet that stored the number as a float, or "1.38001E+10" (lost).
    if re.fullmatch(r"\d+\.0", text):
        return text[:-2]
    return text


def parse_when(value, formats=(), *, end_of_day: bool = False) -> dt.datetime:
    """An aware datetime (Asia/Shanghai unless the value says otherwise) from a cell: a
    datetime or date (xlsx), an Excel serial number, or text such as 2026年11月3日 14:05,
    2026/11/3, 2026-11-03 14:05:00, 20261103. A date alone is the start of the day, or its end
    for a deadline. ValueError if none fits."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(23, 59, 59) if end_of_day else dt.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _serial(float(value), end_of_day)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        moment = None
        m = _DATE.match(text) or _COMPACT_DATE.match(text)
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            groups = m.groups()
            if len(groups) > 3 and groups[3] is not None:
                moment = dt.datetime(y, mo, d, int(groups[3]), int(groups[4]), int(groups[5] or 0))
            else:
                moment = dt.datetime(y, mo, d, *((23, 59, 59) if end_of_day else (0, 0, 0)))
        elif re.fullmatch(r"\d{5}(\.\d+)?", text):
            moment = _serial(float(text), end_of_day)
        else:
            for fmt in formats:
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if moment is None:
                try:
                    moment = dt.datetime.fromisoformat(text)
                except ValueError:
                    raise ValueError(text) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _serial(serial: float, end_of_day: bool) -> dt.datetime:
    # Excel's day numbers: 1 = 1900-01-01; 2958465 = 9999-12-31. Below 60 the 1900 leap-year
    # bug shifts by a day; no complaint sheet dates from before March 1900.
    if not 60 < serial < 2958466:
        raise ValueError(serial)
    moment = EXCEL_EPOCH + dt.timedelta(days=serial)
    if end_of_day and serial.is_integer():
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment.replace(microsecond=0)
