"""A note in brackets after a village or community is read for what it says: former names
(兴隆社区（原元通村、双兴村）), 双学区, 自愿原则, 筹, 仅限原常住户籍, 含X、Y, 详见附件 are notes on the
whole unit (``written_note``); 原X村范围 is the part that was X村 (``sub_area``).  Before, each
was a sub-area, and a unit with a sub-area matches only an address that writes it: every
child of 兴隆社区 was sent to no school by that rule."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces
from geo_enroll.policy.spec import read_policy
from geo_enroll.zoneindex import ZoneIndex

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _units(text):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert left == []
    return [(p["name"], p.get("sub_area"), p.get("written_note")) for p in pieces]


@pytest.mark.parametrize(
    "text,note",
    [
        ("兴隆社区（原元通村、双兴村）", "原元通村、双兴村"),
        ("庙湾村（原涌泉村）", "原涌泉村"),
        ("东岳社区（原沙渠镇柳坪村）", "原沙渠镇柳坪村"),
        ("沙蚝社区（原蚝三、蚝四）", "原蚝三、蚝四"),
        ("半山村（双学区）", "双学区"),
        ("马湖社区（自愿原则）", "自愿原则"),
        ("世纪社区（筹）", "筹"),
        ("红垦农场（仅限原常住户籍）", "仅限原常住户籍"),
        ("潮都社区（含潮上云临南苑、天空之城）", "含潮上云临南苑、天空之城"),
        ("名望府社区（含翠栖府）", "含翠栖府"),
        ("黄河38街坊（详见附件）", "详见附件"),
    ],
)
def test_a_note_on_the_whole_unit(text, note):
    [(name, sub_area, written)] = _units(text)
    assert sub_area is None and written == note
    assert name == text.split("（")[0]


@pytest.mark.parametrize("text", ["东江村（全部）", "兴围村（全村）"])
def test_all_of_it_is_the_unit(text):
    assert _units(text) == [(text.split("（")[0], None, None)]


@pytest.mark.parametrize(
    "text,part",
    [("呼侯村（原侯家村范围）", "侯家村"), ("肖和村（原和平村片区）", "和平村")],
)
def test_the_part_that_was_a_former_village(text, part):
    [(_, sub_area, written)] = _units(text)
    assert (sub_area, written) == (part, None)


@pytest.mark.parametrize(
    "text,part", [("东红村（禹仁围子）", "禹仁围子"), ("永联村（黄公溇）", "黄公溇")]
)
def test_a_natural_village_is_still_a_part(text, part):
    [(_, sub_area, written)] = _units(text)
    assert (sub_area, written) == (part, None)


def test_a_side_of_the_community_with_what_it_contains():
    pieces, left = scope_pieces(
        "山阴街社区浦阳江以南区块（含南秀苑小区、临澜之城小区）、新港村", ParseContext(county=None)
    )
    assert left == []
    bounds, village = pieces
    assert (bounds["within"], bounds["bounds"]) == (
        "山阴街社区",
        [{"street": "浦阳江", "side": "south_of"}],
    )
    assert bounds["includes"] == ["南秀苑小区", "临澜之城小区"]
    assert village["name"] == "新港村"


def test_the_surroundings_of_a_place_are_reported():
    pieces, left = scope_pieces("华山社区及周边区域（详见附件）", ParseContext(county=None))
    assert [p["name"] for p in pieces] == ["华山社区"]
    assert left == ["周边区域（详见附件）"]


def test_a_noted_unit_serves_every_address_of_it():
    """The lookup side: 兴隆社区 with its former names matches an address in 兴隆社区; a part
    (原侯家村范围) only an address naming 侯家村."""
    spec = parse_policy(
        "# 招生范围\n\n第一小学：兴隆社区（原元通村、双兴村）\n第二小学：呼侯村（原侯家村范围）\n"
    )
    index = ZoneIndex(spec, None)
    hits = {}
    for address in ("某镇兴隆社区5组", "某镇呼侯村侯家村12号", "某镇呼侯村3号"):
        geo = {"input": address}
        hits[address] = sorted(
            rid for rid, unit in index.units_nocode if index.unit_match(unit, geo)
        )
    first, second = (s["zones"][0]["rule_id"] for s in spec["schools"])
    assert hits == {
        "某镇兴隆社区5组": [first],
        "某镇呼侯村侯家村12号": [second],
        "某镇呼侯村3号": [],
    }


def test_the_notes_survive_the_spec_file(tmp_path):
    from geo_enroll.policy.spec import load_spec, save_spec

    spec = parse_policy("# 招生范围\n\n第一小学：兴隆社区（原元通村、双兴村）、半山村（双学区）\n")
    path = tmp_path / "spec.toml"
    save_spec(spec, path)
    again = load_spec(path)
    units = again["schools"][0]["zones"][0]["units"]
    assert [u.get("written_note") for u in units] == ["原元通村、双兴村", "双学区"]


def test_on_the_real_notices():
    """大邑, 萧山 and 西安 notices in ../shared/reference (not shipped; skipped without)."""
    seen = {}
    for name in (
        "chengdu_dayi-county_2025.md",
        "hangzhou_xiaoshan-and-counties_2026.md",
        "xian_chanba-xincheng-lintong_2025.md",
    ):
        text, _ = read_policy(need_shared(ZONING / name))
        for s in parse_policy(text)["schools"]:
            for z in s["zones"]:
                for u in z.get("units") or []:
                    seen.setdefault(u["name"], set()).add(
                        (u.get("sub_area"), u.get("written_note"))
                    )
    assert (None, "原元通村、双兴村") in seen["兴隆社区"]
    assert (None, "原涌泉村") in seen["庙湾村"]
    assert (None, "双学区") in seen["半山村"]
    assert {sa for sa, _ in seen["呼侯村"]} == {"侯家村", "呼家村"}
    subs = {sa for pairs in seen.values() for sa, _ in pairs if sa}
    assert not any(sa.startswith(("原", "含", "自愿", "详见")) for sa in subs)


@pytest.mark.parametrize(
    "text,name",
    [
        ("兴围村全部", "兴围村"),
        ("富城村等所属区域", "富城村"),
        ("伊村村委会", "伊村"),
        ("西湖村委会", "西湖村"),
        ("南郊社区居委会", "南郊社区"),
        ("红旗村民委员会", "红旗村"),
    ],
)
def test_the_whole_village_however_written(text, name):
    assert _units(text) == [(name, None, None)]


def test_a_township_with_cun_in_its_name():
    pieces, left = scope_pieces("杨村桥镇", ParseContext(county=None))
    assert left == []
    assert [(p["name"], p.get("whole_township")) for p in pieces] == [("杨村桥镇", True)]


def test_a_name_with_cun_inside_takes_no_shared_suffix():
    """胡村源、高桥村: 胡村源 is a name, not 胡村源 + the 村 of the next item."""
    pieces, _ = scope_pieces("永平村、胡村源、高桥村", ParseContext(county=None))
    assert [p["name"] for p in pieces] == ["永平村", "胡村源", "高桥村"]


def test_several_parts_are_each_a_part():
    """东复村（洪家潭、萧山沿）: two parts (one sub-area naming both matched no address)."""
    assert _units("东复村（洪家潭、萧山沿）") == [
        ("东复村", "洪家潭", None),
        ("东复村", "萧山沿", None),
    ]
    assert _units("新和社区（新和人家、新丽名苑）") == [
        ("新和社区", "新和人家", None),
        ("新和社区", "新丽名苑", None),
    ]


@pytest.mark.parametrize(
    "text,street,side",
    [
        ("东阳桥社区（毛家河东）", "毛家河", "east_of"),
        ("井头王社区（萧绍路南）", "萧绍路", "south_of"),
        ("绿都四季花城(高桥路西)", "高桥路", "west_of"),
        ("河湾村（清水河北侧）", "清水河", "north_of"),
    ],
)
def test_a_side_of_a_river_or_road_in_brackets(text, street, side):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert left == []
    [p] = pieces
    assert (p["type"], p["within"], p["bounds"]) == (
        "bounds",
        text.split("（")[0].split("(")[0],
        [{"street": street, "side": side}],
    )


def test_an_unsaid_part_in_brackets_is_reported():
    pieces, left = scope_pieces("楼岗社区，东方社区（部分），山门社区", ParseContext(county=None))
    assert [p["name"] for p in pieces] == ["楼岗社区", "山门社区"]
    assert left == ["东方社区（部分）"]


def test_a_committee_list_is_covered():
    text = "# 招生范围\n\n第一小学：严陵社区、西湖村委会、伊村村委会、富城村等所属区域\n"
    spec = parse_policy(text)
    names = [u["name"] for u in spec["schools"][0]["zones"][0]["units"]]
    assert names == ["严陵社区", "西湖村", "伊村", "富城村"]
    assert spec["unparsed"] == []
    assert account(text, spec)["silent"] == []
