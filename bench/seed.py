"""Seed the benchmark database: a believable organisation and N tickets, fast.

    .venv/bin/python bench/seed.py --create-db --tickets 100000

* The organisation (created once, kept between runs): a province with four cities, their
  counties and business halls; the customer-service centre and 8 handling departments; a
  category tree for every ticket kind with required elements (受理要素) at two levels; staff
  in every role (intake agents, dispatchers, handlers and heads per department, supervisors,
  leaders, an admin); an API token for an intake agent (raw value in bench/results/token.json).
* The tickets (replaced on every run unless --append): a year of intake, oldest first, so
  ids follow time as in production. Each ticket has a customer (≈1.4 tickets per customer, a
  unique valid mainland mobile number each), a state drawn by age (recent tickets are open,
  old ones closed or archived; ≈6 % open overall), the lead Assignment of every ticket that
  reached a department (active while the department holds it, ended after), some transfers
  and assisting departments, and the TicketEvent chain that led to its state (`--events first`
  writes only the `registered` event).

Rows go in with PostgreSQL COPY (psycopg 3), ids assigned here and the identity sequences
moved past them; then VACUUM ANALYZE so the planner sees the real sizes (as autovacuum would).
100k tickets take ≈35 s on the 2-core bench machine (10k: ≈4 s).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import itertools
import json
import random
import sys
import time
import zoneinfo
from dataclasses import dataclass, field

from _common import DEFAULT_DB, TOKEN_FILE, setup_django

# -- the organisation, as plain data ----------------------------------------------------------

ORG_UNITS = [
    # code, parent, name, English name, level
    ("jn", None, "江南省", "Jiangnan Province", "province"),
    ("jn-qz", "jn", "青州市", "Qingzhou", "city"),
    ("jn-ly", "jn", "临原市", "Linyuan", "city"),
    ("jn-bh", "jn", "白河市", "Baihe", "city"),
    ("jn-sd", "jn", "石岛市", "Shidao", "city"),
    ("jn-qz-cd", "jn-qz", "城东区", "Chengdong District", "county"),
    ("jn-qz-lj", "jn-qz", "临江县", "Linjiang County", "county"),
    ("jn-qz-h1", "jn-qz", "青州人民路营业厅", "Qingzhou Renmin Rd hall", "business_hall"),
    ("jn-ly-xs", "jn-ly", "西山区", "Xishan District", "county"),
    ("jn-ly-hp", "jn-ly", "河浦县", "Hepu County", "county"),
    ("jn-ly-h1", "jn-ly", "临原中心营业厅", "Linyuan central hall", "business_hall"),
    ("jn-bh-ns", "jn-bh", "南沙区", "Nansha District", "county"),
    ("jn-bh-ty", "jn-bh", "桃源县", "Taoyuan County", "county"),
    ("jn-bh-h1", "jn-bh", "白河站前营业厅", "Baihe station hall", "business_hall"),
    ("jn-sd-gk", "jn-sd", "港口区", "Port District", "county"),
    ("jn-sd-yl", "jn-sd", "渔林县", "Yulin County", "county"),
    ("jn-sd-h1", "jn-sd", "石岛海滨营业厅", "Shidao seaside hall", "business_hall"),
]

DEPARTMENTS = [
    # code, org unit, name, English name, is_centre
    ("centre", "jn", "客户服务中心", "Customer service centre", True),
    ("billing", "jn", "计费账务部", "Billing", False),
    ("network", "jn", "网络运维部", "Network operations", False),
    ("broadband", "jn", "家庭宽带部", "Home broadband", False),
    ("marketing", "jn", "市场营销部", "Marketing", False),
    ("vas", "jn", "增值业务部", "Value-added services", False),
    ("enterprise", "jn", "政企客户部", "Government & enterprise", False),
    ("channels", "jn", "渠道管理部", "Sales channels", False),
    ("it", "jn", "信息技术部", "IT (app and portal)", False),
]

# Element specs: key, label, English label, type, choices, required
ACCOUNT = ("account_phone", "业务号码", "Account number", "phone", None, True)
MONTH = ("month", "争议月份", "Disputed month", "date", None, True)
AMOUNT = ("amount", "争议金额", "Disputed amount", "amount", None, True)
ORDER_CHANNEL = ("order_channel", "订购渠道", "How it was ordered", "choice",
                 [{"value": "sms", "label": "短信", "label_en": "SMS"},
                  {"value": "app", "label": "App", "label_en": "App"},
                  {"value": "hall", "label": "营业厅", "label_en": "Business hall"},
                  {"value": "unknown", "label": "不清楚", "label_en": "Unknown"}], False)
ADDRESS = ("address", "问题地址", "Address", "text", None, True)
SINCE = ("since", "开始日期", "Since", "date", None, True)
BB_ACCOUNT = ("broadband_account", "宽带账号", "Broadband account", "text", None, True)
HALL = ("business_hall", "营业厅", "Business hall", "text", None, True)
SP_NAME = ("sp_name", "业务名称", "Service name", "text", None, True)
DEVICE = ("device", "终端型号", "Device model", "text", None, False)
COMPANY = ("company", "单位名称", "Company", "text", None, True)
LINES = ("lines", "需求线路数", "Lines wanted", "number", None, True)

# code, parent, kind, name, English name, owning department, default severity, approval, elements
CATEGORIES = [
    ("c-billing", None, "complaint", "计费账务", "Billing", "billing", "", False, [ACCOUNT]),
    ("c-billing-overcharge", "c-billing", "complaint", "多扣费", "Overcharge", None, "general", False, [MONTH, AMOUNT, ORDER_CHANNEL]),
    ("c-billing-refund", "c-billing", "complaint", "退费争议", "Refund dispute", None, "complex", True, [AMOUNT]),
    ("c-billing-package", "c-billing", "complaint", "套餐变更", "Plan change", None, "", False, [MONTH]),
    ("c-network", None, "complaint", "网络与信号", "Network", "network", "", False, [ADDRESS]),
    ("c-network-weak", "c-network", "complaint", "信号弱", "Weak signal", None, "", False, [SINCE, DEVICE]),
    ("c-network-drops", "c-network", "complaint", "通话掉线", "Dropped calls", None, "", False, [SINCE]),
    ("c-network-data", "c-network", "complaint", "上网慢", "Slow data", None, "simple", False, [SINCE]),
    ("c-broadband", None, "complaint", "家庭宽带", "Home broadband", "broadband", "", False, [BB_ACCOUNT]),
    ("c-broadband-outage", "c-broadband", "complaint", "宽带断网", "Outage", None, "", False, [SINCE, ADDRESS]),
    ("c-broadband-install", "c-broadband", "complaint", "装机超时", "Installation delay", None, "", False, [ADDRESS]),
    ("c-service", None, "complaint", "服务质量", "Service quality", "channels", "", False, [HALL]),
    ("c-service-attitude", "c-service", "complaint", "服务态度", "Staff attitude", None, "", False, []),
    ("c-service-waiting", "c-service", "complaint", "排队时间长", "Long waits", None, "simple", False, []),
    ("c-vas", None, "complaint", "增值业务", "Value-added services", "vas", "", False, [ACCOUNT]),
    ("c-vas-unordered", "c-vas", "complaint", "未订购扣费", "Charged without order", None, "general", False, [SP_NAME, AMOUNT]),
    ("c-app", None, "complaint", "App与网厅", "App and portal", "it", "", False, []),
    ("c-app-login", "c-app", "complaint", "无法登录", "Cannot sign in", None, "simple", False, [DEVICE]),
    ("g-billing", None, "grievance", "计费申诉", "Billing grievance", "billing", "complex", False, [ACCOUNT]),
    ("g-billing-dispute", "g-billing", "grievance", "长期计费争议", "Long-running billing dispute", None, "", True, [AMOUNT]),
    ("g-network", None, "grievance", "网络申诉", "Network grievance", "network", "complex", False, [ADDRESS]),
    ("g-network-unresolved", "g-network", "grievance", "多次投诉未解决", "Repeatedly unresolved", None, "", False, [SINCE]),
    ("i-tariff", None, "inquiry", "资费咨询", "Tariffs", "billing", "simple", False, []),
    ("i-tariff-plan", "i-tariff", "inquiry", "套餐资费", "Plans", None, "", False, []),
    ("i-tariff-roaming", "i-tariff", "inquiry", "国际漫游", "Roaming", None, "", False, []),
    ("i-broadband", None, "inquiry", "宽带咨询", "Broadband questions", "broadband", "simple", False, []),
    ("i-broadband-coverage", "i-broadband", "inquiry", "覆盖范围", "Coverage", None, "", False, [ADDRESS]),
    ("f-mobile", None, "fault", "移动故障", "Mobile fault", "network", "", False, [ACCOUNT]),
    ("f-mobile-noservice", "f-mobile", "fault", "无服务", "No service", None, "complex", False, [ADDRESS, SINCE]),
    ("f-broadband", None, "fault", "宽带故障", "Broadband fault", "broadband", "", False, [BB_ACCOUNT]),
    ("f-broadband-down", "f-broadband", "fault", "宽带不通", "Line down", None, "", False, [ADDRESS]),
    ("s-product", None, "suggestion", "产品建议", "Product suggestion", "marketing", "simple", False, []),
    ("s-product-feature", "s-product", "suggestion", "功能建议", "Feature", None, "", False, []),
    ("s-service", None, "suggestion", "服务建议", "Service suggestion", "channels", "simple", False, []),
    ("s-service-hall", "s-service", "suggestion", "营业厅建议", "Business halls", None, "", False, [HALL]),
    ("l-broadband", None, "sales_lead", "宽带商机", "Broadband lead", "marketing", "", False, [ADDRESS]),
    ("l-broadband-new", "l-broadband", "sales_lead", "新装宽带", "New line", None, "", False, []),
    ("l-enterprise", None, "sales_lead", "政企商机", "Enterprise lead", "enterprise", "", False, [COMPANY]),
    ("l-enterprise-line", "l-enterprise", "sales_lead", "专线需求", "Dedicated line", None, "", False, [LINES]),
]

# (role, how many, department code or None, org unit code)
STAFF = [
    ("intake_agent", 12, "centre", "jn"),
    ("intake_agent", 2, "centre", "jn-qz"),
    ("dispatcher", 4, "centre", "jn"),
    ("dispatcher", 1, "centre", "jn-ly"),
    ("supervisor", 2, "centre", "jn"),
    ("leader", 2, None, "jn"),
    ("admin", 1, None, "jn"),
] + [(role, n, code, "jn") for code, *_ in DEPARTMENTS[1:] for role, n in (("handler", 4), ("dept_head", 1))]

KIND_WEIGHTS = {"complaint": 60, "inquiry": 18, "fault": 10, "suggestion": 4, "grievance": 5, "sales_lead": 3}
PATH_OF_KIND = {"complaint": "full", "grievance": "full", "fault": "full",
                "inquiry": "short", "suggestion": "short", "sales_lead": "sales"}
NUMBER_PREFIX = {"complaint": "TS", "grievance": "BY", "inquiry": "ZX", "suggestion": "JY",
                 "fault": "GZ", "sales_lead": "SJ"}
CHANNELS = {"hotline": 55, "app": 12, "web_portal": 8, "counter": 10, "email": 3, "letter": 2,
            "regulator_transfer": 5, "upper_level_transfer": 3, "media": 2}
SEGMENTS = {"regular": 55, "new": 15, "vip": 8, "near_contract_end": 7, "unknown": 15}
OPEN_STATE_WEIGHTS = {"registered": 10, "awaiting_dispatch": 10, "dispatched": 15, "in_progress": 40,
                      "awaiting_approval": 3, "awaiting_audit": 8, "awaiting_reply": 7,
                      "awaiting_callback": 7}
HELD_STATES = {"dispatched", "in_progress", "awaiting_approval", "awaiting_audit"}
DEPARTMENT_DONE = {"registered", "awaiting_dispatch", "awaiting_reply", "awaiting_callback",
                   "closed", "archived"}
CAUSES = ["product_quality", "service", "sales", "network", "policy", "third_party",
          "customer_misunderstanding"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国文辉鹏宇浩然欣怡子涵梓轩雨桐思远嘉"
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "新华路", "滨江大道", "文化路", "青年路", "光明街"]
SP_NAMES = ["视频彩铃", "游戏包月", "阅读会员", "来电提醒", "云盘扩容", "音乐包"]
DEVICES = ["华为 Mate 60", "iPhone 15", "小米 14", "OPPO Reno 11", "vivo X100", "荣耀 Magic6"]
COMPANIES = ["青州远航物流有限公司", "临原市第三中学", "白河港务集团", "石岛海洋科技有限公司"]

TEMPLATES = {
    "c-billing": [("话费多扣", "本月话费比平时多扣了{amount}元，我没有订购过任何新业务，要求查明原因并退还。"),
                  ("账单看不懂", "{month}账单里有几项费用不清楚是什么，客服之前解释不清，要求逐项说明。")],
    "c-network": [("家里信号差", "住在{address}，最近室内信号一直只有一格，打电话经常听不清。"),
                  ("通话老掉线", "从{since}开始在{address}附近打电话经常掉线，影响工作。")],
    "c-broadband": [("宽带经常断", "宽带账号{broadband_account}，{address}，晚上经常断网，重启光猫也没用。"),
                    ("装机一直没人来", "约好的宽带安装到现在没人上门，地址{address}，催了几次都说在排期。")],
    "c-service": [("营业厅服务差", "在{business_hall}办业务，工作人员态度冷淡，问问题不耐烦。"),
                  ("排队太久", "{business_hall}只开了一个窗口，排了一个多小时才轮到。")],
    "c-vas": [("莫名订购增值业务", "手机被扣了{sp_name}的费用{amount}元，我从来没有订过，要求退订并退费。")],
    "c-app": [("App登录不上", "用{device}登录App一直提示系统繁忙，已经三天了。")],
    "g-billing": [("申诉：计费争议未解决", "此前投诉多扣费{amount}元未得到解决，现向管局申诉，要求全额退还。")],
    "g-network": [("申诉：信号问题多次投诉", "{address}信号问题从{since}起投诉多次，一直没有解决。")],
    "i-tariff": [("咨询套餐资费", "想了解现在有哪些适合老人用的低价套餐。"), ("咨询漫游", "下个月去日本出差，想问国际漫游怎么收费。")],
    "i-broadband": [("咨询宽带覆盖", "{address}能不能装千兆宽带？")],
    "f-mobile": [("手机无服务", "{address}一带从{since}起手机显示无服务，周围邻居也一样。")],
    "f-broadband": [("宽带不通", "{address}宽带完全上不了网，光猫LOS灯红色闪烁。")],
    "s-product": [("建议增加流量结转", "建议当月没用完的流量可以结转到下个月。")],
    "s-service": [("建议营业厅延长营业时间", "{business_hall}下班太早，建议周末延长营业时间。")],
    "l-broadband": [("新装宽带需求", "客户刚搬到{address}，想办理千兆宽带和电视。")],
    "l-enterprise": [("专线需求", "{company}需要{lines}条互联网专线，请客户经理联系。")],
}


class Weighted:
    """A weighted choice, its cumulative weights computed once (random.choices would rebuild
    them on every call: measurable over a million draws)."""

    def __init__(self, weights: dict):
        self.values = list(weights)
        self.cum = list(itertools.accumulate(weights.values()))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect(self.cum, rng.random() * self.total)]


PICK_KIND = Weighted(KIND_WEIGHTS)
PICK_SEGMENT = Weighted(SEGMENTS)
PICK_CHANNEL = Weighted(CHANNELS)
PICK_OPEN_STATE = Weighted(OPEN_STATE_WEIGHTS)
PICK_RESOLUTION = {
    "full": Weighted({"resolved": 85, "on_spot": 5, "invalid": 7, "closed_without_callback": 3}),
    "short": Weighted({"resolved": 45, "on_spot": 50, "invalid": 5}),
    "sales": Weighted({"resolved": 95, "invalid": 5}),
}
PICK_SATISFACTION = Weighted({"satisfied": 80, "neutral": 20})


def mobile_for(customer_id: int) -> str:
    """A valid mainland mobile number in E.164, unique per customer id (a bijection)."""
    prefix = MOBILE_PREFIXES[customer_id % len(MOBILE_PREFIXES)]
    k = customer_id // len(MOBILE_PREFIXES)
    return f"+86{prefix}{(k * 7919 + 12345) % 10**8:08d}"


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


# -- building the organisation ----------------------------------------------------------------

def ensure_org() -> bool:
    """Create the organisation unless it is there. Returns True if it was created."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from complaintdesk.accounts.models import User
    from complaintdesk.org.models import Department, OrgUnit
    from complaintdesk.taxonomy.models import Category, RequiredElement

    if OrgUnit.objects.filter(code="jn").exists():
        return False
    with transaction.atomic():
        units: dict[str, OrgUnit] = {}
        for code, parent, name, name_en, level in ORG_UNITS:
            kw = dict(code=code, name=name, name_en=name_en, level=level)
            # Re-read the parent each time: treebeard computes the new path from its numchild.
            units[code] = (OrgUnit.add_root(**kw) if parent is None
                           else OrgUnit.objects.get(pk=units[parent].pk).add_child(**kw))
        depts = {
            code: Department.objects.create(org_unit=units[unit], code=code, name=name,
                                            name_en=name_en, is_centre=centre)
            for code, unit, name, name_en, centre in DEPARTMENTS
        }
        password = make_password("bench-password-1")  # hashed once, shared by every account
        users, n = [], 0
        for role, count, dept, unit in STAFF:
            for i in range(count):
                n += 1
                username = f"{role.replace('_', '')}-{dept or 'org'}-{unit}-{i + 1}"
                users.append(User(
                    username=username, password=password, role=role, org_unit=units[unit],
                    department=depts[dept] if dept else None, display_name=random_name(random.Random(n)),
                    employee_no=f"E{n:05d}", is_staff=role == "admin", is_superuser=role == "admin",
                ))
        User.objects.bulk_create(users)
        marketing = list(User.objects.filter(department=depts["marketing"], role="handler"))
        for i, code in enumerate(c for c, _, _, _, lvl in ORG_UNITS if lvl == "city"):
            units[code].sales_lead = marketing[i % len(marketing)]
            units[code].save(update_fields=["sales_lead"])
        cats: dict[str, Category] = {}
        for code, parent, kind, name, name_en, owner, severity, approval, elements in CATEGORIES:
            kw = dict(kind=kind, code=code, name=name, name_en=name_en,
                      owning_department=depts[owner] if owner else None,
                      default_severity=severity, requires_approval=approval)
            cats[code] = (Category.add_root(**kw) if parent is None
                          else Category.objects.get(pk=cats[parent].pk).add_child(**kw))
            for pos, (key, label, label_en, typ, choices, required) in enumerate(elements):
                RequiredElement.objects.create(category=cats[code], key=key, label=label,
                                               label_en=label_en, type=typ, choices=choices or [],
                                               required=required, position=pos)
    return True


def ensure_token(username: str) -> str:
    """The raw token of the bench API token (kept in bench/results/token.json)."""
    from complaintdesk.accounts.models import ApiToken, User, hash_token

    if TOKEN_FILE.exists():
        saved = json.loads(TOKEN_FILE.read_text())
        if ApiToken.objects.filter(key_hash=hash_token(saved["token"]), revoked_at__isnull=True).exists():
            return saved["token"]
    raw = ApiToken.new_raw_token()
    ApiToken.objects.create(user=User.objects.get(username=username), name="bench",
                            key_hash=hash_token(raw), prefix=raw[:8])
    TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    TOKEN_FILE.write_text(json.dumps({"token": raw, "username": username}))
    TOKEN_FILE.chmod(0o600)
    return raw


TOKEN_USER = "intakeagent-centre-jn-1"


@dataclass
class Leaf:
    id: int
    code: str
    kind: str
    root: str
    owner_dept: int | None
    severity: str
    approval: bool
    elements: list[tuple] = field(default_factory=list)


@dataclass
class Org:
    units: list[tuple[int, str]]  # (id, level) of the units customers live in
    unit_city: dict[int, int]  # unit id -> its city id (sales routing)
    city_sales_dept: dict[int, tuple[int, int]]  # city id -> (department id, sales lead user id)
    depts: dict[str, int]
    handlers: dict[int, list[int]]  # department id -> handler ids
    by_role: dict[str, list[int]]
    leaves: dict[str, list[Leaf]]  # kind -> leaves


def load_org() -> Org:
    from complaintdesk.accounts.models import User
    from complaintdesk.org.models import Department, OrgUnit
    from complaintdesk.taxonomy.models import Category, RequiredElement

    units = list(OrgUnit.objects.all())
    by_path = {u.path: u for u in units}
    city_of = {}
    for u in units:
        if u.level == "province":
            continue
        city = u if u.level == "city" else by_path[u.path[: OrgUnit.steplen * 2]]
        city_of[u.pk] = city.pk
    users = list(User.objects.all())
    dept_of_user = {u.pk: u.department_id for u in users}
    handlers: dict[int, list[int]] = {}
    by_role: dict[str, list[int]] = {}
    for u in users:
        by_role.setdefault(u.role, []).append(u.pk)
        if u.role == "handler" and u.department_id:
            handlers.setdefault(u.department_id, []).append(u.pk)
    city_sales = {u.pk: (dept_of_user[u.sales_lead_id], u.sales_lead_id)
                  for u in units if u.level == "city" and u.sales_lead_id}
    cats = list(Category.objects.all())
    elements: dict[int, list] = {}
    for e in RequiredElement.objects.all():
        elements.setdefault(e.category_id, []).append(e)
    by_path_cat = {c.path: c for c in cats}
    leaves: dict[str, list[Leaf]] = {}
    for c in cats:
        if c.numchild:
            continue
        chain = [by_path_cat[c.path[: Category.steplen * d]] for d in range(1, c.depth + 1)]
        owner = next((n.owning_department_id for n in reversed(chain) if n.owning_department_id), None)
        severity = next((n.default_severity for n in reversed(chain) if n.default_severity), "")
        els = [(e.key, e.type, e.choices, e.required) for n in chain for e in
               sorted(elements.get(n.pk, []), key=lambda e: (e.position, e.pk))]
        leaves.setdefault(c.kind, []).append(Leaf(
            id=c.pk, code=c.code, kind=c.kind, root=chain[0].code, owner_dept=owner,
            severity=severity, approval=any(n.requires_approval for n in chain), elements=els,
        ))
    return Org(
        units=[(u.pk, u.level) for u in units if u.level != "province"],
        unit_city=city_of, city_sales_dept=city_sales,
        depts={d.code: d.pk for d in Department.objects.all()},
        handlers=handlers, by_role=by_role, leaves=leaves,
    )


# -- generating tickets -----------------------------------------------------------------------

def element_values(leaf: Leaf, rng: random.Random, phone: str, created: dt.datetime) -> dict:
    values = {}
    for key, typ, choices, required in leaf.elements:
        if not required and rng.random() < 0.5:
            continue
        if typ == "phone":
            values[key] = phone
        elif typ == "date":
            values[key] = (created - dt.timedelta(days=rng.randint(1, 60))).date().isoformat()
        elif typ == "amount":
            values[key] = f"{rng.randint(5, 800)}.{rng.choice(('00', '50', '80'))}"
        elif typ == "number":
            values[key] = rng.randint(1, 20)
        elif typ == "choice":
            values[key] = rng.choice(choices)["value"]
        elif key == "address":
            values[key] = f"{rng.choice(STREETS)}{rng.randint(1, 400)}号{rng.randint(1, 30)}栋"
        elif key == "broadband_account":
            values[key] = f"jn{rng.randint(10**8, 10**9 - 1)}"
        elif key == "business_hall":
            values[key] = rng.choice(["青州人民路营业厅", "临原中心营业厅", "白河站前营业厅", "石岛海滨营业厅"])
        elif key == "sp_name":
            values[key] = rng.choice(SP_NAMES)
        elif key == "device":
            values[key] = rng.choice(DEVICES)
        elif key == "company":
            values[key] = rng.choice(COMPANIES)
        else:
            values[key] = "详见描述"
    return values


class _Defaults(dict):
    def __missing__(self, key):
        return "（未提供）"


def chain_for(path: str, approval: bool, resolution: str) -> list[tuple[str, str, str]]:
    """The events (type, from, to) after `registered` of a ticket closed with `resolution`."""
    if resolution == "on_spot":
        return [("resolved_on_spot", "registered", "closed")]
    if resolution == "invalid":
        return [("reviewed_invalid", "registered", "closed")]
    if path == "sales":
        return [("dispatched", "registered", "dispatched"), ("acknowledged", "dispatched", "in_progress"),
                ("handled", "in_progress", "closed")]
    steps = [("reviewed_valid", "registered", "awaiting_dispatch"),
             ("dispatched", "awaiting_dispatch", "dispatched"),
             ("acknowledged", "dispatched", "in_progress")]
    if path == "short":
        return steps + [("handled", "in_progress", "awaiting_reply"), ("replied", "awaiting_reply", "closed")]
    if approval:
        steps += [("plan_submitted", "in_progress", "awaiting_approval"),
                  ("plan_approved", "awaiting_approval", "in_progress")]
    steps += [("handled", "in_progress", "awaiting_audit"),
              ("audit_approved", "awaiting_audit", "awaiting_reply"),
              ("replied", "awaiting_reply", "awaiting_callback")]
    if resolution == "closed_without_callback":
        return steps + [("closed", "awaiting_callback", "closed")]
    return steps + [("called_back", "awaiting_callback", "closed")]


def cut_at(steps: list[tuple[str, str, str]], state: str) -> list[tuple[str, str, str]] | None:
    """The events leading to an open `state` (None if this path never reaches it)."""
    if state == "registered":
        return []
    for i, (_, _, to) in enumerate(steps):
        if to == state:
            return steps[: i + 1]
    return None


def p_open(age_days: float) -> float:
    if age_days < 3:
        return 0.9
    if age_days < 15:
        return 0.5
    if age_days < 60:
        return 0.15
    return 0.02


def generate(org: Org, n: int, base: dict[str, int], rng: random.Random, now: dt.datetime,
             span_days: int, events_mode: str):
    """The rows of every table to load, as lists of dicts keyed by attname."""
    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    pool = max(1, int(n * 0.7))
    customers, phones = [], []
    unit_ids = [u for u, _ in org.units]
    unit_w = [{"city": 2, "county": 5, "business_hall": 1}.get(level, 1) for _, level in org.units]
    for j in range(pool):
        cid = base["customer"] + j + 1
        customers.append({"id": cid, "name": random_name(rng), "segment": PICK_SEGMENT(rng),
                          "org_unit_id": rng.choices(unit_ids, unit_w)[0],
                          "created_at": now - dt.timedelta(days=span_days + rng.random() * 700)})
        phones.append({"id": cid, "customer_id": cid, "number": mobile_for(cid)})
    cust_unit = {c["id"]: c["org_unit_id"] for c in customers}

    from complaintdesk.audit.chain import GENESIS, chain_key, event_hash

    key = chain_key()

    def chained(row: dict, seq: int, previous: str) -> dict:
        # The same hash chain as tickets/services/events.py writes: audit_verify passes.
        row["seq"] = seq
        row["hash"] = event_hash(key, previous, ticket_id=row["ticket_id"], seq=seq, type=row["type"],
                                 actor_id=row["actor_id"], at=row["created_at"], from_state=row["from_state"],
                                 to_state=row["to_state"], payload=row["payload"])
        return row

    tickets, assignments, events = [], [], []
    aid, eid = base["assignment"], base["ticketevent"]
    agents = org.by_role["intake_agent"]
    centre = org.by_role["dispatcher"] + org.by_role["supervisor"]
    leaders = org.by_role["leader"]
    dept_ids = [d for code, d in org.depts.items() if code != "centre"]
    start = now - dt.timedelta(days=span_days)
    step = dt.timedelta(days=span_days) / n
    for i in range(n):
        tid = base["ticket"] + i + 1
        created = start + step * (i + rng.random() * 0.9)
        age = (now - created).total_seconds() / 86400
        kind = PICK_KIND(rng)
        leaf = rng.choice(org.leaves[kind])
        path = PATH_OF_KIND[kind]
        cid = base["customer"] + rng.randrange(pool) + 1
        phone = mobile_for(cid)
        channel = PICK_CHANNEL(rng)
        special = channel in ("media", "regulator_transfer") and rng.random() < 0.3
        r = rng.random()
        severity = "major" if r < 0.02 else "complex" if r < 0.1 else (leaf.severity or "general")
        approval = leaf.approval or severity == "major" or special
        elements = element_values(leaf, rng, phone, created)
        title, text = rng.choice(TEMPLATES[leaf.root])
        description = text.format_map(_Defaults(elements)) + f"（客户来电时间：{created.astimezone(tz):%m月%d日%H:%M}）"

        if rng.random() < p_open(age):
            while True:
                state = PICK_OPEN_STATE(rng)
                steps = cut_at(chain_for(path, approval, "resolved"), state)
                if steps is not None:
                    break
            resolution, end = "", now - dt.timedelta(minutes=rng.randint(1, 60 * 12))
            end = max(end, created + dt.timedelta(minutes=5))
        else:
            resolution = PICK_RESOLUTION[path](rng)
            steps = chain_for(path, approval, resolution)
            minutes = rng.randint(5, 30) if resolution == "on_spot" else rng.randint(60, 60 * 24 * 10)
            end = min(created + dt.timedelta(minutes=minutes), now - dt.timedelta(minutes=1))
            state = "closed"
            if age > 60 and rng.random() < 0.8:
                steps = steps + [("archived", "closed", "archived")]
                state = "archived"

        # Department part: the lead assignment(s) of a ticket that reached a department.
        lead_dept = lead_user = None
        dispatched = any(t == "dispatched" for t, _, _ in steps)
        transferred = dispatched and path != "sales" and rng.random() < 0.1  # once, 10 %
        if transferred:
            k = [t for t, _, _ in steps].index("dispatched") + 1
            steps = [*steps[:k], ("transferred", "dispatched", "dispatched"), *steps[k:]]
        types = [t for t, _, _ in steps]
        times = sorted(created + (end - created) * rng.random() for _ in steps)
        owner = rng.choice(agents)
        actors = []
        if dispatched:
            if path == "sales":
                dept, sales_user = org.city_sales_dept.get(org.unit_city.get(cust_unit[cid]),
                                                          (org.depts["marketing"], None))
            else:
                dept, sales_user = leaf.owner_dept or rng.choice(dept_ids), None
            d_at = times[types.index("dispatched")]
            if transferred:  # first to a wrong department, which passed it on
                first = rng.choice([d for d in dept_ids if d != dept])
                t_at = times[types.index("transferred")]
                aid += 1
                assignments.append(dict(id=aid, ticket_id=tid, department_id=first, assignee_id=None,
                                        role="lead", active=False, dispatched_at=d_at,
                                        dispatched_by_id=rng.choice(centre), ended_at=t_at))
                d_at = t_at
            acknowledged = "acknowledged" in types
            assignee = sales_user or rng.choice(org.handlers[dept])
            ack_i = types.index("acknowledged") if acknowledged else None
            done_at = next((times[k] for k, (_, _, to) in enumerate(steps)
                            if to in DEPARTMENT_DONE and k > (ack_i or 0)), None)
            active = state in HELD_STATES
            aid += 1
            assignments.append(dict(
                id=aid, ticket_id=tid, department_id=dept,
                assignee_id=assignee if acknowledged or rng.random() < 0.3 else None,
                role="lead", active=active, dispatched_at=d_at, dispatched_by_id=rng.choice(centre),
                acknowledged_at=times[ack_i] if acknowledged else None,
                acknowledged_by_id=assignee if acknowledged else None,
                ended_at=None if active else done_at,
            ))
            if active:
                lead_dept, lead_user = dept, assignments[-1]["assignee_id"]
            if acknowledged and path != "sales" and rng.random() < 0.06:  # co-handling
                helper = rng.choice([d for d in dept_ids if d != dept])
                aid += 1
                assignments.append(dict(
                    id=aid, ticket_id=tid, department_id=helper, role="assisting", active=active,
                    dispatched_at=times[ack_i], dispatched_by_id=assignee,
                    input="已核实本部门相关情况，见附言。" if not active or rng.random() < 0.5 else "",
                    input_at=times[ack_i] + (end - times[ack_i]) * 0.5 if not active else None,
                    ended_at=None if active else done_at,
                ))
        for typ, _, _ in steps:
            if typ in ("acknowledged", "handled", "plan_submitted") and assignments and assignments[-1]["ticket_id"] == tid:
                lead = next(a for a in reversed(assignments) if a["ticket_id"] == tid and a["role"] == "lead")
                actors.append(lead["assignee_id"] or owner)
            elif typ == "plan_approved":
                actors.append(rng.choice(leaders))
            elif typ in ("replied", "called_back", "resolved_on_spot"):
                actors.append(owner)
            else:
                actors.append(rng.choice(centre))

        closed = state in ("closed", "archived")
        full_reply = resolution in ("resolved", "closed_without_callback") and path != "sales"
        number = f"{NUMBER_PREFIX[kind]}{created.astimezone(tz):%Y%m%d}{tid:07d}"
        tickets.append(dict(
            id=tid, number=number, kind=kind, state=state, version=1 + len(steps),
            category_id=leaf.id, channel=channel, severity=severity, special=special,
            title=title, description=description, product="", customer_id=cid,
            contact_phone=phone, org_unit_id=cust_unit[cid], owner_id=owner, elements=elements,
            first_reported_at=created - dt.timedelta(minutes=rng.randint(0, 120)),
            agreed_time=created + dt.timedelta(days=3) if rng.random() < 0.2 else None,
            created_at=created, updated_at=times[-1] if times else created,
            lead_department_id=lead_dept, lead_assignee_id=lead_user,
            requires_approval=approval,
            plan="先核查话单与订购记录，再与客户协商处理方案。" if "plan_submitted" in types else "",
            plan_approved="plan_approved" in types,
            handling_notes="已核实并处理，详见回复。" if "handled" in types else "",
            cause=rng.choice(CAUSES) if "handled" in types and path == "full" else "",
            reply_text="已向客户解释并处理完毕。" if (full_reply or resolution in ("on_spot", "invalid")) and closed else "",
            satisfaction=PICK_SATISFACTION(rng) if resolution == "resolved" and path == "full" else "",
            resolution=resolution, reopen_count=0,
            closed_at=times[[to for _, _, to in steps].index("closed")] if closed else None,
        ))
        eid += 1
        events.append(chained(dict(id=eid, ticket_id=tid, type="registered", actor_id=owner, created_at=created,
                                   from_state="", to_state="registered",
                                   payload={"channel": channel, "category": leaf.code, "number": number}),
                              1, GENESIS))
        if events_mode == "full":
            for seq, ((typ, frm, to), at, actor) in enumerate(zip(steps, times, actors, strict=True), start=2):
                eid += 1
                events.append(chained(dict(id=eid, ticket_id=tid, type=typ, actor_id=actor, created_at=at,
                                           from_state=frm, to_state=to, payload={}), seq, events[-1]["hash"]))
    return {"customer": customers, "customerphone": phones, "ticket": tickets,
            "assignment": assignments, "ticketevent": events}


# -- loading ----------------------------------------------------------------------------------

def copy_rows(model, rows: list[dict]) -> None:
    """COPY rows (dicts keyed by attname; missing fields take the model default) into the table.

    JSON fields are given as dicts; they are serialised here."""
    from operator import itemgetter

    from django.db import connection
    from django.db.models import JSONField

    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    json_names = [f.attname for f in fields if isinstance(f, JSONField)]
    pick = itemgetter(*names)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({cols}) FROM STDIN"
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with connection.cursor() as c, c.cursor.copy(sql) as cp:
        write = cp.write_row
        for row in rows:
            full = {**defaults, **row}
            for name in json_names:
                full[name] = dumps(full[name])
            write(pick(full))


class secondary_indexes_dropped:
    """Drop a table's secondary indexes for a bulk load into an empty table and rebuild them
    after it, from their own definitions: one sorted build per index instead of a million
    inserts. Indexes backing constraints (primary key, unique) stay. Within the load's
    transaction, so a failure leaves the schema as it was."""

    def __init__(self, tables: list[str]):
        self.tables = tables
        self.saved: list[tuple[str, str]] = []

    def __enter__(self):
        from django.db import connection

        with connection.cursor() as c:
            c.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname "
                "AND k.conrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.tablename))::regclass)",
                [self.tables],
            )
            self.saved = c.fetchall()
            for name, _ in self.saved:
                c.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, exc_type, exc, tb):
        from django.db import connection

        if exc_type is None:
            with connection.cursor() as c:
                c.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for _, definition in self.saved:
                    c.execute(definition)
        return False


def skip_fk_triggers() -> None:
    """Inside the load's transaction: don't run the (deferred) foreign-key triggers.

    The generator only writes ids it has just created or read, and checking ~1M references
    one by one at COMMIT costs as much as the COPY itself. Needs a superuser (the bench DB's
    `postgres`); without one the checks simply run."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as c:
            c.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        print("(not a superuser: foreign keys are checked at COMMIT, slower)")


def ticket_models():
    from complaintdesk.customers.models import Customer, CustomerPhone
    from complaintdesk.tickets.models import (
        Assignment,
        Attachment,
        IdempotencyKey,
        Ticket,
        TicketEvent,
    )

    return {"customer": Customer, "customerphone": CustomerPhone, "ticket": Ticket,
            "assignment": Assignment, "ticketevent": TicketEvent,
            "attachment": Attachment, "idempotencykey": IdempotencyKey}


def truncate_tickets() -> None:
    from django.db import connection

    tables = ", ".join(m._meta.db_table for m in ticket_models().values())
    with connection.cursor() as c:
        c.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def next_ids() -> dict[str, int]:
    from django.db.models import Max

    return {k: m.objects.aggregate(m=Max("id"))["m"] or 0 for k, m in ticket_models().items()}


def fix_sequences() -> None:
    from django.db import connection

    with connection.cursor() as c:
        for m in ticket_models().values():
            t = m._meta.db_table
            c.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "  # noqa: S608 (our table names)
                      f"GREATEST((SELECT max(id) FROM {t}), 1))")


def verify_references() -> int:
    """Count the loaded rows whose foreign keys point nowhere (the load skipped the FK
    triggers, so check them here, set-wise: one anti-join per foreign key)."""
    from django.db import connection

    qn = connection.ops.quote_name
    bad = 0
    with connection.cursor() as c:
        for key in ("customerphone", "ticket", "assignment", "ticketevent"):
            model = ticket_models()[key]
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model._meta
                c.execute(
                    f"SELECT count(*) FROM {qn(model._meta.db_table)} x "  # noqa: S608 (names from the models)
                    f"WHERE x.{qn(f.column)} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {qn(target.db_table)} y WHERE y.{qn(target.pk.column)} = x.{qn(f.column)})"
                )
                n = c.fetchone()[0]
                if n:
                    print(f"  {n} rows of {model._meta.db_table}.{f.column} point nowhere")
                bad += n
    return bad


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as c:
        for m in ticket_models().values():
            c.execute(f"VACUUM ANALYZE {m._meta.db_table}")


def create_database(db_url: str, drop: bool = False) -> None:
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    connection.close()
    with psycopg.connect(**params, autocommit=True) as admin:
        if drop:
            if "bench" not in name:
                raise SystemExit(f"--drop-db only drops a database named *bench*, not {name!r}")
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"dropped database {name}")
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    call_command("migrate", verbosity=0)


def seed(tickets: int, *, append: bool = False, events: str = "full", seed_value: int = 1,
         span_days: int = 365, quiet: bool = False, extra=None) -> dict:
    """Seed `tickets` tickets (replacing the old ones unless append). Returns timings.

    `extra(rows)`, if given, returns more [(model, rows)] to load in the same transaction
    after the tickets (W3: the search documents)."""
    from django.db import connection, transaction
    from django.utils import timezone

    if connection.vendor != "postgresql":
        raise SystemExit("seed.py loads with COPY: point DATABASE_URL at PostgreSQL.")
    t0 = time.perf_counter()
    created = ensure_org()
    token = ensure_token(TOKEN_USER)
    org = load_org()
    if not append:
        truncate_tickets()
    base = next_ids()
    t1 = time.perf_counter()
    gc.disable()  # millions of small dicts: the cyclic collector would rescan them again and again
    try:
        rows = generate(org, tickets, base, random.Random(seed_value), timezone.now(), span_days, events)
        more = extra(rows) if extra else []
        t2 = time.perf_counter()
        models = ticket_models()
        order = ("customer", "customerphone", "ticket", "assignment", "ticketevent")
        with transaction.atomic():
            skip_fk_triggers()
            # Appending keeps the indexes (rebuilding them would cost more than it saves).
            tables = [] if append else [models[k]._meta.db_table for k in order] + [m._meta.db_table for m, _r in more]
            with secondary_indexes_dropped(tables):
                for key in order:
                    copy_rows(models[key], rows[key])
                for model, extra_rows in more:
                    copy_rows(model, extra_rows)
    finally:
        gc.enable()
    fix_sequences()
    t3 = time.perf_counter()
    vacuum_analyze()
    t4 = time.perf_counter()
    if verify_references():
        raise SystemExit("the generated rows break foreign keys (see above)")
    t5 = time.perf_counter()
    counts = {k: len(v) for k, v in rows.items()}
    result = {
        "tickets": tickets, "org_created": created, "counts": counts,
        "open_tickets": sum(t["state"] not in ("closed", "archived") for t in rows["ticket"]),
        "seconds": {"org": round(t1 - t0, 2), "generate": round(t2 - t1, 2), "copy": round(t3 - t2, 2),
                    "vacuum_analyze": round(t4 - t3, 2), "verify": round(t5 - t4, 2),
                    "total": round(t5 - t0, 2)},
        "token_user": TOKEN_USER, "token_prefix": token[:8],
    }
    if not quiet:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--tickets", type=int, default=10_000)
    ap.add_argument("--append", action="store_true", help="add to the tickets already there")
    ap.add_argument("--events", choices=("full", "first"), default="full",
                    help="full: the whole event chain of each ticket; first: only `registered`")
    ap.add_argument("--create-db", action="store_true", help="create the database and migrate it")
    ap.add_argument("--drop-db", action="store_true",
                    help="drop the (*bench*) database first: a schema from older migrations goes")
    ap.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    args = ap.parse_args(argv)
    setup_django(args.database_url)
    if args.create_db or args.drop_db:
        create_database(args.database_url, drop=args.drop_db)
    seed(args.tickets, append=args.append, events=args.events, seed_value=args.seed)


if __name__ == "__main__":
    sys.exit(main())
