"""The four regulator profiles of issue 10 with the figures of domain.md ("Regulators, source
tiers and KPIs"): NFRA, MIIT, the State Post Bureau and 12345. The admin edits them (local
12345 rules differ; check the official text before relying on a figure)."""

from django.db import migrations


def col(field, header, header_en):
    return {"field": field, "header": header, "header_en": header_en}


PROFILES = [
    {
        "code": "nfra", "name": "国家金融监督管理总局（12378）", "name_en": "NFRA (12378)", "source_tier": "12378",
        "basis": "银行业保险业消费投诉处理管理办法（2020）", "amount": 15, "day_basis": "calendar_days", "max_total": 60,
        "sheet_title": "消费投诉处理情况", "matters": [
            ("sales", "销售", "Sales"), ("claims", "理赔", "Claims"), ("surrender", "退保", "Surrender"),
            ("underwriting", "承保", "Underwriting"), ("policy_service", "保全", "Policy service")],
        "extensions": [(1, 30, False, "情况复杂", "Complex case"),
                       (2, 60, True, "情况特别复杂（经高级管理人员审批）", "Especially complex (senior manager's approval)")],
        "deadlines": [], "admissibility": [],
        "columns": [col("regulator_ref", "投诉编号", "Complaint no."), col("number", "工单编号", "Ticket no."),
                    col("customer_name", "投诉人", "Complainant"), col("phone", "联系电话", "Phone"),
                    col("matter", "投诉原因", "Cause"), col("title", "投诉事项", "Matter"),
                    col("transferred_at", "收到转办时间", "Received"), col("due_at", "处理期限", "Deadline"),
                    col("handling", "处理情况", "Handling"), col("reply", "处理决定及告知内容", "Decision told"),
                    col("replied_at", "告知时间", "Told at"), col("on_time", "是否按期", "On time"),
                    col("extension", "延期", "Extension"), col("satisfaction", "满意度", "Satisfaction")],
    },
    {
        "code": "miit", "name": "工业和信息化部（12300）", "name_en": "MIIT (12300)", "source_tier": "12300",
        "basis": "电信用户申诉处理办法（2016）", "amount": 15, "day_basis": "calendar_days", "max_total": None,
        "sheet_title": "用户申诉处理情况", "matters": [
            ("user_service", "用户服务", "User service"), ("network_quality", "网络质量", "Network quality"),
            ("billing", "收费争议", "Billing dispute")],
        "extensions": [],
        "deadlines": [("regulator", None, "", 5, "working_days", "受理或不予受理", "Accept or reject the appeal"),
                      ("regulator", None, "", 30, "calendar_days", "答复申诉人", "Answer the appellant")],
        "admissibility": [("billing", 5, "months", "收费争议超过五个月的申诉不予受理（电信用户申诉处理办法）",
                           "Billing disputes older than 5 months are not admissible (MIIT appeal rules)."),
                          (None, 2, "years", "争议超过二年的申诉不予受理（电信用户申诉处理办法）",
                           "Disputes older than 2 years are not admissible (MIIT appeal rules).")],
        "columns": [col("regulator_ref", "申诉编号", "Appeal no."), col("customer_name", "申诉人", "Appellant"),
                    col("phone", "联系电话", "Phone"), col("matter", "申诉类别", "Category"),
                    col("description", "申诉内容", "Appeal"), col("transferred_at", "转办时间", "Transferred"),
                    col("due_at", "处理时限", "Deadline"), col("handling", "调查处理情况", "Investigation"),
                    col("reply", "答复用户情况", "Answer to the user"), col("replied_at", "答复时间", "Answered at"),
                    col("on_time", "是否按期", "On time"), col("department", "责任部门", "Department"),
                    col("cause", "原因", "Cause")],
    },
    {
        "code": "post", "name": "国家邮政局（12305）", "name_en": "State Post Bureau (12305)", "source_tier": "12305",
        "basis": "邮政业用户申诉处理办法", "amount": 7, "day_basis": "calendar_days", "max_total": None,
        "sheet_title": "用户申诉处理情况", "matters": [
            ("delay", "延误", "Delay"), ("loss", "丢失短少", "Loss or shortage"), ("damage", "损毁", "Damage"),
            ("delivery", "投递服务", "Delivery service")],
        "extensions": [],
        "deadlines": [("regulator", None, "", 30, "calendar_days", "答复申诉人", "Answer the appellant")],
        "admissibility": [],
        "columns": [col("regulator_ref", "申诉编号", "Appeal no."), col("customer_name", "申诉人", "Appellant"),
                    col("phone", "联系电话", "Phone"), col("matter", "问题类型", "Problem"),
                    col("description", "申诉内容", "Appeal"), col("transferred_at", "转办时间", "Transferred"),
                    col("due_at", "处理时限", "Deadline"), col("valid", "企业是否有责", "Company liable"),
                    col("handling", "处理结果", "Result"), col("reply", "答复内容", "Answer"),
                    col("replied_at", "答复时间", "Answered at"), col("satisfaction", "满意度", "Satisfaction")],
    },
    {
        "code": "12345", "name": "12345政务服务便民热线", "name_en": "12345 government hotline", "source_tier": "12345",
        "basis": "当地12345热线工单办理规定（以当地规定为准）", "amount": 13, "day_basis": "working_days",
        "max_total": None, "sheet_title": "工单办理情况", "matters": [
            ("inquiry", "咨询", "Enquiry"), ("help", "求助", "Request for help"), ("complaint", "投诉", "Complaint"),
            ("report", "举报", "Report"), ("suggestion", "建议", "Suggestion")],
        "extensions": [],
        "deadlines": [("company", "inquiry", "", 3, "working_days", "", ""),
                      ("company", "complaint", "", 13, "working_days", "", ""),
                      ("company", None, "emergency", 0, "working_days", "当日办结", "The same day")],
        "admissibility": [],
        "columns": [col("regulator_ref", "工单编号", "Work order no."), col("number", "本单位工单号", "Our ticket no."),
                    col("customer_name", "来电人", "Caller"), col("phone", "联系电话", "Phone"),
                    col("matter", "诉求类型", "Type"), col("urgency", "紧急程度", "Urgency"),
                    col("description", "诉求内容", "Request"), col("transferred_at", "派单时间", "Dispatched"),
                    col("due_at", "办理时限", "Deadline"), col("handling", "办理结果", "Result"),
                    col("reply", "答复内容", "Answer"), col("replied_at", "办结时间", "Done at"),
                    col("on_time", "是否按期", "On time")],
    },
]


def seed(apps, schema_editor):
    Profile = apps.get_model("regulators", "RegulatorProfile")
    Matter = apps.get_model("regulators", "RegulatorMatter")
    Deadline = apps.get_model("regulators", "RegulatorDeadline")
    Extension = apps.get_model("regulators", "RegulatorExtension")
    Rule = apps.get_model("regulators", "AdmissibilityRule")
    for p in PROFILES:
        if Profile.objects.filter(code=p["code"]).exists():
            continue
        profile = Profile.objects.create(
            code=p["code"], name=p["name"], name_en=p["name_en"], source_tier=p["source_tier"], basis=p["basis"],
            amount=p["amount"], day_basis=p["day_basis"], max_total=p["max_total"], sheet_title=p["sheet_title"],
            sheet_columns=p["columns"],
            ladder=[{"after_minutes": 0, "notify": "supervisor"}, {"after_minutes": 1440, "notify": "leader"}])
        matters = {}
        for i, (code, name, name_en) in enumerate(p["matters"]):
            matters[code] = Matter.objects.create(profile=profile, code=code, name=name, name_en=name_en, position=i)
        for step, total, approval, name, name_en in p["extensions"]:
            Extension.objects.create(profile=profile, step=step, total=total, requires_approval=approval,
                                     name=name, name_en=name_en)
        for party, matter, urgency, amount, basis, step, step_en in p["deadlines"]:
            Deadline.objects.create(profile=profile, party=party, matter=matters.get(matter), urgency=urgency,
                                    amount=amount, day_basis=basis, step=step, step_en=step_en)
        for matter, age, unit, message, message_en in p["admissibility"]:
            Rule.objects.create(profile=profile, matter=matters.get(matter), max_age=age, age_unit=unit,
                                message=message, message_en=message_en)


class Migration(migrations.Migration):
    dependencies = [("regulators", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
