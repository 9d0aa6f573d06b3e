"""Open311 GeoReport v2 over HTTP: every endpoint in JSON and XML, filters, statuses, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from api.cases.models import Case
from api.cases.workflow import CaseStatus
from api.open311.service import open311_status
from api.reports.models import Report
from tests.api.open311.conftest import (
    BASE,
    FAR_AWAY,
    GUANGWAI_PIN,
    TAIPINGQIAO_PIN,
    form,
    pin,
    xml_of,
)
from tests.api.support import Api

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
W3 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def post(api: Api, key: str | None, fmt: str = "json", headers: Any = None, **fields: Any) -> Any:
    return api.client.post(
        f"{BASE}/requests.{fmt}", data=form(api, key, **fields), headers=headers or {}
    )


def created(api: Api, **fields: Any) -> str:
    """POST a request with the admin key; its service_request_id."""
    r = post(api, "admin", **pin(**fields))
    assert r.status_code == 201, r.text
    answer = r.json()
    assert len(answer) == 1 and set(answer[0]) == {
        "service_request_id",
        "service_notice",
        "account_id",
    }
    return str(answer[0]["service_request_id"])


def get_json(api: Api, path: str, **params: Any) -> Any:
    r = api.client.get(f"{BASE}/{path}.json", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    return r.json()


def ids(api: Api, **params: Any) -> list[str]:
    return [r["service_request_id"] for r in get_json(api, "requests", **params)]


def spec_error(response: Any, fmt: str, status: int) -> str:
    """Check an error answer in the spec's format; its description."""
    assert response.status_code == status, response.text
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
        assert body[0]["code"] == status
        return str(body[0]["description"])
    root = xml_of(response, "errors")
    [error] = root.findall("error")
    assert error.findtext("code") == str(status)
    return error.findtext("description") or ""


# -- discovery and services ---------------------------------------------------------------


def test_discovery_in_json_and_xml(o311: Api) -> None:
    doc = get_json(o311, "discovery")
    assert set(doc) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "test"  # environment=test: not acted upon as production
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml_of(o311.client.get(f"{BASE}/discovery.xml"), "discovery")
    formats = root.findall("endpoints/endpoint/formats/format")
    assert [f.text for f in formats] == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/url") == endpoint["url"]


def test_services_are_the_sub_categories_grouped_by_top_level(o311: Api) -> None:
    services = get_json(o311, "services")
    by_code = {s["service_code"]: s for s in services}
    assert "E01" not in by_code and "C01" not in by_code  # top levels are groups
    assert by_code["E0101"] == {
        "service_code": "E0101",
        "service_name": "暴露垃圾",
        "description": "市容环境：暴露垃圾（事件）",
        "metadata": False,
        "type": "realtime",
        "keywords": "暴露垃圾, 市容环境, 事件",
        "group": "市容环境",
    }
    assert by_code["C0101"]["group"] == "公用设施"
    assert all(isinstance(s["service_code"], str) for s in services)

    root = xml_of(o311.client.get(f"{BASE}/services.xml"), "services")
    xml_services = root.findall("service")
    assert [s.findtext("service_code") for s in xml_services] == list(by_code)
    first = xml_services[0]
    assert [c.tag for c in first] == list(services[0])
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"
    assert "井盖" in (first.findtext("service_name") or "")  # Chinese text intact


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_and_unknown_service(o311: Api, fmt: str) -> None:
    r = o311.client.get(f"{BASE}/services/E0303.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        assert r.json() == {"service_code": "E0303", "attributes": []}
    else:
        root = xml_of(r, "service_definition")
        assert root.findtext("service_code") == "E0303"
        assert root.find("attributes") is not None and len(root.find("attributes") or []) == 0
    for unknown in ("Z9999", "E03"):  # a top-level category is a group, not a service
        message = spec_error(o311.client.get(f"{BASE}/services/{unknown}.{fmt}"), fmt, 404)
        assert unknown in message


def test_an_unknown_format_is_a_404_in_xml(o311: Api) -> None:
    message = spec_error(o311.client.get(f"{BASE}/services.csv"), "xml", 404)
    assert "csv" in message


# -- creating requests --------------------------------------------------------------------


def test_post_creates_a_case_visible_in_get(o311: Api) -> None:
    before = o311.counts()
    r = post(
        o311,
        "admin",
        **pin(
            description="路边垃圾堆放三天\n无人清理",
            first_name="小明",
            last_name="王",
            phone="13800000000",
            email="wxm@example.cn",
            media_url="https://example.cn/p.jpg",
            **{"attribute[WHEN]": "morning"},
        ),
    )
    assert r.status_code == 201, r.text
    [answer] = r.json()
    request_id = answer["service_request_id"]
    assert isinstance(request_id, str) and request_id.isdigit()
    assert answer["account_id"] is None and "已受理" in answer["service_notice"]
    after = o311.counts()
    assert (after["reports"], after["cases"]) == (before["reports"] + 1, before["cases"] + 1)
    report = o311.session.scalar(select(Report).where(Report.case_id == int(request_id)))
    assert report is not None
    assert (report.source, report.reporter_name, report.crs) == ("resident", "王小明", "wgs84")

    [request] = get_json(o311, f"requests/{request_id}")
    assert list(request) == REQUEST_FIELDS
    assert request["service_request_id"] == request_id
    assert (request["status"], request["service_code"], request["service_name"]) == (
        "open",
        "E0101",
        "暴露垃圾",
    )
    assert request["description"] == "路边垃圾堆放三天\n无人清理"
    assert (request["long"], request["lat"]) == pytest.approx(GUANGWAI_PIN, abs=1e-7)
    assert "广安门外街道" in request["address"] and request["address"].endswith("西城区")
    assert request["address_id"].startswith("110102020") and len(request["address_id"]) == 15
    assert request["agency_responsible"] == "北京市西城区城市管理委员会"
    assert W3.match(request["requested_datetime"]) and W3.match(request["updated_datetime"])
    assert request["expected_datetime"] is None  # nobody has been whistled yet
    # reads carry no reporter data
    listing = o311.client.get(f"{BASE}/requests.json").text
    assert not any(s in listing for s in ("王小明", "13800000000", "wxm@example.cn", "小明"))

    root = xml_of(o311.client.get(f"{BASE}/requests/{request_id}.xml"), "service_requests")
    [element] = root.findall("request")
    assert [c.tag for c in element] == REQUEST_FIELDS
    assert element.findtext("service_request_id") == request_id
    assert element.findtext("description") == "路边垃圾堆放三天\n无人清理"
    assert element.findtext("expected_datetime") == ""  # present, empty


def test_post_in_xml_and_the_token_of_a_report(o311: Api) -> None:
    r = post(o311, "admin", "xml", **pin(TAIPINGQIAO_PIN, service_code="E0401"))
    assert r.status_code == 201
    root = xml_of(r, "service_requests")
    request_id = root.findtext("request/service_request_id") or ""
    assert request_id.isdigit() and root.find("request/token") is None
    assert root.find("request/account_id") is not None
    report = o311.session.scalar(select(Report).where(Report.case_id == int(request_id)))
    assert report is not None and report.source == "resident"

    assert get_json(o311, f"tokens/{report.id}") == [
        {"service_request_id": request_id, "token": str(report.id)}
    ]
    token = xml_of(o311.client.get(f"{BASE}/tokens/{report.id}.xml"), "service_requests")
    assert token.findtext("request/service_request_id") == request_id
    for fmt in ("json", "xml"):
        assert "999999" in spec_error(o311.client.get(f"{BASE}/tokens/999999.{fmt}"), fmt, 404)


def test_idempotency_key_replays_and_duplicates_attach(o311: Api) -> None:
    key = {"Idempotency-Key": "app-42"}
    first = post(o311, "admin", headers=key, **pin(source="hotline"))
    retry = post(o311, "admin", headers=key, **pin(source="hotline"))
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    request_id = first.json()[0]["service_request_id"]
    reports = o311.counts()["reports"]
    # the same key with a different request is refused; nothing is written
    changed = post(o311, "admin", headers=key, **pin(description="另一件事"))
    assert "Idempotency-Key" in spec_error(changed, "json", 400)
    assert o311.counts()["reports"] == reports
    # another resident reports the same problem 20 m away: the same service request
    nearby = post(o311, "admin", **pin((GUANGWAI_PIN[0] + 0.0002, GUANGWAI_PIN[1])))
    assert nearby.status_code == 201
    [answer] = nearby.json()
    assert answer["service_request_id"] == request_id
    assert "已并入" in answer["service_notice"]
    sources = o311.session.scalars(
        select(Report.source).where(Report.case_id == int(request_id)).order_by(Report.id)
    ).all()
    assert sources == ["hotline", "resident"]


BAD_POSTS: dict[str, tuple[str | None, dict[str, Any], int, str]] = {
    "no api_key": (None, pin(), 403, "api_key was not provided"),
    "unknown api_key": ("not-a-token", pin(), 403, "invalid api_key"),
    "analyst key": ("analyst", pin(), 403, "analyst"),
    "department key": ("xc-cgzf", pin(), 403, "department"),
    "grid worker outside its jurisdiction": ("worker-tpq", pin(), 403, "110102020"),
    "no service_code": ("admin", {"long": 116.3235, "lat": 39.8905}, 400, "service_code"),
    "unknown service_code": ("admin", pin(service_code="Z9999"), 404, "Z9999"),
    "top-level category": ("admin", pin(service_code="E01"), 404, "E01"),
    "no location": ("admin", {"service_code": "E0101"}, 400, "lat and long"),
    "only lat": ("admin", {"service_code": "E0101", "lat": 39.89}, 400, "lat and long"),
    "an address_string matching nothing": (
        "admin",
        {"service_code": "E0101", "address_string": "火星大街99999号"},
        400,
        "matches no entry",
    ),
    "an address_string in another city": (
        "admin",
        {"service_code": "E0101", "address_string": "上海市浦东新区世纪大道100号"},
        400,
        "上海市",
    ),
    "an address_string with no address": (
        "admin",
        {"service_code": "E0101", "address_string": "垃圾没人收"},
        400,
        "no address",
    ),
    "address_id alone": ("admin", {"service_code": "E0101", "address_id": "A1"}, 400, "address_id"),
    "lat not a number": ("admin", pin(lat="north"), 400, "lat"),
    "long out of range": ("admin", pin(long=190), 400, "long"),
    "outside every district": ("admin", pin(FAR_AWAY), 400, "nearest is 东城区"),
    "description too long": ("admin", pin(description="长" * 4001), 400, "4000"),
    "unknown source": ("admin", pin(source="twitter"), 400, "source"),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", BAD_POSTS, ids=list(BAD_POSTS))
def test_a_refused_post_answers_in_the_spec_format_and_writes_nothing(
    o311: Api, case: str, fmt: str
) -> None:
    key, fields, status, needle = BAD_POSTS[case]
    before = o311.counts()
    message = spec_error(post(o311, key, fmt, **fields), fmt, status)
    assert needle in message, message
    assert o311.counts() == before


def test_an_address_string_alone_is_geocoded_against_the_register(o311: Api) -> None:
    plate = o311.session.execute(
        text(
            "SELECT text, grid_code FROM address_entries WHERE street_code = '110102020' "
            "AND kind = 'plate' AND suffix = '' ORDER BY generation_high DESC, ref LIMIT 1"
        )
    ).one()
    fields = {"service_code": "E0101", "address_string": f"西城区{plate.text}门口"}
    r = post(o311, "admin", source="hotline", **fields)
    assert r.status_code == 201, r.text
    request_id = int(r.json()[0]["service_request_id"])
    report = o311.session.scalars(select(Report).where(Report.case_id == request_id)).one()
    assert report.address_status == "matched" and report.source == "hotline"
    assert report.address_candidate is not None
    assert report.address_candidate["grid"] == plate.grid_code
    # the request's address is described from the register: the plate it was made at
    (document,) = get_json(o311, f"requests/{request_id}")
    assert document["address"].startswith(plate.text), document["address"]


def test_a_form_that_is_not_urlencoded_is_refused(o311: Api) -> None:
    r = o311.client.post(f"{BASE}/requests.json", json={"api_key": o311.tokens["admin"], **pin()})
    assert "x-www-form-urlencoded" in spec_error(r, "json", 400)


def test_a_long_idempotency_key_is_refused(o311: Api) -> None:
    r = post(o311, "admin", headers={"Idempotency-Key": "k" * 129}, **pin())
    assert "Idempotency-Key" in spec_error(r, "json", 400)


# -- reading requests ---------------------------------------------------------------------


@pytest.mark.parametrize("status", list(CaseStatus))
def test_status_mapping(status: CaseStatus) -> None:
    closed = {CaseStatus.VERIFIED, CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED}
    assert open311_status(status) == ("closed" if status in closed else "open")


def test_filters_by_id_service_and_status(o311: Api) -> None:
    litter = created(o311)
    stalls = created(o311, service_code="E0401", long=TAIPINGQIAO_PIN[0], lat=TAIPINGQIAO_PIN[1])
    rejected = created(o311, service_code="E0303", long=116.3240, lat=39.8930)
    r = o311.call("POST", f"/api/cases/{rejected}/reject", "gw", json={"reason": "属物业管理范围"})
    assert r.status_code == 200, r.text

    assert ids(o311) == [rejected, stalls, litter]  # newest first
    assert ids(o311, service_code="E0101,E0401") == [stalls, litter]
    assert ids(o311, service_code="E0303") == [rejected]
    assert ids(o311, status="open") == [stalls, litter]
    assert ids(o311, status="closed") == [rejected]
    assert ids(o311, status="open,closed") == [rejected, stalls, litter]
    [closed] = get_json(o311, "requests", status="closed")
    assert closed["status_notes"] == "不予受理：属物业管理范围"
    assert closed["updated_datetime"] >= closed["requested_datetime"]
    # service_request_id overrides every other filter; unknown ids are simply absent
    assert set(ids(o311, service_request_id=f"{litter},{rejected},999999,abc", status="open")) == {
        litter,
        rejected,
    }

    root = xml_of(o311.client.get(f"{BASE}/requests.xml?status=open"), "service_requests")
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [stalls, litter]
    assert all(r.findtext("status") == "open" for r in root.findall("request"))


def test_default_window_is_the_last_90_days(o311: Api) -> None:
    recent = created(o311)
    old = created(o311, service_code="E0401", long=TAIPINGQIAO_PIN[0], lat=TAIPINGQIAO_PIN[1])
    then = datetime.now(UTC) - timedelta(days=100)
    case = o311.session.get(Case, int(old))
    assert case is not None
    case.created_at = then
    o311.session.flush()

    assert ids(o311) == [recent]
    start, end = (then - timedelta(days=1)).isoformat(), (then + timedelta(days=1)).isoformat()
    assert ids(o311, start_date=start, end_date=end) == [old]
    assert ids(o311, start_date=start) == [old]  # start alone: 90 days from it
    assert ids(o311, end_date=end) == [old]  # end alone: the 90 days before it
    day = (then + timedelta(hours=8)).date().isoformat()  # no offset: Beijing time
    assert ids(o311, start_date=day, end_date=f"{day}T23:59:59") == [old]
    assert ids(o311, service_request_id=old) == [old]  # an id is found whatever its age


def test_a_merged_request_is_closed_and_its_token_follows_the_report(o311: Api) -> None:
    duplicate = created(o311, service_code="E0104")
    kept = created(o311, service_code="E0104", long=116.3240, lat=39.8930)  # ~300 m away
    [report_id] = o311.session.scalars(select(Report.id).where(Report.case_id == int(duplicate)))
    r = o311.call(
        "POST",
        f"/api/cases/{duplicate}/merge",
        "gw",
        json={"into": int(kept), "reason": "同一问题"},
    )
    assert r.status_code == 200, r.text

    [merged] = get_json(o311, f"requests/{duplicate}")
    assert merged["status"] == "closed" and merged["status_notes"].endswith(kept)
    assert get_json(o311, f"tokens/{report_id}")[0]["service_request_id"] == kept


BAD_QUERIES = {
    "span over 90 days": (
        {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-05-01T00:00:00Z"},
        "90 days",
    ),
    "end before start": (
        {"start_date": "2024-02-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
        "before",
    ),
    "not a date": ({"start_date": "yesterday"}, "start_date"),
    "unknown status": ({"status": "pending"}, "pending"),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", BAD_QUERIES, ids=list(BAD_QUERIES))
def test_bad_filters_are_400(o311: Api, case: str, fmt: str) -> None:
    params, needle = BAD_QUERIES[case]
    r = o311.client.get(f"{BASE}/requests.{fmt}", params=params)
    assert needle in spec_error(r, fmt, 400)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_is_404(o311: Api, fmt: str) -> None:
    for request_id in ("999999", "abc", "99999999999"):
        r = o311.client.get(f"{BASE}/requests/{request_id}.{fmt}")
        assert request_id in spec_error(r, fmt, 404)


def test_a_whistled_request_names_the_lead_department_and_its_due_time(o311: Api) -> None:
    request_id = created(o311, service_code="E0303")
    r = o311.call("POST", f"/api/cases/{request_id}/whistle", "gw", json={})
    assert r.status_code == 200, r.text
    case = o311.call("GET", f"/api/cases/{request_id}", "gw").json()
    [lead] = [a for a in case["assignments"] if a["overall_lead"]]

    [request] = get_json(o311, f"requests/{request_id}")
    assert request["status"] == "open"
    assert lead["department_code"] == "110102-cgzf"
    assert request["agency_responsible"] == "北京市西城区城市管理综合行政执法局"
    assert request["status_notes"] == "街道已吹哨，北京市西城区城市管理综合行政执法局牵头办理"
    expected = datetime.fromisoformat(request["expected_datetime"])
    assert expected == datetime.fromisoformat(lead["resolve_due_at"])
    assert request["expected_datetime"].endswith("+08:00")
    assert request["updated_datetime"] >= request["requested_datetime"]


def test_at_most_1000_requests(o311: Api) -> None:
    first = created(o311)
    o311.session.execute(
        text(
            "INSERT INTO cases (status, category, description, geom, position, generation, "
            "grid_code, community_code, lead_street_code, district_code, routing, report_count, "
            "created_at) SELECT status, category, description, geom, position, generation, "
            "grid_code, community_code, lead_street_code, district_code, routing, report_count, "
            "created_at - make_interval(secs => n) FROM cases, generate_series(1, 1000) AS n "
            "WHERE id = :id"
        ),
        {"id": int(first)},
    )
    listed = ids(o311)
    assert len(listed) == 1000 and listed[0] == first
    assert len(xml_of(o311.client.get(f"{BASE}/requests.xml"), "service_requests")) == 1000
