"""The exact solver per distinct cost row (site): children sharing a point solved together.

Real cohorts share address points (a village, a building), so the solver reads one row per
point, solves a flow with one supply node per distinct row and splits each node's seats among
its children nearest first in priority order.  Checked here, on random small cases with many
shared points, grid ties, tiers (seats short) and closed arcs:

* the points known from the source (``same_rows``) and the rows read child by child
  (``aggregate=False``), and a dense matrix (no points at all), give the *same assignment*
  on every solver path (one flow on every arc, pricing rounds, sampled prices);
* each is optimal: the seated children and the total equal a brute force on tiny cases and a
  full-graph reference (``test_exact._reference``) on larger ones;
* children with identical rows: the higher-priority one never has the farther school;
* the answer does not depend on the row order of the input.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geo_enroll.placement import exact
from geo_enroll.placement.allocate import assign_min_cost
from geo_enroll.placement.distance import euclidean_costs

from .test_exact import _check, _path, _reference

PATHS = (None, "levels", "pruned", "transport", 0, "sample")
# every arc; coarse to fine on the held rows (settled sites' arcs left out once the
# certificate is nearly met, or from the first round); rounds from the k nearest; sampled
# prices + rounds


def _shared_case(seed: int, n: int, m: int, points: int, ratio: float, closed: float):
    """Children on ``points`` grid points (200 m), schools on the grid, tiers, closed arcs.

    Returns (cost source with points, dense matrix, seats, priority order).  Closed arcs come
    from an allowed mask per group (as the allocator's levels do), so the source still knows
    which children share a row.
    """
    rng = np.random.default_rng(seed)
    at = rng.integers(0, 12, size=(points, 2)).astype(float) * 200.0
    kids = at[rng.integers(0, points, n)]
    sch = rng.integers(0, 12, size=(m, 2)).astype(float) * 200.0
    groups = 3
    group = rng.integers(0, groups, n)
    allowed = rng.random((groups, m)) >= closed
    source = exact.CostView(exact.EuclideanCosts(kids, sch), group=group, allowed=allowed)
    share = rng.gamma(2.0, size=m)
    seats = np.floor(share / share.sum() * n * ratio).astype(np.int64)
    tier = rng.integers(0, 3, n)
    order = np.lexsort((rng.random(n), tier))  # tier 0 first, random within a tier
    return source, source.rows(np.arange(n)), seats, order


SAMPLED = []  # the sampled price vectors of the "sample" path (checked: it is taken)


def _solve(cost, seats, order, path, *, aggregate=True, k=2):
    """``path``: None = one flow on every arc, "levels" = coarse to fine on the held rows
    ("pruned": the settled sites' other arcs left out from the first round), "transport" =
    the compiled transport solver on the held rows, 0 = rounds from
    the k nearest, "sample" = sampled prices (a sample of a tenth of the children on all its
    arcs), then rounds."""
    n, m = cost.shape
    full = {None: exact._FULL_ARCS, "sample": m * max(m, n // 10)}.get(path, 0)
    more = {"held": path in (None, "levels", "pruned", "transport")}
    if path == "pruned":
        more["_TAIL"] = 1
    if path == "transport":
        more["_TRANSPORT"] = True
    saved = exact._sample_prices

    def sampled(*args):
        price = saved(*args)
        SAMPLED.append(price is not None)
        return price

    exact._sample_prices = sampled
    saved_sites, exact._SAMPLE_SITES = exact._SAMPLE_SITES, 1  # a sample however many sites
    try:
        with _path(full, **more):
            return assign_min_cost(cost, seats, order=order, k=k, aggregate=aggregate)
    finally:
        exact._sample_prices = saved
        exact._SAMPLE_SITES = saved_sites


def _ties_kept(dense, got, order):
    """Children with identical whole-metre rows: in priority order, nearest school first."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    rounded = np.rint(dense)
    _, site = np.unique(np.where(np.isfinite(rounded), rounded, -1), axis=0, return_inverse=True)
    site = site.ravel()
    checked = 0
    for s in np.unique(site):
        kids = np.flatnonzero((site == s) & (got >= 0))
        kids = kids[np.argsort(rank[kids])]
        key = [(rounded[i, got[i]], got[i]) for i in kids]
        assert key == sorted(key)
        checked += len(kids) > 1 and len({got[i] for i in kids}) > 1
    return checked


SHARED = [
    # (seed, children, schools, points, seats / children, share of closed arcs)
    (0, 150, 8, 12, 0.8, 0.0),
    (1, 200, 9, 20, 1.0, 0.2),
    (2, 180, 10, 6, 1.1, 0.1),
    (3, 160, 7, 40, 0.6, 0.25),
    (4, 220, 12, 15, 0.95, 0.0),
]


@pytest.mark.parametrize("seed,n,m,points,ratio,closed", SHARED)
def test_sites_from_points_rows_or_matrix_give_the_same_optimal_assignment(
    seed, n, m, points, ratio, closed
):
    source, dense, seats, order = _shared_case(seed, n, m, points, ratio, closed)
    seated, total = _reference(dense, seats, order)
    split = 0
    for path in PATHS:
        a = _solve(source, seats, order, path)  # one row read per point (and group)
        b = _solve(source, seats, order, path, aggregate=False)  # every child's row read
        c = _solve(dense, seats, order, path)  # a matrix: rows hashed, no points known
        assert np.array_equal(a, b) and np.array_equal(a, c)
        _check(dense, seats, a, seated, total)
        split += _ties_kept(dense, a, order)
    assert split  # some shared rows were split between two schools: the tie rule was tested


def test_the_sample_path_is_taken():
    SAMPLED.clear()
    source, dense, seats, order = _shared_case(1, 200, 9, 20, 1.0, 0.2)
    _solve(source, seats, order, "sample")
    assert SAMPLED == [True]


@pytest.mark.parametrize("seed", [0, 1])
def test_same_answer_whatever_the_row_order_with_shared_points(seed):
    source, dense, seats, order = _shared_case(seed + 10, 150, 8, 10, 0.9, 0.1)
    perm = np.random.default_rng(seed).permutation(len(dense))
    back = np.empty_like(perm)
    back[perm] = np.arange(len(perm))
    for path in PATHS:
        a = _solve(source, seats, order, path)
        shuffled = _solve(exact.CostView(source, row_of=perm), seats, back[order], path)
        assert np.array_equal(shuffled[back], a)


def _brute(cost, seats, order):
    """(seated mask, least total) by enumerating every assignment (tiny cases only)."""
    n, m = cost.shape
    options = [[-1] + [j for j in range(m) if np.isfinite(cost[i, j])] for i in range(n)]
    fits = []
    for a in itertools.product(*options):
        a = np.array(a)
        if (np.bincount(a[a >= 0], minlength=m) <= seats).all():
            fits.append(a)
    seated = np.zeros(n, dtype=bool)
    for i in order:  # a child is seated iff it fits with the ones seated before it
        seated[i] = True
        if not any((f[seated] >= 0).all() for f in fits):
            seated[i] = False
    rounded = np.rint(cost)
    best = min(
        int(rounded[np.flatnonzero(seated), f[seated]].sum())
        for f in fits
        if np.array_equal(f >= 0, seated)
    )
    return seated, best


@pytest.mark.parametrize("seed", range(12))
def test_brute_force_optimum_with_shared_points(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(4, 7)), int(rng.integers(2, 4))
    source, dense, seats, order = _shared_case(seed + 100, n, m, 3, 0.0, 0.2)
    seats = rng.integers(0, 3, m)
    seated, total = _brute(dense, seats, order)
    for path in PATHS:
        for aggregate in (True, False):
            got = _solve(source, seats, order, path, aggregate=aggregate, k=1)
            _check(dense, seats, got, seated, total)


def test_sites_are_the_identical_rounded_rows():
    """Whatever finds them (points, a mask group, the hash of each row), the sites are exactly
    the classes of identical whole-metre rows, numbered by their first child."""
    source, dense, seats, _ = _shared_case(5, 300, 9, 25, 1.0, 0.3)
    rows = np.random.default_rng(0).permutation(300)
    closed = seats <= 0
    rounded = np.rint(dense[rows])
    rounded[:, closed] = np.inf
    _, naive = np.unique(np.where(np.isfinite(rounded), rounded, -1), axis=0, return_inverse=True)
    want, first = exact._first_order(naive.ravel())
    for aggregate in (True, False):
        for costs in (source, dense):
            site_of, rep, _ = exact._sites(exact.as_costs(costs), rows, closed, aggregate)
            assert np.array_equal(site_of, want) and np.array_equal(rep, rows[first])


def test_place_costs_share_rows_only_where_identical():
    """Homes at the same point share a row; an unknown place or a reach pair stands alone."""
    home = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 0.0], [np.nan, np.nan], [np.nan, np.nan]])
    home = np.vstack([home, [[5.0, 5.0]], [[0.0, -0.0]]])
    costs = euclidean_costs(home, np.array([[1.0, 1.0], [9.0, 0.0]]))
    costs_reach = type(costs)(costs.home, costs.school, reach=[(2, 1)])
    for c in (costs, costs_reach):
        key = c.same_rows()
        rows = c.rows(np.arange(len(home)))
        for i, j in itertools.combinations(range(len(home)), 2):
            if key[i] == key[j]:
                assert np.array_equal(rows[i], rows[j])
        assert key[3] != key[4]
    assert costs.same_rows()[0] == costs.same_rows()[2] == costs.same_rows()[6]
    assert costs_reach.same_rows()[0] != costs_reach.same_rows()[2]
