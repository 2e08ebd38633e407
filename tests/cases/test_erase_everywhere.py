"""Erasure (删除权) and retention reach what the resident said on WeChat and to the bot, not only cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.consult.models import Consultation
from app.core import clock
from app.core.actor import SYSTEM
from app.residents import service as residents_service
from app.residents.models import ResidentAccount
from app.wechat.models import InboundMessage
from tests.wechat.helpers import PLAIN, sim

QUESTION = "老板拖欠工资三个月不给，我电话13912345678"


async def test_erase_scrubs_wechat_messages_bot_questions_and_openids(client: Any) -> None:
    s = sim(client, PLAIN)
    res = await s.text("o_erase_me", QUESTION)
    assert res.status == 200
    link = await ResidentAccount.get(account_key=PLAIN, openid="o_erase_me")
    # stored masked, the original encrypted beside it (tests/cases/test_personal_numbers.py)
    assert await InboundMessage.filter(openid="o_erase_me", text__contains="139****5678",
                                       text_enc__isnull=False).exists()
    assert await Consultation.filter(resident_id=link.resident_id).exists()

    await residents_service.erase_resident(resident_id=link.resident_id, actor=SYSTEM, reason="居民申请删除")

    assert not await InboundMessage.filter(openid="o_erase_me").exists()  # the openid itself is gone
    rows = await InboundMessage.filter(openid="erased")  # the rows stay for counts
    assert rows and all(r.text is None and r.reply_text is None and r.fields_json == {} for r in rows)
    assert all(r.text_enc is None and r.fields_enc is None for r in rows)
    assert not await Consultation.filter(question_enc__isnull=False).exists()
    assert not await Consultation.filter(question__contains="13912345678").exists()
    assert not await ResidentAccount.filter(openid="o_erase_me").exists()


async def test_retention_purges_wechat_and_bot_logs(client: Any, settings: Any) -> None:
    s = sim(client, PLAIN)
    await s.text("o_old", QUESTION)
    old = clock.utcnow() - timedelta(days=settings.chat_retention_days + 1)
    await InboundMessage.filter(openid="o_old").update(created_at=old)
    await Consultation.all().update(created_at=old)
    assert await residents_service.purge_chat_logs() >= 2
    row = await InboundMessage.get(openid="o_old", kind="text")
    assert row.text is None and row.reply_text is None
    assert not await Consultation.filter(question=QUESTION).exists()
    assert await Consultation.all().count() >= 1  # counts stay for hot topics
    assert await residents_service.purge_chat_logs() == 0  # once
