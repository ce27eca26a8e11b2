"""A starting root-cause tree (two levels under the coarse causes of the ticket vocabulary),
edited afterwards in the admin. Paths are written as treebeard writes them (steplen 4,
base 36 upper case), since the historical model has no tree methods."""

from django.db import migrations

TREE = [
    ("product_quality", "rc-product", "产品质量", "Product quality", [
        ("rc-product-design", "设计缺陷", "Design defect"),
        ("rc-product-delivery", "交付或安装缺陷", "Delivery or installation defect"),
    ]),
    ("service", "rc-service", "服务", "Service", [
        ("rc-service-attitude", "服务态度", "Staff attitude"),
        ("rc-service-skill", "业务不熟练（培训不足）", "Lack of skill (training)"),
        ("rc-service-process", "流程缺陷", "Process gap"),
        ("rc-service-slow", "响应或处理超时", "Slow response or handling"),
    ]),
    ("sales", "rc-sales", "销售", "Sales", [
        ("rc-sales-misleading", "误导宣传", "Misleading sales"),
        ("rc-sales-undisclosed", "未尽告知义务", "Terms not disclosed"),
    ]),
    ("network", "rc-network", "网络", "Network", [
        ("rc-network-coverage", "覆盖不足", "Insufficient coverage"),
        ("rc-network-equipment", "设备故障", "Equipment failure"),
    ]),
    ("policy", "rc-policy", "政策与规则", "Policy and rules", [
        ("rc-policy-unfair", "规则不合理", "Unreasonable rule"),
        ("rc-policy-unpublished", "规则未公示", "Rule not published"),
    ]),
    ("third_party", "rc-third-party", "第三方", "Third party", [
        ("rc-third-party-partner", "合作方原因", "Partner's fault"),
    ]),
    ("customer_misunderstanding", "rc-customer", "客户误解", "Customer misunderstanding", [
        ("rc-customer-unclear", "信息告知不清", "Unclear information"),
    ]),
]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _step(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
    return out.rjust(4, "0")


def seed(apps, schema_editor):
    RootCause = apps.get_model("capa", "RootCause")
    if RootCause.objects.exists():
        return
    # node_order_by = code: siblings are stored in code order.
    for i, (cause, code, name, name_en, children) in enumerate(sorted(TREE, key=lambda r: r[1]), start=1):
        path = _step(i)
        RootCause.objects.create(path=path, depth=1, numchild=len(children), code=code, name=name,
                                 name_en=name_en, cause=cause)
        for j, (ccode, cname, cname_en) in enumerate(sorted(children), start=1):
            RootCause.objects.create(path=path + _step(j), depth=2, numchild=0, code=ccode, name=cname,
                                     name_en=cname_en, cause="")


class Migration(migrations.Migration):
    dependencies = [("capa", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
