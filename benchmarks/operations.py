"""A day at Beijing's volume: 12345 tickets and patrol reports through HTTP, then the acts
that follow them, with the checks that the tables still tell the truth.

Run::

    .venv/bin/python -m benchmarks.operations [--tickets 70000 --patrol 7000 --workers 16
                                               --minutes M --seed 7]

What it does:

1. creates a throwaway database (``benchmarks.api_load.throwaway_database``: the embedded
   cluster or ``DATABASE_URL``'s server), loads the demo city (``--cell-area-m2``, default
   40,000 m²) and adds the users who act: ``--workers`` 12345 call-takers (role ``hotline``),
   a grid worker and a command centre per street, a user per department, an administrator;
   the database is dropped at the end, also on failure;
2. serves the app with uvicorn on a loopback port (``benchmarks.api_load.serve``,
   ``--server-workers`` processes) and drives it with ``--workers`` concurrent clients (one
   uvloop loop, a keep-alive connection each: ``benchmarks.http_client``), act after act,
   each act a phase of its own so its latency is measured under the same concurrency:

   - **report**: ``--tickets`` hotline tickets (a call-taker's pin, source ``hotline``) and
     ``--patrol`` grid workers' reports (GPS pins; a few footprints of the building astride
     the 西城/丰台 line, the joint site), mixed, each with an ``Idempotency-Key``;
     ``--retry-rate`` of them are sent again at once with the same key (answered 200 with the
     same id). Reports within 50 m of an open case of their category attach to it;
   - **triage** of every new case by its lead street (``--shares``): resolve locally
     (易事快处置), reject, merge into an open case of the same street, or blow the whistle
     (the router's departments; a joint whistle at the joint site); after a whistle the
     street reads the case (``read case``) for its assignments;
   - **department duty**: each summoned department acknowledges (签收), reports on site at
     the case (报到) and resolves; on a few cases one department disputes (派单异议)
     instead: the street reads the case and, when the dispute sent it back (the overall
     lead's), settles it itself, otherwise the other departments go on;
   - the street **verifies** (reopening a few: 退回重办, resolved again and verified again),
     and the case is **evaluated** by the reporting grid worker, or for a ticket **called
     back** (回访) by the hotline where the service has call-backs (else the street rates it);
   - at each step ``--progress`` of the cases go on and the rest stay where they are, so a
     day's end leaves cases in every state;
   - the **scoreboard** of the month by department, street and district (administrator);
3. checks: every answered report stored exactly once under its key with the answered id
   (and no row that was never answered); the case and assignment states rebuilt from
   ``case_events`` equal the tables (``api.cases.replay``); the scoreboards add up across
   groupings and to the assignments dispatched (``api.assessment.totals``); and, when the
   service has webhooks (``api.webhooks`` and its outbox table), that they were all
   delivered: before the drive every district of the city gets a subscription to all event
   kinds pointed at a local receiver (a thread on a loopback port), and after it the outbox
   must drain (``--webhook-wait``) with every delivery received, each idempotency key at
   least once, no key that was not owed, every event delivered and each case's events in
   order; without webhooks the check prints "webhooks: not available";
4. prints a table per act: requests, errors, p50/p99/max latency and the p50 beside the
   report submission's (the reference: the hot path, measured in the same run under the same
   concurrency); and per phase its duration and acts per second.

``--minutes`` bounds the whole drive: when it runs out the current phase stops taking new
items and the later phases are skipped (printed), and the checks run on what was done.
Only 127.0.0.1 is contacted. The load generator shares the machine with the server and the
database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import uvloop
from rich.console import Console
from rich.table import Table

from api.assessment.scoring import Period
from benchmarks.api_load import CATEGORIES, GPS_ACCURACY_M, REPO, percentile, street_points
from benchmarks.http_client import Answer, Client

if TYPE_CHECKING:
    from fastapi import FastAPI

CELL_AREA_M2 = 40_000
REFERENCE_ACT = "report"
SCOREBOARD_GROUPINGS = ("department", "street", "district")
DEFAULT_SHARES = "resolve=0.55,whistle=0.35,reject=0.05,merge=0.05"
JOINT_SHARE = 0.002  # of patrol reports: the footprint of the building astride the line
DISPUTE_SHARE = 0.03  # of whistled cases: one department disputes instead of acknowledging
REOPEN_SHARE = 0.05  # of cases resolved by departments: the street sends the result back
PATROL_CATEGORIES = CATEGORIES
HOTLINE_DESCRIPTIONS = ("市民来电反映", "来电人称", "市民反映")


def app_factory() -> FastAPI:
    """The service bound to the benchmark database as ``gridwhistle serve`` runs it, with its
    background jobs (the overdue job, and where the service has them the notification
    fan-out and the webhook sender): ``uvicorn --factory`` entry point."""
    from api.app import create_app
    from api.config import Settings
    from api.db.session import engine_for
    from benchmarks.api_load import URL_ENV

    return create_app(
        engine=engine_for(os.environ[URL_ENV]),
        settings=Settings(environment="test"),
        jobs=True,
        freeze_heap=True,
    )


# -- who acts --------------------------------------------------------------------------------


@dataclass
class Cast:
    """Bearer tokens of everyone who acts, and the streets' points."""

    call_takers: list[str]
    street: dict[str, str]  # street code -> command centre's token
    worker: dict[str, str]  # street code -> a grid worker's token
    department: dict[str, str]  # department code -> token
    admin: str
    points: dict[str, list[tuple[float, float]]]  # street code -> points inside it


def prepare(url: str, *, workers: int, tickets: int, seed: int) -> Cast:
    """Create the users who act and draw points in every street of the loaded city."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from api.auth.roles import Role
    from api.auth.service import create_user, issue_token
    from api.db.session import engine_for
    from api.departments.models import Department
    from api.geography.service import read_level
    from geo.codes import Level

    rng = random.Random(seed)
    with Session(engine_for(url)) as session:
        streets = read_level(session=session, level=Level.STREET)

        def token(name: str, role: Role, jurisdiction: str | None) -> str:
            user = create_user(session=session, username=name, role=role, jurisdiction=jurisdiction)
            return issue_token(session=session, user=user, label="benchmark")

        per_street = max(50, math.ceil(2 * tickets / max(1, len(streets))))
        points = {
            code: street_points(geom, per_street, rng)
            for code, geom in zip(streets["code"], streets.geometry, strict=True)
        }
        cast = Cast(
            call_takers=[token(f"ops-hotline-{i:02d}", Role.HOTLINE, None) for i in range(workers)],
            street={c: token(f"ops-street-{c}", Role.STREET, c) for c in points},
            worker={c: token(f"ops-worker-{c}", Role.GRID_WORKER, c) for c in points},
            department={
                c: token(f"ops-dept-{c}", Role.DEPARTMENT, c)
                for c in session.scalars(select(Department.code))
            },
            admin=token("ops-admin", Role.ADMIN, None),
            points=points,
        )
        session.commit()
    return cast


def load_city(url: str, cell_area_m2: float) -> None:
    """The demo city into the database at ``url``."""
    from api.geography.imports import load_demo_into

    started = time.perf_counter()
    load_demo_into(url, cell_area_m2=cell_area_m2)
    print(f"demo city loaded in {time.perf_counter() - started:.0f} s")


# -- what is done ----------------------------------------------------------------------------


@dataclass
class Ticket:
    """One report to send."""

    key: str
    token: str
    source: str  # hotline | patrol
    body: dict[str, Any]
    retry: bool


@dataclass
class CaseRun:
    """What the drive knows of one case it opened."""

    case_id: int
    street: str
    evaluator: str  # the token that rates it
    position: tuple[float, float]
    routing: dict[str, Any]
    fate: str = ""  # resolve | whistle | reject | merge
    assignments: list[dict[str, Any]] = field(default_factory=list)
    into: int | None = None  # the case a merge goes into
    disputed: bool = False
    reopened: bool = False
    status: str = "new"  # as the drive last left it


@dataclass
class Acts:
    """Latencies and failures per act; durations per phase."""

    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    phases: list[tuple[str, int, float]] = field(default_factory=list)  # name, acts, seconds
    skipped: list[str] = field(default_factory=list)

    def failed(self, act: str, message: str) -> None:
        self.errors[act] += 1
        if len(self.error_samples) < 8:
            self.error_samples.append(f"{act}: {message}")


@dataclass
class Outcome:
    """What the drive did: the reports answered, the cases opened, the acts timed."""

    acts: Acts = field(default_factory=Acts)
    sent_keys: set[str] = field(default_factory=set)
    answered: dict[str, int] = field(default_factory=dict)  # key -> report id first answered
    unstable: int = 0  # retries answered with another id or not 200
    attached: int = 0
    cases: list[CaseRun] = field(default_factory=list)
    boards: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    period: str | None = None  # the scoreboards' month


class ActClient(Client):
    """The load generator's lean client, with GET and empty-bodied POSTs."""

    async def send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Answer:
        """One request; ``ConnectionError`` or ``TimeoutError`` when no answer came."""
        if method == "POST" and body is not None:
            return await self.post_json(path, body, headers)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        length = "Content-Length: 0\r\n" if method == "POST" else ""
        request = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}{length}\r\n"
        exchange = await self._connected()
        exchange.waiter = asyncio.get_running_loop().create_future()
        assert exchange.transport is not None
        exchange.transport.write(request.encode())
        try:
            return await asyncio.wait_for(exchange.waiter, self.timeout)
        except (ConnectionError, TimeoutError):
            self.close()
            raise


# -- the drive -------------------------------------------------------------------------------


class Drive:
    """Phases of acts against the served app, ``workers`` requests at a time."""

    def __init__(self, base: str, args: argparse.Namespace, cast: Cast) -> None:
        address = urlsplit(base)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.args, self.cast = args, cast
        self.rng = random.Random(args.seed)
        self.out = Outcome()
        self.deadline = time.perf_counter() + args.minutes * 60 if args.minutes else math.inf
        self.callbacks = importlib.util.find_spec("api.callbacks") is not None
        self.hotline_cases: set[int] = set()  # a 12345 report is among theirs

    def call_taker(self) -> str:
        return self.rng.choice(self.cast.call_takers)

    async def act(
        self,
        client: ActClient,
        act: str,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        *,
        key: str | None = None,
        expect: Sequence[int] = (200, 201),
    ) -> Answer | None:
        """One timed request; an answer outside ``expect`` or none at all is a failure."""
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        t0 = time.perf_counter()
        try:
            answer = await client.send(method, path, body, headers)
        except (OSError, TimeoutError) as exc:
            self.out.acts.failed(act, f"{type(exc).__name__}: {exc}")
            return None
        self.out.acts.ms[act].append((time.perf_counter() - t0) * 1000)
        if answer.status_code not in expect:
            self.out.acts.failed(act, f"{method} {path} {answer.status_code}: {answer.text[:240]}")
            return None
        return answer

    async def phase(
        self,
        name: str,
        items: Iterable[Any],
        step: Callable[[ActClient, Any], Awaitable[None]],
    ) -> None:
        """Run ``step`` on every item, ``workers`` at a time, until done or out of time."""
        queue = list(items)
        if time.perf_counter() >= self.deadline:
            self.out.acts.skipped.append(f"{name} ({len(queue)} items)")
            return
        before = sum(len(v) for v in self.out.acts.ms.values())
        source = iter(queue)
        left_out = 0

        async def worker() -> None:
            nonlocal left_out
            client = ActClient(self.host, self.port)
            try:
                for item in source:
                    if time.perf_counter() >= self.deadline:
                        left_out += 1
                        continue
                    await step(client, item)
            finally:
                client.close()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.args.workers)))
        elapsed = time.perf_counter() - start
        done = sum(len(v) for v in self.out.acts.ms.values()) - before
        self.out.acts.phases.append((name, done, elapsed))
        if left_out:
            self.out.acts.skipped.append(f"{name}: {left_out} of {len(queue)} items left")

    def goes_on(self) -> bool:
        """Whether the next step of a case happens today (``--progress``)."""
        return self.rng.random() < self.args.progress

    # -- reports

    def tickets(self) -> list[Ticket]:
        """The day's hotline tickets and patrol reports, shuffled."""
        from grids.demo import JOINT_STREETS, joint_box

        a, rng, cast = self.args, self.rng, self.cast
        run = uuid.uuid4().hex[:6]
        streets = sorted(cast.points)
        codes = list(CATEGORIES)
        weights = [CATEGORIES[c][1] for c in codes]
        out: list[Ticket] = []
        for i in range(a.tickets + a.patrol):
            hotline = i < a.tickets
            street = rng.choice(streets)
            category = rng.choices(codes, weights=weights)[0]
            lon, lat = rng.choice(cast.points[street])
            body: dict[str, Any] = {
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "category": category,
                "source": "hotline" if hotline else "patrol",
            }
            if hotline:
                body["description"] = f"{rng.choice(HOTLINE_DESCRIPTIONS)}{CATEGORIES[category][0]}"
                body["reporter_name"] = f"市民{i % 997:03d}"
                token = rng.choice(cast.call_takers)
            elif rng.random() < JOINT_SHARE and all(s in cast.worker for s in JOINT_STREETS):
                street = rng.choice(sorted(JOINT_STREETS))
                box = joint_box()
                body["geometry"] = {
                    "type": "Polygon",
                    "coordinates": [[list(p) for p in box.exterior.coords]],
                }
                body["description"] = "两区交界处违建"
                token = cast.worker[street]
            else:
                body["description"] = f"巡查发现{CATEGORIES[category][0]}"
                body["accuracy_m"] = rng.randint(*GPS_ACCURACY_M)
                token = cast.worker[street]
            key = f"ops-{run}-{i:06d}"
            out.append(Ticket(key, token, body["source"], body, rng.random() < a.retry_rate))
        rng.shuffle(out)
        return out

    async def report(self, client: ActClient, t: Ticket) -> None:
        self.out.sent_keys.add(t.key)
        answer = await self.act(
            client, "report", "POST", "/api/reports", t.token, t.body, key=t.key
        )
        if answer is None:
            return
        data = answer.json()
        self.out.answered[t.key] = data["id"]
        if t.retry:
            again = await self.act(
                client, "report (retry)", "POST", "/api/reports", t.token, t.body, key=t.key
            )
            if again is None or again.status_code != 200 or again.json()["id"] != data["id"]:
                self.out.unstable += 1
        if t.source == "hotline":  # a case with a 12345 report is called back, not rated
            self.hotline_cases.add(data["case_id"])
        if data["attached"]:
            self.out.attached += 1
            return
        routing = data["routing"]
        lead = routing["streets"][0]["code"]
        geometry = t.body["geometry"]
        if geometry["type"] == "Point":
            position = tuple(geometry["coordinates"])
        else:
            ring = geometry["coordinates"][0]
            position = (
                sum(p[0] for p in ring[:-1]) / (len(ring) - 1),
                sum(p[1] for p in ring[:-1]) / (len(ring) - 1),
            )
        evaluator = self.cast.street.get(lead, "") if t.source == "hotline" else t.token
        self.out.cases.append(
            CaseRun(data["case_id"], lead, evaluator, (position[0], position[1]), routing)
        )

    # -- triage

    def plan_triage(self) -> list[CaseRun]:
        """Each new case's fate by the shares; merges go into a whistled case of its street."""
        shares = self.args.shares
        fates, weights = list(shares), list(shares.values())
        whistled: dict[str, list[CaseRun]] = defaultdict(list)
        todo: list[CaseRun] = []
        for case in self.out.cases:
            if case.street not in self.cast.street or not self.goes_on():
                continue
            fate = self.rng.choices(fates, weights=weights)[0]
            if case.routing.get("joint"):
                fate = "whistle"
            if fate == "whistle" and not case.routing.get("departments"):
                fate = "resolve"  # nobody to summon: the street handles it
            if fate == "merge" and not whistled[case.street]:
                fate = "whistle" if case.routing.get("departments") else "resolve"
            case.fate = fate
            if fate == "whistle":
                whistled[case.street].append(case)
            todo.append(case)
        for case in todo:
            if case.fate == "merge":
                case.into = self.rng.choice(whistled[case.street]).case_id
        # whistles first, so that a merge finds its target open (whistled or about to be)
        todo.sort(key=lambda c: c.fate != "whistle")
        return todo

    async def triage(self, client: ActClient, case: CaseRun) -> None:
        token, path = self.cast.street[case.street], f"/api/cases/{case.case_id}"
        match case.fate:
            case "resolve":
                done = await self.act(
                    client, "resolve locally", "POST", f"{path}/resolve", token,
                    {"note": "社区已就地处置"},
                )  # fmt: skip
                case.status = "resolved" if done else case.status
            case "reject":
                done = await self.act(
                    client, "reject", "POST", f"{path}/reject", token,
                    {"reason": "不属于受理范围"},
                )  # fmt: skip
                case.status = "rejected" if done else case.status
            case "merge":
                done = await self.act(
                    client,
                    "merge",
                    "POST",
                    f"{path}/merge",
                    token,
                    {"into": case.into, "reason": "同一问题重复立案"},
                )
                if done:
                    case.status = "merged"
                    if case.case_id in self.hotline_cases:  # its reports moved there
                        self.hotline_cases.add(int(case.into or 0))
            case "whistle":
                note = {"note": "联合吹哨"} if case.routing.get("joint") else {}
                if await self.act(client, "whistle", "POST", f"{path}/whistle", token, note):
                    case.status = "whistled"
                    read = await self.act(client, "read case", "GET", path, token)
                    if read is not None:
                        case.assignments = read.json()["assignments"]

    # -- department duty

    def plan_disputes(self) -> None:
        for case in self.out.cases:
            if case.status == "whistled" and self.rng.random() < DISPUTE_SHARE:
                case.disputed = True

    def duties(self, *, after: str) -> list[tuple[CaseRun, list[dict[str, Any]]]]:
        """The assignments of undisputed whistled cases whose last act was ``after``: one
        item per case (its departments act one after the other), or per assignment with
        ``--concurrent-duty``."""
        items: list[tuple[CaseRun, list[dict[str, Any]]]] = []
        for case in self.out.cases:
            if case.status != "whistled" or case.disputed:
                continue
            due = [a for a in case.assignments if a["status"] == after and self.goes_on()]
            if self.args.concurrent_duty:
                items.extend((case, [a]) for a in due)
            elif due:
                items.append((case, due))
        return items

    async def duty(self, client: ActClient, item: tuple[CaseRun, list[dict[str, Any]]]) -> None:
        case, assignments = item
        for a in assignments:
            await self.duty_of(client, case, a)

    async def duty_of(self, client: ActClient, case: CaseRun, a: dict[str, Any]) -> None:
        token = self.cast.department.get(a["department_code"], self.cast.admin)
        path = f"/api/assignments/{a['id']}"
        match a["status"]:
            case "dispatched":
                if await self.act(client, "acknowledge", "POST", f"{path}/acknowledge", token):
                    a["status"] = "acknowledged"
            case "acknowledged":
                lon, lat = case.position
                here = {"lon": lon, "lat": lat}
                if await self.act(client, "on site", "POST", f"{path}/on-site", token, here):
                    a["status"] = "on_site"
            case "on_site":
                body = {"note": "已处置完毕"}
                if await self.act(client, "resolve", "POST", f"{path}/resolve", token, body):
                    a["status"] = "resolved"
                    if a["overall_lead"]:
                        case.status = "resolved"

    async def dispute(self, client: ActClient, case: CaseRun) -> None:
        """One department says "not ours". The street reads the case: when the dispute sent
        it back (the overall lead's), the street resolves it itself; otherwise the other
        departments go on."""
        a = self.rng.choice(case.assignments)
        token = self.cast.department.get(a["department_code"], self.cast.admin)
        body = {"reason": "非本部门职责"}
        path = f"/api/assignments/{a['id']}/dispute"
        if not await self.act(client, "dispute", "POST", path, token, body):
            return
        a["status"] = "disputed"
        street = self.cast.street[case.street]
        read = await self.act(client, "read case", "GET", f"/api/cases/{case.case_id}", street)
        if read is None or read.json()["status"] != "disputed":
            case.disputed = False  # still whistled: its other departments act
            return
        case.status = "disputed"
        settle = f"/api/cases/{case.case_id}/resolve"
        if await self.act(
            client, "resolve locally", "POST", settle, street, {"note": "街道自行处置"}
        ):
            case.status = "resolved"

    # -- verification and evaluation

    async def verify(self, client: ActClient, case: CaseRun) -> None:
        token, path = self.cast.street[case.street], f"/api/cases/{case.case_id}/verify"
        by_departments = case.fate == "whistle" and not case.disputed
        if by_departments and not case.reopened and self.rng.random() < REOPEN_SHARE:
            body = {"confirmed": False, "reason": "现场复核未整改到位"}
            if await self.act(client, "verify", "POST", path, token, body):
                case.reopened = True
                case.status = "whistled"
                for a in case.assignments:
                    a["status"] = "on_site" if a["status"] == "resolved" else a["status"]
            return
        if await self.act(client, "verify", "POST", path, token, {"confirmed": True}):
            case.status = "verified"

    async def evaluate(self, client: ActClient, case: CaseRun) -> None:
        """The reporting grid worker rates the result; a ticket's caller is called back
        (回访) by the hotline where the service has call-backs, else the street rates it."""
        if case.case_id in self.hotline_cases and self.callbacks:
            said = {"result": self.rng.choices(["满意", "基本满意"], weights=[75, 25])[0]}
            path = f"/api/cases/{case.case_id}/callback"
            if await self.act(client, "call-back", "POST", path, self.call_taker(), said):
                case.status = "closed"
            return
        body = {"stars": self.rng.choices([5, 4, 3, 2, 1], weights=[60, 25, 8, 4, 3])[0]}
        path = f"/api/cases/{case.case_id}/evaluate"
        if await self.act(client, "evaluate", "POST", path, case.evaluator, body):
            case.status = "closed"

    async def scoreboards(self, client: ActClient, period: str) -> None:
        for by in SCOREBOARD_GROUPINGS:
            path = f"/api/assessment/scoreboard?period={period}&by={by}"
            answer = await self.act(client, "scoreboard", "GET", path, self.cast.admin)
            if answer is not None:
                body = answer.json()
                self.out.boards[by] = (body["rows"], body["total"])

    # -- the day

    def cases_in(self, status: str) -> list[CaseRun]:
        return [c for c in self.out.cases if c.status == status and self.goes_on()]

    async def run(self) -> Outcome:
        await self.phase("report", self.tickets(), self.report)
        await self.phase("triage", self.plan_triage(), self.triage)
        self.plan_disputes()
        await self.phase("dispute", [c for c in self.out.cases if c.disputed], self.dispute)
        for after, name in (("dispatched", "acknowledge"), ("acknowledged", "on site"),
                            ("on_site", "resolve")):  # fmt: skip
            await self.phase(name, self.duties(after=after), self.duty)
        await self.phase("verify", self.cases_in("resolved"), self.verify)
        reopened = [c for c in self.out.cases if c.reopened]
        lead_again = [
            (c, [a]) for c in reopened if c.status == "whistled" for a in c.assignments
            if a["overall_lead"] and a["status"] == "on_site"
        ]  # fmt: skip
        await self.phase("resolve again", lead_again, self.duty)
        await self.phase(
            "verify again", [c for c in reopened if c.status == "resolved"], self.verify
        )
        await self.phase("evaluate", self.cases_in("verified"), self.evaluate)
        self.out.period = Period.month_of(datetime.now(UTC)).label  # a Beijing month
        await self.phase("scoreboard", [self.out.period], self.scoreboards)
        return self.out


# -- the checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check of the day's end."""

    name: str
    ok: bool | None  # None: not available
    detail: str


def check_reports(url: str, out: Outcome) -> Check:
    """Every answered report stored once under its key with the answered id, nothing else."""
    from sqlalchemy import text

    from api.db.session import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(
            text("SELECT idempotency_key, id FROM reports WHERE idempotency_key = ANY(:keys)"),
            {"keys": sorted(out.sent_keys)},
        ).all()
        others = conn.scalar(
            text("SELECT count(*) FROM reports WHERE NOT idempotency_key = ANY(:keys) "
                 "OR idempotency_key IS NULL"),
            {"keys": sorted(out.sent_keys)},
        )  # fmt: skip
    stored = Counter(r.idempotency_key for r in rows)
    ids = {r.idempotency_key: r.id for r in rows}
    twice = sum(1 for n in stored.values() if n > 1)
    lost = sum(1 for key in out.answered if key not in stored)
    moved = sum(1 for key, rid in out.answered.items() if key in ids and ids[key] != rid)
    unanswered = sum(1 for key in stored if key not in out.answered)
    ok = not (twice or lost or moved or unanswered or others or out.unstable)
    detail = (
        f"{len(out.answered)} answered, {len(rows)} stored; stored twice {twice}, lost {lost}, "
        f"id differs {moved}, stored but never answered {unanswered}, rows of no key sent "
        f"{others}, retries answered otherwise {out.unstable}"
    )
    return Check("every acknowledged report stored exactly once", ok, detail)


def check_replay(url: str) -> Check:
    """Case and assignment states rebuilt from the events equal the tables."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from api.cases.replay import disagreements
    from api.db.session import engine_for

    with Session(engine_for(url)) as session:
        found = disagreements(session=session)
        counts = session.execute(
            text(
                "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM assignments), "
                "(SELECT count(*) FROM case_events)"
            )
        ).one()
    detail = f"{counts[0]} cases, {counts[1]} assignments, {counts[2]} events replayed"
    if found:
        detail += f"; {len(found)} disagreements, e.g. " + "; ".join(str(d) for d in found[:3])
    return Check("states rebuilt from events equal the tables", not found, detail)


def check_scoreboards(url: str, out: Outcome) -> Check:
    """The scoreboards served add up across groupings and to the assignments dispatched."""
    from sqlalchemy import func, select

    from api.assessment.scoring import Period
    from api.assessment.totals import total_disagreements
    from api.db.session import engine_for
    from api.whistles.models import Assignment

    if len(out.boards) < len(SCOREBOARD_GROUPINGS) or out.period is None:
        return Check("scoreboard totals consistent across groupings", False, "not all served")
    found = total_disagreements(out.boards)
    total = out.boards[SCOREBOARD_GROUPINGS[0]][1]
    period = Period.parse(out.period)
    with engine_for(url).connect() as conn:
        dispatched = conn.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.dispatched_at >= period.start, Assignment.dispatched_at < period.end)
        )
    if total["scored"] != dispatched:
        found.append(f"total scored {total['scored']}, dispatched in {out.period} {dispatched}")
    detail = f"{total['scored']} department scores over {len(out.boards)} groupings"
    if found:
        detail += "; " + "; ".join(found[:3])
    return Check("scoreboard totals consistent across groupings", not found, detail)


WEBHOOKS = "webhooks all delivered"


class Receiver:
    """A local webhook receiver (a thread on a loopback port): counts deliveries per
    idempotency key and the order of events per subscription and case."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        key_header = _webhooks("deliver").KEY

        self.received: Counter[str] = Counter()
        self.order: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                key = self.headers[key_header] or ""
                with receiver.lock:
                    if not receiver.received[key]:
                        event, sub = body["event"], body["subscription"]["id"]
                        receiver.order[(sub, event["case_id"])].append(event["id"])
                    receiver.received[key] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _webhooks(module: str) -> Any:
    """A module of ``api.webhooks``, imported when the service has them (built alongside
    this benchmark: it must run, and type-check, without them)."""
    import importlib

    return importlib.import_module(f"api.webhooks.{module}")


def webhooks_available(url: str) -> bool:
    """Whether the service has webhooks: the package and its migrated outbox table."""
    import importlib.util

    from sqlalchemy import inspect

    from api.db.session import engine_for

    if importlib.util.find_spec("api.webhooks") is None:
        return False
    if importlib.util.find_spec("api.webhooks.deliver") is None:
        return False
    return inspect(engine_for(url)).has_table("webhook_deliveries")


def subscribe(url: str, receiver: Receiver, districts: Iterable[str]) -> None:
    """A subscription to every event of each district's cases, posted to ``receiver``."""
    from sqlalchemy.orm import Session

    from api.db.session import engine_for

    add = _webhooks("service").add
    with Session(engine_for(url)) as session:
        for code in sorted(set(districts)):
            add(session=session, scope="district", code=code, url=receiver.url, kinds=[])
        session.commit()


def drain_outbox(url: str, *, timeout_s: float) -> float | None:
    """Wait until every event is fanned out and no delivery is pending; the seconds it
    took, None when ``timeout_s`` passed first."""
    from sqlalchemy import text

    from api.db.session import engine_for

    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s:
        with engine_for(url).connect() as conn:
            left = conn.execute(
                text("SELECT (SELECT count(*) FROM event_queue) + (SELECT count(*) FROM "
                     "webhook_deliveries WHERE status = 'pending')")
            ).scalar()  # fmt: skip
        if not left:
            return time.perf_counter() - start
        time.sleep(1.0)
    return None


def check_webhooks(url: str, receiver: Receiver | None, drained_s: float | None) -> Check:
    """Every event delivered to the subscriptions that see it, each received once as far as
    the receiver's idempotency key shows, in order per case; or "not available"."""
    if receiver is None:
        return Check(WEBHOOKS, None, "webhooks: not available")
    from types import SimpleNamespace

    from sqlalchemy import text

    from api.db.session import engine_for

    idempotency_key = _webhooks("deliver").idempotency_key

    with engine_for(url).connect() as conn:
        rows = conn.execute(
            text("SELECT event_id, subscription_id, status FROM webhook_deliveries")
        ).all()
        unfanned = conn.scalar(
            text("SELECT count(*) FROM case_events e WHERE NOT EXISTS "
                 "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)")
        )  # fmt: skip
    keys = {
        idempotency_key(SimpleNamespace(event_id=e, subscription_id=s)): status
        for e, s, status in rows
    }
    undelivered = sum(1 for status in keys.values() if status != "delivered")
    got = receiver.received
    lost = sum(1 for k, status in keys.items() if status == "delivered" and k not in got)
    strays = sum(1 for k in receiver.received if k not in keys)
    repeats = sum(n - 1 for n in receiver.received.values())
    disordered = sum(1 for ids in receiver.order.values() if ids != sorted(ids))
    ok = not (undelivered or lost or strays or disordered or unfanned) and drained_s is not None
    drained = (
        f"outbox drained {drained_s:.0f} s after the last act"
        if drained_s is not None
        else ("outbox NOT drained in time")
    )
    detail = (
        f"{len(keys):,} deliveries, {len(receiver.received):,} keys received; not delivered "
        f"{undelivered}, delivered but not received {lost}, received but not owed {strays}, "
        f"events of no delivery {unfanned}, cases out of order {disordered}, repeats {repeats} "
        f"(the key makes them harmless); {drained}"
    )
    return Check(WEBHOOKS, ok, detail)


def checks(url: str, out: Outcome, webhooks: Check) -> list[Check]:
    """All the checks of the day's end."""
    return [check_reports(url, out), check_replay(url), check_scoreboards(url, out), webhooks]


# -- the report ------------------------------------------------------------------------------


def act_table(acts: Acts) -> Table:
    """Per act: requests, errors, latency percentiles and the p50 against the reference."""
    table = Table(title="acts (latency of each request, ms)")
    for column in ("act", "requests", "errors", "p50", "p99", "max", f"p50 ÷ {REFERENCE_ACT} p50"):
        table.add_column(column, justify="left" if column == "act" else "right")
    reference = percentile(acts.ms.get(REFERENCE_ACT, []), 50)
    for act in sorted(acts.ms.keys() | acts.errors.keys(), key=_act_order):
        ms = acts.ms.get(act, [])
        p50 = percentile(ms, 50)
        ratio = p50 / reference if ms and reference == reference and reference > 0 else math.nan
        table.add_row(
            act,
            f"{len(ms):,}",
            f"{acts.errors[act]:,}",
            _ms(p50),
            _ms(percentile(ms, 99)),
            _ms(max(ms) if ms else math.nan),
            "–" if act == REFERENCE_ACT or ratio != ratio else f"{ratio:.2f}×",
        )
    return table


ACT_ORDER = ("report", "report (retry)", "resolve locally", "reject", "merge", "whistle",
             "read case", "dispute", "acknowledge", "on site", "resolve", "verify", "evaluate",
             "call-back", "scoreboard")  # fmt: skip


def _act_order(act: str) -> tuple[int, str]:
    return (ACT_ORDER.index(act) if act in ACT_ORDER else len(ACT_ORDER), act)


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.1f}"


def phase_table(acts: Acts) -> Table:
    """Per phase: requests, seconds and requests per second."""
    table = Table(title="phases (all requests of the phase, the workers at a time)")
    for column in ("phase", "requests", "seconds", "requests/s"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for name, done, seconds in acts.phases:
        rate = done / seconds if seconds > 0 else math.nan
        table.add_row(name, f"{done:,}", f"{seconds:,.1f}", _ms(rate))
    return table


def check_table(found: list[Check]) -> Table:
    table = Table(title="checks")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    for c in found:
        mark = "PASS" if c.ok else "n/a" if c.ok is None else "FAIL"
        table.add_row(c.name, mark, c.detail)
    return table


def print_report(console: Console, out: Outcome, found: list[Check]) -> None:
    console.print(phase_table(out.acts))
    console.print(act_table(out.acts))
    states = Counter(c.status for c in out.cases)
    console.print(
        f"reports answered {len(out.answered):,} (attached to an open case {out.attached:,}); "
        f"cases opened {len(out.cases):,}, left as the drive saw them: "
        + ", ".join(f"{s} {n:,}" for s, n in states.most_common())
    )
    for skipped in out.acts.skipped:
        console.print(f"cut by the time budget (--minutes): {skipped}")
    for sample in out.acts.error_samples:
        console.print(f"  e.g. {sample}", markup=False)
    console.print(check_table(found))
    for c in found:
        if c.ok is None:
            console.print(c.detail)


# -- entry point -----------------------------------------------------------------------------


def parse_shares(text: str) -> dict[str, float]:
    """``resolve=0.55,whistle=0.35,…`` as weights of the triage fates."""
    fates = {"resolve", "whistle", "reject", "merge"}
    out: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in fates:
            raise argparse.ArgumentTypeError(f"unknown triage fate {name!r}")
        out[name.strip()] = float(value)
    if not out or min(out.values()) < 0 or sum(out.values()) <= 0:
        raise argparse.ArgumentTypeError("shares must be non-negative and not all zero")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.operations", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tickets", type=int, default=70_000, help="12345 tickets of the day")
    parser.add_argument("--patrol", type=int, default=7_000, help="grid workers' reports")
    parser.add_argument("--workers", type=int, default=16, help="concurrent clients")
    parser.add_argument("--minutes", type=float, default=0.0, help="time budget (0: none)")
    parser.add_argument("--retry-rate", type=float, default=0.05, help="reports sent twice")
    parser.add_argument("--progress", type=float, default=0.9,
                        help="share of cases that go on to each next act")  # fmt: skip
    parser.add_argument("--shares", type=parse_shares, default=parse_shares(DEFAULT_SHARES),
                        help=f"triage fates (default {DEFAULT_SHARES})")  # fmt: skip
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--cell-area-m2", type=float, default=CELL_AREA_M2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--server-log", help="keep the server's output in this file")
    parser.add_argument("--webhook-wait", type=float, default=300.0,
                        help="seconds to wait for the webhook outbox to drain")  # fmt: skip
    parser.add_argument(
        "--concurrent-duty",
        action="store_true",
        help="the departments of one case act at the same moment (by default one after "
        "the other; see docs/benchmarks.md)",
    )
    args = parser.parse_args(argv)
    if args.tickets < 0 or args.patrol < 0 or args.tickets + args.patrol < 1:
        parser.error("--tickets and --patrol must be non-negative, not both zero")
    if args.workers < 1 or args.server_workers < 1 or args.minutes < 0:
        parser.error("--workers and --server-workers must be positive, --minutes not negative")
    if not 0 <= args.retry_rate <= 1 or not 0 <= args.progress <= 1:
        parser.error("--retry-rate and --progress must be within 0..1")
    return args


@contextlib.contextmanager
def serve(url: str, processes: int, log: Path) -> Iterator[str]:
    """uvicorn on a free loopback port (as ``benchmarks.api_load`` serves it), its output
    and errors kept in ``log``."""
    from api.db.embedded import free_port
    from benchmarks.api_load import URL_ENV, _stop, _wait_healthy

    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "benchmarks.operations:app_factory", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(processes),
           "--log-level", "warning", "--no-access-log"]  # fmt: skip
    with log.open("w+b") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env={**os.environ, URL_ENV: url}, stdout=out, stderr=out,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", proc, out)
            time.sleep(1.0 if processes > 1 else 0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(proc)


def operate(url: str, args: argparse.Namespace, log: Path) -> tuple[Outcome, list[Check]]:
    """Serve the app on ``url`` (a loaded city), drive the day and check the outcome."""
    cast = prepare(url, workers=args.workers, tickets=args.tickets + args.patrol, seed=args.seed)
    receiver = Receiver() if webhooks_available(url) else None
    try:
        if receiver is not None:
            subscribe(url, receiver, (code[:6] for code in cast.street))
        with serve(url, args.server_workers, log) as base:
            out = uvloop.run(Drive(base, args, cast).run())
            drained = drain_outbox(url, timeout_s=args.webhook_wait) if receiver else None
        webhooks = check_webhooks(url, receiver, drained)
    finally:
        if receiver is not None:
            receiver.close()
    return out, checks(url, out, webhooks)


def server_errors(log: Path, limit: int = 2) -> list[str]:
    """The first ``limit`` tracebacks the server logged."""
    text = log.read_text(errors="replace") if log.exists() else ""
    blocks = text.split("Traceback (most recent call last):")[1:]
    return ["Traceback (most recent call last):" + b.split("\nINFO")[0][-4000:]
            for b in blocks[:limit]]  # fmt: skip


@contextlib.contextmanager
def _database() -> Iterator[str]:
    from benchmarks.api_load import throwaway_database

    with throwaway_database() as url:
        yield url


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=max(Console().width, 120))
    console.print(
        f"configuration: {args.tickets:,} tickets + {args.patrol:,} patrol reports, "
        f"{args.workers} clients, {args.server_workers} server process(es), "
        f"time budget {f'{args.minutes:g} min' if args.minutes else 'none'}, "
        f"progress {args.progress:.0%} per step, shares {json.dumps(args.shares)}, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    with _database() as url, tempfile.TemporaryDirectory() as scratch:
        load_city(url, args.cell_area_m2)
        log = Path(args.server_log or Path(scratch) / "server.log")
        out, found = operate(url, args, log)
        print_report(console, out, found)
        for traceback in server_errors(log):
            console.print(f"the server logged:\n{traceback}", markup=False)
    ok = all(c.ok is not False for c in found) and not sum(out.acts.errors.values())
    console.print(f"overall: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
