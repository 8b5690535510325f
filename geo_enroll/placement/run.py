"""The ``place`` run: eligibility → candidates → allocate → trace → outputs.

:func:`place` is deterministic: applicants are sorted by ``student_id`` (a salted hash, so the
input row order never matters), geocoding is by distinct address text, the allocator is seeded,
and files are written with fixed formatting — the same inputs and seed give byte-identical
``placements.csv``, ``schools.csv`` and ``run.json``.  Outputs are written to a temporary folder
beside ``out_dir`` and renamed into place only when everything succeeded: a failed run writes
nothing.

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
``geo-enroll lottery simulate`` reads).

**Multi-school zones (多校划片)** are resolved by a recorded lottery (电脑派位,
:mod:`geo_enroll.placement.lottery`): children whose zone is one ``multi_school`` zone of two or
more schools are drawn onto the seats those schools have left after the single-school zones
(published SHA-256 of the sorted applicants and seats, seed from the numbers drawn in public —
``lottery_numbers``; without them a rehearsal seeded by ``seed`` and recorded as such —, order
by tier then SHA-256 key, 志愿 = preferred school in the group, then the group's schools
nearest first); those left without a seat go to the overflow stage (see
:func:`_allocate_level`).  A multi-school child whose preferred school is outside the group is
placed like a single-zone child (preference, then the group's schools nearest first).

**Distance** (``Settings.distance``): ``euclidean``, straight line in the local UTM zone, or
``network``, shortest paths along the base map's ``streets`` (homes and schools join the street
graph at its nearest node, the lines densified every 25 m, with a straight access leg; a pair
with no path falls back to the straight line, counted in ``run.json`` and said in the trace).
The distance decides the allocation (overflow, the order of a multi-school child's 志愿) and
``distance_m``; the order of several zone schools and the shared-edge rule stay straight-line
(:mod:`.candidates`).

**非本市户籍** (not in ``treated_as_local``): the material check is cited from the policy's
``eligibility.source`` sentences on materials (延庆 lines 65, 73, 79); placed by actual
residence they rank one tier below local children on the same basis (延庆: 到区教委确定的学校
联系就读).

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

import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AllocationError, ApplicantError, InputError
from ..settings import DEFAULT_SETTINGS, Settings
from .applicants import read_applicants, row_problems
from .candidates import ZoneIndex, candidate_schools
from .eligibility import BASIS_LABELS, MIGRANT_CATEGORIES, assess_eligibility

__all__ = ["PlaceResult", "load_school_table", "place", "validate_school_table"]

PLACEMENT_COLUMNS = [
    "student_id",
    "level",
    "school",
    "status",
    "rule",
    "tier",
    "distance_m",
    "trace",
]
SCHOOL_COLUMNS = ["school", "level", "seats", "placed", "overflow_in", "overflow_out"]
_LEVEL_ZH = {"primary": "小学", "middle": "初中"}
_USABLE_LEVELS = ("township", "village", "road", "house_number", "compound", "poi")


@dataclass
class PlaceResult:
    """What :func:`place` computed (also written to ``out_dir`` when given)."""

    placements: pd.DataFrame
    schools: pd.DataFrame
    homes: object  # GeoDataFrame
    warnings: list[str] = field(default_factory=list)
    row_problems: list[str] = field(default_factory=list)
    lotteries: list[dict] = field(default_factory=list)
    run_info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- seat table
def load_school_table(source) -> pd.DataFrame:
    """Read a seat table (CSV: ``school_id, name, level, code, classes, seats``).

    ``level`` is the level of the seats (a nine-year school has one row per level); ``seats``
    may be empty, then it is ``classes × class cap`` (filled in by :func:`validate_school_table`).
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise InputError(f"找不到学校学位表 {path} (school seat table not found)")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in ("school_id", "level") if c not in df.columns]
    if missing or not ({"seats", "classes"} & set(df.columns)):
        raise InputError(
            f"{path.name}: 学位表需要列 school_id, level, seats 或 classes (got {list(df.columns)})"
        )
    return df


def validate_school_table(table: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, list[str]]:
    """Check a seat table against the policy; return (seats by (school_id, level), warnings).

    Raises :class:`~geo_enroll.errors.AllocationError` listing every problem: a school not in the
    policy, a level the school does not teach, a bad seat number, a policy school without seats.

    >>> from geo_enroll.datasets import toy_schools, toy_spec
    >>> seats, warn = validate_school_table(toy_schools(), toy_spec())
    >>> seats["seats"].tolist(), warn
    ([8, 6, 12], [])
    """
    pol = spec.get("policy") or {}
    caps = dict(DEFAULT_SETTINGS.class_cap) | {  # a policy silent on class caps: the default
        k: v for k, v in (pol.get("class_cap") or {}).items() if v is not None
    }
    by_id = {s["id"]: s for s in spec.get("schools") or []}
    by_code = {str(s.get("code")): s["id"] for s in spec.get("schools") or [] if s.get("code")}
    by_name = {s.get("name"): s["id"] for s in spec.get("schools") or []}
    problems, rows = [], []
    for rec in table.to_dict("records"):
        raw_id = str(rec.get("school_id") or "").strip()
        sid = (
            raw_id
            if raw_id in by_id
            else by_code.get(str(rec.get("code") or "")) or by_name.get(str(rec.get("name") or ""))
        )
        label = raw_id or str(rec.get("name") or "?")
        if sid is None:
            problems.append(
                f"学位表中的学校“{label}”不在政策的学校名单中 (school not in the policy)"
            )
            continue
        level = str(rec.get("level") or "").strip()
        school_level = by_id[sid].get("level")
        if level not in ("primary", "middle"):
            problems.append(f"{label}: 学段应为 primary 或 middle，实际“{level}”")
            continue
        if school_level not in (level, "nine_year"):
            problems.append(f"{label}: 政策中该校为{school_level}，不招收{level}")
            continue
        seats = str(rec.get("seats") or "").strip()
        classes = str(rec.get("classes") or "").strip()
        try:
            n = int(seats) if seats else int(classes) * int(caps[level])
            if n < 0:
                raise ValueError
        except (ValueError, TypeError):
            problems.append(f"{label}: 学位数“{seats or classes}”不是非负整数")
            continue
        if classes and seats and int(classes) * int(caps[level]) < n:
            problems.append(f"{label}: {n}个学位超过{classes}个班×班额{caps[level]}")
        rows.append(
            {"school_id": sid, "level": level, "name": by_id[sid].get("name") or sid, "seats": n}
        )
    out = pd.DataFrame(rows, columns=["school_id", "level", "name", "seats"])
    dup = out[out.duplicated(["school_id", "level"], keep=False)]
    for (sid, level), _g in dup.groupby(["school_id", "level"]):
        problems.append(f"{sid}: {level} 学位在表中出现多次")
    have = set(zip(out["school_id"], out["level"], strict=True))
    for sid, s in sorted(by_id.items()):
        levels = ("primary", "middle") if s.get("level") == "nine_year" else (s.get("level"),)
        if s.get("level") == "nine_year":
            if not any((sid, lv) in have for lv in levels):
                problems.append(f"{s.get('name')}（{sid}）在学位表中没有学位 (no seats)")
        elif (sid, s.get("level")) not in have:
            problems.append(f"{s.get('name')}（{sid}）在学位表中没有学位 (no seats)")
    if problems:
        raise AllocationError(
            "学校学位表与政策不一致 (seat table does not match the policy)", problems=problems
        )
    warnings = []
    for level, total in sorted((pol.get("seat_plan") or {}).items()):
        got = int(out.loc[out["level"] == level, "seats"].sum())
        if total is not None and got != int(total):
            warnings.append(
                f"{_LEVEL_ZH.get(level, level)}学位合计{got}，与政策招生计划数{total}不同"
            )
    out = out.drop_duplicates(["school_id", "level"]).sort_values(["level", "school_id"])
    return out.reset_index(drop=True), warnings


# ----------------------------------------------------------------------------- the run
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

    Returns
    -------
    PlaceResult
    """

    if out_dir is not None:
        _check_out_dir(Path(out_dir))
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
    school_points = _complete_school_points(school_points, by_id, spec, gazetteer)
    index = ZoneIndex(spec, zones, school_points=school_points)
    el = assess_eligibility(table, spec=spec)
    problems = problems + _unknown_schools(table, spec)

    geo = _geocode_all(el, gazetteer)
    rows = {sid: _resolve_one(sid, rec, geo, index, by_id, spec) for sid, rec in el.iterrows()}

    # seat plan smaller than the priority children of a school: stop, per school
    prio = {}
    for r in rows.values():
        if r["status"] == "" and r["tier"] == 0 and r["zone_schools"]:
            key = (r["zone_schools"][0], r["level"])
            prio[key] = prio.get(key, 0) + 1
    seat_of = {
        (a, b): int(c)
        for a, b, c in zip(seats["school_id"], seats["level"], seats["seats"], strict=True)
    }
    short = [
        f"{by_id[s].get('name', s)}（{s}，{_LEVEL_ZH.get(lv, lv)}）：优先安排儿童{n}人，"
        f"学位只有{seat_of.get((s, lv), 0)}个 (seat plan smaller than priority children)"
        for (s, lv), n in sorted(prio.items())
        if n > seat_of.get((s, lv), 0)
    ]
    if short:
        raise AllocationError("学位计划少于应优先安排的儿童，未生成任何结果", problems=short)

    kind = _distance_kind(settings)
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
            raise AllocationError(f"{_LEVEL_ZH[level]}没有任何学位，但有{len(ids)}名申请人")
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
        dist, fallback = _distance_matrix(ids, list(sc.index), rows, index, kind, streets)
        fallback_pairs += len(fallback)
        for i, s in fallback:
            rows[i].setdefault("no_path", set()).add(s)
        # a zone/preferred school whose location is unknown still has to be reachable
        for r_i, i in enumerate(ids):
            for s in (*st.at[i, "zone_schools"], st.at[i, "preference"]):
                if (
                    s is not None
                    and s in sc.index
                    and not np.isfinite(dist[r_i, sc.index.get_loc(s)])
                ):
                    dist[r_i, sc.index.get_loc(s)] = 0.0
        out, drawn = _allocate_level(
            st, sc, dist, rows, seed=int(seed), numbers=lottery_numbers, level=level
        )
        lotteries += drawn
        for i, rec in out.iterrows():
            results[i] = rec.to_dict()

    placements, school_rows = _tables(rows, results, seats, by_id, kind)
    homes = _homes(rows, results, index, placements)
    pol = spec.get("policy") or {}
    run_info = {
        "seed": int(seed),
        "jurisdiction": (spec.get("policy") or {}).get("jurisdiction"),
        "year": (spec.get("policy") or {}).get("year"),
        "applicants": int(len(placements)),
        "status": {k: int(v) for k, v in sorted(placements["status"].value_counts().items())},
        "rows_marked_invalid": int((placements["rule"] == "invalid_row").sum()),
        "warnings": sorted(set(warnings)),
        "distance": _DISTANCE_TEXT[kind],
        "distance_kind": kind,
        "distance_fallback_pairs": int(fallback_pairs),
        "multi_school": (
            "lottery (电脑派位, geo_enroll.placement.lottery; see lottery/<group>/)"
            if lotteries
            else "no multi-school zone applicants"
        ),
        "lotteries": [{k: v for k, v in d.items() if k != "_files"} for d in lotteries],
    }
    scenario = ((pol.get("sources") or {}).get("scenario") or {}).get("text")
    if scenario:
        run_info["scenario"] = scenario
    if out_dir is not None:
        _write_atomically(Path(out_dir), placements, school_rows, homes, run_info, lotteries)
    return PlaceResult(
        placements,
        school_rows,
        homes,
        sorted(set(warnings)),
        problems,
        [{k: v for k, v in d.items() if k != "_files"} for d in lotteries],
        run_info,
    )


# ----------------------------------------------------------------------------- distances
_DISTANCE_TEXT = {
    "euclidean": "euclidean (straight line, local UTM)",
    "network": (
        "network (shortest path along the base map's streets; homes and schools join the street "
        "graph at its nearest node, densified every 25 m, with a straight access leg; pairs with "
        "no path fall back to the straight line, noted in the trace)"
    ),
}


def _distance_kind(settings: Settings) -> str:
    kind = str(getattr(settings, "distance", "euclidean") or "euclidean")
    if kind not in _DISTANCE_TEXT:
        raise InputError(
            f"距离类型应为 euclidean 或 network，实际“{kind}” (Settings.distance / --distance)"
        )
    return kind


def _distance_matrix(ids, school_ids, rows, index, kind, streets):
    """Metres child × school; ``inf`` where a location is unknown.  Also the fallback pairs.

    ``network``: :func:`~geo_enroll.placement.allocate.network_distance_matrix` on the street
    layer, never shorter than the straight line (node coordinates are rounded to 1 mm); a pair
    on separate street components gets the straight line and is returned in the fallback list.
    """
    eu = np.array(
        [[index.school_distance(rows[i]["xy"], s) for s in school_ids] for i in ids], dtype=float
    ).reshape(len(ids), len(school_ids))
    if kind == "euclidean":
        return eu, []
    import geopandas as gpd
    from shapely.geometry import Point

    from .allocate import network_distance_matrix

    kids = [k for k, i in enumerate(ids) if rows[i]["xy"] is not None]
    cols = [j for j, s in enumerate(school_ids) if s in index.school_xy]
    dist = eu.copy()
    if not kids or not cols:
        return dist, []
    homes = gpd.GeoSeries([Point(rows[ids[k]]["xy"]) for k in kids], crs=index.crs)
    schools = gpd.GeoSeries([Point(index.school_xy[school_ids[j]]) for j in cols], crs=index.crs)
    net = network_distance_matrix(homes, schools, streets)
    sub = eu[np.ix_(kids, cols)]
    ok = np.isfinite(net)
    dist[np.ix_(kids, cols)] = np.where(ok, np.maximum(net, sub), sub)
    fallback = [
        (ids[kids[a]], school_ids[cols[b]])
        for a, b in zip(*np.nonzero(~ok & np.isfinite(sub)), strict=True)
    ]
    return dist, fallback


# ----------------------------------------------------------------------------- allocation
def _allocate_level(st, sc, dist, rows, *, seed, numbers, level):
    """One level: zone stage, multi-school lotteries, overflow.  Returns (results, draws).

    Without multi-school applicants this is :func:`~geo_enroll.placement.allocate.allocate`.
    With them (children whose zone is a ``multi_school`` zone of two or more schools):

    1. the other children go through the zone stage alone (deferred acceptance on their
       preference and zone schools, every seat available);
    2. each multi-school group draws its children onto the seats its schools have left
       (:func:`geo_enroll.placement.lottery.draw`: published SHA-256 of the sorted applicants
       and seats, seed from the public numbers, order by tier then SHA-256 key; each child's
       志愿 = the preferred school if it is in the group, then the group's schools nearest
       first);
    3. everyone still without a seat is placed by relative proximity on the seats left
       (:func:`~geo_enroll.placement.allocate.assign_min_cost`).
    """
    from .allocate import allocate

    multi = {
        i: rows[i]["multi"]
        for i in st.index
        if rows[i].get("multi")
        and (st.at[i, "preference"] is None or st.at[i, "preference"] in rows[i]["multi"][1])
    }
    if not multi:
        return allocate(st, sc, dist, seed=seed), []
    pos = {i: k for k, i in enumerate(st.index)}
    col = {s: j for j, s in enumerate(sc.index)}
    left = sc["seats"].astype(int).to_dict()
    out = pd.DataFrame(
        {
            "school_id": None,
            "status": "no_seat",
            "stage": "overflow",
            "distance_m": np.nan,
            "full_schools": [() for _ in st.index],
        },
        index=st.index,
    )
    # 1. zone stage of the other children (distances only to the schools they ask for)
    others = [i for i in st.index if i not in multi]
    if others:
        rows_o = [pos[i] for i in others]
        masked = np.full((len(others), len(sc)), np.inf)
        for a, i in enumerate(others):
            for s in (st.at[i, "preference"], *st.at[i, "zone_schools"]):
                if s is not None and s in col:
                    masked[a, col[s]] = dist[rows_o[a], col[s]]
        first = allocate(st.loc[others], sc, masked, seed=seed)
        for i, rec in first.iterrows():
            if rec["status"] == "placed":
                out.loc[i, ["school_id", "status", "stage", "distance_m"]] = [
                    rec["school_id"],
                    "placed",
                    rec["stage"],
                    rec["distance_m"],
                ]
                left[rec["school_id"]] -= 1
            out.at[i, "full_schools"] = tuple(rec["full_schools"])
    # 2. one lottery per multi-school group, on the seats left
    draws = []
    for gid in sorted({g for g, _ in multi.values()}):
        kids = sorted(i for i, (g, _) in multi.items() if g == gid)
        schools = [s for s in sorted(multi[kids[0]][1]) if s in col]
        d = _lottery(gid, kids, schools, st, dist, pos, col, left, rows, numbers, seed, level)
        for sid_, school in d.pop("_placed").items():
            if school:
                out.loc[sid_, ["school_id", "status", "stage", "distance_m"]] = [
                    school,
                    "placed",
                    "lottery",
                    float(dist[pos[sid_], col[school]]),
                ]
                left[school] -= 1
            else:
                out.at[sid_, "full_schools"] = tuple(
                    sorted(schools, key=lambda s: (dist[pos[sid_], col[s]], s))
                )
        draws.append(d)
    # 3. overflow by relative proximity on the seats left
    rest = [i for i in st.index if out.at[i, "status"] != "placed"]
    if rest:
        st3 = st.loc[rest].copy()
        st3["zone_schools"] = [() for _ in rest]
        st3["preference"] = None
        sc3 = sc.assign(seats=[max(int(left[s]), 0) for s in sc.index])
        third = allocate(st3, sc3, dist[[pos[i] for i in rest]], seed=seed)
        for i, rec in third.iterrows():
            full = tuple(dict.fromkeys((*out.at[i, "full_schools"], *rec["full_schools"])))
            out.loc[i, ["school_id", "status", "stage", "distance_m"]] = [
                rec["school_id"],
                rec["status"],
                "overflow",
                rec["distance_m"],
            ]
            out.at[i, "full_schools"] = tuple(s for s in full if s != rec["school_id"])
    return out, draws


def _lottery(gid, kids, schools, st, dist, pos, col, left, rows, numbers, seed, level):
    """Draw one multi-school group (published hash + public numbers), recorded for the outputs."""
    from . import lottery as lot

    apps = pd.DataFrame(
        {
            "student_id": kids,
            "group": gid,
            "tier": [int(st.at[i, "tier"]) for i in kids],
            "choices": [_lottery_choices(i, schools, st, dist, pos, col) for i in kids],
            "unit": [rows[i].get("unit") or "" for i in kids],
        }
    )
    seats_df = pd.DataFrame(
        {"school": schools, "group": gid, "seats": [max(int(left[s]), 0) for s in schools]}
    )
    rehearsal = not numbers
    nums = [int(seed)] if rehearsal else list(numbers)
    res = lot.draw(apps, seats_df, nums)
    placed = dict(zip(res.table["student_id"], res.table["school"], strict=True))
    order = dict(zip(res.table["student_id"], res.table["order"], strict=True))
    info = {
        "group": gid,
        "level": level,
        "schools": schools,
        "applicants": len(kids),
        "seats_left": int(seats_df["seats"].sum()),
        "inputs_sha256": res.inputs_sha256,
        "numbers": list(res.numbers),
        "rehearsal": rehearsal,
        "seed": res.seed,
        "result_sha256": res.meta["result_sha256"],
        "placed": int(sum(1 for v in placed.values() if v)),
    }
    for i in kids:
        rows[i]["lottery"] = dict(info, order=int(order[i]), of=len(kids))
    buf_a, buf_s = io.StringIO(), io.StringIO()
    apps.to_csv(buf_a, index=False, lineterminator="\n")
    seats_df.to_csv(buf_s, index=False, lineterminator="\n")
    info["_files"] = {
        "inputs.txt": lot.canonical_inputs(apps, seats_df),
        "result.csv": res.to_csv_bytes(),
        "draw.json": (json.dumps(res.meta, ensure_ascii=False, indent=2) + "\n").encode(),
        "applicants.csv": buf_a.getvalue().encode("utf-8"),
        "seats.csv": buf_s.getvalue().encode("utf-8"),
    }
    info["_placed"] = placed
    return info


def _lottery_choices(i, schools, st, dist, pos, col) -> str:
    """志愿 of a multi-school child: the preferred school if in the group, then nearest first."""
    pref = st.at[i, "preference"]
    near = sorted(schools, key=lambda s: (dist[pos[i], col[s]], s))
    ordered = ([pref] if pref in schools else []) + [s for s in near if s != pref]
    return "|".join(ordered)


# ----------------------------------------------------------------------------- helpers
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


def _complete_school_points(points, by_id, spec, gazetteer):
    """School points from the base map; missing schools geocoded by name (recorded)."""
    import geopandas as gpd
    from shapely.geometry import Point

    rows = []
    have = set()
    if points is not None and len(points):
        pts = points.to_crs("EPSG:4326")
        for sid, g in zip(pts["school_id"], pts.geometry, strict=True):
            if str(sid) in by_id and g is not None and not g.is_empty and str(sid) not in have:
                have.add(str(sid))
                rows.append({"school_id": str(sid), "geometry": g})
    juris = str((spec.get("policy") or {}).get("jurisdiction") or "")
    for sid, s in sorted(by_id.items()):
        if sid in have:
            continue
        for q in _school_queries(s, juris):
            try:
                r = gazetteer.geocode(q)
            except Exception:  # a geocoder refusing a query is not fatal here
                continue
            if r.get("lon") is not None and r.get("level") in _USABLE_LEVELS:
                rows.append({"school_id": sid, "geometry": Point(r["lon"], r["lat"])})
                break
    return gpd.GeoDataFrame(
        rows, columns=["school_id", "geometry"], geometry="geometry", crs="EPSG:4326"
    )


def _school_queries(school: dict, juris: str) -> list[str]:
    qs = [juris + str(school.get("name") or "")]
    for z in school.get("zones") or []:
        for u in z.get("units") or []:
            qs.append(juris + str(u.get("township") or "") + str(u.get("name") or ""))
    return qs


def _geocode_all(el: pd.DataFrame, gazetteer) -> dict:
    texts = set()
    for opts in el["address_options"]:
        for o in opts:
            texts.add(o["address"])
            if o.get("other"):
                texts.add(o["other"])
    texts = sorted(t for t in texts if t)
    out = {}
    for t in texts:
        try:
            r = gazetteer.geocode(t)
        except Exception as exc:  # GeocodeError/AddressError: the address is unresolved
            r = {"input": t, "lon": None, "lat": None, "level": None, "reason": str(exc)}
        r = dict(r)
        r.setdefault("input", t)
        out[t] = r
    return out


def _none(v):
    """None for missing values (pandas turns None into NaN in object columns)."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return v


def _usable(g: dict) -> bool:
    return g is not None and g.get("lon") is not None and g.get("level") in _USABLE_LEVELS


def _resolve_one(sid, rec, geo, index, by_id, spec) -> dict:
    """Which address is used, the zone/optional schools, the tier, and the trace so far."""
    level = rec["level"]
    steps = list(rec["decisions"])
    r = {
        "level": level,
        "status": rec["status"],
        "rule": rec["rule"],
        "tier": "",
        "zone_schools": (),
        "optional_schools": (),
        "preference": None,
        "priority_key": rec["priority_key"],
        "xy": None,
        "lonlat": None,
        "steps": steps,
        "zone_rule": "",
        "basis": "",
        "twin_group": _none(rec.get("twin_group")) or "",
    }
    non_local = _non_local(rec, spec)
    note = _materials_note(spec, non_local, passed=rec["rule"] != "materials") if non_local else ""
    if note and rec["rule"] == "materials":
        steps.append(note)
    if rec["status"]:
        return r
    if note:
        steps.append(note)
    options = rec["address_options"]
    used = None
    first_point = None
    matched = []
    for o in options:
        g = geo.get(o["address"])
        if not _usable(g):
            lv = (g or {}).get("level") or "无"
            steps.append(f"{o['label']}无法定位到可用精度（匹配级别：{lv}），不能用于划片")
            continue
        if first_point is None and g.get("level") != "township":
            first_point = (o, g)  # too coarse to place by proximity when only a township
        basis = "property_in_zone" if o["basis"] == "property_in_zone" else "hukou"
        cand = candidate_schools(g, level, index=index, basis=basis)
        if o["basis"] == "hukou_property_agree":
            g2 = geo.get(o.get("other") or "")
            c2 = candidate_schools(g2, level, index=index) if _usable(g2) else {"zone": []}
            a = {m["school_id"] for m in cand["zone"]}
            b = {m["school_id"] for m in c2["zone"]}
            if not a or a != b:
                steps.append("户籍地址与房产地址不属于同一学校划片，不按户籍房产一致对待")
                continue
            steps.append("户籍地址与房产地址属同一学校划片，按“房产证明和户口簿”统一对待")
        if not cand["zone"]:
            steps.append(f"{o['label']}（匹配级别：{g.get('level')}）不在本学段任何学校的划片内")
            continue
        matched.append((o, g, cand))
    if matched:
        used = _choose_option(matched, steps)
    if used is None and first_point is None:
        r.update(status="unresolved_address", rule="unresolved_address")
        steps.append("没有能定位的地址，无法派位；请核对地址后重新提交")
        return r
    if used is None:  # located but in no zone: placed by relative proximity, lowest tier
        o, g = first_point
        tier = max((x["tier"] for x in options), default=1) + 1
        r.update(zone_schools=(), zone_rule="no_zone", basis=o["basis"])
        steps.append(f"使用{o['label']}，不在任何划片内，按相对就近统筹安排")
        cand = {"zone": [], "optional": [], "warnings": [], "xy": index.project(g["lon"], g["lat"])}
    else:
        o, g, cand = used
        tier = o["tier"]
        m = cand["zone"][0]
        names = "、".join(
            _sname(by_id, x["school_id"]) for x in cand["zone"] if not x.get("fallback")
        )
        backup = [_sname(by_id, x["school_id"]) for x in cand["zone"] if x.get("fallback")]
        if backup:
            names += "（备选：" + "、".join(backup) + "）"
        src = m.get("source") or {}
        line = f"第{src.get('line')}行" if src.get("line") else "政策"
        steps.append(f"使用{o['label']}划片（定位级别：{g.get('level')}）")
        steps.append(
            f"适用规则{m['rule_id']}（{m['label']}，{line}：“{_short(src.get('text'))}”）"
            f"：划片学校{names}"
        )
        steps.extend(cand.get("warnings") or [])
        r.update(
            zone_schools=tuple(x["school_id"] for x in cand["zone"]),
            zone_rule=m["rule_id"],
            basis=o["basis"],
        )
        main = [x for x in cand["zone"] if not x.get("fallback")]
        if len(main) >= 2 and all(x["kind"] == "multi_school" for x in main):
            r["multi"] = (
                min(x["rule_id"] for x in main),
                tuple(sorted(x["school_id"] for x in main)),
            )
            r["multi_rules"] = {x["school_id"]: x["rule_id"] for x in main}
            steps.append("多校划片：同一片区多所学校，学位由电脑派位（公示哈希、现场摇号）确定")
    optional = [x["school_id"] for x in cand.get("optional") or []]
    if rec["free_choice"]:
        optional += [s for s, v in sorted(by_id.items()) if v.get("level") in (level, "nine_year")]
    optional = tuple(dict.fromkeys(s for s in optional if s not in r["zone_schools"]))
    if optional:
        steps.append("可选学校：" + "、".join(_sname(by_id, s) for s in optional))
    pref = _none(rec["preference"])
    sibling = _none(rec["sibling_school"])
    allowed = set(r["zone_schools"]) | set(optional)
    if pref is not None and pref != sibling and pref not in allowed:
        steps.append(f"志愿学校{_sname(by_id, pref)}不在划片或可选范围内，不予考虑")
        pref = None
    if pref is None and sibling and sibling not in allowed:
        pref = sibling
    if non_local and o["basis"] == "actual_residence" and not rec["priority"]:
        tier = int(tier) + 1
        steps.append(
            f"{non_local}：按实际居住地址，排在同一地址依据的本地户籍（含按本地户籍对待）儿童之后"
        )
    if rec["priority"]:
        tier = 0
    code = str(g.get("village_code") or g.get("code") or "")
    name = str((g.get("matched") or {}).get("village") or "")
    r["unit"] = f"{code} {name}".strip()
    r.update(
        tier=int(tier),
        optional_schools=optional,
        preference=pref,
        xy=cand.get("xy"),
        lonlat=(g["lon"], g["lat"]),
    )
    if o["basis"] == "property_in_zone" and rec.get("_property_date"):
        r["priority_key"] = rec["_property_date"]
    bumped = non_local and tier and o["basis"] == "actual_residence"
    label = _tier_text(int(tier), o["basis"]) + (f"（{non_local}）" if bumped else "")
    steps.append(f"录取层级：第{int(tier)}层（{label}）")
    return r


def _non_local(rec, spec: dict) -> str:
    """The child's non-local category (非本市户籍, 随迁子女…) when not treated as local, else ``""``.

    The same test as the eligibility step: a category of ``MIGRANT_CATEGORIES`` and none of
    ``policy.eligibility.treated_as_local``.
    """
    cats = tuple(rec.get("categories") or ())
    local = set(((spec.get("policy") or {}).get("eligibility") or {}).get("treated_as_local") or ())
    if set(cats) & local:
        return ""
    return next((c for c in cats if c in MIGRANT_CATEGORIES), "")


def _materials_note(spec: dict, category: str, *, passed: bool) -> str:
    """The material check of a non-local child, citing the policy's material sentences.

    Sentences of ``policy.eligibility.source`` that mention 材料 and 非本市户籍 / 随迁 / 居住证
    (延庆 lines 65, 73, 79: 在延务工就业材料、在延实际住所居住材料、全家户口簿、北京市居住证);
    ``""`` when the policy lists none (the eligibility step has said what it could).
    """
    el = (spec.get("policy") or {}).get("eligibility") or {}
    found = [
        src
        for src in el.get("source") or []
        if "材料" in str(src.get("text"))
        and any(k in str(src.get("text")) for k in ("非本市户籍", "随迁", "居住证"))
    ]
    if not found:
        return ""
    state = "已通过" if passed else "未通过，不予派位"
    lines = "、".join(str(src.get("line")) for src in found)
    detail = next((src for src in found if "居住证" in str(src.get("text"))), found[0])
    return (
        f"{category}材料审核{state}，依据政策第{lines}行"
        f"（第{detail.get('line')}行：“{_short(detail.get('text'), 60)}”）"
    )


def _choose_option(matched: list, steps: list):
    """The address that counts among those that fall in a zone (spec order), with one rule:

    a property address where the family actually lives (实际居住地址 = 房产地址: the policy asks
    for 实际入住佐证) is used ahead of a hukou address whose zone school differs (农村户籍、城区有房);
    the other addresses' zone schools stay as fallbacks of the zone stage.
    """
    chosen = matched[0]
    for m in matched[1:]:
        o = m[0]
        if o["basis"] == "property_in_zone" and o.get("lives_here"):
            a = {x["school_id"] for x in chosen[2]["zone"]}
            b = {x["school_id"] for x in m[2]["zone"]}
            if a != b:
                steps.append(
                    "实际居住在房产地址（需实际入住佐证），按房产地址划片，户籍地址划片学校作为备选"
                )
                chosen = m
            break
    fallbacks = []
    for m in matched:
        if m is not chosen:
            fallbacks += [x for x in m[2]["zone"] if x["school_id"] not in fallbacks]
    if fallbacks:
        known = {x["school_id"] for x in chosen[2]["zone"]}
        extra = [dict(x, fallback=True) for x in fallbacks if x["school_id"] not in known]
        chosen = (chosen[0], chosen[1], dict(chosen[2], zone=list(chosen[2]["zone"]) + extra))
    return chosen


def _tier_text(tier: int, basis: str) -> str:
    if tier == 0:
        return "优待/残疾儿童优先"
    return BASIS_LABELS.get(basis, basis)


def _short(text, n: int = 40) -> str:
    t = " ".join(str(text or "").split())
    return t if len(t) <= n else t[: n - 1] + "…"


def _sname(by_id, sid) -> str:
    return str((by_id.get(sid) or {}).get("name") or sid)


def _tables(rows, results, seats, by_id, kind="euclidean"):
    fill = {}
    for sid_, res in results.items():
        school_ = _none(res["school_id"])
        if school_ is not None:
            key = (school_, rows[sid_]["level"])
            fill[key] = fill.get(key, 0) + 1
    seat_of = {}
    for s, lv, n in zip(seats["school_id"], seats["level"], seats["seats"], strict=True):
        seat_of[(s, lv)] = int(n)
    twins = {}
    for sid, r in rows.items():
        if r["twin_group"] and sid in results:
            twins.setdefault((r["twin_group"], r["level"]), []).append(
                _none(results[sid]["school_id"])
            )
    out_rows = []
    over_in, over_out = {}, {}
    for sid in sorted(rows):
        r = rows[sid]
        steps = list(r["steps"])
        school, dist, rule, status = "", "", r["rule"], r["status"]
        if sid in results:
            res = results[sid]
            status = res["status"]
            school = _none(res["school_id"]) or ""
            lv = r["level"]
            full = [s for s in res["full_schools"]]
            full_txt = "、".join(
                f"{_sname(by_id, s)}（{seat_of.get((s, lv), 0)}个学位已满）" for s in full
            )
            own = r["zone_schools"][0] if r["zone_schools"] else None
            lot = r.get("lottery")
            if lot:
                steps.append(
                    f"电脑派位（多校划片{lot['group']}：{'、'.join(_sname(by_id, x) for x in lot['schools'])}，"
                    f"剩余学位{lot['seats_left']}个，{lot['applicants']}人参加）：公示哈希"
                    f"{lot['inputs_sha256'][:12]}…，现场数字{'、'.join(map(str, lot['numbers']))}"
                    + ("（演练：未提供现场摇号数字，以 --seed 代替）" if lot["rehearsal"] else "")
                    + f"，派位顺序第{lot['order']}/{lot['of']}名；志愿按就近"
                    + ("（沿街道距离）" if kind == "network" else "（直线距离）")
                    + "排序"
                )
            if res["stage"] in ("zone", "preference"):
                what = "志愿学校" if res["stage"] == "preference" else "划片学校"
                rule = r["zone_rule"] if res["stage"] == "zone" else "preference"
                steps.append(f"在{what}{_sname(by_id, school)}学位内录取")
            elif res["stage"] == "lottery":
                rule = (r.get("multi_rules") or {}).get(school, r["zone_rule"])
                steps.append(f"派位录取到{_sname(by_id, school)}（多校划片）")
            elif status == "placed" and not own:
                rule = "no_zone"
                steps.append("不在任何划片内，按相对就近原则安排到尚有学位的学校")
            elif status == "placed":
                rule = "overflow"
                over_in[(school, lv)] = over_in.get((school, lv), 0) + 1
                steps.append("划片学校学位不足，按相对就近原则安排")
            if status == "placed":
                n = seat_of.get((school, lv), 0)
                steps.append(
                    f"{_sname(by_id, school)}共{n}个{_LEVEL_ZH[lv]}学位，最终录取"
                    f"{fill.get((school, lv), 0)}人"
                )
                dist = f"{res['distance_m']:.0f}" if np.isfinite(res["distance_m"]) else ""
                if full:
                    steps.append("更近或所申请但已满的学校：" + full_txt)
                how = "沿街道" if kind == "network" else "直线"
                if school in (r.get("no_path") or ()):
                    how = "直线"
                    steps.append(
                        f"底图街道上住址与{_sname(by_id, school)}之间没有通路，"
                        "该距离按直线计 (no street path: straight line)"
                    )
                if res["stage"] == "overflow":
                    steps.append(f"安排到{_sname(by_id, school)}（{how}{dist}米）")
            else:
                rule = "no_seat"
                steps.append(
                    "已满的学校："
                    + (full_txt or "无可用学校")
                    + "；暂无学位，由教育行政部门统筹安排"
                )
            if own and school != own and (res["stage"] == "overflow" or status != "placed"):
                over_out[(own, lv)] = over_out.get((own, lv), 0) + 1
        group = twins.get((r["twin_group"], r["level"]))
        if group and len(group) > 1:
            together = len(set(group)) == 1 and group[0] is not None
            steps.append(
                "双胞胎/多胞胎已安排在同一学校"
                if together
                else "双胞胎/多胞胎未能安排在同一学校（学位所限），请教育行政部门统筹"
            )
        steps.append(
            f"结果：{_status_zh(status)}" + (f"（{_sname(by_id, school)}）" if school else "")
        )
        out_rows.append(
            {
                "student_id": sid,
                "level": r["level"],
                "school": school,
                "status": status,
                "rule": rule,
                "tier": "" if r["tier"] == "" else str(r["tier"]),
                "distance_m": dist,
                "trace": "；".join(f"{k}. {s}" for k, s in enumerate(steps, start=1)),
            }
        )
    placements = pd.DataFrame(out_rows, columns=PLACEMENT_COLUMNS)
    srows = []
    for s, lv, n in zip(seats["school_id"], seats["level"], seats["seats"], strict=True):
        placed = int(((placements["school"] == s) & (placements["level"] == lv)).sum())
        srows.append(
            {
                "school": s,
                "level": lv,
                "seats": int(n),
                "placed": placed,
                "overflow_in": over_in.get((s, lv), 0),
                "overflow_out": over_out.get((s, lv), 0),
            }
        )
    school_df = pd.DataFrame(srows, columns=SCHOOL_COLUMNS).sort_values(["level", "school"])
    return placements, school_df.reset_index(drop=True)


def _status_zh(status: str) -> str:
    return {
        "placed": "已派位",
        "ineligible": "不符合本次派位条件",
        "deferred": "缓学",
        "unresolved_address": "地址无法定位",
        "no_seat": "暂无学位",
    }.get(status, status)


def _homes(rows, results, index, placements):
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    recs = []
    status = dict(zip(placements["student_id"], placements["status"], strict=True))
    school = dict(zip(placements["student_id"], placements["school"], strict=True))
    for sid in sorted(rows):
        r = rows[sid]
        if r["lonlat"] is None:
            continue
        recs.append(
            {
                "student_id": sid,
                "level": r["level"],
                "status": status[sid],
                "school": school[sid],
                "tier": int(r["tier"]) if r["tier"] != "" else -1,
                "stage": (results.get(sid) or {}).get("stage") or "",
                "geometry": Point(r["lonlat"]),
            }
        )
    homes = gpd.GeoDataFrame(
        recs,
        columns=["student_id", "level", "status", "school", "tier", "stage", "geometry"],
        geometry="geometry",
        crs="EPSG:4326",
    )
    homes.attrs["school_lonlat"] = _school_lonlat(index)
    homes.attrs["lines"] = [
        {
            "student_id": h["student_id"],
            "level": h["level"],
            "school": h["school"],
            "geometry": LineString(
                [h["geometry"], Point(homes.attrs["school_lonlat"][h["school"]])]
            ),
        }
        for h in recs
        if h["stage"] == "overflow" and h["school"] in homes.attrs["school_lonlat"]
    ]
    return homes


def _school_lonlat(index) -> dict:
    if not index.school_xy:
        return {}
    from pyproj import Transformer

    t = Transformer.from_crs(index.crs, "EPSG:4326", always_xy=True)
    return {s: tuple(round(v, 8) for v in t.transform(*xy)) for s, xy in index.school_xy.items()}


_OUTPUT_FILES = {"placements.csv", "schools.csv", "run.json", "placements.gpkg", "lottery"}


def _check_out_dir(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier run's outputs."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError(f"输出路径 {out_dir} 是一个文件，应为目录 (output must be a folder)")
        other = sorted(p.name for p in out_dir.iterdir() if p.name not in _OUTPUT_FILES)
        if other:
            raise InputError(
                f"输出目录 {out_dir} 已有其他文件，不会覆盖 (output folder holds other files; "
                "choose an empty or new folder)",
                problems=other[:10],
            )


def _write_atomically(out_dir: Path, placements, school_rows, homes, run_info, draws=()) -> None:
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        placements.to_csv(tmp / "placements.csv", index=False, lineterminator="\n")
        school_rows.to_csv(tmp / "schools.csv", index=False, lineterminator="\n")
        (tmp / "run.json").write_text(
            json.dumps(run_info, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        _write_gpkg(tmp / "placements.gpkg", homes, school_rows)
        for d in draws:  # lottery/<group>/: what `geo-enroll lottery verify` re-runs
            folder = tmp / "lottery" / d["group"]
            folder.mkdir(parents=True)
            for name, data in sorted(d["_files"].items()):
                (folder / name).write_bytes(data)
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_gpkg(path: Path, homes, school_rows) -> None:
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import Point

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        h = homes.copy()
        h.attrs = {}
        h.to_file(path, layer="homes", driver="GPKG")
        lines = gpd.GeoDataFrame(
            homes.attrs.get("lines") or [],
            columns=["student_id", "level", "school", "geometry"],
            geometry="geometry",
            crs="EPSG:4326",
        )
        lines.to_file(path, layer="overflow", driver="GPKG")
        ll = homes.attrs.get("school_lonlat") or {}
        sc = school_rows[school_rows["school"].isin(list(ll))].copy()
        sc = gpd.GeoDataFrame(sc, geometry=[Point(ll[s]) for s in sc["school"]], crs="EPSG:4326")
        sc.to_file(path, layer="schools", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
