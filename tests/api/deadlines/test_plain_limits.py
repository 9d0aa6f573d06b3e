"""A policy's time limits in words, and the case detail saying them beside the policy's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.deadlines.sla import plain, read_policies
from tests.api.support import BUILDING, Api

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("huangpu", "2 天内签收，2 天内到场，5 个工作日内办结"),
        ("maanshan", "1 个工作日内签收，5 个工作日内到场，60 个工作日内办结"),
        ("emergency", "半小时内签收，2 小时内到场，24 小时内办结"),
    ],
)
def test_each_shipped_policy_reads_in_words(name: str, words: str) -> None:
    assert plain(read_policies(DATA / "sla_policies.csv")[name]) == words


def test_the_case_detail_says_the_limits_in_words(api: Api) -> None:
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    routing = api.call("GET", f"/api/cases/{case_id}", "gw").json()["routing"]
    policy = read_policies(DATA / "sla_policies.csv")[routing["sla_policy"]]
    assert routing["sla_text"] == plain(policy)
    assert "内办结" in routing["sla_text"]
