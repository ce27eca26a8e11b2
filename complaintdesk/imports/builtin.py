"""The mappings every installation has (issue 10 §1): our own worklist export, read back, and a
regulator's transfer sheet (转办单). An ImportMapping row of the same name replaces one.

Our export's headers are translated (the sheet is written in its user's language), so the
built-in mapping knows them in zh-Hans and en."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.imports.mapping import MappingSpec

WORKLIST_EXPORT = "worklist-export"
REGULATOR_TRANSFER = "regulator-transfer"

# The worklist export's columns (workbench/exports.py `_headers`), as msgids.
_EXPORT_COLUMNS = [
    ("Ticket number", "source_id"),
    ("Title", "title"),
    ("Kind", "kind"),
    ("Category", "category"),
    ("Severity", "severity"),
    ("Special case", "special"),
    ("Customer phone", "phone"),
    ("Registered at", "first_reported_at"),
]


def _translated(msgid: str) -> list[str]:
    out = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            out.append(gettext(msgid))  # the msgids of workbench/exports.py, extracted there
    return [t for t in dict.fromkeys(out) if t != msgid]


def builtin_specs() -> dict[str, MappingSpec]:
    export = MappingSpec(
        name=WORKLIST_EXPORT,
        label=str(_("complaintdesk worklist export (xlsx)")),
        source="complaintdesk",
        columns=[[h, t] for h, t in _EXPORT_COLUMNS],
        aliases={h: _translated(h) for h, _t in _EXPORT_COLUMNS},
        # The export has no channel or description: a re-imported row keeps its title as the
        # description and is taken for a hotline ticket unless the upload says otherwise.
        defaults={"channel": "hotline"},
        builtin=True,
    )
    regulator = MappingSpec(
        name=REGULATOR_TRANSFER,
        label=str(_("Regulator transfer sheet (转办单)")),
        source="regulator-transfer",
        columns=[
            ["转办编号", ["source_id", "regulator_ref"]],
            ["投诉人", "customer_name"],
            ["联系电话", "phone"],
            ["投诉内容", "description"],
            ["被投诉单位", "description"],
            ["诉求", "description"],
            ["转办时间", "first_reported_at"],
            ["办理时限", "regulator_due_at"],
        ],
        aliases={"转办编号": ["工单编号", "转办单号"], "联系电话": ["来电号码", "联系方式"],
                 "投诉内容": ["反映内容", "诉求内容"], "转办时间": ["交办时间"], "办理时限": ["办结时限", "回复时限"]},
        # Which body sent the sheet (12345, 12315...) is chosen at upload, as is the category
        # when the sheet has none: a transfer names its regulator (screening/services/source.py).
        defaults={"kind": "complaint", "channel": "regulator_transfer"},
        value_maps={"source_tier": SOURCE_TIER_WORDS},
        optional=REGULATOR_OPTIONAL,
        builtin=True,
    )
    return {export.name: export, regulator.name: regulator}


# Optional columns a regulator sheet may carry; read when present.
REGULATOR_OPTIONAL = [
    ["转办单位", "source_tier"], ["来源", "source_tier"], ["投诉类别", "category"], ["问题分类", "category"],
]
SOURCE_TIER_WORDS = {
    "12345": "12345", "12345热线": "12345", "政务服务热线": "12345", "市民热线": "12345",
    "12315": "12315", "市场监管": "12315", "市场监督管理局": "12315",
    "12300": "12300", "工信部": "12300", "工业和信息化部": "12300", "通信管理局": "12300",
    "12378": "12378", "金融监管": "12378", "银保监": "12378", "国家金融监督管理总局": "12378",
    "12305": "12305", "邮政管理局": "12305", "国家邮政局": "12305",
    "消协": "consumer_association", "消费者协会": "consumer_association",
}
