"""Fixtures for the address tests: a toy base map of 宝昌镇 with the layer shape of the real one.

The toy map (schematic, EPSG:4326)::

    41.895 +--------------------------------+ 河
           |     环河北路 ==========          | 沿   no. 41 (north end)
           |                                 | 街
           |  [昌盛园小区]     (第一小学)     | |
    41.880 |== 光明大街 (alias 光明街) ========| |
           |  南郊社区                        | |   no. 1 (south end)
    41.875 +--------------------------------+
         115.265                         115.295

plus 千斤沟镇 as a township polygon (kind ``township``) west of the town, clipped to the real
county outline, so village points of 千斤沟镇 fall inside it.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from geo_enroll.settings import data_dir

TOWN = box(115.265, 41.875, 115.295, 41.895)
NANJIAO = box(115.265, 41.875, 115.295, 41.880)
HEYAN = LineString([(115.295, 41.875), (115.295, 41.895)])
GUANGMING = LineString([(115.265, 41.880), (115.295, 41.880)])
HUANHEBEI = LineString([(115.270, 41.890), (115.290, 41.890)])
CHANGSHENG = box(115.268, 41.884, 115.272, 41.887)


def _county():
    outlines = gpd.read_file(data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson")
    return outlines[outlines["gb"].astype(str).str.endswith("152527")].geometry.iloc[0]


@pytest.fixture(scope="session")
def toy_basemap(tmp_path_factory):
    """Path of a toy base-map GeoPackage (layers streets, landmarks, areas, schools)."""
    path = tmp_path_factory.mktemp("basemap") / "toy_baochang.gpkg"
    qjg = box(114.97, 41.89, 115.03, 41.95).intersection(_county())
    streets = gpd.GeoDataFrame(
        {
            "name": ["河沿街", "光明大街", "环河北路", "东大桥"],
            "aliases": ["河沿路", "光明街", "", ""],
            "kind": ["road", "road", "road", "bridge"],
            "from_number": [1, None, None, None],
            "to_number": [41, None, None, None],
            "schematic": [True] * 4,
        },
        geometry=[HEYAN, GUANGMING, HUANHEBEI, LineString([(115.294, 41.885), (115.296, 41.885)])],
        crs=4326,
    )
    landmarks = gpd.GeoDataFrame(
        {"name": ["昌盛园小区"], "aliases": ["昌盛园"], "kind": ["compound"], "schematic": [True]},
        geometry=[CHANGSHENG],
        crs=4326,
    )
    areas = gpd.GeoDataFrame(
        {
            "name": ["宝昌镇", "南郊社区", "千斤沟镇"],
            "aliases": ["", "南郊", ""],
            "kind": ["town", "community", "township"],
            "code": ["152527100", "152527100006", "152527101"],
            "schematic": [True] * 3,
        },
        geometry=[TOWN, NANJIAO, qjg],
        crs=4326,
    )
    schools = gpd.GeoDataFrame(
        {"name": ["第一小学"], "school_id": ["toy-p1"], "level": ["primary"], "code": [""],
         "schematic": [True]},
        geometry=[Point(115.285, 41.886)],
        crs=4326,
    )  # fmt: skip
    for layer, gdf in (("streets", streets), ("landmarks", landmarks), ("areas", areas),
                       ("schools", schools)):  # fmt: skip
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


@pytest.fixture(scope="session")
def toy_gazetteer(toy_basemap):
    from geo_enroll.geocode import Gazetteer

    return Gazetteer.from_data(basemap=toy_basemap)


@pytest.fixture(scope="session")
def plain_gazetteer():
    """The gazetteer without any base map (official units and outlines only)."""
    from geo_enroll.geocode import Gazetteer

    return Gazetteer.from_data(basemap=False)
