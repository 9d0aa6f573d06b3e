"""POST /api/hotline/parse: the caller's words → address, categories, routing, open cases
nearby; and every refusal (422 naming the field and what was found)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.hotline.conftest import a_plate, an_ambiguous_text, as_role, problem

URL = "/api/hotline/parse"


def test_a_call_gives_the_address_the_category_and_where_it_goes(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    as_role(signed_demo_client, demo_session, "hotline")
    plate = a_plate(demo_session)
    said = f"你好，我在西城区{plate.text}门口，井盖没了，晚上特别危险。"
    r = signed_demo_client.post(URL, json={"text": said})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"].endswith(plate.text.removesuffix("号") + "号")
    assert "井盖" in body["complaint"] and plate.road not in body["complaint"]
    assert body["address"]["status"] == "matched"
    assert body["address"]["candidates"][0]["text"] == plate.text
    best = body["categories"][0]
    assert best["code"] == "C0101" and best["name"] == "井盖缺失" and best["because"]
    assert set(best) == {"code", "name", "score", "because"}
    assert body["uncertain"] is False
    routing = body["routing"]
    assert routing is not None
    assert routing["streets"][0]["code"] == plate.street_code
    assert routing["departments"], routing
    assert body["nearby"] == []


def test_an_open_case_nearby_is_flagged(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = a_plate(demo_session)
    pin = {"type": "Point", "coordinates": [plate.lon, plate.lat]}
    made = signed_demo_client.post("/api/reports", json={"geometry": pin, "category": "C0101"})
    assert made.status_code == 201, made.text
    as_role(signed_demo_client, demo_session, "hotline")
    r = signed_demo_client.post(URL, json={"text": f"{plate.text}的井盖没了"})
    assert r.status_code == 200, r.text
    nearby = r.json()["nearby"]
    assert [n["id"] for n in nearby] == [made.json()["case_id"]]
    assert nearby[0]["category"] == "C0101" and nearby[0]["distance_m"] < 1


def test_an_ambiguous_address_lists_its_candidates_and_routes_nothing(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    text = an_ambiguous_text(demo_session)
    r = signed_demo_client.post(URL, json={"text": f"{text}门口路灯不亮了"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["address"]["status"] == "ambiguous"
    assert len(body["address"]["candidates"]) >= 2
    assert body["routing"] is None


def test_an_uncertain_category_routes_nothing(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = a_plate(demo_session)
    r = signed_demo_client.post(URL, json={"text": f"{plate.text}有点事情想反映一下"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["address"]["status"] == "matched"
    assert body["uncertain"] is True and body["routing"] is None


def test_refusals_name_the_field_and_what_was_found(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    as_role(signed_demo_client, demo_session, "hotline")
    problem(signed_demo_client.post(URL, json={}), 422, "text")
    problem(signed_demo_client.post(URL, json={"text": ""}), 422, "text")
    problem(signed_demo_client.post(URL, json={"text": "  "}), 422, "text")
    problem(signed_demo_client.post(URL, json={"text": "长" * 501}), 422, "text")
    none = problem(signed_demo_client.post(URL, json={"text": "井盖没了，很危险"}), 422, "text")
    assert "no address" in none["detail"] and none["found"] == ""
    shanghai = "上海市浦东新区世纪大道100号门口垃圾没人收"
    elsewhere = problem(signed_demo_client.post(URL, json={"text": shanghai}), 422, "text")
    assert elsewhere["found"] == "上海市" and "outside the city" in elsewhere["detail"]
    sichuan = "四川省广安市广安区建设路12号井盖没了"
    assert problem(signed_demo_client.post(URL, json={"text": sichuan}), 422, "text")["found"]
    nothing = problem(
        signed_demo_client.post(URL, json={"text": "火星大街99999号垃圾没人收"}), 422, "text"
    )
    assert nothing["found"] == "火星大街99999号" and "matches no entry" in nothing["detail"]


def test_only_those_who_take_calls_parse_them(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = a_plate(demo_session)
    as_role(signed_demo_client, demo_session, "grid_worker", "110102020")
    r = signed_demo_client.post(URL, json={"text": f"{plate.text}井盖没了"})
    problem(r, 403, "authorization")


def test_each_round_trip_takes_under_a_second_once_warm(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = a_plate(demo_session)
    call = {"text": f"西城区{plate.text}门口井盖没了"}
    assert signed_demo_client.post(URL, json=call).status_code == 200  # builds geocoder, model
    took = []
    for _ in range(3):
        start = time.perf_counter()
        assert signed_demo_client.post(URL, json=call).status_code == 200
        took.append(time.perf_counter() - start)
    assert sorted(took)[1] < 1.0, took
