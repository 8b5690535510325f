"""The exact overflow assignment at county scale (the solver behind ``assign_min_cost``).

The objective is written down in ``docs/allocation.md`` (§1, "The objective of the exact
assignment"): who gets a seat is decided in priority order (a transversal-matroid greedy, in
:mod:`.allocate`), then *where* minimises the total distance in whole metres.  This module
solves the *where* part on a sparse graph, reading the costs a block of rows at a time, so the
children × schools matrix is never held.

**Sites.**  Children whose whole-metre rows are identical (the same address point: a village,
a building) form one *site*: a supply node with as many units as children.  The source says
which children share a point (``same_rows()``: :class:`EuclideanCosts` dedupes coordinates
exactly, a :class:`CostView` adds its mask group), one row per point is read and hashed
(straight lines: computed and hashed in one C pass, :func:`_xy_rows`), and points with
identical rows merge too (checked value by value); a source that knows nothing
(a matrix) gets every row hashed, with the same result.  Everything below works per site; at
the end each flow node's seats go to its children nearest first in priority order (lower
column on equal metres) — of two children with identical rows the higher-priority one gets
the nearer school (``docs/allocation.md``, "Ties").

Up to ``_FULL_ARCS`` (1 million) sites × schools, one min-cost flow on every arc is exact by
construction.  Above it, when the sites' rows fit in memory (``_HELD_CELLS``: 60 million
whole metres as float32, 240 MB), the **transport solver** (``_transport_ext.c``,
:func:`_solve_transport`): successive shortest paths on the graph of the *schools*, every arc
of every site held.  The residual arc a → b ("move one child from a to b") costs the least
``metres(b) - metres(a)`` over the sites at a (a school × school table kept as sites come and
go; an entry whose site left is a lower bound until it is needed); a node z takes the seats.
Each phase runs Dijkstra (dense, reduced costs) from the schools with too many children to
the nearest one lacking them, raises the potentials, and moves children along arcs of zero
reduced cost by fewest arcs (breadth-first levels, as many children a path as it takes).
Costs are scaled (``metres >> shift``, three bits a step down to the metre); a step finer,
every site not on a school of least ``cost - potential`` moves to one, which keeps every
reduced cost ≥ 0.  Above ``_TRANSPORT_SITES`` sites the solve starts from the potentials of a
coarser county (cells of nearby sites as below, about a quarter as many, each with its
children's mean row; itself started from a coarser one while above the limit).  The
answer is then checked in NumPy against the optimality conditions of the transportation
problem on *every* arc (seats, every child placed once, each used school of least
``cost + price`` of its site, prices ≥ 0 where children sit and ≤ 0 where seats are free): a
bug is an error, never a wrong answer.  Rows too many to hold but straight lines from
coordinates (:class:`EuclideanCosts`): the same solver computes the metres itself
(:func:`_solve_transport_xy`).  Without the compiled module (``GEO_ENROLL_NO_EXT=1``, no
compiler), **coarse to fine** (:func:`_solve_levels`), which gives the same totals:

1. **Cells**: nearby sites (the same allowed schools, the same ``floor(metres / g)`` to six
   far-apart schools) are grouped into about a sixth as many cells; the coarse county (a
   supply node per cell with its children's mean row, the same seats) is solved the same
   way, down to a level of at most ``_BASE_ARCS`` arcs solved on every arc.  A coarser level
   stops once at most one site in 50 breaks its certificate: its answer is only a guess.
2. **Start**: the coarse answer gives this level its school prices and a feasible start (each
   coarse node's seats handed to the children of its sites in order); each site gets the
   start's arcs and its 12 schools of least ``cost + price`` within 150 m of its least.
3. **Rounds**: a min-cost flow on the candidate arcs (OR-Tools ``SimpleMinCostFlow``; sites
   with one arc share one node per school, sites with identical arcs and costs share a
   node), school prices from Bellman-Ford on its exchange graph, and the **certificate on
   every arc of every site**: a site with an arc of lower ``cost + price`` than its dearest
   used school gets up to 8 more arcs (the most negative reduced costs, up to 150 m above that
   school) and the flow is solved again.  Once at most one site in 50 breaks it, the sites
   that never broke it are *settled*: the next flows keep only their used arcs and those
   within 60 m of them (far fewer flow nodes), with prices kept as near the previous ones as
   the flow allows; a settled site the certificate finds wrong gets its arcs back.  When no
   arc of any site has a negative reduced cost, the prices are a dual certificate: the flow
   is optimal for the full problem.  The guesses (cells, start, settled sites) only save
   work.

When the rows are not held (or the sites form no coarser county), the rounds read the rows
from the source instead: school prices are first estimated on every 10th child (on its
sites, seats scaled by the same share, solved on all of their arcs; only when those are at
most a quarter of the sites), each site starts with its 12 schools of least ``cost + price``
within 150 m of its least (the ``k`` nearest when there is no estimate), plus the greedy
start (sites in the order of their first child, each taking the nearest seats left for all
its children) and, if that strands a child, the caller's feasible start; then the same
rounds without settling, a site re-read only when the least ``cost + price`` it left out,
recorded when it was last read, shifted by the least price change since, could beat its
dearest used school.

Costs come either as a dense matrix or as any object with ``shape`` and ``rows(index)``
returning a block of rows (:class:`EuclideanCosts` computes straight lines from coordinates).

>>> import numpy as np
>>> kids = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 1.0]])
>>> costs = EuclideanCosts(kids, np.array([[0.0, 0.0], [12.0, 0.0]]))
>>> solve(costs, np.array([1, 2]), np.arange(3)).tolist()
[0, 1, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AllocationError

__all__ = ["ArcCosts", "CostView", "EuclideanCosts", "pair_costs", "solve"]

_CHUNK = 8192  # rows per block: bounds the memory of a pass at _CHUNK × schools
_PER_CHILD = 8  # arcs added per site and round at most (the most negative reduced costs) ...
_SLACK = 150.0  # ... taken up to 150 m above its dearest used cost + price (fewer rounds)
_FULL_ARCS = 1_000_000  # up to this many sites × schools, one solve on the full graph
_SAMPLE_ARCS = 6_000_000  # the price sample's arcs at most ...
_SAMPLE_SITES = 4  # ... and its sites at most a quarter of all sites
_SAMPLE_SHARE = 10  # above it, prices first from one child in 10 (solved on all its arcs)
_PRICED_K = 12  # then each child starts with its 12 schools of least cost + price ...
_WINDOW = 150.0  # ... that are within 150 m of its least cost + price
_HELD_CELLS = 60_000_000  # sites × schools up to this: the sites' rows held in memory (240 MB)
_EXACT32 = 2.0**23  # ... as float32 (whole metres and their sums with prices below 2**24 exact)
_PROBES = 32  # identical rows are found by a hash of this many columns first
# coarse-to-fine (the sites' rows held): prices and a feasible start from a coarser county
_BASE_ARCS = 100_000  # a level this small (sites × schools): one flow on every arc
_SHRINK = 6  # each coarser level has about a sixth of the sites (cells of nearby sites)
_ANCHORS = 6  # cells from the whole metres to this many far-apart schools
_TAIL = 50  # at most one site in 50 breaking the certificate: ...
_TIGHT = 60.0  # ... the flow keeps, of the other sites, the used arcs and those this close
_PRUNED_ROUNDS = 25  # pruned rounds at most, then every arc stays (termination)
_COARSE_STOP = 50  # a coarser level stops at one site in 50 (its answer is only a guess)
_TRANSPORT = True  # held rows: the compiled transport solver when built (False: coarse to fine)
_TRANSPORT_SCHOOLS = 4_000  # its school × school tables: 4 000² × 12 bytes at most
_TRANSPORT_SITES = 20_000  # a transport level above this many sites starts from a coarser one
_TRANSPORT_SHRINK = 4  # ... of about a quarter of its sites (so 100 000 sites: three levels)


@dataclass(frozen=True, eq=False)
class EuclideanCosts:
    """Straight-line metres from child points to school points, a block of rows at a time.

    Parameters
    ----------
    child_xy, school_xy : ndarray (n, 2) and (m, 2)
        Projected coordinates in metres.

    >>> c = EuclideanCosts(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]]))
    >>> c.shape, c.rows(np.array([0])).tolist()
    ((1, 2), [[5.0, 1.0]])
    """

    child_xy: np.ndarray
    school_xy: np.ndarray

    def __post_init__(self):
        for name in ("child_xy", "school_xy"):
            a = np.asarray(getattr(self, name), dtype=float)
            if a.ndim != 2 or a.shape[1] != 2 or not np.isfinite(a).all():
                raise AllocationError(f"{name} must be finite (n, 2) coordinates in metres")
            object.__setattr__(self, name, a)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.child_xy), len(self.school_xy))

    def allowed_mask(self):
        """Every cost is finite (the coordinates are checked): one all-true pattern, so
        :func:`allowed_patterns` needs no pass over the costs."""
        return np.ones((1, self.shape[1]), dtype=bool), np.zeros(self.shape[0], dtype=np.int64)

    def same_rows(self) -> np.ndarray:
        """A number per child, equal for children at exactly the same point (their rows are
        identical): the solver reads one row per point.

        >>> EuclideanCosts(np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 2.0]]),
        ...                np.zeros((1, 2))).same_rows().tolist()
        [1, 0, 1]
        """
        return _point_numbers(self.child_xy)

    def rows(self, index) -> np.ndarray:
        # sqrt(dx² + dy²) in place: a third of the time of np.hypot (whose care for overflow
        # county-scale metres do not need); differs from it by at most an ulp
        c = self.child_xy[index]
        s = self.school_xy
        dx = c[:, 0, None] - s[None, :, 0]
        dy = c[:, 1, None] - s[None, :, 1]
        np.multiply(dx, dx, out=dx)
        np.multiply(dy, dy, out=dy)
        np.add(dx, dy, out=dx)
        return np.sqrt(dx, out=dx)

    def pairs(self, i, j) -> np.ndarray:
        c, s = self.child_xy[np.asarray(i, dtype=np.int64)], self.school_xy[np.asarray(j)]
        return np.sqrt((c[:, 0] - s[:, 0]) ** 2 + (c[:, 1] - s[:, 1]) ** 2)


def _point_numbers(xy: np.ndarray) -> np.ndarray:
    """Equal numbers for exactly equal (x, y) (``0.0 == -0.0``), by one sort."""
    z = xy[:, 0] + 1j * xy[:, 1]
    return np.unique(z, return_inverse=True)[1].ravel().astype(np.int64)


class _Dense:
    """A cost matrix seen through the same ``rows`` interface."""

    def __init__(self, cost: np.ndarray):
        self.cost = cost
        self.shape = cost.shape

    def rows(self, index) -> np.ndarray:
        return self.cost[index]

    def pairs(self, i, j) -> np.ndarray:
        return self.cost[np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)]


def pair_costs(costs, i, j) -> np.ndarray:
    """Costs of the arcs (``i[k]``, ``j[k]``) of a cost source, without reading whole rows
    when the source has ``pairs`` (else a block of distinct rows at a time).

    >>> pair_costs(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, 0], [0, 1]).tolist()
    [3.0, 2.0]
    """
    costs = as_costs(costs)
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    if hasattr(costs, "pairs"):
        return np.asarray(costs.pairs(i, j), dtype=float)
    out = np.empty(len(i))
    uniq, inv = np.unique(i, return_inverse=True)
    for start in range(0, len(uniq), _CHUNK):
        sel = (inv >= start) & (inv < start + _CHUNK)
        block = costs.rows(uniq[start : start + _CHUNK])
        out[sel] = block[inv[sel] - start, j[sel]]
    return out


class CostView:
    """Some rows and columns of a cost source, ``inf`` outside an allowed mask, read lazily.

    Row ``r`` of the view is row ``row_of[r]`` of ``costs`` (all rows when ``None``), column
    ``c`` is ``col_of[c]``; the arc (r, c) is allowed where ``allowed[group[r], c]``
    (everything when ``allowed`` is ``None``), else ``inf``.  Nothing is copied: the allocator
    permutes, filters and masks n × m costs without ever holding them.

    >>> v = CostView(np.array([[1.0, 2.0], [3.0, 4.0]]), row_of=[1], col_of=[1, 0],
    ...              allowed=np.array([[True, False]]))
    >>> v.shape, v.rows([0]).tolist(), v.pairs([0], [0]).tolist()
    ((1, 2), [[4.0, inf]], [4.0])
    """

    def __init__(self, costs, *, row_of=None, col_of=None, group=None, allowed=None):
        self.costs = as_costs(costs)
        n, m = self.costs.shape
        self.row_of = None if row_of is None else np.asarray(row_of, dtype=np.int64)
        self.col_of = None if col_of is None else np.asarray(col_of, dtype=np.int64)
        rows_n = n if self.row_of is None else len(self.row_of)
        self.shape = (rows_n, m if self.col_of is None else len(self.col_of))
        self.allowed = None if allowed is None else np.asarray(allowed, dtype=bool)
        self.group = np.zeros(rows_n, dtype=np.int64) if group is None else np.asarray(group)

    def allowed_mask(self):
        """(masks, mask of each row): the allowed (finite) arcs without reading a cost, when
        the source knows its own (else None)."""
        inner = getattr(self.costs, "allowed_mask", None)
        known = inner() if inner is not None else None
        if known is None:
            return None
        masks, of = known
        if self.row_of is not None:
            of = of[self.row_of]
        if self.col_of is not None:
            masks = masks[:, self.col_of]
        if self.allowed is None:
            return masks, of
        key = of * len(self.allowed) + self.group
        uniq, inverse = np.unique(key, return_inverse=True)
        both = masks[uniq // len(self.allowed)] & self.allowed[uniq % len(self.allowed)]
        return both, inverse.ravel()

    def same_rows(self):
        """A number per row, equal for rows known to be identical (the source's, refined by
        the allowed-mask group), or None when the source does not know."""
        inner = getattr(self.costs, "same_rows", None)
        key = inner() if inner is not None else None
        if key is None:
            return None
        key = np.asarray(key, dtype=np.int64)
        if self.row_of is not None:
            key = key[self.row_of]
        if self.allowed is None:
            return key
        pair = key * len(self.allowed) + self.group
        return np.unique(pair, return_inverse=True)[1].ravel().astype(np.int64)

    def _rows(self, r):
        r = np.asarray(r, dtype=np.int64)
        return r if self.row_of is None else self.row_of[r]

    def rows(self, index) -> np.ndarray:
        block = self.costs.rows(self._rows(index))
        if self.col_of is not None:
            block = block[:, self.col_of]
        if self.allowed is not None:
            block = np.where(self.allowed[self.group[np.asarray(index)]], block, np.inf)
        return block

    def pairs(self, i, j) -> np.ndarray:
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        d = pair_costs(self.costs, self._rows(i), j if self.col_of is None else self.col_of[j])
        if self.allowed is not None:
            d = np.where(self.allowed[self.group[i], j], d, np.inf)
        return d


class ArcCosts:
    """Only the listed arcs of a cost source; every other arc is ``inf`` (not allowed).

    ``ptr`` / ``cols``: the allowed columns of row ``r`` are ``cols[ptr[r]:ptr[r + 1]]`` (CSR);
    row ``r`` is row ``row_of[r]`` of ``costs``.  Costs are read for the listed arcs only.

    >>> a = ArcCosts(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, 0], [0, 1, 2], [0, 1])
    >>> a.rows([0, 1]).tolist(), a.pairs([1], [0]).tolist()
    ([[3.0, inf], [inf, 2.0]], [inf])
    """

    def __init__(self, costs, row_of, ptr, cols):
        self.costs = as_costs(costs)
        self.row_of = np.asarray(row_of, dtype=np.int64)
        self.ptr = np.asarray(ptr, dtype=np.int64)
        self.cols = np.asarray(cols, dtype=np.int64)
        self.shape = (len(self.row_of), self.costs.shape[1])

    def rows(self, index) -> np.ndarray:
        index = np.asarray(index, dtype=np.int64)
        out = np.full((len(index), self.shape[1]), np.inf)
        lo, hi = self.ptr[index], self.ptr[index + 1]
        at = np.repeat(np.arange(len(index)), hi - lo)
        arcs = _ranges(lo, hi)
        if len(arcs):
            out[at, self.cols[arcs]] = pair_costs(
                self.costs, self.row_of[index][at], self.cols[arcs]
            )
        return out

    def pairs(self, i, j) -> np.ndarray:
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        m = max(self.shape[1], 1)
        listed = np.repeat(np.arange(self.shape[0]), np.diff(self.ptr)) * m + self.cols
        hit = np.isin(i * m + j, listed)
        out = np.full(len(i), np.inf)
        out[hit] = pair_costs(self.costs, self.row_of[i[hit]], j[hit])
        return out


def as_costs(cost):
    """``cost`` as an object with ``shape`` and ``rows`` (a matrix is wrapped)."""
    if hasattr(cost, "rows") and hasattr(cost, "shape"):
        return cost
    return _Dense(np.asarray(cost, dtype=float))


def _metres(block: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Whole metres, ``inf`` where not allowed or the school has no seat."""
    r = np.rint(block)
    r[:, closed] = np.inf
    return r


# --------------------------------------------------------------------------- the solver
def solve(
    costs, seats: np.ndarray, rows: np.ndarray, *, k: int = 8, start=None, aggregate=True
) -> np.ndarray:
    """School column per child of ``rows`` (in priority order), all of whom must be seated.

    ``start``: a school per child of ``rows`` seating them all (needed only when the greedy
    answer leaves one out).  ``aggregate=False`` ignores what the source knows about shared
    points and finds the identical rows by reading every child's row (slower, same answer: the
    tests compare the two).  Returns an array aligned with ``rows``.
    """
    costs = as_costs(costs)
    seats = np.asarray(seats, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    n, m = len(rows), len(seats)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    closed = seats <= 0
    site_of, rep, held = _sites(costs, rows, closed, aggregate)
    count = np.bincount(site_of, minlength=len(rep)).astype(np.int64)
    sites = _SiteRows(costs, rep, closed, held)
    every = np.arange(len(rep))
    if len(rep) * m <= _FULL_ARCS:  # small enough: one min-cost flow on every arc, no pricing
        res = _flow(_Arcs.first(sites, every, closed, m), seats, count)
    else:  # the rows in memory: the transport solver (or coarse to fine); else rounds
        levels = None
        if held is not None:
            levels = _solve_transport(held, count, seats) if _TRANSPORT else None
            if levels is None:
                levels = _solve_levels(held, count, seats)
        elif _TRANSPORT and type(costs) is EuclideanCosts:  # straight lines from coordinates
            levels = _solve_transport_xy(costs, rep, closed, count, seats)
        if levels is not None:
            res = levels[0]
        else:
            res = _solve_sparse(sites, seats, rows, every, site_of, count, k, start)
    return _split(res, site_of)


class _SiteRows:
    """Whole metres of each site's row (closed schools ``inf``), held in memory when the
    sites × schools fit ``_HELD_CELLS`` (every pass then reads them instead of the source)."""

    def __init__(self, costs, rep, closed, held=None):
        self.costs, self.rep, self.closed = costs, rep, closed
        self.shape = (len(rep), len(closed))
        self.held = held

    def rows(self, index) -> np.ndarray:
        if self.held is not None:
            return self.held[np.asarray(index, dtype=np.int64)]
        return _metres(self.costs.rows(self.rep[index]), self.closed)


def _sites(costs, rows, closed, aggregate):
    """The distinct cost rows of ``rows``: (site of each child, source row of each site).

    Children whose whole-metre rows (closed schools masked) are identical share a site; sites
    are numbered in the order of their first child (priority order), so the numbering depends
    on the costs and the order only, not on how the identical rows were found.  The source's
    ``same_rows()`` (equal coordinates, say) gives a first grouping without reading a cost;
    then one row per group is read and hashed (64-bit) on ``_PROBES`` evenly spaced columns,
    the rows of equal hashes hashed again on every column (straight lines from coordinates:
    every row hashed whole in one compiled pass, :func:`_xy_rows`), and the groups with equal
    hashes are merged after an element-by-element check.  The rows are kept (``float32``, exact for
    whole metres below ``_EXACT32``) when the sites × schools are at most ``_HELD_CELLS``.
    """
    n = len(rows)
    known = getattr(costs, "same_rows", None) if aggregate else None
    key = known() if known is not None else None
    if key is None:
        site_of, rep = np.arange(n), rows
    else:
        site_of, first = _first_order(np.asarray(key)[rows])
        rep = rows[first]
    m = len(closed)
    hold = len(rep) * m <= _HELD_CELLS
    compiled = _xy_rows(costs, rep, closed, hold)
    if compiled is not None:  # straight lines: every row hashed whole (and held) in C
        h, held = compiled
        cls, first = _first_order(h)
    else:
        held, cls, first = _probed_rows(costs, rep, closed, hold)
    if len(first) < len(rep):  # equal hashes: check every merged row against its class's first
        merged = np.flatnonzero(np.bincount(cls, minlength=len(first))[cls] > 1)
        for start in range(0, len(merged), _CHUNK):
            s = merged[start : start + _CHUNK]
            mine = _metres(costs.rows(rep[s]), closed)
            theirs = _metres(costs.rows(rep[first[cls[s]]]), closed)
            if not np.array_equal(mine, theirs):  # pragma: no cover - a 64-bit collision
                return (*_sites_exact(costs, rows, closed), None)
    if held is not None and not np.array_equal(first, np.arange(len(rep))):
        held = held[first]
    return cls[site_of], rep[first], held


def _probed_rows(costs, rep, closed, hold):
    """:func:`_sites`' classes from the rows the source gives: (held rows or None, class of
    each row by hash, first row of each class), hashed first on ``_PROBES`` columns, the rows
    of equal hashes again on every column."""
    m = len(closed)
    probe = np.unique(np.linspace(0, m - 1, min(m, _PROBES)).astype(np.int64)) if m else closed
    h = np.empty(len(rep), dtype=np.uint64)
    held = np.empty((len(rep), m), dtype=np.float32) if hold else None
    for start in range(0, len(rep), _CHUNK):
        block = costs.rows(rep[start : start + _CHUNK])
        if hold:
            big = max(block.max(initial=0.0), -block.min(initial=0.0))  # inf: not allowed
            if np.isinf(big):
                big = np.abs(block[np.isfinite(block)]).max(initial=0.0)
            hold = bool(big < _EXACT32 - 1)  # nan: not held
        if hold:  # rounded straight into the held float32 rows (exact below 2 ** 24)
            out = held[start : start + len(block)]
            np.rint(block, out=out, casting="same_kind")
            out[:, closed] = np.inf
            h[start : start + _CHUNK] = _row_hash(out[:, probe])
            continue
        held = None
        block = _metres(block, closed)
        h[start : start + _CHUNK] = _row_hash(block[:, probe])
    cls, first = _first_order(h)
    if len(first) < len(rep):  # equal hashes of the probed columns: the whole rows decide
        merged = np.flatnonzero(np.bincount(cls, minlength=len(first))[cls] > 1)
        mix, salt = np.uint64(0x9E3779B97F4A7C15), np.uint64(0x2545F4914F6CDD1D)
        with np.errstate(over="ignore"):
            for start in range(0, len(merged), _CHUNK):
                s = merged[start : start + _CHUNK]
                whole = _row_hash(_metres(costs.rows(rep[s]), closed))
                h[s] = (h[s] ^ salt) * mix + whole
        cls, first = _first_order(h)
    return held, cls, first


def _xy_rows(costs, rep, closed, hold):
    """For straight lines from coordinates (:class:`EuclideanCosts` itself) and the compiled
    module: (a 64-bit hash of each site's whole-metre row, the rows as float32 when ``hold``
    and every metre is below ``_EXACT32``, else None), computed in one C pass
    (``xy_rows``: NumPy's ``rint(sqrt(dx * dx + dy * dy))`` exactly); None otherwise."""
    ext = _transport_ext() if type(costs) is EuclideanCosts else None
    if ext is None:
        return None
    n, m = len(rep), len(closed)
    xy = np.ascontiguousarray(costs.child_xy[rep], dtype=np.float64)
    sxy = np.ascontiguousarray(costs.school_xy, dtype=np.float64)
    held = np.empty((n, m), dtype=np.float32) if hold else None
    shut = np.ascontiguousarray(closed, dtype=np.uint8)
    h, fits = ext.xy_rows(xy, sxy, shut, n, m, _EXACT32 - 1, held)
    return np.frombuffer(h, dtype=np.uint64), held if fits else None


def _sites_exact(costs, rows, closed):  # pragma: no cover - only after a hash collision
    """The same as :func:`_sites` by sorting whole rows (slow, exact)."""
    block = np.vstack(
        [_metres(costs.rows(rows[s : s + _CHUNK]), closed) for s in range(0, len(rows), _CHUNK)]
    )
    _, inverse = np.unique(block, axis=0, return_inverse=True)
    site_of, first = _first_order(inverse.ravel())
    return site_of, rows[first]


def _first_order(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number equal keys by their first occurrence: (number of each, position of each first).

    >>> [a.tolist() for a in _first_order(np.array([7, 3, 7, 5, 3]))]
    [[0, 1, 0, 2, 1], [0, 1, 3]]
    """
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    by_first = np.argsort(first, kind="stable")
    number = np.empty(len(first), dtype=np.int64)
    number[by_first] = np.arange(len(first))
    return number[inverse.ravel()], first[by_first]


_HASH_MIX = np.random.default_rng(0x5EED).integers(1, 2**63, size=4096, dtype=np.uint64) | 1


def _row_hash(r: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each whole-metre row (``inf`` included), from every value and column."""
    m = r.shape[1]
    mix = _HASH_MIX[np.arange(m) % len(_HASH_MIX)] ^ (
        np.arange(m, dtype=np.uint64) >> np.uint64(12)
    )
    v = np.where(np.isfinite(r), r, -1.0).astype(np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (v + np.uint64(2)) * mix[None, :]
        x ^= x >> np.uint64(29)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(32)
        return x.sum(axis=1, dtype=np.uint64)


class _HeldRows:
    """Held whole-metre rows seen through the ``rows`` interface (for :class:`_Arcs`)."""

    def __init__(self, rows: np.ndarray):
        self.held = rows
        self.shape = rows.shape

    def rows(self, index) -> np.ndarray:
        return self.held[np.asarray(index, dtype=np.int64)]


def _solve_levels(rows: np.ndarray, count: np.ndarray, seats: np.ndarray, top: bool = True):
    """Coarse to fine on the sites' held whole-metre ``rows`` (``count`` children each):
    (flow result, school prices), certified on every arc of ``rows``; None at the top when
    the sites do not group into a coarser county (the caller then prices in rounds).

    A level of at most ``_BASE_ARCS`` arcs is one flow on every arc.  Otherwise nearby sites
    are grouped into cells (:func:`_coarsen`); the coarse county (a supply node per cell,
    its children's mean row, the same seats) is solved the same way, and its answer gives
    this level its first prices and a feasible start (each cell's seats handed to its
    sites, :func:`_split_start`); then the pricing rounds (:func:`_rounds_held`).  The
    coarse answer only saves work: exactness comes from this level's certificate.
    """
    n, m = rows.shape
    if n * m > _BASE_ARCS:
        cell, coarse_rows, coarse_count = _coarsen(rows, count, max(1, n // _SHRINK))
        if 2 * len(coarse_count) <= n:
            res, price = _solve_levels(coarse_rows, coarse_count, seats, top=False)
            si, sj = _split_start(res, cell, count, m)
            return _rounds_held(rows, count, seats, price, si, sj, certify=top)
        if top:
            return None
    every = _Arcs.every(rows)
    res = _flow(every, seats, count)
    return res, _prices(every, res, seats)


def _transport_ext():
    """The compiled transport solver, or None (not built, or ``GEO_ENROLL_NO_EXT=1``)."""
    import os

    if os.environ.get("GEO_ENROLL_NO_EXT") == "1":
        return None
    try:
        from . import _transport_ext  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _transport_ext


def _transport_potential(ext, rows: np.ndarray, count: np.ndarray, seats: np.ndarray):
    """The transport solver on held rows: (site, school, units, potentials), the potentials
    (m + 1, the last z's) of the optimum.  Above ``_TRANSPORT_SITES`` sites the solve
    starts from the potentials of a coarser county (cells of nearby sites, as
    :func:`_coarsen`), which only saves work."""
    n, m = rows.shape
    start = None
    if n > _TRANSPORT_SITES:
        cell, _, coarse_count = _coarsen(rows, count, max(1, n // _TRANSPORT_SHRINK), mean=False)
        if 2 * len(coarse_count) <= n:  # each cell as its sites' mean row (a guess)
            cells = len(coarse_count)
            mean = ext.cell_rows(
                np.ascontiguousarray(rows, dtype=np.float32),
                np.ascontiguousarray(cell, dtype=np.int64),
                np.ascontiguousarray(count, dtype=np.int64),
                n,
                m,
                cells,
            )
            coarse = np.frombuffer(mean, dtype=np.float32).reshape(cells, m)
            start = _transport_potential(ext, coarse, coarse_count, seats)[3]
    out = ext.transport(
        np.ascontiguousarray(rows, dtype=np.float32),
        np.ascontiguousarray(count, dtype=np.int64),
        np.ascontiguousarray(seats, dtype=np.int64),
        n,
        m,
        3,
        8,
        start,
    )
    return tuple(np.frombuffer(b, dtype=np.int64) for b in out[:4])


def _solve_transport(rows: np.ndarray, count: np.ndarray, seats: np.ndarray):
    """The exact assignment of the sites' held rows by the compiled transport solver
    (``_transport_ext.c``: successive shortest paths between the schools, cost scaling,
    every arc of every site held): (flow result, school prices), or None when the solver
    is not built (or above ``_TRANSPORT_SCHOOLS`` schools).  Its answer is checked here
    against the optimality conditions of the transportation problem, on every arc: an
    error, never a wrong answer, if it fails."""
    ext = _transport_ext()
    if ext is None or rows.shape[1] > _TRANSPORT_SCHOOLS:
        return None
    seats = np.maximum(np.asarray(seats, dtype=np.int64), 0)
    try:
        answer = _transport_potential(ext, rows, count, seats)
    except ValueError as exc:
        raise AllocationError(f"internal: the transport solver failed ({exc})") from exc
    return _transport_result(
        answer,
        count,
        seats,
        lambda site, school: rows[site, school].astype(np.int64),
        lambda price: _least(rows, price),
    )


def _solve_transport_xy(costs, rep, closed, count, seats):
    """The transport solver on straight lines from coordinates (no rows held: the solver
    computes whole metres as :class:`EuclideanCosts` does, ``rint(sqrt(dx² + dy²))``), for
    counties too large to hold; the same check, with each site's least ``cost + price`` from
    a separate C loop.  None when the solver is not built."""
    ext = _transport_ext()
    m = len(seats)
    if ext is None or m > _TRANSPORT_SCHOOLS:
        return None
    seats = np.maximum(np.asarray(seats, dtype=np.int64), 0)
    xy = np.ascontiguousarray(costs.child_xy[rep], dtype=np.float64)
    sxy = np.ascontiguousarray(costs.school_xy, dtype=np.float64)
    shut = np.ascontiguousarray(closed, dtype=np.uint8)
    try:
        answer = _transport_xy_potential(ext, xy, count, sxy, shut, seats)
    except ValueError as exc:
        raise AllocationError(f"internal: the transport solver failed ({exc})") from exc
    n = len(xy)
    return _transport_result(
        answer,
        count,
        seats,
        lambda site, school: np.rint(costs.pairs(rep[site], school)).astype(np.int64),
        lambda price: np.frombuffer(ext.least_xy(xy, sxy, shut, price, n, m), dtype=np.float64),
    )


def _transport_result(answer, count, seats, cost_of, least_of):
    """(flow result, school prices) from the solver's (site, school, units, potentials),
    once :func:`_check_transport` holds: ``cost_of(site, school)`` whole metres of the used
    arcs, ``least_of(price)`` each site's least ``cost + price`` over all its schools."""
    site, school, units, pot = answer
    m = len(seats)
    order = np.lexsort((school, site))
    site, school, units = site[order], school[order], units[order]
    cost = cost_of(site, school)
    price = (pot[m] - pot[:m]).astype(np.float64)  # z at 0; a full school's price >= 0
    load = np.bincount(school, weights=units, minlength=m).astype(np.int64)
    _check_transport(count, seats, site, school, units, cost, price, load, least_of)
    res = _Solved(np.zeros(0, dtype=bool), load, np.arange(len(count)), site, school, cost, units)
    return res, price


def _transport_xy_potential(ext, xy, count, sxy, shut, seats):
    """:func:`_transport_potential` on coordinates: the coarser county's cells are squares
    of a grid (about a quarter as many as the sites), each at its children's centroid."""
    n, m = len(xy), len(sxy)
    start = None
    if n > _TRANSPORT_SITES:
        target = max(1, n // _TRANSPORT_SHRINK)
        lo_xy = xy.min(axis=0)

        def cells(g):
            k = np.floor((xy - lo_xy) / g).astype(np.int64)
            return np.unique(k[:, 0] * (1 << 31) + k[:, 1], return_inverse=True)[1].ravel()

        span = np.ptp(xy, axis=0) + 1.0
        guess = float(np.sqrt(span[0] * span[1] / target))  # squares if spread evenly
        lo = guess / 8
        while cells(lo).max(initial=0) + 1 <= target and lo > 1e-3:  # pragma: no cover
            lo /= 8
        cell = cells(_cell_size(cells, lo, guess * 8, target, 7))
        k = int(cell.max(initial=-1)) + 1
        if 2 * k <= n:
            w = np.bincount(cell, count, minlength=k)
            cxy = np.stack(
                [np.bincount(cell, count * xy[:, d], minlength=k) / w for d in (0, 1)], axis=1
            )
            ccount = w.astype(np.int64)
            start = _transport_xy_potential(ext, cxy, ccount, sxy, shut, seats)[3]
    out = ext.transport(
        None,
        np.ascontiguousarray(count, dtype=np.int64),
        seats,
        n,
        m,
        3,
        8,
        start,
        np.ascontiguousarray(xy, dtype=np.float64),
        sxy,
        shut,
    )
    return tuple(np.frombuffer(b, dtype=np.int64) for b in out[:4])


def _check_transport(count, seats, site, school, units, cost, price, load, least_of):
    """The optimality conditions: every child seated once, no school over its seats, every
    used arc of least ``cost + price`` of its site over *all* its arcs (``least_of(price)``:
    each site's least), a school with a free seat priced 0 or below, a school with children
    priced 0 or above."""
    n = len(count)
    ok = (units > 0).all() and np.array_equal(np.bincount(site, units, minlength=n), count)
    ok = ok and (load <= seats).all()
    ok = ok and (price[load < seats] <= 0).all() and (price[load > 0] >= 0).all()
    if ok:
        ok = bool((cost + price[school] <= least_of(price)[site] + 0.5).all())
    if not ok:  # would be a bug of the compiled solver (the tests feed it a wrong answer)
        raise AllocationError("internal: the transport solver's answer is not optimal")


def _coarsen(rows: np.ndarray, count: np.ndarray, target: int, mean: bool = True):
    """Cells of nearby sites: (cell of each site, mean whole-metre row of each cell — or
    with ``mean=False`` the number of its first site —, its children).

    Nearby without coordinates: sites in one cell have the same allowed schools and the
    same ``floor(metres / g)`` to ``_ANCHORS`` far-apart schools (the first the farthest
    on average, each next the farthest on average from those before; on a sample of the
    rows), with the cell size ``g`` the smallest (of a bisection) giving at most
    ``target`` cells.  Only a guess at prices: any grouping keeps the answer exact.
    """
    n, m = rows.shape
    sample = rows[:: max(1, n // 1000)]
    fin = np.isfinite(sample)
    val = np.where(fin, sample, 0.0)
    seen = fin.sum(axis=0)
    far = np.where(seen > 0, val.sum(axis=0) / np.maximum(seen, 1), -1.0)
    anchors = [int(np.argmax(far))]
    spread = np.full(m, np.inf)
    for _ in range(min(_ANCHORS, m) - 1):
        a = anchors[-1]
        both = fin & fin[:, [a]]
        gap = np.where(both, np.abs(val - val[:, [a]]), 0.0).sum(axis=0)
        spread = np.minimum(spread, gap / np.maximum(both.sum(axis=0), 1))
        spread[seen == 0] = -1.0
        spread[anchors] = -1.0
        anchors.append(int(np.argmax(spread)))
    at = rows[:, anchors]
    at = np.where(np.isfinite(at), at, -1.0)
    allowed = np.isfinite(rows)
    if allowed.all():
        pattern = np.zeros((n, 0), dtype=np.int64)
    else:
        packed = np.packbits(allowed, axis=1)
        pattern = np.unique(packed, axis=0, return_inverse=True)[1].reshape(n, 1)
    top = float(np.max(at, initial=0.0)) + 1.0

    def cells(g):
        key = np.hstack([pattern, np.floor(at / g).astype(np.int64)])
        if mean:
            return _group_rows(key)
        # a guess only: one 64-bit mix of the key (a collision merges two cells, harmless)
        with np.errstate(over="ignore"):
            mixed = (key.astype(np.uint64) * _HASH_MIX[: key.shape[1]]).sum(axis=1)
        return np.unique(mixed, return_inverse=True)[1].ravel()

    # g within a factor top ** (1 / 1024) of the least (a guess's cells: top ** (1 / 64))
    cell = cells(_cell_size(cells, 1.0, top, target, 10 if mean else 6))
    order = np.argsort(cell, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cell[order]) != 0])
    children = np.add.reduceat(count[order], starts)
    if not mean:
        return cell, order[starts], children.astype(np.int64)
    weight = count[order, None].astype(rows.dtype)
    total = np.add.reduceat(rows[order] * weight, starts, axis=0, dtype=np.float64)
    return cell, np.rint(total / children[:, None]), children.astype(np.int64)


def _cell_size(cells, lo: float, hi: float, target: int, steps: int) -> float:
    """The least cell size (of a geometric bisection of ``steps`` between ``lo`` and ``hi``)
    whose ``cells(size)`` number at most ``target``.

    >>> round(_cell_size(lambda g: np.arange(int(1000 / g)), 1.0, 1000.0, 10, 20))  # 1000/11
    91
    """
    for _ in range(steps):
        g = float(np.sqrt(lo * hi))
        if cells(g).max(initial=0) + 1 > target:
            lo = g
        else:
            hi = g
    return hi


def _group_rows(key: np.ndarray) -> np.ndarray:
    """Equal integer rows get equal numbers (in the order of the sorted rows).

    >>> _group_rows(np.array([[1, 2], [0, 5], [1, 2]])).tolist()
    [1, 0, 1]
    """
    order = np.lexsort(key.T[::-1])
    k = key[order]
    new = np.r_[True, (k[1:] != k[:-1]).any(axis=1)] if len(k) else np.zeros(0, dtype=bool)
    out = np.empty(len(key), dtype=np.int64)
    out[order] = np.cumsum(new) - 1
    return out


def _split_start(res: _Solved, cell: np.ndarray, count: np.ndarray, m: int):
    """A feasible start for the fine sites from the coarse flow: each coarse flow node's
    seats handed to the children of its sites in site order; the (site, school) pairs."""
    site_cls = res.cls_of[cell]
    order = np.argsort(site_cls, kind="stable")
    f = res.arc_flow > 0
    slot_col = np.repeat(res.arc_col[f], res.arc_flow[f])  # by class: the classes' seats
    child_site = np.repeat(order, count[order])  # by class: the classes' children
    pair = np.unique(child_site * m + slot_col)
    return pair // m, pair % m


def _least(rows: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Each row's least ``cost + price`` (a block of rows at a time; in the rows' float32
    when the prices are whole metres small enough for the sums to be exact)."""
    if rows.dtype == np.float32 and np.abs(price).max(initial=0.0) < _EXACT32:
        price = price.astype(np.float32)
    out = np.empty(len(rows))
    for start in range(0, len(rows), _CHUNK):
        out[start : start + _CHUNK] = (rows[start : start + _CHUNK] + price[None, :]).min(axis=1)
    return out


def _rounds_held(rows, count, seats, price, si, sj, certify=True):
    """The pricing rounds on held rows from estimated prices and a feasible start.

    The first arcs: each site's ``_PRICED_K`` schools of least ``cost + price`` within
    ``_WINDOW`` of its least, plus the start.  Each round: a flow, the prices of its
    exchange graph, the certificate on *every* arc of every site; a site breaking it gets up
    to ``_PER_CHILD`` more arcs (most negative reduced costs, up to ``_SLACK`` above its
    dearest used school).  Once at most one site in ``_TAIL`` breaks it, the next flows
    keep, of each site that never broke it, only its used arcs and those within ``_TIGHT``
    of its dearest used ``cost + price`` (the other sites are settled: their seats are as
    good as fixed); the prices of such a flow stay as near the previous ones as its exchange
    graph allows.  Any site the certificate then finds wrong gets its arcs back; the answer
    is exact because the certificate, not the pruning, decides (and after
    ``_PRUNED_ROUNDS`` pruned rounds every arc stays).
    """
    n, m = rows.shape
    held = _HeldRows(rows)
    closed = seats <= 0
    every = np.arange(n)
    st = _Arcs.first(held, every, closed, _PRICED_K, price, _WINDOW)
    st.add(si, sj, held, every)
    active, touched, pruned = st, np.zeros(n, dtype=bool), 0
    for _ in range(10_000):
        res = _flow(active, seats, count)
        price = _prices(active, res, seats, near=price if active is not st else None)
        own = np.full(n, -np.inf)  # each site's dearest used cost + price
        np.maximum.at(own, active.ii[res.used], (active.cc + price[active.jj])[res.used])
        who = np.flatnonzero(_least(rows, price) < own - 0.5)
        if len(who) == 0 or not certify and len(who) * _COARSE_STOP <= n:
            return res, price
        have = np.zeros((len(who), m), dtype=bool)
        lo, hi = st.ptr[who], st.ptr[who + 1]
        have[np.repeat(np.arange(len(who)), hi - lo), st.jj[_ranges(lo, hi)]] = True
        cand = np.where(have, np.inf, rows[who] + price[None, :])
        take = cand < (own[who] - 0.5 + _SLACK)[:, None]
        _cap_per_row(take, cand)
        ci, cj = np.nonzero(take)
        used = active.ii[res.used] * m + active.jj[res.used]
        st.add(who[ci], cj, held, every)
        touched[who] = True
        if len(who) * _TAIL <= n and pruned < _PRUNED_ROUNDS:
            pruned += 1
            keep = touched[st.ii] | np.isin(st.ii * m + st.jj, used)
            keep |= st.cc + price[st.jj] <= own[st.ii] + _TIGHT
            active = st.subset(keep)
        else:
            active = st
    raise AllocationError("internal: pricing did not converge")  # pragma: no cover


def _solve_sparse(costs, seats, rows, rep, site_of, count, k, start):
    """The pricing rounds on the sites (see the module docstring): the flow result."""
    m = len(seats)
    closed = seats <= 0
    price = _sample_prices(costs, seats, rows, rep, site_of)
    if price is None:
        st = _Arcs.first(costs, rep, closed, k)
    else:  # each site's least cost + price schools: most needed arcs from the start
        st = _Arcs.first(costs, rep, closed, _PRICED_K, price, _WINDOW)
    # the greedy answer, a site at a time (a good start; feasible unless it strands a child)
    gi, gj, stranded = _greedy_sites(costs, rep, count, seats)
    st.add(gi, gj, costs, rep)
    if stranded:  # add a feasible start
        if start is None:
            raise AllocationError("internal: no feasible start for children that fit")
        pair = np.unique(site_of * m + np.asarray(start, dtype=np.int64))
        st.add(pair // m, pair % m, costs, rep)
    for _ in range(10_000):
        res = _flow(st, seats, count)
        if not st.widen(costs, rep, closed, res, _prices(st, res, seats)):
            return res
    raise AllocationError("internal: pricing did not converge")  # pragma: no cover


def _sample_prices(costs, seats, rows, rep, site_of):
    """School prices estimated on an evenly spaced sample of the children (None if it fails).

    The sample (a tenth of the children in priority order, at most ``_SAMPLE_ARCS`` arcs) sits
    on its children's sites, gets the seats scaled by the same share (largest remainders, so
    the total scales too) and is solved on *all* its arcs (prices from a sample solved in
    rounds were measured worse); the prices are the shortest-path potentials of its exchange
    graph.  Any prices keep the answer exact (the certificate is checked on the full problem);
    good ones save rounds.
    """
    n, m = len(rows), len(seats)
    size = min(n // _SAMPLE_SHARE, _SAMPLE_ARCS // max(m, 1))
    if size < m:
        return None
    pick = np.floor(np.arange(size) * (n / size)).astype(np.int64)
    sites, count = np.unique(site_of[pick], return_counts=True)
    if len(sites) * _SAMPLE_SITES > len(rep):  # on shared points the sample is not small:
        return None  # measured slower than rounds from the k nearest (2.5 s vs 4 s, 100k/10k)
    share = seats * (size / n)
    scaled = np.floor(share).astype(np.int64)
    short = int(round(float(share.sum()))) - int(scaled.sum())
    if short > 0:
        scaled[np.argsort(-(share - scaled), kind="stable")[:short]] += 1
    every = _Arcs.first(costs, rep[sites], scaled <= 0, m)
    try:
        res = _flow(every, scaled, count.astype(np.int64))
    except AllocationError:  # the sample does not fit its scaled seats
        return None
    return _prices(every, res, scaled)


class _Arcs:
    """The candidate arcs (site, school, whole metres), sorted, and each site's left-out bound."""

    def __init__(self, ii, jj, cc, bound, m):
        self.ii, self.jj, self.cc, self.m = ii, jj, cc, m
        self.bound = bound  # least cost + price left out, under prices[ref]
        self.ref = np.zeros(len(bound), dtype=np.int64)
        self.prices = [np.zeros(0)]  # price vector of each bound reference (0: none yet)
        self._sort()

    def _sort(self):
        """Arcs by (site, school); ``ptr`` = CSR row pointers."""
        key = self.ii * self.m + self.jj
        if len(key) > 1 and not (key[1:] > key[:-1]).all():
            order = np.argsort(key, kind="stable")
            self.ii, self.jj, self.cc = self.ii[order], self.jj[order], self.cc[order]
        n = len(self.bound)
        self.ptr = np.concatenate([[0], np.cumsum(np.bincount(self.ii, minlength=n))])

    @classmethod
    def every(cls, rows: np.ndarray):
        """Every finite arc of held whole-metre rows."""
        ii, jj = np.nonzero(np.isfinite(rows))
        return cls(ii, jj, rows[ii, jj].astype(np.int64), np.zeros(len(rows)), rows.shape[1])

    def subset(self, keep: np.ndarray):
        """The arcs where ``keep`` (the same sites)."""
        return _Arcs(self.ii[keep], self.jj[keep], self.cc[keep], self.bound, self.m)

    @classmethod
    def first(cls, costs, rows, closed, k, price=None, window=np.inf):
        """Each site's ``k`` schools of least ``cost + price`` (default: the ``k`` nearest;
        whole metres; which of equals: decided per row) within ``window`` metres of its
        least ``cost + price``."""
        n, m = len(rows), len(closed)
        k = min(k, m)
        price = np.zeros(m) if price is None else np.asarray(price, dtype=float)
        parts_i, parts_j, parts_c = [], [], []
        bound = np.full(n, np.inf)
        for start in range(0, n, _CHUNK):
            sl = slice(start, min(n, start + _CHUNK))
            r = _metres(costs.rows(rows[sl]), closed)
            adj = r + price[None, :]
            keep = np.isfinite(r)
            if np.isfinite(window):
                keep &= adj <= adj.min(axis=1, keepdims=True) + window
            many = keep.sum(axis=1) > k  # the rest keep all theirs (all among the k least)
            if k < m and many.any():
                part = np.argpartition(adj[many], k - 1, axis=1)[:, :k]
                least = np.zeros((int(many.sum()), m), dtype=bool)
                np.put_along_axis(least, part, True, axis=1)
                keep[many] &= least
            bound[sl] = np.where(keep, np.inf, adj).min(axis=1)
            ci, cj = np.nonzero(keep)
            parts_i.append(ci + start)
            parts_j.append(cj)
            parts_c.append(r[ci, cj].astype(np.int64))
        st = cls(
            np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_c), bound, m
        )
        st.prices[0] = price.copy()
        return st

    def add(self, si, sj, costs, rows):
        """Add the arcs (si[t], sj[t]) that are not there yet (sites, school columns)."""
        si, sj = np.asarray(si, dtype=np.int64), np.asarray(sj, dtype=np.int64)
        ok = sj >= 0
        si, sj = si[ok], sj[ok]
        m = self.m
        key = np.unique(si * m + sj)
        new = key[~np.isin(key, self.ii * m + self.jj)]
        if len(new) == 0:
            return
        ni, nj = new // m, new % m
        c = np.empty(len(new), dtype=np.int64)
        for start in range(0, len(new), _CHUNK):
            t = slice(start, start + _CHUNK)
            r = costs.rows(rows[ni[t]])
            c[t] = np.rint(r[np.arange(len(r)), nj[t]])
        self.ii = np.concatenate([self.ii, ni])
        self.jj = np.concatenate([self.jj, nj])
        self.cc = np.concatenate([self.cc, c])
        self._sort()

    def widen(self, costs, rows, closed, res, price) -> bool:
        """Add the arcs that the prices say could lower the total; True if any was added."""
        own = np.full(len(self.bound), -np.inf)  # each site's dearest used cost + price
        np.maximum.at(own, self.ii[res.used], (self.cc + price[self.jj])[res.used])
        shift = np.array([np.min(price - p) for p in self.prices])
        who = np.flatnonzero(self.bound + shift[self.ref] < own - 0.5)
        if len(who) == 0:
            return False
        self.prices.append(price.copy())
        ref_now = len(self.prices) - 1
        starts, ends = self.ptr[who], self.ptr[who + 1]
        new_i, new_j, new_c = [], [], []
        for start in range(0, len(who), _CHUNK):
            sub = who[start : start + _CHUNK]
            r = _metres(costs.rows(rows[sub]), closed)
            s0, e0 = starts[start : start + _CHUNK], ends[start : start + _CHUNK]
            have = np.zeros(r.shape, dtype=bool)
            have[np.repeat(np.arange(len(sub)), e0 - s0), self.jj[_ranges(s0, e0)]] = True
            free = np.isfinite(r) & ~have
            cand = np.where(free, r + price[None, :], np.inf)
            take = cand < (own[sub] - 0.5 + _SLACK)[:, None]
            _cap_per_row(take, cand)
            ci, cj = np.nonzero(take)
            new_i.append(sub[ci])
            new_j.append(cj)
            new_c.append(r[ci, cj].astype(np.int64))
            self.bound[sub] = np.where(take, np.inf, cand).min(axis=1)
            self.ref[sub] = ref_now
        ni = np.concatenate(new_i)
        if len(ni) == 0:
            return False
        self.ii = np.concatenate([self.ii, ni])
        self.jj = np.concatenate([self.jj, np.concatenate(new_j)])
        self.cc = np.concatenate([self.cc, np.concatenate(new_c)])
        self._sort()
        return True


def _greedy_sites(costs, rows, count, seats):
    """Each site in order (of its first child) takes the nearest seats left for all its
    children (a start): the arcs (site, school) used, and whether a child was stranded."""
    left = seats.copy()
    closed = left <= 0
    gi, gj = [], []
    stranded = False
    for start in range(0, len(rows), _CHUNK):
        block = np.rint(costs.rows(rows[start : start + _CHUNK]))
        for t, row in enumerate(block, start=start):
            need = int(count[t])
            row[closed] = np.inf
            while need:
                j = int(np.argmin(row))
                if not np.isfinite(row[j]):
                    stranded = True
                    break
                take = min(need, int(left[j]))
                gi.append(t)
                gj.append(j)
                need -= take
                left[j] -= take
                if left[j] <= 0:
                    closed[j] = True
                    row[j] = np.inf
    return np.asarray(gi, dtype=np.int64), np.asarray(gj, dtype=np.int64), stranded


@dataclass(frozen=True, eq=False)
class _Solved:
    """A min-cost flow on the candidate arcs, by flow class (sites with identical arcs).

    ``used``: per candidate arc, whether its site's class sends flow on it; ``load``: children
    per school; ``cls_of``: each site's class; ``arc_*``: each class's arcs (class, school,
    whole metres, children sent), by class then school.
    """

    used: np.ndarray
    load: np.ndarray
    cls_of: np.ndarray
    arc_cls: np.ndarray
    arc_col: np.ndarray
    arc_cost: np.ndarray
    arc_flow: np.ndarray


def _flow(st: _Arcs, seats: np.ndarray, count: np.ndarray) -> _Solved:
    """Min-cost flow on the candidate arcs (feasible: they hold a start), ``count`` children
    per site.  Sites with one arc share one node per school; sites with identical arcs and
    costs share a node."""
    from ortools.graph.python import min_cost_flow

    n, m = len(st.bound), len(seats)
    ii, jj, cc, ptr = st.ii, st.jj, st.cc, st.ptr
    deg = np.diff(ptr)
    if (deg == 0).any():  # pragma: no cover - the start gives every site an arc
        raise AllocationError("internal: a site without a candidate school")
    single = np.flatnonzero(deg == 1)
    s_schools, s_cls = np.unique(jj[ptr[single]], return_inverse=True)
    multi = np.flatnonzero(deg > 1)
    m_cls, rep = _identical_rows(multi, deg, ptr, jj, cc)
    n_s, n_m = len(s_schools), len(rep)
    n_cls = n_s + n_m
    cls_of = np.empty(n, dtype=np.int64)
    cls_of[single] = s_cls.ravel()
    cls_of[multi] = n_s + m_cls
    supply = np.bincount(cls_of, weights=count, minlength=n_cls).astype(np.int64)
    rep_arcs = _ranges(ptr[rep], ptr[rep + 1])
    arc_cls = np.concatenate([np.arange(n_s), n_s + np.repeat(np.arange(n_m), deg[rep])])
    arc_col = np.concatenate([s_schools, jj[rep_arcs]])
    arc_cost = np.concatenate([np.zeros(n_s, dtype=np.int64), cc[rep_arcs]])
    # each class's least arc cost subtracted: the same optima (a class sends all its
    # children), a smaller cost range for the cost-scaling solver
    least = np.full(n_cls, np.iinfo(np.int64).max)
    np.minimum.at(least, arc_cls, arc_cost)
    unit = arc_cost - least[arc_cls]
    school0, sink = n_cls, n_cls + m
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([arc_cls, school0 + np.arange(m)]).astype(np.int32),
        np.concatenate([school0 + arc_col, np.full(m, sink)]).astype(np.int32),
        np.concatenate([supply[arc_cls], np.maximum(seats, 0)]).astype(np.int64),
        np.concatenate([unit, np.zeros(m, dtype=np.int64)]).astype(np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_cls] = supply
    supplies[sink] = -int(supply.sum())
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise AllocationError(f"min-cost flow solver returned status {status}")
    arc_flow = solver.flows(arcs)[: len(arc_cls)].astype(np.int64)
    # the class arcs are sorted by (class, school): find each site arc's class arc
    at = np.searchsorted(arc_cls * m + arc_col, cls_of[ii] * m + jj)
    load = np.bincount(arc_col, weights=arc_flow, minlength=m).astype(np.int64)
    return _Solved(arc_flow[at] > 0, load, cls_of, arc_cls, arc_col, arc_cost, arc_flow)


def _split(res: _Solved, site_of: np.ndarray) -> np.ndarray:
    """The school of each child (``site_of`` in priority order) from the class flows.

    A class's children, highest priority first, take its seats nearest first (lower school
    column on equal metres): of children with identical rows the higher-priority one gets the
    nearer school (``docs/allocation.md``, "Ties").
    """
    n = len(site_of)
    child_cls = res.cls_of[site_of]
    order = np.argsort(child_cls, kind="stable")
    grp = child_cls[order]
    rank = np.arange(n) - np.searchsorted(grp, grp)
    f = res.arc_flow > 0
    slot_cls = np.repeat(res.arc_cls[f], res.arc_flow[f])
    slot_col = np.repeat(res.arc_col[f], res.arc_flow[f])
    slot_cost = np.repeat(res.arc_cost[f], res.arc_flow[f])
    so = np.lexsort((slot_col, slot_cost, slot_cls))
    slot_cls, slot_col = slot_cls[so], slot_col[so]
    first_slot = np.searchsorted(slot_cls, np.arange(int(res.cls_of.max(initial=-1)) + 1))
    at = np.empty(n, dtype=np.int64)
    at[order] = slot_col[first_slot[grp] + rank]
    return at


def _cap_per_row(take: np.ndarray, cand: np.ndarray) -> None:
    """Keep at most ``_PER_CHILD`` taken arcs a row, in place: those of the most negative
    reduced cost ``cand`` (the lower column on a tie)."""
    over = take.sum(axis=1) > _PER_CHILD
    if over.any():
        rank = np.argsort(
            np.argsort(np.where(take[over], cand[over], np.inf), axis=1, kind="stable"),
            axis=1,
            kind="stable",
        )
        take[over] &= rank < _PER_CHILD


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``concatenate([arange(a, b) for a, b in zip(starts, ends)])`` without the loop.

    >>> _ranges(np.array([0, 5]), np.array([2, 8])).tolist()
    [0, 1, 5, 6, 7]
    """
    cnt = ends - starts
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offset = np.repeat(starts - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
    return np.arange(total) + offset


def allowed_patterns(costs, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct allowed-school patterns (finite cost) and each child's pattern number.

    >>> p, of = allowed_patterns(np.array([[1.0, np.inf], [2.0, np.inf], [1.0, 1.0]]), 2)
    >>> p.tolist(), of.tolist()
    ([[True, False], [True, True]], [0, 0, 1])
    """
    costs = as_costs(costs)
    n = costs.shape[0]
    known = costs.allowed_mask() if hasattr(costs, "allowed_mask") else None
    if known is not None:  # the source knows its allowed arcs: no cost needs reading
        masks, of = known
        uniq, inverse = np.unique(masks, axis=0, return_inverse=True)
        return uniq, inverse.ravel()[of]
    packed = np.empty((n, (m + 7) // 8), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        idx = np.arange(start, min(n, start + _CHUNK))
        packed[idx] = np.packbits(np.isfinite(costs.rows(idx)), axis=1)
    uniq, inverse = np.unique(packed, axis=0, return_inverse=True)
    return np.unpackbits(uniq, axis=1, count=m).astype(bool), inverse.ravel()


def _identical_rows(rows, deg, start, jj, cc):
    """Group ``rows`` (children) with identical arcs (columns and costs, in order).

    Rows are hashed (64-bit, from every arc and its position), grouped by hash, and each group
    is checked arc by arc against its first row; on a collision the exact (slower) grouping by
    sorting the padded rows is used.  Returns each row's class and each class's first row;
    classes come in the order of their hashes (deterministic).
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    arcs = _ranges(start[rows], start[rows + 1])
    owner = np.repeat(np.arange(len(rows)), deg[rows])
    pos = (arcs - start[rows][owner]).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (jj[arcs].astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        x ^= (cc[arcs].astype(np.uint64) + np.uint64(7)) * np.uint64(0xC2B2AE3D27D4EB4F)
        x ^= (pos + np.uint64(3)) * np.uint64(0x165667B19E3779F9)
        x ^= x >> np.uint64(29)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(32)
        h = np.zeros(len(rows), dtype=np.uint64)
        np.add.at(h, owner, x)
        h += deg[rows].astype(np.uint64) * np.uint64(0x94D049BB133111EB)
    _, first, cls_of = np.unique(h, return_index=True, return_inverse=True)
    cls_of = cls_of.ravel()
    rep = rows[first]
    # verify: same degree and the same arcs as the class's first row
    ok = (deg[rows] == deg[rep[cls_of]]).all()
    if ok:
        theirs = start[rep[cls_of]][owner] + pos.astype(np.int64)
        ok = bool((jj[arcs] == jj[theirs]).all() and (cc[arcs] == cc[theirs]).all())
    if ok:
        return cls_of, rep
    width = int(deg[rows].max())  # pragma: no cover - a 64-bit hash collision
    key = np.full((len(rows), 2 * width), -1, dtype=np.int64)  # pragma: no cover
    p = pos.astype(np.int64)  # pragma: no cover
    key[owner, p] = jj[arcs]  # pragma: no cover
    key[owner, width + p] = cc[arcs]  # pragma: no cover
    _, first, cls_of = np.unique(
        key, axis=0, return_index=True, return_inverse=True
    )  # pragma: no cover
    return cls_of.ravel(), rows[first]  # pragma: no cover


def _prices(st: _Arcs, res: _Solved, seats, near=None) -> np.ndarray:
    """School prices from shortest paths on the exchange graph of the flow ``res``.

    Node ``m`` is the root z: z → every school (0), every school with a seat left → z (0);
    arc a → b: the least change of cost of moving one child from a to b (a site sending
    children to a, with an arc to b).  The flow is optimal on its arcs, so there is no
    negative cycle; with d the distances from z, the price ``p = -d`` makes every school a
    site uses one of least ``cost + price`` among its arcs.
    """
    m = len(seats)
    u = np.flatnonzero(res.used)
    lo, hi = st.ptr[st.ii[u]], st.ptr[st.ii[u] + 1]
    to = _ranges(lo, hi)
    frm = np.repeat(u, hi - lo)
    src, dst = st.jj[frm], st.jj[to]
    keep = src != dst
    graph = np.full((m + 1, m + 1), np.inf)
    np.minimum.at(graph.ravel(), src[keep] * (m + 1) + dst[keep], (st.cc[to] - st.cc[frm])[keep])
    graph[m, :m] = 0.0
    graph[np.flatnonzero(res.load < seats), m] = 0.0
    d = np.full(m + 1, np.inf)
    d[m] = 0.0
    changed = np.array([m])
    for _ in range(m + 2):  # Bellman-Ford, relaxing only from the nodes that changed
        cand = (d[changed, None] + graph[changed]).min(axis=0)
        changed = np.flatnonzero(cand < d)
        if len(changed) == 0:
            break
        d[changed] = cand[changed]
    else:  # pragma: no cover - would mean the flow was not optimal
        raise AllocationError("negative cycle in an optimal sparse solution")
    if near is None:
        return -d[:m]
    # the greatest prices p <= max(near, -d) meeting every arc (p_a <= p_b + graph[a, b],
    # z at 0): as near the previous prices as this flow allows (its least ones are -d)
    cap = np.append(np.maximum(np.asarray(near, dtype=float), -d[:m]), 0.0)
    p, changed = cap.copy(), np.arange(m + 1)
    for _ in range(m + 2):
        cand = (graph[:, changed] + p[None, changed]).min(axis=1)
        changed = np.flatnonzero(cand < p)
        if len(changed) == 0:
            break
        p[changed] = cand[changed]
    else:  # pragma: no cover - would mean the flow was not optimal
        raise AllocationError("negative cycle in an optimal sparse solution")
    return p[:m]
