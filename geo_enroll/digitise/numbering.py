"""House numbering along one street (门牌编号): which way numbers run, which side is odd.

A ``street_list`` rule (福州路单号1-99号, 长青路63号以后) names numbers, and the zone is the
land between the *positions* of those numbers on their side of the street.  The positions come
from the base map's address index (``addresses`` layer: OSM ``addr:housenumber`` nodes and
buildings, ``addr:interpolation`` ways) when it has the street's numbers:

* **direction**: the rank correlation of number and distance along the street's centre line
  (numbers increase one way);
* **odd side**: the side of the line most odd numbers lie on (even numbers the other side);
* **position** of a number: isotonic (monotone) in the number, interpolated between the known
  numbers of its parity; a range is cut *between* numbers, half-way from the last number left
  out to the first number taken in.

Without numbers on the map, the policy's side-of-street rule is used (``Settings.
street_list_odd_side``: 左单右双 facing increasing numbers) with number 1 at the end nearer the
centre of the map (numbering runs outwards from the town centre, 由内向外); that is an
assumption and is reported as one, and a number range cannot be cut at all.

    >>> from shapely.geometry import LineString, Point
    >>> line = LineString([(0, 0), (200, 0)])
    >>> pts = [(Point(x, -10 if n % 2 else 10), n) for x, n in  # numbers run westwards
    ...        [(190, 1), (170, 3), (150, 5), (130, 7), (185, 2), (165, 4), (145, 6)]]
    >>> nb, issues = learn_numbering(line, "示例路", pts, centre=Point(0, 0))
    >>> nb.source, nb.odd_side, list(nb.line.coords)[0], issues
    ('map', 'left', (200.0, 0.0), [])
    >>> s0, s1, note = nb.interval("odd", 3, 5)
    >>> round(s0), round(s1), note  # 3 is 30 m along, 5 is 50 m: cut half-way to 1 and 7
    (20, 60, '')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import LineString, Point

__all__ = ["Numbering", "learn_numbering", "isotonic"]

_MAX_OFFSET_M = 120.0  # an address farther than this from the street's line is not on it
_MIN_AGREE = 0.75  # share of numbers that must agree on a direction / a side


def isotonic(y: np.ndarray) -> np.ndarray:
    """Non-decreasing least-squares fit of ``y`` (pool adjacent violators).

    >>> isotonic(np.array([1.0, 3.0, 2.0, 4.0])).tolist()
    [1.0, 2.5, 2.5, 4.0]
    """
    values, weights, sizes = [], [], []
    for v in np.asarray(y, dtype=float):
        values.append(v)
        weights.append(1.0)
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w = weights[-2] + weights[-1]
            v2 = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w
            n = sizes[-2] + sizes[-1]
            values[-2:], weights[-2:], sizes[-2:] = [v2], [w], [n]
    return np.repeat(values, sizes)


def _rank(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="stable")
    r = np.empty(len(a))
    r[order] = np.arange(len(a))
    return r


def _spearman(a, b) -> float:
    if len(a) < 2:
        return 0.0
    ra, rb = _rank(np.asarray(a, float)), _rank(np.asarray(b, float))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def _side(line: LineString, s: float, pt: Point) -> float:
    """+1 if ``pt`` is left of ``line`` at distance ``s`` along it, -1 if right."""
    a = line.interpolate(max(s - 1.0, 0.0))
    b = line.interpolate(min(s + 1.0, line.length))
    c = line.interpolate(s)
    cross = (b.x - a.x) * (pt.y - c.y) - (b.y - a.y) * (pt.x - c.x)
    return 1.0 if cross >= 0 else -1.0


@dataclass(frozen=True)
class Numbering:
    """How one street is numbered (see the module docstring).

    Attributes
    ----------
    street : the street's name.
    line : its centre line (working CRS) oriented towards increasing numbers.
    source : ``map`` (learnt from the map's house numbers) or ``policy_rule`` (assumed).
    odd_side : ``left`` or ``right`` of ``line``.
    known : parity (``odd``/``even``) -> (numbers, positions along ``line``), sorted.
    note : how it was learnt, in words.
    """

    street: str
    line: LineString
    source: str
    odd_side: str
    known: dict = field(default_factory=dict)
    note: str = ""

    def is_left(self, parity: str) -> bool:
        """True when the ``parity`` side (``odd``/``even``) is left of :attr:`line`."""
        return (parity == "odd") == (self.odd_side == "left")

    def interval(self, parity: str, lo: int | None, hi: int | None):
        """(start, end, note) along :attr:`line` of numbers lo..hi of ``parity``.

        ``lo``/``hi`` None mean the street's start/end (an open range: 63号以后).  The cut is
        half-way between the last number left out and the first taken in.  ``start`` is None
        when the map cannot place the numbers at all; ``note`` says where a bound had to be
        taken as the street's end because the map's numbers stop short of it.
        """
        length = self.line.length
        if lo is None and hi is None:
            return 0.0, length, ""
        if parity not in self.known:
            return None, None, f"the map has no {parity} numbers on {self.street}"
        nums, pos = self.known[parity]
        lo_v = lo if lo is not None else -np.inf
        hi_v = hi if hi is not None else np.inf
        if hi_v < nums[0] - 2 and hi is not None and hi > 2:
            return (
                None,
                None,
                (
                    f"numbers up to {hi} lie before the first {parity} number on the map "
                    f"({int(nums[0])}) and cannot be placed"
                ),
            )
        if lo_v > nums[-1]:
            return (
                None,
                None,
                (
                    f"numbers from {lo} are beyond the last {parity} number on the map "
                    f"({int(nums[-1])}) and cannot be placed"
                ),
            )
        inside = (nums >= lo_v) & (nums <= hi_v)
        notes = []
        if inside.any():
            first, last = pos[inside][0], pos[inside][-1]
        else:  # between two known numbers: interpolated positions
            first = float(np.interp(lo_v, nums, pos))
            last = float(np.interp(hi_v, nums, pos))
        below, above = nums < lo_v, nums > hi_v
        if below.any():
            start = (pos[below][-1] + first) / 2
        else:
            start = 0.0
            if lo is not None and lo > 2 and lo < nums[0] - 2:
                notes.append(f"{lo} is before the first number on the map ({int(nums[0])})")
        if above.any():
            end = (last + pos[above][0]) / 2
        else:
            end = length
            if hi is not None and hi > nums[-1] + 2:
                notes.append(
                    f"numbers after {int(nums[-1])} (up to {hi}) are not on the map: "
                    "drawn to the street's end"
                )
        if end - start < 1.0:  # one number: a plot either side of its place
            mid = (start + end) / 2
            start, end = max(0.0, mid - 10.0), min(length, mid + 10.0)
        return start, end, "; ".join(notes)


def learn_numbering(
    line: LineString,
    street: str,
    points: list[tuple[Point, int]],
    *,
    centre: Point,
    odd_side: str = "left",
) -> tuple[Numbering, list[dict]]:
    """How ``street`` is numbered, from its address points (working CRS) or the policy rule.

    Parameters
    ----------
    line : the street's centre line.
    points : (point, house number) of the map's addresses on this street.
    centre : the map's centre (number 1 is nearer to it when the map has no numbers).
    odd_side : the policy's rule (``Settings.street_list_odd_side``), used without numbers.
    """
    issues: list[dict] = []
    obs = []
    for pt, n in points:
        if n is None or line.distance(pt) > _MAX_OFFSET_M:
            continue
        s = line.project(pt)
        obs.append((int(n), s, _side(line, s, pt)))
    if len({n for n, _, _ in obs}) >= 2:
        nums = np.array([o[0] for o in obs])
        along = np.array([o[1] for o in obs])
        rho = _spearman(nums, along)
        if abs(rho) >= 0.5:
            if rho < 0:
                line = LineString(list(line.coords)[::-1])
                along = line.length - along
                sides = np.array([-o[2] for o in obs])
            else:
                sides = np.array([o[2] for o in obs])
            odd = nums % 2 == 1
            votes = np.concatenate([sides[odd], -sides[~odd]])  # +1: odd numbers on the left
            share = float(np.mean(votes > 0))
            side = "left" if share >= 0.5 else "right"
            agree = max(share, 1 - share)
            if agree < _MIN_AGREE:
                issues.append(
                    {
                        "type": "numbering_mixed",
                        "street": street,
                        "message": f"{street}: odd and even numbers are mixed on both sides in "
                        f"the map (only {agree:.0%} agree): the odd side is a guess",
                    }
                )
            known = {}
            for parity, mask in (("odd", odd), ("even", ~odd)):
                if not mask.any():
                    continue
                n_p, s_p = nums[mask], along[mask]
                uniq = np.unique(n_p)
                mean_s = np.array([s_p[n_p == u].mean() for u in uniq])
                known[parity] = (uniq.astype(float), isotonic(mean_s))
            note = (
                f"{street}: numbering learnt from {len(obs)} house numbers on the map "
                f"(numbers increase along the street, rank correlation {abs(rho):.2f}; "
                f"odd numbers on the {side}, {agree:.0%} agree)"
            )
            return Numbering(street, line, "map", side, known, note), issues
        issues.append(
            {
                "type": "numbering_unclear",
                "street": street,
                "message": f"{street}: the map's {len(obs)} house numbers do not run one way "
                f"along the street (rank correlation {rho:.2f}): the policy rule is used",
            }
        )
    # the policy's rule: 左单右双 facing increasing numbers, number 1 nearer the centre
    a, b = Point(line.coords[0]), Point(line.coords[-1])
    if b.distance(centre) < a.distance(centre):
        line = LineString(list(line.coords)[::-1])
    note = (
        f"{street}: the map has no house numbers here; numbering assumed by the policy's rule "
        f"(odd numbers on the {odd_side} facing increasing numbers, 左单右双"
        + ("" if odd_side == "left" else " reversed")
        + ") with number 1 at the end nearer the town centre: check the side on the ground"
    )
    issues.append({"type": "numbering_assumed", "street": street, "message": note})
    return Numbering(street, line, "policy_rule", odd_side, {}, note), issues
