"""Read, write and validate the layers of a base map (底图) GeoPackage.

A base map is one GeoPackage with the layers of :data:`LAYERS` (``streets`` is required, the
others may be absent) and a ``meta`` attribute table of ``key``/``value`` rows.  Everything is
EPSG:4326 at rest; :func:`utm_crs` gives the projected CRS to measure in.

Every problem found while reading is reported at once (a :class:`BaseMapError` or
:class:`CRSError` listing each bad feature by layer, row and name), within bounded time:
geometries above ``Settings.max_vertices`` are refused before any repair is attempted.

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> streets = gpd.GeoDataFrame({"name": ["解放大街"]},
    ...     geometry=[LineString([(115.27, 41.88), (115.29, 41.88)])], crs=4326)
    >>> bm = BaseMap.from_layers(streets=streets, meta={"source": "toy"})
    >>> list(bm.streets.columns)[:4]
    ['name', 'aliases', 'kind', 'schematic']
    >>> utm_crs(bm.streets).to_epsg()
    32650
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ..errors import BaseMapError, CRSError
from ..settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "LAYERS",
    "BaseMap",
    "read_basemap",
    "write_basemap",
    "validate_basemap",
    "check_coordinates",
    "utm_crs",
    "empty_layer",
]

#: layer -> (allowed geometry types, columns with their default value)
LAYERS: dict[str, tuple[tuple[str, ...], dict[str, object]]] = {
    "streets": (
        ("LineString", "MultiLineString"),
        {
            "name": "",
            "aliases": "",
            "kind": "road",
            "schematic": False,
            "district": "",
            "from_number": pd.NA,
            "to_number": pd.NA,
        },
    ),
    "landmarks": (
        ("Polygon", "MultiPolygon", "Point", "LineString"),
        {"name": "", "aliases": "", "kind": "poi", "within": "", "schematic": False},
    ),
    "areas": (
        ("Polygon", "MultiPolygon"),
        {
            "name": "",
            "aliases": "",
            "kind": "community",
            "code": "",
            "parent": "",
            "schematic": False,
        },
    ),
    "schools": (
        ("Point",),
        {"name": "", "school_id": "", "level": "", "code": "", "schematic": False},
    ),
    # the address index of a real map (门牌): house numbers, interpolated numbers, named places
    "addresses": (
        ("Point",),
        {
            "street": "",
            "housenumber": "",
            "number": pd.NA,
            "name": "",
            "kind": "house",
            "source": "",
            "schematic": False,
        },
    ),
}

_GPKG_OPTIONS = {"VERSION": "1.2"}  # readable by the GDAL 3.6 of Debian's ogrinfo
# GDAL stamps every GeoPackage table with the time of writing; a fixed stamp makes a rebuild
# byte-identical (the committed data/boundaries/*.gpkg stay clean in git after `make demo`).
GPKG_TIMESTAMP = "2024-01-01T00:00:00Z"


@contextlib.contextmanager
def stable_gpkg_dates():
    """Within the block, GeoPackages are written with :data:`GPKG_TIMESTAMP` as their date."""
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def empty_layer(layer: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the columns of ``layer`` in EPSG:4326."""
    columns = list(LAYERS[layer][1])
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=4326)


def _conform(layer: str, gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Add missing columns with defaults, normalise types, keep extra columns."""
    if gdf is None or len(gdf) == 0:
        out = empty_layer(layer)
        if gdf is not None:
            for col in gdf.columns:
                if col not in out.columns and col != gdf.geometry.name:
                    out[col] = []
        return out
    gdf = gdf.copy()
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    for col, default in LAYERS[layer][1].items():
        if col not in gdf.columns:
            gdf[col] = default
    for col, default in LAYERS[layer][1].items():
        if isinstance(default, bool):
            gdf[col] = gdf[col].fillna(False).astype(bool)
        elif isinstance(default, str):
            gdf[col] = gdf[col].fillna("").astype(str)
        else:
            gdf[col] = pd.array(gdf[col], dtype="Int64")
    ordered = list(LAYERS[layer][1]) + [
        c for c in gdf.columns if c not in LAYERS[layer][1] and c != "geometry"
    ]
    return gdf[ordered + ["geometry"]].reset_index(drop=True)


@dataclass(frozen=True)
class BaseMap:
    """The layers of one base map, in EPSG:4326.

    Attributes
    ----------
    streets, landmarks, areas, schools : geopandas.GeoDataFrame
        The layers (see ``docs/ARCHITECTURE.md``); absent layers are empty frames.
    addresses : geopandas.GeoDataFrame
        The address index (门牌) of a real map: ``street``, ``housenumber`` (as written),
        ``number`` (its leading integer), ``name`` (a named building, compound or POI),
        ``kind`` (``house``, ``building``, ``interpolated``, ``poi``, ``compound``) and
        ``source`` (the OSM element); empty for a map without house numbers.
    meta : dict
        ``key -> value`` strings, e.g. ``schematic``, ``source``, ``licence``.
    source : str
        Where the map was read from (for messages), or ``""``.
    """

    streets: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    meta: dict = field(default_factory=dict)
    source: str = ""
    addresses: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer("addresses"))

    @classmethod
    def from_layers(
        cls,
        *,
        streets=None,
        landmarks=None,
        areas=None,
        schools=None,
        addresses=None,
        meta: dict | None = None,
        source: str = "",
    ) -> BaseMap:
        """Build a base map from frames, adding default columns and converting to EPSG:4326."""
        frames = {}
        for name, gdf in (
            ("streets", streets),
            ("landmarks", landmarks),
            ("areas", areas),
            ("schools", schools),
            ("addresses", addresses),
        ):
            if gdf is not None and len(gdf) and gdf.crs is None:
                raise CRSError(
                    f"layer {name!r} of {source or 'the base map'} has no CRS; "
                    "expected EPSG:4326 (tag the data or pass its CRS on import)"
                )
            if gdf is not None and len(gdf) and not CRS(gdf.crs).equals(CRS(4326)):
                gdf = gdf.to_crs(4326)
            frames[name] = _conform(name, gdf)
        return cls(**frames, meta={str(k): str(v) for k, v in (meta or {}).items()}, source=source)

    @property
    def schematic(self) -> bool:
        """True when the meta table says the map is schematic (示意图)."""
        return str(self.meta.get("schematic", "")).lower() in ("true", "1", "yes")

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """One layer by name (``streets``, ``landmarks``, ``areas``, ``schools``, ``addresses``)."""
        if name not in LAYERS:
            raise BaseMapError(f"unknown layer {name!r}; expected one of {', '.join(LAYERS)}")
        return getattr(self, name)


def utm_crs(gdf_or_lonlat) -> CRS:
    """The UTM zone CRS (WGS 84) at the centre of a GeoDataFrame or a ``(lon, lat)`` pair.

    >>> utm_crs((121.47, 31.23)).to_epsg()
    32651
    """
    if isinstance(gdf_or_lonlat, tuple):
        lon, lat = gdf_or_lonlat
    else:
        g = gdf_or_lonlat.to_crs(4326) if gdf_or_lonlat.crs is not None else gdf_or_lonlat
        minx, miny, maxx, maxy = g.total_bounds
        lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise CRSError("cannot choose a UTM zone: the layer has no coordinates")
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def check_coordinates(gdf: gpd.GeoDataFrame, *, where: str) -> list[str]:
    """Problems with the CRS of ``gdf`` given its coordinates (empty list if it looks right).

    Catches a projected CRS whose coordinates are degrees, a geographic CRS whose coordinates
    are metres, and missing CRS.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(115.27, 41.88)], crs=32650)
    >>> check_coordinates(g, where="toy.gpkg")[0][:40]
    'toy.gpkg: the CRS is EPSG:32650 (project'
    """
    if len(gdf) == 0:
        return []
    minx, miny, maxx, maxy = gdf.total_bounds
    if gdf.crs is None:
        metres = not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90)
        return [
            f"{where}: 缺少坐标系 no CRS; "
            + (
                f"the coordinates ({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are metres "
                "of a projected CRS: import again with --crs and that CRS (e.g. --crs "
                "EPSG:4547, --crs EPSG:32650)"
                if metres
                else "expected EPSG:4326 or a tagged CRS: import again with --crs (e.g. "
                "--crs EPSG:4326)"
            )
        ]
    crs = CRS(gdf.crs)
    name = crs.to_string()
    looks_degrees = -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    if crs.is_projected and looks_degrees and (maxx - minx) < 10 and (maxy - miny) < 10:
        return [
            f"{where}: the CRS is {name} (projected, metres) but the coordinates "
            f"({minx:.5f}..{maxx:.5f}, {miny:.5f}..{maxy:.5f}) look like degrees; "
            "the file is mislabelled: re-tag it as EPSG:4326 (or EPSG:4490)"
        ]
    if crs.is_geographic and not looks_degrees:
        return [
            f"{where}: the CRS is {name} (geographic, degrees) but the coordinates "
            f"({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are out of range for degrees; "
            "the file is mislabelled: re-tag it with its projected CRS"
        ]
    return []


def _vertex_counts(geoms) -> np.ndarray:
    return shapely.get_num_coordinates(np.asarray(geoms, dtype=object))


def validate_basemap(bm: BaseMap, *, settings: Settings = DEFAULT_SETTINGS) -> list[str]:
    """Every problem of a base map as readable strings (empty list when it is usable).

    Checks geometry types, empty or invalid geometry (with shapely's reason), oversized
    geometry, and that street names are present.
    """
    problems: list[str] = []
    where = bm.source or "base map"
    for layer, (types, _cols) in LAYERS.items():
        gdf = bm.layer(layer)
        if len(gdf) == 0:
            continue
        geoms = gdf.geometry.values
        kinds = shapely.get_type_id(geoms)
        names = gdf["name"].astype(str).tolist()
        counts = _vertex_counts(geoms)
        for i, geom in enumerate(geoms):
            label = f"{where}: layer {layer!r} row {i} ({names[i] or 'unnamed'})"
            if geom is None or geom.is_empty:
                problems.append(f"{label}: empty geometry")
                continue
            if geom.geom_type not in types:
                problems.append(f"{label}: {geom.geom_type}, expected {' or '.join(types)}")
            if counts[i] > settings.max_vertices:
                problems.append(
                    f"{label}: {counts[i]} vertices, more than max_vertices={settings.max_vertices}"
                )
            elif kinds[i] in (3, 6) and not geom.is_valid:
                problems.append(f"{label}: invalid polygon ({shapely.is_valid_reason(geom)})")
    return problems


def read_basemap(
    path: str | Path, *, settings: Settings = DEFAULT_SETTINGS, strict: bool = True
) -> BaseMap:
    """Read a base map GeoPackage.

    Parameters
    ----------
    path : path of the ``.gpkg``.
    strict : raise :class:`BaseMapError` listing every problem (default); otherwise the
        problems are kept in ``meta['problems']``.

    Raises
    ------
    BaseMapError
        The file is missing, not a GeoPackage, has no ``streets`` layer, or bad features.
    CRSError
        A layer's CRS does not match its coordinates.
    """
    path = Path(path)
    if not path.exists():
        raise BaseMapError(
            f"base map {path} does not exist; build one with "
            "`geo-enroll basemap build-schematic` or `basemap import`"
        )
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise BaseMapError(f"base map {path} cannot be opened as a GeoPackage: {exc}") from None
    present = {str(row[0]) for row in listed}
    if "streets" not in present:
        raise BaseMapError(
            f"base map {path} has no 'streets' layer (layers found: "
            f"{', '.join(sorted(present)) or 'none'}); expected streets, landmarks, areas, schools, meta"
        )
    frames: dict[str, gpd.GeoDataFrame] = {}
    problems: list[str] = []
    for layer in LAYERS:
        if layer not in present:
            continue
        gdf = pyogrio.read_dataframe(path, layer=layer)
        problems += check_coordinates(gdf, where=f"{path} layer {layer!r}")
        frames[layer] = gdf
    if problems:
        raise CRSError(f"base map {path}: coordinates do not match the CRS", problems=problems)
    meta: dict[str, str] = {}
    if "meta" in present:
        table = pyogrio.read_dataframe(path, layer="meta", read_geometry=False)
        if {"key", "value"} <= set(table.columns):
            meta = {str(k): str(v) for k, v in zip(table["key"], table["value"], strict=False)}
    bm = BaseMap.from_layers(**frames, meta=meta, source=str(path))
    problems = validate_basemap(bm, settings=settings)
    if problems and strict:
        raise BaseMapError(
            f"base map {path} has {len(problems)} unusable feature(s)", problems=problems
        )
    if problems:
        meta = {**bm.meta, "problems": "\n".join(problems)}
        bm = BaseMap(bm.streets, bm.landmarks, bm.areas, bm.schools, meta, bm.source, bm.addresses)
    return bm


def write_basemap(bm: BaseMap, path: str | Path) -> Path:
    """Write every non-empty layer and the ``meta`` table to a new GeoPackage at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    with stable_gpkg_dates():
        _write_layers(bm, path)
    return path


def _write_layers(bm: BaseMap, path: Path) -> None:
    for layer in LAYERS:
        gdf = bm.layer(layer)
        if len(gdf) == 0 and layer != "streets":  # streets is always written (required)
            continue
        geometry_type = {"landmarks": "Unknown", "streets": "LineString"}.get(layer)
        if layer == "streets" and gdf.geom_type.eq("MultiLineString").any():
            geometry_type = "MultiLineString"
        pyogrio.write_dataframe(
            gdf,
            path,
            layer=layer,
            geometry_type=geometry_type,
            promote_to_multi=geometry_type == "MultiLineString" or None,
            dataset_options=_GPKG_OPTIONS,
        )
    meta = pd.DataFrame({"key": list(bm.meta), "value": list(bm.meta.values())})
    pyogrio.write_dataframe(meta, path, layer="meta", dataset_options=_GPKG_OPTIONS)
