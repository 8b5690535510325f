"""The ``place`` run: eligibility → candidates → allocate → trace → outputs.

:func:`place` is deterministic: applicants are sorted by ``student_id`` (a salted hash, so the
input row order never matters), geocoding is by distinct address text, the allocator is seeded,
and files are written with fixed formatting — the same inputs and seed give byte-identical
``placements.csv``, ``schools.csv`` and ``run.json``.  Outputs are written to a temporary folder
beside ``out_dir`` and renamed into place only when everything succeeded: a failed run writes
nothing (:mod:`.outputs`).

The run only orders the stages; each lives in its own module:

- :mod:`.seats` — the seat table (学位表): read, check against the policy, priority shortfall;
- :mod:`.locate` — geocoding addresses and school points;
- :mod:`.resolve` — which address counts, zone/optional schools, tier, the trace so far;
- :mod:`.distance` — straight-line or street distances (``Settings.distance``);
- :mod:`.multischool` — zone stage, multi-school lotteries (多校划片电脑派位), overflow;
- :mod:`.trace` — the Chinese trace and the placement/school tables;
- :mod:`.outputs` — the GeoPackage layers and the atomic writing of the folder.

Table problems are of two kinds:

- *fatal* (the run stops before writing, every problem listed at once): the same applicant in
  several rows, a school in the seat table that is not in the policy (or a policy school without
  seats), a seat plan smaller than the priority (tier 0) children of a school, and — with
  ``strict=True`` — any bad row;
- *row* problems (malformed ID, birth date or sex contradicting the ID, unreadable date...): the
  row is kept and marked ``ineligible`` with rule ``invalid_row`` and the reason in its trace.

Outputs (see docs/ARCHITECTURE.md): ``placements.csv`` (``student_id, level, school, status,
rule, tier, distance_m, trace``), ``schools.csv`` (``school, level, seats, placed, overflow_in,
overflow_out``), ``placements.gpkg`` (layers ``homes``: points without names, ``overflow``: lines
home → school, ``schools``), ``run.json`` (seed, counts, warnings, distance kind, lotteries,
the spec's ``policy.sources.scenario`` label when it has one) and, when multi-school zones
were drawn, ``lottery/<group>/`` (``inputs.txt``, ``result.csv``, ``draw.json``: what
``geo-enroll lottery verify lottery/<group>`` re-runs; ``applicants.csv``, ``seats.csv``: what
``geo-enroll lottery simulate`` reads; the same two tables are on
:attr:`PlaceResult.lottery_tables`).

>>> import tempfile, pathlib
>>> from geo_enroll.datasets import (toy_gazetteer, toy_school_points, toy_schools,
...     toy_spec, toy_students, toy_zones)
>>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> res = place(toy_students(), spec=toy_spec(), zones=toy_zones(), gazetteer=toy_gazetteer(),
...             schools=toy_schools(), school_points=toy_school_points(), seed=7, out_dir=out)
>>> sorted(p.name for p in out.iterdir())
['placements.csv', 'placements.gpkg', 'run.json', 'schools.csv']
>>> bool((res.schools["placed"] <= res.schools["seats"]).all())
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import AllocationError, ApplicantError, InputError
from ..settings import DEFAULT_SETTINGS, Settings
from .applicants import read_applicants, row_problems
from .candidates import CONFLICT_NOTE, ZoneIndex
from .distance import DISTANCE_TEXT, distance_costs, distance_kind
from .eligibility import assess_eligibility
from .locate import complete_school_points, geocode_all
from .multischool import allocate_level
from .outputs import check_out_dir, homes_layer, write_outputs
from .resolve import resolve_applicant
from .rules import MONTHS_NOT_IN_TABLE
from .seats import load_school_table, priority_shortfall, validate_school_table
from .trace import LEVEL_ZH, PLACEMENT_COLUMNS, SCHOOL_COLUMNS, placement_tables

__all__ = [
    "PLACEMENT_COLUMNS",
    "SCHOOL_COLUMNS",
    "PlaceResult",
    "load_school_table",
    "place",
    "validate_school_table",
]


@dataclass
class PlaceResult:
    """What :func:`place` computed (also written to ``out_dir`` when given).

    Attributes
    ----------
    placements : DataFrame
        ``placements.csv``: one row per applicant (``PLACEMENT_COLUMNS``).
    schools : DataFrame
        ``schools.csv``: one row per school and level (``SCHOOL_COLUMNS``).
    homes : GeoDataFrame
        The ``homes`` layer (EPSG:4326, no names); ``attrs["school_lonlat"]`` and
        ``attrs["lines"]`` (overflow lines home → school).
    warnings : list of str
        Run warnings (seat plan totals, ...), sorted, without duplicates.
    row_problems : list of str
        Rows marked ``invalid_row`` and ignored school names, per row.
    lotteries : list of dict
        One record per multi-school lottery drawn (as in ``run.json``: ``group, level, schools,
        applicants, seats_left, inputs_sha256, numbers, rehearsal, seed, result_sha256,
        placed``).
    run_info : dict
        The content of ``run.json``.
    lottery_tables : dict
        ``{group: (applicants, seats)}`` per lottery: the DataFrames the draw read (as in
        ``lottery/<group>/applicants.csv`` and ``seats.csv``).  ``applicants``: ``student_id,
        group, tier`` (int)``, choices`` (志愿, ``|``-separated: the preferred school if in the
        group, then the group's schools nearest first)``, unit``; ``seats``: ``school, group,
        seats`` (int: the seats the group's schools have left after the single-school zones).
        Feed them to :func:`geo_enroll.placement.lottery.draw` or ``simulate``.
    """

    placements: pd.DataFrame
    schools: pd.DataFrame
    homes: object  # GeoDataFrame
    warnings: list[str] = field(default_factory=list)
    row_problems: list[str] = field(default_factory=list)
    lotteries: list[dict] = field(default_factory=list)
    run_info: dict = field(default_factory=dict)
    lottery_tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)


def place(
    applicants,
    *,
    spec: dict,
    zones,
    gazetteer,
    schools,
    seed: int,
    school_points=None,
    out_dir=None,
    strict: bool = False,
    salt: str | None = None,
    streets=None,
    lottery_numbers=None,
    settings: Settings = DEFAULT_SETTINGS,
    progress=None,
) -> PlaceResult:
    """Place every applicant and (optionally) write the outputs atomically.

    Parameters
    ----------
    applicants : path or DataFrame
        The applicant table (:mod:`.applicants`).
    spec : dict
        Zone spec.
    zones : GeoDataFrame or None
        Zone polygons (``zones`` layer).
    gazetteer : object
        Anything with ``geocode(text) -> dict`` (the geocode result contract).
    schools : path or DataFrame
        Seat table (``school_id, level, seats`` or ``classes``).
    seed : int
        Seed of the allocator's tie-break.
    school_points : GeoDataFrame, optional
        School locations (``school_id`` + Point); schools without one are geocoded by name.
    out_dir : path, optional
        Folder to write; replaced atomically.
    strict : bool
        Stop on any bad row instead of marking it.
    salt : str, optional
        ``student_id`` salt.
    streets : GeoDataFrame, optional
        The base map's ``streets`` layer; needed when ``settings.distance == "network"``.
    lottery_numbers : sequence of int, optional
        Numbers drawn in public for the multi-school lotteries (电脑派位).  Without them the
        draws are rehearsals seeded by ``seed`` (``numbers = [seed]``, recorded as such).
    settings : Settings
        ``distance`` (``euclidean`` / ``network``) and ``class_cap`` are read.
    progress : callable, optional
        Called with the fraction of the work done (0..1) after each step: applicants read,
        addresses located, candidates resolved, each level allocated, tables built.

    Returns
    -------
    PlaceResult
    """
    step = progress or (lambda _fraction: None)

    if out_dir is not None:
        check_out_dir(Path(out_dir))
    table = read_applicants(applicants, salt=salt)
    problems = row_problems(table)
    dups = table[table["duplicate_of"].map(bool)]
    if len(dups) or (strict and problems):
        bad = problems if strict else [p for p in problems if "同一申请人" in p]
        raise ApplicantError(
            "申请人表有错误，未生成任何结果 (applicant table has errors; nothing written)",
            problems=bad,
        )
    seats, warnings = validate_school_table(load_school_table(schools), spec)
    by_id = {s["id"]: s for s in spec.get("schools") or []}
    school_points = complete_school_points(school_points, by_id, spec, gazetteer)
    index = ZoneIndex(spec, zones, school_points=school_points)
    el = assess_eligibility(table, spec=spec)
    problems = problems + _unknown_schools(table, spec)
    step(0.1)

    geo = geocode_all(el, gazetteer)
    index.prime(geo.values())  # every point's zones in one batch; the per-child steps look up
    step(0.4)
    rows = {sid: resolve_applicant(sid, rec, geo, index, by_id, spec) for sid, rec in el.iterrows()}
    step(0.5)
    # body/annex conflicts met by applicants (read as the body says): one run warning each
    conflicts = Counter(s for r in rows.values() for s in r["steps"] if s.startswith(CONFLICT_NOTE))
    unchecked = Counter(  # the table records no months of proof: said once per run
        s.split("：", 1)[0] + "：实际入住未核对，房产地址按申报使用"
        for r in rows.values()
        for s in r["steps"]
        if s.startswith(MONTHS_NOT_IN_TABLE)
    )
    conflicts.update(unchecked)
    warnings = warnings + [f"{text}（涉及{n}名申请人）" for text, n in sorted(conflicts.items())]

    # seat plan smaller than the priority children of a school: stop, per school
    short = priority_shortfall(rows, seats, by_id)
    if short:
        raise AllocationError("学位计划少于应优先安排的儿童，未生成任何结果", problems=short)

    kind = distance_kind(settings)
    if kind == "network" and (streets is None or not len(streets)):
        raise InputError(
            "按街道距离（--distance network）需要含 streets 图层的底图 "
            "(network distance needs a base map with a streets layer; pass --basemap)"
        )
    results, lotteries, fallback_pairs = {}, [], 0
    for level in ("primary", "middle"):
        ids = sorted(sid for sid, r in rows.items() if r["status"] == "" and r["level"] == level)
        sc = seats[seats["level"] == level].set_index("school_id")[["level", "seats"]]
        sc = sc.assign(level=level).sort_index()
        if not ids:
            continue
        if sc.empty:
            raise AllocationError(f"{LEVEL_ZH[level]}没有任何学位，但有{len(ids)}名申请人")
        st = pd.DataFrame(
            {
                "level": level,
                "tier": [rows[i]["tier"] for i in ids],
                "zone_schools": [
                    tuple(s for s in rows[i]["zone_schools"] if s in sc.index) for i in ids
                ],
                "optional_schools": [
                    tuple(s for s in rows[i]["optional_schools"] if s in sc.index) for i in ids
                ],
                "preference": [
                    rows[i]["preference"] if rows[i]["preference"] in sc.index else None
                    for i in ids
                ],
                "priority_key": [_priority_key(rows[i], i, seed) for i in ids],
            },
            index=pd.Index(ids, name="student_id"),
        )
        # a zone/preferred school whose location (or the home's) is unknown stays reachable (0 m)
        col = {s: j for j, s in enumerate(sc.index)}
        reach = [
            (r_i, col[s])
            for r_i, i in enumerate(ids)
            for s in (*st.at[i, "zone_schools"], st.at[i, "preference"])
            if s is not None and s in col
        ]
        dist, fallback = distance_costs(ids, list(sc.index), rows, index, kind, streets, reach)
        fallback_pairs += len(fallback)
        for i, s in fallback:
            rows[i].setdefault("no_path", set()).add(s)
        out, drawn = allocate_level(
            st, sc, dist, rows, seed=int(seed), numbers=lottery_numbers, level=level
        )
        lotteries += drawn
        for i, rec in out.iterrows():
            results[i] = rec.to_dict()
        step(0.6 if level == "primary" else 0.85)

    placements, school_rows = placement_tables(rows, results, seats, by_id, kind)
    homes = homes_layer(rows, results, index, placements)
    step(0.95)
    pol = spec.get("policy") or {}
    run_info = {
        "seed": int(seed),
        "jurisdiction": (spec.get("policy") or {}).get("jurisdiction"),
        "year": (spec.get("policy") or {}).get("year"),
        "applicants": int(len(placements)),
        "status": {k: int(v) for k, v in sorted(placements["status"].value_counts().items())},
        "rows_marked_invalid": int((placements["rule"] == "invalid_row").sum()),
        "warnings": sorted(set(warnings)),
        "distance": DISTANCE_TEXT[kind],
        "distance_kind": kind,
        "distance_fallback_pairs": int(fallback_pairs),
        "multi_school": (
            "lottery (电脑派位, geo_enroll.placement.lottery; see lottery/<group>/)"
            if lotteries
            else "no multi-school zone applicants"
        ),
        "lotteries": [_public(d) for d in lotteries],
    }
    scenario = ((pol.get("sources") or {}).get("scenario") or {}).get("text")
    if scenario:
        run_info["scenario"] = scenario
    if out_dir is not None:
        write_outputs(Path(out_dir), placements, school_rows, homes, run_info, lotteries)
    return PlaceResult(
        placements,
        school_rows,
        homes,
        sorted(set(warnings)),
        problems,
        [_public(d) for d in lotteries],
        run_info,
        {d["group"]: d["_tables"] for d in lotteries},
    )


def _public(draw: dict) -> dict:
    """A lottery record without the private keys (``_files``, ``_tables``)."""
    return {k: v for k, v in draw.items() if not k.startswith("_")}


def _priority_key(r: dict, student_id: str, seed: int) -> str:
    """Within-tier order: registration date, then a seeded draw shared by twins.

    Twins/triplets (same ``双胞胎组``) get the same draw, so they are ranked side by side and
    a school's last seats rarely split them (the trace says when they are split).
    """
    import hashlib

    key = f"twin:{r['twin_group']}" if r.get("twin_group") else f"child:{student_id}"
    draw = hashlib.sha256(f"{int(seed)}:{key}".encode()).hexdigest()[:16]
    return f"{r['priority_key']}|{draw}"


def _unknown_schools(table: pd.DataFrame, spec: dict) -> list[str]:
    """Per-row messages for schools named in the applicant table that the policy lacks."""
    from .candidates import resolve_school

    out = []
    for rec in table.sort_values("row").to_dict("records"):
        for col, zh in (("preference", "志愿学校"), ("sibling_school", "兄姐在读学校")):
            name = rec.get(col) or ""
            if name and resolve_school(spec, name) is None:
                out.append(
                    f"第{rec['row']}行（{rec['id_masked']}）：{zh}“{name}”不在政策的学校名单中，"
                    "已忽略 (school not in the policy; ignored)"
                )
    return out
