"""Legal-education push (普法推送): the article library and editor, the review (三审), sends through the
matrix within WeChat's quotas, the articles' H5 pages and the figures.

Split by subject; everything public is re-exported here (``from app.push import service``).
"""

from __future__ import annotations

from app.push.service.articles import (
    STATUS_ZH,
    ArticleInput,
    ImportReport,
    adopt_article,
    can_edit,
    categories,
    check_article,
    check_library,
    create_article,
    get_article,
    has_articles,
    history,
    import_library,
    laws_text,
    list_articles,
    preview,
    problems_of,
    update_article,
)
from app.push.service.delivery import deliver, drop_tag, erase_recipients, record_job_finished, wechat_article
from app.push.service.errors import (
    ArticleNotFound,
    ArticleProblems,
    BadAudience,
    CommentRequired,
    NotReviewer,
    PushError,
    QuotaRefused,
    SendNotFound,
    WrongStatus,
)
from app.push.service.figures import overview
from app.push.service.reader import latest_for_board, page, published, reads_of
from app.push.service.review import (
    STEP_ZH,
    approve,
    approved_for_sending,
    may_review,
    pending_step,
    required_steps,
    send_back,
    submit,
    withdraw,
)
from app.push.service.sending import (
    GROUPS_ZH,
    SEND_STATUS_ZH,
    AccountPlan,
    SendPlan,
    after_quiet_hours,
    cancel_send,
    get_send,
    parse_local,
    plan_send,
    quota_status,
    quotas_overview,
    schedule_send,
    sendable_accounts,
    sends_of,
)

__all__ = [
    "STATUS_ZH", "ArticleInput", "ImportReport", "adopt_article", "can_edit", "categories", "check_article",
    "check_library", "create_article", "get_article", "has_articles", "history", "import_library", "laws_text", "list_articles",
    "preview", "problems_of", "update_article", "deliver", "drop_tag", "erase_recipients", "record_job_finished", "wechat_article",
    "ArticleNotFound", "ArticleProblems", "BadAudience", "CommentRequired", "NotReviewer", "PushError",
    "QuotaRefused", "SendNotFound", "WrongStatus", "overview", "latest_for_board", "page", "published",
    "reads_of", "STEP_ZH", "approve", "approved_for_sending", "may_review", "pending_step", "required_steps",
    "send_back", "submit", "withdraw", "GROUPS_ZH", "SEND_STATUS_ZH", "AccountPlan", "SendPlan",
    "after_quiet_hours", "cancel_send", "get_send", "parse_local", "plan_send", "quota_status",
    "quotas_overview", "schedule_send", "sendable_accounts", "sends_of",
]
