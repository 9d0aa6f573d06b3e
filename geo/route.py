"""The spatial router: which streets blow the whistle and which departments report.

Pure. Inputs are what the locator found (streets with shares, land-use zones, the nearest
named road and its chief), the duty rules and the department catalogue; the output is a
``Routing`` with the reasons that produced it.

Departments belong to districts: each district a case touches summons its own departments of
the kinds the matched rule names (its lead kind as ``lead``, the others as ``support``); the
lead street's district leads overall and comes first. The street with the largest share leads
a joint case, unless the street that received the report (首接负责) holds a share within the
lead tolerance of the largest: then it leads (:func:`lead_first`). A kind a district does not
have (e.g. 农业农村局 in a purely urban district) falls back to the city department of that kind. At
``level="city"`` (escalation) the city departments are summoned instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from geo.locate import StreetShare
from geo.rules import KIND_NAMES, RuleMatch

CITY_CODE = "110000"


@dataclass(frozen=True)
class Department:
    """A department from the catalogue."""

    code: str
    name: str
    kind: str
    district_code: str | None


@dataclass(frozen=True)
class Summoned:
    """A department summoned by a whistle, with its role."""

    code: str
    name: str
    district_code: str | None
    role: str  # "lead" | "support"
    overall_lead: bool


@dataclass(frozen=True)
class ZoneHit:
    """A land-use zone the position or footprint lies in."""

    code: str
    kind: str
    name: str


@dataclass(frozen=True)
class ChiefRef:
    """The nearest named street or alley and its street-and-alley chief."""

    name: str
    title: str
    street_or_alley: str
    kind: str
    distance_m: float


@dataclass(frozen=True)
class Routing:
    """Where a case goes: streets, departments, whistle type, SLA policy, chief, reasons."""

    streets: tuple[StreetShare, ...]
    departments: tuple[Summoned, ...]
    whistle_type: str
    sla_policy: str
    chief: ChiefRef | None
    explanation: tuple[str, ...]
    generation: int
    zones: tuple[ZoneHit, ...] = ()

    @property
    def lead_street(self) -> StreetShare:
        """The street with the largest share (smallest code on ties)."""
        return self.streets[0]

    @property
    def joint(self) -> bool:
        """More than one street is a party."""
        return len(self.streets) > 1


@dataclass(frozen=True)
class FirstReceiver:
    """The street that received the report (the reporter's own street) and how close its share
    must be to the largest (a fraction: 0.05 is five percentage points) for it to lead."""

    street_code: str
    tolerance: float


def lead_first(
    streets: Sequence[StreetShare], received: FirstReceiver | None
) -> tuple[tuple[StreetShare, ...], bool]:
    """The streets with the lead first, and whether the first-receiver rule chose it: the
    receiving street leads when its share is within the tolerance of the largest share."""
    ordered = tuple(streets)
    if received is None or len(ordered) < 2:
        return ordered, False
    top = ordered[0]
    for street in ordered[1:]:
        if street.code == received.street_code:
            if top.share - street.share <= received.tolerance:
                return (street, *(s for s in ordered if s is not street)), True
            break
    return ordered, False


def share_labels(streets: Sequence[StreetShare]) -> list[str]:
    """Each street's share as a percentage: whole numbers, or one decimal when two shares would
    otherwise read the same (50.06 % and 49.94 % are not 50 % and 50 %)."""
    whole = [f"{s.share:.0%}" for s in streets]
    if len(set(whole)) == len(whole):
        return whole
    return [f"{s.share:.1%}" for s in streets]


def districts_in_order(streets: Sequence[StreetShare]) -> list[str]:
    """District codes of the streets, the lead street's district first, no repeats."""
    seen: list[str] = []
    for street in streets:
        if street.district_code not in seen:
            seen.append(street.district_code)
    return seen


def _pick(
    catalogue: Sequence[Department], kind: str, district: str | None
) -> tuple[Department | None, bool]:
    """The department of ``kind`` in ``district``; falls back to the city (flag True)."""
    for dept in catalogue:
        if dept.kind == kind and dept.district_code == district:
            return dept, False
    for dept in catalogue:
        if dept.kind == kind and dept.district_code in (None, "", CITY_CODE):
            return dept, district is not None
    return None, False


def summon(
    *,
    match: RuleMatch,
    districts: Sequence[str],
    catalogue: Sequence[Department],
    level: str = "district",
) -> tuple[tuple[Summoned, ...], list[str]]:
    """Departments of every district (or the city) for the matched rule, with notes."""
    kinds = [(match.rule.lead, "lead"), *((k, "support") for k in match.rule.support)]
    targets: list[str | None] = [None] if level == "city" else list(districts)
    summoned: list[Summoned] = []
    notes: list[str] = []
    for position, district in enumerate(targets):
        for kind, role in kinds:
            dept, fell_back = _pick(catalogue, kind, district)
            what = f"{KIND_NAMES.get(kind, kind)}({kind})"
            if dept is None:
                notes.append(f"部门目录中没有{what}类部门，未能派出")
                continue
            if fell_back:
                notes.append(f"{district} 区没有{what}类部门，由市级 {dept.name} 承担")
            if any(s.code == dept.code for s in summoned):
                continue
            summoned.append(
                Summoned(
                    code=dept.code,
                    name=dept.name,
                    district_code=dept.district_code or None,
                    role=role,
                    overall_lead=position == 0 and role == "lead",
                )
            )
    return tuple(summoned), notes


def route(
    *,
    streets: Sequence[StreetShare],
    match: RuleMatch,
    zones: Collection[ZoneHit],
    catalogue: Sequence[Department],
    chief: ChiefRef | None,
    generation: int,
    facts: Sequence[str] = (),
    level: str = "district",
    received: FirstReceiver | None = None,
) -> Routing:
    """Compose the routing of a located case from the matched duty rule; ``received``: the
    street that received the report, which leads a near tie."""
    if not streets:
        raise ValueError("a routing needs at least one street")
    streets, by_receipt = lead_first(streets, received)
    districts = districts_in_order(streets)
    departments, notes = summon(match=match, districts=districts, catalogue=catalogue, level=level)
    explanation = [*facts]
    if len(streets) > 1:
        labels = share_labels(streets)
        parts = "、".join(f"{s.name}({s.code}) {p}" for s, p in zip(streets, labels, strict=True))
        if by_receipt and received is not None:
            points = f"{received.tolerance * 100:g}"
            why = f"首接负责：上报由本街道受理，占比与最大者相差不超过 {points} 个百分点"
        else:
            why = "占比最大"
        explanation.append(f"跨街道：{parts} → 联合吹哨，牵头街道 {streets[0].name}（{why}）")
        if len(districts) > 1:
            joined = "、".join(districts)
            explanation.append(
                f"跨区：{joined} 各区部门同时报到，{districts[0]} 区（牵头街道所在区）总牵头"
            )
    else:
        explanation.append(f"属地街道：{streets[0].name}({streets[0].code})")
    for zone in sorted(zones, key=lambda z: z.code):
        explanation.append(f"位于 {zone.kind} 区域 {zone.code}（{zone.name}）")
    explanation.append(match.reason)
    explanation.extend(notes)
    lead = next((d for d in departments if d.overall_lead), None)
    if lead is not None:
        explanation.append(f"总牵头部门：{lead.name}（首接负责）")
    if chief is not None:
        explanation.append(
            f"最近街巷：{chief.street_or_alley}（{chief.distance_m:.0f} 米）→ 街巷长 {chief.name}"
        )
    return Routing(
        streets=tuple(streets),
        departments=departments,
        whistle_type=str(match.rule.whistle_type),
        sla_policy=match.rule.sla_policy,
        chief=chief,
        explanation=tuple(explanation),
        generation=generation,
        zones=tuple(sorted(zones, key=lambda z: z.code)),
    )
