"""Open311 reads publish complaint positions: they need an api_key unless the server is
configured to publish requests (GRIDWHISTLE_OPEN311_PUBLIC=true)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.service import OPEN311_SCOPE, issue_token
from api.reports.models import Report
from tests.api.open311.conftest import BASE, open311_app, pin
from tests.api.open311.test_open311 import created, spec_error
from tests.api.support import Api


def _reads(api: Api, request_id: str) -> list[str]:
    report = api.session.scalar(select(Report).where(Report.case_id == int(request_id)))
    assert report is not None
    return ["requests", f"requests/{request_id}", f"tokens/{report.id}"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_reads_without_a_valid_api_key_are_403(o311: Api, fmt: str) -> None:
    request_id = created(o311, **pin())
    for path in _reads(o311, request_id):
        url = f"{BASE}/{path}.{fmt}"
        assert o311.client.get(url).status_code == 200, url  # the analyst's key
        missing = spec_error(o311.client.get(url, params={"api_key": ""}), fmt, 403)
        assert "api_key was not provided" in missing, url
        wrong = spec_error(o311.client.get(url, params={"api_key": "guess"}), fmt, 403)
        assert wrong == "invalid api_key", url
    # discovery and the service catalogue stay open
    for path in ("discovery", "services", "services/E0101"):
        assert o311.client.get(f"{BASE}/{path}.{fmt}", params={"api_key": ""}).status_code == 200


def test_an_open311_key_reads_and_an_inactive_users_key_does_not(o311: Api) -> None:
    request_id = created(o311, **pin())
    user = o311.session.scalars(select(User).where(User.username == "o311-worker-tpq")).one()
    key = issue_token(session=o311.session, user=user, scope=OPEN311_SCOPE)
    url = f"{BASE}/requests/{request_id}.json"
    assert o311.client.get(url, params={"api_key": key}).json()[0]["service_request_id"] == (
        request_id
    )
    user.active = False
    o311.session.flush()
    assert o311.client.get(url, params={"api_key": key}).status_code == 403


@pytest.fixture
def public(demo_session: Session, demo_db_url: str) -> Iterator[TestClient]:
    """A client of a server that publishes its requests (no api_key on reads)."""
    with TestClient(open311_app(demo_db_url, lambda: demo_session, public=True)) as client:
        yield client


def test_a_server_that_publishes_requests_reads_without_a_key(
    o311: Api, public: TestClient
) -> None:
    request_id = created(o311, **pin())
    for path in _reads(o311, request_id):
        r = public.get(f"{BASE}/{path}.json")
        assert r.status_code == 200, path
        assert request_id in r.text
    discovery = o311.client.get(f"{BASE}/discovery.json").json()
    assert "需要 api_key" in discovery["key_service"]
    assert "需要 api_key" not in public.get(f"{BASE}/discovery.json").json()["key_service"]
