"""Boards rules: codes and scene limits, the community card, the QR ledger and bulk add."""

from __future__ import annotations

from typing import Any

import pytest

from app.boards import service
from app.boards.models import BoardQR
from app.org.models import Board


class TestCodesAndScenes:
    def test_official_scene_format_and_limit(self) -> None:
        assert service.official_scene("JXSQ01") == "board:JXSQ01"
        assert len(service.official_scene("A" * 24)) <= service.OFFICIAL_SCENE_MAX

    def test_mp_scene_format_and_charset(self) -> None:
        assert service.mp_scene("JXSQ01") == "b=JXSQ01"
        assert service.validate_mp_scene("b=X~._-!") == "b=X~._-!"
        with pytest.raises(service.InvalidScene) as exc:
            service.validate_mp_scene("b=" + "A" * 31)
        assert "32" in exc.value.message_zh
        with pytest.raises(service.InvalidScene) as exc:
            service.validate_mp_scene("b=社区")
        assert "不允许的字符" in exc.value.message_zh
        with pytest.raises(service.InvalidScene):
            service.validate_mp_scene("b=a%20b")

    @pytest.mark.parametrize("bad", ["", "AB", "A" * 25, "JX-01", "JX SQ", "锦绣01", "JX:01"])
    def test_bad_board_codes_have_clear_errors(self, bad: str) -> None:
        for fn in (service.validate_board_code, service.official_scene, service.mp_scene, service.landing_url):
            with pytest.raises(service.InvalidBoardCode) as exc:
                fn(bad)
            assert "3–24 位英文字母或数字" in exc.value.message_zh

    def test_scene_parsing(self) -> None:
        assert service.board_code_from_scene("board:JXSQ01") == "JXSQ01"
        assert service.board_code_from_scene("qrscene_board:JXSQ01") == "JXSQ01"
        assert service.board_code_from_scene("b=TYC02") == "TYC02"
        assert service.board_code_from_scene("board:bad code") is None
        assert service.board_code_from_scene("other:X") is None
        assert service.board_code_from_scene(None) is None

    def test_landing_url(self, settings: Any) -> None:
        assert service.landing_url("JXSQ01") == f"{settings.public_base_url}/s/JXSQ01"


class TestCard:
    async def test_card_text_has_advisors_station_hotline_and_link(self, demo_org: None) -> None:
        text = await service.community_card_text(community_code="JXSQ", board_code="JXSQ01")
        assert "锦绣社区" in text
        assert "徐志强" in text and "13900000001" in text and "王丽华" in text
        assert "云溪街道公共法律服务工作站" in text and "人民路120号" in text and "8:30-12:00" in text
        assert "12348" in text
        assert text.rstrip().splitlines()[-2].endswith("/s/JXSQ01")

    async def test_card_without_board_has_no_link(self, demo_org: None) -> None:
        text = await service.community_card_text(community_code="DPC")
        assert "李国平" in text and "石桥镇公共法律服务工作站" in text and "/s/" not in text

    async def test_unknown_community(self, demo_org: None) -> None:
        from app.org.service import UnitNotFound

        with pytest.raises(UnitNotFound):
            await service.community_card_text(community_code="NOPE")


class TestLedger:
    async def test_url_qr_needs_no_wechat_and_is_stored_once(self, demo_org: None, settings: Any) -> None:
        a = await service.ensure_qr(board_code="JXSQ01", kind="url")
        b = await service.ensure_qr(board_code="JXSQ01", kind="url")
        assert a.id == b.id and a.content == f"{settings.public_base_url}/s/JXSQ01"
        assert await BoardQR.filter(board_code="JXSQ01").count() == 1

    async def test_official_qr_created_once_on_the_township_account(self, app: Any, emulator: Any) -> None:
        first = await service.ensure_qr(board_code="SQSQ01", kind="official")
        again = await service.ensure_qr(board_code="SQSQ01", kind="official")
        assert first.id == again.id and first.account_key == "yx_shiqiao"
        assert first.scene == "board:SQSQ01" and first.content.startswith("http://weixin.qq.com/q/")
        assert [r["scene"] for r in emulator.sent.get("qrcode", [])] == ["board:SQSQ01"]
        assert sum(n for ep, n in emulator.calls.items() if "qrcode/create" in ep) == 1  # never re-created
        assert await service.ledger_counts() == {"yx_shiqiao": 1}

    async def test_ledger_limit(self, app: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(service.ledger, "PERMANENT_QR_LIMIT", 1)
        await service.ensure_qr(board_code="SQSQ01", kind="official")
        with pytest.raises(service.QrLimitReached) as exc:
            await service.ensure_qr(board_code="SQSQ02", kind="official")
        assert "上限" in exc.value.message_zh

    async def test_miniprogram_code(self, app: Any, emulator: Any, settings: Any, tmp_path: Any) -> None:
        from app.config import set_settings

        set_settings(settings.model_copy(update={"var_dir": tmp_path}))
        row = await service.ensure_qr(board_code="TYC01", kind="miniprogram")
        assert row.scene == "b=TYC01" and row.account_key == "miniprogram"
        assert (tmp_path / "wxacode" / "TYC01.png").read_bytes()[:4] == b"\x89PNG"

    async def test_retired_board_has_no_qr(self, demo_org: None) -> None:
        await Board.filter(code="JXSQ02").update(active=False)
        with pytest.raises(service.UnknownBoard):
            await service.ensure_qr(board_code="JXSQ02", kind="url")


CSV_OK = "code,community_code,place,place_kind,qr_kind,active\nJXSQ90,JXSQ,锦绣社区9号楼,building,,是\n" \
         "LWC90,LWC,柳湾村文化礼堂,other,official,是\n"


class TestBulkAdd:
    async def test_adds_all(self, demo_org: None) -> None:
        n = await service.add_boards(data=CSV_OK.encode("utf-8-sig"))
        assert n == 2
        b = await Board.get(code="LWC90").prefetch_related("community")
        assert b.community.code == "LWC" and b.qr_kind == "official" and b.place_kind == "other"

    @pytest.mark.parametrize("bad,needle", [
        ("JXSQ01,JXSQ,重复的牌子,building,,是\n", "已存在"),
        ("JX-9,JXSQ,坏编号,building,,是\n", "格式不对"),
        ("XX99,NOPE,无此社区,building,,是\n", "不存在"),
        ("XX99,YXJD,街道不是社区,building,,是\n", "不是社区/村"),
        ("XX99,JXSQ,,building,,是\n", "缺少 place"),
        ("XX99,JXSQ,某处,castle,,是\n", "place_kind"),
        ("XX99,JXSQ,某处,building,poster,是\n", "qr_kind"),
        ("XX99,JXSQ,某处,building,,也许\n", "active"),
        ("JXSQ90,JXSQ,同文件重复,building,,是\n", "重复"),
    ])
    async def test_one_bad_row_adds_nothing(self, demo_org: None, bad: str, needle: str) -> None:
        before = await Board.all().count()
        with pytest.raises(service.BoardsImportError) as exc:
            await service.add_boards(data=(CSV_OK + bad).encode())
        assert needle in exc.value.message_zh and "第4行" in exc.value.message_zh
        assert await Board.all().count() == before

    async def test_header_and_encoding_errors(self, demo_org: None) -> None:
        with pytest.raises(service.BoardsImportError) as exc:
            await service.add_boards(data=b"code,place\nA1B,x\n")
        assert "缺少列 community_code" in exc.value.message_zh
        with pytest.raises(service.BoardsImportError) as exc:
            await service.add_boards(data=CSV_OK.encode("gbk"))
        assert "UTF-8" in exc.value.message_zh


async def test_miniprogram_open_is_attributed(app: Any) -> None:
    """The mini-program API's call when its community page opens with scene b=<CODE>."""
    from app.boards.models import BoardScan
    from app.residents.models import ResidentAccount

    code, text = await service.wechat_scan(account_key="miniprogram", openid="mp_o1", scene="b=TYSQ01",
                                           event="open", channel="miniprogram")
    assert code == "TYSQ01" and "桃源镇社区" in text and "黄建国" in text
    link = await ResidentAccount.get(account_key="miniprogram", openid="mp_o1")
    assert link.last_board_code == "TYSQ01"
    scan = await BoardScan.get(board_code="TYSQ01")
    assert (scan.kind, scan.event, scan.new_follower) == ("miniprogram", "open", False)
