"""Writing a run: ``placements.csv``, ``schools.csv``, ``run.json``, ``placements.gpkg`` and
``lottery/<group>/``, into a temporary folder renamed into place only when everything
succeeded (a failed run writes nothing).

Files are written with fixed formatting (``\\n`` line ends, sorted JSON keys, a fixed GeoPackage
timestamp) so the same inputs and seed give byte-identical ``placements.csv``, ``schools.csv``
and ``run.json``.  :func:`check_out_dir` refuses a folder holding anything but an earlier
run's outputs.

>>> sorted(OUTPUT_FILES)
['lottery', 'placements.csv', 'placements.gpkg', 'run.json', 'schools.csv']
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import InputError

__all__ = ["OUTPUT_FILES", "check_out_dir", "homes_layer", "write_outputs"]


def homes_layer(rows, results, index, placements):
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    recs = []
    status = dict(zip(placements["student_id"], placements["status"], strict=True))
    school = dict(zip(placements["student_id"], placements["school"], strict=True))
    for sid in sorted(rows):
        r = rows[sid]
        if r["lonlat"] is None:
            continue
        recs.append(
            {
                "student_id": sid,
                "level": r["level"],
                "status": status[sid],
                "school": school[sid],
                "tier": int(r["tier"]) if r["tier"] != "" else -1,
                "stage": (results.get(sid) or {}).get("stage") or "",
                "geometry": Point(r["lonlat"]),
            }
        )
    homes = gpd.GeoDataFrame(
        recs,
        columns=["student_id", "level", "status", "school", "tier", "stage", "geometry"],
        geometry="geometry",
        crs="EPSG:4326",
    )
    homes.attrs["school_lonlat"] = _school_lonlat(index)
    homes.attrs["lines"] = [
        {
            "student_id": h["student_id"],
            "level": h["level"],
            "school": h["school"],
            "geometry": LineString(
                [h["geometry"], Point(homes.attrs["school_lonlat"][h["school"]])]
            ),
        }
        for h in recs
        if h["stage"] == "overflow" and h["school"] in homes.attrs["school_lonlat"]
    ]
    return homes


def _school_lonlat(index) -> dict:
    if not index.school_xy:
        return {}
    from pyproj import Transformer

    t = Transformer.from_crs(index.crs, "EPSG:4326", always_xy=True)
    return {s: tuple(round(v, 8) for v in t.transform(*xy)) for s, xy in index.school_xy.items()}


OUTPUT_FILES = {"placements.csv", "schools.csv", "run.json", "placements.gpkg", "lottery"}


def check_out_dir(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier run's outputs."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError(f"输出路径 {out_dir} 是一个文件，应为目录 (output must be a folder)")
        other = sorted(p.name for p in out_dir.iterdir() if p.name not in OUTPUT_FILES)
        if other:
            raise InputError(
                f"输出目录 {out_dir} 已有其他文件，不会覆盖 (output folder holds other files; "
                "choose an empty or new folder)",
                problems=other[:10],
            )


def write_outputs(out_dir: Path, placements, school_rows, homes, run_info, draws=()) -> None:
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        placements.to_csv(tmp / "placements.csv", index=False, lineterminator="\n")
        school_rows.to_csv(tmp / "schools.csv", index=False, lineterminator="\n")
        (tmp / "run.json").write_text(
            json.dumps(run_info, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        _write_gpkg(tmp / "placements.gpkg", homes, school_rows)
        for d in draws:  # lottery/<group>/: what `geo-enroll lottery verify` re-runs
            folder = tmp / "lottery" / d["group"]
            folder.mkdir(parents=True)
            for name, data in sorted(d["_files"].items()):
                (folder / name).write_bytes(data)
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_gpkg(path: Path, homes, school_rows) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from ..basemap.layers import stable_gpkg_dates

    with stable_gpkg_dates():
        h = homes.copy()
        h.attrs = {}
        h.to_file(path, layer="homes", driver="GPKG")
        lines = gpd.GeoDataFrame(
            homes.attrs.get("lines") or [],
            columns=["student_id", "level", "school", "geometry"],
            geometry="geometry",
            crs="EPSG:4326",
        )
        lines.to_file(path, layer="overflow", driver="GPKG")
        ll = homes.attrs.get("school_lonlat") or {}
        sc = school_rows[school_rows["school"].isin(list(ll))].copy()
        sc = gpd.GeoDataFrame(sc, geometry=[Point(ll[s]) for s in sc["school"]], crs="EPSG:4326")
        sc.to_file(path, layer="schools", driver="GPKG")
