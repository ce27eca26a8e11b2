"""Which mapping reads a file: the built-in ones, replaced by an admin's ImportMapping of the
same name; found by name or, when none is named, by the file's header row."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.imports.builtin import builtin_specs
from complaintdesk.imports.mapping import Header, MappingSpec, header_match, norm_value
from complaintdesk.imports.models import ImportMapping
from complaintdesk.org.models import OrgUnit
from complaintdesk.screening.models import SpecialType
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.vocabulary import Channel, Kind, Severity, SourceTier

HEADER_SEARCH_ROWS = 10  # a title row or two (merged across the sheet) may stand above the header


def mapping_specs() -> dict[str, MappingSpec]:
    specs = builtin_specs()
    for row in ImportMapping.objects.filter(active=True).order_by("name"):
        specs[row.name] = MappingSpec(
            name=row.name, label=row.label, source=row.source, columns=row.columns, value_maps=row.value_maps,
            date_formats=row.date_formats, defaults=row.defaults, register_incomplete=row.register_incomplete,
        )
    return specs


def find_header(first_rows: list[tuple[int, list]], spec: MappingSpec) -> Header | None:
    best = None
    for number, values in first_rows[:HEADER_SEARCH_ROWS]:
        h = header_match(values, spec)
        if h.matched and (best is None or h.matched > best.matched):
            h.row_number = number
            best = h
    return best


def mapping_choose(name: str, first_rows: list[tuple[int, list]]) -> tuple[MappingSpec, Header]:
    """The named mapping and its header row, or the one whose columns all appear in the file."""
    specs = mapping_specs()
    if name:
        spec = specs.get(name)
        if spec is None:
            raise ValidationFailed.on("mapping", _("No mapping is called “%(name)s”; choose one of: %(names)s.")
                                      % {"name": name[:60], "names": ", ".join(specs)})
        header = find_header(first_rows, spec)
        id_headers = [h for h, t in spec.columns if "source_id" in ([t] if isinstance(t, str) else t)]
        if header is None or any(h in header.missing for h in id_headers):
            raise ValidationFailed.on("mapping", _(
                "The file has no header row with the columns of “%(label)s” (%(columns)s) in its first %(n)d rows.")
                % {"label": spec.label, "columns": "、".join(h for h, _t in spec.columns), "n": HEADER_SEARCH_ROWS})
        return spec, header
    fits = []
    for spec in specs.values():
        header = find_header(first_rows, spec)
        if header is not None and not header.missing:
            fits.append((spec, header))
    if len(fits) == 1:
        return fits[0]
    if not fits:
        raise ValidationFailed.on("mapping", _("No mapping matches the file's header row: choose the mapping."),
                                  "required")
    raise ValidationFailed.on("mapping", _("Several mappings match the file's header row (%(names)s): choose one.")
                              % {"names": ", ".join(s.name for s, _h in fits)}, "required")


def _labels(enum) -> dict[str, str]:
    out = {}
    for member in enum:
        out[norm_value(member.value)] = member.value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                out.setdefault(norm_value(str(member.label)), member.value)
    return out


def lookups() -> dict[str, dict[str, str | None]]:
    """Names → codes for the fields a sheet may spell out in words (read once per batch)."""
    categories: dict[str, str | None] = {}
    for code, name, name_en in Category.objects.filter(active=True).values_list("code", "name", "name_en"):
        categories[norm_value(code)] = code
        for word in (name, name_en):
            key = norm_value(word)
            if key and key not in categories:
                categories[key] = code
            elif key and categories.get(key) != code and key != norm_value(code):
                categories[key] = None  # two categories of this name: the sheet must give the code
    units: dict[str, str | None] = {}
    for code, name in OrgUnit.objects.values_list("code", "name"):
        units[norm_value(code)] = code
        units.setdefault(norm_value(name), code)
    special = {}
    for code, name in SpecialType.objects.filter(active=True).values_list("code", "name"):
        special[norm_value(code)] = code
        special.setdefault(norm_value(name), code)
    return {
        "category": {k: v for k, v in categories.items() if v is not None},
        "org_unit": units, "special_type": special,
        "kind": _labels(Kind), "channel": _labels(Channel), "severity": _labels(Severity),
        "source_tier": _labels(SourceTier),
    }
