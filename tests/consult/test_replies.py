"""Replies for a phone: the decisive point first, at most three articles with short names, the next
step, ≤ ~600 characters, the rest on request ("详细"); two issues answered together; the resident's
side decides the entry and the legal-aid note; context decides a synonym; two close entries offered."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.wechat.router import DialogueState, Inbound, TextReply, router
from tests.consult.conftest import FIXTURE_KB

EXTRA = '''
[[entry]]
id = "criminal-juvenile-age"
category = "criminal"
question = "未成年人犯了罪要不要坐牢？多大要负刑事责任？"
asks = ["孩子十五岁打伤了人会不会判刑", "未成年人打架要坐牢吗", "我家孩子犯事了会不会留案底"]
gist = "要看年龄和罪名：已满16周岁要负刑事责任；14到16周岁只对故意杀人、故意伤害致人重伤等八种重罪负责。"
answer = """已满十六周岁的人犯罪，应当负刑事责任；已满十四周岁不满十六周岁的人，犯故意杀人、故意伤害致人重伤或者死亡等罪的，应当负刑事责任。家长要配合调查，积极赔偿、取得谅解。请尽快咨询律师或拨打 12348。"""
statutes = [{ law = "刑法", article = "第十七条" }, { law = "民法典", article = "第一千一百八十八条" }]
service = "police"
side = "offender"
reviewer = "测试"
review_date = 2026-11-20

[[entry]]
id = "criminal-assault-victim"
category = "criminal"
question = "被人打伤了，怎么追究打人者的责任？"
asks = ["被人打了怎么办", "对方把我打伤了能让他坐牢吗", "打人的人会不会被判刑"]
gist = "先报警并验伤。轻伤以上对方可能构成故意伤害罪，可以要求赔偿医药费、误工费等。"
answer = """被打先拨打 110 报警，及时就医，保存病历和伤情照片。达到轻伤以上的，打人者可能构成故意伤害罪。可以提起附带民事诉讼要求赔偿。请咨询律师或拨打 12348。"""
statutes = [{ law = "刑法", article = "第二百三十四条" }, { law = "刑事诉讼法", article = "第一百零一条" }]
service = "police"
side = "victim"
reviewer = "测试"
review_date = 2026-11-20

[[entry]]
id = "consumer-prepaid-shop-closed"
category = "consumer"
question = "办了健身卡、美容卡，店突然关门跑路了，钱怎么要回来？"
asks = ["健身房老板跑路了卡里还有钱", "美容院关门了充值的钱找谁退", "理发店倒闭了会员卡的钱怎么办"]
gist = "能要。商家没按约定提供服务，应当退还预付款并承担利息；先向 12315 投诉，也可以起诉。"
answer = """经营者以预收款方式提供服务而没有按约定提供的，应当按消费者要求退还预付款。请保存办卡合同和付款记录，向12315投诉，或者起诉。金额大时请咨询律师或拨打 12348。"""
statutes = [{ law = "消费者权益保护法", article = "第五十三条" }]
service = "consumer_complaint"
side = "consumer"
reviewer = "测试"
review_date = 2026-11-20

[[entry]]
id = "traffic-pedestrian-hit"
category = "traffic"
question = "我骑车撞了行人，要赔多少？"
asks = ["骑电动车撞了老人要赔多少钱", "我开车撞了人对方住院了我要赔多少", "撞了行人是不是我全责"]
gist = "机动车、电动车撞了行人，一般要赔；先由交强险赔，不够的按责任比例赔。"
answer = """撞了行人要赔偿医疗费、误工费等。先由交强险在限额内赔偿，不足部分按事故责任分担。请配合交警处理，咨询律师或拨打 12348。"""
statutes = [{ law = "道路交通安全法", article = "第七十六条" }]
service = "traffic_police"
side = "offender"
reviewer = "测试"
review_date = 2026-11-20

[[entry]]
id = "property-homestead-occupied"
category = "property_land"
question = "宅基地被邻居占了怎么办？"
asks = ["邻居盖房占了我家宅基地", "宅基地被人占了"]
answer = """可以先找村委会调解，再向乡镇政府申请处理，必要时咨询律师或拨打 12348。"""
statutes = [{ law = "土地管理法", article = "第十四条" }]
service = "mediation"
reviewer = "测试"
review_date = 2026-11-20

[[entry]]
id = "property-homestead-occupied-2"
category = "property_land"
question = "宅基地被邻居占用了该怎么处理？"
asks = ["邻居盖房占了我家宅基地", "宅基地被人占了"]
answer = """邻居盖房越过界线占用的，属于相邻关系纠纷，可以要求停止侵害、排除妨碍。必要时咨询律师或拨打 12348。"""
statutes = [{ law = "民法典", article = "第二百八十八条" }]
service = "mediation"
reviewer = "测试"
review_date = 2026-11-20
'''


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kb")
    for p in FIXTURE_KB.glob("*.toml"):
        shutil.copy(p, folder / p.name)
    (folder / "extra.toml").write_text(EXTRA, encoding="utf-8")
    return folder


@pytest.fixture
def use_kb(settings: Any, kb: Path) -> Iterator[Path]:
    from app.consult import engine

    engine.use_folder(kb)
    yield kb
    engine.use_folder(None)


async def ask(text: str, **kw: Any) -> Any:
    from app.consult import service

    return await service.ask(text, record=False, **kw)


async def test_gist_first_three_articles_short_names_next_step_and_length(use_kb: Path) -> None:
    a = await ask("健身房老板跑路了 卡里还有两千块")
    lines = a.reply.splitlines()
    assert lines[0].startswith("【办了健身卡") and lines[1].startswith("能要。")
    assert len(a.reply) <= 600 and "下一步" in a.reply and "回复“详细”" in a.reply and "12348" in a.reply
    cites = re.findall(r"《[^》]+》第[^、\n]+条", next(x for x in lines if x.startswith("法律依据")))
    assert 1 <= len(cites) <= 3 and all("中华人民共和国" not in c for c in cites)


async def test_an_entry_without_gist_leads_with_its_answer(use_kb: Path) -> None:
    a = await ask("老板拖欠工资不给怎么办")
    assert a.answers[0].id == "labor-unpaid-wages"
    second = a.reply.splitlines()[1]
    assert 0 < len(second) <= 150 and second in a.entries[0].answer.replace("\n", "")


async def test_context_decides_the_synonym(use_kb: Path) -> None:
    gym = await ask("健身房老板跑路了卡里还有钱")
    wages = await ask("老板跑路了工资还没发")
    assert gym.category == "consumer" and gym.answers[0].id == "consumer-prepaid-shop-closed"
    assert wages.category == "labor"


async def test_the_offenders_parent_gets_the_offender_side(use_kb: Path) -> None:
    a = await ask("我儿子15岁打了人会不会坐牢")
    assert a.answers[0].id == "criminal-juvenile-age"
    victim = await ask("我被人打伤了 打人的会坐牢吗")
    assert victim.answers[0].id == "criminal-assault-victim"


async def test_legal_aid_note_only_for_the_right_person(use_kb: Path) -> None:
    rider = await ask("我七十岁了 骑电动车撞了一个行人 要赔多少", special_groups=["elderly"])
    assert rider.answers[0].id == "traffic-pedestrian-hit"
    assert "法律援助绿色通道" not in rider.reply
    worker = await ask("我是农民工 包工头跑了工钱不给")
    assert "【法律援助绿色通道】" in worker.reply


async def test_two_issues_are_answered_together(use_kb: Path) -> None:
    a = await ask("想离婚该怎么办？另外借给朋友的钱一直不还怎么办")
    ids = [r.id for r in a.answers[:2]]
    assert set(ids) == {"marriage-divorce-how", "debt-iou-not-repaid"}
    assert a.two_issues and "另外，【" in a.reply and len(a.reply) <= 600


class Resident:
    def __init__(self, openid: str) -> None:
        self.openid, self.state = openid, DialogueState()

    async def say(self, text: str) -> str:
        reply = await router.dispatch(Inbound(account_key="demo", openid=self.openid, kind="text", text=text,
                                              state=self.state))
        assert isinstance(reply, TextReply), reply
        return reply.content


async def test_details_on_request_and_two_close_entries_offered(db: None, use_kb: Path) -> None:
    from app import wiring

    wiring.load_inbound()
    r = Resident("o-replies")
    short = await r.say("健身房老板跑路了卡里还有钱")
    detail = await r.say("详细")
    assert "经营者以预收款方式提供服务" in detail and len(detail) > len(short) - 200
    close = await r.say("宅基地被人占了")  # two close entries on different law: both titles offered
    assert "回复 1 看「" in close and "回复 2 看「" in close and "回复数字" not in close
    picked = await r.say("2")
    assert picked.startswith("【") and "12348" in picked


def test_close_entries_on_the_same_article_are_answered_not_offered() -> None:
    """Two near-tied entries that cite a common article answer the same legal point: the better one is
    answered (the other is named as a related question), a menu is kept for entries on different law."""
    from dataclasses import replace

    from app.consult.engine import _same_point
    from app.consult.kb import Statute, load_kb

    e = load_kb(FIXTURE_KB).entries[0]
    a = replace(e, statutes=[Statute("土地管理法", "第十四条"), Statute("民法典", "第二百八十八条")])
    b = replace(e, id="other", statutes=[Statute("民法典", "第二百八十八条")])
    c = replace(e, id="third", statutes=[Statute("土地管理法", "第六十二条")])
    assert _same_point(a, b) and not _same_point(a, c) and not _same_point(b, c)
