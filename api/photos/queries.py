"""Read-side queries of photos: a case's before and after photos, and the after-photos a
confirming step needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from api.cases.models import Case
from api.errors import InvalidInput
from api.photos.policy import AfterPhotoPolicy
from api.reports.models import Report, ReportPhoto
from api.whistles.models import Assignment

BEFORE, AFTER = "before", "after"


def photo_urls(photo_id: int) -> dict[str, str]:
    """Where a photo and its thumbnail are served."""
    return {"url": f"/api/photos/{photo_id}", "thumb_url": f"/api/photos/{photo_id}/thumb"}


def photos_of_cases(*, session: Session, case_ids: Collection[int]) -> dict[int, list[Any]]:
    """The photos of each case (before first, then after, each in the order they came), as
    ``PhotoPublic`` data; the bytes are not read."""
    if not case_ids:
        return {}
    ids = list(case_ids)
    case_id = func.coalesce(Report.case_id, Assignment.case_id)
    rows = session.execute(
        select(
            case_id.label("case_id"),
            ReportPhoto.id,
            ReportPhoto.content_type,
            ReportPhoto.size,
            ReportPhoto.report_id,
            ReportPhoto.assignment_id,
            Assignment.department_code,
        )
        .outerjoin(Report, Report.id == ReportPhoto.report_id)
        .outerjoin(Assignment, Assignment.id == ReportPhoto.assignment_id)
        .where(or_(Report.case_id.in_(ids), Assignment.case_id.in_(ids)))
        .order_by(ReportPhoto.assignment_id.is_not(None), ReportPhoto.id)
    ).all()
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[row.case_id].append(
            {
                "id": row.id,
                "kind": AFTER if row.assignment_id is not None else BEFORE,
                "content_type": row.content_type,
                "size": row.size,
                "report_id": row.report_id,
                "assignment_id": row.assignment_id,
                "department_code": row.department_code,
                **photo_urls(row.id),
            }
        )
    return dict(out)


def case_photos(*, session: Session, case_id: int) -> list[Any]:
    """One case's photos, before then after."""
    return photos_of_cases(session=session, case_ids=[case_id]).get(case_id, [])


def after_photo_count(*, session: Session, case_id: int) -> int:
    """The after-photos of a case's assignments that were not cancelled."""
    return (
        session.scalar(
            select(func.count(ReportPhoto.id))
            .join(Assignment, Assignment.id == ReportPhoto.assignment_id)
            .where(Assignment.case_id == case_id, Assignment.status != "cancelled")
        )
        or 0
    )


def require_after_photos(
    *, session: Session, case: Case, policy: AfterPhotoPolicy, adding: int = 0, act: str
) -> None:
    """Refuse ``act`` (422 naming ``photos``) unless the case, with ``adding`` more, has the
    after-photos its category needs."""
    need = policy.required(case.category)
    if need == 0:
        return
    have = after_photo_count(session=session, case_id=case.id)
    if have + adding < need:
        raise InvalidInput(
            f"{act} a case of category {case.category} needs {need} after-photo(s) "
            f"(处置后照片); the case has {have}"
            + (f" and this request adds {adding}" if adding else ""),
            field="photos",
        )
