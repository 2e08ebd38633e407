"""Chinese labels the console shows for case codes (status, type, category, due state, org units).

The cases and consult domains own these tables (offered by their services); they are read here in one
place so the console's filters and charts use exactly the same words as the domains' own pages.
"""

from __future__ import annotations

from app.cases import service as cases_service
from app.consult import service as consult_service
from app.org import service as org_service

DUE_BADGE = {"overdue": "已超期", "due_soon": "即将到期", "paused": "暂停计时", "ok": "未到期", "done": ""}
ROLE_OF_MESSAGE = {"resident": "居民", "bot": "智能助手", "staff": "工作人员", "note": "内部备注"}
EVENT_ZH = {
    "open": "受理", "take": "接办", "assign": "分派", "transfer_request": "申请转办", "transfer_accept": "接收转办",
    "transfer_refuse": "退回转办", "start": "开始办理", "return_for_info": "要求补充材料", "info_supplied": "居民已补充",
    "give_result": "反馈结果", "result_delivery": "结果送达", "rate": "居民评价", "close": "办结", "reopen": "重新办理",
    "archive": "归档",
}


def status_labels() -> dict[str, str]:
    return cases_service.status_labels()


def type_labels() -> dict[str, str]:
    return cases_service.type_labels()


def category_labels() -> dict[str, str]:
    return consult_service.category_labels()


async def unit_names() -> dict[str, str]:
    return {code: info.name for code, info in (await org_service.tree()).items()}


async def townships() -> list[tuple[str, str]]:
    tree = await org_service.tree()
    return sorted(((c, u.name) for c, u in tree.items() if u.kind == "township"), key=lambda t: t[0])
