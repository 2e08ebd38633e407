"""Surveys defined in content/surveys, versioned: a new version is used for new invitations, old answers
keep the version they were given with (a stored copy), a used version cannot be changed; the five
levels are fixed; per-service questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from app.surveys import definitions, service
from app.surveys.models import SurveyInvitation, SurveyResponse

CONTENT = Path(__file__).resolve().parents[2] / "content" / "surveys"


def _use(folder: Path) -> None:
    definitions._cache = definitions.load_folder(folder)


async def _invite(key: str, kind: str = "mediation") -> SurveyInvitation:
    return await service.invite(service.ServiceRef(service_key=key, service_type="appointment", service=kind,
                                                   township_code="YXJD"))


async def test_versions_never_rewrite_old_answers(client: httpx.AsyncClient, tmp_path: Path) -> None:
    shutil.copy(CONTENT / "service.v1.toml", tmp_path / "service.v1.toml")
    _use(tmp_path)
    old = await _invite("booking:v1")
    page = await client.get(f"/survey/t/{service.make_token(old)}")
    assert "调解达成的协议是否得到履行" in page.text and "援助律师" not in page.text  # a mediation question only
    await client.post(f"/survey/t/{service.make_token(old)}", data={"level": "1", "mediation_agreement": "已履行"})
    v2 = (CONTENT / "service.v1.toml").read_text(encoding="utf-8").replace("version = 1", "version = 2").replace(
        'text = "调解达成的协议是否得到履行？"', 'text = "调解协议履行得怎么样？"')
    (tmp_path / "service.v2.toml").write_text(v2, encoding="utf-8")
    _use(tmp_path)
    new = await _invite("booking:v2")
    assert (old.survey_version, new.survey_version) == (1, 2)
    assert "调解协议履行得怎么样" in (await client.get(f"/survey/t/{service.make_token(new)}")).text
    # the old invitation still shows (and took) version 1, from the stored copy, even with its file gone
    (tmp_path / "service.v1.toml").unlink()
    _use(tmp_path)
    page = await client.get(f"/survey/t/{service.make_token(old)}")
    assert page.status_code == 200 and "您已评价" in page.text
    assert (await SurveyResponse.get(invitation_id=old.id)).answers == {"mediation_agreement": "已履行"}
    # a used version changed in place is refused
    (tmp_path / "service.v1.toml").write_text(v2.replace("version = 2", "version = 1"), encoding="utf-8")
    with pytest.raises(definitions.SurveyVersionChanged):
        await definitions.pin(definitions.load_folder(tmp_path)[("service", 1)])


def test_the_five_levels_are_fixed() -> None:
    body = {"key": "x", "version": 1, "levels": [{"value": 1, "label": "好"}, {"value": 2, "label": "差"}]}
    with pytest.raises(definitions.SurveyFileInvalid):
        definitions.parse(body)
    survey = definitions.load_folder(CONTENT)[("service", 1)]
    assert list(survey.levels.values()) == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert {q.id for q in survey.questions_for("legal_aid")} >= {"aid_lawyer", "heard_from", "first_choice"}
