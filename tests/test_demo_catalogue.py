"""Internal consistency of the demo catalogue (pure data: no database)."""

import datetime as dt
import random
import re
from collections import Counter, defaultdict

import phonenumbers
import pytest

from complaintdesk.accounts.roles import Role
from complaintdesk.demo import catalogue as cat
from complaintdesk.tickets.vocabulary import Kind, Severity

SLUG = re.compile(r"^[-a-z0-9_]+$")
AMOUNT = re.compile(r"^\d+\.\d{2}$")
CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
THREAT = re.compile(r"媒体|曝光|记者|报社|电视台|工信部|12315|消协|律师|起诉|法庭|监管|邮政管理局")

UNITS = {u.code: u for u in cat.ORG_UNITS}
DEPTS = {d.code: d for d in cat.DEPARTMENTS}
CENTRE_ROLES = {"intake_agent", "dispatcher", "supervisor", "leader", "admin"}


def unit_chain(code):
    """The org unit and all its ancestors' codes."""
    chain = []
    while code:
        chain.append(code)
        code = UNITS[code].parent
    return chain


def all_categories_and_seeds():
    return [(c.code, seed) for c in cat.CATEGORIES for seed in range(6)]


# --- vocabulary mirrors ---------------------------------------------------------------------


def test_vocabularies_match_the_app():
    assert set(cat.KINDS) == {k.value for k in Kind}
    assert set(cat.SEVERITIES) == {s.value for s in Severity}
    assert set(cat.ROLES) == {r.value for r in Role}


# --- org units and departments --------------------------------------------------------------


def test_org_units_form_a_province_with_three_cities():
    codes = [u.code for u in cat.ORG_UNITS]
    assert len(codes) == len(set(codes))
    assert all(SLUG.match(c) and len(c) <= 40 for c in codes)
    seen = set()
    for u in cat.ORG_UNITS:  # parents come first, so a seeder can create in one pass
        assert u.parent is None or u.parent in seen, u.code
        seen.add(u.code)
        assert u.level in cat.LEVELS and u.name and u.name_en
    roots = [u for u in cat.ORG_UNITS if u.parent is None]
    assert len(roots) == 1 and roots[0].level == "province"
    cities = [u for u in cat.ORG_UNITS if u.parent == roots[0].code]
    assert len(cities) == 3 and all(c.level == "city" for c in cities)
    for city in cities:
        children = [u for u in cat.ORG_UNITS if u.parent == city.code]
        assert 2 <= len(children) <= 3
        assert all(c.level in ("county", "business_hall") for c in children)
    assert len(cat.ORG_UNITS) == 1 + 3 + sum(
        1 for u in cat.ORG_UNITS if u.level in ("county", "business_hall")
    )


def test_departments():
    assert len(cat.DEPARTMENTS) == 8
    assert len(DEPTS) == 8
    for d in cat.DEPARTMENTS:
        assert SLUG.match(d.code) and d.org_unit in UNITS and d.name and d.name_en
    centres = [d for d in cat.DEPARTMENTS if d.is_centre]
    assert [d.code for d in centres] == [cat.CENTRE_DEPARTMENT]
    assert UNITS[centres[0].org_unit].level == "province"


# --- staff ----------------------------------------------------------------------------------


def test_staff_accounts_are_unique_and_well_formed():
    usernames = [s.username for s in cat.STAFF]
    numbers = [s.employee_no for s in cat.STAFF]
    assert len(usernames) == len(set(usernames))
    assert len(numbers) == len(set(numbers))
    for s in cat.STAFF:
        assert re.match(r"^[a-z][a-z0-9_]*$", s.username), s.username
        assert re.match(r"^G\d{5}$", s.employee_no), s.employee_no
        assert s.role in cat.ROLES and s.display_name
        assert s.org_unit in UNITS
        assert s.department is None or s.department in DEPTS
        if s.department:  # staff sit in their department's org unit or below it
            assert DEPTS[s.department].org_unit in unit_chain(s.org_unit), s.username


def test_every_role_is_covered():
    assert {s.role for s in cat.STAFF} == set(cat.ROLES)


def test_department_roles_have_departments_and_every_owner_is_staffed():
    for s in cat.STAFF:
        if s.role in ("handler", "dept_head"):
            assert s.department and s.department != cat.CENTRE_DEPARTMENT, s.username
        if s.role in CENTRE_ROLES:
            assert s.department in (cat.CENTRE_DEPARTMENT, None), s.username
    for d in cat.DEPARTMENTS:
        if d.is_centre:
            continue
        roles = {s.role for s in cat.STAFF if s.department == d.code}
        assert {"handler", "dept_head"} <= roles, d.code


def test_city_level_centre_staff_exist_for_scope_tests():
    city_roles = {s.role for s in cat.STAFF if UNITS[s.org_unit].level == "city"}
    assert {"dispatcher", "intake_agent"} <= city_roles


def test_one_sales_lead_per_city():
    cities = {u.code for u in cat.ORG_UNITS if u.level == "city"}
    leads = [s for s in cat.STAFF if s.sales_lead_for]
    assert Counter(s.sales_lead_for for s in leads) == Counter(cities)
    for s in leads:
        assert s.role == "handler" and s.department == "marketing"
        assert s.sales_lead_for in unit_chain(s.org_unit)


def test_integration_account():
    (integration,) = [s for s in cat.STAFF if s.username == "integration"]
    assert integration.role == "intake_agent"


def test_staff_and_customers_do_not_share_names():
    assert not {s.display_name for s in cat.STAFF} & set(cat.CUSTOMER_NAMES)


# --- categories and elements ----------------------------------------------------------------


def test_category_codes_and_tree_shape():
    codes = [c.code for c in cat.CATEGORIES]
    assert len(codes) == len(set(codes))
    seen = set()
    for c in cat.CATEGORIES:
        assert SLUG.match(c.code) and len(c.code) <= 60, c.code
        assert c.kind in cat.KINDS and c.name and c.name_en
        assert c.parent is None or c.parent in seen, c.code  # parents first
        if c.parent:
            assert cat.CATEGORY_BY_CODE[c.parent].kind == c.kind
        assert c.default_severity in ("", *cat.SEVERITIES)
        seen.add(c.code)
    assert {c.kind for c in cat.CATEGORIES} == set(cat.KINDS)


def test_complaint_top_level_nodes():
    tops = [c.code for c in cat.CATEGORIES if c.kind == "complaint" and c.parent is None]
    assert tops == ["billing", "network", "service", "business", "vas", "marketing", "parcel", "claims"]
    for top in tops:
        leaves = [c for c in cat.CATEGORIES if c.parent == top]
        assert 2 <= len(leaves) <= 4, top


def test_other_kinds_have_small_trees():
    for kind in cat.KINDS:
        if kind == "complaint":
            continue
        nodes = [c for c in cat.CATEGORIES if c.kind == kind]
        assert 2 <= len(nodes) <= 4, kind


def test_every_category_resolves_an_existing_owning_department():
    for c in cat.CATEGORIES:
        if c.parent is None:
            assert c.owning_department, c.code
        if c.owning_department:
            assert c.owning_department in DEPTS, c.code
        assert cat.owning_department_for(c.code) in DEPTS
        assert cat.default_severity_for(c.code) in cat.SEVERITIES


def test_approval_nodes():
    approval = {c.code for c in cat.CATEGORIES if c.requires_approval}
    assert {"service-media-exposure", "claims-major-dispute"} <= approval
    for code in approval:
        assert cat.default_severity_for(code) == "major"


def test_elements_are_well_formed():
    for c in cat.CATEGORIES:
        for el in c.elements:
            assert SLUG.match(el.key) and len(el.key) <= 40
            assert el.type in cat.ELEMENT_TYPES and el.label and el.label_en
            if el.type == "choice":
                assert len(el.choices) >= 2, el.key
                values = [ch["value"] for ch in el.choices]
                assert len(values) == len(set(values))
                assert all(set(ch) == {"value", "label", "label_en"} and all(ch.values()) for ch in el.choices)
            else:
                assert el.choices == (), el.key
            fields = el.model_fields(3)
            assert fields["position"] == 3 and isinstance(fields["choices"], list)


def test_inherited_elements_have_unique_keys_along_each_chain():
    for c in cat.CATEGORIES:
        keys = [el.key for el in cat.elements_for(c.code)]
        assert len(keys) == len(set(keys)), c.code
        assert keys[: len(keys) - len(c.elements)] == [
            el.key for node in cat.ancestors(c.code)[:-1] for el in node.elements
        ]


def test_same_key_means_same_element_everywhere():
    by_key = defaultdict(set)
    for c in cat.CATEGORIES:
        for el in c.elements:
            by_key[el.key].add((el.type, el.label_en))
    assert {k: v for k, v in by_key.items() if len(v) > 1} == {}


def test_seed_000_required_elements_are_present():
    def keys(code):
        return {el.key: el.type for el in cat.elements_for(code)}

    assert keys("billing") == {"dispute_month": "date", "disputed_amount": "amount", "service_number": "phone"}
    assert {"fault_address": "text", "fault_start": "date", "signal_status": "choice"}.items() <= keys(
        "network").items()
    assert keys("parcel") == {"waybill_no": "text", "send_date": "date", "item_value": "amount"}
    assert keys("claims") == {"policy_no": "text", "incident_date": "date", "claim_amount": "amount"}


def test_every_element_can_be_generated():
    for c in cat.CATEGORIES:
        for el in c.elements:
            if el.type == "text":
                assert el.key in cat._ELEMENT_SLOTS, el.key
            elif el.type == "amount":
                assert el.key in cat._AMOUNT_RANGES or (c.code, el.key) in cat._AMOUNT_OVERRIDES
            elif el.type == "number":
                assert el.key in cat._NUMBER_RANGES, el.key
            elif el.type == "date":
                assert el.key in cat._DATE_RANGES or el.key == "dispute_month", el.key


# --- templates ------------------------------------------------------------------------------


def test_templates_exist_for_every_tree_and_every_category():
    tops = {c.code for c in cat.CATEGORIES if c.parent is None}
    assert set(cat.TEXT_TEMPLATES) == tops
    for top, templates in cat.TEXT_TEMPLATES.items():
        assert 4 <= len(templates) <= 8, top
    for c in cat.CATEGORIES:
        assert cat.applicable_templates(c.code), c.code


def test_template_leaves_and_fixed_values_fit_their_tree():
    for top, templates in cat.TEXT_TEMPLATES.items():
        for t in templates:
            for leaf in t.leaves:
                assert cat.top_level_of(leaf) == top, (top, leaf)
            for code in t.leaves or (top,):
                elements = {el.key: el for el in cat.elements_for(code)}
                for key, value in t.fixed.items():
                    assert key in elements, (t.title, code, key)
                    options = value if isinstance(value, tuple) else (value,)
                    if elements[key].type == "choice":
                        valid = {ch["value"] for ch in elements[key].choices}
                        assert set(options) <= valid, (t.title, key)


def test_every_template_slot_has_a_source():
    drawable = set(cat.SLOT_VALUES) | set(cat._SLOT_GENERATORS)
    assert not set(cat.SLOT_VALUES) & set(cat._SLOT_GENERATORS)
    assert all(cat.SLOT_VALUES.values())
    formats = [f for ts in cat.TEXT_TEMPLATES.values() for t in ts
               for f in (t.title, t.description, t.product, t.title_en, t.description_en)]
    formats += list(cat._PRODUCTS.values())
    for fmt in formats:
        assert cat.template_slots(fmt) <= drawable, fmt
    for feeds in cat._ELEMENT_SLOTS.values():
        for slot, _ in feeds:
            assert slot in drawable, slot


def test_english_templates_use_language_neutral_slots():
    english = [t for ts in cat.TEXT_TEMPLATES.values() for t in ts if t.title_en or t.description_en]
    assert len(english) >= 3
    for t in english:
        assert t.title_en and t.description_en
        assert cat.template_slots(t.title_en + t.description_en) <= cat._LANGUAGE_NEUTRAL_SLOTS


def test_special_templates_and_only_those_carry_a_threat():
    for ts in cat.TEXT_TEMPLATES.values():
        for t in ts:
            assert bool(THREAT.search(t.title + t.description)) == t.special, t.title


def test_media_exposure_templates_are_special():
    for t in cat.applicable_templates("service-media-exposure"):
        if t.leaves:
            assert t.special


# --- render_text ----------------------------------------------------------------------------


def check_element_value(el, value, today):
    if el.type == "phone":
        assert re.match(r"^1[358]\d{9}$", value), value
        number = phonenumbers.parse(value, "CN")
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    elif el.type == "choice":
        assert value in {ch["value"] for ch in el.choices}
    elif el.type == "number":
        assert isinstance(value, int) and value > 0
    elif el.type == "amount":
        assert isinstance(value, str) and AMOUNT.match(value), value
    elif el.type == "date":
        assert dt.date.fromisoformat(value) <= today
    else:
        assert isinstance(value, str) and value.strip()


@pytest.mark.parametrize(("code", "seed"), all_categories_and_seeds())
def test_render_text_fills_every_required_element(code, seed):
    today = dt.date(2025, 3, 4) if seed % 2 else cat.REFERENCE_DATE
    out = cat.render_text(random.Random(seed), code, today=today)
    assert set(out) == {"title", "description", "product", "elements", "special"}
    assert isinstance(out["special"], bool)
    for key in ("title", "description", "product"):
        assert out[key] and "{" not in out[key] and "}" not in out[key]
    elements = {el.key: el for el in cat.elements_for(code)}
    assert set(out["elements"]) <= set(elements)
    for key, el in elements.items():
        if el.required:
            assert key in out["elements"], (code, key)
        if key in out["elements"]:
            check_element_value(el, out["elements"][key], today)


def test_render_text_is_deterministic():
    for c in cat.CATEGORIES:
        assert cat.render_text(random.Random(42), c.code) == cat.render_text(random.Random(42), c.code)


def test_render_text_keeps_dependent_values_coherent():
    for seed in range(30):
        rng = random.Random(seed)
        parcel = cat.render_text(rng, "parcel-delayed")["elements"]
        assert parcel["promised_date"] > parcel["send_date"]
        claim = cat.render_text(rng, "claims-slow")["elements"]
        assert claim["claim_submit_date"] >= claim["incident_date"]
        paid = cat.render_text(rng, "claims-amount-dispute")["elements"]
        assert float(paid["paid_amount"]) <= float(paid["claim_amount"])
        major = cat.render_text(rng, "claims-major-dispute")["elements"]
        assert float(major["claim_amount"]) > 50000
        month = cat.render_text(rng, "billing")["elements"]["dispute_month"]
        assert month.endswith("-01")


def test_render_text_uses_element_values_in_the_story():
    named = 0
    for seed in range(20):
        out = cat.render_text(random.Random(seed), "billing-unsubscribed-charge")
        amount = cat._plain_amount(out["elements"]["disputed_amount"])
        assert amount in out["description"]
        named += out["elements"]["service_name"] in out["description"]
    assert named >= 10  # the generic "billing" story does not name the service


def test_render_text_respects_fixed_values():
    for seed in range(20):
        out = cat.render_text(random.Random(seed), "network-no-coverage")
        if "一点信号都没有" in out["description"]:
            assert out["elements"]["signal_status"] == "no_signal"


def test_render_text_in_english_where_available():
    out = cat.render_text(random.Random(1), "claims-slow", lang="en")
    assert out["description"].isascii()
    # no English template: falls back to Chinese rather than failing
    assert cat.render_text(random.Random(1), "vas-spam", lang="en")["description"]


def test_special_flag_appears_in_rendered_tickets():
    specials = [cat.render_text(random.Random(s), "service-media-exposure")["special"] for s in range(10)]
    assert all(specials)


# --- customers and phones -------------------------------------------------------------------


def test_customer_names():
    assert len(cat.CUSTOMER_NAMES) >= 50
    assert len(set(cat.CUSTOMER_NAMES)) == len(cat.CUSTOMER_NAMES)
    assert all(CJK_NAME.match(n) for n in cat.CUSTOMER_NAMES)
    assert cat.random_customer_name(random.Random(0)) in cat.CUSTOMER_NAMES


def test_random_mobile_numbers_are_valid_cn_mobiles():
    rng = random.Random(7)
    for _ in range(500):
        number = cat.random_mobile(rng)
        assert len(number) == 11 and number[:2] in ("13", "15", "18")
        parsed = phonenumbers.parse(number, "CN")
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
