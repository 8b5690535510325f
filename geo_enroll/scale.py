"""Runs larger than one process: counties placed in parallel on dask.

A county is an independent placement problem (its own policy, zones, seats and children), so
a province-sized run is partitioned **by county** and never splits one allocation across
workers: each task runs the engine's own :func:`~geo_enroll.placement.run.place` on one
county and writes that county's folder exactly as ``geo-enroll place`` would.  The
single-process path (``client=None``) runs the same function in order; both write
byte-identical folders (``tests/test_scale.py`` checks it on a real 2-worker cluster).

Frames run on dask too: :func:`geocode_column` geocodes an address column partition by
partition (each worker loads the default gazetteer once), and :func:`assign_points` gives
each point its zone with the engine's own batch path (``ZoneIndex.assign_points``, edge rule
included) on a dask-geopandas frame; both return what the single-process call returns.

Scheduling is dask's ``distributed``: a :class:`~distributed.LocalCluster` by default, any
scheduler address when given (``tcp://host:8786``).  Workers load each county's inputs once
and cache them by path, so a province of counties sharing a base map pays for it once per
worker.

>>> from geo_enroll.scale import CountyTask
>>> CountyTask("152527", policy="data/boundaries/taipusi_2024.toml", students="s.csv").county
'152527'
"""

from __future__ import annotations

import hashlib
import os
import resource
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import InputError

__all__ = ["CountyTask", "assign_points", "geocode_column", "place_counties", "province_tasks"]


@dataclass(frozen=True)
class CountyTask:
    """One county's placement, given by files (so a worker on another machine can load it).

    Attributes
    ----------
    county : str
        Label of the county (its official code where there is one); the output sub-folder.
    policy : str
        Zone spec (TOML/JSON).
    students : str
        Applicant table (CSV).
    zones : str or None
        Zone polygons (GeoPackage layer ``zones`` or any vector file).
    schools : str or None
        Seat table (default: the policy's companion ``*_schools.csv``).
    basemap : str or None
        Base map (gazetteer, school points, streets); default: the policy's companion or the
        embedded schematic 宝昌镇 map for 太仆寺旗.
    seed : int
        The allocator's seed (recorded in the county's ``run.json``).
    """

    county: str
    policy: str
    students: str
    zones: str | None = None
    schools: str | None = None
    basemap: str | None = None
    seed: int = 7


@dataclass
class CountySummary:
    """What a worker returns: counts, the placements file's hash and the cost (no rows)."""

    county: str
    applicants: int
    status: dict = field(default_factory=dict)
    placements_sha256: str = ""
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker: str = ""


@lru_cache(maxsize=16)
def _inputs(policy: str, zones: str | None, basemap: str | None):
    """Spec, zones, gazetteer, school points and streets of one policy (cached per process)."""
    import geopandas as gpd
    import pyogrio

    from .commands.place import _default_basemap
    from .geocode import Gazetteer, load_default_gazetteer
    from .policy.spec import load_spec
    from .settings import data_dir

    spec = load_spec(Path(policy))
    zgdf = None
    if zones:
        zp = Path(zones)
        zgdf = gpd.read_file(zp, layer="zones") if zp.suffix == ".gpkg" else gpd.read_file(zp)
    bm = Path(basemap) if basemap else _default_basemap(Path(policy), spec)
    points = streets = None
    if bm is not None:
        layers = {str(row[0]) for row in pyogrio.list_layers(bm)}
        points = gpd.read_file(bm, layer="schools") if "schools" in layers else None
        streets = gpd.read_file(bm, layer="streets") if "streets" in layers else None
    default_map = data_dir() / "boundaries" / "baochang_schematic.gpkg"
    if bm is not None and Path(bm).resolve() != default_map.resolve():
        gaz = Gazetteer.from_data(basemap=bm)
    else:
        gaz = load_default_gazetteer()
    return spec, zgdf, gaz, points, streets


def _place_one(task: CountyTask, out_root: str) -> CountySummary:
    from .commands.place import _default_schools
    from .placement.run import place

    t0 = time.perf_counter()
    spec, zones, gaz, points, streets = _inputs(task.policy, task.zones, task.basemap)
    out = Path(out_root) / task.county
    res = place(
        task.students,
        spec=spec,
        zones=zones,
        gazetteer=gaz,
        schools=task.schools or _default_schools(Path(task.policy)),
        seed=task.seed,
        school_points=points,
        streets=streets,
        out_dir=out,
    )
    digest = hashlib.sha256((out / "placements.csv").read_bytes()).hexdigest()
    return CountySummary(
        county=task.county,
        applicants=len(res.placements),
        status={str(k): int(v) for k, v in res.placements["status"].value_counts().items()},
        placements_sha256=digest,
        seconds=time.perf_counter() - t0,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        worker=f"pid {os.getpid()}",
    )


def _check_tasks(tasks) -> list[CountyTask]:
    tasks = list(tasks)
    problems = []
    seen = set()
    for t in tasks:
        if not isinstance(t, CountyTask):
            problems.append(f"期望 CountyTask, got {type(t).__name__}")
            continue
        if t.county in seen:
            problems.append(f"县重复 county {t.county!r} given twice (each county is one task)")
        seen.add(t.county)
        if not t.county or "/" in t.county or t.county.startswith("."):
            problems.append(f"县标签无效 county label {t.county!r}: a plain name or code")
        for name in ("policy", "students", "zones", "schools", "basemap"):
            value = getattr(t, name)
            if value is not None and not Path(value).exists():
                problems.append(f"{t.county}: 找不到 {name} file {value}")
    if problems:
        raise InputError("省级运行的输入有误 the province run's inputs", problems=problems)
    return tasks


def place_counties(tasks, out_dir, *, client=None, scheduler: str | None = None, n_workers=2):
    """Place every county; return one :class:`CountySummary` per task, in task order.

    Parameters
    ----------
    tasks : iterable of CountyTask
    out_dir : path
        Each county's outputs go to ``out_dir/<county>/`` (as ``geo-enroll place -o``).
    client : distributed.Client, optional
        Run on this dask client.  With neither ``client`` nor ``scheduler`` the counties run
        one after another in this process (the reference path).
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://…``), or ``"local"`` for a
        :class:`~distributed.LocalCluster` of ``n_workers`` single-threaded processes.
    """
    tasks = _check_tasks(tasks)
    out = str(Path(out_dir))
    Path(out).mkdir(parents=True, exist_ok=True)
    if client is None and scheduler is None:
        return [_place_one(t, out) for t in tasks]
    if client is not None:
        return _run_on(client, tasks, out)
    from distributed import Client, LocalCluster

    if scheduler == "local":
        with (
            LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as c,
        ):
            return _run_on(c, tasks, out)
    if not str(scheduler).startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise InputError(
            f"调度器地址无效 scheduler {scheduler!r}: expected tcp://host:port or 'local'"
        )
    with Client(scheduler) as c:
        return _run_on(c, tasks, out)


def _run_on(client, tasks: list[CountyTask], out: str) -> list[CountySummary]:
    # Larger counties first so that the last task to finish is a small one.
    order = sorted(range(len(tasks)), key=lambda i: -Path(tasks[i].students).stat().st_size)
    futures = {
        i: client.submit(_place_one, tasks[i], out, key=f"place-{tasks[i].county}", pure=False)
        for i in order
    }
    results = client.gather([futures[i] for i in range(len(tasks))])
    return list(results)


def province_tasks(
    policy, out_dir, *, counties: int, primary: int, middle: int, seed: int = 7, zones=None
) -> list[CountyTask]:
    """A synthetic province: ``counties`` copies of one policy, each with its own cohort.

    Every copy is the same county's zones and seats with an independent synthetic cohort
    (``cohort synth`` with seed ``seed + k``) — a scale test, not a real province; the
    cohorts are synthetic, never real children.
    """
    from .placement.cohort import synth_cohort
    from .policy.spec import load_spec

    if counties < 1 or primary < 0 or middle < 0:
        raise InputError("counties ≥ 1, primary/middle ≥ 0")
    from .commands.place import _default_basemap

    spec = load_spec(Path(policy))
    bm = _default_basemap(Path(policy), spec)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tasks = []
    for k in range(counties):
        label = f"c{k:03d}"
        students = folder / f"{label}_students.csv"
        df = synth_cohort(spec, seed=seed + k, basemap=bm, primary=primary, middle=middle)
        df.to_csv(students, index=False, lineterminator="\n", encoding="utf-8")
        tasks.append(
            CountyTask(label, policy=str(policy), students=str(students), zones=zones, seed=seed)
        )
    return tasks


@lru_cache(maxsize=4)
def _zone_index(spec_json: str, zones_wkb: bytes, zones_attrs: str):
    """A :class:`~geo_enroll.zoneindex.ZoneIndex` per zones *content* (cached per worker)."""
    import json

    import geopandas as gpd
    import pandas as pd
    import shapely

    from .zoneindex import ZoneIndex

    attrs = pd.read_json(__import__("io").StringIO(zones_attrs), orient="split", dtype=False)
    geoms = shapely.from_wkb(__import__("pickle").loads(zones_wkb))
    zones = gpd.GeoDataFrame(attrs, geometry=list(geoms), crs="EPSG:4326")
    return ZoneIndex(json.loads(spec_json), zones)


def _zones_key(spec: dict, zones) -> tuple[str, bytes, str]:
    import json
    import pickle

    import shapely

    z = zones.to_crs(4326)
    attrs = z.drop(columns=z.geometry.name).to_json(orient="split", force_ascii=False)
    wkb = pickle.dumps(list(shapely.to_wkb(z.geometry.values)))
    return json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str), wkb, attrs


def _assign_partition(part, key, level: str):
    import pandas as pd

    index = _zone_index(*key)
    pts = part.geometry.to_crs(4326) if part.crs is not None else part.geometry
    a = index.assign_points(pts.x.to_numpy(), pts.y.to_numpy(), level)
    rules = a.rule_ids()
    return pd.DataFrame(
        {
            "rule_id": ["" if not r else r[0] for r in rules],
            "n_zones": [len(r) for r in rules],
            "on_edge": a.on_edge,
            "near_edge": a.near_edge,
        },
        index=part.index,
    )


def assign_points(points, spec: dict, zones, *, level: str, npartitions: int | None = None):
    """The zone of every point for one level, on dask (dask-geopandas partitions).

    Parameters
    ----------
    points : GeoDataFrame or dask_geopandas.GeoDataFrame
        Homes (any CRS; converted to EPSG:4326 per partition).
    spec, zones
        The zone spec and its zones layer (as for :class:`~geo_enroll.zoneindex.ZoneIndex`).
    level : str
        ``primary`` or ``middle``.
    npartitions : int, optional
        Partitions of a GeoDataFrame given in memory (default: 2 per core).

    Returns
    -------
    pandas.DataFrame on the points' index: ``rule_id`` (first zone after the edge rule, ``""``
    for none), ``n_zones``, ``on_edge``, ``near_edge`` — computed with the current dask
    scheduler (a ``distributed.Client`` when one is active).
    """
    import dask_geopandas
    import pandas as pd

    if getattr(points, "crs", None) is None:
        raise InputError("点图层没有坐标系 the points have no CRS: set it (e.g. EPSG:4326)")
    if not hasattr(points, "npartitions"):
        points = dask_geopandas.from_geopandas(
            points, npartitions=npartitions or 2 * (os.cpu_count() or 1)
        )
    key = _zones_key(spec, zones)
    meta = pd.DataFrame(
        {
            "rule_id": pd.Series(dtype=object),
            "n_zones": pd.Series(dtype="int64"),
            "on_edge": pd.Series(dtype=bool),
            "near_edge": pd.Series(dtype=bool),
        }
    )
    return points.map_partitions(_assign_partition, key, level, meta=meta).compute()


def _geocode_partition(part, column: str, min_level):
    from .geocode import load_default_gazetteer
    from .geocode.batch import geocode_frame

    return geocode_frame(
        part, column, gazetteer=load_default_gazetteer(), min_level=min_level, progress=False
    )


def geocode_column(frame, column: str, *, min_level: str | None = None, npartitions=None):
    """Geocode ``frame[column]`` with the default offline gazetteer, partition by partition.

    The answer is :func:`geo_enroll.geocode.batch.geocode_frame`'s (same columns, same rows,
    same order; column dtypes inferred once over all partitions) computed with the current
    dask scheduler.
    """
    import dask.dataframe as dd

    from .geocode.batch import geocode_frame

    if column not in frame.columns:
        raise InputError(f"缺少列 column {column!r} not found")
    import dask

    if not hasattr(frame, "npartitions"):
        with dask.config.set({"dataframe.convert-string": False}):  # keep the caller's dtypes
            frame = dd.from_pandas(frame, npartitions=npartitions or 2 * (os.cpu_count() or 1))
    meta = geocode_frame(
        frame._meta,
        column,
        gazetteer=_NoGazetteer(),
        progress=False,
    )
    out = frame.map_partitions(_geocode_partition, column, min_level, meta=meta).compute()
    return out.infer_objects()


class _NoGazetteer:
    """Stands in for the gazetteer when building the empty ``meta`` frame (never called)."""

    def geocode(self, text, min_level=None):  # pragma: no cover - meta has no rows
        raise AssertionError("meta frames have no rows")
