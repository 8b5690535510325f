"""The toy town 玩具镇: a few blocks, three schools, about thirty children (synthetic).

Everything here is invented for tests, doctests and notebooks; nothing is a real place or
person.  Coordinates are metres on a local grid, turned into WGS 84 (EPSG:4326) around
lon 115.0, lat 41.0 (an empty spot, chosen so that no real address can fall in it).

::

     y (m)                                                  河湾村 (village 999999100200)
   1000 +-------------- 北街 ---------------+                 一社 (2500..2600, 500) -> 西小学
        |                  |                 |                 二社 (2500..2600, 700) -> 东小学
        |   西区 (999999100001)   东区 (999999100002)          may also choose 东小学 (alternative)
        |                  |                 |
    600 |   [西小学] toy-p2 中  [东小学] toy-p1 |
        |                  街                |
    500 +------------- 横街 -+---------------+
        |                  |  +--------+     |
        |   [第一中学] toy-m1 |  |花园小区|->西小学 (compound zone, like 昌盛园小区)
        |                  |  +--------+     |
      0 +-------------- 南街 ---------------+
        0      西街        500      东街    1000  x (m)

- primary zones: 西区 (x 0..500) -> 西小学 toy-p2; 东区 (x 500..1000) -> 东小学 toy-p1;
  the two share the edge x = 500 along 中街 (the on-the-edge case);
- middle zone: the whole town (x 0..1000, y 0..1000) and 河湾村 -> 第一中学 toy-m1;
- seats (toy table): 东小学 6, 西小学 12, 第一中学 8 — 东区 has more children than 东小学 seats,
  so some overflow to 西小学 by relative proximity (相对就近).

The toy gazetteer understands ``玩具镇<street><n>号`` (house ``n`` lies ``10 n`` metres along the
street; odd numbers on the north/east side, even on the south/west side),
``玩具镇花园小区<n>号楼`` and ``玩具镇河湾村<一社|二社><n>号``.

>>> from geo_enroll.datasets import toy_gazetteer
>>> r = toy_gazetteer().geocode("玩具镇横街21号")
>>> r["level"], r["village_code"]
('house_number', '999999100001')
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ..placement.cohort import COHORT_COLUMNS

__all__ = [
    "TOY_COUNTY_CODE",
    "ToyGazetteer",
    "toy_gazetteer",
    "toy_school_points",
    "toy_schools",
    "toy_spec",
    "toy_students",
    "toy_xy_to_lonlat",
    "toy_zones",
]

TOY_COUNTY_CODE = "999999"
_LON0, _LAT0 = 115.0, 41.0
_DLAT = 1.0 / 110_950.0
_DLON = 1.0 / (111_320.0 * math.cos(math.radians(_LAT0)))
_TOWNSHIP = "999999100"
_WEST, _EAST, _VILLAGE = "999999100001", "999999100002", "999999100200"


def toy_xy_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Local toy-grid metres to (lon, lat) in EPSG:4326.

    >>> toy_xy_to_lonlat(0, 0)
    (115.0, 41.0)
    """
    return (round(_LON0 + x * _DLON, 8), round(_LAT0 + y * _DLAT, 8))


def _box(x0: float, y0: float, x1: float, y1: float):
    from shapely.geometry import Polygon

    return Polygon([toy_xy_to_lonlat(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))])


def _src(text: str, line: int) -> dict:
    return {"text": text, "line": line}


_POLICY_LINES = [
    "玩具镇2024年义务教育招生方案（虚构，仅供测试）",
    "凡2018年8月31日及以前出生的儿童免试就近入学，可办理缓学。",
    "小学招生计划数：18；初中招生计划数：8。小学每班45人以内，初中每班50人以内。",
    "东小学招收东区（东至东街，南至南街，西至中街，北至北街）、河湾村二社户籍适龄儿童。",
    "西小学招收西区（东至中街，南至南街，西至西街，北至北街）、花园小区、河湾村一社户籍适龄儿童。",
    "法定监护人在辖区内购房的适龄儿童根据学位数统筹就近入学，学位不足则按相对就近原则安排入学。",
    "河湾村户籍适龄儿童也可到东小学入学。",
    "第一中学招收玩具镇（东至东街，南至南街，西至西街，北至北街）、河湾村户籍的小学毕业生。",
    "2023年8月31日及以前迁移户口的按迁移后住址划片，以后迁移的按迁移前住址划片。",
    "消防救援人员子女可自主选择学校；烈士子女、现役军人子女按优待政策安排入学。",
    "兄（姐）非择校入学的，二孩原则上安排在兄（姐）同一所学校就读。",
]


def toy_spec() -> dict:
    """The toy town's zone spec (a dict in the ARCHITECTURE.md shape).

    >>> spec = toy_spec()
    >>> [s["id"] for s in spec["schools"]]
    ['toy-p1', 'toy-p2', 'toy-m1']
    """
    L = _POLICY_LINES
    village_two = {
        "name": "河湾村",
        "township": "玩具镇",
        "code": _VILLAGE,
        "group": "二社",
        "sub_area": None,
        "candidates": [],
    }
    village_one = dict(village_two, group="一社")
    village = dict(village_two, group=None)
    return {
        "spec_version": 1,
        "policy": {
            "jurisdiction": "玩具镇",
            "county_code": TOY_COUNTY_CODE,
            "year": 2024,
            "age_cutoff": "2018-08-31",
            "seat_plan": {"primary": 18, "middle": 8},
            "class_cap": {"primary": 45, "middle": 50},
            "hukou_migration_cutoff": "2023-08-31",
            "appeal_window_working_days": 5,
            "timeline": [],
            "eligibility": {
                "address_basis": ["hukou", "property_in_zone"],
                "treated_as_local": [],
                "free_choice_categories": ["消防救援人员子女"],
                "priority_categories": ["烈士子女", "现役军人子女"],
                "sibling_rule": True,
                "deferral": True,
                "multi_school_zoning": False,
                "source": [_src(L[9], 10), _src(L[10], 11)],
            },
        },
        "schools": [
            {
                "id": "toy-p1",
                "name": "东小学",
                "aliases": ["东小"],
                "level": "primary",
                "code": "9900000001",
                "zones": [
                    {
                        "rule_id": "toy-p1-r01",
                        "kind": "street_limits",
                        "source": _src(L[3], 4),
                        "within": "东区",
                        "within_code": _EAST,
                        "limits": {
                            "east": "东街",
                            "south": "南街",
                            "west": "中街",
                            "north": "北街",
                        },
                        "exclude": [],
                        "include": [],
                    },
                    {
                        "rule_id": "toy-p1-r02",
                        "kind": "admin_units",
                        "source": _src(L[3], 4),
                        "units": [village_two],
                        "basis": "hukou",
                    },
                    {
                        "rule_id": "toy-p1-r03",
                        "kind": "property_rule",
                        "source": _src(L[5], 6),
                        "area": "辖区",
                        "overflow": "relative_proximity",
                    },
                    {
                        "rule_id": "toy-p1-r04",
                        "kind": "alternative",
                        "source": _src(L[6], 7),
                        "units": [village],
                    },
                ],
            },
            {
                "id": "toy-p2",
                "name": "西小学",
                "aliases": ["西小"],
                "level": "primary",
                "code": "9900000002",
                "zones": [
                    {
                        "rule_id": "toy-p2-r01",
                        "kind": "street_limits",
                        "source": _src(L[4], 5),
                        "within": "西区",
                        "within_code": _WEST,
                        "limits": {
                            "east": "中街",
                            "south": "南街",
                            "west": "西街",
                            "north": "北街",
                        },
                        "exclude": [],
                        "include": [],
                    },
                    {
                        "rule_id": "toy-p2-r02",
                        "kind": "compound",
                        "source": _src(L[4], 5),
                        "name": "花园小区",
                        "within": "东区",
                    },
                    {
                        "rule_id": "toy-p2-r03",
                        "kind": "admin_units",
                        "source": _src(L[4], 5),
                        "units": [village_one],
                        "basis": "hukou",
                    },
                    {
                        "rule_id": "toy-p2-r04",
                        "kind": "property_rule",
                        "source": _src(L[5], 6),
                        "area": "辖区",
                        "overflow": "relative_proximity",
                    },
                ],
            },
            {
                "id": "toy-m1",
                "name": "第一中学",
                "aliases": ["一中"],
                "level": "middle",
                "code": "9900000003",
                "zones": [
                    {
                        "rule_id": "toy-m1-r01",
                        "kind": "street_limits",
                        "source": _src(L[7], 8),
                        "within": "玩具镇",
                        "within_code": _TOWNSHIP,
                        "limits": {
                            "east": "东街",
                            "south": "南街",
                            "west": "西街",
                            "north": "北街",
                        },
                        "exclude": [],
                        "include": [],
                    },
                    {
                        "rule_id": "toy-m1-r02",
                        "kind": "admin_units",
                        "source": _src(L[7], 8),
                        "units": [village],
                        "basis": "hukou",
                    },
                ],
            },
        ],
        "unparsed": [],
        "conflicts": [],
    }


def toy_zones():
    """Zone polygons of the toy town (GeoDataFrame, EPSG:4326, the ``zones`` layer contract).

    >>> z = toy_zones()
    >>> sorted(z["rule_id"])
    ['toy-m1-r01', 'toy-p1-r01', 'toy-p2-r01', 'toy-p2-r02']
    """
    import geopandas as gpd

    spec = toy_spec()
    lines = {z["rule_id"]: (s, z) for s in spec["schools"] for z in s["zones"]}
    shapes = {
        "toy-p1-r01": _box(500, 0, 1000, 1000),
        "toy-p2-r01": _box(0, 0, 500, 1000),
        "toy-p2-r02": _box(550, 100, 700, 250),
        "toy-m1-r01": _box(0, 0, 1000, 1000),
    }
    rows = []
    for rule_id, geom in shapes.items():
        school, zone = lines[rule_id]
        rows.append(
            {
                "school": school["name"],
                "school_id": school["id"],
                "level": school["level"],
                "rule_id": rule_id,
                "kind": zone["kind"],
                "source": zone["source"]["text"],
                "line": zone["source"]["line"],
                "schematic": True,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def toy_school_points():
    """School locations (GeoDataFrame, EPSG:4326: ``school_id``, ``name``, ``level``)."""
    import geopandas as gpd
    from shapely.geometry import Point

    pts = [
        ("toy-p1", "东小学", "primary", 750, 600),
        ("toy-p2", "西小学", "primary", 250, 600),
        ("toy-m1", "第一中学", "middle", 250, 250),
    ]
    return gpd.GeoDataFrame(
        [
            {"school_id": i, "name": n, "level": lv, "geometry": Point(toy_xy_to_lonlat(x, y))}
            for i, n, lv, x, y in pts
        ],
        geometry="geometry",
        crs="EPSG:4326",
    )


def toy_schools() -> pd.DataFrame:
    """The toy seat table (``school_id, name, level, code, classes, seats``).

    >>> int(toy_schools()["seats"].sum())
    26
    """
    return pd.DataFrame(
        [
            ("toy-p1", "东小学", "primary", "9900000001", 1, 6),
            ("toy-p2", "西小学", "primary", "9900000002", 1, 12),
            ("toy-m1", "第一中学", "middle", "9900000003", 1, 8),
        ],
        columns=["school_id", "name", "level", "code", "classes", "seats"],
    )


class ToyGazetteer:
    """A geocoder for the toy town with the ``Gazetteer.geocode`` result shape.

    >>> ToyGazetteer().geocode("火星某处")["level"] is None
    True
    """

    _streets = {  # name: (axis, fixed coordinate, odd-side offset, even-side offset)
        "横街": ("x", 500, 10, -10),
        "北街": ("x", 1000, -10, -20),
        "南街": ("x", 0, 20, 10),
        "中街": ("y", 500, 10, -10),
    }

    def geocode(self, text: str, min_level: str | None = None) -> dict:
        text = str(text or "").strip()
        out = {
            "input": text,
            "lon": None,
            "lat": None,
            "code": None,
            "level": None,
            "confidence": 0.0,
            "village_code": None,
            "township_code": None,
            "group": None,
            "reason": None,
            "schematic": True,
            "source_crs": "EPSG:4326",
            "matched": {},
            "unmatched": text,
        }
        m = re.match(r"^玩具镇(横街|北街|南街|中街)(\d+)号$", text)
        if m:
            axis, fixed, odd, even = self._streets[m[1]]
            n = int(m[2])
            along = min(n * 10, 995)
            off = odd if n % 2 else even
            x, y = (along, fixed + off) if axis == "x" else (fixed + off, along)
            return self._hit(out, x, y, "house_number", 0.95)
        m = re.match(r"^玩具镇花园小区(\d+)号楼$", text)
        if m:
            return self._hit(out, 600 + 10 * (int(m[1]) % 10), 150, "compound", 0.9)
        m = re.match(r"^玩具镇河湾村(一社|二社)(\d+)号$", text)
        if m:
            y = 500 if m[1] == "一社" else 700
            out = self._hit(out, 2500 + int(m[2]), y, "village", 0.8)
            out["group"] = m[1]
            return out
        out["reason"] = "玩具镇地名库中找不到该地址 (not in the toy gazetteer)"
        return out

    def _hit(self, out: dict, x: float, y: float, level: str, conf: float) -> dict:
        lon, lat = toy_xy_to_lonlat(x, y)
        if x > 1500:
            village = _VILLAGE
        else:
            village = _WEST if x < 500 else _EAST
        out.update(
            lon=lon,
            lat=lat,
            level=level,
            confidence=conf,
            code=village,
            village_code=village,
            township_code=_TOWNSHIP,
            unmatched="",
            matched={"township": "玩具镇"},
        )
        return out

    def geocode_many(self, texts) -> pd.DataFrame:
        return pd.DataFrame([self.geocode(t) for t in texts])


def toy_gazetteer() -> ToyGazetteer:
    """The toy town's gazetteer."""
    return ToyGazetteer()


# the applicant table of a synthetic cohort, without the 材料审核 column the toy town never needs
_COLUMNS = [c for c in COHORT_COLUMNS if c != "材料审核"]


def toy_students() -> pd.DataFrame:
    """About thirty synthetic applicants of the toy town, with Chinese headers.

    Names are "测试" + a number, IDs are synthetic (valid checksum, region ``999999``).

    >>> df = toy_students()
    >>> len(df), int((df["学段"] == "小学").sum())
    (30, 22)
    """
    from geo_enroll.placement.idcard import synth_id

    # (birth, sex, level, hukou, property, moved_in, extra) ; extra keys map to columns
    rows = [
        ("2018-03-01", "男", "小学", "玩具镇横街61号", "", "", {}),
        ("2018-04-02", "女", "小学", "玩具镇横街62号", "", "", {}),
        ("2018-05-03", "男", "小学", "玩具镇横街63号", "", "", {}),
        ("2018-06-04", "女", "小学", "玩具镇横街71号", "", "", {}),
        ("2018-02-05", "男", "小学", "玩具镇横街81号", "", "", {"类别": "烈士子女"}),
        ("2018-01-06", "女", "小学", "玩具镇北街60号", "", "", {}),
        ("2018-07-07", "男", "小学", "玩具镇南街91号", "", "", {}),
        ("2018-08-08", "女", "小学", "玩具镇中街31号", "", "", {}),
        (
            "2018-01-09",
            "男",
            "小学",
            "玩具镇河湾村二社5号",
            "玩具镇横街93号",
            "",
            {"房产登记日期": "2020-05-01"},
        ),
        (
            "2018-02-10",
            "女",
            "小学",
            "玩具镇河湾村一社7号",
            "玩具镇横街95号",
            "",
            {"房产登记日期": "2021-06-01"},
        ),
        ("2018-03-11", "男", "小学", "玩具镇横街21号", "", "", {}),
        ("2018-04-12", "女", "小学", "玩具镇横街22号", "", "", {}),
        ("2018-05-13", "男", "小学", "玩具镇中街32号", "", "", {"残疾": "随班就读"}),
        ("2018-06-14", "女", "小学", "玩具镇花园小区3号楼", "", "", {}),
        ("2018-07-15", "男", "小学", "玩具镇河湾村一社9号", "", "", {"志愿学校": "toy-p1"}),
        (
            "2018-08-16",
            "女",
            "小学",
            "玩具镇横街75号",
            "",
            "2024-01-10",
            {"原户籍地址": "玩具镇横街23号"},
        ),
        (
            "2018-06-17",
            "男",
            "小学",
            "玩具镇横街77号",
            "",
            "",
            {"兄姐在读学校": "toy-p1", "兄姐择校": "否"},
        ),
        ("2018-06-17", "男", "小学", "玩具镇横街79号", "", "", {"双胞胎组": "T1"}),
        ("2018-06-17", "女", "小学", "玩具镇横街79号", "", "", {"双胞胎组": "T1"}),
        ("2018-10-01", "女", "小学", "玩具镇横街24号", "", "", {}),  # too young
        ("2018-04-21", "男", "小学", "玩具镇横街26号", "", "", {"缓学": "是"}),
        ("2018-05-22", "女", "小学", "玩具镇火星路1号", "", "", {}),  # unresolved
        ("2012-03-01", "男", "初中", "玩具镇横街41号", "", "", {}),
        ("2012-04-02", "女", "初中", "玩具镇横街42号", "", "", {}),
        ("2012-05-03", "男", "初中", "玩具镇横街83号", "", "", {}),
        ("2012-06-04", "女", "初中", "玩具镇河湾村一社3号", "", "", {}),
        ("2012-07-05", "男", "初中", "玩具镇河湾村二社4号", "", "", {}),
        ("2012-08-06", "女", "初中", "玩具镇中街51号", "", "", {}),
        (
            "2011-09-07",
            "男",
            "初中",
            "玩具镇北街61号",
            "",
            "",
            {"类别": "消防救援人员子女", "志愿学校": "toy-m1"},
        ),
        ("2012-01-08", "女", "初中", "玩具镇南街33号", "", "", {}),
    ]
    out = []
    for i, (born, sex, level, hukou, prop, moved, extra) in enumerate(rows, start=1):
        seq = 2 * i + (1 if sex == "男" else 0)
        number = synth_id(TOY_COUNTY_CODE, born, seq)
        rec = dict.fromkeys(_COLUMNS, "")
        rec.update(
            {
                "姓名": f"测试{i:02d}",
                "身份证号": number,
                "出生日期": born,
                "性别": sex,
                "学段": level,
                "户籍地址": hukou,
                "房产地址": prop,
                "户口迁入日期": moved,
                "备注": "合成数据 synthetic",
            }
        )
        if level == "初中":
            rec["学籍号"] = "G" + number
            rec["毕业学校标识码"] = "9900000001" if i % 2 else "9900000002"
        rec.update(extra)
        out.append(rec)
    return pd.DataFrame(out, columns=_COLUMNS)
