"""Merging needs a reason, which both cases' history keeps (a different category is allowed)."""

from __future__ import annotations

from tests.api.support import PIN, Api, problem


def _new_case(api: Api, category: str, lon: float) -> int:
    body = {
        **PIN,
        "geometry": {"type": "Point", "coordinates": [lon, 39.8900]},
        "category": category,
    }
    case_id: int = api.call("POST", "/api/reports", "worker-gw", json=body).json()["case_id"]
    return case_id


def test_a_merge_without_a_reason_is_refused_and_changes_nothing(api: Api) -> None:
    first, second = _new_case(api, "E0303", 116.3203), _new_case(api, "E0303", 116.3240)
    before = api.counts()
    url = f"/api/cases/{second}/merge"
    problem(api.call("POST", url, "gw", json={"into": first}), 422, "reason")
    body = problem(api.call("POST", url, "gw", json={"into": first, "reason": "  "}), 422, "reason")
    assert body["message"] == "合并须说明理由"
    assert api.counts() == before


def test_the_reason_is_on_both_histories_even_across_categories(api: Api) -> None:
    kept, dropped = _new_case(api, "E0303", 116.3203), _new_case(api, "E0401", 116.3240)
    r = api.call(
        "POST", f"/api/cases/{dropped}/merge", "gw", json={"into": kept, "reason": "同一处违建"}
    )
    assert r.status_code == 200, r.text
    gone = [e for e in api.call("GET", f"/api/cases/{dropped}/events", "gw").json()]
    here = [e for e in api.call("GET", f"/api/cases/{kept}/events", "gw").json()]
    merged = next(e for e in gone if e["to_status"] == "merged")
    merged_in = next(e for e in here if e["kind"] == "case:merged_in")
    assert merged["reason"] == merged_in["reason"] == "同一处违建"
    assert merged_in["data"]["category"] == "E0401"  # the merged case's own category
