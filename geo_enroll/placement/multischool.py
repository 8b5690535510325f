"""Multi-school zones (多校划片): the zone stage, one recorded lottery per group, then overflow.

Children whose zone is one ``multi_school`` zone of two or more schools are drawn by a recorded
lottery (电脑派位, :mod:`geo_enroll.placement.lottery`) onto the seats those schools have left
after the single-school zones: published SHA-256 of the sorted applicants and seats, seed from
the numbers drawn in public (``lottery_numbers``; without them a rehearsal seeded by ``seed``
and recorded as such), order by tier then SHA-256 key, 志愿 = preferred school in the group,
then the group's schools nearest first.  Those left without a seat go to the overflow stage
(:func:`allocate_level`).  A multi-school child whose preferred school is outside the group is
placed like a single-zone child (preference, then the group's schools nearest first).

Each draw is returned as a record (the ``lotteries`` of ``run.json``) with private keys the run
consumes: ``_placed`` (child → school or ``""``), ``_tables`` (the applicant and seat
DataFrames drawn from) and ``_files`` (the bytes of ``lottery/<group>/``).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from .exact import ArcCosts, CostView, pair_costs

__all__ = ["allocate_level"]


def allocate_level(st, sc, dist, rows, *, seed, numbers, level):
    """One level: zone stage, multi-school lotteries, overflow.  Returns (results, draws).

    ``dist``: metres child × school (rows as ``st``, columns as ``sc``), a matrix or a cost
    source read a block of rows or a list of arcs at a time
    (:func:`geo_enroll.placement.distance.distance_costs`): no n × m matrix is built here.

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
        ptr, cols = [0], []
        for i in others:
            asked = (st.at[i, "preference"], *st.at[i, "zone_schools"])
            cols += sorted({col[s] for s in asked if s is not None and s in col})
            ptr.append(len(cols))
        masked = ArcCosts(dist, [pos[i] for i in others], ptr, cols)
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
        # the group's arcs only: kid × group school, read once
        near = pair_costs(
            dist,
            np.repeat([pos[i] for i in kids], len(schools)),
            np.tile([col[s] for s in schools], len(kids)),
        ).reshape(len(kids), len(schools))
        gd = {i: dict(zip(schools, near[a].tolist(), strict=True)) for a, i in enumerate(kids)}
        d = _lottery(gid, kids, schools, st, gd, left, rows, numbers, seed, level)
        for sid_, school in d.pop("_placed").items():
            if school:
                out.loc[sid_, ["school_id", "status", "stage", "distance_m"]] = [
                    school,
                    "placed",
                    "lottery",
                    float(gd[sid_][school]),
                ]
                left[school] -= 1
            else:
                out.at[sid_, "full_schools"] = tuple(
                    sorted(schools, key=lambda s, g=gd[sid_]: (g[s], s))
                )
        draws.append(d)
    # 3. overflow by relative proximity on the seats left
    rest = [i for i in st.index if out.at[i, "status"] != "placed"]
    if rest:
        st3 = st.loc[rest].copy()
        st3["zone_schools"] = [() for _ in rest]
        st3["preference"] = None
        sc3 = sc.assign(seats=[max(int(left[s]), 0) for s in sc.index])
        third = allocate(st3, sc3, CostView(dist, row_of=[pos[i] for i in rest]), seed=seed)
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


def _lottery(gid, kids, schools, st, gd, left, rows, numbers, seed, level):
    """Draw one multi-school group (published hash + public numbers), recorded for the outputs."""
    from . import lottery as lot

    apps = pd.DataFrame(
        {
            "student_id": kids,
            "group": gid,
            "tier": [int(st.at[i, "tier"]) for i in kids],
            "choices": [_lottery_choices(i, schools, st, gd[i]) for i in kids],
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
    info["_tables"] = (apps, seats_df)
    return info


def _lottery_choices(i, schools, st, dist_to) -> str:
    """志愿 of a multi-school child: the preferred school if in the group, then nearest first."""
    pref = st.at[i, "preference"]
    near = sorted(schools, key=lambda s: (dist_to[s], s))
    ordered = ([pref] if pref in schools else []) + [s for s in near if s != pref]
    return "|".join(ordered)
