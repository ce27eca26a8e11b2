"""A small organisation for the tests: one province with two cities, a centre and three
departments, one staff account per role, and a two-level complaint category tree."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.utils import timezone

from complaintdesk.accounts.models import ApiToken, User, hash_token
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.regulators.services.transfers import profile_options_changed
from complaintdesk.screening.services.rules import screening_rules_changed
from complaintdesk.search import segment
from complaintdesk.search.services.dictionary import dictionary_words
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.taxonomy.models import Category, RequiredElement
from complaintdesk.tickets.services.intake import TicketDraft, ticket_register

_seq = itertools.count(1)

# The user dictionary is re-read by the segmenter every SEARCH_DICTIONARY_SECONDS: a query at
# a moment no test chooses. In the tests it is read only when a test says it changed.
segment.set_user_words_loader(dictionary_words, refresh_seconds=float("inf"))


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


@pytest.fixture
def org(db):
    province = OrgUnit.add_root(code="p", name="江南省", name_en="Jiangnan", level="province")
    city_a = province.add_child(code="p-a", name="甲市", name_en="City A", level="city")
    city_b = province.add_child(code="p-b", name="乙市", name_en="City B", level="city")
    county = city_a.add_child(code="p-a-1", name="甲县", name_en="County A1", level="county")
    centre = Department.objects.create(org_unit=province, code="centre", name="客户服务中心", name_en="Customer service centre", is_centre=True)
    billing = Department.objects.create(org_unit=province, code="billing", name="计费账务部", name_en="Billing")
    network = Department.objects.create(org_unit=province, code="network", name="网络运维部", name_en="Network operations")
    sales = Department.objects.create(org_unit=city_a, code="sales-a", name="甲市市场部", name_en="City A marketing")

    def user(username, role, unit, department=None):
        return User.objects.create_user(
            username=username, password="pw-for-tests-1", role=role, org_unit=unit,
            department=department, display_name=username,
        )

    users = {
        "intake_agent": user("agent", "intake_agent", province, centre),
        "dispatcher": user("dispatcher", "dispatcher", province, centre),
        "handler": user("handler", "handler", province, billing),
        "dept_head": user("head", "dept_head", province, billing),
        "supervisor": user("supervisor", "supervisor", province, centre),
        "leader": user("leader", "leader", province),
        "admin": user("admin", "admin", province),
        # for scope tests
        "network_handler": user("net", "handler", province, network),
        "city_b_dispatcher": user("dispatcher-b", "dispatcher", city_b, centre),
        "sales_lead": user("sales-a", "handler", city_a, sales),
    }
    city_a.sales_lead = users["sales_lead"]
    city_a.save()

    billing_node = Category.add_root(kind="complaint", code="billing", name="计费账务", name_en="Billing", owning_department=billing)
    RequiredElement.objects.create(category=billing_node, key="account_phone", label="业务号码", label_en="Account number", type="phone")
    overcharge = billing_node.add_child(kind="complaint", code="billing-overcharge", name="多扣费", name_en="Overcharge", default_severity="general")
    RequiredElement.objects.create(category=overcharge, key="month", label="争议月份", label_en="Disputed month", type="date", position=1)
    RequiredElement.objects.create(category=overcharge, key="amount", label="争议金额", label_en="Disputed amount", type="amount", position=2)
    RequiredElement.objects.create(
        category=overcharge, key="channel_of_order", label="订购渠道", label_en="How it was ordered", type="choice",
        choices=[{"value": "sms", "label": "短信", "label_en": "SMS"}, {"value": "app", "label": "App", "label_en": "App"}],
        required=False, position=3,
    )
    major = billing_node.add_child(kind="complaint", code="billing-refund", name="退费争议", name_en="Refund dispute", requires_approval=True)
    net = Category.add_root(kind="complaint", code="network", name="网络与信号", name_en="Network", owning_department=network)
    net.add_child(kind="complaint", code="network-weak", name="信号弱", name_en="Weak signal")
    inquiry = Category.add_root(kind="inquiry", code="inquiry", name="咨询", name_en="Inquiry", owning_department=billing)
    inquiry.add_child(kind="inquiry", code="inquiry-tariff", name="资费咨询", name_en="Tariffs")
    sales_root = Category.add_root(kind="sales_lead", code="sales", name="商机", name_en="Sales lead")
    sales_root.add_child(kind="sales_lead", code="sales-broadband", name="宽带商机", name_en="Broadband")
    return {
        "province": province, "city_a": city_a, "city_b": city_b, "county": county,
        "centre": centre, "billing": billing, "network": network, "sales": sales,
        "users": users, "categories": {"overcharge": overcharge, "refund": major},
    }


@pytest.fixture
def users(org):
    return org["users"]


def draft(**overrides) -> TicketDraft:
    values = dict(
        kind="complaint", category="billing-overcharge", channel="hotline",
        title="话费多扣", description="十月份话费多扣了58元，我没有订购过视频彩铃。",
        phone="13800138000", customer_name="张三",
        elements={"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"},
    )
    values.update(overrides)
    return TicketDraft(**values)


@pytest.fixture
def make_ticket(org):
    def make(actor=None, **overrides):
        actor = actor or org["users"]["intake_agent"]
        ticket, _ = ticket_register(actor=actor, draft=draft(**overrides))
        return ticket

    return make


@pytest.fixture
def token_for(db):
    def make(user) -> str:
        raw = ApiToken.new_raw_token()
        ApiToken.objects.create(user=user, name="test", key_hash=hash_token(raw), prefix=raw[:8])
        return raw

    return make


@pytest.fixture
def api(client, token_for):
    """Call the API as a user: api(user).post(path, json, **headers)."""

    class Caller:
        def __init__(self, user, lang="en"):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}", "HTTP_ACCEPT_LANGUAGE": lang}

        def get(self, path, **extra):
            return client.get("/api/v1" + path, **self.headers, **extra)

        def post(self, path, data=None, **extra):
            return client.post("/api/v1" + path, data=data or {}, content_type="application/json", **self.headers, **extra)

    return Caller


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at full strength costs ~0.3 s per staff account; the tests create dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_sla_config():
    # Calendars and policies are cached per process (sla/services/calendars.py): each test
    # starts from its own rows, not from those of a test that was rolled back.
    sla_config_changed()
    screening_rules_changed()  # the screening rules are cached the same way
    profile_options_changed()  # and the regulator profiles of the forms
    yield
    sla_config_changed()
    screening_rules_changed()
    profile_options_changed()


@pytest.fixture(autouse=True)
def _fresh_user_dictionary():
    # A test's dictionary words are rolled back with its database: none for the next test.
    segment.set_user_words([])
    yield
    segment.set_user_words([])


@pytest.fixture(autouse=True)
def _default_language():
    # A test that activates a language (a request in English, translation.activate) must not
    # hand it to the next test in the same worker: each starts in the default language.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
