"""Placements and lottery simulations of a stored cohort, as the JSON the store keeps.

:func:`place` runs ``geo_enroll.placement.run.place`` on a version's zones and a cohort's rows;
:func:`simulate` draws the placement's multi-school lotteries with
``geo_enroll.placement.lottery.simulate``.  Both answer plain dicts (school names and ids side
by side) that analysts' and staff's runs store and planners' previews compare.
"""

from __future__ import annotations

from collections.abc import Callable

from geo_enroll import impact
from geo_enroll.placement.lottery import simulate as lottery_simulate
from geo_enroll.placement.run import place as run_place

from .context import DEFAULT_CONTEXT, Context, gazetteer, school_maps, school_points, seat_table

__all__ = ["Progress", "place", "lottery_inputs", "simulate", "seat_use"]


Progress = Callable[[float], None]

_ROW_EXTRA = ("student_id", "lon", "lat", "level", "synthetic")


def _run_place(
    cohort: list[dict],
    *,
    spec: dict,
    zones: dict,
    seed: int,
    ctx: Context,
    progress: Progress | None = None,
):
    """The engine's placement of a stored cohort (rows as dicts) on a version's zones;
    ``progress`` gets the engine's fraction done after each of its steps."""
    import pandas as pd

    table = pd.DataFrame([{k: v for k, v in r.items() if k not in _ROW_EXTRA} for r in cohort])
    return run_place(
        table,
        spec=spec,
        zones=impact.zones_frame(zones),
        gazetteer=gazetteer(ctx),
        schools=seat_table(spec, ctx),
        school_points=school_points(ctx),
        seed=int(seed),
        progress=progress,
    )


def _scaled(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """``progress`` for a part of the work that spans ``lo``..``hi`` of the whole.

    >>> seen = []
    >>> _scaled(seen.append, 0.0, 0.5)(0.5); seen
    [0.25]
    """
    if progress is None:
        return None
    return lambda f: progress(lo + (hi - lo) * min(max(float(f), 0.0), 1.0))


def place(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    seed: int = 7,
    progress: Progress | None = None,
    ctx: Context = DEFAULT_CONTEXT,
) -> dict:
    """Place every applicant; ``{"placements": [...], "schools": [...], "engine": ...}``."""
    progress = progress or (lambda f: None)
    progress(0.02)
    out = _run_place(
        cohort, spec=spec, zones=zones, seed=seed, ctx=ctx, progress=_scaled(progress, 0.02, 0.97)
    )
    homes = {}
    if out.homes is not None and len(out.homes):
        homes = {
            str(sid): [round(g.x, 7), round(g.y, 7)]
            for sid, g in zip(out.homes["student_id"], out.homes.geometry, strict=True)
        }
    by_id = school_maps(spec)[0]
    lonlat = {
        (by_id.get(k) or {}).get("name", k): [float(v[0]), float(v[1])]
        for k, v in (getattr(out.homes, "attrs", {}).get("school_lonlat") or {}).items()
    }
    res = {
        "placements": _records(out.placements),
        "schools": _records(out.schools),
        "warnings": list(out.warnings),
        "homes": homes,
        "school_lonlat": lonlat,
        "engine": "geo_enroll.placement.run",
    }
    progress(1.0)
    return _named(res, spec)


def _named(res: dict, spec: dict) -> dict:
    """Placements and school rows carry both ``school`` (the name) and ``school_id``."""
    by_id, by_name = school_maps(spec)

    def fix(row: dict) -> dict:
        key = row.get("school") or ""
        school = by_id.get(key) or by_name.get(key)
        if school is not None:
            row["school_id"], row["school"] = school.get("id"), school.get("name")
        else:
            row.setdefault("school_id", "")
        return row

    res["placements"] = [fix(dict(p)) for p in res.get("placements", [])]
    res["schools"] = [fix(dict(p)) for p in res.get("schools", [])]
    for row in res["schools"]:
        for k in ("seats", "placed", "overflow_in", "overflow_out"):
            if row.get(k) not in (None, ""):
                row[k] = int(row[k])
    return res


def _records(obj) -> list[dict]:
    if hasattr(obj, "to_dict"):
        obj = obj.fillna("").to_dict(orient="records") if hasattr(obj, "fillna") else obj.to_dict()
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in obj]


def _num(v):
    """A JSON-safe number (NaN → None, numpy → Python)."""
    if v is None:
        return None
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v != v:
        return None
    return v


def lottery_inputs(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    seed: int = 7,
    ctx: Context = DEFAULT_CONTEXT,
    progress: Progress | None = None,
):
    """The placement's multi-school lotteries and the inputs each one draws from.

    Returns ``(PlaceResult, [(info, applicants, seats), ...])``: per group the engine's
    ``lotteries`` entry and its applicant table (``student_id, group, tier, choices, unit``:
    the children whose zone is that ``multi_school`` zone, tier from eligibility, choices = the
    preferred school if in the group, then the group's schools nearest first) and seat table
    (``school, group, seats``: the seats the group's schools have left after the single-school
    zones).

    The tables are ``PlaceResult.lottery_tables`` of ``geo_enroll.placement.run.place`` (the
    DataFrames the draw read, also written as ``lottery/<group>/applicants.csv`` and
    ``seats.csv``), so the simulation uses exactly what the placement draws; nothing is written.
    """
    out = _run_place(cohort, spec=spec, zones=zones, seed=seed, ctx=ctx, progress=progress)
    groups = []
    for info in out.lotteries:
        apps, seats = out.lottery_tables[info["group"]]
        groups.append((info, apps.copy(), seats.copy()))
    return out, groups


def simulate(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    draws: int = 200,
    seed: int = 7,
    progress: Progress | None = None,
    ctx: Context = DEFAULT_CONTEXT,
) -> dict:
    """Monte-Carlo of the multi-school lotteries (多校划片电脑派位) of a placement.

    The placement is run once (seed ``seed``) to find who is in each multi-school zone, with
    which tier and 志愿 and how many seats the zone's schools have left
    (:func:`lottery_inputs`); each group is then drawn ``draws`` times with
    ``geo_enroll.placement.lottery.simulate``: per unit (village/community) the probability of
    each school (``""`` = no seat in the draw: placed later by relative proximity), per school
    its mean fill, the chance it fills up and the tier of the last child admitted.

    Returns ``{"groups", "units" (with lon/lat: the mean home of the unit's children),
    "schools", "placement", "draws", "seed", "engine", "note"}``.
    """
    progress = progress or (lambda f: None)
    progress(0.02)
    out, groups = lottery_inputs(
        spec=spec,
        zones=zones,
        cohort=cohort,
        seed=seed,
        ctx=ctx,
        progress=_scaled(progress, 0.02, 0.5),
    )
    progress(0.5)
    # the draws: each group's share of the rest in proportion to its work (applicants × draws)
    work = [max(len(apps), 1) for _info, apps, _seats in groups]
    done = 0
    by_id = school_maps(spec)[0]

    def name(sid: str) -> str:
        return (by_id.get(sid) or {}).get("name") or sid

    homes: dict[str, tuple] = {}
    if out.homes is not None and len(out.homes):
        homes = {
            str(sid): (g.x, g.y)
            for sid, g in zip(out.homes["student_id"], out.homes.geometry, strict=True)
        }
    res_groups, units, schools = [], [], []
    for k, (info, apps, seats) in enumerate(groups):
        lo, hi = 0.5 + 0.49 * done / sum(work), 0.5 + 0.49 * (done + work[k]) / sum(work)
        probs, fill = lottery_simulate(
            apps, seats, draws=int(draws), seed=int(seed), progress=_scaled(progress, lo, hi)
        )
        done += work[k]
        res_groups.append(
            {
                "group": info["group"],
                "level": info.get("level"),
                "school_ids": list(info.get("schools") or []),
                "schools": [name(x) for x in info.get("schools") or []],
                "applicants": int(info.get("applicants") or len(apps)),
                "seats_left": int(info.get("seats_left") or 0),
                "inputs_sha256": info.get("inputs_sha256"),
            }
        )
        where: dict[str, list] = {}
        for sid, unit in zip(apps["student_id"], apps["unit"], strict=True):
            if sid in homes:
                where.setdefault(unit, []).append(homes[sid])
        for unit, part in probs.groupby("unit", sort=True):
            pts = where.get(unit) or []
            p = {
                name(r.school): round(float(r.probability), 4)
                for r in part.itertuples()
                if r.school
            }
            none = float(part.loc[part["school"] == "", "probability"].sum())
            units.append(
                {
                    "group": info["group"],
                    "level": info.get("level"),
                    "unit": str(unit),
                    "applicants": int(part["applicants"].iloc[0]),
                    "lon": round(sum(x for x, _ in pts) / len(pts), 7) if pts else None,
                    "lat": round(sum(y for _, y in pts) / len(pts), 7) if pts else None,
                    "p": p,
                    "p_no_seat": round(none, 4),
                }
            )
        for r in fill.to_dict("records"):
            schools.append(
                {
                    "school": name(r["school"]),
                    "school_id": r["school"],
                    "group": r["group"],
                    "level": info.get("level"),
                    "seats": int(r["seats"]),
                    "mean_placed": round(float(r["mean_placed"]), 2),
                    "fill_rate": _num(round(float(r["fill_rate"]), 4)),
                    "p_full": round(float(r["p_full"]), 4),
                    "last_tier_mode": _num(r["last_tier_mode"]),
                    "last_tier_share": round(float(r["last_tier_share"]), 4),
                    "last_tier_max": _num(r["last_tier_max"]),
                }
            )
    counts: dict[str, int] = {}
    for st in out.placements["status"]:
        counts[str(st)] = counts.get(str(st), 0) + 1
    progress(1.0)
    return {
        "groups": res_groups,
        "units": units,
        "schools": schools,
        "placement": {"status": counts, "seed": int(seed)},
        "draws": int(draws),
        "seed": int(seed),
        "engine": "geo_enroll.placement.lottery.simulate (inputs: the placement's lottery tables)",
        "note": None
        if groups
        else "本版本没有儿童落在多校划片内：派位不经电脑派位，无需模拟 (no child is in a "
        "multi-school zone: the placement draws no lottery, there is nothing to simulate)",
    }


def seat_use(spec: dict, placement: dict | None, ctx: Context = DEFAULT_CONTEXT) -> list[dict]:
    """Seats and placed children per school (placed 0 without a placement run)."""
    return impact.seat_balance(spec, seat_table(spec, ctx), (placement or {}).get("schools"))
