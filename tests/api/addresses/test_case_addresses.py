"""Cases say where they are from the address register: the list and the detail carry the
nearest entry's description (平昌街1号东侧约30米), the list in one search for the page."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api.addresses.models import AddressEntry
from api.addresses.service import GEOCODER
from tests.api.hotline.conftest import a_plate

TO_M = Transformer.from_crs(4326, 4548, always_xy=True)
TO_LL = Transformer.from_crs(4548, 4326, always_xy=True)


def _report(client: TestClient, lon: float, lat: float, category: str) -> int:
    pin = {"type": "Point", "coordinates": [lon, lat]}
    made = client.post("/api/reports", json={"geometry": pin, "category": category})
    assert made.status_code == 201, made.text
    return int(made.json()["case_id"])


def _east(lon: float, lat: float, metres: float) -> tuple[float, float]:
    x, y = TO_M.transform(lon, lat)
    return TO_LL.transform(x + metres, y)


def _listed(client: TestClient) -> dict[int, dict[str, Any]]:
    r = client.get("/api/cases", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return {f["id"]: f["properties"] for f in r.json()["features"]}


def test_the_case_list_and_detail_describe_the_position_from_the_register(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = a_plate(demo_session)
    at_plate = _report(signed_demo_client, plate.lon, plate.lat, "C0101")
    lon, lat = _east(plate.lon, plate.lat, 27.0)
    beside = _report(signed_demo_client, lon, lat, "C0103")
    listed = _listed(signed_demo_client)
    assert listed[at_plate]["address"] == plate.text  # at the entry: the entry alone
    found = GEOCODER.current(session=demo_session).reverse(lon, lat)
    assert found is not None and found.text.endswith("米")
    assert listed[beside]["address"] == found.text
    for case_id in (at_plate, beside):
        detail = signed_demo_client.get(f"/api/cases/{case_id}").json()
        assert detail["address"] == listed[case_id]["address"]


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_the_case_list_asks_the_database_no_more_for_more_cases(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plates = _plates(demo_session, 4)
    made = [_report(signed_demo_client, plates[0].lon, plates[0].lat, "C0101")]
    GEOCODER.current(session=demo_session)  # built once per process, not per page
    with _statements(demo_session) as one:
        assert made[0] in _listed(signed_demo_client)
    for plate, category in zip(plates[1:], ("C0102", "C0103", "C0104"), strict=True):
        made.append(_report(signed_demo_client, plate.lon, plate.lat, category))
    with _statements(demo_session) as four:
        listed = _listed(signed_demo_client)
    assert [listed[case]["address"] for case in made] == [plate.text for plate in plates]
    assert len(four) == len(one)  # no query per case


def _plates(session: Session, n: int) -> list[AddressEntry]:
    """``n`` plates of the street of ``a_plate``, more than 50 m apart (no duplicates)."""
    first = a_plate(session)
    stmt = (
        select(AddressEntry)
        .where(AddressEntry.kind == "plate", AddressEntry.street_code == first.street_code,
               AddressEntry.generation_high >= first.generation_low,
               AddressEntry.generation_low <= first.generation_low)
        .order_by(AddressEntry.ref)
    )  # fmt: skip
    out = [first]
    for entry in session.scalars(stmt):
        x, y = TO_M.transform(entry.lon, entry.lat)
        if all(math.dist((x, y), TO_M.transform(p.lon, p.lat)) > 60.0 for p in out):
            out.append(entry)
        if len(out) == n:
            return out
    raise AssertionError("the demo street has too few plates")
