"""No n × m matrix on the placement path (issue 13, target 6).

The costs of a ``place`` level are read a block of rows or a list of arcs at a time
(:func:`geo_enroll.placement.distance.distance_costs`); the allocator permutes, filters and
masks them lazily.  Checked two ways: the outputs of a run are byte-identical to the same run
fed the dense matrix, and the peak memory of a 200 000 × 500 level stays far below the
800 MB such a matrix would take (below even an n × m boolean mask on top of the
per-child tables).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from geo_enroll.placement import run
from geo_enroll.placement.distance import distance_costs
from geo_enroll.placement.multischool import allocate_level

from .test_taipusi import cohort, inputs  # noqa: F401  (module fixtures)


def _dense_costs(monkeypatch):
    """Make ``place`` build the whole n × m matrix from the same costs (the reference)."""
    built = []

    def dense(*args, **kwargs):
        costs, fallback = distance_costs(*args, **kwargs)
        matrix = costs.rows(np.arange(costs.shape[0]))
        built.append(matrix.shape)
        return matrix, fallback

    monkeypatch.setattr(run, "distance_costs", dense)
    return built


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_toy_outputs_are_byte_identical_to_the_dense_matrix_run(
    toy, toy_table, tmp_path, monkeypatch
):
    run.place(toy_table, seed=7, out_dir=tmp_path / "blocks", **toy)
    built = _dense_costs(monkeypatch)
    run.place(toy_table, seed=7, out_dir=tmp_path / "dense", **toy)
    assert built  # the reference really ran on a dense matrix
    a, b = _files(tmp_path / "blocks"), _files(tmp_path / "dense")
    assert sorted(a) == sorted(b) and "placements.csv" in a
    assert a == b


def test_taipusi_outputs_are_byte_identical_to_the_dense_matrix_run(
    cohort,  # noqa: F811
    inputs,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    run.place(cohort, seed=7, out_dir=tmp_path / "blocks", **inputs)
    built = _dense_costs(monkeypatch)
    run.place(cohort, seed=7, out_dir=tmp_path / "dense", **inputs)
    assert [shape for shape in built if shape[0] > 100]
    a, b = _files(tmp_path / "blocks"), _files(tmp_path / "dense")
    placements = pd.read_csv(tmp_path / "blocks" / "placements.csv", dtype=str)
    assert (placements["rule"] == "overflow").any()  # the overflow solver was exercised
    assert a == b


class _Index:
    crs = "EPSG:32650"

    def __init__(self, school_xy):
        self.school_xy = school_xy


def test_a_200k_by_500_level_never_holds_an_n_by_m_matrix():
    n, m = 200_000, 500
    rng = np.random.default_rng(13)
    schools = [f"S{j:03d}" for j in range(m)]
    school_xy = {
        s: (float(x), float(y))
        for s, (x, y) in zip(schools, rng.uniform(0, 3e4, (m, 2)), strict=True)
    }
    ids = [f"c{i:06d}" for i in range(n)]
    xy = rng.uniform(0, 3e4, (n, 2))
    rows = {i: {"xy": (float(x), float(y))} for i, (x, y) in zip(ids, xy, strict=True)}
    zone = rng.integers(0, m, n)
    zone[:100] = 0  # school S000 gets far more children than seats: a real overflow stage
    st = pd.DataFrame(
        {
            "level": "primary",
            "tier": rng.integers(0, 3, n),
            "zone_schools": [(schools[z],) for z in zone],
            "optional_schools": [()] * n,
            "preference": None,
            "priority_key": "",
        },
        index=pd.Index(ids, name="student_id"),
    )
    seats = np.bincount(zone, minlength=m) + 3
    seats[0] = 10
    sc = pd.DataFrame(
        {"level": "primary", "seats": seats}, index=pd.Index(schools, name="school_id")
    )
    tracemalloc.start()
    try:
        costs, _ = distance_costs(ids, schools, rows, _Index(school_xy), "euclidean", None)
        out, draws = allocate_level(st, sc, costs, rows, seed=7, numbers=None, level="primary")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dense = n * m * 8
    assert peak < dense / 4, f"peak {peak / 1e6:.0f} MB vs a dense matrix of {dense / 1e6:.0f} MB"
    # and the answer is a real placement: one row each, seats kept, overflow to a school with room
    assert draws == [] and len(out) == n and out.index.equals(st.index)
    placed = out[out["status"] == "placed"]
    assert len(placed) == n  # seats exceed children
    assert (placed["school_id"].value_counts().reindex(schools, fill_value=0) <= seats).all()
    over = placed[placed["stage"] == "overflow"]
    assert len(over) > 0 and (over["school_id"] != "S000").all()
    # each overflow child's distance is its straight line to the school given
    row_of = {i: k for k, i in enumerate(ids)}
    at = [row_of[i] for i in over.index[:50]]
    cols = [schools.index(s) for s in over["school_id"][:50]]
    expect = np.hypot(*(xy[at] - np.array([school_xy[schools[c]] for c in cols])).T)
    assert np.allclose(over["distance_m"][:50].to_numpy(float), expect)


def _homes_row_by_row(rows, results, index, placements):
    """The reference: the homes layer built one row (one shapely Point, one line) at a time."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from geo_enroll.placement.outputs import _school_lonlat

    status = dict(zip(placements["student_id"], placements["status"], strict=True))
    school = dict(zip(placements["student_id"], placements["school"], strict=True))
    ll = _school_lonlat(index)
    recs = [
        {
            "student_id": sid,
            "level": rows[sid]["level"],
            "status": status[sid],
            "school": school[sid],
            "tier": int(rows[sid]["tier"]) if rows[sid]["tier"] != "" else -1,
            "stage": (results.get(sid) or {}).get("stage") or "",
            "geometry": Point(rows[sid]["lonlat"]),
        }
        for sid in sorted(rows)
        if rows[sid]["lonlat"] is not None
    ]
    homes = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    lines = [
        (
            h["student_id"],
            h["level"],
            h["school"],
            LineString([h["geometry"], Point(ll[h["school"]])]),
        )
        for h in recs
        if h["stage"] == "overflow" and h["school"] in ll
    ]
    return homes, lines


def test_homes_layer_equals_the_row_by_row_build():
    from geo_enroll.placement.outputs import homes_layer

    rng = np.random.default_rng(3)
    n = 3000
    ids = [f"c{i:05d}" for i in rng.permutation(n)]
    rows = {
        sid: {
            "lonlat": None if k % 17 == 0 else tuple(rng.uniform([115, 41.5], [116, 42.2])),
            "level": ("primary", "middle")[k % 2],
            "tier": "" if k % 13 == 0 else int(k % 4),
        }
        for k, sid in enumerate(ids)
    }
    stages = ("zone", "overflow", "preference", "lottery", None)
    results = {sid: {"stage": stages[k % 5]} for k, sid in enumerate(ids) if k % 11}
    schools = ["A", "B", "C", ""]  # C has no known place; "" = not placed
    placements = pd.DataFrame(
        {
            "student_id": ids,
            "status": ["placed" if k % 7 else "no_seat" for k in range(n)],
            "school": [schools[k % 4] for k in range(n)],
        }
    )
    index = _Index({"A": (520_000.0, 4_640_000.0), "B": (530_500.5, 4_650_000.25)})
    got = homes_layer(rows, results, index, placements)
    ref, ref_lines = _homes_row_by_row(rows, results, index, placements)
    assert list(got.columns) == list(ref.columns) and got.crs == ref.crs
    assert got.drop(columns="geometry").equals(ref.drop(columns="geometry"))
    assert got.geometry.geom_equals_exact(ref.geometry, tolerance=0).all()
    lines = got.attrs["lines"]
    assert len(lines) == len(ref_lines) > 0
    for a, (sid, level, school, geom) in zip(lines, ref_lines, strict=True):
        assert (a["student_id"], a["level"], a["school"]) == (sid, level, school)
        assert a["geometry"].equals_exact(geom, tolerance=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_allocate_gives_the_same_answer_from_a_matrix_or_a_cost_source(seed):
    """``allocate`` on ``EuclideanCosts`` (rows only, no ``pairs``) equals it on the matrix."""
    from geo_enroll.placement.allocate import allocate
    from geo_enroll.placement.exact import EuclideanCosts

    rng = np.random.default_rng(seed)
    n, m = 300, 7
    kids, sch = rng.uniform(0, 5000, (n, 2)), rng.uniform(0, 5000, (m, 2))
    schools = [f"S{j}" for j in range(m)]
    st = pd.DataFrame(
        {
            "level": rng.choice(["primary", "middle"], n),
            "tier": rng.integers(0, 3, n),
            "zone_schools": [(schools[z],) for z in rng.integers(0, m, n)],
            "optional_schools": [()] * n,
            "preference": [schools[p] if p < m else None for p in rng.integers(0, 2 * m, n)],
            "priority_key": "",
        },
        index=pd.Index([f"c{i:03d}" for i in rng.permutation(n)], name="student_id"),
    )
    sc = pd.DataFrame(
        {
            "level": rng.choice(["primary", "middle", "nine_year"], m),
            "seats": rng.integers(10, 40, m),
        },
        index=pd.Index(schools, name="school_id"),
    )
    costs = EuclideanCosts(kids, sch)
    lazy = allocate(st, sc, costs, seed=seed)
    dense = allocate(st, sc, costs.rows(np.arange(n)), seed=seed)
    assert (lazy["status"] == "placed").any() and (lazy["stage"] == "overflow").any()
    pd.testing.assert_frame_equal(lazy, dense)
