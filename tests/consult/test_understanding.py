"""Normalisation, segmentation, retrieval and category decision on the fixture knowledge base."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.consult.safety import detect_danger, green_channel
from app.consult.text import normalise, parse_lexicon, tokens
from tests.conftest import ROOT


def test_colloquial_terms_become_one_canonical_term() -> None:
    for variant in ("欠薪", "拖欠工资", "不给工钱", "包工头跑了", "拖欠工姿"):
        assert "拖欠工资" in normalise(f"我遇到{variant}了")
    assert normalise("想离昏") == "想离婚"
    assert normalise("俺婆娘要带娃走 咋整") == "我妻子要带孩子走 怎么办"
    assert normalise("啥子是法援") == "什么是法律援助"


def test_context_decides_a_synonym() -> None:
    # 老板跑路 means unpaid wages only when the message is about work; 押金 is a 定金 only outside a lease
    assert "拖欠工资" in normalise("工地老板跑路了") and "拖欠工资" in normalise("我在厂里上班 老板跑了")
    assert "拖欠工资" not in normalise("健身房老板跑路了 卡里还有钱")
    assert "经济补偿" in normalise("公司辞退我 赔偿金怎么算") and "经济补偿" not in normalise("车祸赔偿金怎么算")
    assert "定金" in normalise("交了押金对方反悔") and "定金" not in normalise("退租时房东不退押金")
    assert "离婚" not in normalise("合伙做生意散伙了")


def test_a_bare_bump_is_a_traffic_accident_only_with_a_vehicle_or_road() -> None:
    # session 5: "撞伤了老人" by a child's scooter in the courtyard is no traffic accident
    assert "交通事故" in normalise("开车撞了人") and "交通事故" in normalise("在马路上被撞了")
    assert "交通事故" not in normalise("小孩在小区里玩滑板车撞伤了老人")
    assert "交通事故" not in normalise("孩子在学校被同学撞倒了")


def test_the_frame_of_a_question_is_not_its_matter() -> None:
    from app.consult.text import strip_frame

    assert strip_frame("喂喂 你好 我想问一下就是那个 包工头跑了 钱没拿到") == "包工头跑了 钱没拿到"
    assert strip_frame("律师你好，急！！ 他以前动手打过我好几次") == "他以前动手打过我好几次"
    assert strip_frame("那个我跟你说我上个月出了车祸 谢谢了") == "我上个月出了车祸"
    # content that looks like a greeting stays; so does a question too short without its frame
    assert strip_frame("律师说先付两万，赢了再给百分之三十") == "律师说先付两万，赢了再给百分之三十"
    assert strip_frame("那个人打了我怎么办啊") == "那个人打了我怎么办啊"
    assert strip_frame("请问离婚要多久") == "请问离婚要多久"


def test_the_shop_owner_is_on_the_business_side() -> None:
    from app.consult.sides import sides_of

    assert "business" in sides_of("我是开饭店的有个客人在店里喝多了摔了")
    assert "business" in sides_of("我开了家小超市顾客在店里滑倒了")
    assert sides_of("商家不给退款") == ["consumer"]


def test_lexicon_contexts_are_parsed() -> None:
    from app.consult.text import Context, parse_contexts

    text = "甲 = a@工资/上班 | b@!房/租 | c\n"
    assert parse_lexicon(text) == {"a": "甲", "b": "甲", "c": "甲"}
    ctx = parse_contexts(text)
    assert ctx == {"a": Context(("工资", "上班")), "b": Context((), ("房", "租"))}
    assert ctx["a"].holds("没发工资") and not ctx["a"].holds("卡里还有钱")
    assert ctx["b"].holds("买车") and not ctx["b"].holds("租房")


def test_a_longer_canonical_term_is_not_cut_by_a_shorter_variant() -> None:
    assert normalise("借钱不还") == "借钱不还"


def test_lexicon_first_definition_wins() -> None:
    assert parse_lexicon("甲 = a | b\n乙 = b | c # comment\n") == {"a": "甲", "b": "甲", "c": "乙"}


def test_voice_fillers_do_not_count() -> None:
    voice = [t for t in tokens("嗯那个就是说然后老板拖欠工资") if not t.startswith("~")]
    assert voice == ["老板", "拖欠工资"]


@pytest.mark.parametrize("text,category,entry", [
    ("俺在工地干了半年活，包工头一分钱没给，咋整", "labor", "labor-contractor-ran-away"),
    ("拖欠工姿三个月了", "labor", "labor-unpaid-wages"),
    ("想离昏 男人不同意", "marriage_family", "marriage-divorce-how"),
    ("嗯那个就是我那个被车撞了然后对方那个不赔钱怎么办", "traffic", "traffic-accident-compensation"),
    ("俺爹走了没留遗书 屋里三兄弟咋分", "inheritance", "inheritance-no-will"),
    ("楼上渗水把我家天花板泡坏了", "tort_neighbour", "neighbour-water-leak"),
])
async def test_questions_are_understood(fixture_kb: Path, text: str, category: str, entry: str) -> None:
    from app.consult import service

    a = await service.ask(text, record=False)
    assert a.category == category
    assert entry in [r.id for r in a.answers[:3]]
    assert not a.clarify and not a.handoff
    assert "12348" in a.reply


async def test_unclear_question_asks_with_numbered_choices(fixture_kb: Path) -> None:
    from app.consult import service

    a = await service.ask("我有个事情想问问", record=False)
    assert a.clarify and a.clarify_codes and len(a.clarify) == len(a.clarify_codes) <= 6
    assert "回复数字：1 " in a.reply
    again = await service.ask("我有个事情想问问 有个事", record=False, second_turn=True)
    assert again.handoff and again.handoff_reason == "unclear"


async def test_an_unsure_answer_offers_two_titles_when_entries_fit(fixture_kb: Path) -> None:
    from app.config import set_settings
    from app.consult import service
    from tests.conftest import make_settings

    set_settings(make_settings(consult_confidence_threshold=1.0))  # every answer is unsure
    a = await service.ask("拖欠工姿三个月了", record=False)
    assert a.clarify and all(c.startswith(service.ENTRY_CHOICE) for c in a.clarify_codes or [])
    assert "回复 1 看「" in a.reply and "回复数字" not in a.reply
    vague = await service.ask("我有个事情想问问", record=False)  # nothing fits: the category menu
    assert vague.clarify and "回复数字" in vague.reply


async def test_forced_category_answers_inside_it(fixture_kb: Path) -> None:
    from app.consult import service

    a = await service.ask("他一直拖着不还", record=False, category="debt_contract")
    assert a.category == "debt_contract"
    assert a.answers[0].id == "debt-iou-not-repaid"


@pytest.mark.parametrize("text,hotlines", [
    ("我老公喝了酒又打我，现在还在砸东西", ["110", "12338"]),
    ("活着没意思，不想活了", ["110", "12356"]),
    ("孩子被绑了对方要钱", ["110", "12355"]),
])
async def test_danger_gets_emergency_guidance_first(fixture_kb: Path, text: str, hotlines: list[str]) -> None:
    from app.consult import service

    a = await service.ask(text, record=False)
    assert a.urgent and a.handoff
    assert a.reply.startswith("【紧急提示】")
    for h in hotlines:
        assert h in a.reply


def test_no_false_alarm_on_ordinary_words() -> None:
    assert detect_danger("他打我电话一直不接") is None
    assert detect_danger("离婚孩子归谁") is None


def test_green_channel_for_special_groups() -> None:
    note = green_channel("我是农民工，老板拖欠工资", "labor")
    assert note and "第四十二条" in note and "保障农民工工资支付条例" in note
    assert "第四十五条" in (green_channel("我七十多岁了儿女不给赡养费", "marriage_family") or "")
    assert green_channel("我是农民工想办个公证", "notarization") is None


async def test_search_kb_for_staff(fixture_kb: Path) -> None:
    from app.consult import service

    hits = await service.search_kb("欠薪", limit=2)
    assert hits[0].id == "labor-unpaid-wages"
    assert "《劳动合同法》第三十条" in hits[0].statutes


def _fawu(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          input=stdin, timeout=60)


def test_fawu_ask_json() -> None:
    from tests.consult.conftest import FIXTURE_KB

    r = _fawu("ask", "--kb", str(FIXTURE_KB), "--json", "老板拖欠工姿咋整")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["category"] == "labor" and out["handoff"] is False
    assert out["answers"][0]["id"] == "labor-unpaid-wages"
    assert {"id", "title", "score"} <= set(out["answers"][0])
    assert "12348" in out["reply"]
    r = _fawu("ask", "--kb", str(FIXTURE_KB), "--json", "-", stdin="想离昏\n\n转人工\n")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["category"] for x in lines][:1] == ["marriage_family"]
    assert len(lines) == 2 and lines[1]["handoff"] is True


async def test_residents_special_groups_bring_the_green_channel(fixture_kb: Path) -> None:
    from app.consult import service

    plain = await service.ask("拖欠工资三个月了", record=False)
    assert "绿色通道" not in plain.reply
    migrant = await service.ask("拖欠工资三个月了", record=False, special_groups=["migrant_worker"])
    assert "【法律援助绿色通道】" in migrant.reply and "《法律援助法》第四十二条" in migrant.reply


async def test_edited_knowledge_base_is_reloaded(settings: object, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from app.consult import engine, service
    from tests.consult.conftest import FIXTURE_KB

    shutil.copy(FIXTURE_KB / "labor.toml", tmp_path / "labor.toml")
    monkeypatch.setattr(engine, "RECHECK_SECONDS", 0.0)
    engine.use_folder(tmp_path)
    try:
        before = await service.ask("宅基地被邻居占了", record=False)
        assert before.clarify and not before.answers
        (tmp_path / "property_land.toml").write_text('''
[[entry]]
id = "property-homestead-occupied"
category = "property_land"
question = "宅基地被邻居占了怎么办？"
asks = ["邻居盖房占了我家宅基地"]
answer = "可以先找村委会调解，再向乡镇政府申请处理，必要时咨询律师或拨打 12348。"
statutes = [{ law = "土地管理法", article = "第十四条" }]
service = "mediation"
reviewer = "测试"
review_date = 2026-11-20
''', encoding="utf-8")
        await engine.refresh()  # the folder is checked (and the engine rebuilt) in a thread, off the loop
        a = await service.ask("宅基地被邻居占了", record=False)
        assert a.category == "property_land" and a.answers[0].id == "property-homestead-occupied"
    finally:
        engine.use_folder(None)


def test_lexicon_defines_each_variant_once() -> None:
    from app.consult.text import DATA_DIR

    seen: dict[str, str] = {}
    dups = []
    for raw in (DATA_DIR / "lexicon.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0]
        if "=" not in line:
            continue
        canon, rest = (p.strip() for p in line.split("=", 1))
        for v in (x.strip().lower() for x in rest.split("|")):
            if v and seen.setdefault(v, canon) != canon:
                dups.append(f"{v}: {seen[v]} / {canon}")
    assert not dups, dups
