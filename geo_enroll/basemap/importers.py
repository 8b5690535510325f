"""Importers: OpenStreetMap (XML, PBF), GeoJSON, GeoPackage and Shapefile -> a base map.

* :func:`import_osm` keeps highway, waterway and railway ways (``name:zh`` else ``name``;
  ``name``, ``alt_name``, ``old_name``, ``name:zh``, ``ref`` and the other names become
  aliases), the address index (house numbers, interpolations, named places), named bridges (``bridge=yes`` and a name ending in 桥) as
  ``kind=bridge``, and named closed ``landuse=residential``/``place=neighbourhood`` ways as
  compounds.
* :func:`import_vector` reads one layer of any OGR file with a chosen name field; lines go to
  ``streets``, polygons to ``areas`` (or ``landmarks`` for compounds), points to ``landmarks``.

Coordinates are checked on entry: a CRS that does not match its coordinates is refused, a
GCJ-02 ("Mars") map must be tagged (``crs="gcj02"``) and is converted to WGS 84; an untagged
one is detected by comparing county outlines with the real ones (offset of 300-800 m in the
direction GCJ-02 shifts) and refused with a message saying how to tag it.

    >>> from pathlib import Path
    >>> p = Path(__file__).parents[2] / "tests" / "basemap" / "data" / "huangpu_extract.osm"
    >>> bm = import_osm(p) if p.exists() else None
    >>> bm is None or "延安东路" in set(bm.streets["name"])
    True
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Polygon

from ..errors import BaseMapError, CRSError
from ..settings import DEFAULT_SETTINGS, Settings, data_dir
from .layers import BaseMap, check_coordinates, utm_crs

__all__ = ["import_osm", "import_vector", "import_any", "detect_gcj02"]

_NAME_TAGS = ("name:zh", "name:zh-Hans", "name")
# every other spelling a map gives a feature is kept as an alias (;-separated values split)
_ALIAS_TAGS = (
    "name",
    "name:zh",
    "name:zh-Hans",
    "name:zh-Hant",
    "alt_name",
    "old_name",
    "official_name",
    "short_name",
    "loc_name",
    "reg_name",
    "ref",
    "name:en",
)
# a named node or building with one of these keys is a place an address can name (POI)
_POI_KEYS = ("amenity", "shop", "office", "tourism", "leisure", "healthcare", "building", "place")
_INTERPOLATION_STEP = {"odd": 2, "even": 2, "all": 1, "alphabetic": 1}


def _names(tags: dict) -> tuple[str, str]:
    """(name, aliases) of an OSM element: ``name:zh`` else ``name``; the other names joined."""
    name = next((tags[t] for t in _NAME_TAGS if tags.get(t)), "")
    aliases = {
        part.strip()
        for t in _ALIAS_TAGS
        if tags.get(t)
        for part in str(tags[t]).split(";")
        if part.strip()
    }
    aliases.discard(name)
    # a bare route number (ref=12) would match any address containing 12: refs need a letter
    aliases -= {a for a in aliases if a.isdigit()}
    return name, "|".join(sorted(aliases))


def house_number_value(text) -> int | None:
    """The leading integer of a house number as maps and policies write it, or None.

    Sub-numbers (``12A``, ``12-3``, ``12号之1``, ``12附1号``) belong to their main number.

    >>> [house_number_value(x) for x in ("12", "12A", "12-3", "１２号之1", "附1号", "", "2²", "①")]
    [12, 12, 12, 12, None, None, 2, None]
    """
    text = str(text or "").translate(str.maketrans("０１２３４５６７８９", "0123456789")).strip()
    digits = ""
    for c in text:
        if c in "0123456789":  # not str.isdigit: "²" and "①" are digits to Python, not to int()
            digits += c
        else:
            break
    return int(digits) if digits else None


def _osm_read(path: Path) -> tuple[list[dict], list[dict]]:
    """(ways, addresses) of an OSM file: the ways the base map keeps and its address points."""
    import osmium
    import osmium.geom

    rows: list[dict] = []
    addresses: list[dict] = []
    numbered_nodes: dict[int, tuple[str, str]] = {}  # node id -> (housenumber, street)
    interpolations: list[tuple[dict, list]] = []

    def address_row(tags, lon, lat, kind, source):
        number = tags.get("addr:housenumber", "")
        name, _ = _names(tags)
        addresses.append(
            {
                "street": tags.get("addr:street") or tags.get("addr:place") or "",
                "housenumber": number,
                "number": house_number_value(number),
                "name": name,
                "kind": kind,
                "source": source,
                "lon": lon,
                "lat": lat,
            }
        )

    class Handler(osmium.SimpleHandler):
        def node(self, n):
            tags = n.tags
            if "addr:housenumber" not in tags and "name" not in tags:
                return
            tags = {t.k: t.v for t in tags}
            if not n.location.valid():
                return
            lon, lat = n.location.lon, n.location.lat
            if tags.get("addr:housenumber"):
                numbered_nodes[int(n.id)] = (tags["addr:housenumber"], tags.get("addr:street", ""))
                address_row(tags, lon, lat, "house", f"node/{n.id}")
            elif any(k in tags for k in _POI_KEYS):
                address_row(tags, lon, lat, "poi", f"node/{n.id}")

        def way(self, w):
            tags = {t.k: t.v for t in w.tags}
            kind = None
            if "highway" in tags:
                kind = "road"
            elif "waterway" in tags:
                kind = "river"
            elif "railway" in tags:
                kind = "railway"
            compound = (
                tags.get("landuse") == "residential" or tags.get("place") == "neighbourhood"
            ) and ("name" in tags or "name:zh" in tags)
            numbered = bool(tags.get("addr:housenumber"))
            place = numbered or (
                any(k in tags for k in _POI_KEYS) and ("name" in tags or "name:zh" in tags)
            )
            interpolation = tags.get("addr:interpolation")
            if kind is None and not compound and not place and not interpolation:
                return
            try:
                coords = [(n.lon, n.lat) for n in w.nodes]
            except osmium.InvalidLocationError:
                return
            if len(coords) < 2:
                return
            if interpolation and kind is None:
                interpolations.append(
                    (tags, [(int(n.ref), xy) for n, xy in zip(w.nodes, coords, strict=False)])
                )
                return
            if place and kind is None and not compound:
                closed = coords[0] == coords[-1] and len(coords) >= 4
                shape = Polygon(coords) if closed else LineString(coords)
                c = shape.representative_point() if shape.is_valid else shape.centroid
                address_row(tags, c.x, c.y, "building" if numbered else "poi", f"way/{w.id}")
                return
            name, aliases = _names(tags)
            if kind == "road" and tags.get("bridge") == "yes" and name.endswith("桥"):
                kind = "bridge"
            rows.append(
                {
                    "osm_id": int(w.id),
                    "name": name,
                    "aliases": aliases,
                    "kind": kind or "compound",
                    "highway": tags.get("highway", ""),
                    "closed": coords[0] == coords[-1] and len(coords) >= 4,
                    "coords": coords,
                }
            )

    wkb = osmium.geom.WKBFactory()

    class AreaHandler(Handler):
        """Also multipolygon relations: named compounds (小区 are often mapped so) and
        numbered or named buildings."""

        def area(self, a):
            if a.from_way():  # closed ways were read as ways
                return
            tags = {t.k: t.v for t in a.tags}
            compound = (
                tags.get("landuse") == "residential" or tags.get("place") == "neighbourhood"
            ) and ("name" in tags or "name:zh" in tags)
            numbered = bool(tags.get("addr:housenumber"))
            place = any(k in tags for k in _POI_KEYS) and ("name" in tags or "name:zh" in tags)
            if not (compound or numbered or place):
                return
            try:
                shape = shapely.from_wkb(wkb.create_multipolygon(a))
            except (RuntimeError, shapely.errors.GEOSException):
                return  # an unclosed multipolygon: nothing to draw
            if compound:
                name, aliases = _names(tags)
                rows.append(
                    {
                        "osm_id": -int(a.orig_id()),
                        "name": name,
                        "aliases": aliases,
                        "kind": "compound",
                        "highway": "",
                        "closed": True,
                        "shape": shape,
                        "coords": [],
                    }
                )
            else:
                c = shape.representative_point()
                address_row(
                    tags, c.x, c.y, "building" if numbered else "poi", f"relation/{a.orig_id()}"
                )

    try:
        AreaHandler().apply_file(str(path), locations=True)
    except RuntimeError as exc:
        raise BaseMapError(f"{path}: not a readable OpenStreetMap file ({exc})") from None
    for tags, nodes in interpolations:
        addresses += _interpolate(tags, nodes, numbered_nodes)
    return rows, addresses


def _interpolate(tags: dict, nodes: list, numbered: dict) -> list[dict]:
    """House numbers of an ``addr:interpolation`` way, between its numbered nodes."""
    step = _INTERPOLATION_STEP.get(tags.get("addr:interpolation", ""), None)
    if step is None:
        return []
    out = []
    line = LineString([xy for _, xy in nodes])
    marks = []  # (distance along the way, number, street)
    for ref, xy in nodes:
        if ref in numbered:
            number = house_number_value(numbered[ref][0])
            if number is not None:
                marks.append((line.project(shapely.Point(xy)), number, numbered[ref][1]))
    for (d0, n0, s0), (d1, n1, s1) in zip(marks, marks[1:], strict=False):
        street = tags.get("addr:street") or s0 or s1
        if not street or n0 == n1 or abs(n1 - n0) > 2000 or d1 <= d0:
            continue
        sign = 1 if n1 > n0 else -1
        for n in range(n0 + sign * step, n1, sign * step):
            pt = line.interpolate(d0 + (d1 - d0) * (n - n0) / (n1 - n0))
            out.append(
                {
                    "street": street,
                    "housenumber": str(n),
                    "number": n,
                    "name": "",
                    "kind": "interpolated",
                    "source": "addr:interpolation",
                    "lon": pt.x,
                    "lat": pt.y,
                }
            )
    return out


def import_osm(
    path: str | Path, *, district: str = "", settings: Settings = DEFAULT_SETTINGS
) -> BaseMap:
    """A base map from an OpenStreetMap XML (``.osm``) or PBF (``.osm.pbf``) file.

    Besides the streets and compounds, the map's addresses become the ``addresses`` layer:
    ``addr:housenumber`` on nodes and buildings, the numbers of ``addr:interpolation`` ways
    (every odd, even or whole number between their numbered nodes) and named places (POIs).
    """
    path = Path(path)
    if not path.exists():
        raise BaseMapError(f"{path} does not exist")
    ways, addresses = _osm_read(path)
    if not ways:
        raise BaseMapError(f"{path}: no highway, waterway or railway ways found")
    street_rows, landmark_rows = [], []
    for w in ways:
        if w["kind"] == "compound":
            if w["closed"]:
                landmark_rows.append(
                    {
                        "name": w["name"],
                        "aliases": w["aliases"],
                        "kind": "compound",
                        "geometry": w.get("shape") or Polygon(w["coords"]),
                    }
                )
            continue
        if len(w["coords"]) > settings.max_vertices:
            raise BaseMapError(
                f"{path}: way {w['osm_id']} ({w['name']}) has "
                f"{len(w['coords'])} vertices (> max_vertices)"
            )
        street_rows.append(
            {
                "name": w["name"],
                "aliases": w["aliases"],
                "kind": w["kind"],
                "district": district,
                "highway": w["highway"],
                "osm_id": w["osm_id"],
                "geometry": LineString(w["coords"]),
            }
        )
    streets = gpd.GeoDataFrame(street_rows, crs=4326)
    landmarks = gpd.GeoDataFrame(landmark_rows, crs=4326) if landmark_rows else None
    points = None
    if addresses:
        frame = gpd.pd.DataFrame(addresses)
        points = gpd.GeoDataFrame(
            frame.drop(columns=["lon", "lat"]),
            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
            crs=4326,
        )
    _check_district(streets, district, where=str(path), osm=True)
    meta = {
        "schematic": "false",
        "source": f"OpenStreetMap extract {path.name}",
        "licence": "© OpenStreetMap contributors, ODbL 1.0",
        "crs": "EPSG:4326",
        "district": district,
    }
    return BaseMap.from_layers(
        streets=streets, landmarks=landmarks, addresses=points, meta=meta, source=str(path)
    )


def _reference_counties() -> gpd.GeoDataFrame | None:
    path = data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson"
    if not path.exists():
        return None
    ref = gpd.read_file(path)
    return ref.set_crs(4326, allow_override=True)


_CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)  # lon/lat box of China with its seas


def _district_outline(district: str):
    """The outline (WGS 84) of a district the project has one for, by name or code, or None."""
    ref = _reference_counties()
    if ref is None or not district:
        return None
    for _, row in ref.iterrows():
        names = {str(row.get("name") or ""), str(row.get("gb") or "")[-6:]}
        if district in names:
            return row.geometry
    return None


def _check_district(
    gdf: gpd.GeoDataFrame, district: str, *, where: str, found: str = "", osm: bool = False
) -> None:
    """Refuse data (EPSG:4326) whose coordinates land outside the district it is imported for.

    The district's outline is used when the project has one (``data/boundaries``), else a
    Chinese district name must at least lie in China.  ``found`` describes the coordinates
    as they were in the file (its own CRS), for the message.
    """
    if not district or len(gdf) == 0:
        return
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    outline = _district_outline(district)
    if outline is not None:
        near = outline.buffer(0.1)  # about 10 km: a map may reach past the border
        pts = gdf.geometry.representative_point()
        inside = float(pts.within(near).mean())
        if inside >= 0.5:
            return
        ox0, oy0, ox1, oy1 = outline.bounds
        expected = f"{district} lies at lon {ox0:.3f}..{ox1:.3f}, lat {oy0:.3f}..{oy1:.3f}"
    elif any("\u4e00" <= c <= "\u9fff" for c in district):
        x0, y0, x1, y1 = _CHINA_BOUNDS
        if x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1:
            return
        expected = f"{district} is in China (lon {x0:.0f}..{x1:.0f}, lat {y0:.0f}..{y1:.0f})"
    else:
        return
    raise CRSError(
        f"{where}: 坐标不在{district}范围内 the coordinates land outside {district}: found "
        f"lon {minx:.4f}..{maxx:.4f}, lat {miny:.4f}..{maxy:.4f}"
        + (f" ({found})" if found else "")
        + f", but {expected}. "
        + (
            "OpenStreetMap files are WGS 84: this is another place's extract, or --district "
            "is wrong."
            if osm
            else "The file's CRS is probably wrong or missing: import it again with --crs and "
            "its real CRS (e.g. EPSG:4547 for CGCS2000 3° Gauss-Krüger 114°E, EPSG:4490, "
            "EPSG:32650), or correct --district."
        )
    )


def detect_gcj02(gdf: gpd.GeoDataFrame, reference: gpd.GeoDataFrame | None = None) -> dict | None:
    """Evidence that polygons labelled WGS 84 are really GCJ-02, or None.

    Compares each data polygon with the reference county outline it overlaps most (areas within
    30 %): the shift between their centroids must be 200 m or more and within 35 % of the
    GCJ-02 offset at that place.
    """
    from ..coords import wgs84_to_gcj02

    reference = _reference_counties() if reference is None else reference
    if reference is None or len(gdf) == 0:
        return None
    polys = gdf[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(polys) == 0:
        return None
    polys = polys.to_crs(4326)
    for geom in polys.geometry:
        if geom is None or geom.is_empty:
            continue
        if shapely.get_num_coordinates(geom) > DEFAULT_SETTINGS.max_vertices:
            continue
        for ref in reference.geometry:
            if not geom.envelope.intersects(ref.envelope):
                continue
            crs = utm_crs((ref.centroid.x, ref.centroid.y))
            pair = gpd.GeoSeries(
                [
                    geom.buffer(0)
                    if geom.is_valid is False and shapely.get_num_coordinates(geom) < 5000
                    else geom,
                    ref,
                ],
                crs=4326,
            ).to_crs(crs)
            a, r = pair.iloc[0], pair.iloc[1]
            if not (0.7 < a.area / r.area < 1.3):
                continue
            shift = np.array([a.centroid.x - r.centroid.x, a.centroid.y - r.centroid.y])
            lon, lat = ref.centroid.x, ref.centroid.y
            glon, glat = wgs84_to_gcj02(lon, lat)
            gpts = gpd.GeoSeries.from_xy([lon, glon], [lat, glat], crs=4326).to_crs(crs)
            expected = np.array([gpts.iloc[1].x - gpts.iloc[0].x, gpts.iloc[1].y - gpts.iloc[0].y])
            size = float(np.hypot(*shift))
            err = float(np.hypot(*(shift - expected)))
            if size >= 200 and err <= 0.35 * float(np.hypot(*expected)):
                return {
                    "shift_m": round(size, 1),
                    "expected_m": round(float(np.hypot(*expected)), 1),
                    "mismatch_m": round(err, 1),
                }
    return None


def _from_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from ..coords import gcj02_to_wgs84

    def fix(xy):
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out["geometry"] = shapely.transform(out.geometry.values, fix)
    return out.set_crs(4326, allow_override=True)


def import_vector(
    path: str | Path,
    *,
    name_field: str = "name",
    layer: str | None = None,
    kind: str | None = None,
    crs: str | None = None,
    district: str = "",
    settings: Settings = DEFAULT_SETTINGS,
) -> BaseMap:
    """A base map from one layer of a GeoJSON, GeoPackage or Shapefile.

    Parameters
    ----------
    name_field : the attribute holding the feature name (listed in the error when absent).
    layer : the layer to read (required when the file has several).
    kind : ``kind`` for every feature (road, river, compound, community...); else the file's
        ``kind`` column, else by geometry.
    crs : the source CRS when the file does not say or says wrong (``EPSG:4326``,
        ``EPSG:32650``, ``gcj02``).
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise BaseMapError(f"{path} does not exist")
    try:
        layers = [str(r[0]) for r in pyogrio.list_layers(path)]
    except Exception as exc:
        raise BaseMapError(
            f"{path} cannot be opened ({exc}); expected GeoJSON, GeoPackage or Shapefile"
        ) from None
    if layer is None:
        if len(layers) > 1:
            raise BaseMapError(
                f"{path} has several layers ({', '.join(layers)}): choose one with --layer"
            )
        layer = layers[0]
    elif layer not in layers:
        raise BaseMapError(f"{path} has no layer {layer!r} (layers: {', '.join(layers)})")
    where = f"{path} layer {layer!r}"
    info = pyogrio.read_info(path, layer=layer)
    if info["features"] and info["features"] > 1_000_000:
        raise BaseMapError(f"{where}: {info['features']} features is too many for a base map")
    gdf = pyogrio.read_dataframe(path, layer=layer)
    if name_field not in gdf.columns:
        fields = [c for c in gdf.columns if c != "geometry"]
        raise BaseMapError(
            f"{where} has no field {name_field!r}; fields: {', '.join(fields)}; "
            "choose one with --name-field"
        )
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        bad = np.flatnonzero(gdf.geometry.isna().values | gdf.geometry.is_empty.values)
        raise BaseMapError(
            f"{where}: {len(bad)} feature(s) without geometry",
            problems=[f"row {i} ({gdf[name_field].iloc[i]})" for i in bad[:20]],
        )
    counts = shapely.get_num_coordinates(gdf.geometry.values)
    big = np.flatnonzero(counts > settings.max_vertices)
    if len(big):
        raise BaseMapError(
            f"{where}: geometry too large (> max_vertices={settings.max_vertices})",
            problems=[
                f"row {i} ({gdf[name_field].iloc[i]}): {counts[i]} vertices" for i in big[:20]
            ],
        )
    gcj = crs is not None and crs.lower().replace("-", "") in ("gcj02", "gcj")
    if gcj:
        gdf = _from_gcj02(gdf.set_crs(4326, allow_override=True))
    elif crs is not None:
        try:
            gdf = gdf.set_crs(CRS.from_user_input(crs), allow_override=True)
        except Exception:
            raise CRSError(
                f"{where}: unknown CRS {crs!r}; use e.g. EPSG:4326, EPSG:32650 or gcj02"
            ) from None
    problems = check_coordinates(gdf, where=where)
    if problems:
        raise CRSError(problems[0])
    bx0, by0, bx1, by1 = (float(v) for v in gdf.total_bounds)
    found = f"{bx0:.1f}..{bx1:.1f}, {by0:.1f}..{by1:.1f} in {CRS(gdf.crs).to_string()}"
    gdf = gdf.to_crs(4326)
    _check_district(gdf, district, where=where, found=found)
    if not gcj:
        evidence = detect_gcj02(gdf)
        if evidence:
            raise CRSError(
                f"{where}: the outline is shifted {evidence['shift_m']:.0f} m from the real county "
                f"outline, as GCJ-02 (火星坐标) is ({evidence['expected_m']:.0f} m here): the map is "
                "GCJ-02 but labelled WGS 84. Import it again with --crs gcj02 to convert it."
            )
    gdf = gdf.rename(columns={name_field: "name"}) if name_field != "name" else gdf
    gdf["name"] = gdf["name"].fillna("").astype(str)
    types = gdf.geometry.geom_type
    lines = gdf[types.isin(["LineString", "MultiLineString"])].copy()
    polys = gdf[types.isin(["Polygon", "MultiPolygon"])].copy()
    points = gdf[types == "Point"].copy()
    invalid = [
        f"row {i} ({n}): {shapely.is_valid_reason(g)}"
        for i, (n, g) in enumerate(zip(polys["name"], polys.geometry, strict=False))
        if not g.is_valid
    ]
    if invalid:
        raise BaseMapError(
            f"{where}: {len(invalid)} invalid polygon(s); repair them (e.g. "
            "QGIS 'Fix geometries') and import again",
            problems=invalid[:20],
        )
    for frame in (lines, polys, points):
        if kind:
            frame["kind"] = kind
    if len(lines):
        lines["district"] = district
    landmark_kinds = ("compound", "bridge", "poi")
    to_landmarks = polys[polys["kind"].isin(landmark_kinds)] if "kind" in polys else polys.iloc[:0]
    to_areas = polys.drop(to_landmarks.index)
    landmarks = (
        gpd.GeoDataFrame([*to_landmarks.to_dict("records"), *points.to_dict("records")], crs=4326)
        if len(to_landmarks) + len(points)
        else None
    )
    meta = {
        "schematic": "false",
        "source": f"{path.name} ({layer})",
        "crs": "EPSG:4326",
        "converted_from": "GCJ-02" if gcj else "",
    }
    return BaseMap.from_layers(
        streets=lines if len(lines) else None,
        landmarks=landmarks,
        areas=to_areas if len(to_areas) else None,
        meta=meta,
        source=str(path),
    )


def import_any(path: str | Path, **kwargs) -> BaseMap:
    """Dispatch on the file name: ``.osm``/``.pbf`` -> :func:`import_osm`, else
    :func:`import_vector`."""
    name = str(path).lower()
    if name.endswith((".osm", ".osm.pbf", ".pbf", ".osm.xml")):
        return import_osm(path, district=kwargs.get("district", ""))
    return import_vector(path, **kwargs)
