"""The compiled transport solver (``geo_enroll/placement/_transport_ext.c``) on its own.

Random cases, many of them with ties (distances rounded to 100 m), closed arcs (``inf``), sites
carrying several children and seats from too few to plenty: the solver's total must equal one
OR-Tools min-cost flow on the full graph, every site's children placed, no school over its seats;
where the seats cannot take everyone it must say so.  Started from other potentials (a coarser
county's, or noise) it must reach the same total.  Through ``exact.solve`` its answers are
compared with the reference in ``test_exact.py`` / ``test_exact_sites.py`` (the "transport"
path); here also the optimality check that guards it: a wrong answer is an error.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from geo_enroll.errors import AllocationError
from geo_enroll.placement import exact

EXT = exact._transport_ext()
pytestmark = pytest.mark.skipif(
    EXT is None and os.environ.get("GEO_ENROLL_NO_EXT") == "1",
    reason="GEO_ENROLL_NO_EXT=1: the compiled solver is not built on purpose",
)


def _ext():
    assert EXT is not None, "geo_enroll/placement/_transport_ext.c is not built (scripts/setup.sh)"
    return EXT


def _reference(rows, count, seats):
    """Least total (None when the seats cannot take everyone): one flow on every arc."""
    from ortools.graph.python import min_cost_flow

    n, m = rows.shape
    solver = min_cost_flow.SimpleMinCostFlow()
    ii, jj = np.nonzero(np.isfinite(rows))
    solver.add_arcs_with_capacity_and_unit_cost(
        ii.astype(np.int32), (n + jj).astype(np.int32), count[ii], rows[ii, jj].astype(np.int64)
    )
    solver.add_arcs_with_capacity_and_unit_cost(
        (n + np.arange(m)).astype(np.int32),
        np.full(m, n + m, dtype=np.int32),
        np.maximum(seats, 0),
        np.zeros(m, dtype=np.int64),
    )
    supply = np.zeros(n + m + 1, dtype=np.int64)
    supply[:n] = count
    supply[-1] = -count.sum()
    solver.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supply)
    if solver.solve() != solver.OPTIMAL:
        return None
    return solver.optimal_cost()


def _case(rng):
    n, m = int(rng.integers(1, 70)), int(rng.integers(1, 10))
    xy, sxy = rng.uniform(0, 1000, (n, 2)), rng.uniform(0, 1000, (m, 2))
    rows = np.rint(np.hypot(*(xy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)))
    if rng.random() < 0.4:
        rows = np.floor(rows / 100) * 100  # many equal distances
    if rng.random() < 0.3:
        rows[rng.random((n, m)) < 0.3] = np.inf
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    many = rng.random() < 0.5
    count = rng.integers(1, 5, n) if many else np.ones(n, dtype=np.int64)
    count = count.astype(np.int64)
    seats = rng.integers(0, 3 * int(count.sum()) // m + 2, m).astype(np.int64)
    return rows, count, seats


def _run(rows, count, seats, *args):
    n, m = rows.shape
    site, school, units, pot, *_ = _ext().transport(rows, count, seats, n, m, *args)
    return (*(np.frombuffer(b, dtype=np.int64) for b in (site, school, units, pot)),)


def _checked_total(rows, count, seats, site, school, units):
    n, m = rows.shape
    assert (units > 0).all()
    assert np.array_equal(np.bincount(site, units, minlength=n), count)
    assert (np.bincount(school, units, minlength=m) <= seats).all()
    assert np.isfinite(rows[site, school]).all()
    return int((rows[site, school].astype(np.int64) * units).sum())


def _feasible(rng, tries: int):
    """(rows, count, seats, reference total) of the cases among ``tries`` whose seats take
    every child."""
    for _ in range(tries):
        rows, count, seats = _case(rng)
        want = _reference(rows, count, seats)
        if want is not None:
            yield rows, count, seats, want


@pytest.mark.parametrize("seed", range(4))
def test_the_least_total_of_the_full_graph(seed):
    rng = np.random.default_rng(seed)
    solved = infeasible = 0
    for _ in range(120):
        rows, count, seats = _case(rng)
        want = _reference(rows, count, seats)
        if want is None:
            with pytest.raises(ValueError, match="cannot take|no allowed school"):
                _run(rows, count, seats)
            infeasible += 1
            continue
        got = _checked_total(rows, count, seats, *_run(rows, count, seats)[:3])
        assert got == want
        solved += 1
    assert solved > 60 and infeasible > 3  # both kinds were tested


@pytest.mark.parametrize("step,top", [(1, 2), (2, 6), (3, 8), (5, 30)])
def test_every_scale_schedule_gives_the_optimum(step, top):
    """Cost scaling only saves work: from every first scale and step, the same total."""
    for rows, count, seats, want in _feasible(np.random.default_rng(11), 40):
        got = _checked_total(rows, count, seats, *_run(rows, count, seats, step, top)[:3])
        assert got == want


def test_any_start_potentials_give_the_optimum():
    """Potentials from a coarser county, zero, or noise: only the work changes."""
    rng = np.random.default_rng(5)
    for rows, count, seats, want in _feasible(rng, 60):
        n, m = rows.shape
        own = _run(rows, count, seats)[3]
        for start in (
            own,
            np.zeros(m + 1, dtype=np.int64),
            own + rng.integers(-300, 300, m + 1),
            rng.integers(-5000, 5000, m + 1),
        ):
            got = _checked_total(rows, count, seats, *_run(rows, count, seats, 3, 8, start)[:3])
            assert got == want


def test_deterministic():
    rng = np.random.default_rng(9)
    rows, count, seats = _case(rng)
    while _reference(rows, count, seats) is None:
        rows, count, seats = _case(rng)
    a, b = _run(rows, count, seats), _run(rows, count, seats)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_bad_input_is_an_error_not_a_crash():
    rows = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="rows"):
        _ext().transport(rows, np.ones(3, dtype=np.int64), np.ones(2, dtype=np.int64), 3, 3)
    with pytest.raises(ValueError, match="seats"):
        _ext().transport(rows, np.ones(3, dtype=np.int64), np.ones(3, dtype=np.int64), 3, 2)
    closed = np.full((1, 2), np.inf, dtype=np.float32)
    with pytest.raises(ValueError, match="no allowed school"):
        _ext().transport(closed, np.ones(1, dtype=np.int64), np.ones(2, dtype=np.int64), 1, 2)


def test_the_optimality_check_rejects_a_worse_answer():
    """The guard in ``exact._solve_transport``: a feasible but not optimal answer (two
    children swapped) fails the conditions on every arc."""
    rows = np.array([[0, 10], [10, 0]], dtype=np.float32)
    count, seats = np.ones(2, dtype=np.int64), np.ones(2, dtype=np.int64)
    site, school, units = np.array([0, 1]), np.array([1, 0]), np.ones(2, dtype=np.int64)
    cost = rows[site, school].astype(np.int64)
    load = np.ones(2, dtype=np.int64)
    least = lambda price: exact._least(rows, price)  # noqa: E731
    with pytest.raises(AllocationError, match="not optimal"):
        exact._check_transport(count, seats, site, school, units, cost, np.zeros(2), load, least)
    exact._check_transport(count, seats, school, school, units, cost * 0, np.zeros(2), load, least)


def test_cell_rows_are_the_mean_rows():
    """The coarser county's rows (a guess): each cell's children's mean, rounded."""
    rng = np.random.default_rng(2)
    n, m, cells = 300, 7, 40
    rows = np.ascontiguousarray(rng.integers(0, 20_000, (n, m)), dtype=np.float32)
    rows[5, 3] = np.inf  # a site not allowed there: its cell is not either
    cell = rng.integers(0, cells, n).astype(np.int64)
    cell[:cells] = np.arange(cells)  # every cell has a site
    count = rng.integers(1, 6, n).astype(np.int64)
    got = np.frombuffer(_ext().cell_rows(rows, cell, count, n, m, cells), dtype=np.float32)
    got = got.reshape(cells, m)
    total = np.zeros((cells, m))
    np.add.at(total, cell, rows.astype(np.float64) * count[:, None])
    want = total / np.bincount(cell, count, minlength=cells)[:, None]
    assert np.isinf(got[cell[5], 3]) and np.isinf(want[cell[5], 3])
    fin = np.isfinite(want)
    assert np.abs(got[fin] - np.rint(want[fin])).max() <= 1  # float sums: a metre at most
    with pytest.raises(ValueError, match="cell"):
        _ext().cell_rows(rows, cell + cells, count, n, m, cells)


def test_straight_lines_in_c_are_numpys_whole_metres():
    """The solver's own metres (``least_xy``, and the costs of a county too large to hold)
    equal ``rint`` of :class:`EuclideanCosts` rows, halves to even included."""
    rng = np.random.default_rng(4)
    kids = np.vstack(
        [
            rng.uniform(0, 60_000, (400, 2)),
            [[0.0, 0.0], [1.5, 2.0], [3.5, 0.0], [0.0, 4.5], [10.25, 0.0]],  # 2.5, 3.5, 4.5, …
        ]
    )
    sch = np.vstack([rng.uniform(0, 60_000, (6, 2)), [[0.0, 0.0]]])
    closed = np.zeros(len(sch), dtype=np.uint8)
    closed[2] = 1
    price = rng.integers(-500, 500, len(sch)).astype(np.float64)
    rows = np.rint(exact.EuclideanCosts(kids, sch).rows(np.arange(len(kids))))
    rows[:, 2] = np.inf
    want = (rows + price).min(axis=1)
    got = _ext().least_xy(kids, sch, closed, price, len(kids), len(sch))
    assert np.array_equal(np.frombuffer(got, dtype=np.float64), want)


@pytest.mark.parametrize("sites", [10**9, 30])
def test_a_county_too_large_to_hold_solved_from_coordinates(sites):
    """Rows not held (``_HELD_CELLS`` 0): the solver computes the straight lines itself (and
    with ``sites`` 30, starts from coarser counties of grid cells); the same optimum."""
    from geo_enroll.placement.allocate import EuclideanCosts, assign_min_cost

    from .test_exact import _case, _check, _path, _reference

    taken = []
    solve_xy = exact._solve_transport_xy

    def counted(*args):
        taken.append(True)
        return solve_xy(*args)

    exact._solve_transport_xy = counted
    try:
        for seed, n, m, ratio in ((0, 150, 7, 0.9), (1, 200, 9, 1.1), (2, 120, 6, 0.6)):
            cost, seats, order, kids, sch = _case(seed, n, m, ratio, 0.0)
            seated, total = _reference(cost, seats, order)
            points = EuclideanCosts(kids.astype(float), sch.astype(float))
            with _path(0, held=False, _TRANSPORT=True, _TRANSPORT_SITES=sites):
                got = assign_min_cost(points, seats, order=order)
            _check(cost, seats, got, seated, total)
    finally:
        exact._solve_transport_xy = solve_xy
    assert len(taken) == 3  # the path was taken every time


def test_rows_from_coordinates_in_c_are_numpys_and_hashed_whole():
    """``xy_rows`` (the sites' rows and their hashes in one C pass): the held float32 rows
    equal ``rint`` of :class:`EuclideanCosts` rows (halves to even, closed schools ``inf``),
    rows equal as whole metres hash equal (also two points 0.1 m apart), and ``fits`` says
    when a metre reaches the limit (float32 would not hold it exactly)."""
    rng = np.random.default_rng(9)
    kids = np.vstack(
        [
            rng.uniform(0, 60_000, (300, 2)),
            [[0.0, 0.0], [1.5, 2.0], [3.5, 0.0], [0.0, 4.5], [10.25, 0.0], [10.35, 0.0]],
        ]
    )
    sch = np.vstack([rng.uniform(0, 60_000, (9, 2)), [[0.0, 0.0]]])
    closed = np.zeros(len(sch), dtype=np.uint8)
    closed[[2, 5]] = 1
    n, m = len(kids), len(sch)
    want = np.rint(exact.EuclideanCosts(kids, sch).rows(np.arange(n))).astype(np.float32)
    want[:, closed.astype(bool)] = np.inf
    out = np.empty((n, m), dtype=np.float32)
    h, fits = _ext().xy_rows(kids, sch, closed, n, m, exact._EXACT32 - 1, out)
    assert fits and np.array_equal(out, want)
    h = np.frombuffer(h, dtype=np.uint64)
    same = (want[:, None, :] == want[None, :, :]).all(axis=2)
    assert np.array_equal(h[:, None] == h[None, :], same)
    assert same[-1, -2] and not same[-3, -2]  # 10.25 and 10.35 m: one row; 4.5 m apart: not
    alone = _ext().xy_rows(kids, sch, closed, n, m, 1e9)[0]  # no rows: the same hashes
    assert np.array_equal(np.frombuffer(alone, dtype=np.uint64), h)
    assert not _ext().xy_rows(kids, sch, closed, n, m, float(want[np.isfinite(want)].max()))[1]
    with pytest.raises(ValueError, match="wrong size"):
        _ext().xy_rows(kids, sch, closed, n, m, 1e9, np.empty((n, m - 1), dtype=np.float32))
    with pytest.raises(ValueError, match="wrong size"):
        _ext().xy_rows(kids, sch, closed, n + 1, m, 1e9)


@pytest.mark.parametrize("spread", [60_000.0, 2.0e7])
def test_sites_from_coordinates_in_c_equal_numpys(spread):
    """:func:`exact._sites` on coordinates: the compiled pass gives the same sites (numbered
    by their first child), source rows and held rows as the NumPy pass — with points at the
    same place, points of identical whole-metre rows at different places, closed schools,
    and (``spread`` 2e7 m) metres too large to hold as float32 (no rows held either way)."""
    from geo_enroll.placement.allocate import EuclideanCosts

    rng = np.random.default_rng(3)
    base = rng.uniform(0, spread, (40, 2))
    kids = base[rng.integers(0, 40, 400)] + rng.choice([0.0, 0.01, 0.3], (400, 1))
    sch = rng.uniform(0, spread, (12, 2))
    closed = np.zeros(12, dtype=bool)
    closed[4] = True
    costs = EuclideanCosts(kids, sch)
    rows = rng.permutation(400)
    got = exact._sites(costs, rows, closed, True)
    xy_rows = exact._xy_rows
    exact._xy_rows = lambda *a: None
    try:
        want = exact._sites(costs, rows, closed, True)
        plain = exact._sites(costs, rows, closed, False)
    finally:
        exact._xy_rows = xy_rows
    assert len(np.unique(got[0])) < len(np.unique(exact._point_numbers(kids)))  # merged some
    for a, b in ((got, want), (got, plain)):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert (a[2] is None) == (b[2] is None) == (spread > 1e6)
        assert a[2] is None or np.array_equal(a[2], b[2])
