"""Finding what a rule names on the base map: areas, streets, compounds, bridges, edge words.

:class:`_Context` holds the base map projected to the working (UTM) CRS with its name indexes;
:func:`_parse_limit` reads one limit text (an edge word such as 城东 or 社区西 is the parent's own
boundary: no cut), and :func:`_resolve_limit` finds its feature, reading a name that matches
nothing as a chain of streets (古运路—小河路—登云路) when every part is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shapely.geometry import Point
from shapely.ops import unary_union

from ..basemap.layers import BaseMap, utm_crs
from ..basemap.names import NameIndex, normalize_name
from ..errors import DigitiseError
from ..settings import Settings
from ._geometry import _POLY_KINDS

__all__ = [
    "SIDES",
    "_Context",
    "_Limit",
    "_parse_limit",
    "_chain_parts",
    "_resolve_limit",
]

SIDES = {"east": "东", "south": "南", "west": "西", "north": "北"}

_SIDE_OF_CHAR = {v: k for k, v in SIDES.items()}

_EDGE_WORD = re.compile(
    r"^(城区?|社区|镇区?|村|街道|辖区|片区|小区)?([东南西北])(边|侧|面|部)?(界|边界)?$"
)

_EXCLUDE_IN_TEXT = re.compile(r"不含([^，,、）)]+)")

# several streets forming one limit: 古运路—小河路—登云路, 西藏中路、西藏南路, 湖州街至沈半路
_LEAD_WORDS = "由从自沿"  # prepositions a sentence may leave on the first street name

_CHAIN_SEP = re.compile(r"[—–－~～、]+|-+|至|与|及")

_CHAIN_SUFFIX = re.compile(r"(?<=[路街巷河桥道])(?=[^\s段])")


class _Context:
    """The base map projected to the working CRS, with name indexes."""

    def __init__(self, bm: BaseMap, settings: Settings):
        self.bm = bm
        self.settings = settings
        ref = bm.areas if len(bm.areas) else bm.streets
        if len(ref) == 0:
            raise DigitiseError(f"base map {bm.source or ''} has no streets and no areas")
        town = bm.areas[bm.areas["kind"].isin(["town", "community"])] if len(bm.areas) else ref
        self.crs = utm_crs(town if len(town) else ref)
        self.streets = bm.streets.to_crs(self.crs) if len(bm.streets) else bm.streets
        self.landmarks = bm.landmarks.to_crs(self.crs) if len(bm.landmarks) else bm.landmarks
        self.areas = bm.areas.to_crs(self.crs) if len(bm.areas) else bm.areas
        self.street_index = NameIndex(self.streets)
        self.landmark_index = NameIndex(self.landmarks)
        self.area_index = NameIndex(self.areas)
        addresses = getattr(bm, "addresses", None)
        self.addresses = (
            addresses[addresses["number"].notna()].to_crs(self.crs)
            if addresses is not None and len(addresses)
            else None
        )
        self.street_lines: dict[str, object] = {}  # rule_id -> centre line of a street_list
        self.street_rows: dict[str, frozenset] = {}  # rule_id -> map rows of its street
        self.claims: dict[str, tuple] = {}  # rule_id -> (street names, sides, number bounds)
        centre_of = town if len(town) else ref
        minx, miny, maxx, maxy = centre_of.to_crs(self.crs).total_bounds
        self.centre = Point((minx + maxx) / 2, (miny + maxy) / 2)

    def address_points(self, names) -> list:
        """(point, house number) of the map's addresses on a street of one of ``names``."""
        if self.addresses is None:
            return []
        keys = {normalize_name(n) for n in names if n}
        if not hasattr(self, "_address_streets"):
            self._address_streets = self.addresses["street"].map(normalize_name)
        hit = self.addresses[self._address_streets.isin(keys)]
        return list(zip(hit.geometry, hit["number"].astype(int), strict=False))

    def area_by(self, name: str | None, code: str | None):
        """(geometry, name) of an area by official code, then by name; None if absent."""
        if code and len(self.areas):
            hit = self.areas[self.areas["code"].astype(str) == str(code)]
            if len(hit):
                return hit.geometry.iloc[0], str(hit["name"].iloc[0])
        if name:
            m = self.area_index.lookup(name)
            if not m.found and not name.endswith(("社区", "村", "镇", "乡", "苏木")):
                m = self.area_index.lookup(name + "社区")
            if m.found:
                geom = unary_union(self.areas.geometry.iloc[m.rows].values)
                return geom, m.names[0]
        return None

    def polygon_feature(self, name: str):
        """(geometry, kind) of a landmark or area polygon by name, or None."""
        m = self.landmark_index.lookup(name)
        if m.found:
            geoms = [g for g in self.landmarks.geometry.iloc[m.rows] if g.geom_type in _POLY_KINDS]
            if geoms:
                return unary_union(geoms), "landmark"
        hit = self.area_by(name, None)
        if hit is not None:
            return hit[0], "area"
        return None


@dataclass
class _Limit:
    side: str
    text: str
    edge: bool = False  # an edge word: the parent's own boundary
    name: str = ""  # the feature name looked up
    edge_of_feature: str | None = None  # 东/南/西/北 named after a landmark (万和小区南)
    geom: object = None  # resolved feature geometry (working CRS)
    feature: str = ""  # street | polygon | point
    line: object = None  # merged limit line (for streets)


def _parse_limit(side: str, text: str) -> tuple[_Limit, list[str]]:
    """Split a limit text into edge word / feature name (+ exclusions written inside it)."""
    raw = str(text or "").strip()
    excludes = [x.strip() for x in _EXCLUDE_IN_TEXT.findall(raw)]
    clean = normalize_name(raw)
    if not clean or _EDGE_WORD.match(clean):
        return _Limit(side, raw, edge=True), excludes
    return _Limit(side, raw, name=clean), excludes


def _chain_parts(name: str) -> list[str]:
    """The streets of a limit written as several (``古运路—小河路—登云路``), or [] if one.

    >>> _chain_parts("古运路—小河路—登云路"), _chain_parts("莫干山路大关路教工路")
    (['古运路', '小河路', '登云路'], ['莫干山路', '大关路', '教工路'])
    >>> _chain_parts("延安东路")
    []
    """
    parts = [p for p in _CHAIN_SEP.split(name) if p]
    if len(parts) < 2:
        parts = [p for p in _CHAIN_SUFFIX.split(name) if p]
    return parts if len(parts) > 1 and all(len(p) >= 2 for p in parts) else []


def _resolve_limit(ctx: _Context, lim: _Limit, district: str | None, issues: list[dict]):
    """Find the feature of a limit; returns a NameMatch-like failure or None when found.

    A name that matches nothing but reads as several streets (``古运路—小河路—登云路``,
    ``西藏中路、西藏南路``) is one limit made of all of them, when every one is a street.
    """
    miss = _resolve_one(ctx, lim, district, issues)
    if miss is None:
        return None
    parts = _chain_parts(lim.name)
    if not parts:
        return miss
    geoms = []
    for part in parts:
        m = ctx.street_index.lookup(part, district=district)
        if not m.found:
            return miss
        geoms += list(ctx.streets.geometry.iloc[m.rows])
    lim.geom, lim.feature, lim.edge_of_feature = geoms, "street", None
    issues.append(
        {
            "type": "chain",
            "street": lim.text,
            "message": f"{lim.text}: {len(parts)} streets ({'、'.join(parts)}) form one limit",
        }
    )
    return None


def _resolve_one(ctx: _Context, lim: _Limit, district: str | None, issues: list[dict]):
    candidates = [(lim.name, None)]
    if lim.name and lim.name[-1] in _SIDE_OF_CHAR and len(lim.name) > 2:
        candidates.append((lim.name[:-1], lim.name[-1]))
    for base in ("边", "侧"):
        if lim.name.endswith(base) and len(lim.name) > 3 and lim.name[-2] in _SIDE_OF_CHAR:
            candidates.append((lim.name[:-2], lim.name[-2]))
    if len(lim.name) > 3 and lim.name[0] in _LEAD_WORDS:  # 由福州路以南…所围成的区域
        candidates.append((lim.name[1:], None))
    first_miss = None
    for name, edge in candidates:
        m = ctx.street_index.lookup(name, district=district)
        if m.found:
            lim.geom = list(ctx.streets.geometry.iloc[m.rows])
            lim.feature = "street"
            lim.edge_of_feature = edge
            kinds = set(ctx.streets["kind"].iloc[m.rows])
            if kinds == {"bridge"}:
                lim.feature = "bridge"
            if m.how == "whole":  # 环城路 -> its sections: say which were used
                issues.append(
                    {
                        "type": "sections_used",
                        "street": lim.text,
                        "message": f"{lim.text}: the map has only its sections or parts; used "
                        f"all of them: {'、'.join(m.names)}",
                    }
                )
            elif m.how != "exact" or name != lim.name:
                issues.append(
                    {
                        "type": "name_matched",
                        "street": lim.text,
                        "message": f"{lim.text} matched {'、'.join(m.names)} ({m.how})",
                    }
                )
            return None
        poly = ctx.polygon_feature(name)
        if poly is not None:
            lim.geom, lim.feature, lim.edge_of_feature = poly[0], "polygon", edge
            lim.polygon_kind = poly[1]
            return None
        lm = ctx.landmark_index.lookup(name)
        if lm.found:
            geom = unary_union(list(ctx.landmarks.geometry.iloc[lm.rows]))
            kinds = set(ctx.landmarks["kind"].iloc[lm.rows])
            lim.geom, lim.feature, lim.edge_of_feature = (
                geom,
                ("bridge" if "bridge" in kinds else "point"),
                edge,
            )
            return None
        if first_miss is None:
            first_miss = m
    return first_miss
