"""A body the framework cannot read is a 400 problem+json that says why."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"geometry": "\xff\xfe"}', "the body is not UTF-8 (byte 0xff at 14)"),
        (b"[" * 100_000 + b"]" * 100_000, "the body's JSON is nested too deeply"),
    ],
    ids=["not UTF-8", "nested too deeply"],
)
def test_an_unreadable_body_says_why(client: TestClient, raw: bytes, reason: str) -> None:
    response = client.post("/api/route", content=raw, headers=JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == reason
    assert problem["field"] == "request"
    assert problem["errors"] == [{"field": "request", "reason": reason}]
