"""``fawu simulate``: the callback simulator command (sends as WeChat does, prints the replies)."""

from __future__ import annotations

import click
import httpx

from app.commandkit import fail, run_async, settings_or_exit
from app.config import ConfigError
from app.emulator.embedded import points_at_emulator
from app.emulator.simulator import CallbackSimulator, SimResult
from app.matrix.service import load_matrix


def format_result(res: object) -> str:
    """A SimResult as staff read it in a terminal."""
    assert isinstance(res, SimResult)
    tries = "，".join(f"第{i}次 {a.status or a.error}（{a.elapsed * 1000:.0f} 毫秒）"
                     for i, a in enumerate(res.attempts, 1))
    lines = [f"尝试 (attempts): {tries or '无'}"]
    if res.status is None:
        lines.append("回调无应答：微信会向用户显示“该公众号暂时无法提供服务，请稍后再试”。")
    elif res.error is not None:
        lines.append(f"错误 (error): 回复无效：{res.error}。微信会向用户显示“该公众号暂时无法提供服务，请稍后再试”。")
        lines.append(f"原始回复 (raw): {res.body[:300]!r}")
    elif res.status != 200:
        lines.append(f"回调拒绝 (refused): HTTP {res.status} {res.body[:200]}")
    elif res.reply is None:
        lines.append("回复 (reply): success（无被动回复）")
    else:
        enc = "（已解密）" if res.encrypted_reply else ""
        if res.text is not None:
            lines.append(f"回复文字{enc}:\n{res.text}")
        elif res.articles:
            lines.append(f"回复图文{enc}:")
            lines += [f"  • {a.get('Title', '')}  {a.get('Url', '')}" for a in res.articles]
        else:
            lines.append(f"回复{enc}: {res.reply}")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    """Add the simulator command to ``fawu``."""

    @cli.command("simulate")
    @click.argument("account")
    @click.option("--openid", default="o_simulator_demo", show_default=True, help="The resident's openid.")
    @click.option("--text", "text", default=None, help="Send a text message.")
    @click.option("--voice", default=None, help="Send a voice message with this recognition text.")
    @click.option("--image", "image", default=None, metavar="PICURL", help="Send an image message (its PicUrl).")
    @click.option("--location", "location", default=None, metavar="LAT,LNG[,LABEL]",
                  help="Send a location message; with --event LOCATION, the event's coordinates.")
    @click.option("--link", "link", default=None, metavar="URL", help="Send a link message (--title for its title).")
    @click.option("--title", default="", help="The title of a --link message.")
    @click.option("--ticket", default=None, help="The Ticket of a SCAN or scan-subscribe event (default: a new one).")
    @click.option("--event", default=None,
                  help="Send an event: subscribe, unsubscribe, SCAN, CLICK, VIEW, LOCATION, ...")
    @click.option("--key", "event_key", default=None,
                  help="EventKey (menu key, or QR scene; subscribe by scan: qrscene_<scene>).")
    @click.option("--verify", is_flag=True, help="Do WeChat's URL verification (GET with echostr).")
    @click.option("--url", default=None, help="fawu's base address (default: the public_base_url setting).")
    @click.option("--mode", type=click.Choice(["plain", "compat", "safe"]), default=None,
                  help="Encryption mode (default: the account's).")
    @click.option("--emulator", "emulator_url", default=None,
                  help="The loopback WeChat to record the resident in (default: wechat_api_base when it is the "
                       "emulator's address).")
    @click.option("--no-emulator", is_flag=True, help="Do not record the resident in the loopback WeChat.")
    @click.option("--timeout", default=5.0, show_default=True, help="Seconds WeChat waits for a reply.")
    @click.option("--tries", default=3, show_default=True, help="Attempts WeChat makes.")
    def simulate(account: str, openid: str, text: str | None, voice: str | None, image: str | None,
                 location: str | None, link: str | None, title: str, ticket: str | None, event: str | None,
                 event_key: str | None, verify: bool, url: str | None, mode: str | None, emulator_url: str | None,
                 no_emulator: bool, timeout: float, tries: int) -> None:
        """Send a signed (and encrypted) message or event to fawu's callback as WeChat does.

        Example: fawu simulate yx_district --text "拖欠工资怎么办"
        """
        settings = settings_or_exit()
        try:
            matrix = load_matrix(settings.matrix_dir)
        except ConfigError as exc:
            fail(str(exc))
            return
        acc = matrix.get(account)
        if acc is None or acc.is_miniprogram:
            keys = "、".join(a.key for a in matrix.official_accounts())
            fail(f"没有公众号 {account!r}（可用：{keys}）")
            return
        is_location_event = (event or "").upper() == "LOCATION"
        given = (text, voice, image, link, event, None if is_location_event else location)
        if sum(x is not None for x in given) + int(verify) != 1:
            fail("请给出且只给出一项：--text、--voice、--image、--location、--link、--event 或 --verify")
            return
        coords: tuple[float, float, str] | None = None
        if location is not None:
            try:
                lat_s, lng_s, *label = location.split(",", 2)
                coords = (float(lat_s), float(lng_s), label[0] if label else "")
            except ValueError:
                fail("--location 的格式应为 纬度,经度[,地点名称]，例如 30.27,120.15,街道办")
                return
            if not (-90 <= coords[0] <= 90 and -180 <= coords[1] <= 180):
                fail("--location 的纬度应在 -90 到 90、经度应在 -180 到 180 之间")
                return
        if emulator_url is None and points_at_emulator(settings):
            emulator_url = settings.wechat_api_base
        sim = CallbackSimulator(acc, base_url=url or settings.public_base_url, timeout=timeout, tries=tries,
                                mode=mode)

        async def go() -> tuple[str, bool]:
            if emulator_url and not no_emulator:  # the resident exists at WeChat too: later sends reach them
                async with httpx.AsyncClient(base_url=emulator_url, timeout=2.0) as emu:
                    sim.emulator = emu
                    return await turn()
            return await turn()

        async def turn() -> tuple[str, bool]:
            if verify:
                status, body, expected = await sim.verify_url()
                ok = status == 200 and body == expected
                return f"URL 验证 (verification): HTTP {status}，{'通过' if ok else '失败'}", ok
            if text is not None:
                res = await sim.text(openid, text)
            elif voice is not None:
                res = await sim.voice(openid, voice)
            elif image is not None:
                res = await sim.image(openid, image)
            elif link is not None:
                res = await sim.link(openid, link, title)
            elif event is None and coords is not None:
                res = await sim.location(openid, coords[0], coords[1], coords[2])
            else:
                extra: dict[str, object] = {}
                if ticket:
                    extra["Ticket"] = ticket
                if is_location_event and coords is not None:
                    extra.update(Latitude=coords[0], Longitude=coords[1])
                res = await sim.event(openid, str(event), event_key, **extra)
            out = format_result(res)
            if sim.emulator is not None and sim.emulator_error:
                out += f"\n提示：未能在模拟微信（{emulator_url}）登记该居民（{sim.emulator_error}），客服消息可能发送失败。"
            return out, res.status == 200 and res.error is None

        try:
            out, ok = run_async(go())
        except OSError as exc:
            fail(f"无法连接 {sim.base_url}：{exc}")
            return
        click.echo(out)
        if not ok:
            raise SystemExit(1)
