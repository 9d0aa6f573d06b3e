"""Fixtures of the call-taker's path: a plate of the demo register and an ambiguous text."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.addresses.models import AddressEntry
from api.addresses.service import GEOCODER
from api.geography.service import active_generation
from api.reports.models import Report
from geo.geocode_index import road_stem

STREET = "110102020"  # 广安门外街道, 西城区


def a_plate(session: Session, street: str = STREET) -> AddressEntry:
    """The first plate (no 甲/乙) of ``street`` in the active register."""
    gen = active_generation(session=session)
    stmt = (
        select(AddressEntry)
        .where(
            AddressEntry.kind == "plate",
            AddressEntry.street_code == street,
            AddressEntry.suffix == "",
            AddressEntry.generation_low <= gen,
            AddressEntry.generation_high >= gen,
        )
        .order_by(AddressEntry.ref)
        .limit(1)
    )
    return session.scalars(stmt).one()


def an_ambiguous_text(session: Session) -> str:
    """A plate said on a road that lacks it while a road named like it but for the generic
    has it (东康胡同2号 when only 东康路 has a 2号): the answer is ambiguous."""
    geocoder = GEOCODER.current(session=session)
    index = geocoder.index
    stems: dict[str, list[str]] = defaultdict(list)
    for key in index.road_keys:
        stems[road_stem(key)].append(key)
    for roads in stems.values():
        for said, other in itertools.pairwise(roads):
            for number, suffix in sorted(
                set(index.roads[other].doors) - set(index.roads[said].doors)
            ):
                text = f"{said}{number}号"
                if not suffix and geocoder.geocode(text).status == "ambiguous":
                    return text
    raise AssertionError("the demo register has no ambiguous road pair")


def report_count(session: Session) -> int:
    """Reports stored so far."""
    return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def problem(response: Any, status: int, field: str) -> dict[str, Any]:
    """The problem+json body of a refusal naming ``field``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    fields = {e.get("field") for e in body.get("errors", [])} | {body.get("field")}
    assert field in fields, body
    return body


def as_role(
    client: TestClient, session: Session, role: str, jurisdiction: str | None = None
) -> None:
    """Send the token of a new user of ``role`` with every request of ``client``."""
    from tests.conftest import sign_in

    sign_in(client, session, role=role, jurisdiction=jurisdiction, username=f"as-{role}")
