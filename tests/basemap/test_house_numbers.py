"""Street lists on a real map with house numbers (central Helsinki, OpenStreetMap, ODbL).

The numbers' side and direction are learnt from the map's ``addr:housenumber`` points, and a
range is cut between numbers.  The checks are invariants against the map's own addresses, not
hard-coded answers: an odd address of the range lies in the odd strip of its school, an even
one does not, and two schools the text keeps apart do not overlap.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.ops
from shapely.geometry import LineString, Point

from geo_enroll.basemap.importers import import_osm
from geo_enroll.basemap.layers import BaseMap, read_basemap, write_basemap
from geo_enroll.diagnostics import build_report
from geo_enroll.digitise import digitise

from .conftest import DATA

HELSINKI = DATA / "helsinki_centre.osm.pbf"
STREET = "Annankatu"


@pytest.fixture(scope="module")
def helsinki():
    return import_osm(HELSINKI)


def _rule(rid, street, **kw):
    return {
        "rule_id": rid,
        "kind": "street_list",
        "street": street,
        "source": {"text": street, "line": 1},
        **kw,
    }


def _spec(*schools):
    return {
        "schools": [
            {"id": sid, "name": sid, "level": "primary", "zones": list(zones)}
            for sid, zones in schools
        ]
    }


def _on_street(bm, result, street, reach=40.0):
    """The map's numbered addresses of ``street`` within ``reach`` of it (working CRS)."""
    streets = bm.streets.to_crs(result.crs)
    line = shapely.unary_union(list(streets[streets["name"] == street].geometry))
    a = bm.addresses.to_crs(result.crs)
    a = a[(a["street"] == street) & a["number"].notna()]
    a = a[a.geometry.distance(line) < reach]
    # not past the ends of the mapped street (the extract is clipped; houses go on beyond it)
    ends = line.boundary
    return a[[ends.distance(shapely.ops.nearest_points(line, p)[0]) > 1.0 for p in a.geometry]]


def _zones(result):
    z = result.zones.to_crs(result.crs)
    return dict(zip(z["rule_id"], z.geometry, strict=True))


def test_the_import_keeps_house_numbers_and_places(helsinki):
    a = helsinki.addresses
    assert len(a) > 1000
    numbered = a[a["number"].notna()]
    assert set(numbered["kind"]) >= {"house", "building"}
    assert (numbered["housenumber"].str.len() > 0).all()
    assert len(a[a["kind"] == "poi"]) > 100  # named places an address can name
    # the layer survives a GeoPackage round trip
    assert len(helsinki.addresses) > 0


def test_round_trip_keeps_the_address_layer(helsinki, tmp_path):
    path = write_basemap(helsinki, tmp_path / "h.gpkg")
    back = read_basemap(path)
    assert len(back.addresses) == len(helsinki.addresses)
    assert back.addresses["number"].dropna().astype(int).sum() == int(
        helsinki.addresses["number"].dropna().astype(int).sum()
    )


def test_odd_side_learnt_from_the_map(helsinki):
    spec = _spec(
        ("odd", [_rule("odd-r1", STREET, numbers={"parity": "odd"}, sides="odd")]),
        ("even", [_rule("even-r1", STREET, numbers={"parity": "even"}, sides="even")]),
    )
    result = digitise(spec, helsinki)
    for r in result.rules:
        assert r["status"] == "ok", r["issues"]
        assert any(i["type"] == "numbering" and "learnt from" in i["message"] for i in r["issues"])
    zones = _zones(result)
    addr = _on_street(helsinki, result, STREET)
    odd = addr["number"].astype(int) % 2 == 1
    in_odd = addr.geometry.within(zones["odd-r1"])
    in_even = addr.geometry.within(zones["even-r1"])
    assert odd.sum() > 20 and (~odd).sum() > 20
    assert (in_odd[odd]).mean() > 0.9 and (in_even[~odd]).mean() > 0.9
    assert (in_odd & in_even).sum() == 0
    assert zones["odd-r1"].intersection(zones["even-r1"]).area < 1.0


def test_a_range_is_cut_between_numbers(helsinki):
    probe = digitise(_spec(("x", [_rule("x-r1", STREET)])), helsinki)
    addr = _on_street(helsinki, probe, STREET)
    odds = sorted({int(n) for n in addr["number"] if int(n) % 2 == 1})
    split = odds[len(odds) // 2]  # A: odd numbers up to split, B: the open range after it
    spec = _spec(
        ("A", [_rule("A-r1", STREET, numbers={"from": 1, "to": split, "parity": "odd"})]),
        ("B", [_rule("B-r1", STREET, numbers={"from": split + 2, "parity": "odd"})]),
    )
    for school in spec["schools"]:
        school["zones"][0]["sides"] = "odd"
    result = digitise(spec, helsinki)
    assert [r["status"] for r in result.rules] == ["ok", "ok"], result.rules
    zones = _zones(result)
    assert zones["A-r1"].intersection(zones["B-r1"]).area < 1.0
    numbers = addr["number"].astype(int)
    odd = numbers % 2 == 1
    in_a, in_b = addr.geometry.within(zones["A-r1"]), addr.geometry.within(zones["B-r1"])
    assert in_a[odd & (numbers <= split)].mean() > 0.9
    assert in_b[odd & (numbers > split)].mean() > 0.9
    assert not in_a[odd & (numbers > split)].any()
    assert not in_b[odd & (numbers <= split)].any()
    assert not (in_a | in_b)[~odd].any()  # the even side is nobody's here


def test_a_number_the_map_cannot_place_is_never_ok(helsinki):
    spec = _spec(
        ("far", [_rule("far-r1", STREET, numbers={"from": 901, "to": 999, "parity": "odd"})]),
        ("long", [_rule("long-r1", STREET, numbers={"from": 1, "to": 999, "parity": "odd"})]),
    )
    result = digitise(spec, helsinki)
    far, long = result.rules
    assert far["status"] == "not_closed"
    assert any("cannot be placed" in i["message"] for i in far["issues"])
    assert long["status"] == "closed_with_issues"
    assert any(i["type"] == "numbers_not_placed" and "999" in i["message"] for i in long["issues"])


def test_crossing_streets_of_two_schools_share_no_corner(helsinki):
    streets = helsinki.streets
    a, b = "Annankatu", "Bulevardi"
    assert shapely.unary_union(list(streets[streets["name"] == a].geometry)).intersects(
        shapely.unary_union(list(streets[streets["name"] == b].geometry))
    )
    result = digitise(_spec(("A", [_rule("A-r1", a)]), ("B", [_rule("B-r1", b)])), helsinki)
    zones = _zones(result)
    assert zones["A-r1"].intersection(zones["B-r1"]).area < 1.0
    assert any(i["type"] == "corner_split" for r in result.rules for i in r["issues"])
    report = build_report(result)
    assert report["levels"]["primary"]["overlaps"] == []


def test_the_same_stretch_named_twice_is_a_listed_overlap(helsinki):
    spec = _spec(
        ("A", [_rule("A-r1", STREET, numbers={"from": 1, "to": 21, "parity": "odd"})]),
        ("B", [_rule("B-r1", STREET, numbers={"from": 15, "to": 31, "parity": "odd"})]),
    )
    report = build_report(digitise(spec, helsinki))
    overlaps = report["levels"]["primary"]["overlaps"]
    assert overlaps and all(sorted(o["rules"]) == ["A-r1", "B-r1"] for o in overlaps)


# -- names: sections, distant pieces, the spec's side ------------------------------------


def _toy(names_and_lines, **extra):
    import geopandas as gpd

    names, lines = zip(*names_and_lines, strict=True)
    streets = gpd.GeoDataFrame({"name": list(names)}, geometry=list(lines), crs=32651).to_crs(4326)
    return BaseMap.from_layers(streets=streets, meta={"source": "toy"}, **extra)


def _line(x0, y0, x1, y1):
    return LineString([(500000 + x0, 3450000 + y0), (500000 + x1, 3450000 + y1)])


def test_sections_are_different_streets_and_a_bare_name_says_which_it_used():
    bm = _toy(
        [("长青路三段", _line(0, 0, 400, 0)), ("长青路四段", _line(400, 0, 800, 0))],
    )
    spec = _spec(
        ("A", [_rule("A-r1", "长青路")]),
        ("B", [_rule("B-r1", "长青路三段")]),
        ("C", [_rule("C-r1", "长青路五段")]),
    )
    result = digitise(spec, bm)
    bare, third, fifth = result.rules
    note = next(i for i in bare["issues"] if i["type"] == "sections_used")
    assert "长青路三段" in note["message"] and "长青路四段" in note["message"]
    assert bare["status"] == "closed_with_issues"
    assert third["status"] == "ok" and fifth["status"] == "unresolved"
    zones = _zones(result)
    assert zones["B-r1"].area == pytest.approx(zones["A-r1"].area / 2, rel=0.05)


def test_a_section_the_spec_lost_is_read_back_from_the_text():
    bm = _toy([("长青路", _line(0, 0, 400, 0)), ("长青路三段", _line(0, 500, 400, 500))])
    rule = _rule("A-r1", "长青路")
    rule["fragment"] = "长青路三段（双号）"
    result = digitise(_spec(("A", [rule])), bm)
    zone = _zones(result)["A-r1"]
    crs_y = [y for _, y in shapely.get_coordinates(zone)]
    assert min(crs_y) > 3450000 + 400  # drawn along 三段, not along 长青路
    assert any(i["type"] == "section_from_text" for i in result.rules[0]["issues"])


def test_distant_pieces_of_one_name_are_reported_never_ok():
    bm = _toy([("人民路", _line(0, 0, 600, 0)), ("人民路", _line(20000, 0, 20300, 0))])
    result = digitise(_spec(("A", [_rule("A-r1", "人民路")])), bm)
    rule = result.rules[0]
    assert rule["status"] == "closed_with_issues"
    note = next(i for i in rule["issues"] if i["type"] == "distant_pieces")
    assert "2 pieces" in note["message"]
    zone = _zones(result)["A-r1"]
    assert zone.bounds[2] < 500000 + 1000  # the longer piece only


def test_the_specs_side_field_is_read():
    bm = _toy([("南北路", _line(0, 0, 0, 600))])
    rule = _rule("A-r1", "南北路", sides="one", side="east")
    result = digitise(_spec(("A", [rule])), bm)
    zone = _zones(result)["A-r1"]
    assert result.rules[0]["status"] == "ok", result.rules[0]["issues"]
    xs = shapely.get_coordinates(zone)[:, 0]
    assert xs.min() > 500000 - 1 and xs.max() > 500000 + 40  # east of the street only


def test_no_numbers_on_the_map_uses_the_policy_rule_and_says_so():
    bm = _toy([("东西路", _line(0, 0, 600, 0)), ("南北路", _line(-300, -300, -300, 300))])
    spec = _spec(
        ("A", [_rule("A-r1", "东西路", numbers={"parity": "odd"}, sides="odd")]),
        ("B", [_rule("B-r1", "东西路", numbers={"parity": "even"}, sides="even")]),
    )
    result = digitise(spec, bm)
    zones = _zones(result)
    for r in result.rules:
        assert r["status"] == "closed_with_issues"
        assert any(i["type"] == "numbering_assumed" for i in r["issues"])
    assert zones["A-r1"].intersection(zones["B-r1"]).area < 1.0
    # number 1 is at the end nearer the map's centre (the west end here): facing east, the
    # odd side (左单右双) is the north side
    cy = np.mean(shapely.get_coordinates(zones["A-r1"])[:, 1])
    assert cy > 3450000


def test_interpolation_ways_become_house_numbers(tmp_path):
    osm = tmp_path / "interp.osm"
    osm.write_text(
        """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="31.2300" lon="121.4700"/>
 <node id="2" lat="31.2300" lon="121.4800"/>
 <node id="3" lat="31.2301" lon="121.4700"><tag k="addr:housenumber" v="1"/>
  <tag k="addr:street" v="示例路"/></node>
 <node id="4" lat="31.2301" lon="121.4800"><tag k="addr:housenumber" v="21"/>
  <tag k="addr:street" v="示例路"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/>
  <tag k="name" v="示例路"/><tag k="alt_name" v="旧路;老示例路"/><tag k="old_name" v="前进路"/>
  <tag k="ref" v="S308"/></way>
 <way id="11"><nd ref="3"/><nd ref="4"/><tag k="addr:interpolation" v="odd"/></way>
</osm>
""",
        encoding="utf-8",
    )
    bm = import_osm(osm)
    numbers = sorted(bm.addresses["number"].dropna().astype(int))
    assert numbers == list(range(1, 22, 2))
    aliases = set(bm.streets["aliases"].iloc[0].split("|"))
    assert aliases == {"旧路", "老示例路", "前进路", "S308"}
    xs = [p.x for p in bm.addresses.sort_values("number").geometry]
    assert xs == sorted(xs)  # in order along the way
    assert Point(xs[5], 31.2301).distance(Point(121.475, 31.2301)) < 1e-6


def test_every_house_gets_the_school_its_number_names_or_none(helsinki):
    """Three schools per busy street (odd to the middle, odd after, even), dealt so that
    neighbouring streets' schools meet at corners: no house number ever answers a school its
    text does not name, and none answers two."""
    from geo_enroll.geocode.streets import AddressIndex

    a = helsinki.addresses[helsinki.addresses["number"].notna()]
    busy = a.groupby("street").size().sort_values(ascending=False).index[:6]
    schools, serves, k = {}, {}, 0
    for street in busy:
        odds = sorted({int(n) for n in a.loc[a["street"] == street, "number"] if int(n) % 2})
        split = odds[len(odds) // 2]
        for numbers, sides in (
            ({"from": 1, "to": split, "parity": "odd"}, "odd"),
            ({"from": split + 2, "parity": "odd"}, "odd"),
            ({"parity": "even"}, "even"),
        ):
            sid = f"s{k % 5}"
            rid = f"{sid}-r{k:02d}"
            k += 1
            rule = _rule(rid, street, numbers=numbers, sides=sides)
            schools.setdefault(sid, []).append(rule)
            serves[rid] = (street, sid, numbers)
    result = digitise(_spec(*sorted(schools.items())), helsinki)
    zones = result.zones.to_crs(result.crs)
    tree = shapely.STRtree(list(zones.geometry))
    index = AddressIndex(helsinki.addresses)
    checked = right = 0
    for street, number in zip(a["street"], a["number"].astype(int), strict=True):
        if street not in set(busy):
            continue
        hit = index.house(street, str(number))
        if hit is None:  # the number is in two places on the map: no point, no answer
            continue
        want = {
            sid
            for s, sid, nb in serves.values()
            if s == street
            and (number % 2 == 1) == (nb["parity"] == "odd")
            and number >= nb.get("from", 0)
            and number <= nb.get("to", 10**9)
        }
        pt = shapely.get_coordinates(gpd_point(hit["point"]).to_crs(result.crs).iloc[0])
        got = {
            zones["school_id"].iloc[int(j)]
            for j in tree.query(shapely.points(pt[0]), predicate="within")
        }
        assert got <= want, (street, number, got, want)
        checked += 1
        right += got == want
    assert checked > 300 and right > 0.85 * checked


def gpd_point(p):
    import geopandas as gpd

    return gpd.GeoSeries([p], crs=4326)


def test_a_limit_that_matches_only_sections_says_which():
    bm = _toy(
        [
            ("环城路一段", _line(0, 0, 0, 400)),
            ("环城路二段", _line(0, 400, 0, 800)),
            ("北街", _line(-400, 700, 400, 700)),
            ("南街", _line(-400, 100, 400, 100)),
            ("东街", _line(300, 0, 300, 800)),
        ]
    )
    rule = {
        "rule_id": "A-r1",
        "kind": "directional_bounds",
        "bounds": [
            {"street": "环城路", "side": "east_of"},
            {"street": "北街", "side": "south_of"},
            {"street": "南街", "side": "north_of"},
            {"street": "东街", "side": "west_of"},
        ],
        "source": {"text": "环城路以东…", "line": 1},
    }
    result = digitise(_spec(("A", [rule])), bm)
    issues = result.rules[0]["issues"]
    note = next(i for i in issues if i["type"] == "sections_used")
    assert "环城路一段" in note["message"] and "环城路二段" in note["message"]
    assert result.rules[0]["status"] == "closed_with_issues"


def test_a_list_of_numbers_takes_those_houses_on_both_sides(helsinki):
    probe = digitise(_spec(("x", [_rule("x-r1", STREET)])), helsinki)
    addr = _on_street(helsinki, probe, STREET)
    nums = sorted({int(n) for n in addr["number"]})
    odds, evens = [n for n in nums if n % 2], [n for n in nums if n % 2 == 0]
    listed = [odds[0], odds[1], evens[-2], evens[-1]]  # 成华区 style: 11号、13号、…
    rule = _rule("L-r1", STREET, numbers={"list": listed, "parity": "all"}, sides="both")
    result = digitise(_spec(("L", [rule])), helsinki)
    assert result.rules[0]["status"] == "ok", result.rules[0]["issues"]
    zone = _zones(result)["L-r1"]
    numbers = addr["number"].astype(int)
    inside = addr.geometry.within(zone)
    assert inside[numbers.isin(listed)].mean() > 0.9
    assert not inside[~numbers.isin(listed) & (numbers > odds[2]) & (numbers < evens[-3])].any()


def test_a_written_side_with_the_other_sides_numbers_is_a_conflict(helsinki):
    probe = digitise(_spec(("x", [_rule("x-r1", STREET)])), helsinki)
    addr = _on_street(helsinki, probe, STREET)
    evens = sorted({int(n) for n in addr["number"] if int(n) % 2 == 0})
    # Annankatu runs NW-SE; whichever of its sides is north-east, ask for the other parity there
    sides = {}
    for parity in ("odd", "even"):
        r = digitise(
            _spec(("p", [_rule("p-r1", STREET, sides=parity, numbers={"parity": parity})])),
            helsinki,
        )
        sides[parity] = _zones(r)["p-r1"].centroid
    ne_parity = (
        "odd" if sides["odd"].x + sides["odd"].y > sides["even"].x + sides["even"].y else "even"
    )
    listed = evens[:3] if ne_parity == "odd" else None
    if listed is None:
        odds = sorted({int(n) for n in addr["number"] if int(n) % 2 == 1})
        listed = odds[:3]
    rule = _rule(
        "c-r1", STREET, numbers={"list": listed, "parity": "all"}, sides="one", side="north"
    )
    result = digitise(_spec(("c", [rule])), helsinki)
    r = result.rules[0]
    assert r["status"] == "closed_with_issues"
    assert any(i["type"] == "side_parity_conflict" for i in r["issues"])


@pytest.mark.parametrize("street", ["光明大街", "解放大街", "民生路"])
def test_sides_on_a_range_numbered_map_agree_with_the_geocoder(schematic, street):
    """The schematic town numbers its streets by ranges: the 单号 strip and the geocoder's
    odd house points must be on the same side (one rule: 左单右双 facing increasing numbers)."""
    from geo_enroll.geocode.gazetteer import load_default_gazetteer

    spec = _spec(
        ("odd", [_rule("odd-r1", street, numbers={"parity": "odd"}, sides="odd")]),
        ("even", [_rule("even-r1", street, numbers={"parity": "even"}, sides="even")]),
    )
    result = digitise(spec, schematic)
    for r in result.rules:
        assert r["status"] == "ok", r["issues"]
        assert any("house-number ranges" in i["message"] for i in r["issues"])
    zones = result.zones.set_index("rule_id").geometry  # EPSG:4326, as the geocoder's points
    g = load_default_gazetteer()
    hits = 0
    for number in (3, 4, 11, 12, 21, 22):
        geo = g.geocode(f"太仆寺旗宝昌镇{street}{number}号")
        if geo["level"] != "house_number":
            continue
        pt = Point(geo["lon"], geo["lat"])
        want, other = ("odd-r1", "even-r1") if number % 2 else ("even-r1", "odd-r1")
        assert zones[want].contains(pt) and not zones[other].contains(pt), (street, number)
        hits += 1
    assert hits >= 4


def test_addresses_written_with_another_name_of_the_street_count(tmp_path):
    """A bilingual map: the way is name:zh=示例路 / name=Shili Road, the houses say Shili Road."""
    nodes = [
        '<node id="1" lat="31.2300" lon="121.4700"/>',
        '<node id="2" lat="31.2300" lon="121.4800"/>',
    ]
    for k in range(10):  # odd numbers north, rising eastwards
        lon = 121.4705 + k * 0.0009
        for n, lat in ((2 * k + 1, 31.2302), (2 * k + 2, 31.2298)):
            nodes.append(
                f'<node id="{100 + n}" lat="{lat}" lon="{lon:.5f}"><tag k="addr:housenumber" '
                f'v="{n}"/><tag k="addr:street" v="Shili Road"/></node>'
            )
    osm = tmp_path / "bilingual.osm"
    osm.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><osm version=\"0.6\">"
        + "".join(nodes)
        + '<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/>'
        '<tag k="name" v="Shili Road"/><tag k="name:zh" v="示例路"/></way></osm>',
        encoding="utf-8",
    )
    bm = import_osm(osm)
    assert list(bm.streets["name"]) == ["示例路"]
    rule = _rule("A-r1", "示例路", numbers={"from": 1, "to": 9, "parity": "odd"}, sides="odd")
    result = digitise(_spec(("A", [rule])), bm)
    r = result.rules[0]
    assert r["status"] == "ok", r["issues"]
    assert any(i["type"] == "numbering" and "learnt" in i["message"] for i in r["issues"])
    zone = _zones(result)["A-r1"]
    a = bm.addresses.to_crs(result.crs)
    inside = a.geometry.within(zone)
    numbers = a["number"].astype(int)
    assert inside[numbers.isin([1, 3, 5, 7, 9])].all()
    assert not inside[~numbers.isin([1, 3, 5, 7, 9])].any()
