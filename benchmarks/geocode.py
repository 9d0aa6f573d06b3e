"""Benchmark: the register geocoder on addresses as callers say them (not a test).

Run ``.venv/bin/python -m benchmarks.geocode [--queries N] [--seed S]``.

The demo city (cells of 40,000 m², which does not change the register) gets its demo
register; ``--queries`` entries are drawn from it (plates, 号院 buildings, compounds and
their buildings, places, village houses) and each is said the way callers say it, one
perturbation per query, in turn:

* ``exact`` — the register's text;
* ``full_prefix`` — district and street names in front (西城区广安门外街道…);
* ``dropped_district`` — the street's name without the district;
* ``abbreviation`` — 广安门外 → 广外 where the street has an alias, else 大街 → 街;
* ``chinese_numbers`` — every number in words (12号 → 十二号, 3单元 → 三单元);
* ``yuan_variant`` — 号院/号楼 said another way (68号5栋, 68号院5号楼2单元301室);
* ``typo`` — one character of the road or place name replaced, so that it names nothing on
  the register (the street named in front);
* ``typo_bare`` — the same with nothing in front (a three-character name then has rivals
  one character away all over the city: expect ``ambiguous`` or ``unknown``);
* ``noise`` — 北京市 in front, 附近/对面/旁边/门口 behind, full-width digits.

A query is right at top-1 when its first candidate lies within 50 m of the entry, at
top-3 when one of the first three does; ``unknown`` and ``ambiguous`` are shares of all
queries. Then ``--held-out`` of the plates (those with a lower and a higher number on their
side) are left out of the register and geocoded: the share interpolated, within 50 m, the
median error and the share whose error lies within the stated uncertainty.
``jionlp.parse_location`` (with its towns) runs on the same strings when jionlp is
importable (a ``dev`` dependency; without it the comparison is skipped with the reason). It
gives no positions, only province, city, county (区) and town (街道) names: per
perturbation, how often its county is the entry's district and its town the entry's street
is printed beside how often our first candidate lies in that district and street, then both
throughputs on the same strings and their ratio (``--jionlp-queries`` limits its share).
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo.address_text import read_aliases
from geo.crs import metric_xy
from geo.geocode import Geocoder, GeocodeResult
from grids.addresses import area_names, demo_register
from grids.demo import DEFAULT_SEED, build_demo_city

HIT_M = 50.0
NOISE_AFTER = ("附近", "对面", "旁边", "门口")
TYPO_CHARS = "安宝昌成春德丰福富广和华惠吉嘉金锦景康乐林隆明宁平庆仁荣瑞盛顺泰文祥兴秀义永元裕章"
_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Query:
    """One caller's text, the entry it stands for and the perturbation that made it."""

    text: str
    lon: float
    lat: float
    perturbation: str
    district: str = ""
    street: str = ""


def say_number(n: int) -> str:
    """A number as callers say it (12 → 十二, 105 → 一百零五, 301 → 三百零一)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + ("" if n == 10 else _DIGITS[n - 10])
    if n < 100:
        return _DIGITS[n // 10] + "十" + ("" if n % 10 == 0 else _DIGITS[n % 10])
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return _DIGITS[hundreds] + "百"
    tail = (
        _DIGITS[0] + _DIGITS[rest]
        if rest < 10
        else say_number(rest).replace("十", "一十", 1)
        if rest < 20
        else say_number(rest)
    )
    return _DIGITS[hundreds] + "百" + tail


def _chinese_numbers(text: str) -> str:
    return re.sub(r"\d+", lambda m: say_number(int(m.group(0))), text)


def _yuan_variant(text: str, rng: np.random.Generator) -> str:
    if "号院" in text:
        choice = int(rng.integers(3))
        if choice == 0:
            return text.replace("号院", "号", 1)
        if choice == 1:
            return re.sub(r"(\d+)号楼$", r"\1栋", text)
        unit, floor, door = (int(rng.integers(1, k)) for k in (5, 7, 4))
        return f"{text}{unit}单元{floor}0{door}室"
    if text.endswith("号楼"):
        return re.sub(r"(\d+)号楼$", r"\1栋", text)
    return text


def _typo(name: str, rng: np.random.Generator, known: set[str]) -> str:
    """``name`` with one character of its stem replaced, making no name of the register (a
    slip that lands on another real name is a different address, not a typo to catch)."""
    generic = 2 if name.endswith(("大街", "胡同", "小区", "家园", "花园")) else 1
    for _ in range(100):
        at = int(rng.integers(max(1, len(name) - generic)))
        others = TYPO_CHARS.replace(name[at], "")
        slip = name[:at] + others[int(rng.integers(len(others)))] + name[at + 1 :]
        if slip not in known:
            return slip
    return name


def build_queries(
    register: pd.DataFrame, names: dict[str, str], *, n: int, seed: int
) -> list[Query]:
    """``n`` perturbed queries drawn from ``register`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    aliases = {canonical: alias for alias, canonical in read_aliases().items()}
    rows = register.sample(n=n, random_state=seed).reset_index(drop=True)
    known = set(register["road"]) | set(register["name"])
    kinds: list[tuple[str, Callable[[pd.Series], str]]] = []

    def street_of(row: pd.Series) -> str:
        return names[row["street_code"]]

    def district_of(row: pd.Series) -> str:
        return names[row["district_code"]]

    def abbreviated(row: pd.Series) -> str:
        street = street_of(row)
        for canonical, alias in aliases.items():
            if canonical in street:
                return street.replace(canonical, alias) + row["text"]
        return (
            row["text"].replace("大街", "街", 1) if "大街" in row["text"] else street + row["text"]
        )

    def typo(row: pd.Series) -> str:
        return street_of(row) + typo_bare(row)

    def typo_bare(row: pd.Series) -> str:
        name = row["road"] or row["name"]
        return str(row["text"]).replace(name, _typo(name, rng, known), 1)

    def noise(row: pd.Series) -> str:
        text = row["text"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        return "北京市" + text + NOISE_AFTER[int(rng.integers(len(NOISE_AFTER)))]

    kinds = [
        ("exact", lambda row: row["text"]),
        ("full_prefix", lambda row: district_of(row) + street_of(row) + row["text"]),
        ("dropped_district", lambda row: street_of(row) + row["text"]),
        ("abbreviation", abbreviated),
        ("chinese_numbers", lambda row: _chinese_numbers(row["text"])),
        ("yuan_variant", lambda row: _yuan_variant(row["text"], rng)),
        ("typo", typo),
        ("typo_bare", typo_bare),
        ("noise", noise),
    ]
    out = []
    for i, (_, row) in enumerate(rows.iterrows()):
        label, make = kinds[i % len(kinds)]
        out.append(Query(make(row), float(row["lon"]), float(row["lat"]), label,
                         str(row["district_code"]), str(row["street_code"])))  # fmt: skip
    return out


def _hit_at(result: GeocodeResult, query: Query, k: int) -> bool:
    x, y = metric_xy(query.lon, query.lat)
    for candidate in result.candidates[:k]:
        cx, cy = metric_xy(candidate.lon, candidate.lat)
        if np.hypot(cx - x, cy - y) <= HIT_M:
            return True
    return False


def run(queries: list[Query], geocoder: Geocoder) -> pd.DataFrame:
    """One row per query: perturbation, status, top-1 and top-3 hits, seconds, and whether
    the first candidate lies in the entry's district and street."""
    records = []
    for query in queries:
        start = time.perf_counter()
        result = geocoder.geocode(query.text)
        elapsed = time.perf_counter() - start
        best = result.candidates[0] if result.candidates else None
        records.append({"perturbation": query.perturbation, "status": result.status,
                        "top1": _hit_at(result, query, 1), "top3": _hit_at(result, query, 3),
                        "seconds": elapsed, "text": query.text,
                        "district": best is not None and best.district == query.district,
                        "street": best is not None and best.street == query.street})  # fmt: skip
    return pd.DataFrame(records)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Top-1, top-3, unknown and ambiguous shares, addresses/s and p99 ms per perturbation."""

    def stats(group: pd.DataFrame) -> pd.Series:
        return pd.Series({
            "queries": len(group),
            "top1_50m_%": 100 * group["top1"].mean(),
            "top3_50m_%": 100 * group["top3"].mean(),
            "unknown_%": 100 * (group["status"] == "unknown").mean(),
            "ambiguous_%": 100 * (group["status"] == "ambiguous").mean(),
            "addresses_per_s": len(group) / group["seconds"].sum(),
            "p99_ms": 1000 * float(np.quantile(group["seconds"], 0.99)),
        })  # fmt: skip

    table = pd.DataFrame(
        {name: stats(group) for name, group in frame.groupby("perturbation", sort=False)}
    ).T
    table.loc["all"] = stats(frame)
    table.loc["all but typo_bare"] = stats(frame[frame["perturbation"] != "typo_bare"])
    return table


def held_out(
    register: pd.DataFrame, names: dict[str, str], *, share: float, seed: int
) -> pd.DataFrame:
    """Plain plates left out of the register, then geocoded: how interpolation places them.

    Only plates with a lower and a higher number on their side stay candidates, so each
    has neighbours to be interpolated between (when those are not left out too).
    """
    plain = register[(register["kind"] == "plate") & (register["suffix"] == "")]
    side = plain.groupby(["road", "side"])["number"]
    inner = plain[
        (plain["number"] > side.transform("min")) & (plain["number"] < side.transform("max"))
    ]
    left_out = inner.sample(frac=share, random_state=seed)
    geocoder = Geocoder(register.drop(index=left_out.index), area_names=names)
    records = []
    for row in left_out.itertuples():
        result = geocoder.geocode(str(row.text))
        best = result.candidates[0] if result.candidates else None
        error = math.inf
        if best is not None:
            x, y = metric_xy(row.lon, row.lat)
            bx, by = metric_xy(best.lon, best.lat)
            error = float(np.hypot(bx - x, by - y))
        records.append({"level": best.level if best else "", "error_m": error,
                        "uncertainty_m": best.uncertainty_m if best else math.nan})  # fmt: skip
    return pd.DataFrame(records)


def held_out_line(frame: pd.DataFrame) -> str:
    """One line on the left-out plates: level reached, error, error within the uncertainty."""
    plate = frame["level"] == "plate"
    covered = (frame["error_m"] <= frame["uncertainty_m"]).mean()
    return (
        f"{len(frame)} plates left out of the register: interpolated {100 * plate.mean():.1f} %, "
        f"within 50 m {100 * (frame['error_m'] <= HIT_M).mean():.1f} %, "
        f"median error {frame['error_m'].median():.1f} m, "
        f"error within the stated uncertainty {100 * covered:.1f} %"
    )


Parse = Callable[[str], Mapping[str, Any]]


def jionlp_parser() -> tuple[Parse | None, str]:
    """``jionlp.parse_location`` with towns, or None and why it cannot run."""
    try:
        import jionlp
    except ImportError as error:  # an optional peer: the benchmark runs without it
        return None, f"jionlp is not importable ({error}); install the dev extra to compare"

    def parse(text: str) -> Mapping[str, Any]:
        return dict(jionlp.parse_location(text, town_village=True))

    return parse, ""


def compare(
    queries: list[Query], ours: pd.DataFrame, parse: Parse, names: Mapping[str, str]
) -> tuple[pd.DataFrame, float]:
    """Per perturbation, the shares (%) of ``queries`` whose district and street jionlp's
    ``parse`` names (county, town) beside those our first candidate lies in (``ours``,
    from ``run`` on the same queries), and the seconds ``parse`` took in all."""
    records = []
    start = time.perf_counter()
    for query in queries:
        found = parse(query.text)
        records.append({
            "perturbation": query.perturbation,
            "jionlp_district": found.get("county") == names.get(query.district),
            "jionlp_street": found.get("town") == names.get(query.street),
        })  # fmt: skip
    elapsed = time.perf_counter() - start
    theirs = pd.DataFrame(records)
    both = pd.concat(
        [theirs, ours.iloc[: len(theirs)][["district", "street"]].reset_index(drop=True)], axis=1
    )
    table = both.groupby("perturbation", sort=False).mean() * 100
    table.loc["all"] = both.drop(columns="perturbation").mean() * 100
    table = table.rename(columns={"district": "ours_district", "street": "ours_street"})
    columns = ["ours_district", "jionlp_district", "ours_street", "jionlp_street"]
    return table[columns].add_suffix("_%"), elapsed


def throughput_line(ours: pd.DataFrame, count: int, seconds: float) -> str:
    """Both throughputs on the same strings (the first ``count`` queries) and their ratio."""
    mine = count / float(ours["seconds"].iloc[:count].sum())
    theirs = count / seconds
    return (
        f"on the same {count:,} strings: {mine:,.0f} addresses/s against "
        f"jionlp.parse_location's {theirs:,.0f} ({mine / theirs:,.1f}×)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--held-out", type=float, default=0.02, help="share of plates left out")
    parser.add_argument(
        "--jionlp-queries", type=int, default=None, help="queries also given to jionlp (all)"
    )
    args = parser.parse_args(argv)
    city = build_demo_city(cell_area_m2=40_000, seed=args.seed)
    register = demo_register(city, seed=args.seed)
    names = area_names(city)
    start = time.perf_counter()
    geocoder = Geocoder(register, area_names=names)
    built = time.perf_counter() - start
    queries = build_queries(register, names, n=args.queries, seed=args.seed)
    frame = run(queries, geocoder)
    print(f"register: {len(register):,} entries; index built in {built:.2f} s")
    with pd.option_context(
        "display.float_format", "{:,.1f}".format, "display.width", 160, "display.max_columns", 20
    ):
        print(summary(frame))
    print(held_out_line(held_out(register, names, share=args.held_out, seed=args.seed)))
    parse, why = jionlp_parser()
    if parse is None:
        print(f"jionlp comparison skipped: {why}")
        return
    parse(queries[0].text)  # jionlp loads its dictionaries on the first call
    shown = queries[: args.jionlp_queries]
    table, seconds = compare(shown, frame, parse, names)
    print("district and street right (ours: the first candidate; jionlp: county and town):")
    with pd.option_context(
        "display.float_format", "{:,.1f}".format, "display.width", 160, "display.max_columns", 20
    ):
        print(table)
    print(throughput_line(frame, len(shown), seconds))


if __name__ == "__main__":
    main()
