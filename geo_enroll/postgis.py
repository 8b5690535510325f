"""PostGIS: publish zone layers to PostgreSQL so a GIS team opens them as normal layers.

The embedded default store is SQLite/GeoPackage; a city or province bureau that shares its
zones with a GIS team publishes them here instead (or as well).  Each published layer is an
append-only *version* (table ``zone_layers``); its zones are rows of table ``zones`` with a
real ``geometry(MultiPolygon, 4326)`` column and a GiST index, so QGIS or ``ogrinfo
PG:...`` open them directly.  The view ``zones_latest`` holds the newest version of each
jurisdiction.

Migrations are plain numbered SQL files (``geo_enroll/sql/postgis/NNN_*.sql``) applied in
order inside one transaction each and recorded in ``schema_migrations`` — no migration
framework: the schema is small, the files are readable by the bureau's DBA, and
``psql -f`` applies them by hand the same way.

Point-in-zone can run in the database (:func:`covering_zones`, ``ST_Covers`` plus an
interior flag, so the caller applies the engine's edge rule: the interior wins, a point on
edges only goes to the nearest school) or in the engine; ``benchmarks/bench_postgis.py``
measures both.

Requires ``psycopg`` (3.x) and a server with the PostGIS extension (Debian:
``postgresql`` + ``postgresql-15-postgis-3``; ``scripts/setup.sh`` installs them).
"""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np

from .digitise.core import ZONE_COLUMNS
from .errors import InputError, StorageError

__all__ = [
    "ZONE_COLUMNS",
    "connect",
    "covering_zones",
    "migrate",
    "publish_zones",
    "read_zones",
]

_REQUIRED = ("school", "school_id", "level", "rule_id", "kind")


def connect(dsn: str):
    """Open a psycopg connection to ``dsn`` (``postgresql://…``), with a clear error.

    The password never appears in the message.
    """
    if not isinstance(dsn, str) or not dsn.startswith(("postgresql://", "postgres://")):
        raise InputError(
            f"期望 PostgreSQL 连接串 expected a URL such as postgresql://user@host/db, got {dsn!r:.40}"
        )
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise StorageError("psycopg 未安装 not installed: pip install 'psycopg[binary]'") from exc
    try:
        return psycopg.connect(dsn, autocommit=False)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StorageError(
            f"无法连接 PostgreSQL cannot connect ({first}); check the host/socket, database and "
            "user in the URL, and that the server is running"
        ) from exc


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("geo_enroll") / "sql" / "postgis"
    out = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".sql") and entry.name[:3].isdigit():
            out.append((int(entry.name[:3]), entry.name, entry.read_text(encoding="utf-8")))
    return out


def migrate(conn) -> list[str]:
    """Apply the numbered SQL migrations not yet applied; return the names applied now.

    Idempotent: a second call applies nothing.  Each file runs in its own transaction, so a
    failing migration leaves the earlier ones recorded and nothing of itself.
    """
    with conn.transaction():
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    conn.commit()
    applied = []
    for version, name, sql in _migrations():
        if version in done:
            continue
        with conn.transaction():
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
            )
        applied.append(name)
    conn.commit()
    return applied


def _check_layer(zones) -> None:
    problems = []
    missing = [c for c in _REQUIRED if c not in zones.columns]
    if missing:
        problems.append(f"缺少列 missing columns {missing} (the zones contract: {list(_REQUIRED)})")
    if zones.crs is None:
        problems.append(
            "图层没有坐标系 the layer has no CRS: set it (e.g. EPSG:4326) before publishing"
        )
    if len(zones) and not problems:
        kinds = set(zones.geometry.geom_type.dropna())
        bad = kinds - {"Polygon", "MultiPolygon"}
        if bad:
            problems.append(f"期望面 expected (Multi)Polygon zones, got {sorted(bad)}")
        if zones.geometry.isna().any() or zones.geometry.is_empty.any():
            problems.append("有空几何 some zones have no geometry")
        elif not zones.geometry.is_valid.all():
            problems.append(
                "有无效几何 some polygons are invalid: repair them (geo-enroll zones import)"
            )
        dup = zones["rule_id"][zones["rule_id"].duplicated()].unique().tolist()
        if dup:
            problems.append(f"rule_id 重复 duplicated rule_id {dup[:5]}")
    if problems:
        raise InputError("分区图层不能发布 the zones layer cannot be published", problems=problems)


def _layer_hash(zones) -> str:
    import shapely

    h = hashlib.sha256()
    for row, wkb in zip(
        zones[[c for c in ZONE_COLUMNS if c in zones.columns]].astype(str).itertuples(index=False),
        shapely.to_wkb(zones.geometry.values, hex=True),
        strict=True,
    ):
        h.update("\x1f".join(row).encode())
        h.update(wkb.encode())
    return h.hexdigest()


def publish_zones(conn, zones, *, jurisdiction: str, label: str = "") -> int:
    """Publish a zones layer as a new append-only version; return its ``version_id``.

    Parameters
    ----------
    conn : psycopg.Connection
        From :func:`connect`; :func:`migrate` is applied first.
    zones : GeoDataFrame
        A zones layer (docs/ARCHITECTURE.md, "Zones"); any CRS, stored as EPSG:4326.
    jurisdiction : str
        Whose zones these are (e.g. ``太仆寺旗``).
    label : str
        A human label for the version (e.g. ``2024 发布版``).
    """
    import shapely

    _check_layer(zones)
    if not jurisdiction:
        raise InputError("需要辖区名 a jurisdiction name is required (e.g. 太仆寺旗)")
    layer = zones.to_crs(4326)
    migrate(conn)
    geoms = shapely.to_wkb(
        [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in layer.geometry]
    )
    sha = _layer_hash(layer)
    with conn.transaction():
        version_id = conn.execute(
            "INSERT INTO zone_layers (jurisdiction, label, sha256, n_zones)"
            " VALUES (%s, %s, %s, %s) RETURNING version_id",
            (jurisdiction, label, sha, len(layer)),
        ).fetchone()[0]
        rows = []
        for rec, wkb in zip(layer.to_dict("records"), geoms, strict=True):
            line = rec.get("line")
            rows.append(
                (
                    version_id,
                    str(rec["school"]),
                    str(rec["school_id"]),
                    str(rec["level"]),
                    str(rec["rule_id"]),
                    str(rec["kind"]),
                    None if rec.get("source") is None else str(rec["source"]),
                    None if line is None or line != line else int(line),
                    None if rec.get("within") in (None, "") else str(rec["within"]),
                    bool(rec.get("schematic", False)),
                    wkb,
                )
            )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO zones (version_id, school, school_id, level, rule_id, kind, source,"
                " line, within, schematic, geom)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, ST_GeomFromWKB(%s, 4326))",
                rows,
            )
    conn.commit()
    return int(version_id)


def read_zones(conn, version_id: int):
    """Read one published version back as a GeoDataFrame (EPSG:4326), in ``rule_id`` order."""
    import geopandas as gpd
    import shapely

    if isinstance(version_id, bool) or not isinstance(version_id, int) or version_id < 1:
        raise InputError(
            f"期望正整数版本号 expected a positive integer version, got {version_id!r}"
        )
    rows = conn.execute(
        "SELECT " + ", ".join(ZONE_COLUMNS) + ", ST_AsBinary(geom) FROM zones"
        " WHERE version_id = %s ORDER BY rule_id",
        (version_id,),
    ).fetchall()
    conn.commit()
    if not rows:
        raise StorageError(f"没有版本 no published zones version {version_id}")
    data = {c: [r[i] for r in rows] for i, c in enumerate(ZONE_COLUMNS)}
    geom = shapely.from_wkb([bytes(r[-1]) for r in rows])
    return gpd.GeoDataFrame(data, geometry=geom, crs="EPSG:4326")


def covering_zones(conn, version_id: int, lon, lat) -> list[list[tuple[str, str, bool]]]:
    """For each point, the zones that cover it: ``[(rule_id, level, interior), ...]``.

    ``ST_Covers`` (closed zones: a point on an edge is covered) with ``interior`` true when
    ``ST_Contains`` also holds; the caller applies the engine's edge rule (the interior wins;
    on edges only, the nearest school).  One round trip for all points.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise InputError("lon 与 lat 长度不同 lon and lat must be 1-D arrays of the same length")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise InputError("坐标含 NaN/inf coordinates must be finite numbers")
    rows = conn.execute(
        "WITH p AS (SELECT i - 1 AS i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS g"
        "  FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, i))"
        " SELECT p.i, z.rule_id, z.level, ST_Contains(z.geom, p.g)"
        " FROM p JOIN zones z ON z.version_id = %s AND ST_Covers(z.geom, p.g)"
        " ORDER BY p.i, z.rule_id",
        (lon.tolist(), lat.tolist(), version_id),
    ).fetchall()
    conn.commit()
    out: list[list[tuple[str, str, bool]]] = [[] for _ in range(len(lon))]
    for i, rule_id, level, interior in rows:
        out[int(i)].append((rule_id, level, bool(interior)))
    return out
