"""A real city's addresses: import -> digitise -> geocode a house number -> the right school.

The streets are the real 黄浦区 extract (OpenStreetMap, ODbL); OpenStreetMap has no house
numbers there, so this test writes some onto the real 福州路 (synthetic, stated here): odd
numbers north of it, even south, rising eastwards every 20 m, half of the even side as an
``addr:interpolation`` way.  The map's own numbers then decide the side and the cuts, the
address index answers house numbers, and a parent's lookup gets the school the text says.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.ops import linemerge

from geo_enroll.basemap.importers import import_osm
from geo_enroll.basemap.layers import utm_crs, write_basemap
from geo_enroll.digitise import digitise
from geo_enroll.geocode.gazetteer import Gazetteer
from geo_enroll.lookup import lookup_address

from .conftest import DATA

STEP_M = 20.0
OFFSET_M = 15.0


def _fuzhou_line(extract):
    crs = utm_crs(extract.streets)
    s = extract.streets.to_crs(crs)
    parts = linemerge(list(s[s["name"] == "福州路"].geometry))
    line = max(getattr(parts, "geoms", [parts]), key=lambda g: g.length)
    if line.coords[0][0] > line.coords[-1][0]:  # west to east
        line = shapely.reverse(line)
    return crs, line


@pytest.fixture(scope="module")
def city(extract, tmp_path_factory):
    """The extract with house numbers on 福州路, imported and written as a GeoPackage."""
    crs, line = _fuzhou_line(extract)
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    nodes, ways, nid = [], [], 9_000_000_000
    count = int(line.length // STEP_M) - 1
    interp = []
    for k in range(count):
        s = (k + 0.5) * STEP_M
        p, q = line.interpolate(s), line.interpolate(s + 1.0)
        dx, dy = q.x - p.x, q.y - p.y
        norm = float(np.hypot(dx, dy))
        nx, ny = -dy / norm, dx / norm  # left of west->east: north
        for number, sign in ((2 * k + 1, 1.0), (2 * k + 2, -1.0)):
            lon, lat = back.transform(p.x + sign * OFFSET_M * nx, p.y + sign * OFFSET_M * ny)
            even = number % 2 == 0
            if even and 0 < k < count // 2 and k != count // 4:  # interpolated, not mapped
                continue
            nid += 1
            nodes.append(
                f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}" version="1">'
                f'<tag k="addr:housenumber" v="{number}"/>'
                f'<tag k="addr:street" v="福州路"/></node>'
            )
            if even and k in (0, count // 4, count // 2):
                interp.append(nid)
    ways.append(
        '<way id="9100000000" version="1">'
        + "".join(f'<nd ref="{n}"/>' for n in interp)
        + '<tag k="addr:interpolation" v="even"/></way>'
    )
    text = (DATA / "huangpu_extract.osm").read_text(encoding="utf-8")
    at = text.index("<way")
    text = text[:at] + "".join(nodes) + text[at:].replace("</osm>", "".join(ways) + "</osm>")
    root = tmp_path_factory.mktemp("city")
    osm = root / "huangpu_numbers.osm"
    osm.write_text(text, encoding="utf-8")
    bm = import_osm(osm, district="黄浦区")
    path = write_basemap(bm, root / "huangpu_numbers.gpkg")
    return {"basemap": bm, "path": path, "count": count, "crs": crs, "line": line}


def _spec(split: int):
    def rule(sid, **kw):
        return {
            "rule_id": f"{sid}-r1",
            "kind": "street_list",
            "street": "福州路",
            "source": {"text": "福州路", "line": 1},
            **kw,
        }

    return {
        "spec_version": 1,
        "policy": {"jurisdiction": "黄浦区（测试）", "county_code": "310101", "year": 2025},
        "schools": [
            {
                "id": "hp-a",
                "name": "甲小学",
                "level": "primary",
                "zones": [rule("hp-a", numbers={"from": 1, "to": split, "parity": "odd"})],
            },
            {
                "id": "hp-b",
                "name": "乙小学",
                "level": "primary",
                "zones": [rule("hp-b", numbers={"from": split + 2, "parity": "odd"})],
            },
            {
                "id": "hp-c",
                "name": "丙小学",
                "level": "primary",
                "zones": [rule("hp-c", numbers={"parity": "even"}, sides="even")],
            },
        ],
    }


def test_interpolation_fills_the_even_side(city):
    a = city["basemap"].addresses
    evens = sorted(a.loc[a["number"].notna() & (a["number"] % 2 == 0), "number"].astype(int))
    assert evens == list(range(2, 2 * city["count"] + 1, 2))
    assert (a["kind"] == "interpolated").sum() > 5


def test_a_house_number_lookup_answers_the_right_school(city):
    split = 2 * (city["count"] // 2) + 1  # an odd number near the middle
    spec = _spec(split)
    result = digitise(spec, city["basemap"])
    assert [r["status"] for r in result.rules] == ["ok", "ok", "ok"], result.rules
    zones = result.zones
    g = Gazetteer.from_data(basemap=city["path"])
    cases = {3: "hp-a", split: "hp-a", split + 2: "hp-b", 2 * city["count"] - 1: "hp-b"}
    cases.update({2: "hp-c", 8: "hp-c", 2 * city["count"]: "hp-c"})
    for number, school in cases.items():
        text = f"上海市黄浦区福州路{number}号"
        geo = g.geocode(text)
        assert geo["level"] == "house_number", (number, geo)
        assert "map house number" in geo["point_source"]
        answer = lookup_address(text, spec=spec, zones=zones, gazetteer=g)
        got = [s["school_id"] for s in answer["primary"]]
        assert got == [school], (number, got, answer.get("warnings"))


def test_sub_numbers_and_interpolated_numbers_have_their_level(city):
    g = Gazetteer.from_data(basemap=city["path"])
    sub = g.geocode("上海市黄浦区福州路5号之1")
    main = g.geocode("上海市黄浦区福州路5号")
    assert sub["level"] == main["level"] == "house_number"
    assert (sub["lon"], sub["lat"]) == (main["lon"], main["lat"])
    a = city["basemap"].addresses
    six = a[(a["number"] == 6)]
    assert list(six["kind"]) == ["interpolated"]  # from the addr:interpolation way
    got = g.geocode("上海市黄浦区福州路6号")
    assert got["level"] == "house_number"
    assert abs(got["lon"] - six.geometry.iloc[0].x) < 1e-6
    assert abs(got["lat"] - six.geometry.iloc[0].y) < 1e-6


def test_a_number_the_street_does_not_reach_is_not_a_house(city):
    g = Gazetteer.from_data(basemap=city["path"])
    far = g.geocode("上海市黄浦区福州路9999号")
    assert far["level"] != "house_number"
    gated = g.geocode("上海市黄浦区福州路9999号", min_level="house_number")
    assert gated["lon"] is None and gated["reason_code"] == "below_min_level"


def test_the_cli_geocodes_a_house_number_in_the_imported_city(city, capsys):
    import json

    from geo_enroll.cli import main

    code = main(
        ["address", "geocode", "上海市黄浦区福州路7号", "--basemap", str(city["path"]), "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["level"] == "house_number" and out["lon"] is not None
    a = city["basemap"].addresses
    seven = a[a["number"] == 7].geometry.iloc[0]
    assert abs(out["lon"] - seven.x) < 1e-6 and abs(out["lat"] - seven.y) < 1e-6


def test_the_address_index_never_invents_a_house():
    import geopandas as gpd
    from shapely.geometry import Point

    from geo_enroll.geocode.streets import AddressIndex

    pts = [  # 人民路 1 and 3 here; another 人民路 3 km away also has a 5
        ("人民路", "1", Point(121.470, 31.230)),
        ("人民路", "3", Point(121.4702, 31.230)),
        ("人民路", "9", Point(121.500, 31.230)),
        ("人民路", "13", Point(121.5004, 31.230)),
        ("人民路", "7", Point(121.470, 31.230)),  # 7 twice, 3 km apart
        ("人民路", "7", Point(121.500, 31.2301)),
    ]
    frame = gpd.GeoDataFrame(
        {
            "street": [p[0] for p in pts],
            "housenumber": [p[1] for p in pts],
            "number": [int(p[1]) for p in pts],
            "name": [""] * len(pts),
            "kind": ["house"] * len(pts),
        },
        geometry=[p[2] for p in pts],
        crs=4326,
    )
    idx = AddressIndex(frame)
    assert idx.house("人民路", "1")["how"] == "exact"
    assert idx.house("人民路", "7") is None  # one number in two places
    assert idx.house("人民路", "5") is None  # 3 and 9 are 3 km apart: no interpolation
    assert idx.house("人民路", "11")["how"] == "interpolated"  # 9 and 13 are 40 m apart
    assert idx.house("人民路", "15") is None  # beyond the street's numbers
    assert idx.house("人民路", "2") is None  # no even numbers at all
    assert idx.house("人民路", "abc") is None and idx.house("", "1") is None


def test_a_compound_mapped_as_a_multipolygon_is_kept(tmp_path):
    """Chinese 小区 are often multipolygon relations: the importer keeps them as compounds."""
    osm = tmp_path / "mp.osm"
    corners = [(31.2300, 121.4700), (31.2300, 121.4720), (31.2320, 121.4720), (31.2320, 121.4700)]
    hole = [(31.2305, 121.4705), (31.2305, 121.4710), (31.2310, 121.4710), (31.2310, 121.4705)]
    nodes = "".join(
        f'<node id="{i + 1}" lat="{lat}" lon="{lon}"/>'
        for i, (lat, lon) in enumerate(corners + hole)
    )
    osm.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><osm version=\"0.6\">"
        + nodes
        + '<node id="20" lat="31.229" lon="121.469"/><node id="21" lat="31.229" lon="121.473"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>'
        '<way id="2"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/></way>'
        '<way id="3"><nd ref="20"/><nd ref="21"/><tag k="highway" v="residential"/>'
        '<tag k="name" v="示例路"/></way>'
        '<relation id="9"><member type="way" ref="1" role="outer"/>'
        '<member type="way" ref="2" role="inner"/><tag k="type" v="multipolygon"/>'
        '<tag k="landuse" v="residential"/><tag k="name" v="示例花园"/>'
        '<tag k="alt_name" v="示例花园小区"/></relation></osm>',
        encoding="utf-8",
    )
    bm = import_osm(osm)
    (row,) = bm.landmarks.itertuples()
    assert row.name == "示例花园" and row.kind == "compound" and "示例花园小区" in row.aliases
    (part,) = getattr(row.geometry, "geoms", [row.geometry])
    assert len(part.interiors) == 1  # the courtyard hole is kept
    spec = {
        "schools": [
            {
                "id": "c",
                "name": "c",
                "level": "primary",
                "zones": [
                    {
                        "rule_id": "c-r1",
                        "kind": "compound",
                        "name": "示例花园小区",
                        "source": {"text": "示例花园小区", "line": 1},
                    }
                ],
            }
        ]
    }
    result = digitise(spec, bm)
    assert result.rules[0]["status"] == "ok" and len(result.zones) == 1
