"""Routes: GET /api/photos/limits, /api/photos/{id} (the original), /api/photos/{id}/thumb.

Pages show photos with ``<img src>``, which cannot send a bearer header: these GET routes also
take the login cookie, as map data does (``api.auth.deps.tile_viewer``). A photo is served to
whoever may see its case; to anyone else it does not exist (404, as for an unknown id).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.auth.deps import ActorDep, TileViewerDep
from api.deps import PathId, SessionDep, SettingsDep
from api.errors import NotFound
from api.photos import service
from api.photos.schemas import PhotoLimits
from api.reports.models import ReportPhoto

router = APIRouter(prefix="/api/photos", tags=["photos"])

# private: a shared cache must not keep what only some users may see; photos never change
CACHE = "private, max-age=3600"
EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
IMAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the image",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in EXTENSION},
    }
}


def _image(data: bytes, content_type: str, name: str, etag: str) -> Response:
    filename = f"{name}.{EXTENSION.get(content_type, 'bin')}"
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Cache-Control": CACHE,
            "ETag": f'"{etag}"',
            "Content-Disposition": f'inline; filename="{filename}"',
        },
    )


def _photo(session: SessionDep, actor: TileViewerDep, photo_id: int) -> ReportPhoto:
    photo = service.photo_for(session=session, actor=actor, photo_id=photo_id)
    if photo is None:
        raise NotFound(f"photo {photo_id} does not exist", field="photo_id")
    return photo


@router.get("/limits", response_model=PhotoLimits)
def limits(settings: SettingsDep, actor: ActorDep) -> PhotoLimits:
    """What a report or a resolution may carry: how many photos, how large, which types."""
    return service.limits_public(settings)


@router.get("/{photo_id}", response_class=Response, responses=IMAGE)
def original(photo_id: PathId, session: SessionDep, actor: TileViewerDep) -> Response:
    """The photo as it was sent (bearer token or login cookie; visible with its case)."""
    photo = _photo(session, actor, photo_id)
    return _image(photo.data, photo.content_type, f"photo-{photo.id}", photo.sha256)


@router.get("/{photo_id}/thumb", response_class=Response, responses=IMAGE)
def thumb(photo_id: PathId, session: SessionDep, actor: TileViewerDep) -> Response:
    """The photo shrunk to fit 320 × 320 pixels, JPEG (PNG for PNG or transparent photos);
    made on the first request and kept."""
    photo = _photo(session, actor, photo_id)
    made = service.thumbnail_of(session=session, photo=photo)
    session.commit()
    etag = f"{photo.sha256[:32]}-t{made.width}x{made.height}"
    return _image(made.data, made.content_type, f"photo-{photo.id}-thumb", etag)
