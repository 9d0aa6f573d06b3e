"""What the served app keeps between report submissions: tokens' actors (bounded) and the
facts of the active generation (loaded once, again only when found stale)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.auth.roles import Actor, Role
from api.auth.service import token_hash
from api.db.session import engine_for
from api.reports.loop import Reporters
from api.routing import snapshot
from api.routing.snapshot import FactsHolder


def _actor(i: int) -> Actor:
    return Actor(id=i, role=Role.GRID_WORKER, jurisdiction="110102020", name=f"w{i}")


def test_reporters_forget_the_longest_unused_token_when_full() -> None:
    seen = Reporters(size=3)
    for i in range(3):
        seen.remember(f"t{i}", _actor(i))
    assert seen.get("t0") == _actor(0)  # now the most recently used
    seen.remember("t3", _actor(3))
    assert seen.get("t1") is None  # the longest unused went
    assert [seen.get(t) for t in ("t0", "t2", "t3")] == [_actor(0), _actor(2), _actor(3)]
    seen.forget("t2")
    assert seen.get("t2") is None
    seen.forget("never seen")  # no error


def test_reporters_keep_no_bearer_token_in_memory() -> None:
    seen = Reporters()
    token = "gw_" + "s3cr3t-bearer-token-0123456789abcdef"
    seen.remember(token, _actor(1))
    assert seen.get(token) == _actor(1)
    assert token not in repr(vars(seen))  # only its stored form (sha256)
    assert token_hash(token) in repr(vars(seen))


def test_the_facts_are_loaded_once_and_again_only_when_stale(
    demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int | None] = []
    real = snapshot.load_city_facts

    def counted(**kwargs: Any) -> Any:
        facts = real(**kwargs)
        loads.append(facts.generation)
        return facts

    monkeypatch.setattr(snapshot, "load_city_facts", counted)
    holder = FactsHolder(sessionmaker(engine_for(demo_db_url), class_=Session))

    async def scenario() -> None:
        assert holder.generation is None
        first = await asyncio.gather(*(holder.current() for _ in range(5)))
        assert len(loads) == 1 and all(f is first[0] for f in first)  # one load for all
        assert holder.generation == first[0].generation
        again = await asyncio.gather(*(holder.reload(stale=first[0]) for _ in range(3)))
        assert len(loads) == 2  # the first reload replaced it, the others found it replaced
        assert all(f is again[0] for f in again) and again[0] is not first[0]
        assert await holder.reload(stale=first[0]) is again[0] and len(loads) == 2
        assert await holder.current() is again[0] and len(loads) == 2

    asyncio.run(scenario())
