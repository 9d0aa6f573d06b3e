"""Submit a point to the API: routed, then stored by one guarded statement.

Every point submitted to ``POST /api/reports`` takes this path. The served app runs it on
the event loop: the statements on an asyncpg connection (``api.db.aio``) and the routing in
memory (``InMemory``). An app without that pool (``report_connections = 0``, as in the tests,
whose requests share one rolled-back session) runs the same path with the statements on the
request's session (``api.db.statements.committing``) and the routing by PostGIS on it
(``OnSession``); the agreement of the two routings is tested in ``tests/api/routing``.

The served app keeps the facts of the active generation in memory (``api.routing.snapshot``)
and remembers the actor of each bearer token it has seen (``Reporters``). A point is then
located and routed without PostgreSQL, and its write is guarded (``api.reports.store``): it
only writes if the token still belongs to that actor, no report is stored under the key yet
and the generation is still the active one. The write answers with what it found, so:

* the token revoked or its user deactivated: 401, and the token is forgotten;
* the actor changed (role, jurisdiction, name): the submission starts again as that actor;
* a report stored under the key: the retry is answered with it (or 409 if it differs);
* a new generation: its facts are loaded and the submission starts again;
* a lost race for the key (see ``api.reports.store``): it starts again, then a replay.

A token the app has not seen yet, and any refusal of a remembered actor's submission (so
that the token and a stored report are checked first, as on a session), take one more
statement first: the reporter of the token and the report under the key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import shapely
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from api.auth.roles import Actor
from api.auth.service import token_hash
from api.db.statements import Run
from api.errors import Conflict, DomainError, Unauthorized
from api.reports import store
from api.reports.service import Submission, Submitted, answer_replay, start_again_or_raise
from api.reports.store import UNIQUE_VIOLATIONS
from api.routing.snapshot import FactsHolder
from geo.facts import CityFacts
from geo.locate import PointLocation
from geo.route import Routing

# each way to start again takes one attempt, and a lost race one more
_ATTEMPTS = 5


class Reporters:
    """The actors of the bearer tokens seen last (at most ``size``). Never trusted alone:
    every write re-checks the token (``store.write`` with a token). Tokens are kept in their
    stored form (``token_hash``), not as the secrets themselves."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: OrderedDict[str, Actor] = OrderedDict()

    def get(self, token: str) -> Actor | None:
        """The actor last seen for ``token``."""
        key = token_hash(token)
        actor = self._seen.get(key)
        if actor is not None:
            self._seen.move_to_end(key)
        return actor

    def remember(self, token: str, actor: Actor) -> None:
        """Remember the actor of ``token`` (forgetting the longest unused one when full)."""
        key = token_hash(token)
        self._seen[key] = actor
        self._seen.move_to_end(key)
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def forget(self, token: str) -> None:
        """Forget ``token`` (revoked)."""
        self._seen.pop(token_hash(token), None)


@dataclass(frozen=True)
class Routed:
    """A point routed before its write, or the refusal the routing raised (refusals wait
    until the submission's other checks have run, see ``Submission.pending``)."""

    outcome: tuple[Routing, PointLocation] | DomainError
    facts: CityFacts | None = None  # the facts it was routed with (None: on a session)

    def get(self) -> tuple[Routing, PointLocation]:
        """The routing, or the refusal raised."""
        if isinstance(self.outcome, DomainError):
            raise self.outcome
        return self.outcome


class Places(Protocol):
    """Where a submitted point is located and routed."""

    async def route(
        self, submission: Submission, wgs: shapely.Point, *, stale: Routed | None = None
    ) -> Routed:
        """Route the point; again after ``stale`` was found routed in an old generation."""
        ...


class InMemory:
    """The facts of the active generation in the app's memory (no statement, no thread)."""

    def __init__(self, holder: FactsHolder) -> None:
        self._holder = holder

    async def route(
        self, submission: Submission, wgs: shapely.Point, *, stale: Routed | None = None
    ) -> Routed:
        """Route with the facts loaded last (loaded again when ``stale`` used them)."""
        try:
            facts = await (
                self._holder.current()
                if stale is None or stale.facts is None
                else self._holder.reload(stale=stale.facts)
            )
        except LookupError as exc:
            raise Conflict(str(exc)) from exc
        return _routed(lambda: submission.route_point(wgs, submission.point_facts_in(facts)), facts)


class OnSession:
    """PostGIS on a session, in a worker thread (``point_facts``)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def route(
        self, submission: Submission, wgs: shapely.Point, *, stale: Routed | None = None
    ) -> Routed:
        """Route with the generation active now."""
        facts = submission.point_facts_on(self._session)
        return await run_in_threadpool(_routed, lambda: submission.route_point(wgs, facts))


def _routed(
    route: Callable[[], tuple[Routing, PointLocation]], facts: CityFacts | None = None
) -> Routed:
    try:
        return Routed(route(), facts)
    except DomainError as exc:
        return Routed(exc, facts)


async def _opening(
    run: Run, submission: Submission, token: str, fingerprint: str
) -> tuple[Actor, Submitted | None]:
    """The reporter of the token and the answer to a retry, in one statement."""
    (row,) = await run(store.opening(token, submission.idempotency_key))
    return submission.opened(row, fingerprint)


async def submit(
    submission: Submission, run: Run, places: Places, reporters: Reporters
) -> Submitted:
    """Submit a point by a bearer token: routed by ``places``, stored by one guarded write
    run by ``run`` (which commits it: the write is one statement, so atomic)."""
    token, wgs = submission.who, submission.wgs
    if not isinstance(token, str) or not isinstance(wgs, shapely.Point):
        raise TypeError("a point by a bearer token is submitted here")
    fingerprint = submission.fingerprint()
    routed = await places.route(submission, wgs)
    actor = reporters.get(token)
    checked_now = False  # whether ``actor`` was read from the database in this submission
    for attempt in range(_ATTEMPTS):
        if actor is None:
            actor, replay = await _opening(run, submission, token, fingerprint)
            reporters.remember(token, actor)
            checked_now = True
            if replay is not None:
                return replay
        try:
            pending = submission.pending(
                actor=actor, fingerprint=fingerprint, wgs=wgs, route=routed.get, token=token
            )
        except DomainError:
            if checked_now:
                raise
            actor = None  # check the token and the key first, then refuse
            continue
        try:
            rows = await run(pending.write)
        except UNIQUE_VIOLATIONS as exc:
            start_again_or_raise(exc, attempt, _ATTEMPTS)
            continue
        found = store.checked(rows)
        if found.written is not None:
            return pending.done(found.written)
        if found.reporter is None:
            reporters.forget(token)
            raise Unauthorized("unknown or revoked token", field="authorization")
        if found.reporter != actor:
            actor, checked_now = found.reporter, True
            reporters.remember(token, actor)
            continue
        replay = answer_replay(found.replay, fingerprint)
        if replay is not None:
            return replay
        # routed in a generation that is no longer the active one
        routed = await places.route(submission, wgs, stale=routed)
    raise Conflict("the report could not be stored; please retry with the same key")
