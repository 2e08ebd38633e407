"""The one settings object: built-in demo defaults, then a TOML file, then FAWU_* environment.

Nothing else in fawu reads configuration files or environment variables for settings.
The TOML file groups keys in sections for readability; every key name is unique across
sections and is also the name of the environment override (``FAWU_<KEY>`` in upper case).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from limits import parse_many
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

ENV_PREFIX = "FAWU_"
DEMO_SECRET = "demo-only-secret-change-me-in-production-0000"
# 32 bytes, base64: demo only; production must set pii_key.
DEMO_PII_KEY = "ZGVtby1vbmx5LXBpaS1rZXktY2hhbmdlLW1lLTAwMDA="

# Rate limit groups (app/edge.py says which endpoint is in which group; app/core/ratelimit.py counts).
DEFAULT_RATE_LIMITS: dict[str, str] = {
    "login": "10/minute;50/hour",  # POST /console/login, per client
    "consult": "10/minute;200/day",  # questions to the bot from the web and the mini-program, per client
    "consult_resident": "20/minute;300/day",  # questions from one resident on WeChat
    "search": "30/minute;600/hour",  # law search and articles, per client
    "landing": "60/minute;1000/hour",  # board pages /s/... and the board card API, per client
    "anonymous": "120/minute",  # any other page or API open without login, per client
    "booking": "20/minute;200/day",  # booking writes (book, cancel, move, waiting list) from the web and the mini-program, per client
    "mp_login": "10/minute;100/hour",  # POST /api/mp/login (wx.login codes), per client
    "mp_resident": "60/minute;2000/day",  # every /api/mp/ call of one logged-in resident
    "survey_code": "10/minute;60/day",  # receipt codes tried (POST /survey per client; "评价 <码>" per WeChat identity)
}

# Which TOML section each key belongs to (used for documentation and for error messages).
SECTIONS: dict[str, tuple[str, ...]] = {
    "server": ("host", "port", "public_base_url", "demo", "log_level", "log_format", "workers",
               "shutdown_timeout", "metrics_token"),
    "database": ("database_url", "database_pool_max", "auto_migrate", "demo_autoload"),
    "redis": ("redis_url",),
    "paths": ("matrix_dir", "content_dir", "var_dir", "laws_dir"),
    "security": ("secret_key", "pii_key", "session_max_age", "cookie_secure", "login_max_failures",
                 "login_lock_minutes", "login_account_max_failures", "rate_limits",
                 "pii_cipher", "key_file", "password_min_length", "password_min_classes", "password_max_age_days",
                 "password_history", "session_idle_minutes", "staff_dormant_days", "mfa_required_roles",
                 "audit_retention_days", "kms_provider", "kms_url", "kms_key_id", "kms_token", "kms_key_store", "signed_actions"),
    "wechat": ("wechat_api_base", "wechat_timestamp_window", "wechat_max_body_bytes",
               "wechat_reply_budget", "wechat_http_timeout", "wechat_use_stable_token",
               "wechat_token_refresh_margin", "wechat_max_text_bytes", "emulator_host", "emulator_port",
               "emulator_autostart", "wechat_unstored_hold", "wechat_stalled_after", "wechat_pending_expire_days",
               "wechat_token_failure_backoff"),
    "consult": ("consult_confidence_threshold", "consult_llm_url", "consult_llm_model",
                "consult_llm_api_key", "consult_llm_timeout", "staff_hours", "hotline"),
    "cases": ("case_limits", "case_urgent_limits", "case_duty_usernames", "case_alert_account",
              "case_alert_template_id", "case_due_soon_hours", "chat_retention_days", "calendar_file",
              "reminder_interval_seconds", "case_pause_types"),
    "boards": ("qr_kind", "poster_dir"),
    "push": ("push_approvals", "push_quiet_hours", "push_max_image_bytes"),
    "analytics": ("analytics_min_residents", "analytics_rollup_hours", "analytics_history_weeks",
                  "analytics_alert_alpha", "analytics_alert_min_residents", "analytics_alert_min_ratio",
                  "analytics_baseline_weeks", "analytics_cluster_min_residents", "analytics_cluster_days"),
    "surveys": ("survey_valid_days", "survey_correction_minutes", "survey_resident_gap_hours",
                "survey_template_id", "survey_link_days"),
    "booking": ("booking_min_notice_minutes", "booking_max_days_ahead", "booking_max_per_resident",
                "booking_cancel_cutoff_minutes", "booking_hold_minutes", "booking_makeup_weekday",
                "booking_quiet_hours", "booking_reminder_template_id", "booking_reminder_fallback_minutes"),
    "miniprogram": ("mp_session_hours", "mp_subscribe_templates"),
    "jobs": ("jobs_broker_url", "jobs_queue", "jobs_relay_interval", "jobs_relay_batch", "jobs_lease_seconds",
             "jobs_worker_concurrency"),
}


SignedAction = Literal["case.closed", "case.result_given", "push.approved", "resident.erase"]
SIGNED_ACTIONS: tuple[SignedAction, ...] = ("case.closed", "case.result_given", "push.approved", "resident.erase")


class Settings(BaseModel):
    """Every setting of fawu. Defaults serve the demo district on this machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # server
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"
    demo: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    workers: int = Field(1, ge=1, le=64)
    shutdown_timeout: int = Field(10, ge=0, le=600)
    metrics_token: SecretStr = SecretStr("")
    # database
    database_url: str = "sqlite://var/fawu.sqlite3"
    database_pool_max: int = Field(10, ge=1, le=500)
    auto_migrate: bool = True
    demo_autoload: bool = True
    # redis (empty: not used; the database holds shared state)
    redis_url: str = ""
    # paths
    matrix_dir: Path = Path("matrix_accounts")
    content_dir: Path = Path("content")
    var_dir: Path = Path("var")
    laws_dir: Path = Path("content/laws")  # the statute corpus shipped with the project
    # security
    secret_key: SecretStr = SecretStr(DEMO_SECRET)
    pii_key: SecretStr = SecretStr(DEMO_PII_KEY)
    session_max_age: int = Field(8 * 3600, ge=300)
    cookie_secure: bool = False
    login_max_failures: int = Field(5, ge=1, le=100)
    login_lock_minutes: int = Field(15, ge=1, le=24 * 60)
    # failures on one account from every client together (within login_lock_minutes) after which
    # only browsers that logged in to it before may still try (a backstop against spread guessing)
    login_account_max_failures: int = Field(50, ge=1, le=10000)
    # requests per client (and per resident where known), `limits` notation, by endpoint group
    rate_limits: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    # 商用密码 / 等保 2.0 (docs/compliance.md): the cipher new personal data is written with (SM4-GCM;
    # "aes" keeps writing AES-GCM); data written before stays readable and `fawu crypto rekey` moves it
    pii_cipher: Literal["sm4", "aes"] = "sm4"
    # a TOML file of data keys ({active = "k2", keys = {k1 = "<base64>", k2 = "<base64>"}}, 16-64 bytes
    # each) for SM4 and HMAC-SM3; empty: one key derived from pii_key (id "k0")
    key_file: Path | None = None
    # where the data keys come from (app/core/kms.py): "file" (key_file above) or "http", an external
    # KMS that wraps them: kms_key_store holds only its ciphertexts, unwrapped at start-up
    kms_provider: Literal["file", "http"] = "file"
    kms_url: str = ""  # e.g. https://kms.internal:8443
    kms_key_id: str = ""  # the KMS's master key (CMK) the data keys are wrapped under
    kms_token: SecretStr = SecretStr("")  # bearer token of fawu at the KMS
    kms_key_store: Path | None = None  # TOML of wrapped data keys ({active, [keys]}), written by fawu crypto rotate
    # significant actions that must carry the staff member's personal SM2 signature (app/staff/signing.py);
    # unless set, all of them outside demo mode and none in the demo; a PIN given signs any of them anyway
    signed_actions: list[SignedAction] = Field(default_factory=list)
    password_min_length: int = Field(10, ge=8, le=64)
    password_min_classes: int = Field(3, ge=1, le=4)  # of lower case, upper case, digits, other characters
    password_max_age_days: int = Field(90, ge=0, le=3650)  # 0: passwords never expire
    password_history: int = Field(5, ge=0, le=24)  # a new password may not be one of the last N
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)  # a console session unused this long ends
    staff_dormant_days: int = Field(90, ge=0, le=3650)  # an account unused this long is disabled (0: never)
    # roles that must log in with a second factor (TOTP); other roles may enrol
    mfa_required_roles: list[Literal["district_admin", "township_staff", "lawyer", "mediator", "supervisor",
                                     "system_admin", "security_admin", "audit_admin"]] = Field(default_factory=lambda: [
        "district_admin", "system_admin", "security_admin", "audit_admin"])  # type: ignore[arg-type]
    audit_retention_days: int = Field(180, ge=180, le=3650)  # 网络安全法 art. 21: at least six months
    # wechat
    wechat_api_base: str = "http://127.0.0.1:8900"
    wechat_timestamp_window: int = Field(300, ge=0)
    wechat_max_body_bytes: int = Field(64 * 1024, ge=1024, le=10 * 1024 * 1024)
    wechat_reply_budget: float = Field(3.0, gt=0, le=4.5)
    wechat_http_timeout: float = Field(5.0, gt=0, le=60)
    wechat_use_stable_token: bool = True
    wechat_token_refresh_margin: int = Field(300, ge=0, le=3600)
    wechat_max_text_bytes: int = Field(2048, ge=200, le=20000)
    emulator_host: str = "127.0.0.1"
    emulator_port: int = Field(8900, ge=1, le=65535)
    emulator_autostart: bool = True
    # a message that could not be stored is answered with an error no sooner than this (seconds after it
    # arrived): past WeChat's 5 s, so WeChat retries it (the retry WeChat documents is on a timeout)
    wechat_unstored_hold: float = Field(5.5, ge=0, le=30)
    # a message in an intermediate state this long (seconds) lost its process: recovered
    wechat_stalled_after: int = Field(60, ge=1, le=3600)
    # a queued answer the resident never came back for ends "expired" after this many days
    wechat_pending_expire_days: int = Field(30, ge=1, le=365)
    # after a failed token fetch every caller (every process) waits this long before asking again
    wechat_token_failure_backoff: float = Field(5.0, ge=0, le=300)
    # consult
    consult_confidence_threshold: float = Field(0.35, ge=0, le=1)
    consult_llm_url: str = ""
    consult_llm_model: str = "fawu-legal"
    consult_llm_api_key: SecretStr = SecretStr("")
    consult_llm_timeout: float = Field(2.5, gt=0, le=4.5)
    staff_hours: str = "mon-fri 08:30-12:00,14:00-17:30"
    hotline: str = "12348"
    # cases: limits per case type, e.g. {"legal_aid": "7d", "bad_review": "15wd"}
    case_limits: dict[str, str] = Field(default_factory=lambda: {
        "consultation": "5wd",
        "legal_aid": "7d",
        "mediation": "1m",
        "notarization": "15wd",
        "complaint": "15wd",
        "bad_review": "15wd",
        "other": "5wd",
    })
    # urgent cases (danger, a resident at risk): a shorter limit per type, in hours ("4h")
    case_urgent_limits: dict[str, str] = Field(default_factory=lambda: {
        "consultation": "4h", "legal_aid": "24h", "mediation": "24h", "other": "24h"})
    # who hears of unowned district-level cases (值班): usernames; empty = every district admin
    case_duty_usernames: list[str] = Field(default_factory=list)
    # the template message staff who allowed WeChat alerts receive (on case_alert_account, a service account)
    case_alert_account: str = "yx_district"
    case_alert_template_id: str = "fawu-case-alert"
    case_due_soon_hours: int = Field(24, ge=1)
    chat_retention_days: int = Field(365, ge=1)
    calendar_file: Path | None = None
    reminder_interval_seconds: int = Field(30, ge=1)
    # case types whose clock stops while waiting for the resident's information (return for info)
    case_pause_types: list[str] = Field(default_factory=lambda: [
        "consultation", "legal_aid", "mediation", "notarization", "complaint", "bad_review", "other"])
    # boards
    qr_kind: Literal["url", "official", "miniprogram"] = "url"
    poster_dir: Path = Path("var/posters")
    # push (普法推送): the reviews an article needs before it may reach residents, in order
    push_approvals: list[Literal["township", "district"]] = Field(
        default_factory=lambda: ["township", "district"])  # type: ignore[arg-type]
    push_quiet_hours: str = "21:00-08:00"  # local; a scheduled send waits until the end of quiet hours
    push_max_image_bytes: int = Field(2 * 1024 * 1024, ge=10 * 1024, le=10 * 1024 * 1024)
    # analytics (docs/analytics.md): no figure from fewer residents than this (shown, exported)
    analytics_min_residents: int = Field(5, ge=2, le=100)
    analytics_rollup_hours: float = Field(24.0, gt=0, le=24 * 7)  # how often the rollup runs
    analytics_history_weeks: int = Field(60, ge=4, le=260)  # how far back the rollup fills missing periods
    # early warning: a surge fires when P(X >= observed | baseline) < alpha (conditional binomial test)
    analytics_alert_alpha: float = Field(1e-4, gt=0, lt=0.05)
    analytics_alert_min_residents: int = Field(5, ge=1)  # and at least this many residents that week
    analytics_alert_min_ratio: float = Field(2.0, ge=1.0)  # and at least this many times the expected
    analytics_baseline_weeks: int = Field(8, ge=2, le=52)  # the weeks before that form the baseline
    # a cluster: at least this many residents naming the same employer, site or building within the days
    analytics_cluster_min_residents: int = Field(3, ge=2)
    analytics_cluster_days: int = Field(30, ge=1, le=120)
    # surveys (好差评): how long an invitation may be answered; the mis-tap correction window; at most
    # one invitation per resident in this many hours; the subscription-message template of the
    # invitation (service accounts, residents who allowed it); how long a survey link stays valid
    survey_valid_days: int = Field(7, ge=1, le=90)
    survey_correction_minutes: int = Field(10, ge=0, le=60)
    survey_resident_gap_hours: int = Field(24, ge=0, le=24 * 30)
    survey_template_id: str = "fawu-survey-invite"
    survey_link_days: int = Field(7, ge=1, le=90)
    # booking (预约): minimum notice and the days ahead a slot is bookable, the cap of future bookings
    # per resident (by phone), the resident's own cut-off for cancelling or moving, how long a freed
    # place is held for the first on the waiting list, the weekday plan a make-up working weekend (调休)
    # runs, and the hours no reminder is sent (local)
    booking_min_notice_minutes: int = Field(120, ge=0, le=7 * 24 * 60)
    booking_max_days_ahead: int = Field(14, ge=1, le=180)
    booking_max_per_resident: int = Field(3, ge=1, le=50)
    booking_cancel_cutoff_minutes: int = Field(120, ge=0, le=7 * 24 * 60)
    booking_hold_minutes: int = Field(30, ge=1, le=24 * 60)
    booking_makeup_weekday: int = Field(0, ge=0, le=4)
    booking_quiet_hours: str = "21:00-08:00"
    # the subscription notification (订阅通知) of a reminder on the service accounts; residents who allowed it
    booking_reminder_template_id: str = "fawu-booking-reminder"
    # a subscribe message not confirmed within this many minutes (a worker died) goes by the chat instead
    booking_reminder_fallback_minutes: int = Field(5, ge=1, le=120)
    # miniprogram: a session token's life, and the subscribe-message template of each moment
    mp_session_hours: int = Field(7 * 24, ge=1, le=90 * 24)
    mp_subscribe_templates: dict[str, str] = Field(default_factory=lambda: {
        "case_accepted": "fawu-mp-case-accepted", "case_result": "fawu-mp-case-result",
        "booking_confirmed": "fawu-mp-booking-confirmed", "booking_reminder": "fawu-mp-booking-reminder",
        "survey_invitation": "fawu-mp-survey-invitation"})
    # jobs (docs/production.md): empty broker URL = the in-process runner of the embedded default;
    # an amqp:// URL = the outbox is relayed to RabbitMQ by `fawu scheduler` and run by `fawu worker`
    jobs_broker_url: str = ""
    jobs_queue: str = "fawu.jobs"
    jobs_relay_interval: float = Field(0.5, gt=0, le=60)  # seconds between the relay's looks at the outbox
    jobs_relay_batch: int = Field(500, ge=1, le=10000)  # outbox rows moved to the broker per look
    # a job running this long (seconds) lost its worker (killed, crashed): the relay sends it again
    jobs_lease_seconds: int = Field(300, ge=1, le=24 * 3600)
    jobs_worker_concurrency: int = Field(20, ge=1, le=1000)  # jobs one worker runs at once

    @model_validator(mode="before")
    @classmethod
    def _signatures_outside_the_demo(cls, data: Any) -> Any:
        """Unless set explicitly, a deployment (demo = false) signs every significant action (等保/密评:
        non-repudiation); the demo signs only when a PIN is given."""
        demo_off = isinstance(data, dict) and str(data.get("demo", True)).strip().lower() in ("false", "0", "no", "off")
        if isinstance(data, dict) and "signed_actions" not in data and demo_off:
            data = {**data, "signed_actions": list(SIGNED_ACTIONS)}
        return data

    @model_validator(mode="before")
    @classmethod
    def _secure_cookies_behind_https(cls, data: Any) -> Any:
        """Unless set explicitly, cookies are Secure when residents reach fawu over HTTPS."""
        if isinstance(data, dict) and "cookie_secure" not in data:
            if str(data.get("public_base_url", "")).startswith("https://"):
                data = {**data, "cookie_secure": True}
        return data

    @field_validator("public_base_url", "wechat_api_base")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("须为 http:// 或 https:// 开头的地址 (must be an http(s) URL)")
        return v.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        if not re.match(r"^(sqlite|mysql)://", v):
            raise ValueError("须为 sqlite://路径 或 mysql://用户:密码@主机:端口/库 (sqlite:// or mysql:// URL)")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if v and not re.match(r"^rediss?://", v):
            raise ValueError("须为 redis:// 地址或留空 (redis:// URL or empty)")
        return v

    @field_validator("jobs_broker_url")
    @classmethod
    def _broker_url(cls, v: str) -> str:
        if v and not re.match(r"^amqps?://[^\s/]+", v):
            raise ValueError("须为 amqp:// 地址 (RabbitMQ) 或留空 (amqp:// URL, or empty for the in-process runner)")
        return v

    @field_validator("pii_key")
    @classmethod
    def _pii_key(cls, v: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(v.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("须为 32 字节密钥的 base64 编码 (base64 of 32 bytes)") from exc
        if len(raw) != 32:
            raise ValueError("须为 32 字节密钥的 base64 编码 (base64 of 32 bytes)")
        return v

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = set(v) - set(DEFAULT_RATE_LIMITS)
        if unknown:
            raise ValueError(f"未知的限流分组 {', '.join(sorted(unknown))}（可用：{', '.join(DEFAULT_RATE_LIMITS)}）")
        for key, value in v.items():
            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(f"{key}={value!r}: 格式如 10/minute;200/day") from exc
        return {**DEFAULT_RATE_LIMITS, **v}

    @field_validator("case_limits")
    @classmethod
    def _limits(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not re.fullmatch(r"\d+(d|wd|m|h)", value):
                raise ValueError(f"{key}={value!r}: 期限格式为 7d（自然日）、15wd（工作日）、1m（月）或 4h（小时）")
        return v

    @model_validator(mode="after")
    def _kms(self) -> Settings:
        if self.kms_provider == "http":
            missing = [n for n in ("kms_url", "kms_key_id", "kms_key_store") if not getattr(self, n)]
            if missing:
                raise ValueError(f"kms_provider = \"http\" 须同时设置 {', '.join(missing)} (required with an HTTP KMS)")
            if not re.match(r"^https?://", self.kms_url):
                raise ValueError("kms_url 须为 http(s):// 地址 (URL)")
        return self

    @field_validator("case_urgent_limits")
    @classmethod
    def _urgent_limits(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not re.fullmatch(r"[1-9]\d*h", value):
                raise ValueError(f"{key}={value!r}: 紧急案件期限以小时计，如 4h")
        return v

    @field_validator("push_quiet_hours", "booking_quiet_hours")
    @classmethod
    def _quiet_hours(cls, v: str) -> str:
        if v and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError("免打扰时段格式为 21:00-08:00（北京时间），留空表示不限")
        return v


@dataclass
class ConfigError(Exception):
    """A setting is wrong: one clear message naming where and what."""

    message: str

    def __str__(self) -> str:
        return self.message


def _flatten(data: dict[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            for sub, subval in value.items():
                if sub not in SECTIONS[key] and sub not in Settings.model_fields:
                    raise ConfigError(f"{source}: [{key}] 中有未知设置 {sub!r} (unknown setting)")
                flat[sub] = subval
        elif key in Settings.model_fields:
            flat[key] = value
        else:
            raise ConfigError(f"{source}: 未知设置 {key!r} (unknown setting)")
    return flat


def _parse_env_value(name: str, raw: str) -> Any:
    field = Settings.model_fields[name]
    ann = str(field.annotation)
    if "dict" in ann:
        # FAWU_CASE_LIMITS="legal_aid=7d,bad_review=15wd"
        out: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            if "=" not in part:
                raise ConfigError(f"环境变量 {ENV_PREFIX}{name.upper()}: 格式为 key=value,key=value")
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
        return out
    if ann.startswith("list"):
        # FAWU_CASE_PAUSE_TYPES="legal_aid,mediation"
        return [p.strip() for p in raw.split(",") if p.strip()]
    if raw == "" and ("None" in ann):
        return None
    return raw


def load_settings(env: dict[str, str] | None = None, config_path: str | Path | None = None) -> Settings:
    """Build the settings: defaults, then FAWU_CONFIG or ./config.toml, then FAWU_* variables."""
    env = dict(os.environ if env is None else env)
    path: Path | None
    if config_path is not None:
        path = Path(config_path)
    elif env.get("FAWU_CONFIG"):
        path = Path(env["FAWU_CONFIG"])
    elif Path("config.toml").is_file():
        path = Path("config.toml")
    else:
        path = None

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"配置文件不存在 (config file not found): {path}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: TOML 格式错误 (malformed TOML): {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: 文件须为 UTF-8 编码 (must be UTF-8)") from exc
        for key, value in _flatten(data, str(path)).items():
            values[key] = value
            sources[key] = f"{path} [{_section_of(key)}] {key}"

    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == "FAWU_CONFIG":
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key.startswith("account_") or key.startswith("test_") or key.startswith("mp_"):
            continue  # per-account secrets (app.matrix) and test switches are not settings
        if key not in Settings.model_fields:
            raise ConfigError(f"环境变量 {name}: 未知设置 (unknown setting)")
        values[key] = _parse_env_value(key, raw)
        sources[key] = f"环境变量 {name}"

    try:
        return Settings(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "?"
        where = sources.get(key, "默认值 (default)")
        raise ConfigError(f"配置错误 (invalid setting) {key}（来自 {where}）: {err['msg']}") from exc


def _section_of(key: str) -> str:
    for section, keys in SECTIONS.items():
        if key in keys:
            return section
    return "?"


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (start-up and tests)."""
    global _settings
    _settings = settings
