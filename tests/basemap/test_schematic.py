"""The schematic 宝昌镇 base map: anchored on real facts, labelled schematic, complete, and laid
out so that each community the 2024 policy names is exactly the union of its parts."""

from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo_enroll.basemap import read_basemap, write_basemap
from geo_enroll.basemap.layers import utm_crs
from geo_enroll.basemap.names import NameIndex
from geo_enroll.basemap.schematic import SCHOOLS, TOWN_SEAT
from geo_enroll.diagnostics import build_report
from geo_enroll.digitise import digitise, load_spec
from geo_enroll.settings import data_dir

SPEC = data_dir() / "boundaries" / "taipusi_2024.toml"

SEED_NAMES = [
    "东大桥",
    "察哈尔街",
    "光明大街",
    "解放大街",
    "宝昌大街",
    "民生路",
    "利民路",
    "建设南路",
    "团结街",
    "国防街",
    "和平街",
    "207国道",
]
COMPOUNDS = ["万和小区", "紫金花园小区", "昌盛园小区"]
COMMUNITIES = ["建兴", "太平", "东郊", "新华", "南郊", "宝丰", "国防", "西郊"]


def _county():
    g = gpd.read_file(data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson")
    return g[g["gb"].astype(str).str.endswith("152527")].geometry.iloc[0]


def test_every_layer_is_labelled_schematic(schematic):
    assert schematic.schematic and "schematic" in schematic.meta["note"]
    for layer in ("streets", "landmarks", "areas", "schools"):
        frame = schematic.layer(layer)
        assert len(frame) and "schematic" in frame.columns
    # only the real county outline and the real town seat are not schematic
    real = schematic.areas[~schematic.areas["schematic"]]
    assert list(real["kind"]) == ["county"]
    assert schematic.streets["schematic"].all() and schematic.schools["schematic"].all()


def test_anchored_on_the_town_seat_inside_the_county(schematic):
    town = schematic.areas[schematic.areas["kind"] == "town"]
    utm = utm_crs(TOWN_SEAT)
    area_km2 = town.to_crs(utm).area.iloc[0] / 1e6
    assert area_km2 == pytest.approx(7.2, rel=0.01)
    centre = town.to_crs(utm).geometry.iloc[0].centroid
    seat = gpd.GeoSeries([Point(TOWN_SEAT)], crs=4326).to_crs(utm).iloc[0]
    assert centre.distance(seat) < 1.0
    county = _county()
    for layer in ("streets", "landmarks", "schools"):
        assert schematic.layer(layer).geometry.within(county.buffer(1e-9)).all(), layer
    assert schematic.areas.geometry.within(county.buffer(1e-6)).all()


def test_communities_tile_the_town_with_official_codes(schematic):
    comm = schematic.areas[schematic.areas["kind"] == "community"]
    assert sorted(n.removesuffix("社区") for n in comm["name"]) == sorted(COMMUNITIES)
    codes = dict(zip(comm["name"], comm["code"], strict=False))
    assert codes["国防社区"] == "" and codes["西郊社区"] == ""
    assert all(len(codes[n + "社区"]) == 12 for n in COMMUNITIES[:6])
    utm = utm_crs(TOWN_SEAT)
    town = schematic.areas[schematic.areas["kind"] == "town"].to_crs(utm).geometry.iloc[0]
    parts = comm.to_crs(utm).geometry
    assert abs(parts.area.sum() - town.area) < 1.0
    assert abs(parts.union_all().area - town.area) < 1.0  # no overlap, no gap


def test_townships_cover_the_county_and_hold_their_seats(schematic):
    towns = schematic.areas[schematic.areas["kind"] == "township"]
    assert len(towns) == 8 and towns["code"].str.len().eq(9).all()
    utm = utm_crs(TOWN_SEAT)
    county = gpd.GeoSeries([_county()], crs=4326).to_crs(utm).iloc[0]
    assert towns.to_crs(utm).area.sum() == pytest.approx(county.area, rel=1e-5)
    seats = schematic.landmarks[schematic.landmarks["kind"] == "seat"]
    for _, seat in seats.iterrows():
        cell = towns[towns["name"] == seat["name"]].geometry.iloc[0]
        assert cell.contains(seat.geometry)
    town = schematic.areas[schematic.areas["kind"] == "town"].geometry.iloc[0]
    assert towns[towns["name"] == "宝昌镇"].geometry.iloc[0].contains(town)


def test_every_name_of_the_seed_is_on_the_map(schematic):
    streets = NameIndex(schematic.streets)
    for name in SEED_NAMES:
        assert streets.lookup(name).found, name
    marks = NameIndex(schematic.landmarks)
    for name in COMPOUNDS:
        hit = marks.lookup(name)
        assert hit.found and schematic.landmarks.geometry.iloc[hit.rows[0]].geom_type == "Polygon"


def test_schools_and_house_numbers(schematic):
    s = schematic.schools
    assert set(s["school_id"]) == set(SCHOOLS) and len(s) == 11
    town = schematic.areas[schematic.areas["kind"] == "town"].geometry.iloc[0]
    seats = {"taipusi-p-qjg", "taipusi-p-lts", "taipusi-gbl"}
    for _, row in s.iterrows():
        assert town.contains(row.geometry) != (row["school_id"] in seats), row["school_id"]
    roads = schematic.streets[schematic.streets["kind"].isin(["road", "bridge"])]
    assert (roads["from_number"] < roads["to_number"]).all()


def test_round_trip_and_ogrinfo(schematic, tmp_path):
    path = write_basemap(schematic, tmp_path / "m.gpkg")
    back = read_basemap(path)
    assert back.schematic
    for layer in ("streets", "landmarks", "areas", "schools"):
        assert len(back.layer(layer)) == len(schematic.layer(layer))
        assert back.layer(layer).geom_equals(schematic.layer(layer).geometry).all()
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (gdal-bin) not installed")
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "streets" in out.stdout and "meta" in out.stdout


# ---------------------------------------------------------------------------------------------
# the layout follows the text: the 2024 spec as parsed (data/boundaries/taipusi_2024.toml)


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC)


@pytest.fixture(scope="module")
def built(spec, schematic):
    result = digitise(spec, schematic)
    return result, build_report(result)


def _community(name: str) -> str:
    name = str(name)
    return name if name.endswith("社区") else name + "社区"


def _rules(spec, level: str, kinds: tuple[str, ...]):
    for school in spec["schools"]:
        if school["level"] in (level, "nine_year"):
            yield from (z for z in school["zones"] if z["kind"] in kinds)


def _named_communities(spec, level: str, communities: set[str]) -> set[str]:
    """Communities of the map that some rule of ``level`` names (as parent, unit or area)."""
    named = set()
    for zone in _rules(spec, level, ("street_limits", "compound", "admin_units")):
        if zone.get("within"):
            named.add(_community(zone["within"]))
        named |= {str(u.get("name")) for u in zone.get("units") or [] if isinstance(u, dict)}
    return named & communities


def test_each_named_community_is_exactly_the_union_of_its_parts(built, spec, schematic):
    """南郊 = its 一小 block + 三小 band, 太平 and 新华 = their two parts, 建兴 = its part +
    昌盛园小区: no land of a named community is left out by the drawing."""
    result, _ = built
    utm = utm_crs(TOWN_SEAT)
    comm = schematic.areas[schematic.areas["kind"] == "community"].to_crs(utm).set_index("name")
    zones = result.zones.to_crs(utm)
    zones = zones[zones["level"] == "primary"]
    parted = {_community(z["within"]) for z in _rules(spec, "primary", ("street_limits",))}
    assert {"南郊社区", "太平社区", "新华社区"} <= parted
    for name in parted:
        inside = zones.geometry.intersection(comm.geometry[name]).area > 0.5 * zones.area
        parts, area = zones[inside], comm.geometry[name].area
        assert parts.geometry.union_all().symmetric_difference(comm.geometry[name]).area < (
            1e-4 * area
        ), name
        assert abs(parts.area.sum() - area) < 1e-4 * area, name  # the parts do not overlap
        if name in ("南郊社区", "太平社区", "新华社区"):
            assert len(parts) == 2, name


@pytest.mark.parametrize("level", ["primary", "middle"])
def test_the_only_gaps_are_the_communities_the_text_does_not_name(built, spec, schematic, level):
    """国防 and 西郊 are in no rule of the 2024 text (二中 takes "宝昌镇6个社区"): their whole land,
    and nothing else, is a gap; no overlaps."""
    _, report = built
    comm = schematic.areas[schematic.areas["kind"] == "community"]
    unnamed = set(comm["name"]) - _named_communities(spec, level, set(comm["name"]))
    assert unnamed == {"国防社区", "西郊社区"}
    gaps = report["levels"][level]["gaps"]
    assert {g["where"] for g in gaps} == unnamed and len(gaps) == len(unnamed)
    areas = comm.set_index("name").to_crs(utm_crs(TOWN_SEAT)).area
    for gap in gaps:
        assert gap["area_m2"] == pytest.approx(areas[gap["where"]], rel=1e-4), gap["where"]
    assert report["levels"][level]["overlaps"] == []
    assert report["counts"]["unresolved"] == 0 and report["counts"]["not_closed"] == 0
    assert all(r["status"] in ("ok", "not_digitised") for r in report["rules"])


def test_committed_report_shows_the_same_gaps(built):
    import json

    _, fresh = built
    committed = json.loads(
        (data_dir() / "boundaries" / "taipusi_2024_report.json").read_text(encoding="utf-8")
    )
    for level in ("primary", "middle"):
        got = sorted((g["where"], g["area_m2"]) for g in committed["levels"][level]["gaps"])
        assert got == sorted((g["where"], g["area_m2"]) for g in fresh["levels"][level]["gaps"])


def test_town_steps_only_where_a_limit_street_is_its_edge(schematic):
    """The built-up area is not a rectangle: 察哈尔街 (南郊's south edge) and 和平街 (太平's north
    edge west of 利民路) run along its outline; every other limit street has town on both sides."""
    utm = utm_crs(TOWN_SEAT)
    town = schematic.areas[schematic.areas["kind"] == "town"].to_crs(utm).geometry.iloc[0]
    streets = schematic.streets.to_crs(utm).set_index("name").geometry
    on_edge = {
        name
        for name in SEED_NAMES
        if name in streets.index
        and streets[name].intersection(town.boundary.buffer(1)).length > 300
    }
    assert on_edge == {"察哈尔街", "和平街"}


def test_plots_are_plausible(schematic):
    """No slivers or thin necks: every community is at least 0.15 km² and 200 m wide everywhere
    (a 100 m inward buffer stays one piece); compounds are 2-6 ha inside their community; schools
    stand inside the town, 50 m or more from any community edge."""
    utm = utm_crs(TOWN_SEAT)
    areas = schematic.areas.to_crs(utm)
    comm = areas[areas["kind"] == "community"].set_index("name").geometry
    for name, geom in comm.items():
        assert geom.area > 150_000, name
        inner = geom.buffer(-100)
        assert inner.geom_type == "Polygon" and not inner.is_empty, name
    marks = schematic.landmarks.to_crs(utm)
    for _, row in marks[marks["kind"] == "compound"].iterrows():
        assert 20_000 <= row.geometry.area <= 60_000, row["name"]
        assert comm[row["within"]].buffer(0.05).contains(row.geometry), row["name"]
    edges = comm.boundary.union_all()
    town = areas[areas["kind"] == "town"].geometry.iloc[0]
    for _, row in schematic.schools.to_crs(utm).iterrows():
        if town.contains(row.geometry):
            assert row.geometry.distance(edges) > 50, row["school_id"]


# ---------------------------------------------------------------------------------------------
# parents' lookups on the committed outputs (what the web service serves)


@pytest.fixture(scope="module")
def committed_zones():
    path = data_dir() / "boundaries" / "taipusi_2024_zones.gpkg"
    if not path.exists():
        pytest.fail("committed zones missing: run geo_enroll.digitise.build_default()")
    return gpd.read_file(path, layer="zones")


@pytest.fixture(scope="module")
def gazetteer():
    from geo_enroll.geocode import load_default_gazetteer

    return load_default_gazetteer()


def test_must_show_lookup_answers_primary_by_street_limits_and_middle(
    spec, committed_zones, gazetteer
):
    from geo_enroll.lookup import lookup_address

    r = lookup_address(
        "太仆寺旗宝昌镇南郊社区察哈尔街1号", spec=spec, zones=committed_zones, gazetteer=gazetteer
    )
    assert r["match_level"] == "house_number"
    primary = [s for s in r["primary"] if s["kind"] == "户籍划片"]
    assert primary, r["warnings"]
    rule = next(
        z for s in spec["schools"] for z in s["zones"] if z["rule_id"] == primary[0]["rule_id"]
    )
    # the rule whose south limit is 察哈尔街, inside 南郊
    assert rule["kind"] == "street_limits" and rule["limits"]["south"] == "察哈尔街"
    assert _community(rule["within"]) == "南郊社区"
    assert primary[0]["name"] in ("第一小学", "第三小学")
    middle = [s for s in r["middle"] if s["kind"] == "户籍划片"]
    assert middle and middle[0]["name"] == "第二中学"


_INWARD = {"south": (0, 1), "north": (0, -1), "east": (-1, 0), "west": (1, 0)}


def _house_slots(line, lo: int, hi: int, stretch, margin: float = 30.0) -> list[int]:
    """House numbers whose slot lies on ``stretch`` of ``line``, ``margin`` m from its ends."""
    out = []
    for n in range(lo, hi + 1):
        pt = line.interpolate((n - lo + 0.5) / (hi - lo + 1), normalized=True)
        if stretch.buffer(0.5).contains(pt) and all(
            pt.distance(end) > margin
            for part in getattr(stretch, "geoms", [stretch])
            for end in part.boundary.geoms
        ):
            out.append(n)
    return out


def test_house_numbers_along_each_limit_street_land_in_the_zone_on_their_side(
    spec, committed_zones, gazetteer, schematic
):
    """For every street-limits part and each named limit street: houses of the part's community
    along the stretch that bounds the part are geocoded (12 m off the centre line, on the side
    inside the community named, else by 左单右双); those on the part's side of the street land in
    the part's zone, the others in the community's zone across the street."""
    utm = utm_crs(TOWN_SEAT)
    zones = committed_zones.to_crs(utm)
    zones = zones[zones["level"] == "primary"].set_index("rule_id").geometry
    streets = schematic.streets.to_crs(utm)
    checked = 0
    for zone_rule in _rules(spec, "primary", ("street_limits",)):
        community = _community(zone_rule["within"])
        geom = zones[zone_rule["rule_id"]]
        for side, name in zone_rule["limits"].items():
            row = streets[(streets["name"] == name) & (streets["kind"] == "road")]
            if row.empty:
                continue  # edge words, compounds, the bridge (the river is the limit)
            line, lo, hi = (
                row.geometry.iloc[0],
                int(row["from_number"].iloc[0]),
                int(row["to_number"].iloc[0]),
            )
            stretch = line.intersection(geom.boundary.buffer(2))
            numbers = _house_slots(line, lo, hi, stretch)
            assert len(numbers) >= 6, (zone_rule["rule_id"], name)
            picks = numbers[:: max(1, len(numbers) // 8)][:8]
            picks += [n + 1 for n in picks[:2] if n + 1 in numbers]  # both parities
            on_side = 0
            for n in picks:
                r = gazetteer.geocode(f"太仆寺旗宝昌镇{community}{name}{n}号")
                assert r["level"] == "house_number", (name, n)
                p = gpd.GeoSeries([Point(r["lon"], r["lat"])], crs=4326).to_crs(utm).iloc[0]
                q = line.interpolate(line.project(p))
                ix, iy = _INWARD[side]
                inward = (p.x - q.x) * ix + (p.y - q.y) * iy
                assert abs(inward) > 5, (name, n)
                served = [rid for rid, z in zones.items() if z.covers(p)]
                assert len(served) == 1, (name, n, served)
                if inward > 0:
                    assert served == [zone_rule["rule_id"]], (zone_rule["rule_id"], name, n)
                    on_side += 1
                else:  # the community's other part across the street
                    other = next(
                        z
                        for z in _rules(spec, "primary", ("street_limits",))
                        if z["rule_id"] == served[0]
                    )
                    assert _community(other["within"]) == community, (name, n, served)
            assert on_side >= 3, (zone_rule["rule_id"], name)
            checked += 1
    assert checked >= 15
