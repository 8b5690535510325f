"""Geocode a column of a CSV/XLSX table (批量地理编码).

Every input row comes out, in its order, with the input columns unchanged and the result
columns ``geo_*`` (see :data:`OUTPUT_COLUMNS`) — a point or the reason there is none.  Output is
CSV (UTF-8 with BOM, so that Excel reads it) or a GeoPackage layer ``geocoded`` (EPSG:4326,
empty geometry where there is no point).  Results are cached per address, so repeated addresses
cost nothing and re-running gives the same file.  Addresses are never logged.

Examples
--------
>>> import pandas as pd
>>> from geo_enroll.geocode import load_default_gazetteer
>>> df = pd.DataFrame({"户籍地址": ["太仆寺旗宝昌镇", "", "Main St"]})
>>> out = geocode_frame(df, "户籍地址", gazetteer=load_default_gazetteer(), progress=False)
>>> list(out["geo_level"].fillna("-")), list(out["geo_reason_code"].fillna("-"))
(['township', '-', '-'], ['-', 'empty', 'no_chinese'])
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from ..errors import InputError

__all__ = ["read_table", "geocode_frame", "geocode_file", "OUTPUT_COLUMNS"]

OUTPUT_COLUMNS = (
    "geo_lon", "geo_lat", "geo_level", "geo_code", "geo_confidence", "geo_schematic",
    "geo_coarse", "geo_county_code", "geo_township_code", "geo_village_code", "geo_group",
    "geo_matched", "geo_unmatched", "geo_reason_code", "geo_reason", "geo_source_crs",
)  # fmt: skip
"""Result columns appended to the input table."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX file as text columns."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件不存在 input file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        if suffix in (".csv", ".txt"):
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
                except UnicodeDecodeError:
                    continue
            raise InputError(f"{path}: not UTF-8 or GB18030 text; save it as UTF-8 CSV")
    except InputError:
        raise
    except Exception as exc:  # pandas/openpyxl parse errors
        raise InputError(f"无法读取 cannot read {path}: {exc}") from None
    raise InputError(f"{path}: expected a .csv or .xlsx file, got {suffix or 'no extension'}")


def geocode_frame(
    df: pd.DataFrame,
    column: str,
    *,
    gazetteer,
    min_level: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Return ``df`` (same index and order) with the :data:`OUTPUT_COLUMNS` appended.

    ``gazetteer`` is anything with ``geocode(text, min_level=...)`` (the offline
    :class:`~geo_enroll.geocode.Gazetteer` or an online geocoder).
    """
    if column not in df.columns:
        raise InputError(
            f"缺少列 column {column!r} not found; the table has: {', '.join(map(str, df.columns))}"
        )
    from tqdm.auto import tqdm

    seen: dict = {}
    rows = []
    values = df[column].tolist()
    for text in tqdm(values, disable=not progress, unit="addr", desc="geocode"):
        key = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
        if key not in seen:
            seen[key] = gazetteer.geocode(key, min_level=min_level)
        r = seen[key]
        rows.append({
            "geo_lon": r["lon"], "geo_lat": r["lat"], "geo_level": r["level"],
            "geo_code": r["code"], "geo_confidence": r["confidence"],
            "geo_schematic": r["schematic"], "geo_coarse": r["coarse"],
            "geo_county_code": r.get("county_code"), "geo_township_code": r.get("township_code"),
            "geo_village_code": r.get("village_code"), "geo_group": r.get("group"),
            "geo_matched": json.dumps(r["matched"], ensure_ascii=False, sort_keys=True),
            "geo_unmatched": r["unmatched"], "geo_reason_code": r["reason_code"],
            "geo_reason": r["reason"], "geo_source_crs": r["source_crs"],
        })  # fmt: skip
    result = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS), index=df.index)
    clash = [c for c in OUTPUT_COLUMNS if c in df.columns]
    return pd.concat([df.drop(columns=clash), result], axis=1)


def geocode_file(
    in_path: str | Path,
    column: str,
    out_path: str | Path,
    *,
    gazetteer=None,
    min_level: str | None = None,
    progress: bool = True,
) -> dict:
    """Geocode ``column`` of a CSV/XLSX file into a CSV or GeoPackage; return a summary.

    Returns
    -------
    dict
        ``rows``, ``with_point``, ``by_level`` (counts), ``by_reason`` (counts), ``output``.
    """
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in (".csv", ".gpkg"):
        raise InputError(f"{out_path}: the output must end in .csv or .gpkg")
    if gazetteer is None:
        from .gazetteer import load_default_gazetteer

        gazetteer = load_default_gazetteer()
    df = read_table(in_path)
    out = geocode_frame(df, column, gazetteer=gazetteer, min_level=min_level, progress=progress)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        out.to_csv(out_path, index=False, encoding="utf-8-sig", lineterminator="\n")
    else:
        geoms = [
            Point(x, y) if pd.notna(x) and pd.notna(y) else None
            for x, y in zip(out["geo_lon"], out["geo_lat"], strict=False)
        ]
        gdf = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=geoms, crs=4326)
        gdf.insert(0, "row", range(1, len(gdf) + 1))
        if out_path.exists():
            out_path.unlink()
        gdf.to_file(out_path, layer="geocoded", driver="GPKG", engine="pyogrio")
    return {
        "rows": len(out),
        "with_point": int(out["geo_lon"].notna().sum()),
        "by_level": {str(k): int(v) for k, v in out["geo_level"].value_counts().items()},
        "by_reason": {str(k): int(v) for k, v in out["geo_reason_code"].value_counts().items()},
        "output": str(out_path),
    }
