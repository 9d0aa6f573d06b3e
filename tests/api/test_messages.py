"""Refusals speak Chinese to people: every problem carries a ``message`` in Chinese, while its
``type``, ``field`` and English ``detail`` stay stable for clients (api.messages)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import api.app  # noqa: F401  (imports every module, so every error class is known)
from api.app import create_app
from api.config import Settings
from api.errors import DomainError
from api.messages import (
    FIELD_LABELS,
    PROBLEM_TITLES,
    STATUS_TITLES,
    problem_message,
    validation_message,
)
from tests.api.support import BUILDING, PIN, Api, problem

CJK = re.compile(r"[\u4e00-\u9fff]")
METHODS = {"get", "post", "put", "patch", "delete"}


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    sub: type[DomainError]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    body: dict[str, Any] = create_app(settings=Settings(environment="test")).openapi()
    return body


def test_every_problem_type_has_a_chinese_title() -> None:
    # the service's own errors (a test may define one of its own to try the handlers)
    every: list[type[DomainError]] = [DomainError, *_subclasses(DomainError)]
    kinds = [k for k in every if k.__module__.startswith("api.")]
    assert len(kinds) > 5
    missing = sorted(k.__name__ for k in kinds if k.__name__ not in PROBLEM_TITLES)
    assert not missing
    assert all(CJK.search(title) for title in PROBLEM_TITLES.values())


def test_every_error_status_the_document_declares_has_a_chinese_title(
    document: dict[str, Any],
) -> None:
    declared = {
        int(status)
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in METHODS
        for status in operation["responses"]
        if status.isdigit() and int(status) >= 400
    }
    assert declared and declared <= set(STATUS_TITLES)


def _properties(schemas: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            names |= _properties(schemas, part)
    return names


def test_every_request_field_has_a_chinese_label(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    names: set[str] = set()
    for item in document["paths"].values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            names |= {p["name"] for p in operation.get("parameters", []) if p["in"] != "header"}
            for content in operation.get("requestBody", {}).get("content", {}).values():
                names |= _properties(schemas, content.get("schema", {}))
    assert names
    assert sorted(names - set(FIELD_LABELS)) == []


def test_messages_are_composed_from_title_and_label() -> None:
    assert problem_message("InvalidInput", "photos.0.data") == "填写的内容有误（照片）"
    assert problem_message("NotFound", "nonsense") == "找不到"
    assert problem_message("about:blank", None, status=405) == "不支持此操作"
    errors = [{"field": "category", "reason": "Field required"}]
    assert validation_message(errors, ["missing"]) == "填写的内容有误：问题类别必须填写"


def _chinese(body: dict[str, Any]) -> str:
    message = body["message"]
    assert CJK.search(message), body
    return str(message)


def test_refusals_carry_chinese_messages_and_keep_their_type(api: Api) -> None:
    outside = {**PIN, "geometry": {"type": "Point", "coordinates": [117.6, 40.6]}}
    body = problem(api.call("POST", "/api/reports", "worker-gw", json=outside), 422, "geometry")
    assert body["type"] == "/problems/InvalidInput" and "outside every district" in body["detail"]
    assert "不在本市任何区内" in _chinese(body) and "米" in body["message"]

    missing = {k: v for k, v in PIN.items() if k != "category"}
    body = problem(api.call("POST", "/api/reports", "worker-gw", json=missing), 422, "category")
    assert _chinese(body) == "填写的内容有误：问题类别必须填写"

    body = problem(api.call("POST", "/api/reports", None, json=PIN), 401, "authorization")
    assert "登录" in _chinese(body)
    body = problem(api.call("POST", "/api/reports", "worker-far", json=PIN), 403, "geometry")
    assert "无权" in _chinese(body)
    body = problem(api.call("GET", "/api/cases/999999", "gw"), 404)
    assert "找不到" in _chinese(body)
    body = api.call("DELETE", "/api/reports", "gw").json()
    assert body["status"] == 405 and _chinese(body) == "不支持此操作"


def test_an_illegal_move_names_the_states_in_chinese(api: Api) -> None:
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
    body = problem(
        api.call("POST", f"/api/cases/{case_id}/reject", "gw", json={"reason": "重复"}),
        409,
        "status",
    )
    assert body["current"] == "whistled"  # the stable part for clients
    assert _chinese(body).startswith("案件已吹哨，不能改为已驳回；可改为：")
