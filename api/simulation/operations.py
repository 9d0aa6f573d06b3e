"""Drive the platform over simulated days with the service functions the API calls.

Every act goes through the service (``Submission.run``, ``api.cases.service``,
``api.whistles.service``, the overdue job) with the simulated clock passed in; nothing is
inserted directly. Acts wait in a queue ordered by time (``api.simulation.run``); an act
due after ``end`` is not done, so the run leaves cases in every state.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.simulation import checks, duty, triage
from api.simulation.reports import PlannedReport
from api.simulation.run import Act, Outcome, Run, Setup

JOB_HOUR_UTC = 1  # the overdue job runs daily at 09:00 Beijing time, and at the end

ACTS: dict[str, Act] = {
    "report": triage.report,
    "triage": triage.triage,
    "acknowledge": duty.acknowledge,
    "on_site": duty.on_site,
    "extension": duty.extension,
    "resolve": duty.resolve,
    "dispute": duty.dispute,
    "decide": checks.decide,
    "settle_dispute": checks.settle_dispute,
    "verify": checks.verify,
    "evaluate": checks.evaluate,
    "callback": checks.callback,
    "callback_decision": checks.callback_decision,
    "job": checks.job,
}


def job_times(*, start: datetime, end: datetime) -> list[datetime]:
    """When the overdue job runs: every day at ``JOB_HOUR_UTC`` after ``start``, and at ``end``."""
    first = start.replace(hour=JOB_HOUR_UTC, minute=0, second=0, microsecond=0)
    if first <= start:
        first += timedelta(days=1)
    times = []
    while first < end:
        times.append(first)
        first += timedelta(days=1)
    return [*times, end]


def run_operations(
    *,
    session: Session,
    setup: Setup,
    reports: list[PlannedReport],
    seed: int,
    start: datetime,
    end: datetime,
    key_prefix: str,
) -> Outcome:
    """Submit ``reports`` and play every act that follows until ``end`` (not committed)."""
    run = Run(session=session, setup=setup, seed=seed, end=end, key_prefix=key_prefix, acts=ACTS)
    for report in reports:
        run.later(report.at, "report", report)
    for at in job_times(start=start, end=end):
        run.later(at, "job")
    return run.play()
