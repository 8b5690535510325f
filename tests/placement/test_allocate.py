"""Seat allocation: the exact core against brute force, and the invariants of the adapter."""

from __future__ import annotations

import contextlib
import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from geo_enroll.errors import AllocationError, CRSError
from geo_enroll.placement import exact
from geo_enroll.placement.allocate import (
    allocate,
    assign_greedy,
    assign_min_cost,
    euclidean_distance_matrix,
    network_distance_matrix,
    priority_order,
    total_distance,
)


# ----------------------------------------------------------------- brute force reference
def brute_force(cost: np.ndarray, seats, order):
    """Best assignment by enumeration: lexicographically most placed in `order`, then least
    total whole-metre distance.  Returns (placed indicator in order, total)."""
    n, m = cost.shape
    c = np.where(np.isfinite(cost), np.rint(np.where(np.isfinite(cost), cost, 0)), np.inf)
    best = None
    for combo in itertools.product(range(-1, m), repeat=n):
        load = np.bincount([j for j in combo if j >= 0], minlength=m)
        if (load > np.asarray(seats)).any():
            continue
        if any(j >= 0 and not np.isfinite(c[i, j]) for i, j in enumerate(combo)):
            continue
        placed = tuple(-int(combo[i] >= 0) for i in order)  # smaller = better (lexicographic)
        total = sum(c[i, j] for i, j in enumerate(combo) if j >= 0)
        key = (placed, total)
        if best is None or key < best:
            best = key
    return tuple(-p for p in best[0]), best[1]


def _rounded_total(cost, assignment):
    rows = np.flatnonzero(assignment >= 0)
    return float(np.rint(cost[rows, assignment[rows]]).sum())


@st.composite
def problems(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    values = st.one_of(st.integers(0, 40).map(float), st.just(np.inf))
    cost = np.array(draw(st.lists(values, min_size=n * m, max_size=n * m))).reshape(n, m)
    seats = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    order = draw(st.permutations(range(n)))
    return cost, seats, list(order)


@contextlib.contextmanager
def _sparse_path(full_arcs: int = 0):
    """Force the pricing path (small problems are otherwise solved on all arcs); with
    ``full_arcs`` > 0 the prices are first estimated on a sample solved on that many arcs."""
    saved = exact._FULL_ARCS
    exact._FULL_ARCS = full_arcs
    try:
        yield
    finally:
        exact._FULL_ARCS = saved


@settings(max_examples=150, deadline=None)
@given(problems(), st.booleans())
def test_min_cost_equals_brute_force(problem, sparse):
    cost, seats, order = problem
    with _sparse_path() if sparse else contextlib.nullcontext():
        got = assign_min_cost(cost, seats, order=order)
    placed, total = brute_force(cost, seats, order)
    assert tuple(int(got[i] >= 0) for i in order) == placed
    assert _rounded_total(cost, got) == total
    # feasibility of what was returned
    assert (np.bincount(got[got >= 0], minlength=len(seats)) <= np.asarray(seats)).all()
    assert all(np.isfinite(cost[i, j]) for i, j in enumerate(got) if j >= 0)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_sparse_start_is_still_exact(problem):
    """k=1 on the pricing path: the proof of optimality must still hold."""
    cost, seats, order = problem
    with _sparse_path():
        narrow = assign_min_cost(cost, seats, order=order, k=1)
    wide = assign_min_cost(cost, seats, order=order, k=64)
    assert _rounded_total(cost, narrow) == _rounded_total(cost, wide)
    assert ((narrow >= 0) == (wide >= 0)).all()


@settings(max_examples=60, deadline=None)
@given(problems())
def test_greedy_is_feasible_and_never_better(problem):
    cost, seats, order = problem
    greedy = assign_greedy(cost, seats, order=order)
    best = assign_min_cost(cost, seats, order=order)
    assert (np.bincount(greedy[greedy >= 0], minlength=len(seats)) <= np.asarray(seats)).all()
    if (greedy >= 0).sum() == (best >= 0).sum() and ((greedy >= 0) == (best >= 0)).all():
        assert _rounded_total(cost, greedy) >= _rounded_total(cost, best)


def test_identical_children_higher_priority_nearer():
    cost = np.array([[10.0, 50.0]] * 3)
    got = assign_min_cost(cost, [1, 2], order=[2, 0, 1])
    assert got[2] == 0 and got[0] == 1 and got[1] == 1


def test_min_cost_rejects_bad_input():
    with pytest.raises(AllocationError):
        assign_min_cost(np.array([[1.0, np.nan]]), [1, 1])
    with pytest.raises(AllocationError):
        assign_min_cost(np.array([[1.0, 2.0]]), [1])
    with pytest.raises(AllocationError):
        assign_min_cost(np.array([[1.0, 2.0]]), [1, -1])


def test_medium_random_instance_beats_or_ties_greedy():
    rng = np.random.default_rng(3)
    kids = rng.uniform(0, 5000, size=(400, 2))
    schools = rng.uniform(0, 5000, size=(12, 2))
    cost = np.hypot(*(kids[:, None, :] - schools[None, :, :]).transpose(2, 0, 1))
    seats = np.full(12, 35)
    with _sparse_path():
        best = assign_min_cost(cost, seats, k=2)
    with _sparse_path(full_arcs=2000):  # 400 × 12 > 2000: prices from a 40-child sample
        priced = assign_min_cost(cost, seats, k=2)
    full = assign_min_cost(cost, seats)
    assert _rounded_total(cost, best) == _rounded_total(cost, full)
    assert _rounded_total(cost, priced) == _rounded_total(cost, full)
    greedy = assign_greedy(cost, seats)
    assert (best >= 0).all() and (greedy >= 0).all()
    assert total_distance(cost, best)[0] <= total_distance(cost, greedy)[0]
    assert (np.bincount(best, minlength=12) <= seats).all()


# ----------------------------------------------------------------- DataFrame adapter
def _town(n=40, seed=0, seats=(8, 10, 12, 6)):
    """A toy level: n children on a 2 km square, 4 schools, zone school = nearest."""
    rng = np.random.default_rng(seed)
    kids = rng.uniform(0, 2000, size=(n, 2))
    sch = np.array([[500, 500], [1500, 500], [500, 1500], [1500, 1500]], dtype=float)
    dist = np.hypot(*(kids[:, None, :] - sch[None, :, :]).transpose(2, 0, 1))
    school_ids = ["A", "B", "C", "D"]
    zone = [(school_ids[int(np.argmin(r))],) for r in dist]
    ids = [f"s{i:03d}" for i in range(n)]
    students = pd.DataFrame(
        {
            "level": "primary",
            "tier": rng.integers(0, 3, n),
            "zone_schools": zone,
            "optional_schools": [()] * n,
            "preference": [None] * n,
            "priority_key": [f"2024-07-{d:02d}" for d in rng.integers(1, 28, n)],
        },
        index=pd.Index(ids, name="student_id"),
    )
    schools = pd.DataFrame(
        {"level": "primary", "seats": list(seats)}, index=pd.Index(school_ids, name="school_id")
    )
    return students, schools, dist


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_allocate_invariants(method):
    students, schools, dist = _town()
    out = allocate(students, schools, dist, seed=7, method=method)
    assert list(out.index) == list(students.index)
    load = out["school_id"].value_counts()
    for s, cnt in load.items():
        assert cnt <= schools.loc[s, "seats"]
    # 36 seats for 40 children: exactly 36 placed, the rest no_seat with every school full
    assert (out["status"] == "placed").sum() == min(len(students), schools["seats"].sum())
    nos = out[out["status"] == "no_seat"]
    assert all(set(f) == set(schools.index) for f in nos["full_schools"])
    # overflow children name the nearer full schools
    over = out[(out["stage"] == "overflow") & (out["status"] == "placed")]
    for sid, row in over.iterrows():
        i = students.index.get_loc(sid)
        j = schools.index.get_loc(row["school_id"])
        nearer = {schools.index[q] for q in range(4) if dist[i, q] < dist[i, j]}
        assert nearer <= set(row["full_schools"])
        assert students.loc[sid, "zone_schools"][0] in row["full_schools"]


def test_allocate_zone_stage_respects_priority():
    students, schools, dist = _town(seed=1)
    out = allocate(students, schools, dist, seed=7)
    order = priority_order(students, seed=7)
    rank = pd.Series(np.argsort(order), index=students.index)
    for school in schools.index:
        own = students[[z[0] == school for z in students["zone_schools"]]]
        got = out.loc[own.index]
        kept = rank[got.index[got["school_id"] == school]]
        bumped = rank[got.index[got["school_id"] != school]]
        if len(kept) and len(bumped):
            assert kept.max() < bumped.min()


def test_allocate_everyone_placed_when_seats_suffice():
    students, schools, dist = _town(seats=(15, 15, 15, 15))
    out = allocate(students, schools, dist, seed=7)
    assert (out["status"] == "placed").all()


def test_allocate_deterministic_and_order_independent():
    students, schools, dist = _town(seed=2)
    a = allocate(students, schools, dist, seed=11)
    b = allocate(students, schools, dist, seed=11)
    pd.testing.assert_frame_equal(a, b)
    perm = np.random.default_rng(0).permutation(len(students))
    sperm = np.random.default_rng(1).permutation(len(schools))
    c = allocate(students.iloc[perm], schools.iloc[sperm], dist[perm][:, sperm], seed=11).loc[
        students.index
    ]
    pd.testing.assert_frame_equal(a, c)


def test_allocate_overflow_optimal_not_worse_than_greedy():
    students, schools, dist = _town(n=60, seed=4, seats=(25, 5, 5, 25))
    opt = allocate(students, schools, dist, seed=3)
    gre = allocate(students, schools, dist, seed=3, method="greedy")
    assert set(opt.index[opt.status == "placed"]) == set(gre.index[gre.status == "placed"])
    assert opt["distance_m"].sum() <= gre["distance_m"].sum() + 1e-6


def test_allocate_preference_and_levels():
    students, schools, dist = _town(n=10, seats=(3, 3, 3, 3))
    students.loc["s000", ["preference", "tier", "priority_key"]] = ["D", 0, "0000"]
    schools.loc["C", "level"] = "middle"
    out = allocate(students, schools, dist, seed=1)
    assert out.loc["s000", "school_id"] == "D"
    assert out.loc["s000", "stage"] == "preference"
    assert "C" not in set(out["school_id"])


def test_allocate_reports_every_problem():
    students, schools, dist = _town(n=5)
    students.loc["s001", "zone_schools"] = ("Z",)
    students.loc["s002", "preference"] = "Y"
    with pytest.raises(AllocationError) as err:
        allocate(students, schools, dist, seed=1)
    text = str(err.value)
    assert "Z" in text and "Y" in text
    with pytest.raises(AllocationError):
        allocate(students, schools, dist[:, :2], seed=1)


# ----------------------------------------------------------------- distances
def test_euclidean_projects_geographic_and_checks_crs():
    a = gpd.GeoSeries([Point(115.9715, 40.46093)], crs=4326)
    b = gpd.GeoSeries([Point(115.9715, 40.47093)], crs=4326)
    d = euclidean_distance_matrix(a, b)
    assert 1100 < d[0, 0] < 1120  # 0.01° of latitude
    with pytest.raises(CRSError):
        euclidean_distance_matrix(a, b.to_crs(32650))


def test_network_distance_follows_streets():
    grid = [LineString([(0, y), (1000, y)]) for y in (0, 1000)] + [
        LineString([(x, 0), (x, 1000)]) for x in (0, 1000)
    ]
    streets = gpd.GeoSeries(grid, crs=32650)
    a = gpd.GeoSeries([Point(0, 0), Point(5000, 5000)], crs=32650)
    b = gpd.GeoSeries([Point(1000, 1000)], crs=32650)
    net = network_distance_matrix(a, b, streets)
    straight = euclidean_distance_matrix(a, b)
    assert net[0, 0] == pytest.approx(2000.0)
    assert net[0, 0] >= straight[0, 0]
    assert net[1, 0] >= straight[1, 0]  # far point: access leg + path


def test_costs_read_by_blocks_give_the_same_answers():
    """EuclideanCosts (rows computed a block at a time, no n × m matrix) = the dense matrix."""
    from geo_enroll.placement.allocate import EuclideanCosts

    rng = np.random.default_rng(11)
    kids = rng.uniform(0, 4000, size=(300, 2))
    sch = rng.uniform(0, 4000, size=(9, 2))
    points = EuclideanCosts(kids, sch)
    dense = points.rows(np.arange(300))
    seats = np.full(9, 30)  # 270 seats for 300 children: some left out
    order = rng.permutation(300)
    assert assign_greedy(points, seats, order=order).tolist() == (
        assign_greedy(dense, seats, order=order).tolist()
    )
    for sparse in (False, True):
        with _sparse_path() if sparse else contextlib.nullcontext():
            a = assign_min_cost(points, seats, order=order, k=2)
            b = assign_min_cost(dense, seats, order=order, k=2)
        assert _rounded_total(dense, a) == _rounded_total(dense, b)
        assert ((a >= 0) == (b >= 0)).all()
        assert (np.bincount(a[a >= 0], minlength=9) <= seats).all()
