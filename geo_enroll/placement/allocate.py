"""Seat allocation by relative proximity (学位不足则按相对就近原则安排入学).

Three layers, pure core first (see ``docs/allocation.md`` for the objective written down):

* :func:`assign_min_cost` — the exact core on a cost matrix: who gets a seat is decided in
  priority order (a matroid greedy, so a higher-priority child is never left without a seat to
  make room for a lower one), then *where* minimises the total distance in whole metres, solved
  as a min-cost flow (OR-Tools ``SimpleMinCostFlow``) with one supply node per distinct cost
  row (children at the same address point share it; the higher-priority one gets the nearer
  school).  Large problems start sparse (each row's ``k`` nearest schools, plus a feasible
  start and a greedy one, so the sparse problem is always feasible) and add arcs by pricing:
  school prices from shortest paths on the exchange graph of the sparse optimum; an arc left
  out with a negative reduced cost is added and the flow re-solved; when none is left the
  prices prove the sparse optimum optimal for the full problem (:mod:`.exact`).
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
from . import exact as _exact
from .exact import EuclideanCosts

__all__ = [
    "EuclideanCosts",
    "allocate",
    "assign_min_cost",
    "assign_greedy",
    "priority_order",
    "tie_break_key",
    "total_distance",
    "euclidean_distance_matrix",
    "network_distance_matrix",
    "network_parts",
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
def _as_problem(cost, seats: Sequence[int], order) -> tuple:
    """Checked (costs, seats, order); ``costs`` has ``shape`` and ``rows(index)``."""
    if hasattr(cost, "rows") and hasattr(cost, "shape"):
        costs = cost  # computed a block at a time (e.g. EuclideanCosts): never n × m at once
    else:
        cost = np.asarray(cost, dtype=float)
        if cost.ndim != 2:
            raise AllocationError(
                f"cost must be a 2-D matrix (children × schools), got {cost.ndim}-D"
            )
        if np.isnan(cost).any() or (cost < 0).any():
            raise AllocationError(
                "cost must be ≥ 0 metres, np.inf for a school not allowed; got NaN or < 0"
            )
        costs = _exact.as_costs(cost)
    n, m = costs.shape
    seats = np.asarray(seats)
    if seats.shape != (m,):
        raise AllocationError(
            f"seats must have one entry per school ({m}), got shape {seats.shape}"
        )
    if not np.all(np.equal(np.mod(seats, 1), 0)) or np.any(seats < 0):
        raise AllocationError("seats must be whole numbers ≥ 0 / 学位数须为非负整数")
    order = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise AllocationError("order must be a permutation of the children's row positions")
    return costs, seats.astype(np.int64), order


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
    costs, left, order = _as_problem(cost, seats, order)
    left = left.copy()
    out = np.full(costs.shape[0], -1, dtype=np.int64)
    closed = left <= 0
    for start in range(0, len(order), 4096):
        block = order[start : start + 4096]
        rows = np.rint(costs.rows(block))
        for i, row in zip(block, rows, strict=True):
            row[closed] = np.inf
            j = int(np.argmin(row))
            if np.isfinite(row[j]):
                out[i] = j
                left[j] -= 1
                closed[j] = left[j] <= 0
    return out


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


def _placed_set(patterns, pattern_of, seats: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Matroid greedy in priority order: who gets a seat when not everyone can.

    A child is placed iff it can be added to the higher-priority children already placed
    without unseating any of them.  Runs of accepted children are found by bisection, so the
    number of max-flow checks grows with the number of children left out, not with all of them.
    """
    n = len(pattern_of)
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
    cost: np.ndarray, seats: Sequence[int], *, order=None, k: int = 8, aggregate: bool = True
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
    aggregate : bool
        Take the children sharing a point from the cost source (``same_rows``: one row read per
        point); ``False`` finds them by reading every child's row.  The answer is the same.

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
    costs, seats, order = _as_problem(cost, seats, order)
    n, m = costs.shape
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or m == 0:
        return out
    patterns, pattern_of = _exact.allowed_patterns(costs, m)
    placed = _placed_set(patterns, pattern_of, seats, order)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    rows = np.flatnonzero(placed)
    rows = rows[np.argsort(rank[rows], kind="stable")]
    start = _pattern_start(patterns, pattern_of[rows], seats)
    out[rows] = _exact.solve(
        costs, seats, rows, k=max(1, int(k)), start=start, aggregate=bool(aggregate)
    )
    return out


def _pattern_start(patterns, pattern_of, seats) -> np.ndarray:
    """Some school for every child such that all fit (they must; see :func:`_placed_set`)."""
    total = np.bincount(pattern_of, minlength=len(patterns))
    _, matrix = _max_placeable(patterns, total, seats, flows=True)
    start = np.full(len(pattern_of), -1, dtype=np.int64)
    for q in np.flatnonzero(total):
        kids = np.flatnonzero(pattern_of == q)
        start[kids] = np.repeat(np.arange(patterns.shape[1]), matrix[q])[: len(kids)]
    return start


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
    distance : ndarray (len(students), len(schools)) or cost source
        Metres in the same row/column order; ``np.inf`` = not allowed.  Either a matrix or
        an object with ``shape`` and ``rows(index)`` (and optionally ``pairs(i, j)``), read a
        block of rows or a list of arcs at a time (``placement.distance.distance_costs``,
        :class:`~geo_enroll.placement.exact.EuclideanCosts`): no n × m matrix is made here.
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
    source = _validate(students, schools, distance)
    ids = list(students.index)
    sorter = np.argsort(np.asarray([str(s) for s in ids]), kind="stable")
    st = students.iloc[sorter]
    sch_order = np.argsort(np.asarray([str(s) for s in schools.index]), kind="stable")
    sc = schools.iloc[sch_order]
    school_ids = [str(s) for s in sc.index]
    col = {s: j for j, s in enumerate(school_ids)}
    # level compatibility: one allowed-columns mask per level, costs read lazily through it
    st_level = st["level"].astype(str).to_numpy()
    sc_level = sc["level"].astype(str).to_numpy()
    levels, level_of = np.unique(st_level, return_inverse=True)
    ok = (levels[:, None] == sc_level[None, :]) | (sc_level[None, :] == "nine_year")
    dist = _exact.CostView(source, row_of=sorter, col_of=sch_order, group=level_of, allowed=ok)
    n = len(st)
    order = priority_order(st, seed=seed)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    left = sc["seats"].astype(int).to_numpy().copy()

    # stage 1: deferred acceptance on [preference, *zone_schools]
    wanted_rows, wanted_cols = [], []
    for i, (pref, zone) in enumerate(
        zip(st.get("preference", [None] * n), st["zone_schools"], strict=True)
    ):
        wanted = [] if _missing(pref) else [str(pref)]
        wanted += [str(z) for z in (zone or ())]
        for s in wanted:
            wanted_rows.append(i)
            wanted_cols.append(col[s])
    reachable = np.isfinite(dist.pairs(wanted_rows, wanted_cols)).tolist()
    lists: list[list[int]] = [[] for _ in range(n)]
    for i, j, fine in zip(wanted_rows, wanted_cols, reachable, strict=True):
        if fine and j not in lists[i]:
            lists[i].append(j)
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

    # stage 2: overflow on the seats left (the solver reads the rows a block at a time)
    over = np.flatnonzero(school_of < 0)
    if len(over):
        sub = _exact.CostView(dist, row_of=over, allowed=(left > 0)[None, :])
        sub_order = np.argsort(rank[over], kind="stable")
        solver = assign_min_cost if method == "optimal" else assign_greedy
        got = solver(sub, np.maximum(left, 0), order=sub_order)
        for i, j in zip(over, got, strict=True):
            if j >= 0:
                school_of[i] = j
                left[j] -= 1

    # result and trace: the distance of each child's school, the full schools nearest first
    placed = np.flatnonzero(school_of >= 0)
    d_of = np.full(n, np.nan)
    d_of[placed] = dist.pairs(placed, school_of[placed])
    full_of: list[tuple[str, ...]] = [()] * n
    asked = [i for i in range(n) if stage[i] != "overflow" and rejected_by[i]]
    pr = [i for i in asked for _ in rejected_by[i]]
    pq = [q for i in asked for q in rejected_by[i]]
    rej_d = dict(zip(zip(pr, pq, strict=True), dist.pairs(pr, pq).tolist(), strict=True))
    for i in asked:
        full = set(rejected_by[i]) - {int(school_of[i])}
        key = sorted(full, key=lambda q, i=i: (rej_d[i, q], q))
        full_of[i] = tuple(school_ids[q] for q in key)
    in_overflow = np.flatnonzero(stage == "overflow")
    for start in range(0, len(in_overflow), 4096):
        block = in_overflow[start : start + 4096]
        for i, row in zip(block, dist.rows(block), strict=True):
            j = school_of[i]
            limit = row[j] if j >= 0 else np.inf
            near = (left <= 0) & np.isfinite(row) & ((row < limit) | (j < 0))
            full = set(rejected_by[i]) | {int(q) for q in np.flatnonzero(near)}
            full.discard(int(j))
            key = sorted(full, key=lambda q, row=row: (row[q], q))
            full_of[i] = tuple(school_ids[q] for q in key)
    result = [
        (
            school_ids[school_of[i]] if school_of[i] >= 0 else None,
            "placed" if school_of[i] >= 0 else "no_seat",
            stage[i],
            float(d_of[i]),
            full_of[i],
        )
        for i in range(n)
    ]
    out = pd.DataFrame(
        result,
        index=st.index,
        columns=["school_id", "status", "stage", "distance_m", "full_schools"],
    )
    return out.loc[students.index]


def _validate(students: pd.DataFrame, schools: pd.DataFrame, distance):
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
    if hasattr(distance, "rows") and hasattr(distance, "shape"):
        dist = distance  # a cost source read a block at a time (never n × m at once)
    else:
        dist = np.asarray(distance, dtype=float)
    if tuple(dist.shape) != (len(students), len(schools)):
        problems.append(
            f"distance: expected shape ({len(students)}, {len(schools)}), got {dist.shape}"
        )
    elif isinstance(dist, np.ndarray) and (np.isnan(dist).any() or (dist < 0).any()):
        problems.append("distance: NaN or negative metres (use np.inf for not allowed)")
    if problems:
        raise AllocationError("cannot allocate / 无法分配学位", problems=problems)
    known = {str(s) for s in schools.index}
    if "seats" in schools:
        bad = [str(s) for s, v in schools["seats"].items() if not float(v) >= 0 or float(v) % 1]
        if bad:
            problems.append(f"schools: seats must be whole numbers ≥ 0: {bad}")
    prefs = students["preference"] if "preference" in students else [None] * len(students)
    for sid, zone, pref in zip(students.index, students["zone_schools"], prefs, strict=True):
        asked = list(zone or ())
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
            if length == 0.0:  # the nearest point is the end itself (within float rounding)
                continue
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
    o_acc, o_node, sp, d_acc = network_parts(
        origins, destinations, streets, segment_m=segment_m, join_m=join_m
    )
    if sp is None:
        return np.zeros((len(o_acc), len(d_acc)))
    return o_acc[:, None] + sp[:, o_node].T + d_acc[None, :]


def network_parts(
    origins, destinations, streets, *, segment_m: float = 25.0, join_m: float = 2.0
) -> tuple:
    """What :func:`network_distance_matrix` adds up, without the n × m matrix.

    Returns ``(o_acc, o_node, sp, d_acc)``: each origin's access leg (metres) and street-graph
    node, the shortest paths from every destination to every node (destinations × nodes,
    independent of the number of origins) and each destination's access leg; the distance of
    origin ``i`` to destination ``j`` is ``o_acc[i] + sp[j, o_node[i]] + d_acc[j]``.  ``sp`` is
    ``None`` when there are no origins or destinations.

    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> streets = gpd.GeoSeries([LineString([(0, 0), (100, 0), (100, 100)])], crs=32650)
    >>> a = gpd.GeoSeries([Point(0, 1)], crs=32650)
    >>> o_acc, o_node, sp, d_acc = network_parts(a, a, streets)
    >>> float(o_acc[0] + sp[0, o_node[0]] + d_acc[0])
    2.0
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
        return o_acc, o_node, None, d_acc
    sp = dijkstra(graph, directed=False, indices=d_node)
    return o_acc, o_node, sp, d_acc
