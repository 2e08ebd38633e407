"""Typed errors of the WeChat API client: every one carries WeChat's errcode and errmsg."""

from __future__ import annotations

from app.errors import FawuError


class WeChatAPIError(FawuError):
    """WeChat answered with a non-zero errcode (or could not be reached)."""

    code = "wechat_api_error"
    message_zh = "微信接口调用失败，请稍后再试。"
    status = 502
    response: dict = {}  # WeChat's whole answer, when it carried more than the code (45065: the msg_id)

    def __init__(self, errcode: int, errmsg: str = "", *, endpoint: str = "", account_key: str = "") -> None:
        self.errcode = int(errcode)
        self.errmsg = errmsg
        self.endpoint = endpoint
        self.account_key = account_key
        super().__init__(self.message_zh, errcode=self.errcode, errmsg=errmsg, endpoint=endpoint)
        self.args = (f"{self.code}: [{self.errcode}] {errmsg} ({account_key} {endpoint})",)

    def __str__(self) -> str:
        return str(self.args[0])


class TokenInvalid(WeChatAPIError):
    """40001 / 40014 / 42001: the access token is invalid, not the latest, or expired."""

    code = "wechat_token_invalid"


class CredentialError(WeChatAPIError):
    """40013 invalid appid, 40125 invalid appsecret, 40164 IP not whitelisted: configuration."""

    code = "wechat_credential"
    message_zh = "微信账号凭据配置有误，请联系管理员。"


class SystemBusy(WeChatAPIError):
    """-1: WeChat is busy (retried with back-off before this is raised)."""

    code = "wechat_busy"
    message_zh = "微信系统繁忙，请稍后再试。"


class ApiQuotaExceeded(WeChatAPIError):
    """45009 (and 45011): the API's daily or per-minute quota is used up: stop and alert."""

    code = "wechat_api_quota"
    message_zh = "微信接口今日调用次数已用完，请明天再试。"
    status = 429


class WindowClosed(WeChatAPIError):
    """45015 / 45047: the customer-service window is closed or its message count is used up."""

    code = "wechat_window_closed"
    message_zh = "已超出客服消息的发送时限或条数，将在居民下次留言时送达。"
    status = 409


class MassQuotaExceeded(WeChatAPIError):
    """45028: no mass-send quota left (subscription: 1 a day; service: 4 a month per user)."""

    code = "wechat_mass_quota"
    message_zh = "群发次数已用完。"
    status = 429


class DuplicateMassSend(WeChatAPIError):
    """45065 (duplicate clientmsgid within 24 h) / 45066 (retried too fast)."""

    code = "wechat_mass_duplicate"
    message_zh = "该群发已提交过。"
    status = 409


class Unauthorized(WeChatAPIError):
    """48001: the account may not use this API (e.g. a subscription account and a service-only API)."""

    code = "wechat_unauthorized"
    message_zh = "该公众号没有此接口的权限。"
    status = 403


class Unsupported(WeChatAPIError):
    """45103: the API has been retired by WeChat."""

    code = "wechat_unsupported"
    message_zh = "该微信接口已停止服务。"


class InvalidCode(WeChatAPIError):
    """40029 / 40163: the mini-program login code is invalid or already used."""

    code = "wechat_invalid_code"
    message_zh = "登录已失效，请重新进入小程序。"
    status = 401


class InvalidRequest(WeChatAPIError):
    """WeChat (or the client before calling) refused the request's parameters."""

    code = "wechat_invalid_request"
    message_zh = "提交给微信的内容不符合要求。"
    status = 400


class WeChatTimeout(WeChatAPIError):
    """WeChat did not answer within wechat_http_timeout (errcode -2, fawu's own)."""

    code = "wechat_timeout"
    message_zh = "微信接口响应超时，请稍后再试。"
    status = 504


TOKEN_ERRORS = frozenset({40001, 40014, 42001})

_BY_CODE: dict[int, type[WeChatAPIError]] = {
    -1: SystemBusy,
    -2: WeChatTimeout,
    40001: TokenInvalid, 40014: TokenInvalid, 42001: TokenInvalid,
    40013: CredentialError, 40125: CredentialError, 40164: CredentialError, 40002: CredentialError,
    45009: ApiQuotaExceeded, 45011: ApiQuotaExceeded,
    45015: WindowClosed, 45047: WindowClosed,
    45028: MassQuotaExceeded,
    45065: DuplicateMassSend, 45066: DuplicateMassSend,
    48001: Unauthorized,
    45103: Unsupported,
    40029: InvalidCode, 40163: InvalidCode,
    40130: InvalidRequest, 40003: InvalidRequest, 44002: InvalidRequest, 47001: InvalidRequest,
    40007: InvalidRequest, 45002: InvalidRequest, 40037: InvalidRequest, 40097: InvalidRequest,
    47003: InvalidRequest, 45067: InvalidRequest, 43101: InvalidRequest, 43004: InvalidRequest,
}


def error_for(errcode: int, errmsg: str = "", *, endpoint: str = "", account_key: str = "") -> WeChatAPIError:
    """The typed exception for a WeChat errcode."""
    cls = _BY_CODE.get(int(errcode), WeChatAPIError)
    return cls(errcode, errmsg, endpoint=endpoint, account_key=account_key)
