"""The OpenAPI document tells what the server does (api.openapi): problem+json errors,
security schemes, references that resolve; a client generated from it has every operation
and submits a report."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from api.errors import PROBLEM_JSON
from api.hotspots.window import WINDOW_PATTERN
from api.openapi import BEARER, COOKIE_SCHEME
from tests.api.conftest import OpenApiSite
from tests.conftest import REPO

GENERATOR = REPO / ".venv" / "tools" / "bin" / "openapi-python-client"
METHODS = {"get", "post", "put", "patch", "delete"}
CENTRE = (116.3203, 39.8900)  # in 西城, astride nothing


@pytest.fixture(scope="module")
def document(openapi_site: OpenApiSite) -> dict[str, Any]:
    response = httpx.get(f"{openapi_site.base}/openapi.json", timeout=30)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    resolver = Registry().with_resource("", Resource.opaque(document)).resolver()
    found = set(refs(document))
    assert "#/components/schemas/Problem" in found
    unresolved = []
    for ref in sorted(found):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            unresolved.append(ref)
    assert unresolved == []
    assert "$defs" not in str(document)


def test_errors_are_documented_as_problems(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if path.startswith("/open311/"):  # the spec's own error documents, JSON or XML
            assert {"400", "404"} <= set(responses), (method, path)
            continue
        if path != "/api/health":
            assert "503" in responses and "Retry-After" in responses["503"]["headers"], path
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in responses, (method, path)
    login = document["paths"]["/api/auth/login"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]


def test_operations_that_need_a_login_say_so(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes[BEARER] == {**schemes[BEARER], "type": "http", "scheme": "bearer"}
    assert schemes[COOKIE_SCHEME]["in"] == "cookie"
    secured = {(m, p) for m, p, o in operations(document) if o.get("security")}
    assert ("post", "/api/reports") in secured and ("get", "/maps/city") in secured
    assert {"401", "403"} <= set(document["paths"]["/api/cases"]["get"]["responses"])
    for method, path, operation in operations(document):
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, (method, path)  # a scheme, not a parameter
    anonymous = {(m, p) for m, p, o in operations(document) if not o.get("security")}
    assert ("post", "/api/auth/login") in anonymous and ("get", "/api/health") in anonymous
    open311 = document["paths"]["/open311/v2/requests.{fmt}"]["get"]["parameters"]
    assert any(p["name"] == "api_key" and p["in"] == "query" for p in open311)


def test_text_rules_are_in_the_schema(document: dict[str, Any]) -> None:
    comment = document["components"]["schemas"]["Comment"]["properties"]["text"]
    assert comment["pattern"] == "^[^\\u0000]*$"
    window = next(
        p for p in document["paths"]["/api/hotspots"]["get"]["parameters"] if p["name"] == "window"
    )
    assert window["schema"]["pattern"] == WINDOW_PATTERN


def test_a_bd09_position_that_converts_out_of_range_is_refused(openapi_site: OpenApiSite) -> None:
    headers = {"Authorization": f"Bearer {openapi_site.token}"}
    for path in ("/api/locate", "/api/reverse"):
        response = httpx.get(
            f"{openapi_site.base}{path}",
            params={"lon": -180, "lat": -90, "crs": "bd09"},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["field"] == "lon"


def test_a_position_beyond_the_metric_zone_is_refused(openapi_site: OpenApiSite) -> None:
    response = httpx.get(
        f"{openapi_site.base}/api/locate",
        params={"lon": 25, "lat": 0},  # 92° from EPSG:4548's meridian: no metres (PostGIS raised)
        headers={"Authorization": f"Bearer {openapi_site.token}"},
        timeout=30,
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "lon"


def test_405_allows_every_method_of_the_path(openapi_site: OpenApiSite) -> None:
    response = httpx.request("PUT", f"{openapi_site.base}/open311/v2/requests.json", timeout=30)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


IMAGE_TYPES = ("jpeg", "png", "webp")


def generate_client(url: str, into: Path) -> subprocess.CompletedProcess[str]:
    """openapi-python-client on the document at ``url``; the package is ``into``/gridwhistle_client."""
    if not GENERATOR.exists():
        pytest.skip(
            f"openapi-python-client is not installed at {GENERATOR} (make test installs it)"
        )
    config = into / "config.yaml"
    # photos are images of several types, vector tiles Mapbox Vector Tiles: to a client, bytes
    images = "".join(f"  image/{kind}: application/octet-stream\n" for kind in IMAGE_TYPES)
    images += "  application/vnd.mapbox-vector-tile: application/octet-stream\n"
    config.write_text(
        "project_name_override: gridwhistle_client\npost_hooks: []\n"
        f"content_type_overrides:\n{images}"
    )
    return subprocess.run(
        [str(GENERATOR), "generate", "--url", url, "--meta", "none", "--config", str(config),
         "--output-path", str(into / "gridwhistle_client"), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_generated_client_has_every_operation_and_submits_a_report(
    openapi_site: OpenApiSite, document: dict[str, Any], tmp_path: Path
) -> None:
    run = generate_client(f"{openapi_site.base}/openapi.json", tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    package = tmp_path / "gridwhistle_client"
    functions = {p.stem for p in (package / "api").glob("*/*.py") if p.stem != "__init__"}
    # one module per operation, named by its operationId in snake case
    operation_ids = {
        re.sub(r"_+", "_", o["operationId"]).strip("_") for _, _, o in operations(document)
    }
    assert len(operation_ids) == len(list(operations(document)))
    assert functions == operation_ids

    pytest.importorskip("attrs", reason="the generated client needs attrs")
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("gridwhistle_client.client")
        create = importlib.import_module(
            "gridwhistle_client.api.reports.create_report_api_reports_post"
        )
        body_module = importlib.import_module(
            "gridwhistle_client.models.create_report_api_reports_post_report_create"
        )  # fmt: skip
        client = client_module.AuthenticatedClient(
            base_url=openapi_site.base, token=openapi_site.token
        )
        body = body_module.CreateReportApiReportsPostReportCreate.from_dict(
            {"geometry": {"type": "Point", "coordinates": list(CENTRE)}, "category": "E0401"}
        )
        with client:
            answer = create.sync_detailed(client=client, body=body)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("gridwhistle_client")]:
            del sys.modules[name]
    assert answer.status_code == 201, answer.content
    assert answer.parsed.case_id >= 1 and answer.parsed.replayed is False
