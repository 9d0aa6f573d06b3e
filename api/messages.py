"""The Chinese words users read: problem titles, field labels, statuses (one home).

A refusal keeps its stable ``type``, ``field`` and English ``detail`` for clients and logs;
``message`` is the sentence the pages show. A domain error may carry its own ``message``
(``DomainError(..., message="案件 999 不存在")``); otherwise :func:`problem_message` composes
one from the problem's title and the field's label.
"""

from __future__ import annotations

from http import HTTPStatus

# problem type (the error class's name) → what went wrong, in plain words
PROBLEM_TITLES: dict[str, str] = {
    "DomainError": "请求有误",
    "InvalidInput": "填写的内容有误",
    "NotFound": "找不到",
    "Unauthorized": "请先登录（登录已失效）",
    "LoginRequired": "请先登录",
    "Forbidden": "无权进行此操作",
    "Conflict": "当前状态不允许此操作",
    "IllegalTransition": "当前状态不允许此操作",
    "LoginThrottled": "登录失败次数过多，请稍后再试",
    "DatabaseUnavailable": "服务暂时不可用，请稍后重试",
}

# HTTP errors the framework answers itself (``type: about:blank``)
STATUS_TITLES: dict[int, str] = {
    HTTPStatus.BAD_REQUEST: "请求无法读取",
    HTTPStatus.UNAUTHORIZED: PROBLEM_TITLES["Unauthorized"],
    HTTPStatus.FORBIDDEN: PROBLEM_TITLES["Forbidden"],
    HTTPStatus.NOT_FOUND: "找不到此页面或数据",
    HTTPStatus.METHOD_NOT_ALLOWED: "不支持此操作",
    HTTPStatus.NOT_ACCEPTABLE: "无法提供所需格式",
    HTTPStatus.CONFLICT: PROBLEM_TITLES["Conflict"],
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "提交的内容太大",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "提交的格式不受支持",
    HTTPStatus.UNPROCESSABLE_ENTITY: PROBLEM_TITLES["InvalidInput"],
    HTTPStatus.TOO_MANY_REQUESTS: "操作过于频繁，请稍后再试",
    HTTPStatus.INTERNAL_SERVER_ERROR: "服务出错，请稍后重试",
    HTTPStatus.SERVICE_UNAVAILABLE: PROBLEM_TITLES["DatabaseUnavailable"],
}

# request fields (the first part of a problem's ``field``) → their names on the pages
FIELD_LABELS: dict[str, str] = {
    "accept": "是否同意",
    "accuracy_m": "定位精度",
    "address": "地址",
    "address_choice": "地址候选",
    "address_string": "地址",
    "amount": "延期时长",
    "api_key": "接口密钥",
    "approve": "审批意见",
    "as_of": "统计时点",
    "assignment_id": "任务",
    "authorization": "登录凭证",
    "bbox": "地图范围",
    "body": "提交内容",
    "by": "延期时长",
    "callback_id": "回访",
    "case_id": "案件",
    "category": "问题类别",
    "chief": "街巷长",
    "chief_ref": "街巷长",
    "code": "编码",
    "comment": "评价意见",
    "confirmed": "核查结论",
    "crs": "坐标系",
    "data_dir": "数据目录",
    "department": "部门",
    "departments": "部门",
    "description": "问题描述",
    "district_code": "区",
    "extension_id": "延期申请",
    "first_name": "名",
    "fmt": "格式",
    "follow": "跟随",
    "generation": "边界版本",
    "geometry": "位置",
    "id": "编号",
    "idempotency_key": "提交编号",
    "into": "合并到的案件",
    "kind": "类型",
    "last_event_id": "上次收到的事件",
    "last_name": "姓",
    "lat": "纬度",
    "layer": "图层",
    "level": "层级",
    "limit": "条数",
    "lon": "经度",
    "long": "经度",
    "min_local": "最少事件数",
    "month": "月份",
    "note": "说明",
    "notification_id": "通知",
    "offset": "起始位置",
    "overdue": "超期",
    "partner_streets": "联合街道",
    "password": "密码",
    "period": "考核期",
    "photo_id": "照片",
    "photos": "照片",
    "position": "所在位置",
    "q": "搜索词",
    "radius_m": "半径",
    "reason": "理由",
    "report_id": "上报",
    "reporter_name": "上报人",
    "result": "回访结果",
    "scope": "范围",
    "service_code": "问题类别",
    "service_request_id": "诉求编号",
    "significant_only": "仅显著",
    "simplify_m": "简化程度",
    "since": "起始时间",
    "sla_policy": "时限标准",
    "source": "来源",
    "stars": "评分",
    "status": "状态",
    "street": "街道",
    "supervision": "督办级别",
    "text": "内容",
    "token": "令牌",
    "unread": "未读",
    "until": "截止时间",
    "user": "用户",
    "username": "用户名",
    "whistle_id": "吹哨",
    "whistle_type": "哨型",
    "window": "时间范围",
    "window_days": "天数",
    "x": "瓦片列号",
    "y": "瓦片行号",
    "z": "缩放级别",
}

CASE_STATUS_NAMES: dict[str, str] = {
    "new": "新案件",
    "whistled": "已吹哨",
    "disputed": "有异议",
    "resolved": "已解决",
    "verified": "已核查",
    "closed": "已结案",
    "rejected": "已驳回",
    "merged": "已合并",
}

ASSIGNMENT_STATUS_NAMES: dict[str, str] = {
    "dispatched": "待签收",
    "acknowledged": "已签收",
    "on_site": "已到场",
    "resolved": "已办结",
    "disputed": "有异议",
    "cancelled": "已撤销",
}

# pydantic's error types (request validation) → the reason in plain words
VALIDATION_REASONS: dict[str, str] = {
    "missing": "必须填写",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_type": "应为文字",
    "string_pattern_mismatch": "格式不对",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "greater_than": "超出范围",
    "greater_than_equal": "超出范围",
    "less_than": "超出范围",
    "less_than_equal": "超出范围",
    "finite_number": "应为有限的数字",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "list_type": "应为列表",
    "too_short": "数量太少",
    "too_long": "数量太多",
    "dict_type": "格式不对",
    "model_type": "格式不对",
    "model_attributes_type": "格式不对",
    "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不应出现",
    "date_from_datetime_parsing": "应为日期",
    "datetime_from_date_parsing": "应为日期时间",
    "datetime_parsing": "应为日期时间",
    "date_parsing": "应为日期",
    "timezone_aware": "需要带时区的时间",
    "value_error": "不可接受",
    "assertion_error": "不可接受",
    "union_tag_invalid": "格式不对",
    "union_tag_not_found": "格式不对",
}


def field_label(field: str | None) -> str | None:
    """The page name of a problem's field (``photos.0.data`` → 照片), None when unknown."""
    if not field:
        return None
    return FIELD_LABELS.get(field.split(".")[0])


def problem_message(problem_type: str, field: str | None, *, status: int | None = None) -> str:
    """The sentence a page shows for a problem without a message of its own."""
    title = PROBLEM_TITLES.get(problem_type) or STATUS_TITLES.get(status or 0) or "请求未能完成"
    label = field_label(field)
    return f"{title}（{label}）" if label else title


def validation_message(errors: list[dict[str, str]], types: list[str]) -> str:
    """One sentence for request validation errors: each field's label and reason."""
    parts = []
    for error, kind in zip(errors, types, strict=True):
        label = field_label(error.get("field")) or error.get("field") or "请求"
        parts.append(f"{label}{VALIDATION_REASONS.get(kind, '不可接受')}")
    return (
        f"{PROBLEM_TITLES['InvalidInput']}：{'；'.join(parts)}"
        if parts
        else PROBLEM_TITLES["InvalidInput"]
    )
