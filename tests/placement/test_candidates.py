"""Candidate schools: admin units by code, polygons by spatial join, the shared-edge rule."""

import copy

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo_enroll.datasets import (
    toy_gazetteer,
    toy_school_points,
    toy_spec,
    toy_xy_to_lonlat,
    toy_zones,
)
from geo_enroll.placement.candidates import ZoneIndex, candidate_schools, resolve_school


def _geo(x, y, **codes):
    lon, lat = toy_xy_to_lonlat(x, y)
    return {"lon": lon, "lat": lat, "input": codes.pop("input", ""), **codes}


def _zone_ids(geo, level="primary", index=None, **kw):
    index = index or ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    return [m["school_id"] for m in candidate_schools(geo, level, index=index, **kw)["zone"]]


def test_street_zones_and_compound_beats_street():
    assert _zone_ids(_geo(800, 700)) == ["toy-p1"]
    assert _zone_ids(_geo(200, 700)) == ["toy-p2"]
    assert _zone_ids(_geo(600, 150)) == ["toy-p2"]  # 花园小区 inside 东区 goes to 西小学
    assert _zone_ids(_geo(800, 700), "middle") == ["toy-m1"]


@pytest.mark.parametrize("y", [0.0, 137.0, 500.0, 999.0])
def test_a_point_on_the_shared_edge_gets_exactly_one_zone_the_nearest_school(y):
    geo = _geo(500, y)
    index = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    got = candidate_schools(geo, "primary", index=index)
    assert len(got["zone"]) == 1
    d = {s: index.school_distance(got["xy"], s) for s in ("toy-p1", "toy-p2")}
    assert got["zone"][0]["school_id"] == min(d, key=lambda s: (d[s], s))
    assert got["edge_m"] == pytest.approx(0.0, abs=0.01)  # projection: micrometres
    # moving the schools flips the answer: the rule is "nearest school", not a fixed side
    pts = toy_school_points()
    pts.loc[pts.school_id == "toy-p1", "geometry"] = Point(toy_xy_to_lonlat(520, y))
    pts.loc[pts.school_id == "toy-p2", "geometry"] = Point(toy_xy_to_lonlat(0, 2000))
    assert _zone_ids(geo, index=ZoneIndex(toy_spec(), toy_zones(), school_points=pts)) == ["toy-p1"]


def test_just_inside_is_not_the_edge_case():
    assert _zone_ids(_geo(499.5, 300)) == ["toy-p2"]
    assert _zone_ids(_geo(500.5, 300)) == ["toy-p1"]


def test_admin_units_by_code_group_and_alternatives():
    village = {"village_code": "999999100200", "township_code": "999999100"}
    one = _geo(2500, 500, group="一社", **village)
    two = _geo(2500, 700, group="2组", **village)
    index = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    assert _zone_ids(one, index=index) == ["toy-p2"]
    assert _zone_ids(two, index=index) == ["toy-p1"]
    c = candidate_schools(one, "primary", index=index)
    assert [m["school_id"] for m in c["optional"]] == ["toy-p1"]  # 河湾村 may also choose 东小学
    # no group in the address: both group zones listed, with a warning
    c = candidate_schools(_geo(2500, 600, **village), "primary", index=index)
    assert {m["school_id"] for m in c["zone"]} == {"toy-p1", "toy-p2"} and c["warnings"]
    assert _zone_ids(_geo(2500, 600, **village), "middle", index=index) == ["toy-m1"]


def test_more_specific_admin_unit_wins_and_sub_area_needs_its_name():
    spec = copy.deepcopy(toy_spec())
    src = {"text": "x", "line": 1}
    spec["schools"][0]["zones"].append(
        {
            "rule_id": "toy-p1-r09",
            "kind": "admin_units",
            "source": src,
            "units": [{"name": "河湾村", "code": "999999100200", "sub_area": "禹仁围子"}],
        }
    )
    spec["schools"][1]["zones"].append(
        {
            "rule_id": "toy-p2-r09",
            "kind": "admin_units",
            "source": src,
            "units": [{"name": "玩具镇", "code": "999999100"}],
        }
    )
    index = ZoneIndex(spec, toy_zones())
    base = {"village_code": "999999100200", "township_code": "999999100", "group": "一社"}
    assert _zone_ids(_geo(2500, 500, input="玩具镇河湾村禹仁围子一社", **base), index=index) == [
        "toy-p1"
    ]
    assert _zone_ids(_geo(2500, 500, input="玩具镇河湾村一社", **base), index=index) == ["toy-p2"]
    other = {"village_code": "999999100299", "township_code": "999999100"}
    assert _zone_ids(_geo(2600, 900, **other), index=index) == ["toy-p2"]  # township level


def test_free_choice_multi_school_and_property_basis():
    spec = copy.deepcopy(toy_spec())
    src = {"text": "x", "line": 1}
    spec["schools"][2]["zones"].append(
        {
            "rule_id": "toy-m1-r09",
            "kind": "free_choice",
            "scope": "anyone",
            "units": [],
            "source": src,
        }
    )
    spec["schools"][0]["zones"].append(
        {
            "rule_id": "toy-p1-r10",
            "kind": "multi_school",
            "source": src,
            "schools": ["toy-p1", "toy-p2"],
            "units": [{"name": "X", "code": "999999100777"}],
        }
    )
    index = ZoneIndex(spec, toy_zones(), school_points=toy_school_points())
    c = candidate_schools(_geo(800, 700), "middle", index=index)
    assert [m["school_id"] for m in c["zone"]] == ["toy-m1"]
    multi = _geo(3000, 3000, village_code="999999100777", township_code="999999100")
    assert set(_zone_ids(multi, index=index)) == {"toy-p1", "toy-p2"}
    # property basis: only schools with a 购房 rule, in their own zones
    prop = candidate_schools(_geo(800, 700), "primary", index=index, basis="property_in_zone")
    assert [(m["school_id"], m["kind"]) for m in prop["zone"]] == [("toy-p1", "property_rule")]
    assert (
        candidate_schools(_geo(800, 700), "middle", index=index, basis="property_in_zone")["zone"]
        == []
    )


def test_geocoded_addresses_and_unlocated_ones():
    g = toy_gazetteer()
    assert _zone_ids(g.geocode("玩具镇中街31号")) == ["toy-p1"]
    assert _zone_ids(g.geocode("玩具镇中街32号")) == ["toy-p2"]
    assert _zone_ids(g.geocode("玩具镇火星路1号")) == []


def test_zones_without_crs_are_refused():
    from geo_enroll.errors import CRSError

    z = gpd.GeoDataFrame(toy_zones().drop(columns="geometry"), geometry=list(toy_zones().geometry))
    with pytest.raises(CRSError):
        ZoneIndex(toy_spec(), z)


def test_resolve_school_by_any_name():
    spec = toy_spec()
    assert {resolve_school(spec, t) for t in ("toy-p1", "东小学", "东小", "9900000001")} == {
        "toy-p1"
    }
    assert resolve_school(spec, "不存在的学校") is None


def test_centimetres_outside_a_zone_count_as_its_edge_only_between_zones():
    from geo_enroll.placement.candidates import EDGE_TOLERANCE_M

    # outside the zoned area: the tolerance never hands out a school (issue 16 item 4)
    inside_tol = -EDGE_TOLERANCE_M / 2
    assert _zone_ids(_geo(inside_tol, 300)) == []
    assert _zone_ids(_geo(-3 * EDGE_TOLERANCE_M - 1, 300)) == []
    # a sliver between two zones (rounded coordinates): on their edge, nearest school
    from shapely.geometry import Polygon

    from geo_enroll.datasets.toy import toy_xy_to_lonlat as ll

    z = toy_zones()
    west = z["rule_id"] == "toy-p2-r01"
    x1 = 500 - EDGE_TOLERANCE_M / 2
    z.loc[west, "geometry"] = Polygon([ll(0, 0), ll(x1, 0), ll(x1, 1000), ll(0, 1000)])
    index = ZoneIndex(toy_spec(), z, school_points=toy_school_points())
    got = candidate_schools(_geo(500 - EDGE_TOLERANCE_M / 8, 300), "primary", index=index)
    assert len(got["zone"]) == 1 and got["zone"][0]["school_id"] in ("toy-p1", "toy-p2")
