"""Find a CJK font on this machine for posters (no setting: discovery with a clear error).

PNG posters draw with any CJK font found. PDF posters embed theirs, so they print the same on every
printer and viewer: that needs TrueType outlines (reportlab cannot embed the CFF outlines of Noto
CJK), hence WenQuanYi Micro Hei (Apache-2.0, Debian's fonts-wqy-microhei, installed by the Makefile).
"""

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
    # TrueType outlines only: the font a PDF embeds (a subset of the glyphs it uses)
    "pdf": (("wqy-microhei.ttc", 0), ("wqy-zenhei.ttc", 0), ("DroidSansFallbackFull.ttf", 0)),
}
INSTALL_HINT = "Debian/Ubuntu：apt-get install fonts-wqy-microhei（或 make fonts）"


class CJKFontMissing(FawuError):
    code = "poster_font_missing"
    message_zh = ("没有找到中文字体，无法生成海报。请安装文泉驿微米黑字体（Debian/Ubuntu：apt-get install "
                  "fonts-wqy-microhei，或 make fonts；PNG 海报也可用 fonts-noto-cjk），然后重试。")
    status = 503  # the server lacks a package: not the user's fault, and not a crash


@lru_cache(maxsize=4)
def find_cjk_font(weight: str = "regular") -> tuple[str, int]:
    """(path, face index) of a CJK font; bold falls back to regular; CJKFontMissing if none.

    ``weight="pdf"``: only a font a PDF can embed (TrueType outlines), no fallback.
    """
    names = CANDIDATES.get(weight, ())
    if weight not in ("regular", "pdf"):
        names += CANDIDATES["regular"]
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
