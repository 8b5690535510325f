"""The digitiser's file edges: reading zone specs, writing zones, rebuilding committed outputs.

GeoJSON is written deterministically (RFC 7946, counter-clockwise exteriors, 7 decimals), so a
rebuild of ``data/boundaries/`` gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

from ..errors import DigitiseError, ZoneSpecError
from .core import digitise

__all__ = [
    "load_spec",
    "write_zones",
    "zones_to_geojson",
    "build_default",
]


def load_spec(path: str | Path) -> dict:
    """Read a zone spec (TOML or JSON) with :func:`geo_enroll.policy.spec.load_spec`.

    Nulls are restored (TOML has none); the schema is not enforced here, so a hand-written
    spec with only the fields the digitiser reads (``schools[].zones[]``) is accepted.
    """
    from ..policy.spec import load_spec as _policy_load

    path = Path(path)
    if not path.exists():
        raise ZoneSpecError(f"zone spec {path} does not exist")
    spec = _policy_load(path, validate=False)
    if not isinstance(spec, dict) or not isinstance(spec.get("schools"), list):
        raise ZoneSpecError(f"zone spec {path} has no [[schools]] list; see docs/ARCHITECTURE.md")
    return spec


def zones_to_geojson(zones: gpd.GeoDataFrame) -> str:
    """RFC 7946 GeoJSON text (no ``crs`` member, counter-clockwise exteriors, 7 decimals).

    Deterministic: the same zones give the same bytes.
    """
    g = zones.to_crs(4326)
    g = g.set_geometry(shapely.orient_polygons(g.geometry.values, exterior_cw=False))
    features = []
    for _, row in g.iterrows():
        props = {
            k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != "geometry"
        }
        geom = json.loads(shapely.to_geojson(row.geometry))
        features.append({"type": "Feature", "properties": props, "geometry": _round(geom)})
    return (
        json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            indent=1,
            sort_keys=False,
        )
        + "\n"
    )


def _round(obj):
    if isinstance(obj, float):
        return round(obj, 7)
    if isinstance(obj, list):
        return [_round(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj


def write_zones(zones: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write zones as GeoPackage (layer ``zones``) or GeoJSON, chosen by the suffix."""
    import pyogrio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        path.write_text(zones_to_geojson(zones), encoding="utf-8")
    elif suffix == ".gpkg":
        from ..basemap.layers import stable_gpkg_dates

        if path.exists():
            path.unlink()
        with stable_gpkg_dates():
            pyogrio.write_dataframe(
                zones.to_crs(4326),
                path,
                layer="zones",
                geometry_type="MultiPolygon",
                promote_to_multi=True,
                dataset_options={"VERSION": "1.2"},
            )
    else:
        raise DigitiseError(f"output {path}: expected a .gpkg or .geojson file name")
    return path


def build_default(data_dir: str | Path | None = None) -> dict[str, Path]:
    """Rebuild the committed 宝昌镇 outputs in ``data/boundaries/`` from the spec.

    Writes ``baochang_schematic.gpkg``, ``taipusi_2024_zones.gpkg``/``.geojson`` and
    ``taipusi_2024_report.json``.  Uses ``data/boundaries/taipusi_2024.toml``.
    """
    from ..basemap.layers import write_basemap
    from ..basemap.schematic import build_schematic
    from ..diagnostics import build_report, write_report
    from ..settings import data_dir as _data_dir

    folder = Path(data_dir) if data_dir is not None else _data_dir()
    out = folder / "boundaries"
    spec_path = out / "taipusi_2024.toml"
    spec = load_spec(spec_path)
    bm = build_schematic(folder)
    paths = {"basemap": write_basemap(bm, out / "baochang_schematic.gpkg")}
    result = digitise(spec, bm)
    paths["zones_gpkg"] = write_zones(result.zones, out / "taipusi_2024_zones.gpkg")
    paths["zones_geojson"] = write_zones(result.zones, out / "taipusi_2024_zones.geojson")
    report = build_report(result, spec_name=spec_path.name, basemap_name=paths["basemap"].name)
    paths["report"] = write_report(report, out / "taipusi_2024_report.json")
    return paths
