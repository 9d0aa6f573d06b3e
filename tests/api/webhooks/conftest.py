"""Fixtures of the webhook tests."""

from __future__ import annotations

import pytest

from tests.api.notifications.world import World, make_world
from tests.api.support import Api


@pytest.fixture
def world(api: Api) -> World:
    return make_world(api)
