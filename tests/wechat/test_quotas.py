"""Mass-send quotas by account kind, counted in the database before the call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.matrix.service import load_matrix
from app.wechat import quotas
from tests.conftest import ROOT

MATRIX = load_matrix(ROOT / "matrix_accounts")
SERVICE = MATRIX.get("yx_district")
SUBSCRIPTION = MATRIX.get("yx_jiedao")
# 2026-03-02 23:30 in Asia/Shanghai
T0 = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


async def test_subscription_account_one_mass_send_a_local_day(db: None) -> None:
    assert SUBSCRIPTION is not None
    assert await quotas.mass_refusal(account=SUBSCRIPTION, target="openids", now=T0) == 48001
    assert await quotas.can_mass_send(account=SUBSCRIPTION, target="tag", now=T0)
    await quotas.record_mass_send(account_key=SUBSCRIPTION.key, target="tag", tag_id=101, result={"msg_id": 1},
                                  now=T0)
    assert await quotas.mass_refusal(account=SUBSCRIPTION, target="tag", now=T0 + timedelta(minutes=20)) == 45028
    # 00:30 the next day in Shanghai: a new day
    assert await quotas.can_mass_send(account=SUBSCRIPTION, target="all", now=T0 + timedelta(hours=1))


async def test_service_account_four_a_month_per_follower(db: None) -> None:
    assert SERVICE is not None and SERVICE.can_mass_send_openids
    people = ["oA", "oB", "oC"]
    for i in range(4):
        await quotas.record_mass_send(account_key=SERVICE.key, target="openids", result={"msg_id": i},
                                      openids=people[:2], now=T0)
    assert await quotas.eligible_openids(account_key=SERVICE.key, openids=people + ["oA"], now=T0) == ["oC"]
    # April (Shanghai time) starts afresh
    assert await quotas.eligible_openids(account_key=SERVICE.key, openids=people,
                                         now=datetime(2026, 3, 31, 16, 1, tzinfo=UTC)) == people
    # tag sends reach everyone: four a month for the account
    for i in range(4):
        assert await quotas.can_mass_send(account=SERVICE, target="tag", now=T0)
        await quotas.record_mass_send(account_key=SERVICE.key, target="tag", tag_id=1, result={"msg_id": 10 + i},
                                      now=T0)
    assert await quotas.mass_refusal(account=SERVICE, target="tag", now=T0) == 45028
    assert await quotas.can_mass_send(account=SERVICE, target="openids", now=T0)


async def test_job_finished_is_matched_to_its_send(db: None) -> None:
    assert SERVICE is not None
    await quotas.record_mass_send(account_key=SERVICE.key, target="tag", tag_id=1, result={"msg_id": 1000000007},
                                  now=T0)
    assert not await quotas.record_mass_finished(account_key=SERVICE.key, msg_id="999", status="send success",
                                                 result={})
    assert await quotas.record_mass_finished(account_key=SERVICE.key, msg_id="1000000007", status="send success",
                                             result={"SentCount": 2})
    row = (await quotas.mass_sends(account_key=SERVICE.key))[0]
    assert row.status == "send success" and row.result == {"SentCount": 2}
