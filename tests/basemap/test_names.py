"""The street-name index matches names the way policies write them."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString

from geo_enroll.basemap.names import NameIndex, normalize_name


def _index(rows):
    names, districts = zip(*rows, strict=False)
    return NameIndex(
        gpd.GeoDataFrame(
            {"name": list(names), "aliases": [""] * len(rows), "district": list(districts)},
            geometry=[LineString([(0, 0), (1, 1)])] * len(rows),
            crs=4326,
        )
    )


def test_qualifiers_are_stripped():
    idx = _index([("人民南路", "武侯区"), ("一环路南三段", "武侯区")])
    assert idx.lookup("人民南路（武侯段）").names == ["人民南路"]
    assert idx.lookup("人民南路(单号)").how == "normalized"
    assert normalize_name("２０７国道") == "207国道"


def test_a_road_named_by_its_whole():
    idx = _index([("延安东路", ""), ("延安中路", ""), ("延安西路", ""), ("延安高架路", "")])
    assert sorted(idx.lookup("延安路").names) == ["延安东路", "延安中路", "延安西路"]


def test_parallel_lines_of_one_name_all_match():
    idx = _index([("西藏中路", ""), ("西藏中路", "")])
    assert idx.lookup("西藏中路").rows == [0, 1]


def test_names_are_scoped_to_the_district_first():
    idx = _index([("人民路", "黄浦区"), ("人民路", "静安区")])
    assert idx.lookup("人民路", district="静安区").rows == [1]
    assert idx.lookup("人民路", district="徐汇区").rows == [0, 1]  # nowhere local: all


def test_unknown_names_come_with_candidates():
    idx = _index([("解放大街", ""), ("解放路", ""), ("和平街", "")])
    miss = idx.lookup("解放大道")
    assert not miss.found and "解放大街" in miss.candidates
