"""What a message is, before any retrieval: greeting, thanks, asking for a person or the advisor,
abuse, a request that is not legal, a progress enquiry; None for a legal question."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from app.consult.text import DATA_DIR, clean
from app.consult.vectors import FastTfidf, decision, softmax

_END = r"[啊呀吧的了吗么嘛呢哈哦噢喔！!。.，,~～\s]*"
# Whole-message patterns (after clean(); spaces kept), checked in this order.
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("handoff", re.compile(
        r"转人工|人工客服|人工服务|找人工|要人工|接人工|转接人工|^\s*人工" + _END + "$|真人(?!秀)|活人|客服(?!让|说|叫|要求|不|一直|电话|打不通|推|拉|承诺|答应|态度|骗)|"
        r"(找|要|叫|换|转|转接|联系|接通)(个|一个|一位)?(真人|工作人员|律师|专家|领导|负责人)|"
        r"(让|请|叫)(律师|工作人员|人|你们的人)(联系|打电话|回电话|给我打|跟我说|来)|"
        r"(找|换)(个|一个)(真)?人(来|跟|和|问|聊|说|帮)|有没有(工作人员|人工|真人|律师|人在)|(跟|和|同|给)(律师|工作人员|真人|人工)(说|聊|谈|讲)"
        r"|(不要|不想|别)(跟|和)?(机器人|机器)|你是机器人|有没有人(在|管|回)|有人吗.{0,4}(回|管)")),
    ("advisor", re.compile(
        r"^\s*(我的|我们|俺们|我们村|我们社区|社区|村里|村|小区)?的?(法律)?顾问" + _END + "$|"
        r"(法律顾问|顾问律师|村律师|社区律师)(是谁|电话|怎么联系|在哪|联系方式|叫什么)|"
        r"(找|联系|问问|打给)(我们|我的|村里的?|社区的?)(法律)?顾问|(联系|找)(我们)?(社区|村里|村|小区)的?(律师|法律顾问|顾问)")),
    ("progress", re.compile(
        r"查(询)?(一下)?(办理)?进度|^\s*进度(查询)?(?!款)|批(下来了?|了)(没|吗|没有)|批没批|(啥|什么)时候有(结果|回音|消息)|上次(的|那)(事|个事)|"
        r"(提交|交)的(东西|材料)(你们)?(收到|受理)|(办理|处理|申请|案子|案件|调解|援助)(的)?进度|办得怎么样|办到哪|"
        r"(有|出)结果了(吗|没)|受理了(吗|没)|怎么还没(人)?(联系|回复|回音|消息)|我的(申请|案子|案件|事)(办|处理|进展|到哪|怎么样|有结果)")),
    ("abuse", re.compile(
        # words that also name things (垃圾 扔在楼道, 我妈的病历, 当妈的) count only when aimed at someone
        r"傻[逼比bB]|\bsb\b|煞笔|操你|草你|(?<![我俺当后亲继岳她咱姑舅奶外婆儿姨爸])妈的|滚(蛋|开|犊子)?" + _END + "$|去你的|"
        r"(你|真|就是|纯|什么)(个|是|这)?(废物|垃圾|蠢货?|笨蛋)|垃圾(机器人|系统|回答|玩意)|^\s*(废物|垃圾|蠢货?)" + _END + "$|"
        r"智障|脑残|白痴|弱智|(你|你们|你个).{0,2}去死|去死吧|狗屁|放屁|有病吧|什么玩意|破玩意|破机器|蠢(货|猪|蛋|死了)|饭桶|神经病")),
    ("greeting", re.compile(
        r"^\s*((你好|您好|在吗|在不在|有人吗|有人在吗|哈喽|哈罗|hello|hi|嗨|喂|早上好|早安|上午好|中午好|下午好|晚上好|"
        r"早|打扰了|在么|老师好|律师好|师傅好|同志你好|同志|在线吗|有人在线吗)" + _END + ")+"
        r"((我)?(想|要)?(咨询|问问|问个事|请教|问一下)(一下|个事|点事)?" + _END + ")?$")),
    ("ack", re.compile(
        r"^\s*((谢谢|谢了|多谢|好的谢谢)" + _END + ")?((好的|好|好吧|嗯|嗯嗯|哦|噢|ok|okay|行|行吧|可以|知道了|明白了?|懂了|收到|了解了?|清楚了|那好|那行|"
        r"晓得了|我知道了|我明白了|好嘞|得嘞|中)" + _END + ")*"
        r"((我|那我)?(知道|明白)(怎么做|该怎么办|怎么办)了|(我|那我)?(先)?(周[一二三四五六日天]|明天|今天|下午|上午|改天|回头|马上|这就|"
        r"下周|过两天)?(就)?(过去|去|来|去试试|试试|去问问|去办|再问|再想想|去找[^？?]{1,8}|去[^？?]{1,8})" + _END + ")?"
        r"((谢谢|谢了|多谢)" + _END + ")?$")),
    ("thanks", re.compile(
        r"^\s*(谢谢|谢谢你|谢谢您|多谢|感谢|非常感谢|太感谢了|麻烦了|辛苦了|谢了|thanks|thank you)"
        r"[^？?]{0,16}$")),
]
NON_LEGAL = re.compile(
    r"火锅|好吃|饭店推荐|餐厅|外卖推荐|天气|下雨|气温|写一(份|篇|个)|帮我写|工作总结|年终总结|作文|演讲稿|论文|"
    r"翻译|讲个笑话|笑话|唱(首|个)歌|股票|彩票|基金推荐|菜谱|怎么做菜|旅游|景点|电影|电视剧|星座|算命|"
    r"减肥|食谱|几点了|今天几号|星期几|你叫什么|你是谁|你多大|讲个故事|故事|去哪(玩|吃|逛)|哪个.{0,6}好(用|看|吃|玩)|"
    r"多少度|推荐(几|一)?(本|部|个)?(书|歌|电影|剧)|怎么做(饺子|饭|菜|蛋糕)|算一下|乘以|加上")
# Words that make a message legal even when it also matches NON_LEGAL (饭店食物中毒, 旅游团退费).
LEGAL_WORDS = re.compile(
    r"赔|退|投诉|起诉|告|合同|违法|犯法|合法|法律|律师|欠|债|工资|离婚|纠纷|维权|骗|责任|押金|报警|判|罚|"
    r"侵权|受伤|事故|继承|遗产|房|地|工伤|补偿|权益|仲裁|调解|公证|援助|钱|万|元|块|充值|孩子|不给|中奖|侮辱|诽谤|"
    r"谣|邻居|物业|村里|村委|公司|老板|单位|政府|派出所|法院|上访|信访|占|封|强制|强迫|霸王|条款|骂|不让走")
# Words that ask for a person whatever else the message says (a long question ending "转人工").
EXPLICIT_HANDOFF = re.compile(r"转人工|人工客服|人工服务|找人工|要人工|接人工|转接人工|找真人|要真人")
QUESTION = re.compile(r"什么|怎么|吗|呢|[？?]|多少|哪|能不能|可不可以|要不要|是不是|需要|咋|还是")
TOPIC = re.compile(r"仲裁|复议|诉讼|起诉|法院|鉴定|工伤|离婚|判决|公证|调解书|执行")
# Asking about lawyers (fees, finding one) is a legal question, not a request for a person.
ABOUT_LAWYERS = re.compile(r"多少钱|费用|收费|律师费|怎么找|靠谱|怎么请|哪里找|投诉|打官司|要准备|(需|必须|得)?要律师吗|需要律师|免费")
# A matter asked about in the same words (客服电话打不通 商家不退款怎么办): a legal question, not a request.
MATTER = re.compile(r"怎么办|咋办|怎么(处理|赔|要|算|告)|侵权|合法|违法|犯法|赔偿|退款|不退|不给|能告|起诉")
# Words about an insult or a threat (他说我是垃圾 算侮辱吗): a legal question, not abuse.
ABOUT_INSULTS = re.compile(r"(骂|说)(我|他|她|人)|侮辱|诽谤|犯法|违法|能告|起诉|威胁|算不算|算吗")
# A question after the thanks (谢谢你们上次帮忙 我还想问一下工资的事): the question is what counts.
MORE = re.compile(r"(想|再|还|另外)(问|咨询)|怎么办|咋办|怎么|吗|[？?]|多少|哪|什么|能不能|是不是|还是")


@dataclass(frozen=True)
class Intent:
    name: str  # handoff, advisor, progress, abuse, greeting, thanks, ack, non_legal


SMALL_TALK = frozenset({"greeting", "thanks", "ack"})
SMALL_TALK_MAX_CHARS = 16
MODEL_MAX_CHARS = 40  # longer messages are legal questions (or carry one): the rules alone decide
MODEL_P = 0.35  # the classifier's intent needs at least this probability (seed-grouped CV on intent_train)
MODEL_P_LEGAL_WORDS = 0.7  # ... and this when the message has legal words


TRAINING_FILES = ("intent_examples.txt", "intent_train.txt")  # intent_dev.txt is held out: never trained on


def examples(files: Iterable[str] = TRAINING_FILES) -> list[tuple[str, str]]:
    out = []
    for name in files:
        for raw in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#") and "\t" in raw:
                intent, text = raw.split("\t", 1)
                out.append((intent.strip(), text.strip()))
    return out


class IntentModel:
    """Character n-gram logistic regression over the written intent examples and the knowledge
    base's questions (label "legal"); it backs the rules for the wordings they do not list."""

    def __init__(self, legal: Iterable[str] = ()) -> None:
        data = examples()
        texts = [clean(t) for _n, t in data]
        labels = [n for n, _t in data]
        extra = sorted({clean(t) for t in legal} - set(texts))[:3000]
        texts += extra
        labels += ["legal"] * len(extra)
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self.model = LogisticRegression(C=10.0, max_iter=500, class_weight="balanced")
        self.model.fit(self.vectorizer.fit_transform(texts), labels)
        self.fast = FastTfidf(self.vectorizer)
        self.coef = np.ascontiguousarray(self.model.coef_, dtype=np.float32)
        self.intercept = self.model.intercept_.astype(np.float32)
        self.classes = [str(c) for c in self.model.classes_]

    def predict(self, cleaned: str) -> tuple[str, float]:
        idx, val = self.fast.vector(cleaned)
        p = softmax(decision(self.coef, self.intercept, idx, val))
        i = int(p.argmax())
        return self.classes[i], float(p[i])


# Questions that are part of a greeting or an acknowledgement (在吗, 有人吗, 我知道怎么做了).
_SMALL_TALK_QUESTIONS = re.compile(r"(在|再|在线|有人|还在|在不在|听得到|在的|有人在|有人回复|是律师|有人值班|这里是法律咨询|"
                                   r"是司法所)(吗|嘛|么)|(知道|明白|晓得)(该)?(怎么|咋)(做|办)")


def _asks(t: str) -> bool:
    """The message asks something beyond the small talk's own questions."""
    return bool(QUESTION.search(_SMALL_TALK_QUESTIONS.sub("", t)))


def detect_intent(text: str, model: IntentModel | None = None) -> Intent | None:
    """The intent of a message, or None when it should go to the legal engine: the rules first, then
    (short messages only) the classifier."""
    t = clean(text)
    if not t:
        return None
    short = len(t.replace(" ", "")) <= 24
    for name, pattern in RULES:
        if not pattern.search(t):
            continue
        if name in ("handoff", "advisor", "progress", "abuse") and not short and LEGAL_WORDS.search(t) \
                and not (name == "handoff" and EXPLICIT_HANDOFF.search(t)):
            continue
        if name == "handoff" and (ABOUT_LAWYERS.search(t) or MATTER.search(t)) and not EXPLICIT_HANDOFF.search(t):
            continue
        if name == "abuse" and ABOUT_INSULTS.search(t):
            continue
        if name == "thanks" and MORE.search(t):
            continue
        if name == "ack" and re.search(r"被|报复|不给|欠|骗", t):
            continue  # 我去举报后被打击报复了: something happened to them, not "I'll go"
        if name == "ack" and (QUESTION.search(re.sub(r"(知道|明白)(该)?(怎么|咋)(做|办)", "", t)) or not re.sub(r"谢谢|谢了|多谢|[\s，,。.!！~～啊呀哈哦噢吧啦]", "", t)):
            continue  # a question is not an acknowledgement; thanks alone is thanks
        if name == "progress" and TOPIC.search(t) and "我的" not in t:
            continue  # 劳动仲裁多久出结果: a question about the law, not about their own matter  # a long legal question that also asks for a lawyer: answer it (the reply offers 转人工)
        return Intent(name)
    if NON_LEGAL.search(t) and not LEGAL_WORDS.search(t):
        return Intent("non_legal")
    if model is not None and len(t.replace(" ", "")) <= MODEL_MAX_CHARS:
        name, p = model.predict(t)
        legalish = bool(LEGAL_WORDS.search(t))
        if name != "legal" and p >= (MODEL_P_LEGAL_WORDS if legalish else MODEL_P):
            if name == "handoff" and ABOUT_LAWYERS.search(t):
                return None
            if name in SMALL_TALK and (_asks(t) or len(t.replace(" ", "")) > SMALL_TALK_MAX_CHARS):
                return None  # a greeting or a thanks is short and asks nothing
            return Intent(name)
    return None


REPLIES: dict[str, str] = {
    "greeting": "您好！我是公共法律服务咨询助手。请直接说您遇到的事，比如“老板拖欠工资怎么办”“离婚孩子归谁”。"
                "需要工作人员请回复“转人工”。",
    "thanks": "不客气！还有问题随时问我。紧急情况请拨打 110，法律咨询可拨打 12348。",
    "ack": "好的。还有问题可以直接发给我；需要工作人员请回复“转人工”。",
    "abuse": "理解您可能很着急。请把遇到的事说具体一些（谁、什么时候、发生了什么），我尽力帮您；"
             "也可以回复“转人工”由工作人员解答。",
    "non_legal": "抱歉，我只能解答法律方面的问题，比如劳动工资、婚姻家庭、借钱欠债、交通事故、房子土地等。"
                 "有法律问题请直接说。",
    "progress": "查询办理进度：请回复“转人工”，工作人员会告诉您进度；也可以拨打 12348。",
}
