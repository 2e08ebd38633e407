"""The account matrix: every mistake gives one clear error naming the file and key."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError
from app.matrix.service import load_matrix
from app.org.importer import codes_from_files

MATRIX = Path("matrix_accounts")


def copy_matrix(tmp_path: Path) -> Path:
    dst = tmp_path / "accounts"
    shutil.copytree(MATRIX, dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_demo_matrix_is_valid() -> None:
    m = load_matrix(MATRIX, env={}, known_units=codes_from_files(Path("content")))
    kinds = sorted(a.kind for a in m.accounts.values())
    assert kinds.count("service") == 1 and kinds.count("subscription") == 3 and kinds.count("miniprogram") == 1
    assert {a.encryption_mode for a in m.official_accounts()} == {"plain", "compat", "safe"}
    assert m.for_unit("TYZ") is not None and m.for_unit("TYZ").key == "yx_taoyuan"


def test_short_aes_key_names_file_and_key(tmp_path: Path) -> None:
    folder = copy_matrix(tmp_path)
    f = folder / "yx_shiqiao.toml"
    key = next(line for line in f.read_text().splitlines() if line.startswith("encoding_aes_key"))
    aes = key.split('"')[1]
    edit(f, aes, aes[:42])
    with pytest.raises(ConfigError) as info:
        load_matrix(folder, env={})
    assert "yx_shiqiao.toml" in str(info.value) and "encoding_aes_key" in str(info.value) and "42" in str(info.value)


def test_unknown_org_unit(tmp_path: Path) -> None:
    folder = copy_matrix(tmp_path)
    edit(folder / "yx_jiedao.toml", 'org_unit = "YXJD"', 'org_unit = "NOWHERE"')
    with pytest.raises(ConfigError, match="yx_jiedao.toml.*NOWHERE"):
        load_matrix(folder, env={}, known_units=codes_from_files(Path("content")))


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    folder = copy_matrix(tmp_path)
    (folder / "broken.toml").write_text('display_name = "x"\nkind = = "service"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_matrix(folder, env={})
    assert "broken.toml" in str(info.value) and "line 2" in str(info.value)


def test_duplicate_appid_and_bad_appid(tmp_path: Path) -> None:
    folder = copy_matrix(tmp_path)
    shutil.copy(folder / "yx_jiedao.toml", folder / "yx_copy.toml")
    with pytest.raises(ConfigError, match="重复"):
        load_matrix(folder, env={})
    (folder / "yx_copy.toml").unlink()
    edit(folder / "yx_jiedao.toml", 'appid = "wx', 'appid = "xx')
    with pytest.raises(ConfigError, match="appid"):
        load_matrix(folder, env={})


def test_secrets_from_environment(tmp_path: Path) -> None:
    folder = copy_matrix(tmp_path)
    f = folder / "yx_district.toml"
    f.write_text("\n".join(line for line in f.read_text().splitlines() if not line.startswith("secret")),
                 encoding="utf-8")
    with pytest.raises(ConfigError, match="FAWU_ACCOUNT_YX_DISTRICT_SECRET"):
        load_matrix(folder, env={})
    m = load_matrix(folder, env={"FAWU_ACCOUNT_YX_DISTRICT_SECRET": "0" * 32})
    assert m.accounts["yx_district"].secret == "0" * 32
    assert "0" * 32 not in repr(m.accounts["yx_district"])


def test_menu_limits(tmp_path: Path) -> None:
    folder = copy_matrix(tmp_path)
    with (folder / "yx_jiedao.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[menu]]\ntype = "click"\nname = "第四个"\nkey = "x"\n')
    with pytest.raises(ConfigError, match="最多 3 个"):
        load_matrix(folder, env={})


def test_accounts_check_cli(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "app.cli", "accounts", "check"], capture_output=True, text=True,
                        env={"PATH": "/usr/bin:/bin", "FAWU_LOG_FORMAT": "text"})
    assert ok.returncode == 0, ok.stderr
    assert "yx_taoyuan" in ok.stdout and "兼容" in ok.stdout and "全部有效" in ok.stdout
    folder = copy_matrix(tmp_path)
    edit(folder / "yx_taoyuan.toml", 'encryption_mode = "compat"', 'encryption_mode = "secret"')
    bad = subprocess.run([sys.executable, "-m", "app.cli", "accounts", "check"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "FAWU_MATRIX_DIR": str(folder)})
    assert bad.returncode != 0
    assert "yx_taoyuan.toml" in bad.stderr and "encryption_mode" in bad.stderr
