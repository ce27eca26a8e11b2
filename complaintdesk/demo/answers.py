"""The demo's reply templates and answer library (fictional policies of the demo operator)."""

from complaintdesk.answers.models import AnswerArticle, ReplyTemplate
from complaintdesk.answers.services import article_save
from complaintdesk.taxonomy.models import Category

# (code, purpose, kind, category, name, name_en, body, body_en)
TEMPLATES = [
    ("reply-general", "reply", "", "", "通用答复", "General reply",
     "{customer}您好，您反映的“{title}”（工单号 {number}）已由{department}核实处理。处理结果如下：\n\n如有疑问请致电客服热线并提供工单号。感谢您的理解与支持！",
     "Dear {customer}, the matter you raised, “{title}” (ticket {number}), has been checked and handled by {department}. The result:\n\nIf you have any question, call the hotline and quote the ticket number. Thank you for your patience."),
    ("reply-refund", "reply", "complaint", "billing", "退费答复", "Refund reply",
     "{customer}您好，经核实，您反映的扣费问题（工单号 {number}）属实，多扣的费用将在3个工作日内退回原账户。给您带来不便，深表歉意。",
     "Dear {customer}, we have checked the charge you reported (ticket {number}): it was wrong, and the amount will be refunded to your account within 3 working days. We apologise for the trouble."),
    ("invalid-not-ours", "invalid_answer", "", "", "不属于本公司受理范围", "Not ours to handle",
     "{customer}您好，经核实，您反映的问题不属于本公司的服务范围，建议您联系相关单位处理。感谢您的来电。",
     "Dear {customer}, we have checked your report: it is not a matter our company handles. We suggest you contact the body concerned. Thank you for calling."),
    ("callback-standard", "callback_script", "", "", "标准回访话术", "Standard callback script",
     "您好，我是客服{agent}。关于您之前反映的“{title}”（工单号 {number}），请问问题是否已经解决？您对处理结果是否满意？您还有其他意见或建议吗？",
     "Hello, this is {agent} from customer service. About “{title}” (ticket {number}) you reported: has the problem been solved? Are you satisfied with the result? Do you have any other opinion or suggestion?"),
]

# (code, kind, category, title, title_en, keywords, body, body_en)
ARTICLES = [
    ("refund-procedure", "", "billing", "错扣费用的退费流程", "How a wrong charge is refunded",
     "退费 退款 扣费 多扣 refund charge",
     "核实为错扣的费用，在核实当日发起退费，3个工作日内退回原支付账户；话费账户的退费可在次月账单中看到。",
     "A charge found to be wrong is refunded on the day it is confirmed and reaches the original account within 3 working days; a refund to the phone account shows on the next bill."),
    ("unsubscribe-value-added", "", "billing", "退订增值业务", "Cancelling value-added services",
     "退订 视频彩铃 增值业务 短信 unsubscribe",
     "客户可发送短信“0000”到10086查询并退订增值业务，也可在营业厅或App办理，退订立即生效，当月已扣费用按规定处理。",
     "Customers can text “0000” to 10086 to list and cancel value-added services, or do it at a business hall or in the app; cancelling takes effect at once."),
    ("tariff-change", "inquiry", "", "套餐变更规则", "Changing a tariff package",
     "套餐 变更 资费 月租 package tariff",
     "套餐变更次月生效；当月可办理一次。合约期内的套餐只能变更为同档或更高档。",
     "A package change takes effect the next month; one change per month. During a contract the package can only change to one of the same or a higher level."),
    ("roaming-charges", "", "", "国际漫游资费说明", "International roaming charges",
     "漫游 国际 出国 流量 roaming",
     "出境前可开通国际漫游流量包；未开通流量包时按标准资费计费，单日封顶60元。",
     "Before travelling, customers can buy a roaming data pack; without one, standard rates apply, capped at CNY 60 a day."),
    ("broadband-outage", "", "network", "宽带故障报修与恢复时限", "Broadband faults: reporting and repair time",
     "宽带 断网 故障 报修 网速 broadband outage",
     "宽带故障受理后24小时内上门，城区48小时内修复；区域性故障以公告为准，恢复后短信通知。",
     "After a broadband fault is reported an engineer visits within 24 hours; in towns it is repaired within 48 hours. Area-wide outages follow the public notice; customers get a text when service is back."),
    ("weak-signal", "", "network", "信号弱的处理办法", "What is done about weak signal",
     "信号差 信号弱 没信号 覆盖 signal coverage",
     "请客户提供具体地址和时段，网络部门在3个工作日内测试；确需建站的，告知规划进度。",
     "Ask for the exact address and times; the network department tests within 3 working days and, where a new site is needed, tells the customer the plan."),
]


def load_answers() -> tuple[int, int]:
    """The templates and the library; returns how many of each."""
    categories = {c.code: c for c in Category.objects.filter(
        code__in={t[3] for t in TEMPLATES} | {a[2] for a in ARTICLES})}
    ReplyTemplate.objects.bulk_create([
        ReplyTemplate(code=code, purpose=purpose, kind=kind, category=categories.get(cat),
                      name=name, name_en=name_en, body=body, body_en=body_en, position=i)
        for i, (code, purpose, kind, cat, name, name_en, body, body_en) in enumerate(TEMPLATES)])
    for code, kind, cat, title, title_en, keywords, body, body_en in ARTICLES:
        article_save(article=AnswerArticle(code=code, kind=kind, category=categories.get(cat), title=title,
                                           title_en=title_en, keywords=keywords, body=body, body_en=body_en))
    return len(TEMPLATES), len(ARTICLES)
