"""Survey definitions (content/surveys/<key>.v<N>.toml): parsed, checked, and kept as first used.

A version that residents were invited with is copied into ``surveys_definition``; a file whose
content changed under the same version is refused (a changed survey never rewrites old answers).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError

from app.config import get_settings
from app.errors import Conflict, InvalidInput
from app.surveys.models import SurveyDefinition

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
SATISFIED = (1, 2, 3)  # the first three count as satisfied
BAD = (4, 5)  # a bad review (差评)
KINDS = ("level", "single", "multi", "scale", "text")


class SurveyFileInvalid(InvalidInput):
    code = "survey_file_invalid"
    message_zh = "问卷定义文件有误。"


class SurveyVersionChanged(Conflict):
    code = "survey_version_changed"
    message_zh = "问卷内容已改动但版本号未变：请复制为新版本，已有的评价不能被改写。"


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: str
    options: tuple[str, ...] = ()
    low: int = 0
    high: int = 10
    services: tuple[str, ...] = ()  # empty: every service


@dataclass(frozen=True)
class Survey:
    key: str
    version: int
    title: str
    intro: str
    levels: dict[int, str]
    plain: dict[int, str]
    questions: tuple[Question, ...] = field(default_factory=tuple)
    body: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def questions_for(self, service: str) -> list[Question]:
        return [q for q in self.questions if not q.services or service in q.services]


def parse(body: dict[str, Any], source: str = "survey") -> Survey:
    """A survey from its TOML body; SurveyFileInvalid saying what is wrong."""
    def bad(why: str) -> SurveyFileInvalid:
        return SurveyFileInvalid(f"问卷定义文件有误（{source}）：{why}")

    key, version = body.get("key"), body.get("version")
    if not isinstance(key, str) or not key or not isinstance(version, int) or version < 1:
        raise bad("缺少 key 或 version")
    levels = {int(lv.get("value", 0)): str(lv.get("label", "")) for lv in body.get("levels", [])}
    if levels != LEVELS:
        raise bad("评价等级必须是好差评的五级：非常满意、满意、基本满意、不满意、非常不满意")
    plain = {int(lv["value"]): str(lv.get("plain") or lv["label"]) for lv in body.get("levels", [])}
    questions: list[Question] = []
    seen: set[str] = set()
    for q in body.get("questions", []):
        qid, kind = str(q.get("id", "")), str(q.get("kind", ""))
        if not qid or qid in seen or kind not in KINDS or not str(q.get("text", "")).strip():
            raise bad(f"问题 {qid or '?'} 缺少编号、题型或题目，或编号重复")
        options = tuple(str(o) for o in q.get("options", []))
        if kind in ("single", "multi") and len(options) < 2:
            raise bad(f"问题 {qid} 至少需要两个选项")
        seen.add(qid)
        questions.append(Question(qid, kind, str(q["text"]), options, int(q.get("min", 0)), int(q.get("max", 10)),
                                  tuple(str(s) for s in q.get("services", []))))
    return Survey(key, version, str(body.get("title", "")), str(body.get("intro", "")), levels, plain,
                  tuple(questions), body)


def load_folder(folder: Path | None = None) -> dict[tuple[str, int], Survey]:
    """Every survey file of content/surveys, by (key, version)."""
    folder = folder or get_settings().content_dir / "surveys"
    out: dict[tuple[str, int], Survey] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            body = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SurveyFileInvalid(f"问卷定义文件有误（{path.name}）：{exc}") from exc
        survey = parse(body, path.name)
        if (survey.key, survey.version) in out:
            raise SurveyFileInvalid(f"问卷 {survey.key} 第 {survey.version} 版重复（{path.name}）")
        out[(survey.key, survey.version)] = survey
    return out


_cache: dict[tuple[str, int], Survey] | None = None


def reset_cache() -> None:
    global _cache
    _cache = None


def _all() -> dict[tuple[str, int], Survey]:
    global _cache
    if _cache is None:
        _cache = load_folder()
    return _cache


def current(key: str = "service") -> Survey:
    """The newest version of a survey in content/surveys."""
    versions = [s for (k, _), s in _all().items() if k == key]
    if not versions:
        raise SurveyFileInvalid(f"没有找到问卷 {key}（content/surveys）")
    return max(versions, key=lambda s: s.version)


async def pin(survey: Survey) -> Survey:
    """Keep this version as first used (idempotent); SurveyVersionChanged if the stored copy differs."""
    row = await SurveyDefinition.get_or_none(key=survey.key, version=survey.version)
    if row is None:
        try:
            await SurveyDefinition.create(key=survey.key, version=survey.version, digest=survey.digest, body=survey.body)
            return survey
        except IntegrityError:  # pinned concurrently
            row = await SurveyDefinition.get(key=survey.key, version=survey.version)
    if row.digest != survey.digest:
        raise SurveyVersionChanged(f"问卷 {survey.key} 第 {survey.version} 版的内容与居民作答时不同："
                                   "请复制为新版本，已有的评价不能被改写。")
    return survey


async def used(key: str, version: int) -> Survey:
    """The version residents were invited with (the stored copy, whatever the files say now)."""
    row = await SurveyDefinition.get_or_none(key=key, version=version)
    if row is not None:
        return parse(row.body, f"{key} v{version}")
    survey = _all().get((key, version))
    if survey is None:
        raise SurveyFileInvalid(f"没有找到问卷 {key} 第 {version} 版")
    return survey


async def check_files() -> list[str]:
    """Every file parses and no used version was changed: a line per survey (for the CLI)."""
    lines = []
    for survey in load_folder().values():
        row = await SurveyDefinition.get_or_none(key=survey.key, version=survey.version)
        if row is not None and row.digest != survey.digest:
            raise SurveyVersionChanged(f"问卷 {survey.key} 第 {survey.version} 版已被居民使用，内容不能再改。")
        lines.append(f"{survey.key} v{survey.version}: {len(survey.questions)} 题" + ("（已使用）" if row else ""))
    return lines
