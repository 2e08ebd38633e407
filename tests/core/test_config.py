"""Settings: defaults, TOML file, environment overrides, and one clear error per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_settings


def test_defaults_serve_the_demo() -> None:
    s = load_settings(env={})
    assert s.demo and s.database_url.startswith("sqlite://var/")
    assert s.port == 8000 and s.public_base_url == "http://127.0.0.1:8000"


def test_example_config_is_complete_and_valid(tmp_path: Path) -> None:
    s = load_settings(env={}, config_path=Path("config.example.toml"))
    text = Path("config.example.toml").read_text(encoding="utf-8")
    for name in s.model_fields:
        assert f"{name} =" in text or f"# {name} =" in text, f"config.example.toml does not document {name}"


def test_toml_then_env_override(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[server]\nport = 9001\npublic_base_url = "https://fw.example.cn"\n', encoding="utf-8")
    s = load_settings(env={"FAWU_CONFIG": str(cfg), "FAWU_DATABASE_URL": "mysql://u:p@db:3306/fawu",
                           "FAWU_MATRIX_DIR": "/etc/fawu/accounts"})
    assert s.port == 9001
    assert s.public_base_url == "https://fw.example.cn"
    assert s.database_url == "mysql://u:p@db:3306/fawu"
    assert str(s.matrix_dir) == "/etc/fawu/accounts"


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[server]\nport = = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(env={"FAWU_CONFIG": str(cfg)})
    assert str(cfg) in str(info.value) and "line 2" in str(info.value)


def test_wrong_value_names_setting_and_source(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[database]\ndatabase_url = "postgres://x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(env={"FAWU_CONFIG": str(cfg)})
    assert "[database] database_url" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings(env={"FAWU_PORT": "not-a-port"})
    assert "FAWU_PORT" in str(info.value)


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[server]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(env={"FAWU_CONFIG": str(cfg)})
    with pytest.raises(ConfigError, match="FAWU_DATABSE_URL"):
        load_settings(env={"FAWU_DATABSE_URL": "sqlite://x"})


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(env={"FAWU_CONFIG": "/nonexistent/fawu.toml"})


def test_secrets_not_in_repr() -> None:
    s = load_settings(env={"FAWU_SECRET_KEY": "super-secret-value-123"})
    assert "super-secret-value-123" not in repr(s)
    assert "super-secret-value-123" not in str(s.model_dump())


def test_bad_pii_key() -> None:
    with pytest.raises(ConfigError, match="pii_key"):
        load_settings(env={"FAWU_PII_KEY": "c2hvcnQ="})


def test_cookies_secure_behind_https() -> None:
    assert load_settings(env={"FAWU_PUBLIC_BASE_URL": "https://fw.example.cn"}).cookie_secure is True
    assert load_settings(env={}).cookie_secure is False
    assert load_settings(env={"FAWU_PUBLIC_BASE_URL": "https://fw.example.cn",
                              "FAWU_COOKIE_SECURE": "false"}).cookie_secure is False
