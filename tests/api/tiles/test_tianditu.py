"""天地图 under the working maps: off by default (the basemap says null and the CSP stays
local-only), and with a key the pages get its URL templates and the CSP admits its tile hosts
for images, nothing else."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_app_settings
from api.docs import content_security_policy
from api.tiles.tianditu import TIANDITU_HOSTS
from tests.api.support import Api

KEY = "0123456789abcdef0123456789abcdef"


def _policy(header: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in header.split(";"))


def test_the_default_policy_names_no_remote_source() -> None:
    policy = _policy(content_security_policy(Settings(_env_file=None)))
    assert re.findall(r"https?:|\*", " ".join(policy.values())) == []
    assert policy["img-src"] == "'self' data: blob:"


def test_a_tianditu_key_admits_its_tile_hosts_for_images_only() -> None:
    policy = _policy(content_security_policy(Settings(_env_file=None, tianditu_key=KEY)))
    images = policy["img-src"].split()
    assert images[:3] == ["'self'", "data:", "blob:"]
    assert (
        set(images[3:])
        == set(TIANDITU_HOSTS)
        == {f"https://t{n}.tianditu.gov.cn" for n in range(8)}
    )
    others = " ".join(v for k, v in policy.items() if k != "img-src")
    assert "tianditu" not in others  # no script, style, fetch or frame from it


@pytest.mark.parametrize("key", ["short", "has space in it", "abc&tk=other123", "键" * 12])
def test_a_key_that_is_not_letters_and_digits_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="tianditu_key"):
        Settings(_env_file=None, tianditu_key=key)


def test_the_basemap_has_no_tianditu_by_default(api: Api) -> None:
    found = api.call("GET", "/tiles/basemap", "worker-gw")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["tianditu"] is None
    layers = {layer["layer"]: layer for layer in body["layers"]}
    assert layers["roadnet"]["url"] == "/tiles/roadnet/{z}/{x}/{y}.mvt"
    assert layers["roadnet"]["min_zoom"] < layers["roadnet"]["label_zoom"]
    assert layers["addresses"]["min_zoom"] == 17
    assert api.call("GET", "/tiles/basemap", None).status_code == 401


def test_with_a_key_the_pages_get_tianditus_layers(api: Api) -> None:
    keyed = Settings(_env_file=None, environment="test", tianditu_key=KEY)
    api.client.app.dependency_overrides[get_app_settings] = lambda: keyed  # type: ignore[attr-defined]
    found = api.call("GET", "/tiles/basemap", "worker-gw")
    assert found.status_code == 200, found.text
    tianditu = found.json()["tianditu"]
    assert tianditu["subdomains"] == "01234567"
    vector, notes = tianditu["urls"]
    for url, layer in ((vector, "vec"), (notes, "cva")):
        assert url.startswith(f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?")
        assert f"LAYER={layer}" in url and "TILEMATRIXSET=w" in url  # Web Mercator
        assert "{z}" in url and "{x}" in url and "{y}" in url and url.endswith(f"tk={KEY}")
    assert api.call("GET", "/tiles/basemap", None).status_code == 401  # not for strangers


def test_every_answer_of_a_keyed_service_admits_tianditu_images(demo_db_url: str) -> None:
    keyed = Settings(_env_file=None, environment="test", tianditu_key=KEY)
    with TestClient(create_app(engine=engine_for(demo_db_url), settings=keyed)) as client:
        for url in ("/app/login", "/static/app/app.css", "/docs"):
            policy = _policy(client.get(url).headers["content-security-policy"])
            assert "https://t3.tianditu.gov.cn" in policy["img-src"].split(), url
            assert policy["connect-src"] == "'self'" and policy["script-src"].startswith("'self'")
