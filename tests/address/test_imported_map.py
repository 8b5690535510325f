"""An imported real city in the geocoder: its coverage, its named places, its Latin-script streets.

Real maps: the west 黄浦区 extract (``tests/basemap/data/huangpu_extract.osm``), the whole
``../shared/reference/streets-dev/shanghai_huangpu.osm`` (skipped without it) and central
Helsinki (``tests/basemap/data/helsinki_centre.osm.pbf``); all © OpenStreetMap contributors,
ODbL 1.0 (``tests/basemap/data/SOURCES.md``).  An OSM extract has no county polygon with a
code: the map covers the unit it was imported for (``--district``), else only what its extent
overlaps; an address naming another city never gets a point from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Point

from geo_enroll.address import load_divisions
from geo_enroll.basemap.importers import import_osm
from geo_enroll.basemap.layers import write_basemap
from geo_enroll.geocode import Gazetteer

from ..conftest import SHARED, need_shared

BASEMAP_DATA = Path(__file__).resolve().parent.parent / "basemap" / "data"
HUANGPU = BASEMAP_DATA / "huangpu_extract.osm"
HELSINKI = BASEMAP_DATA / "helsinki_centre.osm.pbf"
DIV = load_divisions()


def _chain(code: str) -> str:
    return "".join(DIV.units[c].name for c in DIV.ancestors(code))


def _other_counties(step: int = 97) -> list[str]:
    """Every ``step``-th county of the national table outside 上海 (full name chain)."""
    counties = sorted(c for c, u in DIV.units.items() if u.level == "county")
    return [_chain(c) for c in counties[::step] if not c.startswith("31")]


@pytest.fixture(scope="module")
def huangpu_map():
    return import_osm(HUANGPU, district="黄浦区")


@pytest.fixture(scope="module")
def huangpu(huangpu_map):
    return Gazetteer.from_data(basemap=huangpu_map)


@pytest.fixture(scope="module")
def huangpu_streets(huangpu_map):
    names = {n for n in huangpu_map.streets["name"] if n.endswith(("路", "街"))}
    return sorted(names)


def _inside(g, r) -> bool:
    return r["lon"] is not None and g.map_extent.covers(Point(r["lon"], r["lat"]))


# -- 3. coverage of an imported map ---------------------------------------------------------


def test_the_map_covers_the_district_it_was_imported_for(huangpu, huangpu_streets):
    assert huangpu.coverage == {"310101"} and huangpu.map_district == "黄浦区"
    assert len(huangpu_streets) >= 5
    for street in huangpu_streets:
        for prefix in ("上海市黄浦区", "黄浦区", "上海黄浦区"):
            r = huangpu.geocode(f"{prefix}{street}")
            assert r["level"] == "road" and _inside(huangpu, r), (prefix, street, r)
            assert r["county_code"] == "310101"


def test_an_address_naming_another_city_gets_no_point_from_the_map(huangpu, huangpu_streets):
    others = _other_counties()
    assert len(others) >= 20
    tried = 0
    for county in others:
        for street in huangpu_streets[:4]:
            for tail in ("", "7号", "12号3栋"):
                r = huangpu.geocode(f"{county}{street}{tail}")
                tried += 1
                assert not _inside(huangpu, r), (county, street, r)
                assert r["lon"] is None and r["reason_code"], r
    # a province or city alone (上海市福州路, 江苏省南京市福州路) names no covered unit
    for prefix in ("上海市", "江苏省南京市", "浙江省", "北京市"):
        r = huangpu.geocode(f"{prefix}{huangpu_streets[0]}5号")
        assert r["lon"] is None, r
    assert tried >= 240


def test_a_map_without_district_answers_only_addresses_naming_no_unit(huangpu_map):
    bare = huangpu_map.__class__(
        huangpu_map.streets.assign(district=""),
        huangpu_map.landmarks,
        huangpu_map.areas,
        huangpu_map.schools,
        {**huangpu_map.meta, "district": ""},
        huangpu_map.source,
        huangpu_map.addresses,
    )
    g = Gazetteer.from_data(basemap=bare)
    assert g.coverage == set() and g.map_extent is not None
    street = sorted(n for n in bare.streets["name"] if n.endswith("路"))[0]
    named = g.geocode(f"上海市黄浦区{street}")
    assert named["lon"] is None and named["level"] == "county"
    assert "--district" in named["reason"]
    local = g.geocode(street)
    assert local["lon"] is not None and local["reason_code"] == "assumed_local"
    assert local["code"] is None  # no unit is invented for it


@pytest.mark.parametrize(
    ("district", "codes"),
    [("黄浦区", {"310101"}), ("上海市黄浦区", {"310101"}), ("310101", {"310101"}),
     ("西湖区", set()), ("不存在区", set()), ("Helsinki", set()), ("", set())],
)  # fmt: skip
def test_the_district_resolves_to_one_unit_or_none(huangpu, district, codes):
    assert huangpu._district_codes(district) == codes


def test_the_district_survives_the_geopackage(huangpu_map, tmp_path):
    path = write_basemap(huangpu_map, tmp_path / "hp.gpkg")
    g = Gazetteer.from_data(basemap=path)
    assert g.coverage == {"310101"}
    assert g.geocode("北京市朝阳区福州路7号")["lon"] is None
    assert g.geocode("上海市黄浦区福州路7号")["lon"] is not None


def test_the_whole_huangpu_map_answers_only_huangpu():
    path = need_shared(SHARED / "reference" / "streets-dev" / "shanghai_huangpu.osm")
    bm = import_osm(path, district="上海市黄浦区")
    g = Gazetteer.from_data(basemap=bm)
    streets = sorted({n for n in bm.streets["name"] if n.endswith(("路", "街"))})
    assert len(streets) > 50
    for street in streets[::5]:
        home = g.geocode(f"上海市黄浦区{street}")
        assert home["level"] == "road" and _inside(g, home), home
    for county in _other_counties(211):
        for street in streets[::17]:
            r = g.geocode(f"{county}{street}8号")
            assert r["lon"] is None and not _inside(g, r), (county, street, r)


# -- 1. named compounds and places of an imported map ---------------------------------------

# Named places written onto the real 黄浦 extract for these tests (OSM has none in it):
# (name, tags, lon, lat).  Two 全家便利店 1.5 km apart, and a bus station named like a street.
PLACES = [
    ("来福士广场", {"shop": "mall"}, 121.4752, 31.2335),
    ("上海大世界", {"tourism": "attraction"}, 121.4792, 31.2302),
    ("全家便利店", {"shop": "convenience"}, 121.4650, 31.2250),
    ("全家便利店", {"shop": "convenience"}, 121.4810, 31.2370),
    ("福州路", {"amenity": "bus_station"}, 121.4700, 31.2300),
]
COMPOUNDS = [  # (name, lon0, lat0, lon1, lat1): a landuse=residential way each
    ("示例花园", 121.4700, 31.2260, 121.4712, 31.2270),
    ("同名小区", 121.4660, 31.2230, 121.4668, 31.2236),
    ("同名小区", 121.4830, 31.2390, 121.4838, 31.2396),
]


@pytest.fixture(scope="module")
def placed(tmp_path_factory):
    """The extract with the places above, imported for 黄浦区 and written as a GeoPackage."""
    nodes, ways, nid = [], [], 9_100_000_000
    for name, tags, lon, lat in PLACES:
        nid += 1
        extra = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        nodes.append(
            f'<node id="{nid}" lat="{lat}" lon="{lon}" version="1">'
            f'<tag k="name" v="{name}"/>{extra}</node>'
        )
    for wid, (name, x0, y0, x1, y1) in enumerate(COMPOUNDS, start=9_200_000_000):
        ring = []
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
            nid += 1
            nodes.append(f'<node id="{nid}" lat="{y}" lon="{x}" version="1"/>')
            ring.append(nid)
        ways.append(
            f'<way id="{wid}" version="1">'
            + "".join(f'<nd ref="{n}"/>' for n in [*ring, ring[0]])
            + f'<tag k="landuse" v="residential"/><tag k="name" v="{name}"/></way>'
        )
    text = HUANGPU.read_text(encoding="utf-8")
    at = text.index("<way")
    text = text[:at] + "".join(nodes) + text[at:].replace("</osm>", "".join(ways) + "</osm>")
    root = tmp_path_factory.mktemp("placed")
    osm = root / "huangpu_places.osm"
    osm.write_text(text, encoding="utf-8")
    path = write_basemap(import_osm(osm, district="黄浦区"), root / "huangpu_places.gpkg")
    return Gazetteer.from_data(basemap=path)


def _metres(r, lon, lat) -> float:
    import math

    kx = math.cos(math.radians(lat))
    return math.hypot((r["lon"] - lon) * kx, r["lat"] - lat) * 111_320.0


@pytest.mark.parametrize("prefix", ["上海市黄浦区", "黄浦区", "上海黄浦区"])
@pytest.mark.parametrize("index", [0, 1])
def test_a_named_place_of_the_map_is_found_at_poi_level(placed, prefix, index):
    name, _tags, lon, lat = PLACES[index]
    for tail in ("", "门口", "附近"):
        r = placed.geocode(f"{prefix}{name}{tail}", min_level="house_number")
        assert r["level"] == "poi" and r["matched"]["compound"] == name, r
        assert _metres(r, lon, lat) < 1.0 and r["county_code"] == "310101"
        assert r["reason_code"] is None and not r["schematic"]


def test_a_named_compound_of_the_map_is_found_at_compound_level(placed):
    r = placed.geocode("上海市黄浦区示例花园", min_level="house_number")
    assert r["level"] == "compound" and r["lon"] is not None
    _name, x0, y0, x1, y1 = COMPOUNDS[0]
    assert x0 < r["lon"] < x1 and y0 < r["lat"] < y1


@pytest.mark.parametrize("name", ["全家便利店", "同名小区"])
def test_a_name_at_two_places_gets_no_point_at_that_level(placed, name):
    for prefix in ("上海市黄浦区", "黄浦区"):
        r = placed.geocode(f"{prefix}{name}")
        assert r["level"] not in ("poi", "compound") and r["lon"] is None, r
        assert r["reason_code"] and name in (r["unmatched"] or r["reason"]), r


def test_a_place_named_like_a_street_stays_the_street(placed):
    r = placed.geocode("上海市黄浦区福州路")
    assert r["level"] == "road" and r["matched"]["road"] == "福州路"


def test_a_place_of_the_map_is_not_found_from_another_city(placed):
    for county in _other_counties(151):
        for name, *_ in PLACES[:2]:
            r = placed.geocode(f"{county}{name}")
            assert r["lon"] is None and not _inside(placed, r), r
    for county in _other_counties(301):
        r = placed.geocode(f"{county}{COMPOUNDS[0][0]}")
        assert r["lon"] is None and not _inside(placed, r), r


def test_the_precision_gate_applies_to_places(placed):
    r = placed.geocode("上海市黄浦区来福士广场", min_level="poi")
    assert r["lon"] is not None
    unknown = placed.geocode("上海市黄浦区不存在广场", min_level="road")
    assert unknown["lon"] is None and unknown["level"] == "county"


# -- 2. Latin-script addresses of an imported city ------------------------------------------


@pytest.fixture(scope="module")
def helsinki_map():
    return import_osm(HELSINKI, district="Helsinki")


@pytest.fixture(scope="module")
def helsinki(helsinki_map):
    return Gazetteer.from_data(basemap=helsinki_map)


def _unique_houses(bm, step: int = 2):
    """(street, housenumber, point) of the map's numbers found at one point only."""
    a = bm.addresses
    a = a[(a["kind"] != "poi") & (a["street"] != "") & (a["housenumber"] != "")]
    a = a[~a["street"].str.contains(",") & a["housenumber"].str.fullmatch(r"\d{1,4}[A-Za-z]?")]
    key = a["street"].str.casefold() + "|" + a["housenumber"].str.casefold()
    rows = a[~key.duplicated(keep=False)].sort_values(["street", "housenumber"])
    return [(r.street, r.housenumber, r.geometry) for r in rows.itertuples()][::step]


def test_a_house_number_of_the_map_is_found_in_latin_script(helsinki, helsinki_map):
    houses = _unique_houses(helsinki_map)
    assert len(houses) >= 100
    found = 0
    for street, number, point in houses:
        for text in (f"{street} {number}, Helsinki", f"{street.lower()} {number}",
                     f"{street} {number}, 00100 Helsinki"):  # fmt: skip
            r = helsinki.geocode(text, min_level="house_number")
            if r["level"] != "house_number":  # e.g. the street has two pieces of one name
                assert r["lon"] is None, r
                continue
            found += 1
            assert r["matched"]["road"].casefold() == street.casefold()
            assert _metres(r, point.x, point.y) < 1.0, (text, r)
            assert r["code"] is None and r["county_code"] is None  # no Chinese unit invented
    assert found >= 0.9 * 3 * len(houses)


def test_a_flat_and_a_letter_after_the_number(helsinki, helsinki_map):
    street, number, point = next(h for h in _unique_houses(helsinki_map, 1) if h[1].isdigit())
    r = helsinki.geocode(f"{street} {number} A 5, Helsinki", min_level="house_number")
    assert r["level"] == "house_number" and _metres(r, point.x, point.y) < 1.0, r


@pytest.mark.parametrize("city", ["Espoo", "Vantaa", "Tampere", "Stockholm", "Helsingborg"])
def test_a_latin_address_naming_another_city_gets_no_point(helsinki, helsinki_map, city):
    for street, number, _ in _unique_houses(helsinki_map, 25):
        r = helsinki.geocode(f"{street} {number}, {city}")
        assert r["lon"] is None and r["reason_code"] == "outside_gazetteer", r
        assert city in r["reason"]


def test_a_street_the_map_lacks_keeps_the_no_chinese_refusal(helsinki, helsinki_map):
    streets = sorted(set(helsinki_map.streets["name"]) - {""})
    made_up = [s[:-2] + "xy" for s in streets[::7]] + ["Main Street", "Rue de Rivoli"]
    for name in made_up:
        if name in streets:
            continue
        r = helsinki.geocode(f"{name} 3, Helsinki")
        assert r["lon"] is None and r["reason_code"] == "no_chinese", r
    for text in ("12345", "115.28,41.88", "Room 5, 12 Main Street"):
        assert helsinki.geocode(text)["lon"] is None


def test_latin_script_needs_a_latin_map(huangpu, plain_gazetteer, helsinki_map):
    street, number, _ = _unique_houses(helsinki_map, 1)[0]
    for g in (huangpu, plain_gazetteer):
        r = g.geocode(f"{street} {number}, Helsinki")
        assert r["lon"] is None and r["reason_code"] == "no_chinese"


def test_named_places_in_latin_script(helsinki, helsinki_map):
    a = helsinki_map.addresses
    latin = a["name"].str.fullmatch(r"[^\u3000-\u9fff,]{4,}")  # Latin-script names only
    named = a[latin.fillna(False).astype(bool)]
    counts = named["name"].value_counts()
    streets = {s.casefold() for s in helsinki_map.streets["name"]}
    single = [n for n in counts[counts == 1].index if n.casefold() not in streets][:40]
    assert len(single) >= 20
    for name in single:
        point = named[named["name"] == name].geometry.iloc[0]
        r = helsinki.geocode(f"{name}, Helsinki", min_level="house_number")
        assert r["level"] == "poi" and _metres(r, point.x, point.y) < 1.0, (name, r)
    for name in counts[counts >= 4].index:  # chains: many shops of one name across the centre
        pts = named[named["name"] == name].geometry
        if (pts.x.max() - pts.x.min()) + (pts.y.max() - pts.y.min()) < 0.005:
            continue
        r = helsinki.geocode(f"{name}, Helsinki")
        assert r["level"] != "poi" and r["lon"] is None, (name, r)


def test_a_latin_city_map_without_district(helsinki_map, tmp_path):
    bm = helsinki_map.__class__(
        helsinki_map.streets.assign(district=""),
        helsinki_map.landmarks,
        helsinki_map.areas,
        helsinki_map.schools,
        {**helsinki_map.meta, "district": ""},
        helsinki_map.source,
        helsinki_map.addresses,
    )
    g = Gazetteer.from_data(basemap=write_basemap(bm, tmp_path / "hel.gpkg"))
    street, number, point = _unique_houses(helsinki_map, 1)[0]
    named = g.geocode(f"{street} {number}, Helsinki")
    assert named["lon"] is None and "--district" in named["reason"]
    local = g.geocode(f"{street} {number}")
    assert local["reason_code"] == "assumed_local" and _metres(local, point.x, point.y) < 1.0


def test_the_cli_geocodes_a_latin_address(helsinki_map, tmp_path, capsys):
    import json

    from geo_enroll.cli import main

    path = write_basemap(helsinki_map, tmp_path / "hel.gpkg")
    street, number, point = _unique_houses(helsinki_map, 1)[0]
    args = ["address", "geocode", f"{street} {number}, Helsinki", "--basemap", str(path)]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["level"] == "house_number" and _metres(out, point.x, point.y) < 1.0
    assert main([*args[:2], f"{street} {number}, Espoo", *args[3:]]) == 1
    assert "Espoo" in capsys.readouterr().out


def test_a_compound_of_the_map_in_latin_script(helsinki, helsinki_map):
    compounds = helsinki_map.landmarks
    compounds = compounds[compounds["kind"] == "compound"]
    assert len(compounds)
    for row in compounds.itertuples():
        r = helsinki.geocode(f"{row.name}, Helsinki", min_level="house_number")
        assert r["level"] == "compound" and row.geometry.covers(Point(r["lon"], r["lat"]))
        assert helsinki.geocode(f"{row.name}, Espoo")["lon"] is None


def test_a_place_named_with_a_far_road_does_not_win(placed, huangpu_map):
    """福州路7号来福士广场 where the map's 来福士广场 is 1 km from 福州路: a namesake."""
    import math

    name, _tags, lon, lat = PLACES[0]
    kx = math.cos(math.radians(lat))
    streets = huangpu_map.streets
    gaps = {}
    for street in {n for n in streets["name"] if n.endswith(("路", "街"))}:
        geoms = streets[streets["name"] == street].geometry
        gaps[street] = min(
            math.hypot((lon - x) * kx, lat - y) * 111_320.0
            for g in geoms
            for x, y in [g.interpolate(g.project(Point(lon, lat))).coords[0]]
        )
    near = min(gaps, key=gaps.get)
    far = max(gaps, key=gaps.get)
    assert gaps[near] < 150 and gaps[far] > 400
    hit = placed.geocode(f"上海市黄浦区{near}{name}")
    assert hit["level"] == "poi" and _metres(hit, lon, lat) < 1.0, hit
    miss = placed.geocode(f"上海市黄浦区{far}{name}")
    assert miss["level"] == "road" and miss["matched"]["road"] == far, miss
    assert name in (miss["unmatched"] or "") and miss["reason_code"] == "coarse"


def test_a_city_written_after_the_number_without_a_comma(helsinki, helsinki_map):
    street, number, point = _unique_houses(helsinki_map, 1)[0]
    home = helsinki.geocode(f"{street} {number} Helsinki", min_level="house_number")
    assert home["level"] == "house_number" and _metres(home, point.x, point.y) < 1.0
    for city in ("Espoo", "Vantaa", "Stockholm"):
        r = helsinki.geocode(f"{street} {number} {city}")
        assert r["lon"] is None and r["reason_code"] == "outside_gazetteer", r


def test_a_latin_street_in_pieces_far_apart_gets_no_road_point(helsinki):
    from geo_enroll.geocode.gazetteer import _one_piece

    apart = [segs[0][1]["name"] for segs in helsinki.streets.values() if not _one_piece(segs)]
    assert apart  # Helsinki has two (Rautatientori, Vuorikatu)
    for name in apart:
        r = helsinki.geocode(f"{name}, Helsinki")
        assert r["lon"] is None and r["reason_code"] == "ambiguous", r
        assert name in r["reason"]
