"""Loads the demo organisation of catalogue.py and generates its ticket history.

Every ticket is registered and moved through its workflow by the real services
(`ticket_register` and the functions of tickets/services/transitions.py), each step by a staff
account of the role and scope the workflow table asks for, backdated with `at=`. Nothing
writes a state directly, so the history is exactly what the product itself would record.

The history covers the last six months: old tickets are closed or archived, recent ones are
still on their way. A handful of "pinned" tickets stop in a chosen state so that even a small
load shows every state (the tests load 120 tickets). Deterministic for a given seed; the
dates follow the real clock, so the demo always looks current.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from complaintdesk.accounts.models import User
from complaintdesk.demo import catalogue as cat
from complaintdesk.demo import policies as deadlines
from complaintdesk.demo.answers import load_answers
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.screening.services.rules import special_phrases_match
from complaintdesk.sla.models import Calendar, ClockRule, Policy, TicketClock
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.sla.services.status import ticket_sla_status_refresh
from complaintdesk.sla.vocabulary import ClockState
from complaintdesk.taxonomy.models import Category, RequiredElement
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as tx
from complaintdesk.tickets.services.intake import TicketDraft, ticket_register

# The one password of every demo login: printed by `complaintdesk demo`, public on purpose.
DEMO_PASSWORD = "complaintdesk-demo"  # noqa: S105
DEMO_SEED = 20250616
HISTORY_DAYS = 182
# The API-only account: it gets tokens, never a password.
INTEGRATION_USERNAME = "integration"

FULL_KINDS = ("complaint", "grievance", "fault")
SHORT_KINDS = ("inquiry", "suggestion")


class DemoLoadError(RuntimeError):
    """The generated history disagrees with what the services did (a loader or service bug)."""


# ---------------------------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------------------------


@dataclass
class DemoOrg:
    units: dict[str, OrgUnit]
    departments: dict[str, Department]
    users: dict[str, User]


def load_organisation() -> DemoOrg:
    """Org units, departments, staff (one shared demo password), sales leads, categories."""
    for spec in cat.ORG_UNITS:
        fields = dict(code=spec.code, name=spec.name, name_en=spec.name_en, level=spec.level)
        if spec.parent is None:
            OrgUnit.add_root(**fields)
        else:
            # Re-read the parent: a sorted insert may have moved its path since it was created.
            OrgUnit.objects.get(code=spec.parent).add_child(**fields)
    units = {u.code: u for u in OrgUnit.objects.all()}

    Department.objects.bulk_create([
        Department(org_unit=units[d.org_unit], code=d.code, name=d.name, name_en=d.name_en,
                   is_centre=d.is_centre)
        for d in cat.DEPARTMENTS
    ])
    departments = {d.code: d for d in Department.objects.all()}

    # One hash for the one shared password: PBKDF2 costs ~0.3 s per call, and thirty calls
    # would be most of the load time. Same password, same security either way.
    password = make_password(DEMO_PASSWORD)
    staff = []
    for s in cat.STAFF:
        admin = s.role == "admin"
        user = User(
            username=s.username, display_name=s.display_name, role=s.role,
            last_name=s.display_name[:1], first_name=s.display_name[1:],
            email=f"{s.username}@jiangnan.example", employee_no=s.employee_no,
            org_unit=units[s.org_unit],
            department=departments[s.department] if s.department else None,
            is_staff=admin, is_superuser=admin,
        )
        if s.username == INTEGRATION_USERNAME:
            user.set_unusable_password()
        else:
            user.password = password
        staff.append(user)
    User.objects.bulk_create(staff)
    users = {u.username: u for u in User.objects.select_related("org_unit", "department")}
    for s in cat.STAFF:
        if s.sales_lead_for:
            # update(), not save(): never write back a possibly stale tree path.
            OrgUnit.objects.filter(code=s.sales_lead_for).update(sales_lead=users[s.username])

    elements = []
    for spec in cat.CATEGORIES:
        fields = dict(
            kind=spec.kind, code=spec.code, name=spec.name, name_en=spec.name_en,
            owning_department=departments[spec.owning_department] if spec.owning_department else None,
            default_severity=spec.default_severity or "", requires_approval=spec.requires_approval,
        )
        if spec.parent is None:
            node = Category.add_root(**fields)
        else:
            node = Category.objects.get(code=spec.parent).add_child(**fields)
        elements += [RequiredElement(category=node, **el.model_fields(i))
                     for i, el in enumerate(spec.elements)]
    RequiredElement.objects.bulk_create(elements)
    return DemoOrg(units={u.code: u for u in OrgUnit.objects.all()}, departments=departments,
                   users=users)


def load_deadlines(org: DemoOrg) -> tuple[int, int]:
    """The demo's working calendars and deadline policies (demo/policies.py).
    Returns (calendars, policies)."""
    for spec in deadlines.CALENDARS:
        calendar = Calendar.objects.create(
            name=spec.name, name_en=spec.name_en, always_open=spec.always_open,
            hours=[list(h) for h in spec.hours], is_default=spec.is_default,
        )
        calendar.org_units.set([org.units[code] for code in spec.org_units])
    categories = {c.code: c for c in Category.objects.filter(
        code__in=[p.category for p in deadlines.POLICIES if p.category])}
    for spec in deadlines.POLICIES:
        policy = Policy.objects.create(
            name=spec.name, name_en=spec.name_en, kind=spec.kind,
            category=categories[spec.category] if spec.category else None,
            severity=spec.severity, channel=spec.channel, priority=spec.priority,
        )
        ClockRule.objects.bulk_create([
            ClockRule(policy=policy, clock=r.clock, amount=r.amount, unit=r.unit,
                      daily_at=dt.time.fromisoformat(r.daily_at) if r.daily_at else None,
                      warn_share=r.warn_share, ladder=r.ladder_json())
            for r in spec.rules
        ])
    sla_config_changed()
    return len(deadlines.CALENDARS), len(deadlines.POLICIES)


# ---------------------------------------------------------------------------------------------
# Texts the staff write along the way (the customer's own text comes from render_text)
# ---------------------------------------------------------------------------------------------

HANDLING_NOTES: dict[str, tuple[str, ...]] = {
    "billing": (
        "调取计费详单核实：争议费用系误订购增值业务产生，已全额退还并关闭该业务，同时开通扣费短信提醒。",
        "核实套餐变更记录，新旧套餐在生效月重复计费，已冲正多收费用，下月账单体现。",
        "核查流量详单，费用由后台应用自动更新产生；已向客户解释计费规则，并按政策减免50%。",
        "核查漫游记录，日包未按约定封顶，系计费配置错误，已退还超出部分并致歉。",
    ),
    "network": (
        "安排网优工程师现场测试，确认附近基站故障导致覆盖变差，已修复基站，复测信号正常。",
        "现场测试室内信号弱，已加装室分设备，客户确认通话恢复正常。",
        "核实为光缆被施工挖断，已抢修恢复，并对受影响宽带用户减免三天月租。",
        "排查为客户终端网络设置问题，已现场指导客户调整设置，恢复正常。",
    ),
    "service": (
        "调取营业厅监控与录音，核实营业员服务用语不规范，已批评教育并扣减当月绩效，营业厅经理上门致歉。",
        "调听通话录音，客服人员解释不清且态度生硬，已安排复训，并向客户致歉。",
        "核实装维人员未按预约时间上门，已重新预约并由班组长跟进，对当事人通报批评。",
        "成立专项小组核实曝光事件，统一对外回应口径，对责任人按制度处理，并向客户当面致歉。",
    ),
    "business": (
        "核实退订流程确有推诿，已为客户即时办理退订，并统一营业厅与热线的业务口径。",
        "协调携出方与携入方核实，已解除不合理限制，携号转网已办理完成。",
        "核实业务办理差错，已恢复客户原有套餐并退还差价，对经办人员进行差错考核。",
        "核查实名登记信息，已注销非本人办理的号码并备案。",
    ),
    "vas": (
        "核查订购记录，该业务系合作方违规订购，已全额退费、退订并对合作方扣罚。",
        "已为客户关闭视频彩铃并退还扣费，开通增值业务订购二次确认。",
        "已将骚扰号码纳入拦截名单并通报相关运营商，为客户开通防骚扰服务。",
    ),
    "marketing": (
        "核实活动承诺属实，已补发赠品并向客户致歉。",
        "核查宣传材料，部分表述不准确，已下架相关宣传并按承诺为客户办理优惠。",
        "已协调厂家对合约机检测并更换新机。",
    ),
    "parcel": (
        "核查物流轨迹，包裹在转运中心滞留，已加急派送并按规定赔付延误费用。",
        "确认包裹丢失，已按声明价值先行赔付，并对转运环节责任人追责。",
        "已上门核验破损情况，按损失程度赔付，并改进易碎品包装要求。",
    ),
    "claims": (
        "调阅理赔案卷，资料齐全但审核环节超时，已加快审核并完成赔付，对经办人员进行时效考核。",
        "重新审核拒赔依据，原拒赔理由适用条款有误，已撤销拒赔决定并完成赔付。",
        "复核赔付金额计算过程，依据条款向客户逐项解释，并补付少算部分。",
    ),
    "grievance": (
        "已向客户解释并致歉；营业厅高峰时段增开窗口，推广线上预约取号。",
        "热线高峰时段已增加坐席并开通智能语音分流，已回电为客户办理业务。",
        "已向客户致歉并说明改进措施。",
    ),
    "fault": (
        "装维人员上门检测，更换光猫后宽带恢复正常。",
        "更换机顶盒并重新配置，电视业务已恢复。",
        "线路故障已抢修完成，客户确认恢复使用。",
    ),
    "inquiry": (
        "已核实客户所问业务规则并整理书面说明，交中心答复客户。",
        "已查询办理进度：资料审核完毕，预计三个工作日内办结。",
        "已比对客户近三个月使用情况，推荐适合的资费方案供答复。",
    ),
    "suggestion": (
        "建议已收悉，已纳入下季度产品优化需求评审。",
        "已转相关专业评估，部分内容将在下一版本手机营业厅中实现。",
    ),
}

PARTIAL_NOTES = (
    "已先行退还部分费用，剩余争议金额待核实后处理。",
    "已完成现场初步处理，后续整改措施仍在落实中。",
    "已先向客户致歉并说明情况，赔付事项仍在审核。",
)

CAUSES: dict[str, tuple[str, ...]] = {
    "billing": ("sales", "policy", "product_quality", "customer_misunderstanding"),
    "network": ("network", "network", "third_party"),
    "service": ("service",),
    "business": ("service", "policy"),
    "vas": ("third_party", "sales"),
    "marketing": ("sales", "policy"),
    "parcel": ("third_party", "service"),
    "claims": ("policy", "service"),
    "grievance": ("service", "policy"),
    "fault": ("network", "product_quality", "third_party"),
}

# Invented people found responsible (not demo logins, not customers).
RESPONSIBLE_PEOPLE: dict[str, tuple[str, ...]] = {
    "billing": ("计费支撑岗 周立", "账务中心 柯敏"),
    "network-ops": ("网优工程师 蒋涛", "装维班组长 马建"),
    "marketing": ("客户经理 孔亮", "活动负责人 温倩"),
    "channels": ("营业员 陈晓芸(J2031)", "值班经理 邓海", "话务员 KF2087"),
    "vas": ("合作方管理岗 侯宁",),
    "logistics": ("转运中心 石磊", "派送员 史小军"),
    "claims": ("理赔岗 苗青", "核赔岗 祁峰"),
}

PLANS = (
    "拟由部门负责人向客户当面致歉，按核实的损失给予补偿，对责任人通报批评。请领导批示。",
    "拟按规定先行赔付或退费，同步追究相关环节责任并整改流程。请批示。",
    "拟成立专项小组，统一对外回应口径，由分管领导约谈客户并给予适当补偿。请批示。",
)
PLAN_APPROVALS = ("同意，抓紧落实并及时反馈客户。", "同意。", "同意，注意对外口径统一。")
PLAN_REJECTIONS = (
    "补偿方案需先与客户沟通确认，请补充沟通情况后再报。",
    "请补充责任认定和整改措施。",
)
AUDIT_REJECTIONS = (
    "处理内容未逐项回应客户诉求，请补充。",
    "未说明责任人及处理结果，请补充。",
    "退费金额与客户争议金额不符，请核实后重新处理。",
)
AUDIT_NOTES = ("", "", "处理到位。", "同意，按处理结果答复客户。")
REPLIES = (
    "已致电客户告知核查结果和处理措施，客户表示认可。",
    "已电话并短信告知客户处理结果，并致歉。",
    "已向客户解释原因，告知退费到账时间。",
    "已答复客户，说明整改措施和补偿方案。",
)
SHORT_REPLIES = (
    "已电话答复客户咨询内容。",
    "已将办理规则和所需材料短信发送给客户。",
    "已感谢客户建议，并告知评估结果。",
)
CALLBACK_NOTES = {
    "satisfied": ("客户对处理结果满意。", "客户表示问题已解决，感谢跟进。", ""),
    "neutral": ("客户表示基本认可，希望今后改进。", "客户表示可以接受。"),
    "dissatisfied": ("客户对补偿方案不满意，要求进一步处理。", "客户表示问题仍未解决。"),
}
CLOSE_REASONS = ("连续三天回访未接通，按规定结案。", "客户手机关机，多次联系未果，结案。")
RETURN_REASONS = ("非本部门职责范围，请重新派单。", "经核实问题属于其他部门，退回重派。")
TRANSFER_REASONS = ("经初步核查，问题属于对方部门职责，转办处理。", "涉及对方部门业务系统，转办。")
CO_HANDLE_NOTES = ("请协助核查相关记录。", "涉及贵部门业务，请提供意见。")
ASSIST_INPUTS = (
    "已核查本部门系统记录，未发现异常，供参考。",
    "经核实，本部门已配合处理相关环节。",
    "已提供相关记录及处理意见。",
)
URGE_NOTES = ("已超过处理时限，请尽快处理并反馈。", "客户再次来电催问，请加快处理。")
SUPERVISE_NOTES = ("涉及媒体或监管投诉，列入督办，请每日报告进展。", "特殊投诉，由中心跟踪督办。")
INVALID = (
    ("经核实业务系客户本人办理并有签字确认，投诉不成立。",
     "您好，经核实该业务为您本人在营业厅办理并签字确认，费用计收无误。感谢您的理解。"),
    ("重复投诉，已并入原工单处理。",
     "您好，您反映的问题已在处理中，我们会在原工单中尽快答复您。"),
    ("诉求不属于本公司服务范围。",
     "您好，您反映的事项不在我司服务范围内，建议您联系相关单位。感谢您的来电。"),
)
SALES_INVALID = (("重复商机，已有客户经理跟进。", "您好，您的需求已有客户经理在跟进，稍后会与您联系。"),)
ON_SPOT = {
    "inquiry": (
        "已向客户介绍适合的套餐及办理方式，客户表示清楚。",
        "已告知业务办理规则和所需材料。",
        "已查询并告知办理进度。",
    ),
    "suggestion": ("已记录客户建议并致谢。",),
    "complaint": ("已向客户解释计费规则，客户表示理解，不再追究。", "已当场致歉并说明原因，客户接受。"),
    "grievance": ("已当场致歉并说明改进措施，客户接受。", "已为客户优先办理并致歉。"),
    "fault": ("已远程指导客户重启设备，恢复正常。",),
}
SALES_NOTES = ("已电话联系客户并上门沟通需求。", "已与客户面谈，介绍方案和资费。")
SALES_OUTCOMES = (
    "已签约500M宽带融合套餐", "已办理5G套餐升级", "集团专线需求已立项报价", "客户考虑中，约定下周再联系",
    "客户暂无需求，已登记",
)
REOPEN_REASONS = ("客户再次来电反映问题复发，重新处理。",)
INFO_QUESTIONS = (
    "请客户提供近三个月的缴费凭证或扣费短信截图。",
    "请客户确认故障发生的具体时间和地点。",
    "请客户补充提供身份证明及相关单据。",
)
INFO_ANSWERS = ("客户已通过短信发来截图。", "客户来电补充了具体情况。", "客户已到营业厅提交材料。")
PROGRESS_NOTES = (
    "已调取相关记录，正在核实，预计明日完成。",
    "已联系相关责任人了解情况，处理中。",
    "现场处理已完成一部分，剩余事项正在协调。",
)
AGREED_NOTES = ("与客户约定在此时间前给出处理结果。", "客户同意延后处理，约定时间回复。")
REDISPATCH_NOTES = ("客户回访不满意，请重新处理。",)


# ---------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------

SEC = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _span(rng: random.Random, lo: dt.timedelta, hi: dt.timedelta) -> dt.timedelta:
    """A wait between lo and hi, log-uniform: short waits common, long ones rare."""
    a, b = lo.total_seconds(), hi.total_seconds()
    return dt.timedelta(seconds=round(math.exp(rng.uniform(math.log(a), math.log(b)))))


# Local hours at which customers get in touch: the day, with an evening tail.
_HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 2, 6, 10, 10, 9, 6, 7, 9, 9, 8, 7, 5, 4, 3, 2, 1, 0]


# States in which the department reports progress (tickets/workflow.py PROGRESS_STATES).
PROGRESS_STATES = frozenset({"in_progress", "awaiting_approval", "awaiting_audit"})


def _agree_time(*, ticket_id, actor, at, ahead: dt.timedelta, note: str):
    """The handler records a time agreed with the customer, `ahead` of now."""
    return tx.ticket_set_agreed_time(ticket_id=ticket_id, actor=actor, at=at,
                                     agreed_time=at + ahead, note=note)


# ---------------------------------------------------------------------------------------------
# The plan of one ticket
# ---------------------------------------------------------------------------------------------


@dataclass
class _Step:
    delay: dt.timedelta
    fn: Callable
    actor: User
    after: str  # the state the workflow must be in afterwards
    kwargs: dict


@dataclass
class _Customer:
    name: str
    phone: str
    unit: str
    segment: str


@dataclass
class _Ticket:
    index: int
    kind: str
    category: str
    customer: _Customer
    channel: str
    registrar: User
    created_at: dt.datetime
    draft: TicketDraft
    requires_approval: bool  # as planning goes: review may make a ticket special
    approval_at_registration: bool
    # Pinned tickets stop in this state; the others run until the clock reaches now.
    pin: str | None = None
    force: dict = field(default_factory=dict)
    steps: list[_Step] = field(default_factory=list)


def _leaves() -> dict[str, list[str]]:
    parents = {c.parent for c in cat.CATEGORIES if c.parent}
    by_kind: dict[str, list[str]] = {}
    for c in cat.CATEGORIES:
        if c.code not in parents:
            by_kind.setdefault(c.kind, []).append(c.code)
    return by_kind


LEAVES = _leaves()
UNIT_SPECS = {u.code: u for u in cat.ORG_UNITS}
LEAF_UNITS = [u.code for u in cat.ORG_UNITS if not any(v.parent == u.code for v in cat.ORG_UNITS)]
APPROVAL_LEAVES = [code for code in LEAVES["complaint"]
                   if any(n.requires_approval for n in cat.ancestors(code))]

KIND_WEIGHTS = {"complaint": 62, "grievance": 10, "inquiry": 12, "suggestion": 4, "fault": 7,
                "sales_lead": 5}
CHANNEL_WEIGHTS = {
    "complaint": {"hotline": 42, "counter": 14, "app": 8, "web_portal": 7, "email": 4, "letter": 3,
                  "regulator_transfer": 5, "upper_level_transfer": 5, "media": 1},
    "grievance": {"hotline": 50, "counter": 30, "app": 10, "web_portal": 10},
    "inquiry": {"hotline": 60, "counter": 25, "app": 10, "web_portal": 5},
    "suggestion": {"hotline": 30, "web_portal": 25, "app": 25, "email": 10, "letter": 10},
    "fault": {"hotline": 60, "app": 25, "web_portal": 15},
    "sales_lead": {"hotline": 40, "counter": 40, "app": 10, "web_portal": 10},
}
# Special stories (threats of media, lawsuits, regulators) arrive more often by these channels.
SPECIAL_CHANNEL_WEIGHTS = {"hotline": 40, "regulator_transfer": 25, "upper_level_transfer": 15,
                           "media": 10, "web_portal": 10}
SEGMENT_WEIGHTS = {"regular": 50, "new": 15, "vip": 10, "near_contract_end": 10, "unknown": 15}
ON_SPOT_RATE = {"complaint": 0.04, "grievance": 0.3, "fault": 0.05, "inquiry": 0.6, "suggestion": 0.1}
INVALID_RATE = {"complaint": 0.05, "grievance": 0.04, "fault": 0.02, "inquiry": 0.03,
                "suggestion": 0.03, "sales_lead": 0.06}
# Channels where an agent talks to the customer and can settle a case at once.
LIVE_CHANNELS = frozenset({"hotline", "counter"})
# Arrivals through integrations: the hotline CTI, the web portal, the app, regulator transfers.
API_CHANNELS = frozenset({"web_portal", "app", "regulator_transfer"})
REGULATOR_TIERS = ("12315", "12300", "12345", "consumer_association", "12378")

# Every state of the full path, then the other paths' endings: pinned onto the first tickets.
PINS: tuple[tuple[str, str, dict], ...] = (
    ("complaint", "registered", {}),
    ("complaint", "awaiting_dispatch", {}),
    ("complaint", "dispatched", {}),
    ("complaint", "in_progress", {}),
    ("complaint", "awaiting_approval", {"approval": True}),
    ("complaint", "awaiting_audit", {}),
    ("complaint", "awaiting_reply", {}),
    ("complaint", "awaiting_callback", {}),
    ("complaint", "closed", {}),
    ("complaint", "archived", {}),
    ("inquiry", "closed", {"on_spot": True}),
    ("sales_lead", "closed", {}),
    ("complaint", "closed", {"invalid": True}),
)
_PIN_AGES = {"archived": (60, 150), "closed": (8, 25)}  # days; open states: (0.5, 6)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Generator:
    """Decides each ticket's story and the steps that move it, without touching the database."""

    def __init__(self, org: DemoOrg, rng: random.Random, now: dt.datetime):
        self.org = org
        self.rng = rng
        self.now = now
        self.customers: list[_Customer] = []
        u = org.users
        self.province_agents = [u["zhoumin"], u["wuli"]]
        self.dispatchers = [u["chenjing"], u["chenjing"], u["chenjing"], u["heyun"]]
        self.supervisor = u["heyun"]
        self.leader = u["zhangweiguo"]
        self.archivers = [u["chenjing"], u["chenjing"], u["admin"]]
        self.integration = u[INTEGRATION_USERNAME]
        self.handlers: dict[str, list[User]] = {}
        self.heads: dict[str, list[User]] = {}
        for s in cat.STAFF:
            if s.role == "handler":
                self.handlers.setdefault(s.department, []).append(u[s.username])
            elif s.role == "dept_head":
                self.heads.setdefault(s.department, []).append(u[s.username])
        self.sales_leads = {s.sales_lead_for: u[s.username] for s in cat.STAFF if s.sales_lead_for}
        self.working_departments = sorted(self.handlers)

    # -- who --------------------------------------------------------------------------------

    def unit_chain(self, code: str) -> list[str]:
        chain = []
        while code:
            chain.append(code)
            code = UNIT_SPECS[code].parent
        return chain

    def handler(self, department: str, unit: str) -> User:
        """A handler of the department, preferably one working in the customer's region."""
        chain = self.unit_chain(unit)
        staff = self.handlers[department]
        local = [h for h in staff if h.org_unit.code in chain] or staff
        return self.rng.choice(local)

    def head(self, department: str) -> User:
        return self.rng.choice(self.heads[department])

    def worker(self, department: str, unit: str) -> User:
        """Who acknowledges: mostly a handler, sometimes the department head."""
        return self.head(department) if self.rng.random() < 0.2 else self.handler(department, unit)

    def replier(self, t: _Ticket) -> User:
        # First-contact responsibility: the owner answers when they are a province agent.
        if t.registrar in self.province_agents:
            return t.registrar
        return self.rng.choice(self.province_agents)

    def registrar(self, channel: str, unit: str) -> User:
        if channel in API_CHANNELS:
            return self.integration
        u = self.org.users
        if channel == "counter":
            if unit == "jn-linjiang-chengdong":
                return u["lintao"]
            if "jn-linjiang" in self.unit_chain(unit) and self.rng.random() < 0.5:
                return u["sunli"]
        return self.rng.choice(self.province_agents)

    def other_department(self, *exclude: str) -> str:
        return self.rng.choice([d for d in self.working_departments if d not in exclude])

    def decide(self, t: _Ticket, key: str, probability: float) -> bool:
        if key in t.force:
            return bool(t.force[key])
        return self.rng.random() < probability

    # -- what -------------------------------------------------------------------------------

    def created_at(self, age: dt.timedelta, *, daytime: bool) -> dt.datetime:
        at = self.now - age
        if daytime:
            local = timezone.localtime(at)
            hour = self.rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
            at = local.replace(hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60))
            while at > self.now - 5 * MIN:
                at -= DAY
        return at

    def customer(self, unit: str | None = None) -> _Customer:
        rng = self.rng
        if unit is None and self.customers and rng.random() < 0.22:
            return rng.choice(self.customers)  # a repeat customer
        c = _Customer(
            name=cat.random_customer_name(rng), phone=cat.random_mobile(rng),
            unit=unit or rng.choice(LEAF_UNITS), segment=_weighted(rng, SEGMENT_WEIGHTS),
        )
        self.customers.append(c)
        return c

    def ticket(self, index: int, kind: str, pin: str | None = None, force: dict | None = None) -> _Ticket:
        rng = self.rng
        force = dict(force or {})
        if pin is None:
            # Denser towards today (a growing service): more of the recent, still open work.
            age = dt.timedelta(days=max(0.02, HISTORY_DAYS * rng.random() ** 1.3))
        else:
            lo, hi = _PIN_AGES.get(pin, (0.5, 6))
            age = dt.timedelta(days=rng.uniform(lo, hi))
        if pin is not None and pin not in ("closed", "archived"):
            # An open pinned ticket must not settle on the spot or as invalid before its pin.
            force.setdefault("on_spot", False)
            force.setdefault("invalid", False)
        if force.get("on_spot") or force.get("invalid"):
            force.setdefault("on_spot", False)
            force.setdefault("invalid", False)
        if pin is not None and kind in FULL_KINDS:
            for key in ("dissatisfied", "unreachable", "reopen", "wrong_dispatch", "transfer"):
                force.setdefault(key, False)
        leaves = APPROVAL_LEAVES if force.get("approval") else LEAVES[kind]
        weights = [0.3 if code in APPROVAL_LEAVES else 1.0 for code in leaves]
        category = rng.choices(leaves, weights=weights)[0]
        customer = self.customer()
        text_lang = "en" if rng.random() < 0.05 else "zh"

        probe_channel = _weighted(rng, CHANNEL_WEIGHTS[kind])
        if force.get("on_spot"):
            probe_channel = "hotline"
        created = self.created_at(age, daytime=probe_channel in LIVE_CHANNELS or probe_channel == "letter")
        today = timezone.localdate(created)
        story = cat.render_text(rng, category, today=today, lang=text_lang)
        if story["special"] and rng.random() < 0.5:
            # Threats of media or regulators are the exception: half the time, tell it plainly
            # (categories whose every story is special stay special).
            story = cat.render_text(rng, category, today=today, lang=text_lang)
        channel = probe_channel
        if story["special"] and kind == "complaint" and not force.get("on_spot"):
            channel = _weighted(rng, SPECIAL_CHANNEL_WEIGHTS)

        elements = dict(story["elements"])
        title, description = story["title"], story["description"]
        phone, name = customer.phone, customer.name
        if kind == "sales_lead":
            # The prospect is the customer: the lead's contact person and number.
            name = str(elements.get("contact_person") or name)
            phone = str(elements.get("contact_phone") or phone)
        elif "service_number" in elements:
            # The customer's own number is the number the story is about.
            old = str(elements["service_number"])
            elements["service_number"] = phone
            title, description = title.replace(old, phone), description.replace(old, phone)

        severity = ""
        default = cat.default_severity_for(category)
        if kind == "complaint" and default in ("simple", "general") and rng.random() < 0.1:
            severity = "complex"
        first_reported = created
        if channel in ("regulator_transfer", "upper_level_transfer"):
            first_reported = created - _span(rng, 2 * HOUR, 3 * DAY)
        agreed = None
        if kind in FULL_KINDS and rng.random() < 0.05:
            agreed = created + _span(rng, DAY, 5 * DAY)
        registrar = self.registrar(channel, customer.unit)
        # A transfer names the body it came from (issue 9 §2), by turns: no random draw, so
        # the rest of the demo stays as it was.
        tier = REGULATOR_TIERS[index % len(REGULATOR_TIERS)] if channel == "regulator_transfer" else ""
        draft = TicketDraft(
            kind=kind, category=category, channel=channel, title=title[:200],
            description=description, phone=phone, customer_name=name,
            customer_segment=customer.segment, product=story["product"][:200],
            severity=severity, special=bool(story["special"]), org_unit=customer.unit,
            elements=elements, first_reported_at=first_reported, agreed_time=agreed, source_tier=tier,
        )
        effective_severity = severity or default or "general"
        # The registration marks threats of media, lawsuits or regulators as special too.
        special = draft.special or bool(special_phrases_match(draft.title, draft.description))
        approval = (any(n.requires_approval for n in cat.ancestors(category))
                    or effective_severity == "major" or special)
        t = _Ticket(
            index=index, kind=kind, category=category, customer=customer, channel=channel,
            registrar=registrar, created_at=created, draft=draft, pin=pin, force=force,
            requires_approval=approval, approval_at_registration=approval,
        )
        self.plan(t)
        if pin is not None:
            self.pin(t)
        return t

    # -- how --------------------------------------------------------------------------------

    def plan(self, t: _Ticket) -> None:
        if t.kind in FULL_KINDS:
            self.plan_full(t)
        elif t.kind in SHORT_KINDS:
            self.plan_short(t)
        else:
            self.plan_sales(t)

    def add(self, t: _Ticket, delay, fn, actor, after, **kwargs):
        t.steps.append(_Step(delay, fn, actor, after, kwargs))

    def settle_at_once(self, t: _Ticket) -> bool:
        """Resolved on the spot, or reviewed as invalid: True when the ticket ends here."""
        rng = self.rng
        live = t.channel in LIVE_CHANNELS and t.registrar is not self.integration
        if live and self.decide(t, "on_spot", ON_SPOT_RATE[t.kind]):
            self.add(t, _span(rng, 2 * MIN, 15 * MIN), tx.ticket_resolve_on_spot, t.registrar,
                     "closed", answer=rng.choice(ON_SPOT[t.kind]))
            return True
        if self.decide(t, "invalid", INVALID_RATE[t.kind]):
            reason, answer = rng.choice(INVALID)
            self.add(t, _span(rng, 10 * MIN, 6 * HOUR), tx.ticket_review, rng.choice(self.dispatchers),
                     "closed", valid=False, reason=reason, answer=answer)
            return True
        return False

    def archive(self, t: _Ticket):
        self.add(t, _span(self.rng, 5 * DAY, 35 * DAY), tx.ticket_archive,
                 self.rng.choice(self.archivers), "archived")

    def review_valid(self, t: _Ticket):
        rng = self.rng
        kwargs = {}
        # Regulator and media cases are special (domain.md): the centre marks them at review.
        if t.channel in ("regulator_transfer", "media") and not t.draft.special:
            kwargs["special"] = True
            t.requires_approval = True
        elif t.kind == "complaint" and rng.random() < 0.02:
            kwargs["severity"] = "major"
            kwargs["reason"] = "涉及金额较大，升级为重大投诉。"
            t.requires_approval = True
        self.add(t, self.review_wait(t), tx.ticket_review, rng.choice(self.dispatchers),
                 "awaiting_dispatch", valid=True, **kwargs)

    def department_round(self, t: _Ticket, *, again: bool) -> None:
        """Dispatch → acknowledge → (co-handle, plan, urge) → handle → audit approved."""
        rng = self.rng
        top = cat.top_level_of(t.category)
        dispatcher = rng.choice(self.dispatchers)
        department = cat.owning_department_for(t.category)
        unit = t.customer.unit
        if again:
            self.add(t, _span(rng, 10 * MIN, 8 * HOUR), tx.ticket_dispatch, dispatcher, "dispatched",
                     department=department, note=rng.choice(REDISPATCH_NOTES))
        elif self.decide(t, "wrong_dispatch", 0.04):
            wrong = self.other_department(department)
            self.add(t, _span(rng, 3 * MIN, 40 * MIN), tx.ticket_dispatch, dispatcher, "dispatched",
                     department=wrong)
            self.add(t, _span(rng, 30 * MIN, 10 * HOUR), tx.ticket_return, self.worker(wrong, unit),
                     "awaiting_dispatch", reason=rng.choice(RETURN_REASONS))
            self.add(t, _span(rng, 5 * MIN, 2 * HOUR), tx.ticket_dispatch, dispatcher, "dispatched",
                     department=department)
        else:
            # Named, not left to the default: a repeat complaint would go where its first
            # ticket was handled, and the plan below has the owning department's people act.
            self.add(t, self.dispatch_wait(t), tx.ticket_dispatch, dispatcher, "dispatched",
                     department=department)
        round_start = len(t.steps) - 1  # the dispatch that starts the department's clocks
        if t.draft.special and not again and rng.random() < 0.6:
            self.add(t, _span(rng, 5 * MIN, 2 * HOUR), tx.ticket_supervise, self.supervisor,
                     "dispatched", note=rng.choice(SUPERVISE_NOTES))
        if self.decide(t, "transfer", 0.04):
            other = self.other_department(department)
            self.add(t, _span(rng, 20 * MIN, 8 * HOUR), tx.ticket_transfer, self.worker(department, unit),
                     "dispatched", department=other, reason=rng.choice(TRANSFER_REASONS))
            department = other
        handler = self.handler(department, unit)
        self.add(t, _span(rng, 5 * MIN, 4 * HOUR), tx.ticket_acknowledge,
                 handler if rng.random() < 0.8 else self.head(department), "in_progress")
        if self.decide(t, "request_info", 0.05):
            # The department needs more from the customer: the clocks pause meanwhile.
            self.add(t, _span(rng, 20 * MIN, 4 * HOUR), tx.ticket_request_info, handler, "in_progress",
                     question=rng.choice(INFO_QUESTIONS))
            self.add(t, _span(rng, HOUR, 2 * DAY), tx.ticket_info_received, self.replier(t),
                     "in_progress", answer=rng.choice(INFO_ANSWERS))
        if self.decide(t, "agree_time", 0.03):
            self.add(t, _span(rng, 30 * MIN, 4 * HOUR), _agree_time, handler, "in_progress",
                     ahead=_span(rng, DAY, 3 * DAY), note=rng.choice(AGREED_NOTES))
        if self.decide(t, "co_handle", 0.1):
            helper = self.other_department(department)
            self.add(t, _span(rng, HOUR, 10 * HOUR), tx.ticket_co_handle, self.head(department),
                     "in_progress", departments=[helper], note=rng.choice(CO_HANDLE_NOTES))
            self.add(t, _span(rng, 2 * HOUR, 2 * DAY), tx.ticket_assist_input,
                     self.worker(helper, unit), "in_progress", text=rng.choice(ASSIST_INPUTS))
        if t.requires_approval:
            # Special and major cases move fast (003: every step within a working day).
            self.add(t, _span(rng, HOUR, 8 * HOUR), tx.ticket_submit_plan, handler,
                     "awaiting_approval", plan=rng.choice(PLANS))
            if self.decide(t, "plan_rejected", 0.15):
                self.add(t, _span(rng, 30 * MIN, 6 * HOUR), tx.ticket_approve_plan, self.leader,
                         "in_progress", approve=False, note=rng.choice(PLAN_REJECTIONS))
                self.add(t, _span(rng, HOUR, 8 * HOUR), tx.ticket_submit_plan, handler,
                         "awaiting_approval", plan=rng.choice(PLANS))
            self.add(t, _span(rng, 30 * MIN, 6 * HOUR), tx.ticket_approve_plan, self.leader,
                     "in_progress", approve=True, note=rng.choice(PLAN_APPROVALS))
        if self.decide(t, "urge", 0.1):
            self.add(t, _span(rng, DAY, 2 * DAY), tx.ticket_urge,
                     rng.choice([self.supervisor, dispatcher]), "in_progress", note=rng.choice(URGE_NOTES))
        if self.decide(t, "partial", 0.05):
            self.add(t, _span(rng, 4 * HOUR, 2 * DAY), tx.ticket_handle, handler, "awaiting_audit",
                     notes=rng.choice(PARTIAL_NOTES), partial=True)
            self.add(t, _span(rng, 30 * MIN, 12 * HOUR), tx.ticket_audit, dispatcher, "in_progress",
                     approve=True, note="同意先行部分处理，请继续落实剩余事项。")
        handle = self.handling(t, top, department)
        self.add(t, self.handling_wait(t), tx.ticket_handle, handler, "awaiting_audit", **handle)
        if self.decide(t, "audit_rejected", 0.1):
            self.add(t, _span(rng, 30 * MIN, 12 * HOUR), tx.ticket_audit, dispatcher, "in_progress",
                     approve=False, note=rng.choice(AUDIT_REJECTIONS))
            self.add(t, _span(rng, 2 * HOUR, 2 * DAY), tx.ticket_handle, handler, "awaiting_audit",
                     **self.handling(t, top, department))
        self.add(t, _span(rng, 30 * MIN, 12 * HOUR), tx.ticket_audit, dispatcher, "awaiting_reply",
                 approve=True, note=rng.choice(AUDIT_NOTES))
        self.report_progress(t, round_start, handler)

    # -- timing: the departments work to the demo policies, and now and then miss them --------

    def review_wait(self, t: _Ticket) -> dt.timedelta:
        if t.kind == "complaint":  # 001: forwarded within 5 minutes of the first report
            return _span(self.rng, 20 * SEC, 3 * MIN)
        return _span(self.rng, 10 * MIN, 6 * HOUR)

    def dispatch_wait(self, t: _Ticket) -> dt.timedelta:
        if t.kind == "complaint":
            return _span(self.rng, 10 * SEC, 2 * MIN)
        return _span(self.rng, 3 * MIN, 40 * MIN)

    def handling_wait(self, t: _Ticket) -> dt.timedelta:
        if t.kind == "complaint":  # 001: handled within 12 hours
            return _span(self.rng, 30 * MIN, 9 * HOUR)
        return _span(self.rng, 3 * HOUR, 4 * DAY)

    def report_progress(self, t: _Ticket, first: int, handler: User) -> None:
        """Progress reports wherever a department round runs long, in the states where the
        department reports: about every 14-22 hours (001: within 24 hours), or for parcels
        each afternoon (001: by 17:00 each day); now and then one comes late."""
        if t.kind != "complaint":
            return  # the demo's progress clocks are the complaint policies' (demo/policies.py)
        rng = self.rng
        daily = cat.top_level_of(t.category) == "parcel"
        at = t.created_at + sum((s.delay for s in t.steps[:first]), dt.timedelta())
        out = t.steps[:first]
        state = target = None
        for step in t.steps[first:]:
            end = at + step.delay
            while state in PROGRESS_STATES and target is not None and target < end:
                out.append(_Step(target - at, tx.ticket_report_progress, handler, state,
                                 {"text": rng.choice(PROGRESS_NOTES)}))
                at = target
                target = self.next_report(at, daily)
            out.append(_Step(end - at, step.fn, step.actor, step.after, step.kwargs))
            at = end
            state = step.after
            if target is None:  # the dispatch: the progress clock starts here
                target = self.next_report(at, daily)
        t.steps = out

    def next_report(self, after: dt.datetime, daily: bool) -> dt.datetime:
        rng = self.rng
        late = rng.random() < 0.08
        if not daily:
            return after + _span(rng, 14 * HOUR, 22 * HOUR) + (_span(rng, 2 * HOUR, 10 * HOUR) if late else dt.timedelta())
        local = timezone.localtime(after + HOUR)
        report = local.replace(hour=15, minute=rng.randrange(120) % 60, second=0, microsecond=0)
        report += dt.timedelta(hours=rng.randrange(2)) + (_span(rng, 20 * MIN, 3 * HOUR) if late else dt.timedelta())
        return report if report >= after + HOUR else report + DAY

    def handling(self, t: _Ticket, top: str, department: str) -> dict:
        rng = self.rng
        key = top if top in HANDLING_NOTES else t.kind
        cause = rng.choice(CAUSES[key])
        kwargs = dict(notes=rng.choice(HANDLING_NOTES[key]), cause=cause)
        if cause != "customer_misunderstanding" and rng.random() < 0.7:
            responsible = department if rng.random() < 0.85 else self.other_department(department)
            kwargs["responsible_department"] = responsible
            kwargs["responsible_person"] = rng.choice(RESPONSIBLE_PEOPLE[responsible])
        return kwargs

    def plan_full(self, t: _Ticket) -> None:
        rng = self.rng
        if self.settle_at_once(t):
            self.archive(t)
            return
        self.review_valid(t)
        again = False
        reopened = False
        while True:
            self.department_round(t, again=again)
            self.add(t, _span(rng, 30 * MIN, 20 * HOUR), tx.ticket_reply, self.replier(t),
                     "awaiting_callback", text=rng.choice(REPLIES), customer_accepts=rng.random() < 0.9)
            if not again and self.decide(t, "dissatisfied", 0.07):
                self.add(t, _span(rng, 12 * HOUR, 3 * DAY), tx.ticket_callback, self.replier(t),
                         "awaiting_dispatch", satisfaction="dissatisfied",
                         note=rng.choice(CALLBACK_NOTES["dissatisfied"]))
                again = True
                continue
            if self.decide(t, "unreachable", 0.06):
                self.add(t, _span(rng, 3 * DAY, 7 * DAY), tx.ticket_close, rng.choice(self.dispatchers),
                         "closed", reason=rng.choice(CLOSE_REASONS))
            else:
                satisfaction = "satisfied" if rng.random() < 0.8 else "neutral"
                self.add(t, _span(rng, 12 * HOUR, 3 * DAY), tx.ticket_callback, self.replier(t),
                         "closed", satisfaction=satisfaction,
                         note=rng.choice(CALLBACK_NOTES[satisfaction]))
            if not reopened and self.decide(t, "reopen", 0.015):
                self.add(t, _span(rng, 2 * DAY, 15 * DAY), tx.ticket_reopen, rng.choice(self.dispatchers),
                         "awaiting_dispatch", reason=rng.choice(REOPEN_REASONS))
                reopened = again = True
                continue
            break
        self.archive(t)

    def plan_short(self, t: _Ticket) -> None:
        rng = self.rng
        if self.settle_at_once(t):
            self.archive(t)
            return
        self.add(t, _span(rng, 10 * MIN, 6 * HOUR), tx.ticket_review, rng.choice(self.dispatchers),
                 "awaiting_dispatch", valid=True)
        department = cat.owning_department_for(t.category)
        self.add(t, _span(rng, 3 * MIN, 40 * MIN), tx.ticket_dispatch, rng.choice(self.dispatchers),
                 "dispatched", department=department)
        handler = self.handler(department, t.customer.unit)
        self.add(t, _span(rng, 10 * MIN, 20 * HOUR), tx.ticket_acknowledge, handler, "in_progress")
        self.add(t, _span(rng, 2 * HOUR, 3 * DAY), tx.ticket_handle, handler, "awaiting_reply",
                 notes=rng.choice(HANDLING_NOTES[t.kind]))
        self.add(t, _span(rng, 30 * MIN, 12 * HOUR), tx.ticket_reply, self.replier(t), "closed",
                 text=rng.choice(SHORT_REPLIES), customer_accepts=True)
        self.archive(t)

    def plan_sales(self, t: _Ticket) -> None:
        rng = self.rng
        if self.decide(t, "invalid", INVALID_RATE["sales_lead"]):
            reason, answer = rng.choice(SALES_INVALID)
            self.add(t, _span(rng, 10 * MIN, 6 * HOUR), tx.ticket_review, rng.choice(self.dispatchers),
                     "closed", valid=False, reason=reason, answer=answer)
        else:
            # The agent who takes the lead routes it to the region's sales lead at once.
            sender = t.registrar if t.registrar is not self.integration else rng.choice(self.province_agents)
            city = next(c for c in self.unit_chain(t.customer.unit) if c in self.sales_leads)
            lead = self.sales_leads[city]
            self.add(t, _span(rng, MIN, 20 * MIN), tx.ticket_dispatch, sender, "dispatched")
            self.add(t, _span(rng, 20 * MIN, DAY), tx.ticket_acknowledge, lead, "in_progress")
            self.add(t, _span(rng, 4 * HOUR, 7 * DAY), tx.ticket_handle, lead, "closed",
                     notes=rng.choice(SALES_NOTES), outcome=rng.choice(SALES_OUTCOMES))
        self.archive(t)

    def pin(self, t: _Ticket) -> None:
        """Cut the plan where the ticket reaches its pin; squeeze it to end before now."""
        if t.pin == "registered":
            t.steps = []
        else:
            cut = next((i for i, s in enumerate(t.steps) if s.after == t.pin), None)
            if cut is None:
                raise DemoLoadError(f"ticket plan never reaches {t.pin}: {[s.after for s in t.steps]}")
            t.steps = t.steps[: cut + 1]
        total = sum((s.delay for s in t.steps), dt.timedelta())
        available = (self.now - t.created_at) * 0.8
        if total > available:
            factor = available / total
            for s in t.steps:
                s.delay = max(dt.timedelta(seconds=1), s.delay * factor)


# ---------------------------------------------------------------------------------------------
# Running the plans through the services
# ---------------------------------------------------------------------------------------------


def generate_tickets(org: DemoOrg, count: int, *, seed: int = DEMO_SEED, now: dt.datetime | None = None,
                     out=None) -> Counter:
    """Generate `count` tickets through the services; returns the count per final state."""
    now = now or timezone.now()
    stop = now - MIN
    rng = random.Random(seed)
    gen = _Generator(org, rng, now)
    plans = [gen.ticket(i, kind, pin, force) for i, (kind, pin, force) in enumerate(PINS[:count])]
    kinds = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=max(0, count - len(plans)))
    plans += [gen.ticket(len(plans) + i, kind) for i, kind in enumerate(kinds)]
    plans.sort(key=lambda t: t.created_at)  # ticket numbers follow the calendar

    states: Counter = Counter()
    step_count = 0
    report_every = max(1, count // 10)
    started = time.monotonic()
    for done, t in enumerate(plans, 1):
        ticket, _ = ticket_register(actor=t.registrar, draft=t.draft, at=t.created_at)
        if ticket.requires_approval != t.approval_at_registration:
            raise DemoLoadError(f"{ticket.number}: requires_approval is {ticket.requires_approval}")
        at = t.created_at
        state = ticket.state
        for step in t.steps:
            at = at + step.delay
            if at > stop:
                break
            ticket = step.fn(ticket_id=ticket.pk, actor=step.actor, at=at, **step.kwargs)
            step_count += 1
            if ticket.state != step.after:
                raise DemoLoadError(
                    f"{ticket.number}: {step.fn.__name__} by {step.actor.username} left it "
                    f"{ticket.state}, expected {step.after}"
                )
            state = ticket.state
        states[state] += 1
        if out is not None and (done % report_every == 0 or done == len(plans)):
            elapsed = time.monotonic() - started
            out.write(f"  tickets: {done}/{len(plans)}  ({step_count} steps, {elapsed:.1f} s)\n")
            out.flush()
    # Each ticket's deadline status was computed as of its last step; bring it to now.
    running = TicketClock.objects.filter(state=ClockState.RUNNING).values_list("ticket_id", flat=True)
    for ticket_id in sorted(set(running)):
        ticket_sla_status_refresh(ticket_id=ticket_id, now=now)
    return states


def load_demo(*, tickets: int = 2000, out, seed: int = DEMO_SEED) -> Counter:
    """The whole demo in one transaction: organisation, then `tickets` tickets."""
    started = time.monotonic()
    out.write("Loading the demo organisation (江南省 / Jiangnan Province)…\n")
    out.flush()
    with transaction.atomic():
        org = load_organisation()
        calendars, policies = load_deadlines(org)
        templates, articles = load_answers()
        out.write(
            f"  {len(org.units)} org units, {len(org.departments)} departments, "
            f"{len(org.users)} staff accounts, {Category.objects.count()} categories, "
            f"{calendars} working calendars, {policies} deadline policies, "
            f"{templates} reply templates, {articles} library answers\n"
        )
        out.write(f"Generating {tickets} tickets over the last six months (through the services)…\n")
        out.flush()
        states = generate_tickets(org, tickets, seed=seed, out=out)
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
    out.write(f"Demo loaded in {elapsed:.1f} s: {summary}\n")
    out.flush()
    return states


def ticket_counts() -> dict[str, int]:
    """Tickets per state (for reports and tests)."""
    return dict(Ticket.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
