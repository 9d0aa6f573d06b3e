"""Photos: the one a caller may see, its thumbnail (made once, then kept), after-photos
attached to a resolution, the limits and the after-photo policy."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased, defer

from api.auth.roles import Actor
from api.cases.models import Case
from api.cases.queries import visible
from api.config import Settings
from api.errors import InvalidInput
from api.photos.models import PhotoThumbnail
from api.photos.policy import POLICY_FILE, AfterPhotoPolicy, read_policy
from api.photos.schemas import PhotoLimits
from api.photos.thumbnails import THUMB_SIDE, Thumbnail, UnreadableImage, thumbnail
from api.reports.models import Report, ReportPhoto
from api.reports.service import MAGIC, Limits, PhotoIn
from api.whistles.models import Assignment
from geo.rules import read_categories


def photo_for(*, session: Session, actor: Actor, photo_id: int) -> ReportPhoto | None:
    """The photo, if it exists and ``actor`` may see its case (None otherwise: the caller
    cannot tell a photo it may not see from one that does not exist). Its bytes load when
    read."""
    # aliases: ``visible`` correlates its own subqueries on reports and assignments with the case
    report, assignment = aliased(Report), aliased(Assignment)
    case_id = func.coalesce(report.case_id, assignment.case_id)
    return session.scalar(
        select(ReportPhoto)
        .options(defer(ReportPhoto.data))
        .outerjoin(report, report.id == ReportPhoto.report_id)
        .outerjoin(assignment, assignment.id == ReportPhoto.assignment_id)
        .join(Case, Case.id == case_id)
        .where(ReportPhoto.id == photo_id, visible(actor))
    )


def thumbnail_of(
    *, session: Session, photo: ReportPhoto, side: int = THUMB_SIDE
) -> PhotoThumbnail | Thumbnail:
    """The photo's thumbnail: the stored one, or made now and stored (the caller commits; two
    first requests at once both make it, one row is kept). A photo that cannot be decoded
    is a 422 naming ``photo_id``."""
    stored = session.get(PhotoThumbnail, (photo.id, side))
    if stored is not None:
        return stored
    try:
        made = thumbnail(photo.data, side=side)
    except UnreadableImage as exc:
        raise InvalidInput(
            f"photo {photo.id} has no thumbnail: {exc}; the original is served as it came",
            field="photo_id",
        ) from exc
    session.execute(
        insert(PhotoThumbnail)
        .values(
            photo_id=photo.id,
            side=side,
            content_type=made.content_type,
            width=made.width,
            height=made.height,
            data=made.data,
        )
        .on_conflict_do_nothing()
    )
    return made


def attach_after_photos(
    *, session: Session, assignment: Assignment, photos: list[PhotoIn]
) -> list[int]:
    """Store checked photos as the after-photos of a department's resolution; their ids."""
    rows = [
        ReportPhoto(
            assignment_id=assignment.id,
            content_type=p.content_type,
            size=len(p.data),
            sha256=hashlib.sha256(p.data).hexdigest(),
            data=p.data,
        )
        for p in photos
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def photo_limits(settings: Settings) -> Limits:
    """The photo limits of a report or a resolution, from the settings."""
    return Limits.of(settings)


def limits_public(settings: Settings) -> PhotoLimits:
    """The limits as the pages read them."""
    return PhotoLimits(
        max_photos=settings.max_photos,
        max_bytes=settings.max_photo_bytes,
        content_types=list(MAGIC),
        thumb_side=THUMB_SIDE,
    )


@lru_cache(maxsize=4)
def _policy(data_dir: Path, max_photos: int) -> AfterPhotoPolicy:
    codes = read_categories(data_dir / "categories.csv")
    return read_policy(data_dir / POLICY_FILE, max_photos=max_photos, categories=codes)


def after_photo_policy(settings: Settings) -> AfterPhotoPolicy:
    """The after-photo policy of the data folder (read once per process), checked against
    its category catalogue and the photo limit."""
    return _policy(settings.data_dir, settings.max_photos)
