"""Whose side the resident is on (victim or offender, tenant or landlord, child or parent...), read from
the message, to re-rank entries that share the facts but not the role (app.consult.kb.SIDES)."""

from __future__ import annotations

import re

# side → cue patterns in the squeezed message (first person or a family member as the actor)
_ME = r"(我|俺|我们|我家|我儿子|我女儿|我孩子|孩子|儿子|女儿|我老公|我老婆|我爸|我妈|家里人)"
CUES: dict[str, re.Pattern[str]] = {
    "offender": re.compile(
        _ME + r"(把人|将人|不小心)?(撞了|撞伤|撞倒|撞死|打了人|打伤了?人|把人打|偷了|偷东西|骗了人|被抓|被拘留|被刑拘|"
        r"被逮捕|涉嫌|犯了|开车撞|骑车撞|酒驾|醉驾|肇事|伤了人|捅了)|会不会坐牢|要坐牢吗|判几年|能不能取保|"
        r"(打|伤|撞|捅|砍)(了|伤了?)(人|别人|同学|路人|老人|行人)|(?<!被)我(开|骑|驾驶)?[^被，,。]{0,6}撞(了|伤|倒|死)|"
        r"(要不要|会不会|能不能|用不用|会)坐牢|坐牢吗|(我|我儿子|我女儿|孩子|儿子|女儿|我老公|老公|我爸|我妈|家里人)[^，,。被]{0,12}(会|要)(被)?判刑|我会不会(被)?判|犯了罪|犯罪了|怎么才能轻判|自首|对方(要|让)我赔|被告|被起诉|我是被执行人|我撞"),
    "victim": re.compile(r"被(人|他|她|对方|车|狗|别人)?(打|撞|骗|偷|抢|咬|砸|伤|侵害|猥亵|欺负|诽谤)|受害|被害|对方不赔|"
                         r"他撞了我|撞了我|骗了我|打了我"),
    "employee": re.compile(r"(老板|公司|单位|厂里|包工头|工头|老板娘)(不给|拖欠|欠|扣|开除|辞退|不交|不签)|我在.{0,8}(上班|打工|干活)"),
    "employer": re.compile(r"(我是|我开|我们)(老板|公司|厂|店|工厂)|我(开了|经营)|员工(要|找我|告我|跟我要)|招(了)?(个)?(员工|工人)"),
    "tenant": re.compile(r"房东|我租(的|了)|租客是我|押金不退"),
    "landlord": re.compile(r"租客|房客|我(把房子)?租给|我的房子租"),
    "child": re.compile(r"(我|我们)(爸|妈|父母|老人|父亲|母亲|公婆|岳父母)(要|让)我(养|出钱|给钱)|(不想|不愿|不给|凭什么)(养|赡养)(我)?(爸|妈|父母|老人)|"
                        r"要我(出|给)赡养费"),
    "parent": re.compile(r"(儿子|女儿|儿女|子女|孩子们)(不养|不管|不给|不孝|不赡养|不出|不照顾)|赡养费.{0,6}(不给|不出)|养老钱"),
    "lender": re.compile(r"(借|借给)(了)?(他|她|别人|朋友|亲戚|对方)|(他|她|对方|朋友)(借|欠)(了)?我|不还我"),
    "borrower": re.compile(r"我(借|欠)(了)?(他|她|别人|朋友|网贷|银行|钱)|还不上|逾期|催收|我欠"),
    "buyer": re.compile(r"我买(了|的)|买到|卖给我"),
    "seller": re.compile(r"我卖(了|的)|卖给(他|她|对方|别人)|买家"),
    "consumer": re.compile(r"商家|店家|网购|买到|充值|预付卡|退款|退货"),
    # the shop, restaurant or business owner asked to pay (a customer hurt in the shop, a buyer complaining)
    "business": re.compile(r"我是开.{0,6}(店|馆|超市|公司|厂|门面|小卖部|网店|民宿|宾馆|旅馆|健身房|KTV|ktv|酒吧)的|"
                           r"我(开|经营)(了)?(一|个|家|间)+.{0,6}(店|馆|超市|门面|小卖部|网店|民宿|宾馆|旅馆|健身房|KTV|ktv|酒吧)|"
                           r"我是(店主|商家|卖家|老板娘)|(顾客|客人)(在|来)?(我|我们)(的)?(店|饭店|超市|馆)"),
    "patient": re.compile(r"医院|医生|手术|看病|治疗"),
}
# Pairs of sides that exclude each other: an entry for one is wrong for the other.
OPPOSITE: dict[str, str] = {
    "victim": "offender", "offender": "victim", "employee": "employer", "employer": "employee",
    "tenant": "landlord", "landlord": "tenant", "child": "parent", "parent": "child",
    "lender": "borrower", "borrower": "lender", "buyer": "seller", "seller": "buyer",
    "consumer": "business", "business": "consumer",
}
PRIORITY = ("offender", "child", "employer", "landlord", "borrower", "seller", "business", "victim", "parent",
            "employee", "tenant", "lender", "buyer", "consumer", "patient")


def sides_of(squeezed: str) -> list[str]:
    """The resident's sides the message suggests, most decisive first (may be empty)."""
    return [s for s in PRIORITY if CUES[s].search(squeezed)]


def entry_side(side: str, question: str) -> str:
    """An entry's side: as written in the knowledge base, else read from its question (first cue only)."""
    if side != "any":
        return side
    found = sides_of(question.replace(" ", ""))
    return found[0] if found and found[0] in ("offender", "victim") else "any"


def side_fit(entry_side: str, query_sides: list[str]) -> float:
    """+1 the entry speaks to the resident's side, -1 to the opposite side, 0 unknown or any."""
    if entry_side == "any" or not query_sides:
        return 0.0
    if entry_side in query_sides:
        return 1.0
    if OPPOSITE.get(entry_side) in query_sides[:1]:
        return -1.0
    return 0.0
