"""The service report's texts in English and Simplified Chinese."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "zh_CN")

_TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Service report {number}", "zh_CN": "服务报告 {number}"},
    "customer": {"en": "Customer", "zh_CN": "客户"},
    "status": {"en": "Status", "zh_CN": "状态"},
    "site": {"en": "Site", "zh_CN": "地点"},
    "priority": {"en": "Priority", "zh_CN": "优先级"},
    "asset": {"en": "Equipment", "zh_CN": "设备"},
    "technician": {"en": "Technician", "zh_CN": "技术员"},
    "reported": {"en": "Reported", "zh_CN": "报修时间"},
    "completed_at": {"en": "Completed", "zh_CN": "完成时间"},
    "fault": {"en": "Reported fault", "zh_CN": "故障描述"},
    "work_done": {"en": "Work done", "zh_CN": "处理结果"},
    "failure_codes": {"en": "Failure codes: {codes}", "zh_CN": "故障代码：{codes}"},
    "labour": {"en": "Labour: {labour} min booked; {on_site} min on site in {visits} visit(s)",
               "zh_CN": "工时：登记 {labour} 分钟；现场 {on_site} 分钟，共 {visits} 次上门"},
    "parts": {"en": "Parts used", "zh_CN": "使用备件"},
    "sku": {"en": "SKU", "zh_CN": "编号"},
    "part": {"en": "Part", "zh_CN": "备件"},
    "quantity": {"en": "Quantity", "zh_CN": "数量"},
    "value": {"en": "Value", "zh_CN": "金额"},
    "timeline": {"en": "Timeline", "zh_CN": "处理记录"},
    "photos": {"en": "Photos", "zh_CN": "照片"},
    "signature": {"en": "Customer signature", "zh_CN": "客户签名"},
    "not_signed": {"en": "Not signed.", "zh_CN": "未签名。"},
    "rating": {"en": "Customer rating", "zh_CN": "客户评价"},
    "rating_line": {"en": "{score} / 5  {comment}", "zh_CN": "{score} / 5 分  {comment}"},
    "none": {"en": "None.", "zh_CN": "无。"},
    "footer": {"en": "Produced by FieldOps.", "zh_CN": "由 FieldOps 生成。"},
    "event_status": {"en": "Status: {status}", "zh_CN": "状态变更：{status}"},
    "event_note": {"en": "Note: {note}", "zh_CN": "备注：{note}"},
    "event_rated": {"en": "Rated {score} / 5", "zh_CN": "评价 {score} / 5 分"},
    "event_other": {"en": "{kind}", "zh_CN": "{kind}"},
}

# Timeline entries that need no data to be told in words.
EVENT_KINDS: dict[str, dict[str, str]] = {
    "created": {"en": "Work order opened", "zh_CN": "工单已创建"},
    "assigned": {"en": "Technician assigned", "zh_CN": "已指派技术员"},
    "checked_in": {"en": "Technician checked in on site", "zh_CN": "技术员到达现场签到"},
    "checked_out": {"en": "Technician checked out", "zh_CN": "技术员离开现场"},
    "customer_report": {"en": "Fault reported by the customer", "zh_CN": "客户报修"},
    "customer_signed": {"en": "Customer signed", "zh_CN": "客户已签名"},
    "field_changed": {"en": "Details updated", "zh_CN": "信息已更新"},
    "follow_up_created": {"en": "Follow-up work order opened", "zh_CN": "已创建后续工单"},
    "parts_used": {"en": "Parts used", "zh_CN": "已使用备件"},
    "photo_added": {"en": "Photo added", "zh_CN": "已添加照片"},
}

_STATUS: dict[str, dict[str, str]] = {
    "new": {"en": "New", "zh_CN": "新建"},
    "scheduled": {"en": "Scheduled", "zh_CN": "已排程"},
    "dispatched": {"en": "Dispatched", "zh_CN": "已派工"},
    "en_route": {"en": "On the way", "zh_CN": "在途"},
    "on_site": {"en": "On site", "zh_CN": "在现场"},
    "on_hold": {"en": "On hold", "zh_CN": "暂停"},
    "completed": {"en": "Completed", "zh_CN": "已完成"},
    "closed": {"en": "Closed", "zh_CN": "已关闭"},
    "cancelled": {"en": "Cancelled", "zh_CN": "已取消"},
}


def text(lang: str, key: str, **values: Any) -> str:
    return _TEXTS[key].get(lang, _TEXTS[key]["en"]).format(**values)


def status_name(lang: str, status: str) -> str:
    names = _STATUS.get(status)
    return names.get(lang, names["en"]) if names else status


def event_name(lang: str, kind: str) -> str | None:
    names = EVENT_KINDS.get(kind)
    return names.get(lang, names["en"]) if names else None
