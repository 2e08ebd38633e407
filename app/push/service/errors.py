"""The push domain's errors (rendered once: JSON, console HTML, WeChat text)."""

from __future__ import annotations

from app.errors import Conflict, FawuError, Forbidden, InvalidInput, NotFound


class PushError(FawuError):
    code = "push_error"
    message_zh = "普法推送操作失败。"


class ArticleNotFound(NotFound):
    code = "push_article_not_found"
    message_zh = "没有找到这篇文章。"


class SendNotFound(NotFound):
    code = "push_send_not_found"
    message_zh = "没有找到这次推送。"


class ArticleProblems(InvalidInput):
    """The article cannot go on (submitted, approved, sent) until these are fixed."""

    code = "push_article_problems"
    message_zh = "文章还有问题需要修改。"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("文章还有问题需要修改：" + "；".join(problems[:6]) + ("……" if len(problems) > 6 else ""))


class WrongStatus(Conflict):
    code = "push_wrong_status"
    message_zh = "文章当前状态下不能进行这个操作。"


class NotReviewer(Forbidden):
    code = "push_not_reviewer"
    message_zh = "您不能审核这篇文章。"


class CommentRequired(InvalidInput):
    code = "push_comment_required"
    message_zh = "退回修改时请写明意见，作者会看到。"


class QuotaRefused(Conflict):
    """A send would exceed an account's mass-send quota: refused before anything is sent."""

    code = "push_quota_refused"
    message_zh = "群发次数不足，未发送。"


class BadAudience(InvalidInput):
    code = "push_bad_audience"
    message_zh = "推送对象设置有误。"
