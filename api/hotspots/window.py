"""The ``window=`` of hot spot queries and maps: the last N days, weeks, months or years."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Query

from api.deps import check_range
from api.errors import InvalidInput

# positive, without leading zeros, at most 999 years back (a longer one reaches before the
# year 1); in the document as the parameter's pattern and checked here, so that a refusal
# says what a window is
WINDOW_PATTERN = r"^([1-9][0-9]{0,3}[dwm]|[1-9][0-9]{0,2}y)$"
_WINDOW = re.compile(WINDOW_PATTERN)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
WindowQuery = Annotated[
    str | None,
    Query(
        description="the last N days, weeks, months (30 days) or years: 30d, 12w, 6m, 1y",
        json_schema_extra={"pattern": WINDOW_PATTERN},
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
    if _WINDOW.fullmatch(window) is None:
        raise InvalidInput(
            f"window must be a positive number of days, weeks, months or years such as 30d, "
            f"12w, 6m, 1y, not {window!r}",
            field="window",
        )
    end = until or (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    days = int(window[:-1]) * _UNIT_DAYS[window[-1]]
    try:
        return end - timedelta(days=days), until
    except OverflowError as exc:
        raise InvalidInput(
            f"window {window!r} reaches back before the year 1", field="window"
        ) from exc
