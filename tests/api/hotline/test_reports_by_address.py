"""POST /api/reports with the caller's words instead of a geometry (source hotline): the words,
the geocoding outcome and the candidate taken are stored; every refusal writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.addresses.service import GEOCODER, import_register, read_entries
from api.reports.models import Report
from tests.api.hotline.conftest import a_plate, an_ambiguous_text, as_role, problem, report_count

URL = "/api/reports"


def _stored(session: Session, report_id: int) -> Report:
    report = session.scalars(select(Report).where(Report.id == report_id)).one()
    return report


def test_a_call_taker_reports_by_the_callers_words(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    as_role(signed_demo_client, demo_session, "hotline")
    plate = a_plate(demo_session)
    words = f"西城区{plate.text}门口"
    r = signed_demo_client.post(
        URL, json={"address": words, "category": "C0101", "description": "井盖没了"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["routing"]["streets"][0]["code"] == plate.street_code
    report = _stored(demo_session, body["id"])
    assert report.source == "hotline"
    assert report.address_text == words and report.address_status == "matched"
    assert report.address_candidate is not None
    assert report.address_candidate["text"] == plate.text
    assert report.address_candidate["grid"] == plate.grid_code
    assert body["routing"]["grid_code"] == plate.grid_code


def test_an_ambiguous_address_is_refused_with_its_candidates_then_taken_by_choice(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    as_role(signed_demo_client, demo_session, "hotline")
    text = an_ambiguous_text(demo_session)
    before = report_count(demo_session)
    refused = problem(
        signed_demo_client.post(URL, json={"address": text, "category": "C0103"}), 422, "address"
    )
    texts = [c["text"] for c in refused["candidates"]]
    assert len(texts) >= 2 and "ambiguous" in refused["detail"]
    assert report_count(demo_session) == before
    wrong = {"address": text, "address_choice": "不在候选里", "category": "C0103"}
    problem(signed_demo_client.post(URL, json=wrong), 422, "address_choice")
    chosen = {"address": text, "address_choice": texts[1], "category": "C0103"}
    r = signed_demo_client.post(URL, json=chosen)
    assert r.status_code == 201, r.text
    report = _stored(demo_session, r.json()["id"])
    assert report.address_status == "ambiguous"
    assert report.address_candidate is not None and report.address_candidate["text"] == texts[1]


def _refusals(plate_text: str) -> list[tuple[dict[str, Any], str, str]]:
    return [
        ({"address": "", "category": "C0101"}, "address", "empty"),
        ({"address": "   ", "category": "C0101"}, "address", "empty"),
        ({"address": "井盖没了", "category": "C0101"}, "address", "no address"),
        ({"address": "上海市浦东新区世纪大道100号", "category": "C0101"}, "address", "上海市"),
        ({"address": "火星大街99999号", "category": "C0101"}, "address", "matches no entry"),
        ({"address": plate_text, "category": "Z9999"}, "category", "Z9999"),
        ({"category": "C0101"}, "geometry", "address"),
        (
            {
                "address": plate_text,
                "geometry": {"type": "Point", "coordinates": [116.35, 39.89]},
                "category": "C0101",
            },
            "address",
            "not both",
        ),
        ({"address": plate_text}, "category", "required"),
        ({"address": "长" * 501, "category": "C0101"}, "address", "500"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_a_refused_address_report_names_the_field_and_writes_nothing(
    signed_demo_client: TestClient, demo_session: Session, case: int
) -> None:
    as_role(signed_demo_client, demo_session, "hotline")
    plate = a_plate(demo_session)
    body, field, needle = _refusals(plate.text)[case]
    before = report_count(demo_session)
    refused = problem(signed_demo_client.post(URL, json=body), 422, field)
    assert needle in str(refused), refused
    assert report_count(demo_session) == before


def test_the_geocoder_follows_a_new_register_version(demo_session: Session) -> None:
    first = GEOCODER.current(session=demo_session)
    assert GEOCODER.current(session=demo_session) is first
    plate = a_plate(demo_session)
    register = read_entries(session=demo_session)
    kept = register[register["street_code"] == "110106002"].reset_index(drop=True)  # 太平桥
    report, generation = import_register(session=demo_session, frame=kept, source="test")
    assert report.ok and generation is not None
    second = GEOCODER.current(session=demo_session)
    assert second is not first
    assert first.geocode(plate.text).status == "matched"
    assert second.geocode(plate.text).status != "matched"  # 广外's plates are not in it


def test_a_case_says_where_it_is_from_the_register(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = a_plate(demo_session)
    pin = {"type": "Point", "coordinates": [plate.lon, plate.lat]}
    made = signed_demo_client.post(URL, json={"geometry": pin, "category": "C0101"})
    assert made.status_code == 201, made.text
    case = signed_demo_client.get(f"/api/cases/{made.json()['case_id']}").json()
    assert case["address"] == plate.text
    far = {"type": "Point", "coordinates": [plate.lon + 0.0004, plate.lat]}  # ~34 m east
    made = signed_demo_client.post(URL, json={"geometry": far, "category": "C0102"})
    case = signed_demo_client.get(f"/api/cases/{made.json()['case_id']}").json()
    assert case["address"].endswith("米") and "侧约" in case["address"]
