"""What the service's tests share: demo users with tokens, an API client, test shapes and
the problem+json check."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import api.models as models
from api.auth.roles import Role
from api.auth.service import create_user, issue_token

# a building astride the 西城/丰台 line at (116.3200, 39.8900): about 70 % in 广外, 30 % in 太平桥
BUILDING: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [
            [116.3196, 39.8898],
            [116.3210, 39.8898],
            [116.3210, 39.8902],
            [116.3196, 39.8902],
            [116.3196, 39.8898],
        ]
    ],
}
CENTRE = (116.3203, 39.8900)
# the same corners joined crosswise: a self-intersecting footprint (a bow tie)
BOWTIE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [
            [116.3196, 39.8898],
            [116.3210, 39.8902],
            [116.3210, 39.8898],
            [116.3196, 39.8902],
            [116.3196, 39.8898],
        ]
    ],
}

LIFECYCLE_TABLES = (
    models.Case,
    models.CaseStreet,
    models.CaseEvent,
    models.Report,
    models.ReportPhoto,
    models.Whistle,
    models.Assignment,
    models.Extension,
)


@dataclass
class Api:
    """A test client with one bearer token per demo user."""

    client: TestClient
    tokens: dict[str, str]
    session: Session

    def call(self, method: str, url: str, user: str | None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.client.request(method, url, headers=headers, **kwargs)

    def counts(self) -> dict[str, int]:
        """Rows in every lifecycle table (to prove a refusal wrote nothing)."""
        self.session.expire_all()
        return {
            m.__tablename__: self.session.scalar(select(func.count()).select_from(m)) or 0
            for m in LIFECYCLE_TABLES
        }


USERS = {
    "admin": (Role.ADMIN, None),
    "analyst": (Role.ANALYST, None),
    "gw": (Role.STREET, "110102020"),
    "tpq": (Role.STREET, "110106002"),
    "other-street": (Role.STREET, "110102001"),
    "xicheng": (Role.DISTRICT, "110102"),
    "fengtai": (Role.DISTRICT, "110106"),
    "dongcheng": (Role.DISTRICT, "110101"),
    "xc-cgzf": (Role.DEPARTMENT, "110102-cgzf"),
    "ft-cgzf": (Role.DEPARTMENT, "110106-cgzf"),
    "xc-ghzy": (Role.DEPARTMENT, "110102-ghzy"),
    "xc-swj": (Role.DEPARTMENT, "110102-swj"),
    "worker-gw": (Role.GRID_WORKER, "110102020"),
    "worker-tpq": (Role.GRID_WORKER, "110106002"),
    "worker-far": (Role.GRID_WORKER, "110101001"),
}


def issue_tokens(
    session: Session,
    users: Mapping[str, tuple[Role, str | None]],
    *,
    prefix: str = "t-",
    display_name: Callable[[str], str] = str,
    password: str | None = None,
) -> dict[str, str]:
    """A user per entry of ``users`` (name: role and jurisdiction), named ``prefix + name``,
    and a bearer token for each, by name."""
    tokens = {}
    for name, (role, jurisdiction) in users.items():
        user = create_user(
            session=session,
            username=f"{prefix}{name}",
            role=role,
            jurisdiction=jurisdiction,
            display_name=display_name(name),
            password=password,
        )
        tokens[name] = issue_token(session=session, user=user)
    return tokens


PIN = {"geometry": {"type": "Point", "coordinates": list(CENTRE)}, "category": "E0303"}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\0" * 64


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    return body


BAD_REPORTS: dict[str, tuple[str | None, dict[str, Any], int, str]] = {
    "no token": (None, PIN, 401, "authorization"),
    "outside every district": (
        "worker-gw",
        {**PIN, "geometry": {"type": "Point", "coordinates": [117.6, 40.6]}},
        422,
        "geometry",
    ),
    "unknown category": ("worker-gw", {**PIN, "category": "Z0000"}, 422, "category"),
    "self-intersecting footprint": (
        "worker-gw",
        {
            **PIN,
            "geometry": BOWTIE,
        },
        422,
        "geometry",
    ),
    "unknown crs": ("worker-gw", {**PIN, "crs": "epsg:3857"}, 422, "crs"),
    "coordinates out of range": (
        "worker-gw",
        {**PIN, "geometry": {"type": "Point", "coordinates": [116.3, 95.0]}},
        422,
        "geometry",
    ),
    "photo of the wrong type": (
        "worker-gw",
        {**PIN, "photos": [{"content_type": "image/gif", "data": PNG}]},
        422,
        "photos.0.content_type",
    ),
    "photo content is not what it claims": (
        "worker-gw",
        {**PIN, "photos": [{"content_type": "image/jpeg", "data": PNG}]},
        422,
        "photos.0.data",
    ),
    "photo not base64": (
        "worker-gw",
        {**PIN, "photos": [{"content_type": "image/png", "data": "@@@"}]},
        422,
        "photos.0.data",
    ),
    "too many photos": (
        "worker-gw",
        {**PIN, "photos": [{"content_type": "image/png", "data": PNG}] * 5},
        422,
        "photos",
    ),
    "outside the worker's jurisdiction": ("worker-far", PIN, 403, "geometry"),
}
