"""The demo catalogue: a fictional provincial operator (江南省 / Jiangnan Province) as plain data.

Everything the demo seeder and the load generator need to build a believable installation:
org units, departments, staff accounts for every role, a bilingual category tree for every
ticket kind with its required elements (受理要素), Chinese complaint-text templates and a
deterministic `render_text()` that fills a template *and* the elements consistently.

Pure Python on purpose (no ORM, no settings): it is imported by the seeding command, by
benchmarks and by tests that run without a database. All texts, names and places are invented.

Ordering: ORG_UNITS and CATEGORIES list every parent before its children, so a seeder can
create them in one pass (treebeard needs the parent to exist).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "CATEGORIES",
    "CATEGORY_BY_CODE",
    "CENTRE_DEPARTMENT",
    "CUSTOMER_NAMES",
    "DEPARTMENTS",
    "ELEMENT_TYPES",
    "KINDS",
    "LEVELS",
    "MOBILE_PREFIXES",
    "ORG_UNITS",
    "REFERENCE_DATE",
    "ROLES",
    "SEVERITIES",
    "SLOT_VALUES",
    "STAFF",
    "TEXT_TEMPLATES",
    "CategorySpec",
    "DepartmentSpec",
    "ElementSpec",
    "OrgUnitSpec",
    "StaffSpec",
    "TextTemplate",
    "ancestors",
    "applicable_templates",
    "default_severity_for",
    "elements_for",
    "owning_department_for",
    "random_customer_name",
    "random_mobile",
    "render_text",
    "template_slots",
    "top_level_of",
]

# The vocabularies below mirror tickets.vocabulary / accounts.roles / taxonomy.ElementType as
# plain strings, so this module stays importable without Django; the test checks they agree.
KINDS = ("complaint", "grievance", "inquiry", "suggestion", "fault", "sales_lead")
SEVERITIES = ("simple", "general", "complex", "major")
ROLES = ("intake_agent", "dispatcher", "handler", "dept_head", "supervisor", "leader", "admin")
LEVELS = ("province", "city", "county", "business_hall")
ELEMENT_TYPES = ("text", "choice", "number", "amount", "date", "phone")

# Default "today" of render_text(): a fixed date keeps the output reproducible; the seeder
# passes the real date when it wants tickets that look recent.
REFERENCE_DATE = dt.date(2025, 6, 16)


# ---------------------------------------------------------------------------------------------
# Record types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgUnitSpec:
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    name_en: str
    org_unit: str
    is_centre: bool = False


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    role: str
    org_unit: str
    department: str | None
    employee_no: str
    # City org-unit code when this handler is that region's sales lead (OrgUnit.sales_lead).
    sales_lead_for: str | None = None


@dataclass(frozen=True)
class ElementSpec:
    key: str
    label: str
    label_en: str
    type: str
    # For choice elements, already in the RequiredElement.choices JSON shape.
    choices: tuple[dict[str, str], ...] = ()
    required: bool = True

    def model_fields(self, position: int = 0) -> dict:
        """Keyword arguments for taxonomy.RequiredElement (minus the category)."""
        return {
            "key": self.key,
            "label": self.label,
            "label_en": self.label_en,
            "type": self.type,
            "choices": [dict(c) for c in self.choices],
            "required": self.required,
            "position": position,
        }


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    name_en: str
    kind: str
    parent: str | None
    # None / "" mean "inherit from the nearest ancestor that sets it" (as the model does).
    owning_department: str | None = None
    default_severity: str = ""
    requires_approval: bool = False
    elements: tuple[ElementSpec, ...] = ()


@dataclass(frozen=True)
class TextTemplate:
    """One way a customer tells a story; str.format slots are filled by render_text().

    `leaves`: the categories the story fits (empty = any node of its tree; naming only the
    root keeps a generic story off the specific leaves); the root itself accepts every
    template of its tree.
    `fixed`: element values the story implies (e.g. "家里一点信号都没有" → no_signal); a tuple
    means "one of these". Applied only where the category has that element.
    `special`: the customer threatens media exposure, a lawsuit or a regulator complaint.
    """

    title: str
    description: str
    leaves: tuple[str, ...] = ()
    special: bool = False
    fixed: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    product: str = ""  # overrides the category's product format
    title_en: str = ""
    description_en: str = ""


def _c(value: str, label: str, label_en: str) -> dict[str, str]:
    return {"value": value, "label": label, "label_en": label_en}


def _el(key, label, label_en, type_, choices=(), required=True) -> ElementSpec:
    return ElementSpec(key, label, label_en, type_, tuple(choices), required)


# ---------------------------------------------------------------------------------------------
# 1. Org units: province → 3 cities → counties / business halls
# ---------------------------------------------------------------------------------------------

ORG_UNITS: tuple[OrgUnitSpec, ...] = (
    OrgUnitSpec("jn", "江南省公司", "Jiangnan Provincial Company", "province", None),
    OrgUnitSpec("jn-linjiang", "临江市分公司", "Linjiang City Branch", "city", "jn"),
    OrgUnitSpec("jn-yunxi", "云溪市分公司", "Yunxi City Branch", "city", "jn"),
    OrgUnitSpec("jn-shicheng", "石城市分公司", "Shicheng City Branch", "city", "jn"),
    # Linjiang: two counties and the city's flagship hall.
    OrgUnitSpec("jn-linjiang-jiangbei", "江北县营业部", "Jiangbei County Office", "county", "jn-linjiang"),
    OrgUnitSpec("jn-linjiang-baisha", "白沙县营业部", "Baisha County Office", "county", "jn-linjiang"),
    OrgUnitSpec(
        "jn-linjiang-chengdong", "临江城东营业厅", "Linjiang Chengdong Business Hall",
        "business_hall", "jn-linjiang",
    ),
    # Yunxi: one county, one hall.
    OrgUnitSpec("jn-yunxi-qingshan", "青山县营业部", "Qingshan County Office", "county", "jn-yunxi"),
    OrgUnitSpec(
        "jn-yunxi-renminlu", "云溪人民路营业厅", "Yunxi Renmin Road Business Hall",
        "business_hall", "jn-yunxi",
    ),
    # Shicheng: one county, one hall.
    OrgUnitSpec("jn-shicheng-songling", "松岭县营业部", "Songling County Office", "county", "jn-shicheng"),
    OrgUnitSpec(
        "jn-shicheng-xinhualu", "石城新华路营业厅", "Shicheng Xinhua Road Business Hall",
        "business_hall", "jn-shicheng",
    ),
)

# ---------------------------------------------------------------------------------------------
# 2. Departments: the centre plus seven owners of the category tree
# ---------------------------------------------------------------------------------------------

CENTRE_DEPARTMENT = "cs-centre"

DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(CENTRE_DEPARTMENT, "客户服务中心", "Customer Service Centre", "jn", is_centre=True),
    DepartmentSpec("billing", "计费账务部", "Billing and Accounts", "jn"),
    DepartmentSpec("network-ops", "网络运维部", "Network Operations", "jn"),
    DepartmentSpec("marketing", "市场营销部", "Marketing", "jn"),
    # Channels own the business halls: service attitude and over-the-counter business handling.
    DepartmentSpec("channels", "渠道管理部", "Channels and Business Halls", "jn"),
    DepartmentSpec("vas", "增值业务部", "Value-added Services", "jn"),
    # The parcel hub and the claims office sit in cities: dispatch crosses org units.
    DepartmentSpec("logistics", "物流服务部", "Parcel and Logistics Services", "jn-linjiang"),
    DepartmentSpec("claims", "理赔服务部", "Claims Services", "jn-yunxi"),
)

# ---------------------------------------------------------------------------------------------
# 3. Staff accounts (工号) for every role
# ---------------------------------------------------------------------------------------------

STAFF: tuple[StaffSpec, ...] = (
    # Provincial centre: registers, reviews/dispatches, supervises.
    StaffSpec("zhoumin", "周敏", "intake_agent", "jn", CENTRE_DEPARTMENT, "G10001"),
    StaffSpec("wuli", "吴丽", "intake_agent", "jn", CENTRE_DEPARTMENT, "G10002"),
    StaffSpec("chenjing", "陈静", "dispatcher", "jn", CENTRE_DEPARTMENT, "G10011"),
    StaffSpec("heyun", "何云", "supervisor", "jn", CENTRE_DEPARTMENT, "G10021"),
    # Management and administration work above the departments.
    StaffSpec("zhangweiguo", "张卫国", "leader", "jn", None, "G10031"),
    StaffSpec("admin", "刘洋", "admin", "jn", None, "G10099"),
    # City-level centre staff: their scope is the Linjiang subtree only (scope tests).
    StaffSpec("sunli", "孙丽", "intake_agent", "jn-linjiang", CENTRE_DEPARTMENT, "G11001"),
    StaffSpec("qiankun", "钱坤", "dispatcher", "jn-linjiang", CENTRE_DEPARTMENT, "G11011"),
    # Front desk of a business hall: counter intake.
    StaffSpec("lintao", "林涛", "intake_agent", "jn-linjiang-chengdong", CENTRE_DEPARTMENT, "G11101"),
    # Hotline / regulator-transfer integrations act as this account (API tokens).
    StaffSpec("integration", "系统接口", "intake_agent", "jn", CENTRE_DEPARTMENT, "G19999"),
    # Billing and accounts.
    StaffSpec("wangjianhua", "王建华", "dept_head", "jn", "billing", "G20001"),
    StaffSpec("lina", "李娜", "handler", "jn", "billing", "G20011"),
    StaffSpec("zhaolei", "赵磊", "handler", "jn", "billing", "G20012"),
    # Network operations (one field handler in Linjiang).
    StaffSpec("liuzhiqiang", "刘志强", "dept_head", "jn", "network-ops", "G21001"),
    StaffSpec("yangfan", "杨帆", "handler", "jn", "network-ops", "G21011"),
    StaffSpec("huangwei", "黄伟", "handler", "jn-linjiang", "network-ops", "G21012"),
    # Marketing, with one regional sales lead per city (sales-lead tickets route to them).
    StaffSpec("xuxiaoyan", "徐晓燕", "dept_head", "jn", "marketing", "G22001"),
    StaffSpec("guopeng", "郭鹏", "handler", "jn", "marketing", "G22011"),
    StaffSpec("majun", "马俊", "handler", "jn-linjiang", "marketing", "G22021", sales_lead_for="jn-linjiang"),
    StaffSpec("zhuting", "朱婷", "handler", "jn-yunxi", "marketing", "G22022", sales_lead_for="jn-yunxi"),
    StaffSpec("hubin", "胡斌", "handler", "jn-shicheng", "marketing", "G22023", sales_lead_for="jn-shicheng"),
    # Channels and business halls.
    StaffSpec("linxiuying", "林秀英", "dept_head", "jn", "channels", "G23001"),
    StaffSpec("gaofeng", "高峰", "handler", "jn", "channels", "G23011"),
    StaffSpec("luofang", "罗芳", "handler", "jn-yunxi-renminlu", "channels", "G23012"),
    # Value-added services.
    StaffSpec("zhenghaitao", "郑海涛", "dept_head", "jn", "vas", "G24001"),
    StaffSpec("xieyu", "谢雨", "handler", "jn", "vas", "G24011"),
    # Parcel and logistics (Linjiang).
    StaffSpec("songgang", "宋刚", "dept_head", "jn-linjiang", "logistics", "G25001"),
    StaffSpec("tangmin", "唐敏", "handler", "jn-linjiang", "logistics", "G25011"),
    # Claims (Yunxi).
    StaffSpec("hanxue", "韩雪", "dept_head", "jn-yunxi", "claims", "G26001"),
    StaffSpec("fengchen", "冯晨", "handler", "jn-yunxi", "claims", "G26011"),
)

# ---------------------------------------------------------------------------------------------
# 4. Category trees and required elements
# ---------------------------------------------------------------------------------------------

# Elements shared by several trees: same key, same meaning, same type everywhere.
_SERVICE_NUMBER = _el("service_number", "业务号码", "Service number", "phone")
_FAULT_ADDRESS = _el("fault_address", "故障地址", "Fault address", "text")
_FAULT_START = _el("fault_start", "故障开始时间", "Fault started on", "date")
_SIGNAL_STATUS = _el(
    "signal_status", "信号情况", "Signal", "choice",
    (
        _c("no_signal", "无信号", "No signal"),
        _c("weak", "信号弱", "Weak signal"),
        _c("intermittent", "时有时无", "Intermittent"),
        _c("normal_but_unusable", "有信号但无法使用", "Signal shown but unusable"),
    ),
)
_HALL_NAME = _el("hall_name", "营业厅名称", "Business hall", "text")
_BROADBAND_ACCOUNT = _el("broadband_account", "宽带账号", "Broadband account", "text")
_POLICY_NO = _el("policy_no", "保单号", "Policy number", "text")

_COMPLAINT: tuple[CategorySpec, ...] = (
    # 计费账务 — billing disputes (seed 000: 争议月份、争议金额、业务号码).
    CategorySpec(
        "billing", "计费账务", "Billing", "complaint", None, "billing", "general",
        elements=(
            _el("dispute_month", "争议月份", "Disputed month", "date"),
            _el("disputed_amount", "争议金额", "Disputed amount", "amount"),
            _SERVICE_NUMBER,
        ),
    ),
    CategorySpec(
        "billing-unsubscribed-charge", "未订购业务被扣费", "Charged for a service never ordered",
        "complaint", "billing",
        elements=(_el("service_name", "扣费业务名称", "Charged service", "text"),),
    ),
    CategorySpec(
        "billing-package-fee", "套餐资费争议", "Package fee dispute", "complaint", "billing",
        elements=(_el("package_name", "套餐名称", "Package", "text"),),
    ),
    CategorySpec(
        "billing-data-overcharge", "流量费用异常", "Unexpected mobile data charges", "complaint", "billing",
        elements=(_el("data_usage_mb", "争议流量(MB)", "Disputed data (MB)", "number"),),
    ),
    CategorySpec(
        "billing-roaming", "国际漫游费争议", "International roaming charges", "complaint", "billing",
        elements=(_el("roaming_country", "漫游国家/地区", "Roaming country / region", "text"),),
    ),
    # 网络与信号 — network and signal (seed 000: 故障地址、故障开始时间、信号情况).
    CategorySpec(
        "network", "网络与信号", "Network and signal", "complaint", None, "network-ops", "general",
        elements=(_FAULT_ADDRESS, _FAULT_START, _SIGNAL_STATUS, _SERVICE_NUMBER),
    ),
    CategorySpec(
        "network-no-coverage", "无信号或信号弱", "No or weak coverage", "complaint", "network",
        elements=(
            _el(
                "indoor_outdoor", "室内/室外", "Indoors / outdoors", "choice",
                (
                    _c("indoor", "室内", "Indoors"),
                    _c("outdoor", "室外", "Outdoors"),
                    _c("both", "室内外均有", "Both"),
                ),
            ),
        ),
    ),
    CategorySpec(
        "network-call-drop", "通话掉话或难以接通", "Dropped or failed calls", "complaint", "network",
        elements=(
            _el(
                "fault_frequency", "发生频率", "How often", "choice",
                (
                    _c("always", "每次都有", "Every time"),
                    _c("often", "经常", "Often"),
                    _c("occasional", "偶尔", "Occasionally"),
                ),
            ),
        ),
    ),
    CategorySpec(
        "network-mobile-data", "手机上网慢或无法上网", "Slow or no mobile data", "complaint", "network",
        elements=(
            _el(
                "network_type", "网络制式", "Network type", "choice",
                (_c("5g", "5G", "5G"), _c("4g", "4G", "4G")),
            ),
        ),
    ),
    CategorySpec(
        "network-broadband", "家庭宽带故障", "Home broadband failure", "complaint", "network",
        elements=(_BROADBAND_ACCOUNT,),
    ),
    # 服务态度 — service attitude.
    CategorySpec(
        "service", "服务态度", "Service attitude", "complaint", None, "channels", "general",
        elements=(
            _el(
                "service_point", "服务渠道", "Where it happened", "choice",
                (
                    _c("hotline", "10086热线", "10086 hotline"),
                    _c("business_hall", "营业厅", "Business hall"),
                    _c("installer", "装维人员上门", "Installer visit"),
                    _c("online", "在线客服", "Online chat"),
                ),
            ),
            _el("occurred_date", "发生日期", "Date", "date"),
        ),
    ),
    CategorySpec(
        "service-hall-staff", "营业员服务态度差", "Rude business-hall staff", "complaint", "service",
        elements=(_HALL_NAME, _el("staff_info", "涉及人员(工号或特征)", "Staff involved", "text")),
    ),
    CategorySpec(
        "service-hotline-agent", "热线客服服务不规范", "Hotline agent misconduct", "complaint", "service",
        # Inherits Channels: the hotline is a service channel. Not the centre: a dispatched
        # ticket must go to a department with handlers, and the centre has none.
        elements=(_el("agent_id", "客服工号", "Agent ID", "text", required=False),),
    ),
    CategorySpec(
        "service-installer", "装维人员服务问题", "Installer conduct", "complaint", "service",
        owning_department="network-ops",
        elements=(_el("appointment_date", "预约上门日期", "Appointment date", "date"),),
    ),
    # Media exposure: major, and a leader signs off the plan (seed 000 外宣传型, seed 003 特殊投诉).
    CategorySpec(
        "service-media-exposure", "服务事件涉及媒体曝光", "Service incident with media exposure",
        "complaint", "service", default_severity="major", requires_approval=True,
        elements=(
            _el("media_name", "媒体名称", "Media outlet", "text"),
            _el("exposure_date", "曝光日期", "Exposure date", "date"),
        ),
    ),
    # 业务办理 — business handling at counters and on the hotline.
    CategorySpec(
        "business", "业务办理", "Business handling", "complaint", None, "channels", "general",
        elements=(_SERVICE_NUMBER, _el("business_name", "业务名称", "Business", "text")),
    ),
    CategorySpec(
        "business-cancel-blocked", "退订或销户受阻", "Cancellation obstructed", "complaint", "business",
        elements=(
            _el(
                "cancel_channel", "办理渠道", "Channel tried", "choice",
                (
                    _c("business_hall", "营业厅", "Business hall"),
                    _c("hotline", "10086热线", "10086 hotline"),
                    _c("app", "手机营业厅", "Mobile app"),
                    _c("sms", "短信", "SMS"),
                ),
            ),
        ),
    ),
    CategorySpec(
        "business-number-porting", "携号转网受阻", "Number porting obstructed", "complaint", "business",
        default_severity="complex",
        elements=(_el("porting_date", "申请日期", "Application date", "date"),),
    ),
    CategorySpec(
        "business-wrong-processing", "业务办理差错", "Business processed wrongly", "complaint", "business",
        elements=(_el("process_date", "办理日期", "Processed on", "date"), _HALL_NAME),
    ),
    CategorySpec(
        "business-real-name", "实名登记问题", "Real-name registration", "complaint", "business",
        elements=(
            _el(
                "real_name_issue", "问题类型", "Issue", "choice",
                (
                    _c("not_own", "名下有非本人办理的号码", "Number registered without consent"),
                    _c("info_wrong", "登记信息错误", "Registered details wrong"),
                ),
            ),
        ),
    ),
    # 增值业务 — value-added services.
    CategorySpec(
        "vas", "增值业务", "Value-added services", "complaint", None, "vas", "general",
        elements=(_SERVICE_NUMBER,),
    ),
    CategorySpec(
        "vas-sp-subscription", "增值业务被订购", "Unwanted value-added subscription", "complaint", "vas",
        elements=(
            _el("sp_service", "业务名称", "Service", "text"),
            _el("charge_amount", "扣费金额", "Amount charged", "amount"),
            _el(
                "subscribe_method", "订购方式", "How it was ordered", "choice",
                (
                    _c("sms", "短信订购", "By SMS"),
                    _c("web", "网页订购", "On a web page"),
                    _c("app_popup", "应用弹窗", "App pop-up"),
                    _c("unknown", "客户不清楚", "Customer does not know"),
                ),
            ),
            _el("first_charge_date", "首次扣费日期", "First charged on", "date"),
        ),
    ),
    CategorySpec(
        "vas-video-ringtone", "视频彩铃问题", "Video ringback tone", "complaint", "vas",
        elements=(
            _el("charge_amount", "扣费金额", "Amount charged", "amount"),
            _el(
                "ringtone_issue", "问题类型", "Issue", "choice",
                (
                    _c("unwanted", "未经同意开通", "Activated without consent"),
                    _c("content", "内容不当", "Inappropriate content"),
                    _c("cannot_cancel", "无法关闭", "Cannot be switched off"),
                ),
            ),
        ),
    ),
    CategorySpec(
        "vas-spam", "垃圾短信与骚扰电话", "Spam SMS and nuisance calls", "complaint", "vas",
        default_severity="simple",
        elements=(
            _el("spam_number", "骚扰号码", "Sender number", "text"),
            _el("received_date", "接收日期", "Received on", "date"),
        ),
    ),
    # 营销活动 — marketing campaigns.
    CategorySpec(
        "marketing", "营销活动", "Marketing campaigns", "complaint", None, "marketing", "general",
        elements=(
            _el("campaign_name", "活动名称", "Campaign", "text"),
            _el("join_date", "参加活动日期", "Joined on", "date"),
            _SERVICE_NUMBER,
        ),
    ),
    CategorySpec(
        "marketing-gift-missing", "赠品或返费未兑现", "Promised gift or rebate not given",
        "complaint", "marketing",
        elements=(_el("promised_value", "承诺价值", "Promised value", "amount"),),
    ),
    CategorySpec(
        "marketing-misleading", "营销宣传不实", "Misleading promotion", "complaint", "marketing",
        elements=(
            _el(
                "promotion_channel", "宣传渠道", "Promoted via", "choice",
                (
                    _c("business_hall", "营业厅", "Business hall"),
                    _c("outbound_call", "外呼电话", "Outbound call"),
                    _c("sms", "短信", "SMS"),
                    _c("app", "手机营业厅", "Mobile app"),
                ),
            ),
        ),
    ),
    CategorySpec(
        "marketing-contract-phone", "合约机问题", "Contract handset problem", "complaint", "marketing",
        elements=(_el("device_model", "机型", "Handset model", "text"),),
    ),
    # 包裹丢失或延误 — parcels (运单号、寄件日期、物品价值).
    CategorySpec(
        "parcel", "包裹丢失或延误", "Parcel lost or late", "complaint", None, "logistics", "general",
        elements=(
            _el("waybill_no", "运单号", "Waybill number", "text"),
            _el("send_date", "寄件日期", "Sent on", "date"),
            _el("item_value", "物品价值", "Declared value", "amount"),
        ),
    ),
    CategorySpec("parcel-lost", "包裹丢失", "Parcel lost", "complaint", "parcel", default_severity="complex"),
    CategorySpec(
        "parcel-delayed", "包裹延误", "Parcel delayed", "complaint", "parcel",
        elements=(_el("promised_date", "承诺送达日期", "Promised delivery date", "date"),),
    ),
    CategorySpec(
        "parcel-damaged", "包裹破损", "Parcel damaged", "complaint", "parcel",
        elements=(
            _el(
                "damage_level", "破损程度", "Damage", "choice",
                (
                    _c("outer", "外包装破损", "Outer packaging only"),
                    _c("partial", "物品部分损坏", "Contents partly damaged"),
                    _c("total", "物品完全损毁", "Contents destroyed"),
                ),
            ),
        ),
    ),
    # 理赔 — insurance claims (保单号、出险日期、索赔金额).
    CategorySpec(
        "claims", "理赔", "Claims", "complaint", None, "claims", "complex",
        elements=(
            _POLICY_NO,
            _el("incident_date", "出险日期", "Date of loss", "date"),
            _el("claim_amount", "索赔金额", "Amount claimed", "amount"),
        ),
    ),
    CategorySpec(
        "claims-slow", "理赔时效慢", "Slow claim settlement", "complaint", "claims",
        elements=(_el("claim_submit_date", "报案日期", "Claim filed on", "date"),),
    ),
    CategorySpec(
        "claims-rejected", "拒赔争议", "Claim rejected", "complaint", "claims",
        elements=(_el("reject_reason", "拒赔理由", "Reason given", "text"),),
    ),
    CategorySpec(
        "claims-amount-dispute", "赔付金额争议", "Settlement amount dispute", "complaint", "claims",
        elements=(_el("paid_amount", "实际赔付金额", "Amount paid", "amount"),),
    ),
    # Disputes over ¥50,000: a special case, the plan needs the leader's sign-off (seed 003).
    CategorySpec(
        "claims-major-dispute", "大额理赔争议(5万元以上)", "Major claim dispute (over ¥50,000)",
        "complaint", "claims", default_severity="major", requires_approval=True,
    ),
)

_OTHER_KINDS: tuple[CategorySpec, ...] = (
    # 抱怨 — lighter complaints, mostly settled at once.
    CategorySpec(
        "grievance", "一般抱怨", "General grievance", "grievance", None, "channels", "simple",
        elements=(_SERVICE_NUMBER,),
    ),
    CategorySpec(
        "grievance-queue", "营业厅排队时间长", "Long queues at the hall", "grievance", "grievance",
        elements=(_HALL_NAME,),
    ),
    CategorySpec(
        "grievance-hotline-busy", "热线难以接通", "Hotline hard to reach", "grievance", "grievance",
        elements=(_el("call_times", "拨打次数", "Attempts", "number"),),
    ),
    # 咨询 — inquiries: the centre answers most on the spot; the rest go to the department that
    # knows (business rules: Channels; tariffs: Marketing; claim progress: the claims office).
    CategorySpec(
        "inquiry", "业务咨询", "Inquiry", "inquiry", None, "channels", "simple",
        elements=(
            _el(
                "inquiry_topic", "咨询主题", "Topic", "choice",
                (
                    _c("tariff", "资费套餐", "Tariffs and packages"),
                    _c("business_rule", "业务规则", "Business rules"),
                    _c("progress", "办理进度", "Progress of a case"),
                    _c("other", "其他", "Other"),
                ),
            ),
        ),
    ),
    CategorySpec(
        "inquiry-tariff", "资费套餐咨询", "Tariff inquiry", "inquiry", "inquiry",
        owning_department="marketing",
    ),
    CategorySpec(
        "inquiry-claim-progress", "理赔进度查询", "Claim progress inquiry", "inquiry", "inquiry",
        owning_department="claims", elements=(_POLICY_NO,),
    ),
    # 建议 — suggestions.
    CategorySpec(
        "suggestion", "意见建议", "Suggestion", "suggestion", None, "marketing", "simple",
        elements=(
            _el(
                "suggestion_area", "建议方向", "Area", "choice",
                (
                    _c("product", "产品与资费", "Products and tariffs"),
                    _c("service", "服务流程", "Service process"),
                    _c("network", "网络建设", "Network build-out"),
                    _c("channel", "渠道与APP", "Channels and app"),
                ),
            ),
        ),
    ),
    CategorySpec("suggestion-product", "产品资费建议", "Product suggestion", "suggestion", "suggestion"),
    CategorySpec(
        "suggestion-service", "服务改进建议", "Service suggestion", "suggestion", "suggestion",
        owning_department="channels",
    ),
    # 故障 — fault reports (same address/time elements as network complaints).
    CategorySpec(
        "fault", "故障报修", "Fault report", "fault", None, "network-ops", "general",
        elements=(_FAULT_ADDRESS, _FAULT_START, _SERVICE_NUMBER),
    ),
    CategorySpec(
        "fault-broadband", "宽带故障报修", "Broadband fault", "fault", "fault",
        elements=(_BROADBAND_ACCOUNT,),
    ),
    CategorySpec("fault-iptv", "电视机顶盒故障", "TV set-top box fault", "fault", "fault"),
    # 商机 — sales leads: routed to the regional sales lead (seed 002 销售机会反馈).
    CategorySpec(
        "sales-lead", "商机", "Sales lead", "sales_lead", None, "marketing", "simple",
        elements=(
            _el("contact_person", "联系人", "Contact person", "text"),
            _el("contact_phone", "联系电话", "Contact phone", "phone"),
            _el("lead_address", "地址", "Address", "text"),
        ),
    ),
    CategorySpec("sales-lead-broadband", "宽带新装意向", "New broadband", "sales_lead", "sales-lead"),
    CategorySpec(
        "sales-lead-enterprise", "集团客户需求", "Business customer", "sales_lead", "sales-lead",
        elements=(
            _el("company_name", "单位名称", "Company", "text"),
            _el("headcount", "员工人数", "Staff count", "number", required=False),
        ),
    ),
    CategorySpec("sales-lead-upgrade", "换机升档意向", "Handset / plan upgrade", "sales_lead", "sales-lead"),
)

CATEGORIES: tuple[CategorySpec, ...] = _COMPLAINT + _OTHER_KINDS
CATEGORY_BY_CODE: dict[str, CategorySpec] = {c.code: c for c in CATEGORIES}


def ancestors(code: str) -> list[CategorySpec]:
    """The chain from the root down to and including `code`."""
    chain = []
    node: CategorySpec | None = CATEGORY_BY_CODE[code]
    while node is not None:
        chain.append(node)
        node = CATEGORY_BY_CODE[node.parent] if node.parent else None
    return chain[::-1]


def top_level_of(code: str) -> str:
    return ancestors(code)[0].code


def elements_for(code: str) -> list[ElementSpec]:
    """Inherited required elements: the ancestors' first, then the node's own."""
    return [el for node in ancestors(code) for el in node.elements]


def owning_department_for(code: str) -> str | None:
    """The nearest node's owning department, as the model resolves it."""
    for node in reversed(ancestors(code)):
        if node.owning_department:
            return node.owning_department
    return None


def default_severity_for(code: str) -> str:
    for node in reversed(ancestors(code)):
        if node.default_severity:
            return node.default_severity
    return ""


# ---------------------------------------------------------------------------------------------
# 5. Complaint texts
# ---------------------------------------------------------------------------------------------

# Keyed by top-level category code; each non-complaint kind has one tree with one root.
TEXT_TEMPLATES: dict[str, tuple[TextTemplate, ...]] = {
    "billing": (
        TextTemplate(
            "{month}月账单多扣{amount}元，未订购{service}",
            "{month}月份的话费账单里多扣了{amount}元，我从来没有订购过{service}，要求退还并说明原因。",
            leaves=("billing-unsubscribed-charge",),
            title_en="Charged {amount} yuan in {month_en} for a service I never ordered",
            description_en=(
                "My {month_en} bill has a charge of {amount} yuan for a service I never subscribed to. "
                "Please refund it and tell me who ordered it on my number {phone}."
            ),
        ),
        TextTemplate(
            "乱扣费，要求退款，否则投诉工信部",
            "你们怎么回事？我这个号码{phone}用了十几年了，这个月账单突然冒出来一个{service}，"
            "扣了我{amount}块钱，我根本没订过！别跟我说什么可能是误点的，马上给我退钱，"
            "不然我就打工信部电话投诉你们。",
            leaves=("billing-unsubscribed-charge",),
            special=True,
        ),
        TextTemplate(
            "{package}实际收费与办理时承诺不符",
            "您好，我办的是{package}，营业厅当时说每个月就是套餐费，不会有别的费用。可是{month}月份账单"
            "比平时多了{amount}元，看明细也看不太懂，麻烦帮我核实一下是哪里出的费用，"
            "如果是你们算错了请退给我。谢谢。",
            leaves=("billing-package-fee",),
        ),
        TextTemplate(
            "改套餐后新旧套餐重复收费",
            "我上个月在{hall}把套餐改成了{package}，当时说好下个月生效，结果{month}月按新旧两个套餐"
            "都收了钱，一共多扣了{amount}元。我每个月都是自动扣款，也没人提醒我，麻烦尽快处理退回来。",
            leaves=("billing-package-fee",),
        ),
        TextTemplate(
            "{month}月流量费异常，多收{amount}元",
            "我手机一直开着流量提醒，{month}月份从来没收到超套短信，结果账单显示用了{data_mb}MB，"
            "多收了{amount}元流量费。那个月我大部分时间在家连的无线网，不可能用这么多，"
            "请你们调一下流量详单，给个说法。",
            leaves=("billing-data-overcharge",),
        ),
        TextTemplate(
            "国际漫游费远超承诺的封顶金额",
            "上个月去{country}出差，出发前专门打电话问过，说开了{roaming_pack}就按天收费、每天封顶。"
            "回来一看扣了{amount}元，比说好的多了好几倍。当时客服怎么说的你们可以调录音，"
            "多收的钱必须退。",
            leaves=("billing-roaming",),
        ),
        TextTemplate(
            "多次反映扣费无人回复，要求曝光",
            "连续三个月了，每个月都莫名其妙多出{amount}块，打了{times}次10086，每次都说核实后回电，"
            "结果没有一个人给我回过电话。账单我都截图了，这周再不给我处理，我就发到网上曝光，"
            "再去12315投诉。",
            special=True,
        ),
    ),
    "network": (
        TextTemplate(
            "{date}起家中手机完全无信号",
            "我家住在{address}，从{date}开始手机就一点信号都没有了，打个电话要跑到楼下路边才行。"
            "家里有老人，万一有个急事联系不上怎么办？请尽快派人来看看是不是基站坏了。",
            leaves=("network-no-coverage",),
            fixed={"signal_status": "no_signal", "indoor_outdoor": ("indoor", "both")},
        ),
        TextTemplate(
            "小区室内信号弱，请求加强覆盖",
            "你好，我们小区{address}这一片室内信号一直很弱，最近一个月更严重，视频电话经常卡住，"
            "语音也断断续续。邻居用的也是你们的卡，情况一样。麻烦安排工程师来测一下，"
            "看能不能加个室内覆盖，谢谢。",
            leaves=("network-no-coverage",),
            fixed={"signal_status": "weak", "indoor_outdoor": "indoor"},
        ),
        TextTemplate(
            "通话频繁掉线影响做生意",
            "最近打电话老是掉线，说不到两分钟就断，一天要掉好几次。我做生意全靠这个手机，"
            "客户都以为我故意挂他电话。地址是{address}，手机已经换过了也一样，肯定是你们网络的问题。",
            leaves=("network-call-drop",),
            fixed={"signal_status": "intermittent", "fault_frequency": ("always", "often")},
        ),
        TextTemplate(
            "5G满格但网速极慢",
            "手机显示5G满格，但是网速慢得要命，打开个网页都要半天，测速只有几百K。我办的是{package}，"
            "花这个钱用的就是这种网？从{date}到现在一直这样，地址在{address}。",
            leaves=("network-mobile-data",),
            fixed={"signal_status": "normal_but_unusable", "network_type": "5g"},
        ),
        TextTemplate(
            "宽带断网三天，报修无人上门",
            "家里宽带从{date}晚上开始就上不了网，光猫上的LOS灯一直闪红灯。宽带账号是{broadband_account}，"
            "已经报修两次了，说48小时内上门，现在三天了还没人来。孩子要上网课，你们到底什么时候能修好？",
            leaves=("network-broadband",),
            fixed={"signal_status": "no_signal"},
            title_en="Home broadband down since {date_en}, nobody has come",
            description_en=(
                "Our broadband has been down since the evening of {date_en}; the LOS light on the modem "
                "keeps flashing red. Account {broadband_account}. I reported it twice and was promised "
                "a visit within 48 hours, but after three days nobody has come."
            ),
        ),
        TextTemplate(
            "整栋楼断信号一周，业主准备找电视台",
            "{address}这一带断网断信号已经一个礼拜了，整栋楼几十户都受影响，你们一直说在抢修。"
            "我们业主群已经商量好了，明天再不恢复就联系电视台和报社来报道，同时向工信部投诉。",
            leaves=("network-no-coverage", "network-mobile-data"),
            special=True,
            fixed={"signal_status": "no_signal"},
        ),
    ),
    "service": (
        TextTemplate(
            "营业员态度恶劣，要求道歉",
            "{date}下午我去{hall}办业务，排了一个多小时队，轮到我的时候那个营业员（{staff}）"
            "一直在玩手机，问她问题爱答不理的，还说“不会看墙上的说明吗”。我是来办业务的，"
            "不是来受气的，要求你们严肃处理并给我道歉。",
            leaves=("service-hall-staff",),
            fixed={"service_point": "business_hall"},
        ),
        TextTemplate(
            "营业厅对老年人缺乏耐心",
            "想反映一下{hall}的服务问题。{date}我带我妈去补卡，老人家耳朵不好，多问了两句，"
            "工作人员（{staff}）明显不耐烦，说话声音很大。希望你们加强一下培训，对老年人耐心一点。",
            leaves=("service-hall-staff",),
            fixed={"service_point": "business_hall"},
        ),
        TextTemplate(
            "10086客服态度差并挂断电话",
            "{date}我打10086咨询套餐，客服{agent_id}说话很冲，我还没说完就打断我，最后直接把电话挂了。"
            "你们可以调一下录音，我要求这个客服给我道歉。",
            leaves=("service-hotline-agent",),
            fixed={"service_point": "hotline"},
        ),
        TextTemplate(
            "装维师傅迟到且未清理现场",
            "约好{appointment}上午上门装宽带，我专门请了假在家等，结果师傅快下午五点才来，"
            "来了也没一句道歉，装完把线头垃圾扔了一地就走了。希望你们管一管。",
            leaves=("service-installer",),
            fixed={"service_point": "installer"},
        ),
        TextTemplate(
            "记者反映营业厅服务问题，要求正式回应",
            "我是{media}的记者，接到多位读者反映你们{hall}存在强制捆绑销售、服务态度恶劣的问题，"
            "我本人{date}也去暗访过，视频都拍下来了。请你们在两天内给出正式书面回应，"
            "否则我们将按原稿发布。",
            leaves=("service-media-exposure",),
            special=True,
            fixed={"service_point": "business_hall"},
        ),
        TextTemplate(
            "被工作人员推搡，视频已发网上",
            "你们的服务实在太差了，{date}我在{hall}被工作人员推搡，视频我已经发到了{media}，"
            "现在已经有几万的播放量了。你们今天要是不给我一个满意的答复，我就接着发，"
            "再去消协和工信部投诉。",
            leaves=("service-media-exposure",),
            special=True,
            fixed={"service_point": "business_hall"},
        ),
    ),
    "business": (
        TextTemplate(
            "退订{business}被来回推诿",
            "我想把{business}退掉，打10086说要去营业厅办，去了营业厅又说要打10086，来回推了三次了。"
            "退订一个业务为什么这么难？请直接帮我在系统里办掉，从这个月开始不要再扣钱。",
            leaves=("business-cancel-blocked",),
            fixed={"business_name": ("宽带业务", "副卡", "家庭亲情网", "视频彩铃包月"), "cancel_channel": "hotline"},
        ),
        TextTemplate(
            "携号转网被设置障碍，要求解除限制",
            "我{date}就申请携号转网了，查询一直显示不满足条件，说是有合约没到期。我根本不记得办过什么合约，"
            "营业厅也拿不出我签字的协议。这就是故意设置障碍不让转网，我要求马上解除限制，"
            "不然我就去工信部投诉。",
            leaves=("business-number-porting",),
            special=True,
            fixed={"business_name": "携号转网"},
        ),
        TextTemplate(
            "携号转网提示有未签署的优惠协议",
            "您好，我的号码{phone}在{date}申请转出，被告知有一个{package}的优惠协议没到期，"
            "可是我从来没签过这个协议，麻烦帮忙核实一下并解除，谢谢。",
            leaves=("business-number-porting",),
            fixed={"business_name": "携号转网"},
        ),
        TextTemplate(
            "营业员操作错误导致主卡套餐被改",
            "{date}在{hall}办理{business}，工作人员操作错了，把我主卡的套餐给改了，现在每个月多扣钱还少了流量。"
            "当时我就问过她确定没弄错吗，她说没问题。现在出了问题谁负责？要求恢复原套餐并退还多扣的费用。",
            leaves=("business-wrong-processing",),
            fixed={"business_name": ("副卡办理", "套餐变更", "家庭亲情网")},
        ),
        TextTemplate(
            "身份证名下多出陌生号码",
            "今天去营业厅才发现我身份证名下多了一个号码，我从来没办过，不知道是谁拿我的证件办的。"
            "万一被人拿去干坏事怎么办？要求马上查清楚是哪个网点办的，把这个号码注销掉，并给我书面说明。",
            leaves=("business-real-name",),
            fixed={"business_name": "实名登记", "real_name_issue": "not_own"},
        ),
        TextTemplate(
            "实名信息登记错误一个多月未改正",
            "我的号码实名信息登记错了，名字少了一个字，导致我现在没办法在网上办业务，"
            "去了两次营业厅都说要等系统处理，一个多月了还没改好，到底要等到什么时候？",
            leaves=("business-real-name",),
            fixed={"business_name": "实名登记", "real_name_issue": "info_wrong"},
        ),
    ),
    "vas": (
        TextTemplate(
            "未订购{service}却每月扣费",
            "我从来没订过什么{service}，也没回过什么短信，从{date}开始每个月扣{amount}块，一直扣到现在。"
            "请把这几个月扣的钱全部退回来，并告诉我到底是谁给我开通的。",
            leaves=("vas-sp-subscription",),
            fixed={"subscribe_method": "unknown"},
        ),
        TextTemplate(
            "点击弹窗关闭被诱导订购",
            "前几天用手机上网，页面上跳出来一个弹窗，我就点了一下关闭，结果马上收到短信说成功订购{service}，"
            "每月{amount}元。这明显是诱导订购，请立即给我退订并退费。",
            leaves=("vas-sp-subscription",),
            fixed={"subscribe_method": "app_popup"},
        ),
        TextTemplate(
            "未经同意开通视频彩铃",
            "朋友打我电话说听到的是一段广告视频，我才知道被开了视频彩铃。我从来没同意开这个东西，"
            "而且我是跑业务的，客户打过来看到这个很不专业。请马上关掉，已经扣的{amount}元退给我。",
            leaves=("vas-video-ringtone",),
            fixed={"ringtone_issue": "unwanted"},
        ),
        TextTemplate(
            "天天收到贷款广告短信",
            "这个月天天收到{spam_number}发来的贷款广告短信，回复退订了也没用，照样发。"
            "还有陌生电话推销，一天好几个。你们作为运营商就不能管一管吗？",
            leaves=("vas-spam",),
        ),
        TextTemplate(
            "再次被乱订增值业务，要求三倍赔偿",
            "你们和第三方合作乱扣费已经不是第一次了，上次就退过一次，这次又被开了{service}。"
            "我已经咨询过律师了，这次不给我三倍赔偿，我就直接起诉，同时向工信部和消协投诉。",
            leaves=("vas-sp-subscription",),
            special=True,
        ),
    ),
    "marketing": (
        TextTemplate(
            "“{campaign}”承诺的赠品未兑现",
            "{date}参加了你们“{campaign}”活动，当时说预存话费就送{gift}，到现在两个月了东西也没见到，"
            "打电话问营业厅说礼品发完了。活动是你们自己搞的，承诺的就要兑现，"
            "价值{amount}元的东西要么给我补上要么折现。",
            leaves=("marketing-gift-missing",),
        ),
        TextTemplate(
            "活动返还话费中途停止",
            "您好，我是{date}在{hall}办的“{campaign}”，说每个月返还话费，一共返{amount}元，"
            "可是从第二个月开始就没再返了。麻烦帮我查一下是什么原因，谢谢。",
            leaves=("marketing-gift-missing",),
        ),
        TextTemplate(
            "外呼推荐套餐隐瞒最低消费",
            "你们客服打电话给我推荐{package}，说比我原来的便宜还多送流量，我就同意了。改了以后才发现"
            "每月最低消费比原来高，而且两年内不能改。打电话的时候根本没提这些，这是欺骗消费者，"
            "要求恢复原来的套餐。",
            leaves=("marketing-misleading",),
            fixed={"promotion_channel": "outbound_call"},
        ),
        TextTemplate(
            "“0元购机”虚假宣传，将向12315举报",
            "营业厅门口的海报写着“{campaign}，0元购机”，进去办了才知道要签两年合约，每月最低消费{amount}元。"
            "海报上的小字根本看不见，这就是虚假宣传，你们不解除合约我就去12315举报。",
            leaves=("marketing-misleading",),
            special=True,
            fixed={"promotion_channel": "business_hall"},
        ),
        TextTemplate(
            "合约机频繁死机，要求换新",
            "参加合约购机活动买的{device}，用了不到一个月就频繁死机、自动重启，售后检测说是主板问题，"
            "可营业厅说过了7天不给换。我合约要绑两年，手机却用不了，要求给我换一台新机。",
            leaves=("marketing-contract-phone",),
        ),
    ),
    "parcel": (
        TextTemplate(
            "包裹{waybill_no}物流停滞十多天",
            "我{date}寄了一个包裹，运单号{waybill_no}，里面是{item}，价值{amount}元。物流信息显示到了"
            "{city}中转站以后就再没更新过，已经十多天了。打你们电话只会说在查，请给我一个准确答复，"
            "找不到就按价赔偿。",
            leaves=("parcel-lost",),
        ),
        TextTemplate(
            "包裹丢失半月无方案，将投诉至邮政管理局",
            "包裹丢了整整半个月，客服每次都说“已催促网点”，一点用都没有。单号{waybill_no}，"
            "东西是{item}，{amount}块钱买的。今天下午之前不给我解决方案，我就去邮政管理局和12315投诉，"
            "再发到网上让大家看看你们的服务。",
            leaves=("parcel-lost",),
            special=True,
        ),
        TextTemplate(
            "包裹超过承诺时间仍未送达",
            "{date}寄出的{item}，说好{promised}前送到，现在过了三天了还停在{city}没动。"
            "这是给家里老人的生日礼物，已经耽误了。请帮忙催一下，尽快派送。",
            leaves=("parcel-delayed",),
        ),
        TextTemplate(
            "显示派送中两天仍未收到",
            "您好，运单{waybill_no}显示“派送中”已经两天了，一直没人联系我，打快递员电话也打不通。"
            "请帮忙查询一下什么时候能送到，谢谢。",
            leaves=("parcel-delayed",),
            title_en="Parcel {waybill_no} stuck 'out for delivery'",
            description_en=(
                "Tracking for {waybill_no} has said 'out for delivery' for two days, nobody has "
                "contacted me and the courier does not answer. Could you please check when it will "
                "arrive? Thank you."
            ),
        ),
        TextTemplate(
            "收到包裹物品损毁，要求照价赔偿",
            "今天收到快递，外箱都压扁了，里面的{item}摔坏了。签收的时候快递员一直催我签字，不让先验货。"
            "单号{waybill_no}，物品价值{amount}元，要求照价赔偿。",
            leaves=("parcel-damaged",),
            fixed={"damage_level": ("partial", "total")},
        ),
        TextTemplate(
            "包裹外包装破损，少了配件",
            "包裹外包装破了一个大口子，东西看着没坏，但是少了一个配件。单号{waybill_no}，"
            "麻烦核实一下是不是运输途中丢的。",
            leaves=("parcel-damaged",),
            fixed={"damage_level": "outer"},
        ),
    ),
    "claims": (
        TextTemplate(
            "材料交齐一个多月理赔仍在审核",
            "我{date}出的险，{submit_date}就把材料全部交齐了，你们说十个工作日内出结果，"
            "现在一个多月了还在“审核中”。保单号{policy_no}，申请赔付{amount}元。"
            "每次打电话都说在走流程，到底卡在哪一步？",
            leaves=("claims-slow",),
        ),
        TextTemplate(
            "理赔一直显示待补充材料，无人通知",
            "您好，想问一下保单{policy_no}的理赔进度。我{submit_date}提交的材料，系统一直显示待补充，"
            "但是没人通知我要补什么。麻烦帮忙看一下，谢谢。",
            leaves=("claims-slow",),
            title_en="Claim under policy {policy_no}: no progress",
            description_en=(
                "I handed in my claim documents on {submit_date_en}. The system keeps saying more "
                "documents are needed, but nobody has told me which. Policy {policy_no}. Could you "
                "please look into it? Thank you."
            ),
        ),
        TextTemplate(
            "以“{reject_reason}”为由拒赔",
            "我买的{insurance}，保单号{policy_no}，{date}出险住院花了{amount}元，现在你们以"
            "“{reject_reason}”为由拒赔。买保险的时候业务员根本没提过这一条，现在说不赔就不赔，我不接受。",
            leaves=("claims-rejected",),
        ),
        TextTemplate(
            "拒赔理由不成立，将向金融监管部门投诉",
            "拒赔理由完全站不住脚，合同里根本没有“{reject_reason}”这一条。保单号{policy_no}。"
            "如果你们坚持不赔，我就向金融监管部门投诉。",
            leaves=("claims-rejected",),
            special=True,
        ),
        TextTemplate(
            "实际赔付{paid_amount}元远低于花费",
            "理赔款到账了，只有{paid_amount}元，我实际花了{amount}元，差得也太多了。"
            "你们给的计算明细看不懂，扣除的项目也没人解释。请安排专人跟我把每一项说清楚。",
            leaves=("claims-amount-dispute",),
        ),
        TextTemplate(
            "大额理赔拖延三个月，已请律师",
            "我父亲{date}出了车祸，按{insurance}的条款应该赔{amount}元，你们拖了三个月，最后说要打折赔付。"
            "这么大的事情你们这样处理，我已经请了律师，也在联系报社，下周还没有合理答复的话，我们法庭上见。",
            leaves=("claims-major-dispute",),
            special=True,
        ),
    ),
    "grievance": (
        TextTemplate(
            "营业厅只开两个窗口，排队太久",
            "{hall}就开了两个窗口，我前面排了二十多个人，等了快一个半小时。周末人多你们也不多开几个窗口，"
            "希望改进一下。",
            leaves=("grievance-queue",),
        ),
        TextTemplate(
            "取号机坏了无人维持秩序",
            "去{hall}交个话费，取号机坏了没人管，大家乱糟糟地排，工作人员也不出来维持一下秩序。"
            "就是说一下，希望你们重视。",
            leaves=("grievance-queue",),
        ),
        TextTemplate(
            "10086转人工打了{times}次都打不进",
            "打10086转人工打了{times}次都没打进去，每次都是“坐席忙”，等了十几分钟又自动挂断，太耽误事了。",
            leaves=("grievance-hotline-busy",),
        ),
        TextTemplate(
            "营销短信太多",
            "你们的营销短信太频繁了，一天好几条，能不能少发点？不算投诉，就是反映一下，挺烦的。",
            leaves=("grievance",),  # off-topic for the specific leaves: root only
        ),
    ),
    "inquiry": (
        TextTemplate(
            "咨询流量更多的套餐和副卡",
            "你好，我现在用的是{package}，想问一下有没有流量多一点、价格差不多的套餐？"
            "家里两个人用，能不能办个副卡一起共享？",
            leaves=("inquiry-tariff",),
            fixed={"inquiry_topic": "tariff"},
        ),
        TextTemplate(
            "咨询{country}国际漫游资费",
            "请问出国去{country}的话，流量怎么收费？有没有按天的包？需要提前多久开通？",
            leaves=("inquiry-tariff",),
            fixed={"inquiry_topic": "tariff"},
        ),
        TextTemplate(
            "查询保单{policy_no}理赔进度",
            "想问一下我的理赔办到哪一步了，保单号{policy_no}，材料上周已经交了。",
            leaves=("inquiry-claim-progress",),
            fixed={"inquiry_topic": "progress"},
            title_en="Claim progress for policy {policy_no}",
            description_en=(
                "Could you tell me how far my claim has got? Policy number {policy_no}; "
                "I handed in the documents last week."
            ),
        ),
        TextTemplate(
            "咨询携号转网条件",
            "请问携号转网需要满足什么条件？我的号码{phone}能不能转？要去营业厅办还是网上就能办？",
            leaves=("inquiry",),
            fixed={"inquiry_topic": "business_rule"},
        ),
    ),
    "suggestion": (
        TextTemplate(
            "建议推出老年人低价套餐",
            "建议给老年人出一个便宜点的套餐，我爸妈基本只打电话，现在最便宜的也要{amount}块，"
            "里面的流量他们根本用不上。",
            leaves=("suggestion-product",),
            fixed={"suggestion_area": "product"},
        ),
        TextTemplate(
            "建议营业厅设老年人专用窗口",
            "建议营业厅设一个老年人专用窗口，或者安排工作人员帮忙取号，很多老人不会用取号机，"
            "在{hall}经常看到老人站在机器前不知道怎么弄。",
            leaves=("suggestion-service",),
            fixed={"suggestion_area": "service"},
        ),
        TextTemplate(
            "建议手机营业厅把账单入口放首页",
            "手机营业厅里查账单的入口藏得太深了，找了半天才找到，建议放到首页显眼的地方。",
            leaves=("suggestion",),
            fixed={"suggestion_area": "channel"},
        ),
        TextTemplate(
            "建议在新建小区附近加建基站",
            "{address}附近新建了好几个小区，晚上上网特别卡，建议在这边加建基站。",
            leaves=("suggestion",),
            fixed={"suggestion_area": "network"},
        ),
    ),
    "fault": (
        TextTemplate(
            "宽带无法上网，光猫红灯闪烁",
            "宽带突然上不了网，光猫指示灯红灯一直闪，重启了好几次都不行。账号{broadband_account}，"
            "地址{address}，麻烦尽快安排师傅上门。",
            leaves=("fault-broadband",),
            title_en="Broadband down, modem light flashing red",
            description_en=(
                "The broadband suddenly stopped working and the modem light keeps flashing red; "
                "restarting it several times did not help. Account {broadband_account}. Please send "
                "an engineer as soon as possible."
            ),
        ),
        TextTemplate(
            "宽带每晚八点后特别卡",
            "从{date}开始家里宽带每天晚上八点以后就特别卡，白天倒是正常。地址{address}，请帮忙检测一下线路。",
            leaves=("fault-broadband",),
        ),
        TextTemplate(
            "机顶盒开机卡在启动画面",
            "电视机顶盒开机一直停在启动画面进不去，遥控器电池也换过了，从{date}到现在都这样。"
            "地址{address}，请安排维修。",
            leaves=("fault-iptv",),
        ),
        TextTemplate(
            "楼道光交箱被撬，线缆外露",
            "{address}楼道里的光交箱门被撬开了，线缆耷拉在外面，怕小孩碰到出危险，请尽快派人来处理。",
            leaves=("fault",),
        ),
    ),
    "sales-lead": (
        TextTemplate(
            "新搬家想装宽带并融合手机套餐",
            "刚搬到{address}，想装宽带，最好能跟手机套餐合在一起，麻烦让这边的客户经理联系我，"
            "电话{phone}，找{name}就行。",
            leaves=("sales-lead-broadband",),
        ),
        TextTemplate(
            "{company}咨询集团套餐和专线",
            "我们是{company}，公司大概{headcount}人，想给员工统一办集团套餐，再拉一条专线，"
            "请安排业务经理联系。联系人{name}，电话{phone}。",
            leaves=("sales-lead-enterprise",),
        ),
        TextTemplate(
            "新开门店需要宽带和收银物联网卡",
            "我们在{address}新开了一家门店，要装宽带、固定电话，还想弄个收银用的物联网卡，"
            "有没有商户套餐？请联系{name}，电话{phone}。",
            leaves=("sales-lead-enterprise",),
        ),
        TextTemplate(
            "想换5G手机并升级套餐",
            "我的手机用了五年了，想换个5G手机，顺便把套餐升一档，你们最近有什么合约活动吗？"
            "可以打我电话{phone}，我姓{surname}。",
            leaves=("sales-lead-upgrade",),
        ),
    ),
}

# The "product / service concerned" (seed 003 基本信息), per nearest category; str.format slots.
_PRODUCTS: dict[str, str] = {
    "billing": "{package}",
    "billing-unsubscribed-charge": "{service}",
    "billing-roaming": "国际漫游",
    "network": "移动通信网络",
    "network-broadband": "家庭宽带",
    "service": "客户服务",
    "business": "{business}",
    "vas": "{service}",
    "vas-video-ringtone": "视频彩铃",
    "vas-spam": "短信与语音服务",
    "marketing": "{campaign}",
    "marketing-contract-phone": "{device}",
    "parcel": "快递寄递",
    "claims": "{insurance}",
    "grievance": "营业厅服务",
    "grievance-hotline-busy": "10086热线",
    "inquiry": "{package}",
    "inquiry-claim-progress": "{insurance}",
    "suggestion": "产品与服务",
    "fault": "家庭宽带",
    "fault-iptv": "家庭电视",
    "sales-lead": "家庭宽带",
    "sales-lead-enterprise": "集团专线",
    "sales-lead-upgrade": "5G合约购机",
}

# ---------------------------------------------------------------------------------------------
# Slot values (all invented: places in the fictional province, products, people)
# ---------------------------------------------------------------------------------------------

# 6. Customer names.
CUSTOMER_NAMES: tuple[str, ...] = (
    "王秀兰", "李建国", "张丽娟", "刘海燕", "陈志明", "杨桂芳", "赵德胜", "黄晓梅", "周国强", "吴淑珍",
    "徐文博", "孙玉兰", "马红霞", "朱建平", "胡春生", "郭美玲", "何志刚", "高翠英", "林小峰", "罗丽华",
    "梁永强", "宋雅琴", "郑浩然", "谢金凤", "韩立新", "唐静怡", "冯志远", "于秀梅", "董建军", "萧雨桐",
    "程宏伟", "曹丽萍", "袁海波", "邓晓丽", "许振华", "傅雪梅", "沈家豪", "曾凡英", "彭俊杰", "吕淑华",
    "苏明辉", "卢晓燕", "蒋文杰", "蔡丽君", "贾振东", "丁玉洁", "魏国庆", "薛佳慧", "叶志勇", "阎素芬",
    "余晨阳", "潘月娥", "杜宇航", "戴美华", "夏子轩", "钟秀云", "汪立群", "田晓光", "任婉清", "姜永福",
)

SLOT_VALUES: dict[str, tuple[str, ...]] = {
    "address": (
        "临江市江北县滨江路88号金桂花园3栋",
        "临江市白沙县白沙镇人民路12号",
        "临江市新城大道256号锦绣华庭小区",
        "临江市城东区沿江北路41号",
        "云溪市青山县青山镇文化街7号",
        "云溪市人民路188号云溪商厦",
        "云溪市高新区科创路19号翠湖湾小区",
        "石城市松岭县松岭大道301号",
        "石城市新华路66号和平里小区",
        "石城市东湖区东湖路9号职工宿舍",
    ),
    "hall": (
        "临江城东营业厅", "云溪人民路营业厅", "石城新华路营业厅",
        "江北县滨江营业厅", "青山县中心营业厅", "松岭县营业厅",
    ),
    "staff": (
        "工号J2031的女营业员", "一个戴眼镜的男营业员", "3号窗口的工作人员",
        "扎马尾的年轻女营业员", "当班的值班经理",
    ),
    "service": (
        "视频彩铃", "流量加油包", "视频会员包月", "来电提醒", "手机报", "云盘会员", "游戏点券包", "国际漫游",
    ),
    "package": (
        "畅享128元套餐", "5G智享199元套餐", "家庭融合158元套餐", "畅聊58元套餐",
        "校园29元套餐", "关爱18元老年套餐",
    ),
    "business": ("宽带业务", "副卡", "家庭亲情网", "套餐变更", "补换卡", "携号转网", "视频彩铃包月"),
    "campaign": ("预存话费送好礼", "老用户升级5G享半价", "宽带新装送三个月", "合约购机0元购", "充100送50"),
    "gift": ("一个电饭煲", "一副蓝牙耳机", "100元话费", "一台平板电脑", "每月10GB流量"),
    "device": ("星河S10 5G手机", "远航Pro 5G手机", "青禾8X手机", "云帆Note 12手机"),
    "item": ("一部手机", "一台笔记本电脑", "一套护肤品", "一台平板电脑", "几件冬装", "一批样品"),
    "city": ("临江", "云溪", "石城", "江北县"),
    "country": ("日本", "泰国", "新加坡", "法国", "澳大利亚", "阿联酋"),
    "roaming_pack": ("国际漫游日包", "多国流量日包", "港澳台漫游包"),
    # Accident / health cover only: the claim stories speak of accidents and hospital stays.
    "insurance": ("个人意外险", "综合意外险", "住院医疗险", "驾乘人员意外险", "百万医疗险"),
    "reject_reason": (
        "既往症不在保障范围", "投保时未如实告知病史", "出险时间在等待期内", "事故不属于意外伤害",
    ),
    "media": ("临江晚报", "江南都市频道", "江南新闻网", "云溪日报", "一个短视频平台"),
    "company": (
        "临江市恒通建材有限公司", "云溪市百味餐饮管理有限公司", "石城市宏远物流有限公司",
        "江南新锐科技有限公司",
    ),
    "name": CUSTOMER_NAMES,
    "surname": ("王", "李", "张", "刘", "陈", "杨", "赵", "黄"),
    # Fallbacks for slots that usually come from an element (used only when it is absent).
    "amount": ("30", "58", "88", "128", "199"),
    "paid_amount": ("500", "1200", "3000"),
    "times": ("三", "四", "五", "好几"),
    "data_mb": ("5000", "12000", "30000"),
    "headcount": ("30", "80", "200"),
}

# Slots drawn by code rather than from a list: serial numbers and dates relative to `today`.
_SlotGenerator = Callable[[random.Random, dt.date], str]


def _days_ago(rng: random.Random, today: dt.date, lo: int, hi: int) -> dt.date:
    return today - dt.timedelta(days=rng.randint(lo, hi))


def _zh_date(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def _en_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')}"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


_SLOT_GENERATORS: dict[str, _SlotGenerator] = {
    "phone": lambda rng, today: random_mobile(rng),
    "waybill_no": lambda rng, today: "JX" + _digits(rng, 12),
    "policy_no": lambda rng, today: f"PJN{today.year - rng.randint(0, 2)}{_digits(rng, 10)}",
    "broadband_account": lambda rng, today: "KD" + _digits(rng, 10),
    "agent_id": lambda rng, today: f"KF{rng.randint(1000, 9999)}",
    "spam_number": lambda rng, today: rng.choice(("1069", "1065")) + _digits(rng, 9),
    "date": lambda rng, today: _zh_date(_days_ago(rng, today, 1, 20)),
    "date_en": lambda rng, today: _en_date(_days_ago(rng, today, 1, 20)),
    "appointment": lambda rng, today: _zh_date(_days_ago(rng, today, 1, 10)),
    "promised": lambda rng, today: _zh_date(_days_ago(rng, today, 2, 5)),
    "submit_date": lambda rng, today: _zh_date(_days_ago(rng, today, 20, 45)),
    "submit_date_en": lambda rng, today: _en_date(_days_ago(rng, today, 20, 45)),
    "month": lambda rng, today: str(today.month),
    "month_en": lambda rng, today: today.strftime("%B"),
}

# Slots an English template may use: numbers, serials and English dates, no Chinese values.
_LANGUAGE_NEUTRAL_SLOTS = frozenset(
    {"amount", "paid_amount", "phone", "waybill_no", "policy_no", "broadband_account",
     "times", "data_mb", "month_en", "date_en", "submit_date_en"}
)


def _plain_amount(value: str) -> str:
    """'58.00' → '58', '29.90' → '29.9': how customers say amounts."""
    return format(Decimal(value).normalize(), "f")


def _month(value: str) -> str:
    return str(dt.date.fromisoformat(value).month)


def _month_en(value: str) -> str:
    return dt.date.fromisoformat(value).strftime("%B")


def _md(value: str) -> str:
    return _zh_date(dt.date.fromisoformat(value))


def _md_en(value: str) -> str:
    return _en_date(dt.date.fromisoformat(value))


# Which text slots an element's value feeds (so the story and the elements agree), and for
# text elements the first slot is also where the value is drawn from. Earlier elements of
# the inheritance chain win when two feed the same slot.
_ELEMENT_SLOTS: dict[str, tuple[tuple[str, Callable[[str], str]], ...]] = {
    "service_number": (("phone", str),),
    "contact_phone": (("phone", str),),
    "contact_person": (("name", str), ("surname", lambda v: v[0])),
    "dispute_month": (("month", _month), ("month_en", _month_en)),
    "disputed_amount": (("amount", _plain_amount),),
    "charge_amount": (("amount", _plain_amount),),
    "promised_value": (("amount", _plain_amount),),
    "item_value": (("amount", _plain_amount),),
    "claim_amount": (("amount", _plain_amount),),
    "paid_amount": (("paid_amount", _plain_amount),),
    "service_name": (("service", str),),
    "sp_service": (("service", str),),
    "package_name": (("package", str),),
    "business_name": (("business", str),),
    "roaming_country": (("country", str),),
    "data_usage_mb": (("data_mb", str),),
    "call_times": (("times", str),),
    "headcount": (("headcount", str),),
    "fault_address": (("address", str),),
    "lead_address": (("address", str),),
    "hall_name": (("hall", str),),
    "staff_info": (("staff", str),),
    "agent_id": (("agent_id", str),),
    "campaign_name": (("campaign", str),),
    "device_model": (("device", str),),
    "waybill_no": (("waybill_no", str),),
    "policy_no": (("policy_no", str),),
    "broadband_account": (("broadband_account", str),),
    "spam_number": (("spam_number", str),),
    "media_name": (("media", str),),
    "reject_reason": (("reject_reason", str),),
    "company_name": (("company", str),),
    "fault_start": (("date", _md), ("date_en", _md_en)),
    "occurred_date": (("date", _md), ("date_en", _md_en)),
    "incident_date": (("date", _md), ("date_en", _md_en)),
    "send_date": (("date", _md), ("date_en", _md_en)),
    "join_date": (("date", _md), ("date_en", _md_en)),
    "first_charge_date": (("date", _md), ("date_en", _md_en)),
    "porting_date": (("date", _md), ("date_en", _md_en)),
    "process_date": (("date", _md), ("date_en", _md_en)),
    "received_date": (("date", _md), ("date_en", _md_en)),
    "appointment_date": (("appointment", _md),),
    "promised_date": (("promised", _md),),
    "claim_submit_date": (("submit_date", _md), ("submit_date_en", _md_en)),
    "exposure_date": (),
}

# How far back each date element lies (days before `today`); dispute_month is the 1st of a month.
_DATE_RANGES: dict[str, tuple[int, int]] = {
    "fault_start": (1, 20),
    "occurred_date": (1, 15),
    "appointment_date": (1, 10),
    "exposure_date": (0, 3),
    "porting_date": (1, 20),
    "process_date": (1, 30),
    "first_charge_date": (30, 120),
    "received_date": (0, 7),
    "join_date": (20, 180),
    "send_date": (8, 30),
    "incident_date": (20, 120),
    # Placeholders: _fix_dependent_values() moves these relative to send / incident date.
    "promised_date": (2, 5),
    "claim_submit_date": (10, 30),
}

_AMOUNT_RANGES: dict[str, tuple[int, int]] = {
    "disputed_amount": (5, 300),
    "charge_amount": (3, 30),
    "promised_value": (50, 600),
    "item_value": (50, 8000),
    "claim_amount": (800, 30000),
    "paid_amount": (100, 20000),  # placeholder: _fix_dependent_values() makes it part of the claim
}
# Per-category overrides: a "major dispute" must actually be over ¥50,000.
_AMOUNT_OVERRIDES: dict[tuple[str, str], tuple[int, int]] = {
    ("claims-major-dispute", "claim_amount"): (50001, 300000),
}

_NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "data_usage_mb": (3000, 60000),
    "call_times": (3, 15),
    "headcount": (15, 600),
}

# Prefixes of 11-digit mobile numbers that phonenumbers accepts as CN mobiles (13x/15x/18x).
MOBILE_PREFIXES: tuple[str, ...] = (
    "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "182", "183", "184", "187", "188",
)


def random_mobile(rng: random.Random) -> str:
    """An 11-digit Chinese mobile number (national format, no +86)."""
    return rng.choice(MOBILE_PREFIXES) + _digits(rng, 8)


def random_customer_name(rng: random.Random) -> str:
    return rng.choice(CUSTOMER_NAMES)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def template_slots(fmt: str) -> set[str]:
    """The str.format field names used by `fmt`."""
    return {name for _, name, _, _ in string.Formatter().parse(fmt) if name}


def applicable_templates(category_code: str) -> list[TextTemplate]:
    top = top_level_of(category_code)
    return [
        t for t in TEXT_TEMPLATES[top]
        if category_code == top or not t.leaves or category_code in t.leaves
    ]


def _money(rng: random.Random, lo: int, hi: int) -> str:
    whole = rng.randint(lo, hi)
    cents = rng.choice((0, 0, 0, 50, 90)) if hi < 1000 else 0
    return f"{whole}.{cents:02d}"


def _element_value(rng: random.Random, el: ElementSpec, category_code: str, today: dt.date):
    if el.type == "phone":
        return random_mobile(rng)
    if el.type == "choice":
        return rng.choice(el.choices)["value"]
    if el.type == "number":
        return rng.randint(*_NUMBER_RANGES[el.key])
    if el.type == "amount":
        lo, hi = _AMOUNT_OVERRIDES.get((category_code, el.key), _AMOUNT_RANGES.get(el.key, (10, 500)))
        return _money(rng, lo, hi)
    if el.type == "date":
        if el.key == "dispute_month":  # the 1st of this or one of the two previous months
            month_index = today.year * 12 + today.month - 1 - rng.randint(0, 2)
            return dt.date(month_index // 12, month_index % 12 + 1, 1).isoformat()
        return _days_ago(rng, today, *_DATE_RANGES[el.key]).isoformat()
    # text: drawn from the slot it feeds
    return _draw_slot(rng, _ELEMENT_SLOTS[el.key][0][0], today)


def _draw_slot(rng: random.Random, slot: str, today: dt.date) -> str:
    if slot in _SLOT_GENERATORS:
        return _SLOT_GENERATORS[slot](rng, today)
    return rng.choice(SLOT_VALUES[slot])


def _fix_dependent_values(rng: random.Random, values: dict, today: dt.date) -> None:
    """Values that only make sense relative to another element."""
    if "promised_date" in values and "send_date" in values:  # promised a few days after sending
        sent = dt.date.fromisoformat(values["send_date"])
        values["promised_date"] = (sent + dt.timedelta(days=rng.randint(2, 4))).isoformat()
    if "claim_submit_date" in values and "incident_date" in values:  # filed after the loss
        loss = dt.date.fromisoformat(values["incident_date"])
        filed = min(loss + dt.timedelta(days=rng.randint(1, 10)), today)
        values["claim_submit_date"] = filed.isoformat()
    if "paid_amount" in values and "claim_amount" in values:  # paid part of the claim
        claimed = int(Decimal(values["claim_amount"]))
        values["paid_amount"] = f"{claimed * rng.randint(25, 80) // 100}.00"


def render_text(
    rng: random.Random,
    category_code: str,
    *,
    today: dt.date | None = None,
    lang: str = "zh",
) -> dict:
    """A ticket's customer text and its required elements, consistent with each other.

    Returns {"title", "description", "product", "elements": {key: value}, "special"}.
    Element values follow their type: ISO dates, amounts as '58.00', numbers as int, phones as
    11-digit mobiles, choices from the element's values. Optional elements are sometimes left
    out. `lang="en"` prefers a template with an English text when the category has one.
    Deterministic for a given rng state and `today` (default REFERENCE_DATE).
    """
    today = today or REFERENCE_DATE
    candidates = applicable_templates(category_code)
    if lang == "en":
        candidates = [t for t in candidates if t.description_en] or candidates
    template = rng.choice(candidates)
    english = lang == "en" and bool(template.description_en)

    values: dict[str, object] = {}
    for el in elements_for(category_code):
        if not el.required and rng.random() < 0.3:
            continue
        fixed = template.fixed.get(el.key)
        if fixed is not None:
            values[el.key] = rng.choice(fixed) if isinstance(fixed, tuple) else fixed
        else:
            values[el.key] = _element_value(rng, el, category_code, today)
    _fix_dependent_values(rng, values, today)

    # Slots first from the elements (ancestors first), then drawn for the rest.
    context: dict[str, str] = {}
    for key, value in values.items():
        for slot, fmt in _ELEMENT_SLOTS.get(key, ()):  # choice values feed no slot
            context.setdefault(slot, fmt(str(value)))

    title_fmt = template.title_en if english else template.title
    description_fmt = template.description_en if english else template.description
    product_fmt = template.product or next(
        _PRODUCTS[node.code] for node in reversed(ancestors(category_code)) if node.code in _PRODUCTS
    )
    for slot in sorted(template_slots(title_fmt) | template_slots(description_fmt) | template_slots(product_fmt)):
        if slot not in context:
            context[slot] = _draw_slot(rng, slot, today)

    return {
        "title": title_fmt.format(**context),
        "description": description_fmt.format(**context),
        "product": product_fmt.format(**context),
        "elements": values,
        "special": template.special,
    }
