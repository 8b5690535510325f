"""Build the HYPOTHETICAL 延庆 2023 multi-school scenario (示意情景) in this folder.

    .venv/bin/python data/scenarios/make_yanqing_2023.py          # rewrite the files
    .venv/bin/python data/scenarios/make_yanqing_2023.py --check  # exit 1 if they differ

The 延庆 2023 seed (data/policies/yanqing_2023.txt) gives policy facts, residence categories and
a timeline, and says (line 95) that the district will adopt 多校划片 where urban seats are short,
but it names no school and no zone.  This script keeps the parsed policy facts and eligibility of
data/boundaries/yanqing_2023.toml (with their source sentences) and adds INVENTED schools, zones,
seats, school points, township boxes and streets over the real official units of the urban area
(百泉街道, 香水园街道, 儒林街道, 延庆镇; codes from data/divisions/villages_152527_110119.csv),
laid out around the real 延庆 town seat (GeoNames, data/boundaries/town_seats_geonames.csv).
Nothing here is a real school, zone, seat number or street of 延庆.

Writes (see README.md): yanqing_2023_multischool.toml, yanqing_2023_schools.csv,
yanqing_2023_school_points.csv, yanqing_2023_basemap.gpkg.
"""

from __future__ import annotations

import copy
import io
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
SCENARIO = (
    "HYPOTHETICAL 示意情景 (invented for demos and tests): schools, zones, seats, school points, "
    "township boxes and streets are not 延庆's; policy facts, categories and official unit codes "
    "are the real ones of the 2023 seed and the NBS division list."
)
CRS_M = "EPSG:32650"  # UTM 50N, metres, for the layout around the town seat

# townships of the urban area: code -> (name, box in metres from the town seat: x0, y0, x1, y1)
TOWNSHIPS = {
    "110119001": ("百泉街道", (-2000, 0, 0, 1500)),
    "110119002": ("香水园街道", (0, 0, 2000, 1500)),
    "110119003": ("儒林街道", (-2000, -1500, 0, 0)),
    "110119100": ("延庆镇", (0, -1500, 2000, 0)),
}
# hypothetical schools: id, name, level, seats, classes, (dx, dy) metres from the town seat
SCHOOLS = [
    ("yq-p1", "示意第一小学", "primary", 150, 4, (-1000, 800)),
    ("yq-p2", "示意第二小学", "primary", 90, 2, (900, 900)),
    ("yq-p3", "示意第三小学", "primary", 110, 3, (-300, -600)),
    ("yq-p4", "示意第四小学", "primary", 60, 2, (1100, -700)),
    ("yq-m1", "示意第一中学", "middle", 160, 4, (-300, 250)),
    ("yq-m2", "示意第二中学", "middle", 80, 2, (600, 300)),
    ("yq-m3", "示意第三中学", "middle", 60, 2, (1300, -1000)),
    # a township outside the urban area (乡镇对口, seed line 35): invented schools of 康庄镇
    # placed by the gazetteer's point of 康庄镇 (-6.7 km, -9.1 km from the town seat)
    ("yq-p-kz", "示意康庄小学", "primary", 30, 1, (-6800, -9000)),
    ("yq-m-kz", "示意康庄中学", "middle", 30, 1, (-6500, -9300)),
]
# 乡镇: the township of the invented township schools (real NBS code; not in the urban boxes)
RURAL = {"110119101": "康庄镇"}
# a river band (示意妫水河) between y = -500 and 0 crossed by three bridges only
RIVER = (-500, 0)
BRIDGES = (-1000, 0, 1000)
GRID_M = 250

L35 = 35  # 区教委…划定学校服务范围 / 城区初中坚持“房产证明和户口簿”统一…
L95 = 95  # 区教委将根据城区学校学位供给情况采取多校划片的入学方式


def _seed_lines() -> list[str]:
    return (DATA / "policies" / "yanqing_2023.txt").read_text(encoding="utf-8").splitlines()


def _sentence(line: int, needle: str) -> dict:
    """The sentence of seed ``line`` containing ``needle`` (exact text, as the parser keeps it)."""
    text = _seed_lines()[line - 1].strip()
    for part in text.replace("。", "。\n").splitlines():
        if needle in part:
            return {"text": part.strip(), "line": line}
    raise SystemExit(f"seed line {line} has no sentence with {needle!r}: the seed changed?")


def _units() -> pd.DataFrame:
    v = pd.read_csv(DATA / "divisions" / "villages_152527_110119.csv", dtype=str)
    v = v[v["township_code"].isin(TOWNSHIPS) & v["name"].str.contains("社区")]
    return v.sort_values("code").reset_index(drop=True)


def _unit(code: str, units: pd.DataFrame) -> dict:
    if len(code) == 9:
        name = TOWNSHIPS[code][0] if code in TOWNSHIPS else RURAL[code]
        return {
            "name": name,
            "township": None,
            "code": code,
            "group": None,
            "sub_area": None,
            "official_name": name,
        }
    row = units[units["code"] == code].iloc[0]
    official = str(row["name"])
    return {
        "name": official.removesuffix("居委会"),
        "township": TOWNSHIPS[str(row["township_code"])][0],
        "code": code,
        "group": None,
        "sub_area": None,
        "official_name": official,
    }


def build_spec() -> dict:
    """The scenario spec: the parsed 延庆 policy + hypothetical schools and zones."""
    from geo_enroll.policy.spec import load_spec

    base = load_spec(DATA / "boundaries" / "yanqing_2023.toml")
    spec = copy.deepcopy(base)
    pol = spec["policy"]
    pol.setdefault("sources", {})["scenario"] = {"text": SCENARIO, "line": L95}
    if not pol["eligibility"].get("material_check"):  # parsed from lines 65, 73, 79
        raise SystemExit(
            "the parsed 延庆 spec has no material check: rebuild it with geo-enroll parse"
        )

    units = _units()
    xsy = units[units["township_code"] == "110119002"]["code"].tolist()
    xsy_west, xsy_east = xsy[: len(xsy) // 2], xsy[len(xsy) // 2 :]
    zoning = _sentence(L35, "划定学校服务范围")
    multi = _sentence(L95, "多校划片")
    township = _sentence(L35, "各乡镇小学毕业生")
    note = "HYPOTHETICAL 示意: invented zone over real unit codes, not 延庆's catchment"

    def single(rid, codes, fragment):
        return {
            "rule_id": rid,
            "kind": "admin_units",
            "source": zoning,
            "fragment": fragment,
            "units": [_unit(c, units) for c in codes],
            "basis": "hukou",
            "note": note,
        }

    def shared(rid, schools, codes, fragment):
        return {
            "rule_id": rid,
            "kind": "multi_school",
            "source": multi,
            "fragment": fragment,
            "schools": schools,
            "units": [_unit(c, units) for c in codes],
            "area": "示意多校划片片区",
            "multi_school": True,
            "note": note,
        }

    multi_p = ["yq-p2", "yq-p3", "yq-p4"]
    multi_p_units = xsy_east + ["110119100"]
    multi_m = ["yq-m2", "yq-m3"]
    multi_m_units = ["110119002", "110119100"]
    zones = {
        "yq-p1": [single("yq-p1-r01", ["110119001"], "划定学校服务范围")],
        "yq-p2": [
            single("yq-p2-r01", xsy_west, "划定学校服务范围"),
            shared("yq-p2-r02", multi_p, multi_p_units, "多校划片"),
        ],
        "yq-p3": [
            single("yq-p3-r01", ["110119003"], "划定学校服务范围"),
            shared("yq-p3-r02", multi_p, multi_p_units, "多校划片"),
        ],
        "yq-p4": [shared("yq-p4-r01", multi_p, multi_p_units, "多校划片")],
        "yq-m1": [single("yq-m1-r01", ["110119001", "110119003"], "划定学校服务范围")],
        "yq-m2": [shared("yq-m2-r01", multi_m, multi_m_units, "多校划片")],
        "yq-m3": [shared("yq-m3-r01", multi_m, multi_m_units, "多校划片")],
        # 乡镇对口 (line 35): township primary by address; its graduates go on to the
        # township's middle school (feeder), by address when no primary school is known
        "yq-p-kz": [single("yq-p-kz-r01", ["110119101"], "划定学校服务范围")],
        "yq-m-kz": [
            {
                "rule_id": "yq-m-kz-r01",
                "kind": "feeder",
                "source": township,
                "fragment": "各乡镇小学毕业生，对口升入所在乡镇中学",
                "from_schools": [{"name": "示意康庄小学", "school_id": "yq-p-kz", "campus": None}],
                "fallback_to_address": True,
                "note": note,
            },
            dict(
                single("yq-m-kz-r02", ["110119101"], "对口升入所在乡镇中学"),
                source=township,
            ),
        ],
    }
    spec["schools"] = [
        {
            "id": sid,
            "name": name,
            "aliases": [name.removeprefix("示意")],
            "level": level,
            "code": None,
            "zones": zones[sid],
        }
        for sid, name, level, _seats, _classes, _xy in SCHOOLS
    ]
    return spec


def spec_toml(spec: dict) -> str:
    from geo_enroll.policy.spec import to_toml

    header = (
        "# HYPOTHETICAL 示意情景 — 延庆区 2023 multi-school zoning scenario (多校划片, invented).\n"
        "# Built by data/scenarios/make_yanqing_2023.py; do not edit by hand.\n"
        "# [policy] (facts, timeline, eligibility with their source sentences) is the parsed seed\n"
        "# data/boundaries/yanqing_2023.toml (its material check parsed from lines 65, 73, 79).\n"
        "# [[schools]] and their zones are INVENTED: the seed names no school and no zone;\n"
        "# unit codes are the official NBS ones.  The label is\n"
        "# also in policy.sources.scenario (the schema has no top-level field for it).\n"
    )
    return to_toml(spec, header=header)


def seat_table() -> str:
    head = (
        "# HYPOTHETICAL 示意 seat table (学位表) of data/scenarios/yanqing_2023_multischool.toml.\n"
        "# Invented numbers: the 延庆 2023 seed gives no seat plan.  The schools sharing the\n"
        "# multi-school zones (多校划片) are short of seats on purpose (the seed: 根据城区学校学位\n"
        "# 供给情况采取多校划片).  seats <= classes x cap (45 primary / 50 middle, national default).\n"
    )
    df = pd.DataFrame(
        [
            (sid, name, level, "", classes, seats, "HYPOTHETICAL 示意")
            for sid, name, level, seats, classes, _xy in SCHOOLS
        ],
        columns=["school_id", "name", "level", "code", "classes", "seats", "scenario"],
    )
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return head + buf.getvalue()


def _seat_xy():
    from pyproj import Transformer

    seats = pd.read_csv(DATA / "boundaries" / "town_seats_geonames.csv")
    seat = seats[seats["name"] == "Yanqing"].iloc[0]
    to_m = Transformer.from_crs("EPSG:4326", CRS_M, always_xy=True)
    to_ll = Transformer.from_crs(CRS_M, "EPSG:4326", always_xy=True)
    x0, y0 = to_m.transform(float(seat["lon"]), float(seat["lat"]))
    return (float(seat["lat"]), float(seat["lon"])), x0, y0, to_ll


def school_points() -> str:
    (lat, lon), x0, y0, to_ll = _seat_xy()
    head = (
        "# HYPOTHETICAL 示意 school points of data/scenarios/yanqing_2023_multischool.toml:\n"
        f"# invented offsets (dx_m east, dy_m north) from the real 延庆 town seat {lat} N {lon} E\n"
        "# (GeoNames via data/boundaries/town_seats_geonames.csv), WGS 84 lon/lat rounded to 1e-6.\n"
    )
    rows = []
    for sid, name, level, _s, _c, (dx, dy) in SCHOOLS:
        lo, la = to_ll.transform(x0 + dx, y0 + dy)
        rows.append((sid, name, level, dx, dy, round(lo, 6), round(la, 6), "HYPOTHETICAL 示意"))
    df = pd.DataFrame(
        rows, columns=["school_id", "name", "level", "dx_m", "dy_m", "lon", "lat", "scenario"]
    )
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return head + buf.getvalue()


def basemap():
    """Schematic base map: township boxes, a street grid with a river crossed by 3 bridges."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point, box

    from geo_enroll.basemap.layers import BaseMap

    _seat, x0, y0, _to_ll = _seat_xy()
    areas = gpd.GeoDataFrame(
        [
            {
                "name": name,
                "aliases": "",
                "kind": "town",
                "code": code,
                "parent": "110119",
                "schematic": True,
                "geometry": box(x0 + a, y0 + b, x0 + c, y0 + d),
            }
            for code, (name, (a, b, c, d)) in sorted(TOWNSHIPS.items())
        ],
        geometry="geometry",
        crs=CRS_M,
    )
    lines = []
    xs = range(-2000, 2001, GRID_M)
    ys = [y for y in range(-1500, 1501, GRID_M) if not RIVER[0] < y < RIVER[1]]
    for k, y in enumerate(ys, start=1):
        lines.append((f"示意纬{k}路", [(-2000, y), (2000, y)]))
    for k, x in enumerate(xs, start=1):
        name = f"示意经{k}街"
        if x in BRIDGES:
            lines.append((name, [(x, -1500), (x, 1500)]))
        else:
            lines.append((name, [(x, -1500), (x, RIVER[0])]))
            lines.append((name, [(x, RIVER[1]), (x, 1500)]))
    streets = gpd.GeoDataFrame(
        [
            {
                "name": n,
                "aliases": "",
                "kind": "road",
                "schematic": True,
                "geometry": LineString([(x0 + a, y0 + b) for a, b in pts]),
            }
            for n, pts in lines
        ],
        geometry="geometry",
        crs=CRS_M,
    )
    schools = gpd.GeoDataFrame(
        [
            {
                "name": name,
                "school_id": sid,
                "level": level,
                "code": None,
                "schematic": True,
                "geometry": Point(x0 + dx, y0 + dy),
            }
            for sid, name, level, _s, _c, (dx, dy) in SCHOOLS
        ],
        geometry="geometry",
        crs=CRS_M,
    )
    meta = {
        "schematic": "true",
        "scenario": SCENARIO,
        "name": "延庆城区示意底图 (HYPOTHETICAL schematic base map of 延庆's urban area)",
        "layout": "four township boxes of 2 x 1.5 km around the town seat; street grid every "
        f"{GRID_M} m; a river band (示意妫水河) y {RIVER[0]}..{RIVER[1]} m crossed at x "
        f"{', '.join(map(str, BRIDGES))} m",
        "source": "data/scenarios/make_yanqing_2023.py; anchor: GeoNames Yanqing (CC-BY 4.0)",
        "crs": "EPSG:4326",
    }
    return BaseMap.from_layers(streets=streets, areas=areas, schools=schools, meta=meta)


def must_show_table() -> str:
    """A handful of SYNTHETIC applicants for the issue-10 must-show cases (names invented, IDs
    well formed but nobody's): a 康庄镇 primary graduate (对口 to the township middle school),
    a 康庄镇 graduate whose primary school is unknown (by address), a 康庄镇 first-grader, and
    children of another Beijing district without a home, with and without 3+3 years."""
    from geo_enroll.placement.idcard import synth_id

    town = "北京市延庆区康庄镇"
    rows = [
        ("对口甲", "2011-10-02", 1, "初中", "示意康庄小学", f"{town}小丰营村3号", "", "", "", ""),
        ("地址乙", "2011-11-03", 3, "初中", "", f"{town}榆林堡村5号", "", "", "", ""),
        ("一年丙", "2017-03-04", 5, "小学", "", f"{town}一街村8号", "", "", "", ""),
        (
            "外区丁",
            "2017-04-05",
            7,
            "小学",
            "",
            "北京市海淀区示意街1号",
            "本市外区户籍",
            "2",
            "5",
            "",
        ),
        (
            "外区戊",
            "2017-05-06",
            9,
            "小学",
            "",
            "北京市海淀区示意街2号",
            "本市外区户籍",
            "3",
            "3",
            "",
        ),
    ]
    df = pd.DataFrame(
        [
            {
                "姓名": name,
                "身份证号": synth_id("110119", born, seq),
                "出生日期": born,
                "学段": level,
                "毕业学校标识码": grad,
                "户籍地址": hukou,
                "实际居住地址": hukou if "延庆" in hukou else f"{town}一街村{seq}号",
                "类别": cat,
                "租房备案年限": rent,
                "本区就业年限": work,
                "备注": "HYPOTHETICAL SYNTHETIC 示意 (issue 10 must-show)" + note,
            }
            for name, born, seq, level, grad, hukou, cat, rent, work, note in rows
        ]
    )
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()  # no comment header: an applicant table (the 备注 column says it)


OUTPUTS = {
    "yanqing_2023_must_show.csv": must_show_table,
    "yanqing_2023_multischool.toml": lambda: spec_toml(build_spec()),
    "yanqing_2023_schools.csv": seat_table,
    "yanqing_2023_school_points.csv": school_points,
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    differ = []
    for name, make in OUTPUTS.items():
        text = make()
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                differ.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    gpkg = HERE / "yanqing_2023_basemap.gpkg"
    if check:
        if not gpkg.exists():
            differ.append(gpkg.name)
    else:
        import pyogrio

        from geo_enroll.basemap.layers import write_basemap

        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
        try:
            write_basemap(basemap(), gpkg)
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    if differ:
        print("out of date: " + ", ".join(differ), file=sys.stderr)
        return 1
    print("ok" if check else f"wrote {', '.join([*OUTPUTS, gpkg.name])} in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
