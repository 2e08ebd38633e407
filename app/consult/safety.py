"""Danger to life or body (emergency guidance first) and the special groups of the legal-aid green channel."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.consult.text import clean

_VIOLENCE = re.compile(
    r"(?<!别)打我(?!电话|手机|的电话)|家暴|家庭暴力|要杀|杀了我|杀人|砍我|要砍|砍人|拿刀|持刀|往死里打|掐我|打死我|要打死|"
    r"打得我|把我打|被他打|被她打|被老公打|被丈夫打|被男人打|被婆娘打|被打得|威胁要|扬言要|要弄死|弄死我"
)
_SUICIDE = re.compile(r"不想活|活不下去|活着没意思|自杀|轻生|寻死|想死|跳楼|跳河|跳江|喝农药|吃安眠药|割腕|上吊|了结自己")
_CRIME = re.compile(r"被绑|绑架|拐卖|拐走|被拐|正在(打|砸|抢|偷|追|砍|烧)|闯进|入室|抢劫|被困|关起来不让走|非法拘禁")
_MINOR = re.compile(r"未成年|孩子|娃|学生|小学|初中|高中|[一二三四五六七八九十]{1,2}岁的|1[0-7]岁|[1-9]岁")

_ELDERLY = re.compile(r"老人|老年|年纪大|岁数大|[六七八九]十多岁|[6789]\d岁|退休|老大爷|老太|老奶奶|老爷爷|孤寡")
_DISABLED = re.compile(r"残疾|残障|残疾证|聋|哑|盲人|失明|瘫痪|截肢|智力障碍|精神障碍")
_MIGRANT = re.compile(r"农民工|民工|打工|工地|进城务工|务工|包工头|工头|建筑工")
_DV = re.compile(r"家暴|家庭暴力|打老婆|打媳妇|老公打|丈夫打|男人打我|被老公|被丈夫")


@dataclass(frozen=True)
class Danger:
    violence: bool
    suicide: bool
    crime: bool
    minor: bool
    domestic: bool

    def guidance(self) -> str:
        """The emergency lines to give first (Chinese)."""
        lines = ["【紧急提示】如果您或家人现在有危险，请立即拨打 110 报警；有人受伤请拨打 120 急救。"]
        if self.domestic:
            lines.append("遭受家庭暴力可拨打 12338 妇女维权热线，可向派出所报警并要求出具告诫书，"
                         "也可向法院申请人身安全保护令（《反家庭暴力法》第二十三条）。")
        if self.suicide:
            lines.append("如果您现在很难受、有轻生的念头，请拨打 12356 心理援助热线，或马上告诉身边信任的人。"
                         "您不是一个人，我们会安排工作人员尽快联系您。")
        if self.minor:
            lines.append("涉及未成年人的，可拨打 12355 青少年服务热线。")
        return "\n".join(lines)


def detect_danger(text: str) -> Danger | None:
    """Danger to life or body in a message, or None."""
    t = clean(text).replace(" ", "")
    violence = bool(_VIOLENCE.search(t))
    suicide = bool(_SUICIDE.search(t))
    crime = bool(_CRIME.search(t))
    if not (violence or suicide or crime):
        return None
    return Danger(violence=violence, suicide=suicide, crime=crime, minor=bool(_MINOR.search(t)),
                  domestic=bool(_DV.search(t)) or (violence and bool(re.search(r"老公|丈夫|男人|老婆|媳妇|婆娘|家里", t))))


# Categories where legal aid commonly applies (法律援助法 第三十一条、第三十二条).
AID_CATEGORIES = frozenset({"labor", "marriage_family", "inheritance", "traffic", "medical", "tort_neighbour",
                            "administrative", "legal_aid", "criminal", "debt_contract", "property_land"})


def green_channel(text: str, category: str) -> str | None:
    """The legal-aid green-channel notice for a resident of a special group whose matter fits."""
    t = clean(text).replace(" ", "")
    notes: list[str] = []
    if _MIGRANT.search(t) and category in ("labor", "legal_aid"):
        notes.append("农民工讨要工资、工伤赔偿是法律援助的重点对象，凭相关材料免予核查经济困难状况"
                     "（《法律援助法》第四十二条、《保障农民工工资支付条例》第四十五条）")
    if _DV.search(t) and category in ("marriage_family", "legal_aid", "criminal"):
        notes.append("家庭暴力受害人申请法律援助不受经济困难条件限制（《法律援助法》第三十二条、"
                     "《反家庭暴力法》第十九条）")
    if category in AID_CATEGORIES:
        if _ELDERLY.search(t):
            notes.append("老年人可享受法律援助优先、上门等便利服务（《法律援助法》第四十五条、"
                         "《老年人权益保障法》第五十六条）")
        if _DISABLED.search(t):
            notes.append("残疾人可享受法律援助无障碍和优先服务（《法律援助法》第四十五条）")
        if re.search(r"未成年|孩子被|娃被|学生被|[1-9]岁|1[0-7]岁", t) and category != "marriage_family":
            notes.append("未成年人的案件可申请法律援助（《未成年人保护法》第一百零四条）")
    if not notes:
        return None
    return "【法律援助绿色通道】" + "；".join(dict.fromkeys(notes)) + "。可到法律援助中心申请或拨打 12348。"
