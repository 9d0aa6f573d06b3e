"""The window= of hot spot queries: its arithmetic without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.errors import InvalidInput
from api.hotspots.window import time_window

NOW = datetime(2026, 11, 22, 9, 41, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "days"), [("1d", 1), ("30d", 30), ("12w", 84), ("6m", 180), ("1y", 365)]
)
def test_window_ends_now_floored_to_the_hour(window: str, days: int) -> None:
    since, until = time_window(window, None, None, now=NOW)
    assert until is None
    assert since == datetime(2026, 11, 22, 9, tzinfo=UTC) - timedelta(days=days)


def test_window_ends_at_until_when_given() -> None:
    until = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    assert time_window("7d", None, until, now=NOW) == (until - timedelta(days=7), until)


def test_no_window_passes_dates_through() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert time_window(None, since, None, now=NOW) == (since, None)


@pytest.mark.parametrize("window", ["", "d", "7", "-7d", "7 d", "7D", "0w", "12345d", "7h"])
def test_malformed_windows_are_refused(window: str) -> None:
    with pytest.raises(InvalidInput) as err:
        time_window(window, None, None, now=NOW)
    assert err.value.field == "window"
