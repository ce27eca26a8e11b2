"""The screening's starting rules: the issue's repeat defaults, the phrases domain.md names
(media exposure, journalists, lawyers and lawsuits, 12315 / 工信部 / 银保监 / 消协 threats,
self-harm, group visits) and 000's six special complainant types. All are edited in the admin.

000 details only the publicity type (外宣传型: its six handling steps are quoted below); it
names the six types in its contents only, so the other five and their hints follow common
complaint-handling training and are meant to be adapted."""

from django.db import migrations

PHRASES = {
    "media": ["曝光", "找媒体", "媒体曝光", "上电视", "发到网上", "发微博", "media exposure"],
    "journalist": ["记者", "报社", "电视台", "栏目组", "journalist", "newspaper"],
    "lawyer": ["律师", "律师函", "起诉", "打官司", "诉讼", "法院", "lawyer", "lawsuit"],
    "regulator": ["12315", "工信部", "12300", "银保监", "金融监管", "12378", "消协", "消费者协会",
                  "市场监管局"],
    "self_harm": ["自杀", "跳楼", "不想活", "轻生", "同归于尽"],
    "group_visit": ["集体上访", "上访", "集体投诉", "拉横幅", "围堵"],
}

TYPES = [
    ("publicity", "外宣传型", "Publicity type",
     "步骤1 理解客户：给客户单独发泄的空间，认真倾听，表示承担责任。\n"
     "步骤2 受理投诉：了解客户真实需求，充分解释公司目前的处理方式和流程，争取理解。\n"
     "步骤3 处理问题：及时补偿，快速处理。\n"
     "步骤4 答复客户：告知处理程序和结果，对客户表示感谢。\n"
     "步骤5 特事特办：主管经理直接与客户交流，必要时考虑外部仲裁。\n"
     "步骤6 表示感谢，征求客户意见。",
     "1. Understand: give the customer room to vent, listen, own the problem.\n"
     "2. Accept: find the real need, explain the process and how it is handled now.\n"
     "3. Act: compensate and act fast.\n"
     "4. Answer: tell the procedure and the result, thank the customer.\n"
     "5. Special treatment: a manager talks to the customer directly; external arbitration if needed.\n"
     "6. Thank the customer and ask for their opinion."),
    ("hot_tempered", "情绪激动型", "Hot-tempered type",
     "先处理情绪再处理事情：保持冷静、不争辩，换到安静场所，由资深人员接待，承诺明确的回复时间。",
     "Calm the feelings before the matter: stay calm, do not argue, move to a quiet place, let a "
     "senior colleague take over, promise a definite time for the answer."),
    ("compensation", "索赔型", "Compensation-seeking type",
     "核实事实与损失，按公司标准和法规说明补偿依据，不做超出权限的承诺，补偿方案报批。",
     "Check the facts and the loss, explain the basis of any compensation by the company's rules and "
     "the law, promise nothing beyond your authority, get the offer approved."),
    ("stubborn", "固执型", "Stubborn type",
     "耐心倾听，用事实和书面依据说明，给出可选方案由客户选择，必要时请上级出面。",
     "Listen patiently, explain with facts and written rules, offer options for the customer to "
     "choose from, bring in a superior when needed."),
    ("expert", "专业型", "Expert type",
     "由熟悉业务的专业人员接待，核对条款与技术细节，回答准确，不确定的内容查证后答复。",
     "Let a specialist handle it, check the terms and technical details, answer precisely, verify "
     "before answering anything uncertain."),
    ("unreasonable", "无理取闹型", "Unreasonable type",
     "坚持原则、依规处理，全程记录，两人以上接待，涉及违法行为及时报告并请求协助。",
     "Hold to the rules, record everything, have two staff present, report unlawful behaviour at "
     "once and ask for help."),
]


def seed(apps, schema_editor):
    RepeatRule = apps.get_model("screening", "RepeatRule")
    SpecialPhrase = apps.get_model("screening", "SpecialPhrase")
    SpecialType = apps.get_model("screening", "SpecialType")
    RepeatRule.objects.get_or_create(kind="", defaults={
        "active": True, "category_level": 1, "window_days": 30, "over_the_head_raise": 1,
        "over_the_head_min_severity": ""})
    for meaning, phrases in PHRASES.items():
        for phrase in phrases:
            SpecialPhrase.objects.get_or_create(phrase=phrase, defaults={"meaning": meaning})
    for position, (code, name, name_en, hints, hints_en) in enumerate(TYPES):
        SpecialType.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "hints": hints, "hints_en": hints_en,
            "position": position})


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
