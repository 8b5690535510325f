"""Seat allocation by relative proximity (学位不足则按相对就近原则安排入学).

Three layers, pure core first (see ``docs/allocation.md`` for the objective written down):

* :func:`assign_min_cost` — the exact core on a cost matrix: who gets a seat is decided in
  priority order (a matroid greedy, so a higher-priority child is never left without a seat to
  make room for a lower one), then *where* minimises the total distance in whole metres, solved
  as a min-cost flow (OR-Tools ``SimpleMinCostFlow``).  Large problems start sparse (each
  child's ``k`` nearest schools, plus a feasible start and the greedy answer, so the sparse
  problem is always feasible) and add arcs by pricing: school prices from shortest paths on the
  exchange graph of the sparse optimum; an arc left out with a negative reduced cost is added
  and the flow re-solved; when none is left the prices prove the sparse optimum optimal for the
  full problem.
* :func:`assign_greedy` — the baseline: one child at a time, in priority order, to the nearest
  school that still has a seat.
* :func:`allocate` — the DataFrame adapter used by the ``place`` run: preference and zone stage
  (student-proposing deferred acceptance, schools ranking children by priority), then the
  overflow stage by :func:`assign_min_cost` on the seats left.

Distances: :func:`euclidean_distance_matrix` (straight line in a projected CRS, the default) and
:func:`network_distance_matrix` (shortest paths along a base-map ``streets`` layer).

Examples
--------
>>> import numpy as np
>>> cost = np.array([[1.0, 5.0], [2.0, 3.0], [1.0, 9.0]])
>>> assign_min_cost(cost, [1, 2]).tolist()   # 5 + 3 + 1 = 9 m
[1, 1, 0]
>>> assign_greedy(cost, [1, 2]).tolist()     # 1 + 3 + 9 = 13 m
[0, 1, 1]
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import AllocationError, CRSError

__all__ = [
    "allocate",
    "assign_min_cost",
    "assign_greedy",
    "priority_order",
    "tie_break_key",
    "total_distance",
    "euclidean_distance_matrix",
    "network_distance_matrix",
]

_STUDENT_COLUMNS = ("level", "tier", "zone_schools", "optional_schools", "priority_key")


# --------------------------------------------------------------------------- priority order
def tie_break_key(seed: int, student_id: object) -> str:
    """The seeded tie-break of two children equal in tier and priority key.

    ``SHA-256("{seed}:{student_id}")`` in hex: reproducible in any language, independent of
    row order, and not guessable before the seed is fixed.

    >>> tie_break_key(7, "s001")[:12]
    'c4306b37cd84'
    """
    return hashlib.sha256(f"{int(seed)}:{student_id}".encode()).hexdigest()


def priority_order(students: pd.DataFrame, *, seed: int) -> np.ndarray:
    """Positions of ``students`` from highest to lowest priority.

    Sort key: ``tier`` (0 first), then ``priority_key`` as text (missing last), then
    :func:`tie_break_key`, then ``student_id``.

    >>> df = pd.DataFrame({"tier": [1, 0, 0], "priority_key": ["a", "b", "a"]},
    ...                   index=pd.Index(["x", "y", "z"], name="student_id"))
    >>> priority_order(df, seed=1).tolist()
    [2, 1, 0]
    """
    ids = [str(s) for s in students.index]
    tiers = students["tier"].astype(int).to_numpy() if "tier" in students else np.zeros(len(ids))
    if "priority_key" in students:
        keys = ["\uffff" if _missing(k) else str(k) for k in students["priority_key"]]
    else:
        keys = [""] * len(ids)
    rows = sorted(
        range(len(ids)), key=lambda i: (tiers[i], keys[i], tie_break_key(seed, ids[i]), ids[i])
    )
    return np.asarray(rows, dtype=np.int64)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --------------------------------------------------------------------------- pure core
def _as_problem(cost: np.ndarray, seats: Sequence[int], order) -> tuple:
    cost = np.asarray(cost, dtype=float)
    if cost.ndim != 2:
        raise AllocationError(f"cost must be a 2-D matrix (children × schools), got {cost.ndim}-D")
    seats = np.asarray(seats)
    if seats.shape != (cost.shape[1],):
        raise AllocationError(
            f"seats must have one entry per school ({cost.shape[1]}), got shape {seats.shape}"
        )
    if not np.all(np.equal(np.mod(seats, 1), 0)) or np.any(seats < 0):
        raise AllocationError("seats must be whole numbers ≥ 0 / 学位数须为非负整数")
    if np.isnan(cost).any() or (cost < 0).any():
        raise AllocationError(
            "cost must be ≥ 0 metres, np.inf for a school not allowed; got NaN or < 0"
        )
    n = cost.shape[0]
    order = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    if sorted(order.tolist()) != list(range(n)):
        raise AllocationError("order must be a permutation of the children's row positions")
    return cost, seats.astype(np.int64), order


def assign_greedy(cost: np.ndarray, seats: Sequence[int], *, order=None) -> np.ndarray:
    """Baseline: each child in ``order`` takes the nearest school that still has a seat.

    Distances are compared in whole metres; an exact tie goes to the lower school column.

    Returns
    -------
    numpy.ndarray
        School column per child, ``-1`` where no allowed school had a seat left.

    >>> assign_greedy(np.array([[1.0, 2.0], [1.0, 9.0]]), [1, 1]).tolist()
    [0, 1]
    """
    cost, left, order = _as_problem(cost, seats, order)
    left = left.copy()
    out = np.full(cost.shape[0], -1, dtype=np.int64)
    closed = left <= 0
    for i in order:
        row = np.rint(np.where(closed, np.inf, cost[i]))
        j = int(np.argmin(row))
        if np.isfinite(row[j]):
            out[i] = j
            left[j] -= 1
            closed[j] = left[j] <= 0
    return out


def _allowed_patterns(allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct allowed-school patterns and each child's pattern number."""
    packed = np.packbits(allowed, axis=1)
    uniq, inverse = np.unique(packed, axis=0, return_inverse=True)
    return np.unpackbits(uniq, axis=1, count=allowed.shape[1]).astype(bool), inverse.ravel()


def _max_placeable(patterns: np.ndarray, counts: np.ndarray, seats: np.ndarray, *, flows=False):
    """Max number of children (``counts`` per allowed pattern) that fit the seats (max flow).

    With ``flows=True`` also returns a (pattern, school) -> children matrix achieving it.
    """
    from ortools.graph.python import max_flow

    p, m = patterns.shape
    src, snk = p + m, p + m + 1
    tails, heads, caps = [], [], []
    for q in range(p):
        if counts[q] > 0:
            tails.append(src), heads.append(q), caps.append(int(counts[q]))
            for j in np.flatnonzero(patterns[q]):
                tails.append(q), heads.append(p + int(j)), caps.append(int(counts[q]))
    for j in range(m):
        if seats[j] > 0:
            tails.append(p + j), heads.append(snk), caps.append(int(seats[j]))
    matrix = np.zeros((p, m), dtype=np.int64)
    if not tails:
        return (0, matrix) if flows else 0
    flow = max_flow.SimpleMaxFlow()
    arcs = flow.add_arcs_with_capacity(np.array(tails), np.array(heads), np.array(caps))
    if flow.solve(src, snk) != flow.OPTIMAL:  # pragma: no cover - solver failure
        raise AllocationError("max-flow solver failed")
    if not flows:
        return int(flow.optimal_flow())
    t, h, f = np.array(tails), np.array(heads), flow.flows(arcs)
    inner = (t < p) & (f > 0)
    matrix[t[inner], h[inner] - p] = f[inner]
    return int(flow.optimal_flow()), matrix


def _feasible_start(allowed: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Some school for every child such that all fit (they must; see :func:`_placed_set`)."""
    patterns, pattern_of = _allowed_patterns(allowed)
    total = np.bincount(pattern_of, minlength=len(patterns))
    _, matrix = _max_placeable(patterns, total, seats, flows=True)
    start = np.full(len(allowed), -1, dtype=np.int64)
    for q in range(len(patterns)):
        kids = np.flatnonzero(pattern_of == q)
        start[kids] = np.repeat(np.arange(allowed.shape[1]), matrix[q])[: len(kids)]
    return start


def _placed_set(allowed: np.ndarray, seats: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Matroid greedy in priority order: who gets a seat when not everyone can.

    A child is placed iff it can be added to the higher-priority children already placed
    without unseating any of them.  Runs of accepted children are found by bisection, so the
    number of max-flow checks grows with the number of children left out, not with all of them.
    """
    n = allowed.shape[0]
    patterns, pattern_of = _allowed_patterns(allowed)
    counts = np.zeros(len(patterns), dtype=np.int64)
    total = np.bincount(pattern_of, minlength=len(patterns))
    placed = np.zeros(n, dtype=bool)
    if _max_placeable(patterns, total, seats) == n:
        placed[:] = True
        return placed
    rejected = np.zeros(len(patterns), dtype=bool)  # once a pattern fails it fails forever

    def fits(extra: np.ndarray) -> bool:
        trial = counts + np.bincount(pattern_of[extra], minlength=len(patterns))
        return _max_placeable(patterns, trial, seats) == int(trial.sum())

    stack = [(0, n)]
    while stack:
        lo, hi = stack.pop()
        chunk = order[lo:hi]
        chunk = chunk[~rejected[pattern_of[chunk]]]
        if len(chunk) == 0:
            continue
        if fits(chunk):
            placed[chunk] = True
            counts += np.bincount(pattern_of[chunk], minlength=len(patterns))
        elif hi - lo == 1:
            rejected[pattern_of[chunk[0]]] = True
        else:
            mid = (lo + hi) // 2
            stack.append((mid, hi))  # right half after the left half (LIFO)
            stack.append((lo, mid))
    return placed


def assign_min_cost(
    cost: np.ndarray, seats: Sequence[int], *, order=None, k: int = 8
) -> np.ndarray:
    """Exact assignment: priority-order lexicographic seats, then least total distance.

    Parameters
    ----------
    cost : ndarray (n_children, n_schools)
        Metres; ``np.inf`` where the child may not go to the school.
    seats : sequence of int
        Seats available per school column.
    order : sequence of int, optional
        Children's row positions from highest to lowest priority (default: row order).
    k : int
        Nearest schools per child in the first sparse solve (exactness does not depend on it).

    Returns
    -------
    numpy.ndarray
        School column per child, ``-1`` for a child left without a seat.

    Notes
    -----
    1. *Who*: children are taken in ``order``; a child gets a seat iff the children placed so
       far plus this one can all be seated (a transversal-matroid greedy: it maximises the number
       placed in tier 0, then tier 1, ..., since ``order`` refines the tiers).
    2. *Where*: among all assignments seating exactly that set, minimise the total of the
       distances rounded to whole metres (min-cost flow).
    3. *Ties*: children with identical distance rows are interchangeable; the higher-priority
       one gets the nearer school.  Other equal-total ties are decided by the solver on the
       canonically ordered graph (children in ``order``, schools by column), hence reproducible.

    >>> cost = np.array([[1.0, 2.0], [1.0, 100.0]])
    >>> assign_min_cost(cost, [1, 1]).tolist()   # greedy would give [0, 1]: 1 + 100 m
    [1, 0]
    >>> assign_min_cost(cost, [1, 0]).tolist()   # one seat: the first in order keeps it
    [0, -1]
    """
    cost, seats, order = _as_problem(cost, seats, order)
    n, m = cost.shape
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or m == 0:
        return out
    allowed = np.isfinite(cost)
    placed = _placed_set(allowed, seats, order)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    rows = np.flatnonzero(placed)
    rows = rows[np.argsort(rank[rows], kind="stable")]
    if len(rows) == 0:
        return out
    width = min(m, max(1, int(k)))
    cols, vals = _nearest(cost, rows, width)
    cand = np.zeros((len(rows), m), dtype=bool)
    ok = vals >= 0
    cand[np.nonzero(ok)[0], cols[ok]] = True
    cand[np.arange(len(rows)), _feasible_start(allowed[rows], seats)] = True  # never infeasible
    greedy = assign_greedy(cost[rows], seats)  # a good start: the sparse optimum beats it
    cand[np.flatnonzero(greedy >= 0), greedy[greedy >= 0]] = True
    while True:
        assignment = _solve_sparse(cost, rows, cand, seats)
        missing = _priced_out(cost, rows, cand, assignment, seats)
        if not missing.any():  # no excluded arc has a negative reduced cost: optimal
            out[rows] = assignment
            return out
        cand |= missing


def _nearest(cost: np.ndarray, rows: np.ndarray, width: int, chunk: int = 8192):
    """Per child, the ``width`` nearest school columns and their whole-metre costs (-1: none)."""
    m = cost.shape[1]
    cols = np.empty((len(rows), width), dtype=np.int64)
    vals = np.empty((len(rows), width), dtype=np.int64)
    for start in range(0, len(rows), chunk):
        sub = cost[rows[start : start + chunk]]
        v = np.where(np.isfinite(sub), np.rint(sub), np.inf)
        if width < m:
            part = np.argpartition(v, width - 1, axis=1)[:, :width]
        else:
            part = np.broadcast_to(np.arange(m), v.shape).copy()
        pv = np.take_along_axis(v, part, axis=1)
        o = np.lexsort((part, pv), axis=-1)
        sl = slice(start, start + len(sub))
        cols[sl] = np.take_along_axis(part, o, axis=1)
        pv = np.take_along_axis(pv, o, axis=1)
        vals[sl] = np.where(np.isfinite(pv), pv, -1).astype(np.int64)
    return cols, vals


def _solve_sparse(cost, rows, cand, seats):
    """Min-cost flow on the candidate arcs only (they always admit a feasible assignment).

    Children (in priority order) with identical candidate arcs and costs share one node; the
    class's flows are handed out nearest first to its children in priority order.
    """
    from ortools.graph.python import min_cost_flow

    n, m = cand.shape
    ii, jj = np.nonzero(cand)
    cc = np.rint(cost[rows[ii], jj]).astype(np.int64)
    bounds = np.searchsorted(ii, np.arange(n + 1))
    class_of: dict = {}
    members: list[list[int]] = []
    first: list[int] = []
    for i in range(n):
        s, e = bounds[i], bounds[i + 1]
        key = (jj[s:e].tobytes(), cc[s:e].tobytes())
        q = class_of.get(key)
        if q is None:
            q = class_of[key] = len(members)
            members.append([])
            first.append(i)
        members[q].append(i)
    n_cls = len(members)
    school0 = n_cls
    sink = school0 + m
    count = np.array([len(mb) for mb in members], dtype=np.int64)
    first_a = np.array(first, dtype=np.int64)
    arc_class = np.repeat(np.arange(n_cls), bounds[first_a + 1] - bounds[first_a])
    arc_pos = np.concatenate([np.arange(bounds[i], bounds[i + 1]) for i in first])
    open_j = np.flatnonzero(seats > 0)
    tails = np.concatenate([arc_class, school0 + open_j])
    heads = np.concatenate([school0 + jj[arc_pos], np.full(len(open_j), sink)])
    caps = np.concatenate([count[arc_class], seats[open_j]])
    costs = np.concatenate([cc[arc_pos], np.zeros(len(open_j), dtype=np.int64)])
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_cls] = count
    supplies[sink] = -n
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - the candidate arcs hold a feasible start
        raise AllocationError(f"min-cost flow solver returned status {status}")
    flow = solver.flows(arcs)[: len(arc_class)]
    by_class: list[list[tuple[int, int, int]]] = [[] for _ in range(n_cls)]
    for a in np.flatnonzero(flow):
        by_class[arc_class[a]].append((int(cc[arc_pos[a]]), int(jj[arc_pos[a]]), int(flow[a])))
    assignment = np.full(n, -1, dtype=np.int64)
    for q, mb in enumerate(members):
        slots: list[int] = []
        for _, j, f in sorted(by_class[q]):
            slots.extend([j] * f)
        assignment[mb] = slots
    return assignment


def _priced_out(
    cost, rows, cand, assignment, seats, chunk: int = 8192, per_child: int = 4
) -> np.ndarray:
    """Excluded arcs with a negative reduced cost (the sparse optimum may still be improved).

    School prices come from shortest paths (Bellman-Ford) on the exchange graph of the sparse
    solution: an arc a→b weighs the cheapest change of cost of moving one child from a to b;
    a node z joins every school (0) and is reached from every school with a seat left (0).  The
    sparse solution is optimal, so there is no negative cycle; with d the distances from z and
    price p = -d, every child sits at a school minimising cost + price among its candidate
    arcs.  If that also holds over *all* allowed schools, the prices certify optimality.
    """
    n, m = cand.shape
    load = np.bincount(assignment, minlength=m)
    own = np.rint(cost[rows, assignment])
    ii, jj = np.nonzero(cand)
    w = np.rint(cost[rows[ii], jj]) - own[ii]
    graph = np.full((m + 1, m + 1), np.inf)
    np.minimum.at(graph, (assignment[ii], jj), w)
    graph[m, :m] = 0.0
    graph[np.flatnonzero(load < seats), m] = 0.0
    d = np.zeros(m + 1)
    for _ in range(m + 2):
        nd = np.minimum(d, (d[:, None] + graph).min(axis=0))
        if np.array_equal(nd, d):
            break
        d = nd
    else:  # pragma: no cover - would mean the solver's answer was not optimal
        raise AllocationError("negative cycle in an optimal sparse solution")
    price = -d[:m]
    threshold = own + price[assignment]
    missing = np.zeros_like(cand)
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        sub = cost[rows[sl]]
        reduced = np.where(np.isfinite(sub), np.rint(np.where(np.isfinite(sub), sub, 0)), np.inf)
        reduced += price[None, :]
        viol = (reduced < threshold[sl, None] - 0.5) & ~cand[sl]
        if per_child and viol.sum(axis=1).max(initial=0) > per_child:
            # keep only each child's most negative reduced costs (smaller graphs, more rounds)
            reduced = np.where(viol, reduced, np.inf)
            best = np.argpartition(reduced, per_child - 1, axis=1)[:, :per_child]
            keep = np.zeros_like(viol)
            np.put_along_axis(keep, best, True, axis=1)
            viol &= keep
        missing[sl] = viol
    return missing


def total_distance(cost: np.ndarray, assignment: np.ndarray) -> tuple[float, float]:
    """(total, worst) distance of an assignment, placed children only.

    >>> total_distance(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, -1]))
    (2.0, 2.0)
    """
    cost = np.asarray(cost, dtype=float)
    rows = np.flatnonzero(np.asarray(assignment) >= 0)
    if len(rows) == 0:
        return 0.0, 0.0
    d = cost[rows, np.asarray(assignment)[rows]]
    return float(d.sum()), float(d.max())


# --------------------------------------------------------------------------- DataFrame adapter
def allocate(
    students: pd.DataFrame,
    schools: pd.DataFrame,
    distance: np.ndarray,
    *,
    seed: int,
    method: str = "optimal",
) -> pd.DataFrame:
    """One school per child: preference and zone stage, then overflow by relative proximity.

    Parameters
    ----------
    students : DataFrame indexed by ``student_id``
        ``level``, ``tier`` (int, 0 = highest priority), ``zone_schools`` (tuple of school ids,
        first = own zone school), ``optional_schools`` (tuple, carried for the trace),
        ``preference`` (school id or None), ``priority_key`` (sortable text within a tier).
    schools : DataFrame indexed by ``school_id``
        ``level``, ``seats`` (int).
    distance : ndarray (len(students), len(schools))
        Metres in the same row/column order; ``np.inf`` = not allowed.
    seed : int
        Seed of the tie-break (:func:`tie_break_key`).
    method : {"optimal", "greedy"}
        Overflow solver: :func:`assign_min_cost` (default) or the :func:`assign_greedy` baseline.

    Returns
    -------
    DataFrame on ``students.index``
        ``school_id`` (None when not placed), ``status`` (``placed``/``no_seat``), ``stage``
        (``preference``/``zone``/``overflow``), ``distance_m``, ``full_schools`` (schools the
        child asked for, or nearer than the one given, that had no seat left, nearest first).

    Notes
    -----
    Stage 1 is student-proposing deferred acceptance: each child asks ``preference`` then the
    ``zone_schools`` in order; each school keeps the best children by priority
    (:func:`priority_order`) up to its seats.  With no preferences this is exactly "children
    fill their zone school in priority order".  Stage 2 places everyone left over on the seats
    left, by :func:`assign_min_cost` over every school with a finite distance.  A school serves
    a child of its own level; a ``nine_year`` school serves both levels.

    Examples
    --------
    >>> st = pd.DataFrame({"level": "primary", "tier": [0, 1, 0], "priority_key": "",
    ...     "zone_schools": [("A",), ("A",), ("B",)], "optional_schools": [(), (), ()],
    ...     "preference": None}, index=pd.Index(["s1", "s2", "s3"], name="student_id"))
    >>> sc = pd.DataFrame({"level": "primary", "seats": [1, 2]},
    ...     index=pd.Index(["A", "B"], name="school_id"))
    >>> out = allocate(st, sc, np.array([[100.0, 900], [100, 800], [500, 50]]), seed=7)
    >>> out[["school_id", "stage"]].values.tolist()
    [['A', 'zone'], ['B', 'overflow'], ['B', 'zone']]
    >>> out.loc["s2", "full_schools"]
    ('A',)
    """
    if method not in ("optimal", "greedy"):
        raise AllocationError(f"method must be 'optimal' or 'greedy', got {method!r}")
    dist = _validate(students, schools, distance)
    ids = list(students.index)
    sorter = np.argsort(np.asarray([str(s) for s in ids]), kind="stable")
    st = students.iloc[sorter]
    dist = dist[sorter]
    sch_order = np.argsort(np.asarray([str(s) for s in schools.index]), kind="stable")
    sc = schools.iloc[sch_order]
    dist = dist[:, sch_order]
    school_ids = [str(s) for s in sc.index]
    col = {s: j for j, s in enumerate(school_ids)}
    # level compatibility
    st_level = st["level"].astype(str).to_numpy()
    sc_level = sc["level"].astype(str).to_numpy()
    ok = (st_level[:, None] == sc_level[None, :]) | (sc_level[None, :] == "nine_year")
    dist = np.where(ok, dist, np.inf)
    n = len(st)
    order = priority_order(st, seed=seed)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    left = sc["seats"].astype(int).to_numpy().copy()

    # stage 1: deferred acceptance on [preference, *zone_schools]
    lists: list[list[int]] = []
    for i, (pref, zone) in enumerate(
        zip(st.get("preference", [None] * n), st["zone_schools"], strict=True)
    ):
        wanted = [] if _missing(pref) else [str(pref)]
        wanted += [str(z) for z in (zone or ())]
        seen: list[int] = []
        for s in wanted:
            j = col[s]
            if j not in seen and np.isfinite(dist[i, j]):
                seen.append(j)
        lists.append(seen)
    held: list[list[tuple[int, int]]] = [[] for _ in school_ids]  # max-heap by rank (negated)
    nxt = np.zeros(n, dtype=np.int64)
    rejected_by: list[list[int]] = [[] for _ in range(n)]
    free = [i for i in order if lists[i]]
    free.reverse()
    while free:
        i = free.pop()
        if nxt[i] >= len(lists[i]):
            continue
        j = lists[i][nxt[i]]
        nxt[i] += 1
        heapq.heappush(held[j], (-rank[i], i))
        if len(held[j]) > left[j]:
            _, out_i = heapq.heappop(held[j])
            rejected_by[out_i].append(j)
            free.append(out_i)
    school_of = np.full(n, -1, dtype=np.int64)
    stage = np.array(["overflow"] * n, dtype=object)
    has_pref = np.array([not _missing(p) for p in st.get("preference", [None] * n)])
    for j, h in enumerate(held):
        for _, i in h:
            school_of[i] = j
            pref = st["preference"].iloc[i] if has_pref[i] else None
            stage[i] = "preference" if pref is not None and str(pref) == school_ids[j] else "zone"
        left[j] -= len(h)

    # stage 2: overflow on the seats left
    over = np.flatnonzero(school_of < 0)
    if len(over):
        sub = dist[over]
        sub = np.where(left[None, :] > 0, sub, np.inf)
        sub_order = np.argsort(rank[over], kind="stable")
        solver = assign_min_cost if method == "optimal" else assign_greedy
        got = solver(sub, np.maximum(left, 0), order=sub_order)
        for i, j in zip(over, got, strict=True):
            if j >= 0:
                school_of[i] = j
                left[j] -= 1

    # result and trace
    result = []
    for i in range(n):
        j = school_of[i]
        d = float(dist[i, j]) if j >= 0 else float("nan")
        full = set(rejected_by[i])
        if stage[i] == "overflow":
            finite = np.flatnonzero(np.isfinite(dist[i]))
            limit = d if j >= 0 else np.inf
            full |= {int(q) for q in finite if left[q] <= 0 and (dist[i, q] < limit or j < 0)}
        full.discard(int(j))
        full_sorted = tuple(school_ids[q] for q in sorted(full, key=lambda q: (dist[i, q], q)))
        result.append(
            (
                school_ids[j] if j >= 0 else None,
                "placed" if j >= 0 else "no_seat",
                stage[i],
                d,
                full_sorted,
            )
        )
    out = pd.DataFrame(
        result,
        index=st.index,
        columns=["school_id", "status", "stage", "distance_m", "full_schools"],
    )
    return out.loc[students.index]


def _validate(students: pd.DataFrame, schools: pd.DataFrame, distance: np.ndarray) -> np.ndarray:
    problems = []
    missing = [c for c in (*_STUDENT_COLUMNS[:3],) if c not in students.columns]
    if missing:
        problems.append(f"students: missing columns {missing}")
    for c in ("level", "seats"):
        if c not in schools.columns:
            problems.append(f"schools: missing column {c!r}")
    if students.index.has_duplicates:
        dup = sorted({str(s) for s in students.index[students.index.duplicated()]})
        problems.append(f"students: student_id appears twice: {dup[:10]}")
    if schools.index.has_duplicates:
        dup = sorted({str(s) for s in schools.index[schools.index.duplicated()]})
        problems.append(f"schools: school_id appears twice: {dup[:10]}")
    dist = np.asarray(distance, dtype=float)
    if dist.shape != (len(students), len(schools)):
        problems.append(
            f"distance: expected shape ({len(students)}, {len(schools)}), got {dist.shape}"
        )
    elif np.isnan(dist).any() or (dist < 0).any():
        problems.append("distance: NaN or negative metres (use np.inf for not allowed)")
    if problems:
        raise AllocationError("cannot allocate / 无法分配学位", problems=problems)
    known = {str(s) for s in schools.index}
    if "seats" in schools:
        bad = [str(s) for s, v in schools["seats"].items() if not float(v) >= 0 or float(v) % 1]
        if bad:
            problems.append(f"schools: seats must be whole numbers ≥ 0: {bad}")
    for sid, row in students.iterrows():
        asked = list(row["zone_schools"] or ())
        pref = row.get("preference", None)
        if not _missing(pref):
            asked.append(pref)
        unknown = [str(s) for s in asked if str(s) not in known]
        if unknown:
            problems.append(f"student {sid}: school(s) not in the school table: {unknown}")
    if problems:
        raise AllocationError("cannot allocate / 无法分配学位", problems=problems[:50])
    return dist


# --------------------------------------------------------------------------- distances
def _projected_pair(origins, destinations):
    import geopandas as gpd

    o = gpd.GeoSeries(origins.geometry if hasattr(origins, "geometry") else origins)
    d = gpd.GeoSeries(destinations.geometry if hasattr(destinations, "geometry") else destinations)
    if o.crs is None or d.crs is None:
        raise CRSError("origins and destinations need a CRS (e.g. EPSG:4326); got none")
    if o.crs != d.crs:
        raise CRSError(
            f"CRS mismatch: origins {o.crs.to_string()} vs destinations {d.crs.to_string()}"
        )
    if o.crs.is_geographic:
        utm = o.estimate_utm_crs()
        o, d = o.to_crs(utm), d.to_crs(utm)
    return o, d


def euclidean_distance_matrix(origins, destinations) -> np.ndarray:
    """Straight-line metres between every origin and destination point (the default distance).

    Geographic input is projected to its local UTM zone first; mixed CRSs raise
    :class:`~geo_enroll.errors.CRSError`.

    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> a = gpd.GeoSeries([Point(0, 0), Point(3, 4)], crs=32650)
    >>> euclidean_distance_matrix(a, a[:1]).ravel().tolist()
    [0.0, 5.0]
    """
    o, d = _projected_pair(origins, destinations)
    ox, oy = o.x.to_numpy(), o.y.to_numpy()
    dx, dy = d.x.to_numpy(), d.y.to_numpy()
    return np.hypot(ox[:, None] - dx[None, :], oy[:, None] - dy[None, :])


def _join_dangles(lines, tol: float):
    """Extend each street end lying within ``tol`` metres of another street onto it.

    Mapped T-junctions rarely meet to the millimetre: a street that stops 0.3 m short of the one
    it joins would otherwise be a separate component.  The end is carried just across the other
    line so that noding splits both there.

    >>> from shapely import LineString
    >>> main, side = LineString([(0, 0), (100, 0)]), LineString([(50, 0.3), (50, 80)])
    >>> joined = _join_dangles([main, side], 2.0)
    >>> joined[1].intersects(main)
    True
    """
    import shapely.ops
    from shapely import LineString, Point, STRtree

    parts = [g for g in lines if g is not None and not g.is_empty]
    tree = STRtree(parts)
    out = []
    for i, g in enumerate(parts):
        coords = list(g.coords)
        for end in (0, -1):
            p = Point(coords[end])
            best = None
            for j in tree.query(p, predicate="dwithin", distance=tol):
                if j == i:
                    continue
                dist = parts[j].distance(p)
                if 0 < dist <= tol and (best is None or dist < best[0]):
                    best = (dist, j)
            if best is None:
                continue
            q = shapely.ops.nearest_points(parts[best[1]], p)[0]
            dx, dy = q.x - p.x, q.y - p.y
            length = float(np.hypot(dx, dy))
            beyond = (q.x + dx / length * 0.01, q.y + dy / length * 0.01)
            coords = coords + [beyond] if end == -1 else [beyond, *coords]
        out.append(LineString(coords))
    return out


def network_distance_matrix(
    origins, destinations, streets, *, segment_m: float = 25.0, join_m: float = 2.0
) -> np.ndarray:
    """Metres along the base-map ``streets`` layer (shortest paths), the optional distance.

    Street ends within ``join_m`` metres of another street are joined to it (mapped T-junctions
    rarely meet exactly), the lines are noded (split where they cross), densified to ``segment_m``
    and turned into a graph; each point joins the graph at its nearest vertex with a straight access leg;
    distances are Dijkstra shortest paths (SciPy) from every destination.  Points on separate
    street components are ``np.inf`` apart.

    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> streets = gpd.GeoSeries([LineString([(0, 0), (100, 0), (100, 100)])], crs=32650)
    >>> a = gpd.GeoSeries([Point(0, 0)], crs=32650)
    >>> b = gpd.GeoSeries([Point(100, 100)], crs=32650)
    >>> network_distance_matrix(a, b, streets).tolist()
    [[200.0]]
    """
    import geopandas as gpd
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    o, d = _projected_pair(origins, destinations)
    lines = gpd.GeoSeries(streets.geometry if hasattr(streets, "geometry") else streets)
    if lines.crs is None:
        raise CRSError("streets need a CRS")
    lines = lines.to_crs(o.crs)
    pieces = shapely.get_parts(lines.to_numpy())
    pieces = [g for g in pieces if g.geom_type == "LineString"]
    noded = shapely.node(shapely.union_all(_join_dangles(pieces, join_m)))
    parts = shapely.get_parts(shapely.segmentize(noded, segment_m))
    if len(parts) == 0:
        raise AllocationError("streets layer has no lines / 街道图层为空")
    coords, which = shapely.get_coordinates(parts, return_index=True)
    key = np.round(coords, 3)
    nodes, node_of = np.unique(key, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    same = which[1:] == which[:-1]
    a, b = node_of[:-1][same], node_of[1:][same]
    w = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    nn = len(nodes)
    graph = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(nn, nn)).tocsr()
    tree = cKDTree(nodes)
    oxy = np.c_[o.x.to_numpy(), o.y.to_numpy()]
    dxy = np.c_[d.x.to_numpy(), d.y.to_numpy()]
    o_acc, o_node = tree.query(oxy)
    d_acc, d_node = tree.query(dxy)
    if len(dxy) == 0 or len(oxy) == 0:
        return np.zeros((len(oxy), len(dxy)))
    sp = dijkstra(graph, directed=False, indices=d_node)
    return o_acc[:, None] + sp[:, o_node].T + d_acc[None, :]
