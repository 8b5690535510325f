"""Network distance (``--distance network`` / ``Settings.distance``) on the toy town."""

from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo_enroll.datasets import (
    toy_gazetteer,
    toy_school_points,
    toy_schools,
    toy_spec,
    toy_students,
    toy_xy_to_lonlat,
    toy_zones,
)
from geo_enroll.errors import InputError
from geo_enroll.placement.allocate import euclidean_distance_matrix, network_distance_matrix
from geo_enroll.placement.run import place
from geo_enroll.settings import DEFAULT_SETTINGS

NETWORK = replace(DEFAULT_SETTINGS, distance="network")


def _streets(lines: dict) -> gpd.GeoDataFrame:
    """Streets drawn in toy-grid metres (see the toy town's docstring), as EPSG:4326 lines."""
    return gpd.GeoDataFrame(
        {"name": list(lines), "kind": "road"},
        geometry=[LineString([toy_xy_to_lonlat(x, y) for x, y in pts]) for pts in lines.values()],
        crs="EPSG:4326",
    )


TOY_GRID = {  # the toy town's streets as its docstring draws them
    "北街": [(0, 1000), (1000, 1000)],
    "横街": [(0, 500), (1000, 500)],
    "南街": [(0, 0), (1000, 0)],
    "西街": [(0, 0), (0, 1000)],
    "中街": [(500, 0), (500, 1000)],
    "东街": [(1000, 0), (1000, 1000)],
}
# a constructed town: no 横街, so the west primary school (250, 600) is reached from the north
# and the middle school (250, 250) from the south; for the 东区 homes on 横街 the west primary
# school is nearer in a straight line, the middle school nearer along the streets
DETOUR = {
    "南街": [(0, 0), (1000, 0)],
    "北街": [(0, 1000), (1000, 1000)],
    "中街": [(500, 0), (500, 1000)],
    "东街": [(1000, 0), (1000, 1000)],
    "到中学": [(250, -20), (250, 250)],  # spurs cross their street: a T-junction drawn in
    "到西小学": [(250, 1020), (250, 600)],  # lon/lat is not exactly on the projected line
}


def _homes() -> gpd.GeoSeries:
    gaz = toy_gazetteer()
    pts = []
    for col in ("户籍地址", "房产地址"):
        for text in toy_students()[col]:
            g = gaz.geocode(text)
            if g["lon"] is not None:
                pts.append(Point(g["lon"], g["lat"]))
    return gpd.GeoSeries(pts, crs="EPSG:4326")


@pytest.mark.parametrize("layout", [TOY_GRID, DETOUR], ids=["toy-grid", "detour"])
def test_network_distance_is_never_shorter_than_the_straight_line(layout):
    homes, schools = _homes(), toy_school_points().geometry
    eu = euclidean_distance_matrix(homes, schools)
    net = network_distance_matrix(homes, schools, _streets(layout))
    assert eu.shape == net.shape and len(homes) > 20
    assert np.isfinite(net).all()
    assert (net >= eu - 1e-3).all()  # node coordinates are rounded to 1 mm
    assert (net > eu + 1).any()  # and the streets do make a difference


def _toy_with_south_school():
    """The toy town plus 南小学 (toy-p3, primary, no zone of its own) beside 第一中学 (250, 250)."""
    spec = toy_spec()
    spec["schools"].append(
        {
            "id": "toy-p3",
            "name": "南小学",
            "aliases": [],
            "level": "primary",
            "code": None,
            "zones": [],
        }
    )
    seats = toy_schools()
    extra = pd.DataFrame(
        [("toy-p3", "南小学", "primary", None, 1, 10)], columns=list(seats.columns)
    )
    points = toy_school_points()
    south = gpd.GeoDataFrame(
        [
            {
                "school_id": "toy-p3",
                "name": "南小学",
                "level": "primary",
                "geometry": Point(toy_xy_to_lonlat(250, 250)),
            }
        ],
        geometry="geometry",
        crs="EPSG:4326",
    )
    return (
        spec,
        pd.concat([seats, extra], ignore_index=True),
        pd.concat([points, south], ignore_index=True),
    )


def _run(settings, streets, out_dir=None, students=None):
    spec, seats, points = _toy_with_south_school()
    return place(
        toy_students() if students is None else students,
        spec=spec,
        zones=toy_zones(),
        gazetteer=toy_gazetteer(),
        schools=seats,
        school_points=points,
        seed=7,
        streets=streets,
        settings=settings,
        out_dir=out_dir,
    )


def test_network_distance_changes_an_overflow_choice(tmp_path):
    streets = _streets(DETOUR)
    eu = _run(DEFAULT_SETTINGS, streets, tmp_path / "eu")
    net = _run(NETWORK, streets, tmp_path / "net")
    a = eu.placements.set_index("student_id")
    b = net.placements.set_index("student_id")
    assert list(a.index) == list(b.index)
    for res in (eu, net):  # invariants hold with either distance
        assert (res.schools["placed"] <= res.schools["seats"]).all()
        assert res.placements["student_id"].is_unique
    over = a.index[(a["rule"] == "overflow") & (b["rule"] == "overflow")]
    assert len(over) > 0
    moved = [i for i in over if a.at[i, "school"] != b.at[i, "school"]]
    # straight line: the west primary school; along the streets: the south primary school
    assert moved
    assert {a.at[i, "school"] for i in moved} == {"toy-p2"}
    assert {b.at[i, "school"] for i in moved} == {"toy-p3"}
    for i in moved:
        assert "沿街道" in b.at[i, "trace"] and "直线" in a.at[i, "trace"]
    # every placed child's network distance is at least its straight line to the same school
    same = a.index[(a["school"] == b["school"]) & (a["distance_m"] != "")]
    assert (
        b.loc[same, "distance_m"].astype(float) >= a.loc[same, "distance_m"].astype(float) - 1
    ).all()
    info = json.loads((tmp_path / "net" / "run.json").read_text(encoding="utf-8"))
    assert info["distance_kind"] == "network" and info["distance"].startswith("network")
    assert info["distance_fallback_pairs"] == 0
    assert json.loads((tmp_path / "eu" / "run.json").read_text())["distance_kind"] == "euclidean"


def test_pairs_without_a_street_path_fall_back_to_the_straight_line(tmp_path):
    # 河湾村 (x 2500..2600) gets its own street, not joined to the town's grid
    layout = dict(TOY_GRID, 河湾路=[(2400, 600), (2700, 600)])
    res = _run(NETWORK, _streets(layout), tmp_path / "out")
    info = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert info["distance_fallback_pairs"] > 0
    p = res.placements
    village = p[p["trace"].str.contains("没有通路")]
    assert len(village) > 0
    assert (village["status"] == "placed").all()
    # same school, same straight-line distance as the euclidean run
    eu = _run(DEFAULT_SETTINGS, _streets(layout)).placements.set_index("student_id")
    for sid, row in village.set_index("student_id").iterrows():
        if row["school"] == eu.at[sid, "school"]:
            assert row["distance_m"] == eu.at[sid, "distance_m"]


def test_network_distance_needs_streets():
    with pytest.raises(InputError, match="streets"):
        _run(NETWORK, None)
    with pytest.raises(InputError, match="euclidean 或 network"):
        _run(replace(DEFAULT_SETTINGS, distance="manhattan"), None)


def test_network_run_is_independent_of_row_order(tmp_path):
    streets = _streets(DETOUR)
    _run(NETWORK, streets, tmp_path / "a")
    shuffled = toy_students().sample(frac=1.0, random_state=5).reset_index(drop=True)
    _run(NETWORK, streets, tmp_path / "b", students=shuffled)
    for name in ("placements.csv", "schools.csv", "run.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_street_stopping_short_of_a_junction_is_still_connected():
    """A mapped T-junction 0.4 m short joins the network (no silent straight-line fallback)."""
    import geopandas as gpd
    import numpy as np
    from shapely import LineString, Point

    from geo_enroll.placement.allocate import network_distance_matrix

    streets = gpd.GeoSeries(
        [LineString([(0, 0), (200, 0)]), LineString([(100, 0.4), (100, 150)])], crs=32650
    )
    home = gpd.GeoSeries([Point(100, 150)], crs=32650)
    school = gpd.GeoSeries([Point(0, 0)], crs=32650)
    d = network_distance_matrix(home, school, streets)
    assert np.isfinite(d).all()
    assert abs(d[0, 0] - 250.0) < 1.0  # 150 m down the side street, 100 m along the main one
    far = network_distance_matrix(home, school, streets, join_m=0.1)
    assert not np.isfinite(far).all()  # with no joining tolerance the side street is cut off


def test_vectorised_straight_lines_equal_the_per_pair_distance():
    """distance_matrix computes the straight lines in one step; same metres as pair by pair."""
    from geo_enroll.datasets import toy_school_points, toy_spec, toy_zones
    from geo_enroll.placement.candidates import ZoneIndex
    from geo_enroll.placement.distance import distance_matrix

    index = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    rng = np.random.default_rng(5)
    xs = [sx for sx, _ in index.school_xy.values()]
    ys = [sy for _, sy in index.school_xy.values()]
    rows = {
        f"s{i}": {
            "xy": (float(rng.uniform(min(xs), max(xs))), float(rng.uniform(min(ys), max(ys))))
        }
        for i in range(30)
    }
    rows["s_unknown"] = {"xy": None}
    ids = sorted(rows)
    schools = sorted(index.school_xy) + ["no-such-school"]
    dist, fallback = distance_matrix(ids, schools, rows, index, "euclidean", None)
    expected = np.array([[index.school_distance(rows[i]["xy"], s) for s in schools] for i in ids])
    assert fallback == []
    assert np.array_equal(dist, expected)  # bit for bit, inf where a place is unknown
    assert np.isinf(dist[ids.index("s_unknown")]).all() and np.isinf(dist[:, -1]).all()


def test_network_costs_per_arc_equal_the_dense_network_matrix():
    """The arcs ``place`` reads (rows, pairs) are the dense network matrix, bit for bit."""
    from geo_enroll.placement.candidates import ZoneIndex
    from geo_enroll.placement.distance import distance_costs

    index = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    layout = dict(DETOUR, 河湾路=[(2400, 600), (2700, 600)])  # one cut-off street: fallbacks
    streets = _streets(layout).to_crs(index.crs)
    rng = np.random.default_rng(9)
    x0, y0, x1, y1 = streets.total_bounds  # homes all over the town and the cut-off village
    rows = {f"s{i:02d}": {"xy": tuple(rng.uniform([x0, y0], [x1, y1]))} for i in range(60)}
    rows["s_unknown"] = {"xy": None}
    ids = sorted(rows)
    schools = sorted(index.school_xy) + ["no-such-school"]
    costs, fallback = distance_costs(ids, schools, rows, index, "network", streets)
    kids = [k for k, i in enumerate(ids) if rows[i]["xy"] is not None]
    known = list(range(len(schools) - 1))
    net = network_distance_matrix(
        gpd.GeoSeries([Point(rows[ids[k]]["xy"]) for k in kids], crs=index.crs),
        gpd.GeoSeries([Point(index.school_xy[schools[j]]) for j in known], crs=index.crs),
        streets,
    )
    eu = euclidean_distance_matrix(
        gpd.GeoSeries([Point(rows[ids[k]]["xy"]) for k in kids], crs=index.crs),
        gpd.GeoSeries([Point(index.school_xy[schools[j]]) for j in known], crs=index.crs),
    )
    expected = np.full((len(ids), len(schools)), np.inf)
    expected[np.ix_(kids, known)] = np.where(np.isfinite(net), np.maximum(net, eu), eu)
    dense = costs.rows(np.arange(len(ids)))
    assert np.array_equal(dense, expected)
    i, j = np.divmod(rng.permutation(dense.size)[:200], len(schools))
    assert np.array_equal(costs.pairs(i, j), dense[i, j])
    gaps = {
        (ids[kids[a]], schools[known[b]])
        for a, b in zip(*np.nonzero(~np.isfinite(net)), strict=True)
    }
    assert gaps and set(fallback) == gaps


def test_network_run_on_the_schematic_base_map(tmp_path):
    """The 太仆寺旗 schematic streets (committed base map) carry a whole seed-7 cohort."""
    from geo_enroll.geocode import load_default_gazetteer
    from geo_enroll.placement.cohort import synth_cohort
    from geo_enroll.policy.spec import load_spec
    from geo_enroll.settings import data_dir

    b = data_dir() / "boundaries"
    need = [b / "taipusi_2024.toml", b / "taipusi_2024_zones.gpkg", b / "baochang_schematic.gpkg"]
    if not all(p.exists() for p in need):
        pytest.skip(f"needs the committed 太仆寺旗 spec, zones and base map in {b}")
    spec = load_spec(need[0])
    cohort = synth_cohort(spec, seed=7)
    res = place(
        cohort,
        spec=spec,
        zones=gpd.read_file(need[1], layer="zones"),
        gazetteer=load_default_gazetteer(),
        schools=b / "taipusi_2024_schools.csv",
        school_points=gpd.read_file(need[2], layer="schools"),
        streets=gpd.read_file(need[2], layer="streets"),
        settings=NETWORK,
        seed=7,
        out_dir=tmp_path / "net",
    )
    assert len(res.placements) == len(cohort) and res.placements["student_id"].is_unique
    assert (res.schools["placed"] <= res.schools["seats"]).all()
    assert res.run_info["distance_kind"] == "network"
    placed = res.placements[res.placements["status"] == "placed"]
    assert len(placed) > 0 and (placed["school"].astype(str) != "").all()
