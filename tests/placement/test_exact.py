"""The exact overflow solver against a reference on the full graph, on random cases with ties.

Every case is solved five ways — one min-cost flow on every arc (the small-problem path), coarse
to fine on the held rows (with and without leaving the settled sites' other arcs out from the
first round), the pricing rounds from the k nearest schools, and the pricing rounds from
sampled prices — and each must give the reference: the children a priority-order matroid greedy seats (checked child by
child with a max flow) and the least total whole metres for them (one OR-Tools min-cost flow on
the full children × schools graph).  Coordinates sit on a coarse grid, so many distances are
equal (ties); seats range from far fewer than the children to more than enough; some schools
are closed to some children (``inf``).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from geo_enroll.placement import exact
from geo_enroll.placement.allocate import EuclideanCosts, assign_min_cost


@contextlib.contextmanager
def _path(full_arcs: int, *, held: bool = True, **more):
    """Force a solver path: ``full_arcs`` = 0 prices every problem in rounds — coarse to fine
    on the held rows (every level, ``_BASE_ARCS`` = 0), or with ``held=False`` the rounds
    that read the rows from the source (from the k nearest, or sampled prices); ``more``
    sets other constants of :mod:`exact` (``_TAIL=1``: prune from the first round;
    ``_TRANSPORT=True``: the compiled transport solver on the held rows, else coarse to
    fine)."""
    more.setdefault("_TRANSPORT", False)
    names = ("_FULL_ARCS", "_BASE_ARCS", "_HELD_CELLS", *more)
    saved = {name: getattr(exact, name) for name in names}
    exact._FULL_ARCS = full_arcs
    exact._BASE_ARCS = 0
    if not held:
        exact._HELD_CELLS = 0
    for name, value in more.items():
        setattr(exact, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(exact, name, value)


def _fits(allowed: np.ndarray, seats: np.ndarray) -> bool:
    """Can every row of ``allowed`` (child × school) get a seat?  (max flow, OR-Tools)"""
    from ortools.graph.python import max_flow

    n, m = allowed.shape
    ii, jj = np.nonzero(allowed)
    src, snk = n + m, n + m + 1
    tails = np.concatenate([np.full(n, src), ii, n + np.arange(m)])
    heads = np.concatenate([np.arange(n), n + jj, np.full(m, snk)])
    caps = np.concatenate([np.ones(n), np.ones(len(ii)), seats]).astype(np.int64)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), caps)
    assert flow.solve(src, snk) == flow.OPTIMAL
    return flow.optimal_flow() == n


def _reference(cost: np.ndarray, seats: np.ndarray, order: np.ndarray):
    """(seated mask, least total whole metres) by the definition, on the full graph."""
    from ortools.graph.python import min_cost_flow

    allowed = np.isfinite(cost)
    seated = np.zeros(len(cost), dtype=bool)
    for i in order:  # the matroid greedy, one child at a time
        seated[i] = True
        if not _fits(allowed[seated], seats):
            seated[i] = False
    rows = np.flatnonzero(seated)
    n, m = len(rows), cost.shape[1]
    ii, jj = np.nonzero(allowed[rows])
    solver = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([ii, n + np.arange(m)])
    heads = np.concatenate([n + jj, np.full(m, n + m)])
    caps = np.concatenate([np.ones(len(ii)), seats]).astype(np.int64)
    unit = np.concatenate([np.rint(cost[rows][ii, jj]), np.zeros(m)]).astype(np.int64)
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, unit
    )
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n], supplies[n + m] = 1, -n
    solver.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    assert solver.solve() == solver.OPTIMAL
    return seated, int(solver.optimal_cost())


def _case(seed: int, n: int, m: int, ratio: float, closed_share: float):
    """Children and schools on a 200 m grid (many equal distances), seats ≈ ratio × n."""
    rng = np.random.default_rng(seed)
    towns = rng.integers(0, 30, size=(3, 2))
    kids = towns[rng.integers(0, 3, n)] + rng.integers(-4, 5, size=(n, 2))
    sch = rng.integers(0, 30, size=(m, 2))
    cost = np.hypot(*(kids[:, None, :] - sch[None, :, :]).transpose(2, 0, 1)) * 200.0
    if closed_share:  # some schools closed to some children (another level, another rule)
        cost[rng.random((n, m)) < closed_share] = np.inf
    share = rng.gamma(2.0, size=m)
    seats = np.floor(share / share.sum() * n * ratio).astype(np.int64)
    order = rng.permutation(n)
    return cost, seats, order, kids * 200.0, sch * 200.0


def _check(cost, seats, got, seated, total):
    assert np.array_equal(got >= 0, seated)
    assert (np.bincount(got[got >= 0], minlength=len(seats)) <= seats).all()
    assert np.isfinite(cost[np.flatnonzero(seated), got[seated]]).all()
    assert int(np.rint(cost[np.flatnonzero(seated), got[seated]]).sum()) == total


CASES = [
    # (seed, children, schools, seats / children, share of closed arcs)
    (0, 120, 6, 0.6, 0.0),
    (1, 150, 9, 0.97, 0.0),
    (2, 150, 9, 1.0, 0.2),
    (3, 200, 12, 1.05, 0.0),
    (4, 90, 5, 1.4, 0.3),
    (5, 160, 8, 0.8, 0.15),
]


@pytest.mark.parametrize("seed,n,m,ratio,closed", CASES)
def test_every_path_gives_the_full_graph_optimum(seed, n, m, ratio, closed):
    cost, seats, order, _, _ = _case(seed, n, m, ratio, closed)
    seated, total = _reference(cost, seats, order)
    answers = [assign_min_cost(cost, seats, order=order)]  # one flow on every arc
    with _path(0):  # coarse to fine on the held rows
        answers.append(assign_min_cost(cost, seats, order=order))
    with _path(0, _TAIL=1):  # ... the settled sites' other arcs left out from the first round
        answers.append(assign_min_cost(cost, seats, order=order))
    with _path(0, _TRANSPORT=True):  # the transport solver on the held rows
        answers.append(assign_min_cost(cost, seats, order=order))
    with _path(0, _TRANSPORT=True, _TRANSPORT_SITES=20):  # ... from a coarser county's start
        answers.append(assign_min_cost(cost, seats, order=order))
    with _path(0, held=False):  # pricing rounds from the k nearest
        answers.append(assign_min_cost(cost, seats, order=order, k=1))
    with _path(n * m // 3, held=False):  # sampled prices, the sample on all its arcs
        answers.append(assign_min_cost(cost, seats, order=order, k=2))
    for got in answers:
        _check(cost, seats, got, seated, total)


@pytest.mark.parametrize("seed", [0, 3])
def test_same_answer_whatever_the_row_order(seed):
    """Deterministic and shuffle-invariant on every path (ties included)."""
    cost, seats, order, _, _ = _case(seed, 150, 8, 0.9, 0.1)
    perm = np.random.default_rng(seed + 100).permutation(len(cost))
    back = np.empty_like(perm)
    back[perm] = np.arange(len(perm))
    for full, held, transport in (
        (exact._FULL_ARCS, True, False),
        (0, True, False),
        (0, True, True),
        (0, False, False),
        (400, False, False),
    ):
        with _path(full, held=held, _TRANSPORT=transport):
            a = assign_min_cost(cost, seats, order=order, k=2)
            again = assign_min_cost(cost, seats, order=order, k=2)
            shuffled = assign_min_cost(cost[perm], seats, order=back[order], k=2)
        assert np.array_equal(a, again)
        assert np.array_equal(shuffled[back], a)


def test_points_and_the_dense_matrix_agree_on_every_path():
    """Coordinates (no n × m matrix, no pass to find the allowed schools) = the matrix."""
    _, seats, order, kids, sch = _case(7, 180, 9, 0.9, 0.0)
    points = EuclideanCosts(kids.astype(float), sch.astype(float))
    dense = points.rows(np.arange(len(kids)))
    for full, held in ((exact._FULL_ARCS, True), (0, True), (0, False), (500, False)):
        with _path(full, held=held):
            a = assign_min_cost(points, seats, order=order, k=2)
            b = assign_min_cost(dense, seats, order=order, k=2)
        assert np.array_equal(a, b)


def test_allowed_patterns_without_reading_the_costs_equal_the_pass():
    rng = np.random.default_rng(0)
    points = exact.EuclideanCosts(rng.uniform(0, 100, (50, 2)), rng.uniform(0, 100, (6, 2)))
    view = exact.CostView(
        points,
        row_of=rng.permutation(50)[:30],
        col_of=[5, 3, 1, 0, 2, 4],
        group=rng.integers(0, 3, 30),
        allowed=rng.random((3, 6)) < 0.6,
    )
    nested = exact.CostView(view, row_of=np.arange(10), allowed=(rng.random(6) < 0.5)[None, :])
    for source in (points, view, nested):
        fast = exact.allowed_patterns(source, source.shape[1])
        read = exact.allowed_patterns(source.rows(np.arange(source.shape[0])), source.shape[1])
        assert np.array_equal(fast[0], read[0]) and np.array_equal(fast[1], read[1])
