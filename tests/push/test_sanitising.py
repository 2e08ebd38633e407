"""Sanitising: a script tag, an external stylesheet, an event attribute and an external or oversized image
never reach WeChat or the H5 page, and the author is told what to fix before the article can be submitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.config import set_settings
from app.push import service
from app.push.models import PushArticle
from tests.conftest import make_settings
from tests.push.conftest import Team

BODY = """有问题请拨打 12348。

<script>alert('x')</script>
<link rel="stylesheet" href="https://cdn.example.com/wx.css">
<style>@import url(https://cdn.example.com/a.css); p {color: red}</style>

<p onclick="steal()" style="color:red">点我</p>

![合同](images/cover-labor.png)
![外链](https://img.example.com/a.png)
![大图](images/huge.png)

[外部网站](https://evil.example.com/) 和 [本站文章](/articles/wills)
"""


@pytest.fixture
def big_image(settings: Any, tmp_path: Path) -> Any:
    s = make_settings(var_dir=tmp_path)
    set_settings(s)
    folder = tmp_path / "push" / "images"
    folder.mkdir(parents=True)
    (folder / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))
    yield s
    set_settings(settings)


async def test_preview_and_checks(team: Team, big_image: Any) -> None:
    rendered = service.preview(BODY)
    html = rendered.html
    for bad in ("<script", "alert(", "<link", "<style", "@import", "onclick", "style=", "cdn.example.com",
                "img.example.com", "evil.example.com"):
        assert bad not in html, bad
    assert '<img src="/articles/images/cover-labor.png"' in html and '<a href="/articles/wills">' in html
    data = service.ArticleInput(title="测试", author="测试", summary="测试", cover="images/cover-labor.png",
                                categories=["labor"], laws_text="劳动合同法 第三十条", body=BODY)
    laws, _ = data.laws()
    problems = await service.check_article(title=data.title, author=data.author, summary=data.summary,
                                           cover=data.cover, laws=laws, body=data.body, categories_=data.categories)
    text = "\n".join(problems)
    assert "<script>" in text and "<link>" in text and "onclick" in text
    assert "img.example.com" in text and "images/huge.png" in text and "超过 2.0MB" in text
    art = await service.create_article(actor=team.clerk, data=data)
    with pytest.raises(service.ArticleProblems) as exc:
        await service.submit(actor=team.clerk, article_id=art.id)
    assert any("huge.png" in p for p in exc.value.problems)
    assert (await PushArticle.get(id=art.id)).status == "draft"


async def test_what_wechat_receives_is_clean(app: Any, emulator: Any, team: Team, big_image: Any) -> None:
    """Even an article written around the checks (straight into the database) goes out sanitised."""
    lib = await PushArticle.get(slug="wage-arrears")
    lib.body = BODY.replace("![大图](images/huge.png)", "")
    await lib.save()
    payload = await service.wechat_article(lib, "yx_jiedao")
    content = payload["content"]
    assert "<script" not in content and "<link" not in content and "onclick" not in content
    assert "mmbiz.qpic.cn" in content  # the local image swapped for the account's material URL
    assert "img.example.com" not in content and "evil.example.com" not in content
    assert payload["thumb_media_id"] and len(emulator.sent["material"]) == 1  # cover and body image: one upload
    assert payload["content_source_url"].endswith("/articles/wage-arrears?a=yx_jiedao")
