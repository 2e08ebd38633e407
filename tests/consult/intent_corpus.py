"""Writes the intent classifier's corpus (app/consult/data/intent_train.txt) and its held-out
development part (app/consult/data/intent_dev.txt) from the hand-written seeds below.

    python -m tests.consult.intent_corpus

Seeds were written for this corpus by the safety/intents engineer, never copied from an evaluation
set. A whole seed goes to train or dev (stable hash, about one in five to dev); resident styles
(punctuation, particles, a greeting before, typos, dialect) are applied to both. ``legal`` seeds are
ordinary legal questions that share the intents' words (律师费多少钱, 谢谢你们上次… 我还想问…): they must
go on to retrieval.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "app" / "consult" / "data"
DEV_SHARE = 5

SEEDS: dict[str, str] = {
    "greeting": """
你好 在的话回一下 | 有人值班吗 | 你好 我是一个老人 | 你好呀 | 您好 您好 | 晚上好 还在吗
哈喽哈喽 | 在的吗 | 有人回复吗 | 你好 有人吗 | 您好 请问在吗 | 你好鸭 | 嗨嗨 | 你好 打扰了
您好 请问是司法所吗 | 你好 这里是法律咨询吗 | 你好 是律师吗 | 喂 有人吗 | 在么在么 | 亲 在吗
你好 | 您好 | 你好啊 | 您好呀 | 在吗 | 在不在 | 有人吗 | 有人在吗 | 喂 | 喂喂 | 哈喽 | 嗨 | hello | hi
早上好 | 上午好 | 中午好 | 下午好 | 晚上好 | 早安 | 晚安前问一下 在吗 | 同志你好 | 律师你好 | 老师您好
师傅你好 | 领导好 | 工作人员你好 | 您好 打扰了 | 打扰一下 | 你好 请问在线吗 | 在线吗 | 有人在线吗
你好 我想咨询一下 | 您好 想问个事 | 你好 我有个问题想请教 | 在吗 想咨询点事 | 你们好 | 大家好
你好小助手 | 助手你好 | 哈罗 在吗 | 喂 听得到吗 | 有人没 | 有没有人啊 | 请问有人吗 | 侬好 | 你好噻
早 | 早啊 | 新年好 | 过年好 | 中秋快乐 在吗 | 您好 我第一次用这个
""",
    "thanks": """
太谢谢你了 | 谢谢你啊小助手 | 谢谢 你们辛苦了 | 麻烦了 谢谢 | 感谢你们的帮助 | 谢谢你这么耐心
谢谢 | 谢谢你 | 谢谢您 | 多谢 | 感谢 | 非常感谢 | 太感谢了 | 谢谢啦 | 谢了 | 辛苦了 | 麻烦你了
谢谢你的解答 | 谢谢您的耐心 | 感谢帮助 | 多谢帮忙 | 万分感谢 | 真是太谢谢了 | 谢谢 你们真好
谢谢律师 | 谢谢老师 | 感谢感谢 | 好人一生平安 | 谢谢你们 辛苦了 | 感激不尽 | 谢谢 帮大忙了
thanks | thank you | 3q | 多谢多谢 | 谢谢哈 | 谢谢啊 | 感恩 | 谢谢政府 | 太好了 谢谢
""",
    "ack": """
嗯 知道了 我再跟他谈谈 | 好吧 那我等等看 | 那我下礼拜去 | 我懂你的意思了 | 好的 就这样吧
行 我去司法所 | 好 我去派出所 | 嗯嗯 好的呢 | 明白了 谢谢哈 | 好 那先这样
行 知道了 | 好的 明白了 谢谢 | 明白了 我去看看 | 嗯 好的 | 好 那就这样 | 那就这么办 | 好 我等通知
收到收到 | 了解了解 | 懂了懂了 | 可以可以 | 没问题 | 好 没事了 | 没有了 | 暂时没有了 | 就这些
我再去问问别人 | 好 我回去跟老伴说 | 那我先这样 | 等我去看看再说 | 嗯呢 | 是的 | 对 | 对对对
好的 | 好 | 好吧 | 嗯 | 嗯嗯 | 哦 | 噢 | ok | 行 | 行吧 | 可以 | 知道了 | 明白了 | 懂了 | 收到
了解了 | 清楚了 | 那好 | 那行 | 晓得了 | 我知道了 | 我明白了 | 好嘞 | 得嘞 | 中 | 要得 | 好的好的
好的 我周一过去 | 那我明天去 | 行 我下午去一趟 | 好 我去找村委会 | 我知道怎么做了 | 明白 我去试试
好的 我再想想 | 嗯 我回头再问 | 那我去问问 | 好 我先去准备材料 | 收到 我这就去 | 懂了 那我去法院
好的 我跟家里商量一下 | 嗯嗯 我记下了 | 好 记住了 | 了解 | 哦哦 这样啊 | 原来是这样 | 好滴 | okk
""",
    "handoff": """
我需要一个律师 | 给我找个律师 | 想请你们派个人 | 有没有人工服务 | 转接一下 | 换个人回答
我想打电话咨询 电话多少 | 我要跟你们领导说 | 你们有办公的地方吗 我想去当面说 | 我要见工作人员
你不是真人吧 找个真人 | 机器回答不了 | 这个问题机器人答不了 请人来 | 要求人工介入 | 人工人工
我要找你们的人 | 能安排个人跟我聊吗 | 想和你们的律师说几句 | 帮我叫一下值班的同志 | 有没有坐班的律师
让真人来回答 | 我要人工回答 | 请转接工作人员 | 麻烦转一下人工 | 我想跟律师通个电话 | 能不能来个人
不要自动回复 我要找人 | 自动回复没用 要人 | 你们的人呢 | 找人 | 找个人 | 我找人 | 找你们负责的
能给个律师的电话吗 | 有没有人能帮我看看合同 找律师 | 可以预约律师吗 | 我想预约当面咨询 | 约个时间见律师
想找司法所的同志 | 找调解员 | 我要找调解员 | 能不能让调解员联系我 | 我想找法援中心的人 | 求助人工
打字太累了 能不能打电话 | 我说不清 你们打给我吧 | 能视频吗 找个人 | 谁能接个电话 | 有没有人在办公室
转人工 | 人工 | 人工服务 | 我要人工 | 人工客服 | 找人工 | 接人工 | 我想找个真人问问 | 有真人吗 | 真人
我要跟工作人员说 | 叫你们工作人员来 | 找个人跟我说 | 能不能让人跟我说 | 客服在哪 | 客服 | 找客服
我想找律师 | 帮我联系律师 | 能让律师给我打个电话吗 | 我要和律师当面谈 | 我想当面咨询 | 能打电话给我吗
你是机器人吧 我要找人 | 不想跟机器说 | 别让机器人回答了 | 机器人说不清楚 | 你说的我听不懂 找个人
有没有值班的 | 有值班律师吗 | 你们办公室有人吗 我想过去问 | 有没有人能接电话 | 让你们领导来
找个懂的人 | 找个专业的人给我看看 | 能不能找个活人 | 我想跟人说话 不是机器 | 请工作人员联系我
我要打电话问 给个电话 | 你们的电话是多少 我要找人 | 我想跟律师聊聊 | 律师在吗 | 有律师吗
能不能转给律师 | 转律师 | 找法律援助的工作人员 | 找社区的工作人员 | 我想见律师 | 请安排律师
麻烦叫个人来 | 我不识字 找个人跟我讲 | 我老了 不会打字 让人打电话给我 | 要真人回复 | 真人客服
""",
    "advisor": """
顾问 | 法律顾问 | 我们村的法律顾问 | 村法律顾问是谁 | 社区法律顾问电话 | 我们社区的律师是谁
怎么联系我们村的顾问 | 村里的律师怎么找 | 顾问律师电话 | 我们小区的法律顾问 | 一村一顾问
我们这儿的法律顾问在哪 | 社区顾问什么时候值班 | 找我们村的顾问 | 村法律顾问叫什么 | 顾问的电话多少
法律顾问怎么联系 | 我们街道的法律顾问 | 社区律师 | 驻村律师是谁 | 村居法律顾问 | 我想找村里的顾问
""",
    "abuse": """
你们都是一群废物 | 真垃圾 | 什么破系统 | 你真蠢 | 滚一边去 | 去你妈的
你是猪吗 | 蠢死了 | 什么垃圾回答 | 狗屁不通 | 你懂个屁 | 屁用没有 | 烂机器人 | 废话连篇 滚
闭嘴 | 少废话 | 你算什么东西 | 死机器人 | 呸 | 真是个废物 | 傻子 | 你傻啊 | 脑子进水了吧
傻逼 | sb | 煞笔 | 滚 | 滚蛋 | 废物 | 垃圾 | 垃圾机器人 | 智障 | 脑残 | 白痴 | 弱智 | 去死 | 狗屁
放屁 | 有病吧 | 什么玩意 | 破玩意 | 破机器 | 蠢货 | 笨蛋 | 饭桶 | 神经病 | 你妈的 | 妈的 | 操
一点用都没有 | 说的都是废话 | 答非所问 垃圾 | 什么破东西 | 你个铁憨憨 | 真是个蠢机器 | 狗东西
废物点心 | 吃屎吧 | 滚犊子 | 瓜娃子 | 你脑子有问题 | 没用的东西 | 去你的 | 骗子机器人
""",
    "non_legal": """
今天的菜价多少 | 怎么坐地铁去火车站 | 帮我订个酒店 | 哪里可以理发 | 广场舞音乐推荐
帮我查一下明天的天气 | 退休了做点什么好 | 孙子不爱吃饭怎么办 | 怎么腌咸菜 | 跳舞跳得腰疼怎么办
帮我写个检讨 | 帮我写个发言稿 | 帮我做个表格 | 教我用微信 | 怎么视频通话 | 手机内存满了怎么办
今天有什么新闻 | 油价涨了吗 | 猪肉多少钱一斤 | 明天温度多少 | 哪家医院看腰好 | 腰疼怎么办
讲讲三国 | 背一首唐诗 | 1加1等于几 | 英语怎么学 | 孩子数学题不会 | 帮我解这道题 | 今天农历几号
附近哪家火锅好吃 | 今天天气怎么样 | 明天下雨吗 | 帮我写一份年终工作总结 | 帮我写个请假条 | 讲个笑话
推荐一部电影 | 红烧肉怎么做 | 去哪里旅游好 | 现在几点了 | 你叫什么名字 | 你几岁了 | 翻译一下这句英语
股票明天会涨吗 | 彩票怎么中 | 怎么减肥 | 手机怎么截图 | 微信怎么发红包 | 电脑开不了机 | 高铁票怎么买
帮我写首诗 | 哪里买菜便宜 | 血压高吃什么好 | 感冒吃什么药 | 唱首歌 | 帮我写作文 | 学车去哪报名
附近有没有药店 | 公交几点末班 | 医院几点上班 | 哪里可以打疫苗
帮我算个数 | 一斤多少克 | 孩子发烧怎么办 | 怎么做蛋糕 | 周末去哪玩 | 推荐几本书 | 这首歌叫什么
你会聊天吗 | 陪我聊会天 | 给我讲个故事 | 你喜欢什么 | 今天吃什么 | 明天几号 | 帮我查快递
帮我写个朋友圈文案 | 帮我起个名字 | 帮我做个ppt | 下象棋吗 | 哪个手机好 | 广场舞在哪跳
""",
    "progress": """
查进度 | 进度查询 | 我的申请怎么样了 | 批下来没有 | 什么时候有结果 | 上次的事有人管吗 | 办到哪一步了
我提交的材料你们收到了吗 | 援助批了吗 | 案子办得怎么样 | 我的事有结果了吗 | 怎么还没人联系我
调解的进度 | 受理了吗 | 我的预约还有效吗 | 上回说的事办了没 | 申请有回音了吗 | 我的案件到哪了
""",
    "legal": """
律师 我想问问离婚的事 | 找工作人员办离婚要带什么 | 工作人员收了钱不给收据 合法吗
好的 那我要起诉的话去哪个法院 | 谢谢 那赔偿标准是多少 | 你好 我被公司辞退了 能要赔偿吗
在吗 我家的地被占了 找谁 | 人工智能生成的图片侵权吗 | 找个律师打官司大概多少钱 | 顾问费怎么收
律师费一般多少钱 | 请律师要多少钱 | 怎么找一个靠谱的律师 | 法律援助怎么申请 | 找律师打官司要准备什么
谢谢你们上次帮忙 我还想问一下工资的事 | 你好 老板拖欠工资三个月了怎么办 | 在吗 离婚孩子归谁
好的 那如果他不给抚养费怎么办 | 嗯 那加班费怎么算 | 那我去法院要带什么材料 | 行 那仲裁要多久
顾问合同怎么签才有效 | 公司的法律顾问能帮员工吗 | 客服电话一直打不通 商家不退款怎么办
人工费谁出 装修公司多收了 | 真人秀节目用了我的照片 侵权吗 | 工作人员态度差 能投诉吗
律师收了钱不办事怎么办 | 律师能帮我写起诉状吗 | 法律顾问费用怎么算
谢谢 我想再问一下 房东不退押金怎么办 | 好的 那工伤认定要多久 | 知道了 那离婚冷静期多久
火锅店吃出虫子能索赔吗 | 外卖吃坏肚子能要赔偿吗 | 旅游团强制购物怎么投诉 | 天气原因航班取消能赔吗
帮我写一份起诉状 | 帮我写个欠条 | 借条怎么写才有效 | 翻译公司不退定金 | 买彩票中奖了 对方不给
进度款开发商不给 怎么办 | 仲裁多久出结果 | 起诉后多久开庭 | 法院什么时候判 | 执行款什么时候到
你好 请问遗产怎么分 | 您好 宅基地能继承吗 | 在吗 邻居占我家地 | 早上好 交通事故对方全责怎么赔
骂人犯法吗 | 被人骂了能告吗 | 网上被人骂 能起诉吗 | 他说我是垃圾 算侮辱吗 | 滚蛋这种话算威胁吗
""",
}

GREET = ["你好 ", "您好 ", "在吗 ", "喂 ", "", "", ""]
TAIL = ["", "", "啊", "呀", "哈", "！", "。", "~", "吧", "哦", "？"]
TYPOS = [("谢谢", "谢谢谢"), ("你好", "尼好"), ("人工", "人公"), ("律师", "律丝"), ("顾问", "故问"), ("好的", "好滴"),
         ("在吗", "再吗"), ("知道", "知到"), ("什么", "神马"), ("怎么", "咋")]


def seeds(block: str) -> list[str]:
    return [s.strip() for line in block.strip().splitlines() for s in line.split("|") if s.strip()]


def part(seed: str) -> str:
    return "dev" if int(hashlib.sha256(seed.encode()).hexdigest(), 16) % DEV_SHARE == 0 else "train"


def styles(intent: str, seed: str, rng: random.Random) -> list[str]:
    out = [seed, re.sub(r"\s+", "", seed), seed.replace(" ", "，") + rng.choice(TAIL)]
    if intent not in ("greeting", "abuse"):
        out.append(rng.choice(GREET) + seed)
    t = seed
    for a, b in rng.sample(TYPOS, 4):
        t = t.replace(a, b, 1)
    out.append(t)
    out.append(seed + rng.choice(TAIL) + rng.choice(TAIL))
    return list(dict.fromkeys(v.strip() for v in out if v.strip()))


def rows(seed_value: int = 25) -> list[tuple[str, str, str, str]]:
    """(part, intent, seed, text), each text once (for grouped cross-validation)."""
    rng = random.Random(seed_value)
    out: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for intent, block in SEEDS.items():
        for s in seeds(block):
            for v in styles(intent, s, rng):
                if v not in seen:
                    seen.add(v)
                    out.append((part(s), intent, s, v))
    return out


def build(seed_value: int = 25) -> dict[str, list[tuple[str, str]]]:
    parts: dict[str, list[tuple[str, str]]] = {"train": [], "dev": []}
    for name, intent, _seed, text in rows(seed_value):
        parts[name].append((intent, text))
    return parts


HEADER = ("# The intent classifier's {part} corpus, written by tests/consult/intent_corpus.py from hand-written\n"
          "# seeds (whole seeds go to train or dev). \"intent<TAB>text\"; legal = an ordinary legal question\n"
          "# sharing the intents' words. Regenerate: python -m tests.consult.intent_corpus\n")


def main() -> None:
    for name, rows in build().items():
        (DATA / f"intent_{name}.txt").write_text(HEADER.format(part=name) + "".join(f"{k}\t{t}\n" for k, t in rows),
                                                 encoding="utf-8")
        print(name, len(rows))


if __name__ == "__main__":
    main()
