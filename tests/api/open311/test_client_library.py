"""A published Open311 client (PyPI ``georeport``) against the service over real HTTP.

``georeport`` takes the endpoint's root (here ``…/open311/v2``) and appends
``/services.json``, ``/requests/{id}.xml`` … itself; it reads services, service definitions and
requests in JSON or XML (xmltodict) but cannot create requests, so the test creates them with
``requests`` (georeport's own HTTP dependency), form-encoded as the spec says.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy.orm import Session

from tests.api.open311.conftest import (
    BASE,
    GUANGWAI_PIN,
    TAIPINGQIAO_PIN,
    make_keys,
    open311_app,
    pin,
)
from tests.browser import serve

georeport = pytest.importorskip("georeport", reason="pip install georeport (the dev extras)")


@pytest.fixture
def served(demo_session: Session, demo_db_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The Open311 root URL of the service running in uvicorn on 127.0.0.1, and api keys.

    The service publishes its requests (GRIDWHISTLE_OPEN311_PUBLIC): a generic GeoReport
    client sends no api_key when it reads."""
    tokens = make_keys(demo_session)
    with serve(open311_app(demo_db_url, lambda: demo_session, public=True)) as base:
        yield base + BASE, tokens


def _create(root: str, api_key: str, where: tuple[float, float], code: str) -> str:
    response = requests.post(
        f"{root}/requests.json",
        data={"api_key": api_key, **pin(where, service_code=code, description="井盖 & <路灯>")},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()[0]["service_request_id"])


def test_georeport_reads_services_and_requests_in_json(
    served: tuple[str, dict[str, str]],
) -> None:
    root, keys = served
    first = _create(root, keys["admin"], GUANGWAI_PIN, "E0101")
    second = _create(root, keys["admin"], TAIPINGQIAO_PIN, "C0103")
    client = georeport.GeoReport(root, output_format="json")

    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["C0103"]["service_name"] == "路灯不亮"
    assert services["C0103"]["group"] == "公用设施"
    assert client.get_service_definition("C0103") == {"service_code": "C0103", "attributes": []}

    listed = client.get_service_requests()
    assert [r["service_request_id"] for r in listed] == [second, first]
    now = datetime.now(UTC)
    window = {
        "start_date": (now - timedelta(days=1)).isoformat(),
        "end_date": (now + timedelta(days=1)).isoformat(),
    }
    only = client.get_service_requests(service_code="C0103", status="open", **window)
    assert [r["service_request_id"] for r in only] == [second]
    by_id = client.get_service_requests(service_request_id=f"{first},{second}")
    assert {r["service_request_id"] for r in by_id} == {first, second}

    request = client.get_service_request(first)
    assert request["service_request_id"] == first and request["status"] == "open"
    assert (request["long"], request["lat"]) == pytest.approx(GUANGWAI_PIN, abs=1e-7)
    assert request["description"] == "井盖 & <路灯>"
    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_request("999999")
    assert missing.value.response is not None
    assert missing.value.response.status_code == 404


def test_georeport_reads_the_xml_format(served: tuple[str, dict[str, str]]) -> None:
    root, keys = served
    first = _create(root, keys["admin"], GUANGWAI_PIN, "E0101")
    second = _create(root, keys["admin"], TAIPINGQIAO_PIN, "C0103")
    client = georeport.GeoReport(root, output_format="xml")

    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["E0101"]["group"] == "市容环境"
    assert services["E0101"]["metadata"] == "false"
    definition = client.get_service_definition("E0101")
    assert definition["service_code"] == "E0101" and not definition["attributes"]

    listed = client.get_service_requests()
    assert [r["service_request_id"] for r in listed] == [second, first]
    request = client.get_service_request(second)
    assert request["service_request_id"] == second
    assert request["service_name"] == "路灯不亮"
    assert request["description"] == "井盖 & <路灯>"  # escaped in XML, intact after parsing
    assert float(request["lat"]) == pytest.approx(TAIPINGQIAO_PIN[1], abs=1e-7)
