"""报到 from farther than the on-site radius is refused, in Chinese words that say how far the
position is and how near it must be, and nothing is written."""

from __future__ import annotations

import re

from api.config import Settings
from tests.api.support import Api, problem

P1 = (116.3230, 39.8906)  # in 广安门外街道
ONLY_CGZF = [{"code": "110102-cgzf", "role": "lead", "overall_lead": True}]


def _task(api: Api) -> tuple[int, int]:
    body = {"geometry": {"type": "Point", "coordinates": list(P1)}, "category": "E0404"}
    case_id = api.call("POST", "/api/reports", "worker-gw", json=body).json()["case_id"]
    r = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={"departments": ONLY_CGZF})
    assert r.status_code == 200, r.text
    rows = api.call("GET", f"/api/whistles?case_id={case_id}", "xc-cgzf").json()
    return int(case_id), int(rows[0]["id"])


def test_a_report_on_site_from_far_away_is_refused_in_chinese(api: Api) -> None:
    case_id, task = _task(api)
    limit = Settings(environment="test").on_site_max_distance_m
    before = api.counts()
    far = {"lon": P1[0], "lat": P1[1] + 0.02}  # about 2.2 km north
    body = problem(api.call("POST", f"/api/assignments/{task}/on-site", "xc-cgzf", json=far), 422)
    assert body["field"] == "position"
    assert 2_000 < body["distance_m"] < 2_400
    message = body["message"]
    assert re.search(r"[\u4e00-\u9fff]", message) and "from the case" not in message
    said = [float(n.replace(",", "")) for n in re.findall(r"([\d,]+) 米", message)]
    assert len(said) == 2, message
    assert abs(said[0] - body["distance_m"]) <= 1  # how far the position is
    assert said[1] == limit  # how near it must be
    assert api.counts() == before
    rows = api.call("GET", f"/api/whistles?case_id={case_id}", "xc-cgzf").json()
    assert [(a["id"], a["status"], a["on_site_at"]) for a in rows] == [(task, "dispatched", None)]
