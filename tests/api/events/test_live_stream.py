"""The stream over real HTTP: a committed event arrives at once (the LISTEN hub wakes the
stream long before its poll), only to those who may see it, and a stream ends by itself
after its lifetime."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from api.config import Settings
from tests.api.served import Served
from tests.browser import serve


@pytest.fixture
def live(served: Served) -> Iterator[str]:
    """The app on the served fixture's database, polling only once a minute and ending each
    stream after 6 s."""
    settings = Settings(environment="test", events_poll_s=60, events_stream_max_s=6)
    app = create_app(engine=served.engine, settings=settings)
    with serve(app) as base:
        yield base


def listen(base: str, token: str, found: list[dict], ended: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream("GET", f"{base}/api/events/stream", headers=headers, timeout=30) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            if line.startswith("data: "):
                found.append({**json.loads(line[6:]), "seen": time.monotonic()})
    ended.set()


def test_a_committed_event_arrives_at_once_only_where_it_may_be_seen(
    served: Served, live: str
) -> None:
    pin = {"geometry": {"type": "Point", "coordinates": [116.3235, 39.8905]}, "category": "E0303"}
    warm = served.post("worker-gw", {**pin, "category": "E0401"}, key=uuid.uuid4().hex)
    assert warm.status_code == 201, warm.text  # the first report loads the city's facts
    streams: dict[str, tuple[list[dict], threading.Event]] = {
        name: ([], threading.Event()) for name in ("worker-gw", "worker-far")
    }
    threads = [
        threading.Thread(target=listen, args=(live, served.tokens[name], found, ended))
        for name, (found, ended) in streams.items()
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # both streams are open and waiting
    answer = served.post("worker-gw", pin, key=uuid.uuid4().hex)
    committed = time.monotonic()
    assert answer.status_code == 201, answer.text
    case_id = answer.json()["case_id"]
    for thread in threads:
        thread.join(15)
    mine, _ = streams["worker-gw"]
    assert [e["kind"] for e in mine if e["case_id"] == case_id][:1] in (
        ["case:new"],
        ["report:attached"],
    )
    assert mine[0]["seen"] - committed < 1.5  # woken by the notification, not the poll
    assert streams["worker-far"][0] == []  # a worker elsewhere hears nothing
    assert all(ended.is_set() for _, ended in streams.values())  # ended after 6 s
