"""Coarse to fine on the held rows, and the settled sites left out of the flow.

The solver groups nearby sites into cells, solves the coarse county, and starts each finer
level from its prices and from its seats handed to the cells' sites; once the certificate is
nearly met, the flow keeps of each settled site only its used arcs.  Neither guess may change
the answer: the certificate over *every* arc of every site decides.  Checked here against the
full-graph reference on random cases with shared points, ties, tiers and closed arcs, with the
pruning forced from the first round and as hard as it goes (only the used arcs kept); and a
certificate that looked at the kept arcs only is shown to give wrong answers on these cases.
"""

from __future__ import annotations

import numpy as np
import pytest

from geo_enroll.placement import exact
from geo_enroll.placement.allocate import assign_min_cost

from .test_exact import _check, _path, _reference
from .test_exact_sites import _shared_case, _ties_kept

CASES = [
    # (seed, children, schools, points, seats / children, share of closed arcs)
    (20, 240, 9, 60, 0.9, 0.0),
    (21, 260, 10, 80, 1.0, 0.2),
    (22, 200, 8, 200, 1.05, 0.1),
    (23, 300, 12, 40, 0.7, 0.25),
    (24, 220, 7, 120, 0.95, 0.0),
]


def _rows(seed, n, m, points, ratio, closed):
    """Whole-metre rows of the sites of a case (closed schools ``inf``) and their children."""
    source, dense, seats, order = _shared_case(seed, n, m, points, ratio, closed)
    site_of, _, held = exact._sites(exact.as_costs(source), order, seats <= 0, True)
    return held, np.bincount(site_of).astype(np.int64), seats


@pytest.mark.parametrize("seed,n,m,points,ratio,closed", CASES)
def test_cells_share_allowed_schools_and_the_start_fits(seed, n, m, points, ratio, closed):
    held, count, seats = _rows(seed, n, m, points, 4.0, closed)  # seats for everyone
    cell, coarse, children = exact._coarsen(held, count, max(1, len(count) // 4))
    assert len(children) < len(count) and children.sum() == count.sum()
    assert np.array_equal(np.bincount(cell, weights=count).astype(np.int64), children)
    for c in range(len(children)):  # a cell's schools are each of its sites' schools
        mine = np.isfinite(held[cell == c])
        assert (mine == mine[0]).all() and np.array_equal(np.isfinite(coarse[c]), mine[0])
    res, _ = exact._solve_levels(coarse, children, seats, top=False)
    si, sj = exact._split_start(res, cell, count, m)
    # the start: every site's children on its own allowed schools, and they all fit
    assert np.isfinite(held[si, sj]).all()
    assert np.array_equal(np.unique(si), np.arange(len(count)))
    only = exact._Arcs(si, sj, held[si, sj].astype(np.int64), np.zeros(len(count)), m)
    res = exact._flow(only, seats, count)  # raises if the start does not fit the seats
    assert res.load.sum() == count.sum() and (res.load <= seats).all()


@pytest.mark.parametrize("seed,n,m,points,ratio,closed", CASES)
def test_pruned_flows_give_the_full_graph_optimum(seed, n, m, points, ratio, closed):
    source, dense, seats, order = _shared_case(seed, n, m, points, ratio, closed)
    seated, total = _reference(dense, seats, order)
    pruned = []
    saved = exact._Arcs.subset

    def counted(self, keep):
        pruned.append(int((~keep).sum()))
        return saved(self, keep)

    exact._Arcs.subset = counted
    try:
        answers = []
        for tight in (0.0, -np.inf):  # arcs tied with the used ones kept; only the used kept
            with _path(0, _TAIL=1, _TIGHT=tight):
                for costs in (source, dense):
                    answers.append(assign_min_cost(costs, seats, order=order))
    finally:
        exact._Arcs.subset = saved
    for got in answers:
        _check(dense, seats, got, seated, total)
        _ties_kept(dense, got, order)
    assert np.array_equal(answers[0], answers[1]) and np.array_equal(answers[2], answers[3])
    assert sum(pruned) > 0  # arcs were left out of some flow


def test_a_certificate_on_the_kept_arcs_only_would_be_wrong():
    """The mutation: judge the flow by the arcs it kept, not by every arc of every site.  The
    answers are then not optimal on these cases — so the tests above would catch it."""
    wrong = 0
    saved = exact._least
    for seed, n, m, points, ratio, closed in CASES:
        source, dense, seats, order = _shared_case(seed, n, m, points, ratio, closed)
        _, total = _reference(dense, seats, order)
        # with only the used arcs kept, a certificate over the kept arcs is met at once
        exact._least = lambda rows, price: np.full(len(rows), np.inf)
        try:
            with _path(0, _TAIL=1, _TIGHT=-np.inf):
                got = assign_min_cost(source, seats, order=order)
        finally:
            exact._least = saved
        seated = got >= 0
        wrong += int(np.rint(dense[np.flatnonzero(seated), got[seated]]).sum()) != total
    assert wrong > 0


def test_no_coarser_county_falls_back_to_the_rounds():
    """Sites that share no allowed schools form no cells: the rounds that read the rows take
    over (the same optimum)."""
    rng = np.random.default_rng(5)
    n, m = 60, 8
    kids = rng.integers(0, 12, size=(n, 2)).astype(float) * 200.0
    sch = rng.integers(0, 12, size=(m, 2)).astype(float) * 200.0
    allowed = np.array([[(c >> j) & 1 for j in range(m)] for c in range(1, 256)], dtype=bool)
    allowed = allowed[rng.permutation(len(allowed))[:n]]  # one pattern per child, all distinct
    source = exact.CostView(exact.EuclideanCosts(kids, sch), group=np.arange(n), allowed=allowed)
    dense = source.rows(np.arange(n))
    seats = np.full(m, 6)
    order = rng.permutation(n)
    seated, total = _reference(dense, seats, order)
    rows = order[seated[order]]  # the children to place, in priority order
    site_of, _, held = exact._sites(exact.as_costs(source), rows, seats <= 0, True)
    count = np.bincount(site_of).astype(np.int64)
    with _path(0):
        assert exact._solve_levels(held, count, seats) is None  # no cells: the caller's rounds
        got = assign_min_cost(source, seats, order=order)
    _check(dense, seats, got, seated, total)
