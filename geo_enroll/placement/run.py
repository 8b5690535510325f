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
home → school, ``schools``) and ``run.json`` (seed, counts, warnings).

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
from .eligibility import BASIS_LABELS, assess_eligibility

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
    caps = dict(DEFAULT_SETTINGS.class_cap) | dict(pol.get("class_cap") or {})
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

    Returns
    -------
    PlaceResult
    """
    from .allocate import allocate

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
    rows = {sid: _resolve_one(sid, rec, geo, index, by_id) for sid, rec in el.iterrows()}

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

    results = {}
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
        dist = np.array(
            [[index.school_distance(rows[i]["xy"], s) for s in sc.index] for i in ids], dtype=float
        ).reshape(len(ids), len(sc))
        # a zone/preferred school whose location is unknown still has to be reachable
        for r_i, i in enumerate(ids):
            for s in (*st.at[i, "zone_schools"], st.at[i, "preference"]):
                if (
                    s is not None
                    and s in sc.index
                    and not np.isfinite(dist[r_i, sc.index.get_loc(s)])
                ):
                    dist[r_i, sc.index.get_loc(s)] = 0.0
        out = allocate(st, sc, dist, seed=int(seed))
        for i, rec in out.iterrows():
            results[i] = rec.to_dict()

    placements, school_rows = _tables(rows, results, seats, by_id)
    homes = _homes(rows, results, index, placements)
    run_info = {
        "seed": int(seed),
        "jurisdiction": (spec.get("policy") or {}).get("jurisdiction"),
        "year": (spec.get("policy") or {}).get("year"),
        "applicants": int(len(placements)),
        "status": {k: int(v) for k, v in sorted(placements["status"].value_counts().items())},
        "rows_marked_invalid": int((placements["rule"] == "invalid_row").sum()),
        "warnings": sorted(set(warnings)),
        "distance": "euclidean (straight line, local UTM)",
    }
    if out_dir is not None:
        _write_atomically(Path(out_dir), placements, school_rows, homes, run_info)
    return PlaceResult(placements, school_rows, homes, sorted(set(warnings)), problems)


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


def _resolve_one(sid, rec, geo, index, by_id) -> dict:
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
    if rec["status"]:
        return r
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
    if rec["priority"]:
        tier = 0
    r.update(
        tier=int(tier),
        optional_schools=optional,
        preference=pref,
        xy=cand.get("xy"),
        lonlat=(g["lon"], g["lat"]),
    )
    if o["basis"] == "property_in_zone" and rec.get("_property_date"):
        r["priority_key"] = rec["_property_date"]
    steps.append(f"录取层级：第{int(tier)}层（{_tier_text(int(tier), o['basis'])}）")
    return r


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


def _tables(rows, results, seats, by_id):
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
            if res["stage"] in ("zone", "preference"):
                what = "志愿学校" if res["stage"] == "preference" else "划片学校"
                rule = r["zone_rule"] if res["stage"] == "zone" else "preference"
                steps.append(f"在{what}{_sname(by_id, school)}学位内录取")
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
                if res["stage"] == "overflow":
                    steps.append(f"安排到{_sname(by_id, school)}（直线{dist}米）")
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


_OUTPUT_FILES = {"placements.csv", "schools.csv", "run.json", "placements.gpkg"}


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


def _write_atomically(out_dir: Path, placements, school_rows, homes, run_info) -> None:
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
