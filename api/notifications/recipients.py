"""Who is told of a case event, and in what words (pure: no database, no HTTP).

The rule follows the role model (``api.auth.roles``, docs/roles.md):

- a department: the whistles that dispatch it (``case:whistled``, ``whistle:escalated``),
  each supervision step of its assignments (``supervision:*``) and the decision on its
  extension requests;
- a street (and the case's community): the new cases in its area (``case:new``), disputes
  (``assignment:disputed``) and, the lead street, extension requests it must decide;
- a street-and-alley chief: the whistles of cases along the chief's roads;
- a grid worker: every status change of the cases they reported;
- a district command centre: chases and escalations of its departments (``supervision:chased``,
  ``supervision:district``, ``supervision:city``).

Whoever did the act is not told of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from api.auth.roles import Role
from api.messages import CASE_STATUS_NAMES

WHISTLES = frozenset({"case:whistled", "whistle:escalated"})
CHASES = frozenset({"supervision:chased", "supervision:district", "supervision:city"})
STEP_NAMES = {
    "supervision:warning": "黄牌预警",
    "supervision:chased": "催办",
    "supervision:district": "区级督办",
    "supervision:city": "市级督办",
}
OBLIGATION_NAMES = {"acknowledge": "签收", "on_site": "到场", "resolve": "办结"}


@dataclass(frozen=True)
class Audience:
    """Users of ``role`` with jurisdiction ``code``, or the one user ``user_id``."""

    role: Role
    code: str | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class EventFacts:
    """What the rule needs to know of one event and its case."""

    event_id: int
    case_id: int
    kind: str
    actor_id: int | None
    data: Mapping[str, Any]
    to_status: str | None = None
    streets: tuple[str, ...] = ()  # lead street first
    community: str | None = None
    department: str | None = None  # of the assignment the event is about, if any
    grid_workers: frozenset[int] = field(default_factory=frozenset)  # reporters who are
    chiefs: frozenset[str] = field(default_factory=frozenset)  # refs with roads near the case


@dataclass(frozen=True)
class Notice:
    """One audience and the words it reads."""

    audience: Audience
    text: str


def notices(event: EventFacts) -> list[Notice]:
    """Who is told of ``event`` and what they read (the actor is removed when resolving).

    >>> new = EventFacts(1, 7, "case:new", 3, {}, "new", ("110102020",), "110102020001")
    >>> [(n.audience.role.value, n.audience.code) for n in notices(new)]
    [('street', '110102020'), ('community', '110102020001')]
    >>> notices(new)[0].text
    '新案件 7 待受理'
    """
    kind, case = event.kind, event.case_id
    found: list[Notice] = []

    def tell(audience: Audience, text: str) -> None:
        found.append(Notice(audience, text))

    if kind == "case:new":
        for street in event.streets:
            tell(Audience(Role.STREET, street), f"新案件 {case} 待受理")
        if event.community:
            tell(Audience(Role.COMMUNITY, event.community), f"新案件 {case} 待受理")
    if kind in WHISTLES:
        for spec in event.data.get("departments") or []:
            tell(
                Audience(Role.DEPARTMENT, str(spec.get("code"))),
                f"案件 {case} 吹哨派单，请按时签收",
            )
        for ref in sorted(event.chiefs):
            tell(Audience(Role.CHIEF, ref), f"您负责的街巷上，案件 {case} 已吹哨")
    if kind == "assignment:disputed":  # any department's, the overall lead's or another's
        who = event.department or event.data.get("department_code") or "部门"
        if event.streets:
            tell(Audience(Role.STREET, event.streets[0]), f"案件 {case} 被 {who} 提出派单异议")
        if event.community:
            tell(Audience(Role.COMMUNITY, event.community), f"案件 {case} 被 {who} 提出派单异议")
    if kind == "extension:requested" and event.streets:
        tell(Audience(Role.STREET, event.streets[0]), f"案件 {case} 有延期申请待审批")
    if kind in ("extension:approved", "extension:denied") and event.department:
        verdict = "已批准" if kind == "extension:approved" else "未批准"
        tell(Audience(Role.DEPARTMENT, event.department), f"案件 {case} 的延期申请{verdict}")
    if kind in STEP_NAMES:
        step = STEP_NAMES[kind]
        duty = OBLIGATION_NAMES.get(str(event.data.get("obligation")), "任务")
        department = event.data.get("department_code") or event.department
        if department:
            tell(Audience(Role.DEPARTMENT, str(department)), f"案件 {case}（{duty}）：{step}")
        district = event.data.get("district_code")
        if kind in CHASES and district:
            tell(
                Audience(Role.DISTRICT, str(district)),
                f"案件 {case}：{department or '部门'}（{duty}）{step}",
            )
    if kind.startswith("case:") and event.to_status and kind != "case:new":
        status = CASE_STATUS_NAMES.get(event.to_status, event.to_status)  # as 我的上报 says
        for user in sorted(event.grid_workers):
            tell(Audience(Role.GRID_WORKER, user_id=user), f"您上报的案件 {case}：{status}")
    return found
