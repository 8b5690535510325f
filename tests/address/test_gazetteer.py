"""The offline gazetteer: levels, points, the precision gate, honesty about coarse matches."""

from __future__ import annotations

import time

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo_enroll.address import load_divisions, parse_address
from geo_enroll.errors import GeocodeError
from geo_enroll.geocode import LEVEL_RANK, RESULT_KEYS, load_default_gazetteer
from geo_enroll.settings import data_dir

from .conftest import CHANGSHENG, GUANGMING, HEYAN, HUANHEBEI, NANJIAO

DIV = load_divisions()


@pytest.fixture(scope="module")
def county_outline():
    g = gpd.read_file(data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson")
    return g[g["gb"].astype(str).str.endswith("152527")].geometry.iloc[0]


def _m(p1, p2):
    """Rough metres between two lon/lat points at 42° N."""
    return ((p1.x - p2.x) * 82_700) ** 2 + ((p1.y - p2.y) * 111_000) ** 2


def test_village_from_must_show(plain_gazetteer, county_outline):
    r = plain_gazetteer.geocode("太仆寺旗千斤沟镇东滩村")
    assert r["level"] == "village"
    assert DIV.units[r["code"]].name.startswith("东滩")
    assert r["code"].startswith(r["township_code"]) and r["village_code"] == r["code"]
    assert county_outline.contains(Point(r["lon"], r["lat"]))
    assert r["schematic"] is True  # no real village points exist
    assert set(RESULT_KEYS) <= set(r)


def test_every_village_point_is_inside_its_county_and_deterministic(
    plain_gazetteer, county_outline
):
    codes = [c for c in DIV.village_keys if c.startswith("152527")]
    assert len(codes) > 150
    pts = [plain_gazetteer._admin_point(c)[0] for c in codes]
    assert all(county_outline.contains(p) for p in pts)
    assert len({(p.x, p.y) for p in pts}) == len(pts)  # distinct, so not all at one centroid
    again = type(plain_gazetteer).from_data(basemap=False)
    assert [again._admin_point(c)[0] for c in codes[:20]] == pts[:20]


def test_village_points_fall_in_the_township_polygon_of_the_base_map(toy_gazetteer, toy_basemap):
    areas = gpd.read_file(toy_basemap, layer="areas")
    qjg = areas[areas["code"] == "152527101"].geometry.iloc[0]
    r = toy_gazetteer.geocode("千斤沟镇东滩村")
    assert r["level"] == "village" and qjg.contains(Point(r["lon"], r["lat"]))


def test_basemap_street_gives_road_or_better_near_the_street(toy_gazetteer):
    r = toy_gazetteer.geocode("太仆寺旗宝昌镇光明大街")
    assert r["level"] == "road" and LEVEL_RANK[r["level"]] >= LEVEL_RANK["road"]
    assert GUANGMING.distance(Point(r["lon"], r["lat"])) < 1e-6
    r = toy_gazetteer.geocode("宝昌镇光明街3号")  # alias, no number range on this street
    assert r["level"] == "road" and r["coarse"] and "3号" in r["unmatched"]


def test_house_numbers_interpolate_monotonically_along_the_street(toy_gazetteer):
    lats = []
    for n in (1, 11, 21, 31, 41):
        r = toy_gazetteer.geocode(f"太仆寺旗宝昌镇河沿街{n}号")
        assert r["level"] == "house_number"
        # a house stands Settings.house_offset_m (12 m) off the centre line, never on it
        off_m = HEYAN.distance(Point(r["lon"], r["lat"])) * 111_320 * 0.75  # ~cos(41.9°)
        assert 6 < off_m < 14
        lats.append(r["lat"])
    assert lats == sorted(lats) and lats[0] < lats[-1]
    r = toy_gazetteer.geocode("太仆寺旗宝昌镇河沿街500号")  # outside the range: road only
    assert r["level"] == "road" and r["coarse"]


def test_seed_notice_address_on_the_base_map(toy_gazetteer):
    r = toy_gazetteer.geocode("太仆寺旗宝昌镇河沿街5组14号")
    assert r["level"] == "house_number" and r["group"] == "5组"
    assert r["township_code"] == parse_address("宝昌镇")["codes"]["township"]


def test_road_name_containing_a_place_is_a_road(toy_gazetteer):
    r = toy_gazetteer.geocode("宝昌镇环河北路")
    assert r["level"] == "road" and r["matched"]["road"] == "环河北路"
    assert HUANHEBEI.distance(Point(r["lon"], r["lat"])) < 1e-6
    assert "province" in r["matched"] and r["matched"]["province"] != "河北省"


def test_compound_and_community(toy_gazetteer):
    r = toy_gazetteer.geocode("太仆寺旗宝昌镇昌盛园小区5号楼")
    assert r["level"] == "compound" and CHANGSHENG.contains(Point(r["lon"], r["lat"]))
    r = toy_gazetteer.geocode("宝昌镇南郊社区")
    assert r["level"] == "village" and r["code"] == r["village_code"]
    assert NANJIAO.contains(Point(r["lon"], r["lat"]))


def test_outside_the_gazetteer_no_finer_point_than_matched(toy_gazetteer):
    r = toy_gazetteer.geocode("北京市朝阳区建国路1号")
    assert r["level"] == "county" and r["code"] == "110105"
    assert r["lon"] is None and r["lat"] is None
    assert r["reason_code"] == "outside_gazetteer" and "建国路" in r["reason"]
    assert r["coarse"] and "road" not in r["matched"]
    # a street of the same name as a base-map street, in another county, is not matched
    r = toy_gazetteer.geocode("北京市朝阳区光明大街1号")
    assert "road" not in r["matched"] and r["lon"] is None


def test_precision_gate(plain_gazetteer):
    r = plain_gazetteer.geocode("太仆寺旗千斤沟镇", min_level="village")
    assert r["level"] == "township" and r["lon"] is None
    assert r["reason_code"] == "below_min_level"
    assert plain_gazetteer.geocode("太仆寺旗千斤沟镇", min_level="township")["lon"] is not None
    with pytest.raises(GeocodeError):
        plain_gazetteer.geocode("太仆寺旗", min_level="street")


def test_coarse_match_is_reported_as_coarse(plain_gazetteer):
    r = plain_gazetteer.geocode("太仆寺旗宝昌镇河沿街5组14号")
    assert r["level"] == "township" and r["coarse"] is True
    assert r["reason_code"] == "coarse" and "河沿街" in r["unmatched"]
    assert r["confidence"] < plain_gazetteer.geocode("太仆寺旗千斤沟镇东滩村")["confidence"]


def test_township_points_use_real_town_seats_where_known(plain_gazetteer):
    r = plain_gazetteer.geocode("太仆寺旗宝昌镇")
    assert (r["lon"], r["lat"]) == (115.27889, 41.88444) and not r["schematic"]


@pytest.mark.parametrize(
    "text", ["", " ", "\x00\x1b", "😀", "a" * 10_000, "宝" * 10_000, "Main Street 5",
             "北京 Beijing 朝阳区", "广东省深圳市南山区科技园", None, 3.5],
)  # fmt: skip
def test_bad_input_never_raises_and_is_fast(plain_gazetteer, text):
    t0 = time.perf_counter()
    r = plain_gazetteer.geocode(text)
    assert time.perf_counter() - t0 < 0.5
    assert r["lon"] is None
    assert r["reason"] and r["reason_code"]


def test_geocode_many_keeps_order_and_index(toy_gazetteer):
    s = pd.Series(["宝昌镇河沿街1号", "", "北京市朝阳区", "宝昌镇河沿街41号", "宝昌镇河沿街1号"],
                  index=[10, 3, 7, 1, 99])  # fmt: skip
    df = toy_gazetteer.geocode_many(s)
    assert list(df.index) == list(s.index) and list(df["input"]) == list(s)
    assert df.loc[10, "lat"] == df.loc[99, "lat"] and df.loc[10, "lat"] < df.loc[1, "lat"]
    assert df.loc[3, "reason_code"] == "empty"


def test_results_do_not_depend_on_call_order(toy_basemap):
    from geo_enroll.geocode import Gazetteer

    texts = ["千斤沟镇东滩村", "宝昌镇河沿街9号", "太仆寺旗红旗镇", "延庆区康庄镇小丰营村"]
    a = Gazetteer.from_data(basemap=toy_basemap).geocode_many(texts)
    b = Gazetteer.from_data(basemap=toy_basemap).geocode_many(texts[::-1])
    pd.testing.assert_frame_equal(a, b.iloc[::-1].reset_index(drop=True))


def test_default_gazetteer_is_cached():
    assert load_default_gazetteer() is load_default_gazetteer()


def test_basemap_geometry_is_valid_input(toy_basemap):
    streets = gpd.read_file(toy_basemap, layer="streets")
    assert shapely.is_valid(streets.geometry).all()


def test_odd_and_even_house_numbers_stand_on_opposite_sides(toy_gazetteer):
    """左单右双: odd numbers on one side of the street, even on the other."""
    import shapely

    sides = set()
    for n in (11, 12):
        r = toy_gazetteer.geocode(f"太仆寺旗宝昌镇河沿街{n}号")
        p = Point(r["lon"], r["lat"])
        nearest = shapely.ops.nearest_points(HEYAN, p)[0]
        sides.add((p.x - nearest.x > 0, p.y - nearest.y > 0))
    assert len(sides) == 2
