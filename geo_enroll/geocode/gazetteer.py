"""The offline geocoder: a gazetteer built from the project's own data (离线地名库).

What it knows, and the point it gives for each:

=============  ===========================================================  ==============
level          point                                                        ``schematic``
=============  ===========================================================  ==============
county         a representative point of the county outline                 False
township       the base map's township polygon, else a GeoNames town seat   as the source
               (matched by pinyin, inside the county), else a point inside
               the county outline
village        the base map's community/village polygon; else a
               deterministic representative point inside the township       True
               polygon (base map), else inside the county outline
road           the middle of the base-map street (name or alias)            as the map
house_number   interpolated along the street's ``from_number``..            as the map
               ``to_number`` range
compound/poi   the base-map landmark or school                              as the map
=============  ===========================================================  ==============

Official units come from :mod:`geo_enroll.address.divisions`; outlines from
``data/boundaries/counties_*_cgcs2000.geojson`` (CGCS2000, treated as WGS 84 to ~1 m); the base
map is any GeoPackage with the layers of ``docs/ARCHITECTURE.md`` (default
``data/boundaries/baochang_schematic.gpkg`` when present).

Never an invented point: base-map features answer only an address that names a unit the map
covers (its ``county``/``town``/``township`` areas, or for an imported city without such
areas the ``--district`` it was imported for, else the county outlines overlapping its extent:
a province or city alone spans many same-named roads), and a street only in the township it
lies in; an address naming no unit at
all is read on the map only when nothing else in it names a place (``reason_code``
``assumed_local``, e.g. 察哈尔街1号).  A map's township seat is used only for that map's own
townships.  Everything else — a county outside every outline, a shared name, an unknown unit —
gets no point and a ``reason_code``.

The result never pretends: the ``level`` is what truly matched, a match coarser than what the
address asks for is flagged ``coarse`` and lists the parts left ``unmatched``, and
``min_level`` (the precision gate, ``Settings.geocode_min_level``) withholds points that are too
coarse, with a ``reason``.

Examples
--------
>>> g = load_default_gazetteer()
>>> r = g.geocode("太仆寺旗千斤沟镇东滩村")
>>> r["level"], r["code"], r["schematic"]
('village', '152527101233', True)
>>> r = g.geocode("北京市朝阳区建国路1号")
>>> r["level"], r["lon"], r["reason_code"]
('county', None, 'outside_gazetteer')
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
import shapely.affinity
from shapely.geometry import Point

from ..address.divisions import Divisions, load_divisions, short_name
from ..address.latin import latin_key, parse_latin
from ..address.normalize import normalize_address
from ..address.parse import parse_address, pinyin_key
from ..errors import BaseMapError, GeocodeError
from ..settings import DEFAULT_SETTINGS, Settings
from ..settings import data_dir as _default_data_dir
from .streets import address_index_for

__all__ = ["Gazetteer", "load_default_gazetteer", "LEVEL_RANK", "RESULT_KEYS"]

LEVEL_RANK = {
    "county": 0, "township": 1, "village": 2, "road": 3,
    "house_number": 4, "compound": 4, "poi": 4,
}  # fmt: skip
"""Precision of each match level (higher is finer)."""

_CONFIDENCE = {
    "county": 0.3, "township": 0.5, "village": 0.7, "road": 0.8,
    "house_number": 0.95, "compound": 0.9, "poi": 0.9,
}  # fmt: skip

RESULT_KEYS = (
    "input", "lon", "lat", "code", "level", "confidence", "source_crs", "matched", "unmatched",
    "reason", "reason_code", "schematic", "coarse", "point_source", "county_code",
    "township_code", "village_code", "group",
)  # fmt: skip
"""Keys of a geocode result, in order (the Geocode result of ``docs/ARCHITECTURE.md``)."""

PARSED_MAX = 4096
"""Parses a gazetteer keeps between :meth:`Gazetteer.parse` and the geocode of the same text."""

_BASEMAP_NAME = "baochang_schematic.gpkg"
_PLACE_ROAD_M = 200.0  # a place named with a road lies at most this far from it
_SITE_SPREAD_M = 100.0  # one name on features farther apart than this: two places
_EXTENT_MARGIN_DEG = 0.0005  # ~50 m: an imported map's extent reaches a little past its features
_OUTLINES_GLOB = "counties_*_cgcs2000.geojson"
# words that say nothing about where an address is (left unread by the parser)
_FILLER = ("户籍地址", "家庭住址", "现住址", "居住地址", "住址", "地址", "附近", "对面", "旁边",
           "门口", "楼下", "隔壁", "东侧", "西侧", "南侧", "北侧")  # fmt: skip


def _s(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _num(value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _halton(i: int, base: int) -> float:
    f, r = 1.0, 0.0
    while i > 0:
        f /= base
        r += f * (i % base)
        i //= base
    return r


def _schematic_point(poly, code: str):
    """A deterministic point inside ``poly`` derived from ``code`` (Halton sequence)."""
    minx, miny, maxx, maxy = poly.bounds
    prepared = shapely.prepared.prep(poly)
    start = zlib.crc32(code.encode()) % 1_000_003 + 1
    for j in range(500):  # a stride keeps the sequences of different codes apart
        k = start + j * 1_000_033
        pt = Point(minx + _halton(k, 2) * (maxx - minx), miny + _halton(k, 3) * (maxy - miny))
        if prepared.contains(pt):
            return pt
    return poly.representative_point()


_LAYERS = ("streets", "landmarks", "areas", "schools", "addresses")


def _read_layer(path: Path, layer: str, present: set):
    if layer not in present:
        return None
    gdf = pyogrio.read_dataframe(path, layer=layer)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf


def _load_basemap(basemap) -> dict:
    """Layers of a base map given as a path, a BaseMap-like object or a dict of frames."""
    if basemap is None:
        return {}
    if isinstance(basemap, (str, Path)):
        path = Path(basemap)
        if not path.exists():
            raise BaseMapError(f"底图不存在 base map {path} does not exist")
        try:
            present = {str(row[0]) for row in pyogrio.list_layers(path)}
        except Exception as exc:  # pyogrio's DataSourceError and friends
            raise BaseMapError(f"base map {path} cannot be opened as a GeoPackage: {exc}") from None
        layers = {ly: _read_layer(path, ly, present) for ly in _LAYERS}
        if "meta" in present:
            table = pyogrio.read_dataframe(path, layer="meta", read_geometry=False)
            if {"key", "value"} <= set(table.columns):
                layers["meta"] = dict(
                    zip(table["key"].map(_s), table["value"].map(_s), strict=False)
                )
        return layers
    if isinstance(basemap, dict):
        return dict(basemap)
    return {ly: getattr(basemap, ly, None) for ly in (*_LAYERS, "meta")}


class Gazetteer:
    """An offline geocoder over official units, county outlines and a base map.

    Build it with :meth:`from_data`; call :meth:`geocode` for one address or
    :meth:`geocode_many` for a column.  Results are cached per normalised address.
    """

    def __init__(
        self,
        divisions: Divisions,
        *,
        outlines: dict | None = None,
        town_seats: dict | None = None,
        basemap=None,
        settings: Settings = DEFAULT_SETTINGS,
    ):
        self.divisions = divisions
        self.settings = settings
        self.outlines = dict(outlines or {})  # county code -> polygon (WGS 84)
        self._seats = dict(town_seats or {})  # township code -> (Point, source)
        self._cache: dict = {}
        self._parsed: dict = {}  # text -> its parse, until geocoded (:meth:`parse`)
        self._village_points: dict = {}
        self._latin_index: dict | None = None
        self._pieces: dict[str, bool] = {}  # street name -> one piece (Latin-script answers)
        layers = _load_basemap(basemap)
        self._index_basemap(layers)
        self.address_index = address_index_for(layers)  # a real map's 门牌 (geocode.streets)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_data(
        cls, data_dir=None, basemap=None, *, settings: Settings = DEFAULT_SETTINGS
    ) -> Gazetteer:
        """Build the gazetteer from a project ``data/`` folder and a base map.

        Parameters
        ----------
        data_dir : path, optional
            The ``data/`` folder (default :func:`geo_enroll.settings.data_dir`).
        basemap : path or BaseMap, optional
            A base-map GeoPackage (default ``data/boundaries/baochang_schematic.gpkg`` when it
            exists; pass ``False`` for none).
        """
        root = Path(data_dir) if data_dir else _default_data_dir()
        div = load_divisions(root)
        outlines = {}
        for path in sorted((root / "boundaries").glob(_OUTLINES_GLOB)):
            gdf = gpd.read_file(path)
            code_col = "gb" if "gb" in gdf.columns else "code" if "code" in gdf.columns else None
            for _, row in gdf.iterrows():
                code = _s(row[code_col])[-6:] if code_col else ""
                if code in div.units and row.geometry is not None:
                    geom = (
                        row.geometry if row.geometry.is_valid else shapely.make_valid(row.geometry)
                    )
                    outlines[code] = geom
        if basemap is None:
            candidate = root / "boundaries" / _BASEMAP_NAME
            basemap = candidate if candidate.exists() else None
        elif basemap is False:
            basemap = None
        seats = _town_seats(root / "boundaries" / "town_seats_geonames.csv", div, outlines)
        return cls(div, outlines=outlines, town_seats=seats, basemap=basemap, settings=settings)

    def _index_basemap(self, layers: dict) -> None:
        self.streets: dict[str, list] = {}  # normalised name/alias -> [(geometry, row dict)]
        self.landmarks: dict[str, list] = {}
        self.area_by_code: dict[str, object] = {}
        self.area_by_name: dict[str, list] = {}
        self.coverage: set[str] = set()
        self.basemap_schematic = False
        self.seats_by_name: dict[str, tuple] = {}
        div = self.divisions
        official = {k for lv in ("province", "city", "county", "township") for k in div.full[lv]}
        streets = layers.get("streets")
        if streets is not None and len(streets):
            for row in streets.to_dict("records"):
                geom = row.get("geometry")
                if geom is None or geom.is_empty:
                    continue
                info = {
                    "name": _s(row.get("name")),
                    "kind": _s(row.get("kind")) or "road",
                    "from": _num(row.get("from_number")),
                    "to": _num(row.get("to_number")),
                    "schematic": bool(row.get("schematic", False)),
                }
                self.basemap_schematic |= info["schematic"]
                for name in [info["name"], *_s(row.get("aliases")).split("|")]:
                    key = normalize_address(name)
                    if len(key) >= 2 and key not in official:
                        self.streets.setdefault(key, []).append((geom, info))
        for layer, kind_default in (("landmarks", "poi"), ("schools", "school")):
            frame = layers.get(layer)
            if frame is None or not len(frame):
                continue
            for row in frame.to_dict("records"):
                geom = row.get("geometry")
                if geom is None or geom.is_empty:
                    continue
                kind = _s(row.get("kind")) if layer == "landmarks" else kind_default
                info = {
                    "name": _s(row.get("name")),
                    "kind": kind or kind_default,
                    "schematic": bool(row.get("schematic", False)),
                }
                if info["kind"] == "seat":  # a township seat: a point for the unit, not a POI
                    self.seats_by_name[normalize_address(info["name"])] = (geom, info)
                    continue
                for name in [info["name"], *_s(row.get("aliases")).split("|")]:
                    key = normalize_address(name)
                    if len(key) >= 2 and key not in official:
                        self.landmarks.setdefault(key, []).append((geom, info))
        areas = layers.get("areas")
        if areas is not None and len(areas):
            for row in areas.to_dict("records"):
                geom = row.get("geometry")
                if geom is None or geom.is_empty:
                    continue
                info = {
                    "name": _s(row.get("name")),
                    "kind": _s(row.get("kind")),
                    "code": _s(row.get("code")),
                    "schematic": bool(row.get("schematic", False)),
                }
                if info["code"]:
                    self.area_by_code.setdefault(info["code"], (geom, info))
                    if info["kind"] in ("county", "town", "township"):
                        self.coverage.add(info["code"])
                for name in [info["name"], *_s(row.get("aliases")).split("|")]:
                    key = normalize_address(name)
                    if len(key) >= 2:
                        self.area_by_name.setdefault(key, []).append((geom, info))
        self._locate_features()
        self._index_extent(layers)
        self._street_keys = _PrefixKeys(self.streets)
        self._landmark_keys = _PrefixKeys(self.landmarks)

    def _index_extent(self, layers: dict) -> None:
        """The extent of a map with no county/town areas (an imported real city), as coverage.

        Such a map says nothing about which county it is: its features answer an address
        naming a unit only when the map was imported for that unit (``--district``, kept in
        its ``meta`` table and in the streets' ``district`` column) or when the named county's
        outline overlaps the map's extent (the convex hull of its streets, places and
        addresses).  ``map_extent`` is None for a map that has coverage areas or no features.

        >>> from shapely.geometry import LineString
        >>> import geopandas as gpd
        >>> streets = gpd.GeoDataFrame({"name": ["福州路"], "district": ["黄浦区"]},
        ...     geometry=[LineString([(121.47, 31.23), (121.48, 31.23)])], crs=4326)
        >>> g = Gazetteer(load_default_gazetteer().divisions, basemap={"streets": streets})
        >>> g.map_district, sorted(g.coverage), g.map_extent.geom_type
        ('黄浦区', ['310101'], 'Polygon')
        """
        self.map_extent = None
        self.map_district = ""
        if self.coverage:
            return
        geoms = [g for table in (self.streets, self.landmarks) for e in table.values()
                 for g, _ in e]  # fmt: skip
        points = layers.get("addresses")
        if points is not None and len(points):
            geoms += [g for g in points.geometry if g is not None and not g.is_empty]
        if not geoms:
            return
        hull = shapely.GeometryCollection(geoms).convex_hull
        self.map_extent = hull.buffer(_EXTENT_MARGIN_DEG)  # a street's width past the last node
        district = _s((layers.get("meta") or {}).get("district"))
        streets = layers.get("streets")
        if not district and streets is not None and "district" in streets:
            named = {_s(v) for v in streets["district"]} - {""}
            district = next(iter(named)) if len(named) == 1 else ""
        self.map_district = district
        self.coverage |= self._district_codes(district)

    def _extent_hint(self) -> str:
        """What to do when an imported map was not used because it names no district."""
        if self.map_extent is None or self.coverage:
            return ""
        if self.map_district and not _has_han(self.map_district):
            return ""  # a city outside China (Helsinki): nothing to re-import
        said = f" (--district {self.map_district!r} is not one unit of the table)" if (
            self.map_district) else ""  # fmt: skip
        return (
            "; 已加载的底图未注明所属区县，不用于其他地区的地址 the loaded map does not say "
            f"which county it covers{said}; if it is this county, re-import it with "
            "--district <区县名或代码>"
        )

    def _district_codes(self, district: str) -> set:
        """The official unit a map was imported for (name, full name or code), when unique."""
        if not district:
            return set()
        if district.isdigit():
            return {district} if district in self.divisions.units else set()
        if not _has_han(district):
            return set()  # a city outside the table (Helsinki): its extent is its coverage
        p = parse_address(district, divisions=self.divisions, settings=self.settings)
        if p["reason_code"] or p["candidates"] or p["unplaced"] or not p["codes"]:
            return set()  # 西湖区 alone is three districts: the map's own extent decides
        return {max(p["codes"].values(), key=len)}

    def _locate_features(self) -> None:
        """Record in each street/landmark the map's township codes it touches, so that a
        street is read only for addresses in its own township (千斤沟镇光明大街 is not
        宝昌镇's 光明大街)."""
        towns = [(c, g) for c, (g, _i) in self.area_by_code.items() if len(c) == 9]
        for table in (self.streets, self.landmarks):
            for entries in table.values():
                for geom, info in entries:
                    if "townships" not in info:
                        info["townships"] = frozenset(c for c, g in towns if g.intersects(geom))

    # -- geocoding -----------------------------------------------------------------------
    def geocode(self, text, *, min_level: str | None = None) -> dict:
        """Geocode one address (never raises on bad input: the reason is in the result).

        Parameters
        ----------
        text : str
            The address as written.
        min_level : str, optional
            The precision gate (``county`` < ``township`` < ``village`` < ``road`` <
            ``house_number``/``compound``/``poi``): a coarser match keeps its ``level`` and
            ``code`` but no point, with ``reason_code`` ``below_min_level``.  Default
            ``Settings.geocode_min_level``.

        Returns
        -------
        dict
            Keys :data:`RESULT_KEYS`; ``lon``/``lat`` in WGS 84 or None.
        """
        gate = min_level or self.settings.geocode_min_level
        if gate not in LEVEL_RANK:
            raise GeocodeError(
                f"未知精度等级 unknown min_level {gate!r}: expected one of {', '.join(LEVEL_RANK)}"
            )
        key = text if isinstance(text, str) else repr(text)
        res = self._cache.get(key)
        if res is None:
            res = self._geocode(text)
            if len(self._cache) < 200_000:
                self._cache[key] = res
        elif self._parsed:
            self._parsed.pop(key, None)  # answered before: a parse handed over is not needed
        out = dict(res, matched=dict(res["matched"]))
        if out["level"] and out["lon"] is not None and LEVEL_RANK[out["level"]] < LEVEL_RANK[gate]:
            out.update(
                lon=None, lat=None, reason_code="below_min_level",
                reason=f"精度不足 matched only at {out['level']} level; at least {gate} is required",
            )  # fmt: skip
        return out

    def parse(self, text) -> dict:
        """:func:`~geo_enroll.address.parse_address` of ``text`` with this gazetteer's table and
        settings, the very parse :meth:`geocode` reads.

        Kept until this gazetteer geocodes the same text (then handed to it and dropped), so a
        caller that checks an address before geocoding it — the web's refusal check — parses
        it once.  At most :data:`PARSED_MAX` are kept (memory only, never logged, as the
        answers of :meth:`geocode`).  Read-only: do not change the dict.

        >>> g = load_default_gazetteer()
        >>> p = g.parse("太仆寺旗宝昌镇")
        >>> p["codes"]["township"], g.geocode("太仆寺旗宝昌镇")["township_code"]
        ('152527100', '152527100')
        """
        key = text if isinstance(text, str) else repr(text)
        got = self._parsed.get(key)
        if got is None:
            got = parse_address(text, divisions=self.divisions, settings=self.settings)
            if len(self._parsed) >= PARSED_MAX:
                self._parsed.clear()
            self._parsed[key] = got
        return got

    def geocode_many(self, texts, *, min_level: str | None = None) -> pd.DataFrame:
        """Geocode a sequence of addresses; one row per input, same order and index.

        >>> g = load_default_gazetteer()
        >>> df = g.geocode_many(["太仆寺旗宝昌镇", "", "太仆寺旗宝昌镇"])
        >>> list(df["level"].fillna("-")), df["reason_code"].iloc[1]
        (['township', '-', 'township'], 'empty')
        """
        index = texts.index if isinstance(texts, pd.Series) else None
        rows = [self.geocode(t, min_level=min_level) for t in texts]
        return pd.DataFrame(rows, columns=list(RESULT_KEYS), index=index)

    # -- internals -----------------------------------------------------------------------
    def _geocode(self, text) -> dict:
        p = self._parsed.pop(text if isinstance(text, str) else repr(text), None)
        if p is None:
            p = parse_address(text, divisions=self.divisions, settings=self.settings)
        res = dict.fromkeys(RESULT_KEYS)
        res.update(
            input=text, source_crs="EPSG:4326", matched={}, schematic=False, coarse=False,
            confidence=0.0, group=p.get("group"),
        )  # fmt: skip
        if p["reason_code"] == "no_chinese" and self.streets:
            latin = self._latin_geocode(text, res)
            if latin is not None:
                return latin
        if p["reason_code"] in ("not_text", "empty", "too_long", "no_chinese"):
            res.update(reason=p["reason"], reason_code=p["reason_code"])
            return res
        codes = p["codes"]
        res["county_code"] = codes.get("county")
        res["township_code"] = codes.get("township")
        res["village_code"] = codes.get("village")
        for lv in ("province", "city", "county", "township", "village"):
            if p[lv] and lv in codes:
                res["matched"][lv] = p[lv]
        if p["written"]:  # an old or variant name as written (江干区 → 上城区)
            res["matched"]["written"] = dict(p["written"])
        if "county" in p["inferred"] and p["level"] in ("township", "village"):
            # no county written: the township is the only one of its name in the table
            res["matched"]["inferred_from"] = "unique name in the national table"
        deepest = p["level"]
        code = codes.get(deepest) if deepest else None
        wanted = [k for k in ("village", "road", "house_number", "compound") if p.get(k)]
        if p["village"] and "village" not in codes:
            pass  # a village name not in the table: it stays unmatched
        point, level, src, schematic, conf = None, None, None, False, 0.0
        if deepest in ("county", "township", "village"):
            level = deepest
            point, src, schematic = self._admin_point(code)
            conf = _CONFIDENCE[level]
        in_map = self._in_coverage(codes) and (bool(codes) or self._assumed_local(p))
        fine = self._fine_match(p, in_map) if in_map else None
        if fine is not None:
            point, level, src, schematic, conf, fine_matched = fine
            res["matched"].update(fine_matched)
            if not codes:  # the base map's own unit stands in for the missing admin chain
                code = next(iter(sorted(self.coverage)), None)
                res["matched"]["inferred_from"] = "base map coverage"
                conf *= 0.8
        if p["fuzzy"]:
            conf *= 0.85
        if p["notes"] and any("shared by" in n for n in p["notes"]):
            conf *= 0.8
        res.update(code=code, level=level, confidence=round(conf, 3))
        unmatched = [p[k] if k != "house_number" else p[k] + "号" for k in wanted
                     if k not in res["matched"]]  # fmt: skip
        if p["unplaced"]:
            unmatched.append(p["unplaced"])
        res["unmatched"] = " ".join(unmatched) or None
        res["coarse"] = bool(level) and any(k not in res["matched"] for k in wanted)
        if level is None:
            res["reason_code"] = p["reason_code"] or "not_found"
            res["reason"] = p["reason"] or "未匹配 no official unit or map feature matched"
            return res
        if point is None:
            res["reason_code"] = "outside_gazetteer"
            res["reason"] = (
                f"超出地名库范围 outside the gazetteer: matched {level} "
                f"{''.join(res['matched'].get(k, '') for k in ('province', 'city', 'county', 'township', 'village'))}"
                " from the national table, but the gazetteer has no outline or map for it"
                + (f"; not matched: {res['unmatched']}" if res["unmatched"] else "")
                + self._extent_hint()
            )
            return res
        res.update(
            lon=round(point.x, 7), lat=round(point.y, 7), point_source=src, schematic=schematic
        )
        if res["coarse"]:
            res["reason_code"] = "coarse"
            res["reason"] = (
                f"粗略匹配 coarse match at {level} level; not matched: {res['unmatched']}"
            )
        elif p["reason_code"] == "ambiguous":
            res.update(reason_code="ambiguous", reason=p["reason"])
        elif not codes:
            res.update(
                reason_code="assumed_local",
                reason="未写行政区划，按底图范围推定 no administrative unit written: "
                f"assumed to be on the loaded map ({res['matched'].get('road') or level})",
            )
        return res

    def _latin_geocode(self, text, res: dict) -> dict | None:
        """A Latin-script address (Annankatu 15, Helsinki) on the loaded map, or None.

        Read by :func:`geo_enroll.address.latin.parse_latin`; answered only when its street
        (or named place) is one of the map's, under one name: a street whose same-named pieces
        lie apart answers only an exact house number of the map.  A locality written after it
        must be the ``--district`` the map was imported for; anything else is another city
        and gets no point (``outside_gazetteer``).  None leaves the ``no_chinese`` refusal.

        >>> from shapely.geometry import LineString
        >>> import geopandas as gpd
        >>> streets = gpd.GeoDataFrame({"name": ["Annankatu"], "district": ["Helsinki"]},
        ...     geometry=[LineString([(24.936, 60.165), (24.940, 60.168)])], crs=4326)
        >>> g = Gazetteer(load_default_gazetteer().divisions, basemap={"streets": streets})
        >>> r = g.geocode("Annankatu, Helsinki", min_level="road")
        >>> r["level"], r["matched"]["road"], r["reason_code"]
        ('road', 'Annankatu', None)
        >>> g.geocode("Annankatu, Espoo")["reason_code"], g.geocode("Fredrikinkatu 3")["reason_code"]
        ('outside_gazetteer', 'no_chinese')
        """
        q = parse_latin(text)
        if q is None:
            return None
        found = None  # (level, point, source, matched)
        road = self._latin_street(q["street"] or q["place"])
        if self.address_index is not None and (q["place"] or road is None):
            hit = self.address_index.place(q["head"])  # a place, also one named with digits
            if hit is not None and road is None:
                level = "compound" if hit["kind"] == "compound" else "poi"
                found = (level, hit["point"], f"map place {q['head']}", {"compound": q["head"]})
        if found is None and road is None:  # a compound drawn on the map (Pääskynen)
            lm = _one_site(self.landmarks.get(normalize_address(q["head"])) or [])
            if lm is not None:
                level = "compound" if lm[1]["kind"] == "compound" else "poi"
                found = (level, lm[0].representative_point(), f"map {lm[1]['kind']} "
                         f"{lm[1]['name']}", {"compound": lm[1]["name"]})  # fmt: skip
        if found is None and road is not None:
            name, segments = road
            matched = {"road": name}
            if q["house_number"] and self.address_index is not None:
                hit = self.address_index.house(name, q["house_number"])
                if hit is not None:
                    matched["house_number"] = q["house_number"]
                    found = ("house_number", hit["point"],
                             f"map house number {name} {q['house_number']} ({hit['how']})",
                             matched)  # fmt: skip
            if found is None and self._one_piece(name, segments):
                geom = max((g for g, _ in segments), key=lambda g: g.length)
                found = ("road", geom.interpolate(0.5, normalized=True), f"map street {name}",
                         matched)  # fmt: skip
            elif found is None:  # the map's street, but in pieces far apart: which one?
                return dict(res, matched=matched, reason_code="ambiguous", reason=(
                    f"地名有歧义 the loaded map has streets called {name} in places more than "
                    f"{_SITE_SPREAD_M:.0f} m apart: write a house number the map has"))  # fmt: skip
        if found is None:
            return None
        level, point, src, matched = found
        out = dict(res, matched=matched)
        district = latin_key(self.map_district)
        foreign = [w for w in q["locality"] if latin_key(w) != district]
        if foreign:
            out.update(
                reason_code="outside_gazetteer",
                reason=f"超出底图范围 {', '.join(foreign)} is not the loaded map's city "
                f"({self.map_district or 'not named: import the map with --district <city>'}); "
                "no point is given for another place",
            )
            return out
        conf = _CONFIDENCE[level] * (1.0 if q["locality"] else 0.8)
        wanted = ["road"] + (["house_number"] if q["house_number"] else [])
        coarse = level == "road" and "house_number" in wanted
        out.update(
            lon=round(point.x, 7), lat=round(point.y, 7), level=level, point_source=src,
            confidence=round(conf, 3), coarse=coarse,
            unmatched=q["house_number"] if coarse else None,
        )  # fmt: skip
        if coarse:
            out.update(reason_code="coarse",
                       reason=f"粗略匹配 coarse match at road level; not matched: {q['house_number']}")  # fmt: skip
        elif not q["locality"]:
            out.update(
                reason_code="assumed_local",
                reason="未写城市，按底图范围推定 no city written: assumed to be on the loaded map",
            )
        return out

    def _latin_street(self, written):
        """(name, segments) of the map's street called ``written`` (case and spacing aside;
        accents too when that leaves one street), or None."""
        if not written:
            return None
        if self._latin_index is None:
            self._latin_index = {}
            for key, segments in self.streets.items():
                for folded in {latin_key(key), _unaccent(latin_key(key))}:
                    self._latin_index.setdefault(folded, {})[key] = segments
        exact = self._latin_index.get(latin_key(written), {})
        hits = {k: v for k, v in exact.items() if latin_key(k) == latin_key(written)} or exact
        if len(hits) != 1:
            hits = self._latin_index.get(_unaccent(latin_key(written)), {})
        if len(hits) != 1:
            return None
        ((_key, segments),) = hits.items()
        return segments[0][1]["name"], segments

    def _one_piece(self, name: str, segments) -> bool:
        """:func:`_one_piece`, once per street of the map."""
        known = self._pieces.get(name)
        if known is None:
            known = self._pieces[name] = _one_piece(segments)
        return known

    def _in_coverage(self, codes: dict) -> bool:
        """Whether base-map features may answer an address resolved to ``codes``.

        Only when the address names a unit the map covers (a county, or a township inside
        it): a province or city alone (内蒙古光明大街) spans many counties with same-named
        roads.  A map without coverage areas (an imported city) covers the unit it was
        imported for, else only a county whose outline overlaps its extent
        (:meth:`_index_extent`).  No codes at all is decided by :meth:`_assumed_local`."""
        if not (self.streets or self.landmarks or self.area_by_name):
            return False
        if not codes:
            return True
        deepest = max(codes.values(), key=len)
        if self.coverage:
            return self._covers(deepest)
        if self.map_extent is None:
            return False
        outline = self.outlines.get(deepest[:6]) if len(deepest) >= 6 else None
        return outline is not None and outline.intersects(self.map_extent)

    def _covers(self, code: str) -> bool:
        """True when ``code`` lies in a unit of the map's coverage (or is a county holding one)."""
        return any(
            code.startswith(c) or (len(code) >= 6 and c.startswith(code)) for c in self.coverage
        )

    @staticmethod
    def _assumed_local(p: dict) -> bool:
        """An address naming no official unit may be read on the map only when nothing in it
        names another place: no unknown township/village name, no text left unread but filler
        words (察哈尔街1号 yes; 江干区光明大街5号, 某某镇光明大街 no)."""
        if p["township"] or p["village"] or p["candidates"]:
            return False
        rest = p["unplaced"]
        for word in _FILLER:
            rest = rest.replace(word, "")
        return not rest.strip()

    def _admin_point(self, code):
        """(point, source, schematic) for an official unit, or (None, None, False)."""
        if code is None:
            return None, None, False
        level = len(code)
        if level == 9:  # real seats first, then the base map's (schematic) seat or polygon
            if code in self._seats:
                pt, src = self._seats[code]
                return pt, src, False
            seat = self.seats_by_name.get(normalize_address(self.divisions.units[code].name))
            if seat is not None and self._covers(code):  # 永丰镇 of 临海 is not the map's 永丰镇
                return seat[0].representative_point(), "base map seat", seat[1]["schematic"]
        if code in self.area_by_code:
            geom, info = self.area_by_code[code]
            return geom.representative_point(), f"base map area {info['name']}", info["schematic"]
        if level == 6:
            if code in self.outlines:
                return self.outlines[code].representative_point(), "county outline", False
            return None, None, False
        if level == 9:
            if code in self._seats:
                pt, src = self._seats[code]
                return pt, src, False
            poly = self.outlines.get(code[:6])
            if poly is None:
                return None, None, False
            return _schematic_point(poly, code), "schematic point in county outline", True
        if level == 12:
            if code not in self._village_points:
                self._village_points[code] = self._village_point(code)
            return self._village_points[code]
        return None, None, False

    def _village_point(self, code):
        info = self.area_by_code.get(code[:9])
        if info is not None and info[0].geom_type in ("Polygon", "MultiPolygon"):
            return _schematic_point(info[0], code), "schematic point in township polygon", True
        poly = self.outlines.get(code[:6])
        if poly is None:
            return None, None, False
        return _schematic_point(poly, code), "schematic point in county outline", True

    def _fine_match(self, p: dict, in_map: bool):
        """Base-map match (road / house number / compound / poi / community), or None."""
        matched = {}
        # communities/villages drawn on the base map (by name, when the table had no code)
        if p["village"] and "village" not in p["codes"]:
            for geom, info in self.area_by_name.get(normalize_address(p["village"]), []):
                return (geom.representative_point(), "village", f"base map area {info['name']}",
                        info["schematic"], _CONFIDENCE["village"], {"village": info["name"]})  # fmt: skip
        town = p["codes"].get("township")
        st = self._find_street(p.get("road"), p, town)
        lm = self._find(self.landmarks, self._landmark_keys, p.get("compound"), p, town)
        if lm is not None and not _beside(lm[0], st, p):
            lm = None  # 福州路7号 and a 全家便利店 of another street: the house number speaks
        if lm is not None:
            geom, info = lm
            level = "compound" if info["kind"] == "compound" else "poi"
            return (geom.representative_point(), level, f"base map {info['kind']} {info['name']}",
                    info["schematic"], _CONFIDENCE[level], {"compound": info["name"]})  # fmt: skip
        place = self._find_place(p, town)
        if place is not None and not _beside(place[1]["point"], st, p):
            place = None
        if place is not None:
            name, hit = place
            level = "compound" if hit["kind"] == "compound" else "poi"
            return (hit["point"], level, f"map place {name} ({hit['kind']})", False,
                    hit["confidence"], {"compound": name})  # fmt: skip
        if st is None:
            return None
        key, segments = st
        matched["road"] = segments[0][1]["name"]
        schematic = any(info["schematic"] for _, info in segments)
        number = _house_value(p.get("house_number"))
        if number is not None and self.address_index is not None:  # the map's own house numbers
            for name in dict.fromkeys([info["name"] for _, info in segments] + [p.get("road")]):
                hit = self.address_index.house(name, p["house_number"])
                if hit is not None:
                    matched["house_number"] = p["house_number"]
                    return (hit["point"], "house_number", f"map house number {name} "
                            f"{p['house_number']} ({hit['how']})", schematic, hit["confidence"],
                            matched)  # fmt: skip
        if number is not None:
            for geom, info in segments:
                lo, hi = info["from"], info["to"]
                if lo is None or hi is None or hi == lo:
                    continue
                if min(lo, hi) <= number <= max(lo, hi):
                    pt = self._house_point(geom, number, lo, hi, self._named_area(p))
                    matched["house_number"] = p["house_number"]
                    return (pt, "house_number", f"base map street {info['name']} (interpolated)",
                            schematic, _CONFIDENCE["house_number"], matched)  # fmt: skip
        geom = max((g for g, _ in segments), key=lambda g: g.length)
        if geom.geom_type == "MultiLineString":
            geom = max(geom.geoms, key=lambda g: g.length)
        return (geom.interpolate(0.5, normalized=True), "road", f"base map street {matched['road']}",
                schematic, _CONFIDENCE["road"], matched)  # fmt: skip

    def _named_area(self, p: dict):
        """The polygon of the community/village the address names, when the base map has it."""
        code = p["codes"].get("village")
        if code and code in self.area_by_code:
            return self.area_by_code[code][0]
        if p.get("village"):
            hits = self.area_by_name.get(normalize_address(p["village"]), [])
            if len(hits) == 1:
                return hits[0][0]
        return None

    def _house_point(self, geom, number: int, lo: int, hi: int, area=None):
        """Point of house ``number`` on a street numbered ``lo``..``hi`` along its geometry.

        The house sits in the middle of its numbered slot (number 1 is not the street's end
        point) and ``Settings.house_offset_m`` off the centre line: on the side inside the
        community the address names when exactly one side is, else on its number's side
        (odd numbers on ``Settings.street_list_odd_side`` facing increasing numbers, 左单右双).

        >>> from shapely.geometry import LineString
        >>> g = load_default_gazetteer()
        >>> street = LineString([(115.27, 41.88), (115.28, 41.88)])  # west → east, 1..99
        >>> odd, even = g._house_point(street, 1, 1, 99), g._house_point(street, 2, 1, 99)
        >>> odd.y > 41.88 > even.y  # facing east, odd numbers on the left (north)
        True
        """
        if geom.geom_type == "MultiLineString":
            geom = max(geom.geoms, key=lambda g: g.length)
        step = 1 if hi > lo else -1
        frac = min(max((number - lo + 0.5 * step) / (hi - lo + step), 0.0), 1.0)
        pt = geom.interpolate(frac, normalized=True)
        a = geom.interpolate(max(frac - 0.01, 0.0), normalized=True)
        b = geom.interpolate(min(frac + 0.01, 1.0), normalized=True)
        kx = math.cos(math.radians(pt.y))  # local metres per degree, east vs north
        dx, dy = (b.x - a.x) * kx * step, (b.y - a.y) * step  # towards increasing numbers
        length = math.hypot(dx, dy)
        if length == 0:
            return pt
        off = self.settings.house_offset_m / 111_320.0
        left = Point(pt.x - dy / length * off / kx, pt.y + dx / length * off)
        right = Point(pt.x + dy / length * off / kx, pt.y - dx / length * off)
        if area is not None:
            inside = [q for q in (left, right) if area.covers(q)]
            if len(inside) == 1:
                return inside[0]
        odd_left = self.settings.street_list_odd_side == "left"
        return left if (number % 2 == 1) == odd_left else right

    @staticmethod
    def _in_town(entries, town):
        """The entries lying in township ``town`` (all when no township was written)."""
        if not town:
            return entries
        return [e for e in entries if not e[1]["townships"] or town in e[1]["townships"]]

    def _find(self, table, keys, written, p, town=None):
        """A landmark named as written, else one whose name starts a piece of text the parser
        left unread (东大桥); never a name inside a longer word (新昌盛园 is not 昌盛园), and
        none when the name is at two places (:func:`_one_site`)."""
        if written:
            hit = self._in_town(table.get(normalize_address(written), []), town)
            if hit:
                return _one_site(hit)
        for key in keys.starting(p["unplaced"].split()):
            hit = self._in_town(table[key], town)
            if hit:
                return _one_site(hit)
        return None

    def _find_place(self, p: dict, town=None):
        """(name, hit) of the one named place of the map's address index (OSM POIs, named
        buildings) called as written, else named by the start of a piece of text the parser
        left unread (longest name first, also after the short name of a unit the address names:
        上海市黄浦区上海大世界 reads 大世界 after the doubled 上海); None when absent or when the
        name is at two places (:meth:`AddressIndex.place`).  A place named like one of the map's streets is that
        street, and a place outside the township the address names is not the one meant.

        >>> from shapely.geometry import LineString, Point
        >>> import geopandas as gpd
        >>> streets = gpd.GeoDataFrame({"name": ["福州路"]}, crs=4326,
        ...     geometry=[LineString([(121.47, 31.23), (121.48, 31.23)])])
        >>> places = gpd.GeoDataFrame({"street": ["", "", ""], "housenumber": ["", "", ""],
        ...     "number": [None, None, None], "name": ["示例广场", "便利店", "便利店"],
        ...     "kind": ["poi"] * 3}, crs=4326, geometry=[Point(121.475, 31.231),
        ...     Point(121.471, 31.229), Point(121.479, 31.229)])
        >>> g = Gazetteer(load_default_gazetteer().divisions,
        ...     basemap={"streets": streets, "addresses": places, "meta": {"district": "黄浦区"}})
        >>> r = g.geocode("上海市黄浦区示例广场")
        >>> r["level"], r["matched"]["compound"], r["lon"]
        ('poi', '示例广场', 121.475)
        >>> g.geocode("上海市黄浦区便利店")["lon"] is None  # two 便利店 800 m apart
        True
        """
        index = self.address_index
        if index is None:
            return None
        written = [p["compound"]] if p.get("compound") else []
        written += p["unplaced"].split()
        # a place named after its city (上海大世界) loses that name to the admin chain
        heads = [""]
        for code in p["codes"].values():
            unit = self.divisions.units.get(code)
            if unit is not None and unit.level in ("province", "city", "county"):
                heads += [h for h in (unit.name, short_name(unit.name, unit.level)) if h]
        names = []
        for piece in written:
            names += [h + piece[:n] for n in range(len(piece), 1, -1) for h in heads]
        area = self.area_by_code.get(town, (None,))[0] if town else None
        for name in names:
            if normalize_address(name) in self.streets:
                continue
            hit = index.place(name)
            if hit is None or (area is not None and not area.covers(hit["point"])):
                continue
            return name, hit
        return None

    def _find_street(self, written, p, town=None):
        """Street segments named as written (name or alias), in the written township."""
        candidates = [normalize_address(written)] if written else []
        candidates += self._street_keys.starting(p["unplaced"].split())
        for key in candidates:
            hit = self._in_town(self.streets.get(key, []), town)
            if hit:
                return key, hit
        return None


def _one_site(entries):
    """The first of ``entries`` (geometry, info) when they all lie within ``_SITE_SPREAD_M``
    of each other (the buildings of one compound), else None: one name at two places.

    >>> from shapely.geometry import box
    >>> near = [(box(121.470, 31.23, 121.471, 31.231), {}), (box(121.4715, 31.23, 121.472, 31.231), {})]
    >>> far = near[:1] + [(box(121.48, 31.23, 121.481, 31.231), {})]
    >>> _one_site(near) is near[0], _one_site(far)
    (True, None)
    """
    if not entries:
        return None
    if len(entries) > 1:
        kx = math.cos(math.radians(entries[0][0].representative_point().y))
        geoms = [shapely.affinity.scale(g, xfact=kx, yfact=1.0, origin=(0, 0)) for g, _ in entries]
        spread = max(a.distance(b) for a in geoms for b in geoms) * 111_320.0
        if spread > _SITE_SPREAD_M:
            return None
    return entries[0]


def _beside(geom, street, p: dict) -> bool:
    """Whether a place may answer an address that also writes a road: True when the address
    writes none (or the map lacks it), else only when the place lies within
    ``_PLACE_ROAD_M`` of that street (a compound on its road, not a namesake elsewhere).

    >>> from shapely.geometry import LineString, Point
    >>> road = ("福州路", [(LineString([(121.47, 31.23), (121.48, 31.23)]), {})])
    >>> p = {"road": "福州路"}
    >>> _beside(Point(121.475, 31.2305), road, p), _beside(Point(121.475, 31.24), road, p)
    (True, False)
    >>> _beside(Point(121.475, 31.24), None, p)
    True
    """
    if street is None or not p.get("road"):
        return True
    kx = math.cos(math.radians(geom.representative_point().y))
    scaled = shapely.affinity.scale(geom, xfact=kx, yfact=1.0, origin=(0, 0))
    gap = min(
        scaled.distance(shapely.affinity.scale(g, xfact=kx, yfact=1.0, origin=(0, 0)))
        for g, _ in street[1]
    )
    return gap * 111_320.0 <= _PLACE_ROAD_M


def _one_piece(segments) -> bool:
    """Whether street ``segments`` (geometry, info) form one street: no gap wider than
    ``_SITE_SPREAD_M`` between its pieces (two same-named streets of one city are not one).

    >>> from shapely.geometry import LineString
    >>> a = (LineString([(24.93, 60.16), (24.94, 60.16)]), {})
    >>> b = (LineString([(24.94, 60.16), (24.95, 60.16)]), {})  # continues a: 1.1 km in all
    >>> c = (LineString([(24.99, 60.16), (25.00, 60.16)]), {})  # 2.2 km further east
    >>> _one_piece([a, b]), _one_piece([a, c])
    (True, False)
    """
    if len(segments) == 1:
        return True
    kx = math.cos(math.radians(segments[0][0].representative_point().y))
    radius = _SITE_SPREAD_M / 2 / 111_320.0
    merged = shapely.union_all(
        [shapely.affinity.scale(g, xfact=kx, yfact=1.0, origin=(0, 0)).buffer(radius)
         for g, _ in segments]
    )  # fmt: skip
    return len(getattr(merged, "geoms", [merged])) == 1


def _unaccent(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _has_han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _house_value(text):
    if not text:
        return None
    digits = ""
    for c in text:
        if c.isdigit():
            digits += c
        else:
            break
    return int(digits) if digits else None


def _town_seats(path: Path, div: Divisions, outlines: dict) -> dict:
    """GeoNames seats matched to townships by pinyin, kept only inside their county outline."""
    seats = {}
    if not path.exists():
        return seats
    frame = pd.read_csv(path, dtype=str)
    by_sound = {}
    for county, poly in outlines.items():
        for code in div.children.get(county, []):
            stem = div.units[code].name.rstrip("镇乡").removesuffix("街道").removesuffix("苏木")
            by_sound.setdefault(pinyin_key(stem).replace(" ", ""), []).append((code, poly))
    for row in frame.to_dict("records"):
        for code, poly in by_sound.get(_s(row.get("name")).lower(), []):
            pt = Point(float(row["lon"]), float(row["lat"]))
            if poly.contains(pt):
                seats[code] = (pt, f"GeoNames town seat {row['name']}")
    return seats


class _PrefixKeys:
    """The names of a table, longest first, and which of them start a piece of text: one
    dict probe per name length and piece, not a scan of every name (a real city's map has
    thousands of street names; the scan was per geocoded address).

    >>> keys = _PrefixKeys({"民生路": 1, "民生": 2, "东大桥": 3})
    >>> list(keys), keys.starting(["民生路3号", "东大桥北"])
    (['民生路', '东大桥', '民生'], ['民生路', '东大桥', '民生'])
    >>> keys.starting(["新民生路"]), keys.starting([])
    ([], [])
    """

    def __init__(self, table) -> None:
        self._keys = sorted(table, key=len, reverse=True)
        self._rank = {k: i for i, k in enumerate(self._keys)}
        self._lengths = sorted({len(k) for k in self._keys}, reverse=True)

    def __iter__(self):
        return iter(self._keys)

    def starting(self, pieces) -> list[str]:
        """The names that start one of ``pieces``, in the order of the names (longest first,
        then as the table lists them)."""
        rank = self._rank
        found = {
            piece[:n]
            for piece in pieces
            for n in self._lengths
            if n <= len(piece) and piece[:n] in rank
        }
        return sorted(found, key=rank.__getitem__)


@lru_cache(maxsize=1)
def load_default_gazetteer() -> Gazetteer:
    """The gazetteer of the project's ``data/`` folder and default base map (cached)."""
    return Gazetteer.from_data()
