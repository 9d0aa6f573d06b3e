"""The ``window=`` of hot spot queries and maps: the last N days, weeks, months or years."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Query

from api.deps import check_range
from api.errors import InvalidInput

_WINDOW = re.compile(r"([0-9]{1,4})([dwmy])")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
# the window's shape in the document: positive, and at most 999 years back (a longer one
# would reach before the year 1)
WindowQuery = Annotated[
    str | None,
    Query(
        pattern=r"^([1-9][0-9]{0,3}[dwm]|[1-9][0-9]{0,2}y)$",
        description="the last N days, weeks, months (30 days) or years: 30d, 12w, 6m, 1y",
    ),
]


def time_window(
    window: str | None,
    since: datetime | None,
    until: datetime | None,
    *,
    now: datetime | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(since, until) of a query: ``window`` (``30d``, ``12w``, ``6m`` = 180 days, ``1y``)
    ends at ``until`` (default: now, floored to the hour so that map caches hold within the
    hour); without a window, ``since``/``until`` as given."""
    if window is None:
        check_range(since, until)
        return since, until
    if since is not None:
        raise InvalidInput("give window= or since=, not both", field="window")
    match = _WINDOW.fullmatch(window)
    if match is None or int(match.group(1)) == 0:
        raise InvalidInput(
            f"window must be a positive number of days, weeks, months or years such as 30d, "
            f"12w, 6m, 1y, not {window!r}",
            field="window",
        )
    end = until or (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    days = int(match.group(1)) * _UNIT_DAYS[match.group(2)]
    try:
        return end - timedelta(days=days), until
    except OverflowError as exc:
        raise InvalidInput(
            f"window {window!r} reaches back before the year 1", field="window"
        ) from exc
