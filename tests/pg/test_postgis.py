"""Zone layers published to a real PostGIS (the throwaway cluster of ``conftest.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_enroll.datasets import toy_xy_to_lonlat, toy_zones
from geo_enroll.errors import InputError, StorageError
from geo_enroll.postgis import connect, covering_zones, migrate, publish_zones, read_zones

ROOT = Path(__file__).resolve().parents[2]
TAIPUSI_ZONES = ROOT / "data" / "boundaries" / "taipusi_2024_zones.gpkg"


@pytest.fixture
def conn(postgis_dsn):
    c = connect(postgis_dsn)
    yield c
    c.close()


def test_migrations_apply_once_in_order(conn):
    migrate(conn)
    assert migrate(conn) == []
    names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY version")]
    conn.commit()
    assert names[0].startswith("001_")
    gist = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'zones' AND indexdef ILIKE '%gist%'"
    ).fetchall()
    conn.commit()
    assert gist, "the zones geometry needs a GiST index"


def test_real_zones_round_trip_exactly(conn):
    zones = gpd.read_file(TAIPUSI_ZONES)
    vid = publish_zones(conn, zones, jurisdiction="太仆寺旗", label="2024")
    back = read_zones(conn, vid)
    assert back.crs.to_epsg() == 4326
    ordered = zones.sort_values("rule_id").reset_index(drop=True)
    assert back["rule_id"].tolist() == ordered["rule_id"].tolist()
    assert back["school"].tolist() == ordered["school"].tolist()
    assert shapely.equals_exact(back.geometry.values, ordered.geometry.values, tolerance=0).all()
    gtype = conn.execute(
        "SELECT DISTINCT GeometryType(geom), ST_SRID(geom) FROM zones WHERE version_id = %s", (vid,)
    ).fetchall()
    conn.commit()
    assert gtype == [("MULTIPOLYGON", 4326)]


def test_published_versions_are_append_only(conn):
    vid = publish_zones(conn, toy_zones(), jurisdiction="玩具镇")
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE zones SET school = 'x' WHERE version_id = %s", (vid,))
    conn.rollback()
    with pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM zone_layers WHERE version_id = %s", (vid,))
    conn.rollback()
    assert len(read_zones(conn, vid)) == len(toy_zones())
    assert publish_zones(conn, toy_zones(), jurisdiction="玩具镇") > vid


def test_ogrinfo_opens_the_published_layer(conn, postgis_dsn):
    publish_zones(conn, toy_zones(), jurisdiction="玩具镇")
    host = postgis_dsn.split("host=")[1]
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"PG:dbname=geo_enroll_test host={host} user=postgres", "zones"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Geometry: Multi Polygon" in out
    assert "EPSG" in out and "4326" in out
    assert "school_id: String" in out


def test_covering_zones_agrees_with_shapely_and_flags_edges(conn):
    zones = toy_zones()
    vid = publish_zones(conn, zones, jurisdiction="玩具镇")
    rng = np.random.default_rng(3)
    xy = rng.uniform(-100, 1100, size=(300, 2))
    pts = [toy_xy_to_lonlat(x, y) for x, y in xy]
    edge = zones.geometry.iloc[0].exterior.coords[0]  # a vertex: on the edge, not inside
    pts.append(edge)
    lon, lat = np.array(pts).T
    got = covering_zones(conn, vid, lon, lat)
    points = shapely.points(lon, lat)
    for i, p in enumerate(points):
        want = sorted(
            (r.rule_id, r.level, bool(r.geometry.contains(p)))
            for r in zones.itertuples()
            if r.geometry.covers(p)
        )
        assert got[i] == want, i
    assert got[-1] and not any(interior for _, _, interior in got[-1])


def test_bad_inputs_are_refused_clearly(conn, postgis_dsn):
    with pytest.raises(InputError, match="postgresql://"):
        connect("sqlite:///x.db")
    with pytest.raises(StorageError, match="cannot connect") as err:
        connect(postgis_dsn.replace("geo_enroll_test", "no_such_db"))
    assert "password" not in str(err.value).lower()
    no_crs = toy_zones().set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="CRS"):
        publish_zones(conn, no_crs, jurisdiction="玩具镇")
    with pytest.raises(InputError, match="missing columns"):
        publish_zones(conn, toy_zones().drop(columns=["rule_id"]), jurisdiction="玩具镇")
    with pytest.raises(InputError, match="version"):
        read_zones(conn, "1")
    with pytest.raises(StorageError, match="no published"):
        read_zones(conn, 10**9)
