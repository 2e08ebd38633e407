"""``fawu simulate``: the callback simulator command (sends as WeChat does, prints the replies)."""

from __future__ import annotations

import click

from app.commandkit import fail, run_async, settings_or_exit
from app.config import ConfigError
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
    @click.option("--event", default=None,
                  help="Send an event: subscribe, unsubscribe, SCAN, CLICK, VIEW, LOCATION, ...")
    @click.option("--key", "event_key", default=None,
                  help="EventKey (menu key, or QR scene; subscribe by scan: qrscene_<scene>).")
    @click.option("--verify", is_flag=True, help="Do WeChat's URL verification (GET with echostr).")
    @click.option("--url", default=None, help="fawu's base address (default: the public_base_url setting).")
    @click.option("--mode", type=click.Choice(["plain", "compat", "safe"]), default=None,
                  help="Encryption mode (default: the account's).")
    @click.option("--timeout", default=5.0, show_default=True, help="Seconds WeChat waits for a reply.")
    @click.option("--tries", default=3, show_default=True, help="Attempts WeChat makes.")
    def simulate(account: str, openid: str, text: str | None, voice: str | None, event: str | None,
                 event_key: str | None, verify: bool, url: str | None, mode: str | None, timeout: float,
                 tries: int) -> None:
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
        if sum(x is not None for x in (text, voice, event)) + int(verify) != 1:
            fail("请给出且只给出一项：--text、--voice、--event 或 --verify")
            return
        sim = CallbackSimulator(acc, base_url=url or settings.public_base_url, timeout=timeout, tries=tries,
                                mode=mode)

        async def go() -> str:
            if verify:
                status, body, expected = await sim.verify_url()
                ok = status == 200 and body == expected
                return f"URL 验证 (verification): HTTP {status}，{'通过' if ok else '失败'}"
            if text is not None:
                res = await sim.text(openid, text)
            elif voice is not None:
                res = await sim.voice(openid, voice)
            else:
                res = await sim.event(openid, str(event), event_key)
            return format_result(res)

        try:
            click.echo(run_async(go()))
        except OSError as exc:
            fail(f"无法连接 {sim.base_url}：{exc}")
