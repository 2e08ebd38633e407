"""What the case pages share: the staff dependency, notices after an action, org unit names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form

from app.console.kit.auth import require_staff
from app.core.actor import Actor
from app.org import service as org_service

Staff = Annotated[Actor, Depends(require_staff)]
Text = Annotated[str, Form(max_length=4000)]

DUE_BADGE = {"overdue": "已超期", "due_soon": "即将到期", "paused": "暂停计时", "ok": "未到期", "done": ""}
ROLE_OF_MESSAGE = {"resident": "居民", "bot": "智能助手", "staff": "工作人员", "note": "内部备注"}
EVENT_ZH = {
    "open": "受理", "take": "接办", "assign": "分派", "transfer_request": "申请转办", "transfer_accept": "接收转办",
    "transfer_refuse": "退回转办", "start": "开始办理", "return_for_info": "要求补充材料", "info_supplied": "居民已补充",
    "give_result": "反馈结果", "result_delivery": "结果送达", "rate": "居民评价", "close": "办结", "reopen": "重新办理",
    "archive": "归档", "recategorize": "更正分类", "mark_urgent": "标记紧急", "handover_again": "居民再次请求人工",
    "remind": "期限提醒", "escalate": "超期督办", "delivered": "消息已送达", "delivery_failed": "消息未能送达",
    "bind_wechat": "居民绑定微信", "resident_erased": "居民个人信息已删除",
    "survey": "满意度评价",
}
NOTICES = {
    "take": "已接办，您是该案件的负责人。", "assign": "已分派。", "transfer": "已发起转办，等待对方接收。",
    "accept": "已接收转办。", "refuse": "已退回转办。", "info": "已通知居民补充材料，计时已按规定暂停。",
    "reply": "回复已发送。", "note": "备注已保存。", "result": "办理结果已记录。", "close": "案件已办结。",
    "reopen": "案件已重新办理。", "start": "已开始办理。", "password": "密码已修改。", "category": "分类已更正。",
    "urgent": "已标记为紧急案件，期限已缩短并通知值班人员。", "code": "已生成新的绑定码。",
    "registered": "已登记。请把绑定码读给居民：关注公众号后发送“绑定 加绑定码”即可在微信上收到进展和结果。",
    "canned": "常用回复已保存。", "archive": "案件已归档。", "label": "案件密级已调整。",
}


async def unit_names() -> dict[str, str]:
    return {code: info.name for code, info in (await org_service.tree()).items()}
