"""Find a CJK font on this machine for PNG posters (no setting: discovery with a clear error)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.errors import FawuError

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts",
             Path.home() / ".local/share/fonts")
# (file name, face index of Simplified Chinese in a collection), best first.
CANDIDATES: dict[str, tuple[tuple[str, int], ...]] = {
    "regular": (("NotoSansCJK-Regular.ttc", 2), ("NotoSansCJKsc-Regular.otf", 0), ("NotoSansSC-Regular.otf", 0),
                ("SourceHanSansSC-Regular.otf", 0), ("wqy-microhei.ttc", 0), ("wqy-zenhei.ttc", 0),
                ("DroidSansFallbackFull.ttf", 0), ("NotoSerifCJK-Regular.ttc", 2)),
    "bold": (("NotoSansCJK-Bold.ttc", 2), ("NotoSansCJKsc-Bold.otf", 0), ("NotoSansSC-Bold.otf", 0),
             ("SourceHanSansSC-Bold.otf", 0)),
}


class CJKFontMissing(FawuError):
    code = "poster_font_missing"
    message_zh = ("没有找到中文字体，无法生成 PNG 海报。请安装 Noto CJK 字体（Debian/Ubuntu：apt-get install "
                  "fonts-noto-cjk）或文泉驿字体（fonts-wqy-microhei），然后重试。PDF 海报不需要字体文件。")
    status = 500


@lru_cache(maxsize=4)
def find_cjk_font(weight: str = "regular") -> tuple[str, int]:
    """(path, face index) of a CJK font; bold falls back to regular; CJKFontMissing if none."""
    names = CANDIDATES.get(weight, ()) + (CANDIDATES["regular"] if weight != "regular" else ())
    found: dict[str, Path] = {}
    for d in FONT_DIRS:
        if not d.is_dir():
            continue
        for name, _ in names:
            if name not in found:
                hit = next(iter(sorted(d.rglob(name))), None)
                if hit is not None:
                    found[name] = hit
    for name, index in names:
        if name in found:
            return str(found[name]), index
    raise CJKFontMissing()
