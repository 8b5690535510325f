"""The rest of a place: 其余区域 / 除以上学校招生范围以外的区域 / 未划入上述学校招生范围的区域.

Before: 城区其余区域 was a compound named 城区其余 and 除第一小学、第二小学招生范围以外的城区
three compounds named 除第一小学, 第二小学 and 第三小学招生范围以外的城区 (no address in them:
the school's children matched no school, silently); 未划入上述学校招生范围的区域 a unit of that
name; 城关镇除以上学校招生范围以外的区域 the whole township with an exclusion that named no
place; 宝昌镇其他区域（不含昌盛园小区） a unit named 其他.  Now each is a ``remainder`` zone
(:mod:`geo_enroll.policy.remainder`), matched just below a claim on the whole place.
"""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy, validate_spec

from .conftest import offered

OWN = "第一小学：东关村、西关村。\n第二小学：南关村。\n"


def _spec(text: str) -> dict:
    return parse_policy(f"# 某县招生范围\n\n{text}\n")


def _rest(spec: dict, school: str = "第三小学") -> dict:
    zones = next(s["zones"] for s in spec["schools"] if s["name"] == school)
    (zone,) = [z for z in zones if z["kind"] == "remainder"]
    return zone


@pytest.mark.parametrize(
    "scope, unit, area, named",
    [
        ("城关镇除以上学校招生范围以外的区域", "城关镇", None, []),
        ("城关镇内除上述学校学区以外的其他区域的适龄儿童", "城关镇", None, []),
        ("除第一小学、第二小学招生范围以外的城关镇区域", "城关镇", None, ["第一小学", "第二小学"]),
        ("城关镇除第一小学和第二小学学区以外的区域", "城关镇", None, ["第一小学", "第二小学"]),
        ("除第一小学招生范围以外的城区", None, "城区", ["第一小学"]),
        ("以上学校招生范围以外的区域", None, None, []),
        ("除上述范围以外的区域", None, None, []),
        ("城关镇内未划入上述学校招生范围的区域", "城关镇", None, []),
        ("未划入任何学校学区的区域", None, None, []),
        ("城关镇未划片的区域", "城关镇", None, []),
        ("城关镇其余区域", "城关镇", None, []),
        ("城关镇其他村", "城关镇", None, []),
        ("城区其余区域", None, "城区", []),
        ("县城其他区域", None, "县城", []),
        ("全县其余区域", None, None, []),
        ("本县其余地区", None, None, []),
        ("其余区域", None, None, []),
        ("东关村其余区域", "东关村", None, []),
    ],
)
def test_forms_of_the_rest(scope, unit, area, named):
    spec = _spec(f"{OWN}第三小学：{scope}。")
    assert validate_spec(spec) == []
    zone = _rest(spec)
    assert [u["name"] for u in zone["units"]] == ([unit] if unit else [])
    assert zone["area"] == area
    ids = {s["name"]: s["id"] for s in spec["schools"]}
    assert zone["of"] == [ids[n] for n in named]
    assert zone["fragment"] and not spec["unparsed"]


def test_in_a_list_and_under_a_township_heading():
    spec = _spec(
        "第一小学：东关村、西关村。\n第二小学：南关村、城关镇其他村。\n第三小学：北关村、其余社区。"
    )
    assert [u["name"] for u in _rest(spec, "第二小学")["units"]] == ["城关镇"]
    assert _rest(spec)["units"] == [] and not spec["unparsed"]


def test_an_exclusion_stays_on_the_rest():
    spec = _spec(f"{OWN}第三小学：宝昌镇其他区域（不含昌盛园小区）。")
    zone = _rest(spec)
    assert zone["exclude"] == ["昌盛园小区"]
    assert zone["units"][0]["name"] == "宝昌镇" and zone["units"][0]["exclude"] == ["昌盛园小区"]


@pytest.mark.parametrize(
    "scope",
    [
        "城关镇除东关村、西关村以外的所有村",  # places excepted by name: the township less those
        "城关镇所有村",
        "其他小区",  # no rest word of a place kind: as before
    ],
)
def test_not_the_rest(scope):
    spec = _spec(f"{OWN}第三小学：{scope}。")
    assert all(z["kind"] != "remainder" for s in spec["schools"] for z in s["zones"])


@pytest.mark.parametrize("scope", ["城区以外的区域", "除城区以外的各乡镇", "县城以外的农村"])
def test_outside_an_undrawn_area_is_reported(scope):
    """Outside 城区: no place of that name, and not the rest of the other schools' zones."""
    spec = _spec(f"{OWN}第三小学：{scope}。")
    assert [u["text"] for u in spec["unparsed"]] == [scope]
    assert not next(s for s in spec["schools"] if s["name"] == "第三小学")["zones"]


def test_an_unknown_school_is_reported_and_every_other_left_out():
    spec = _spec(f"{OWN}第三小学：除第九小学招生范围以外的区域。")
    assert [u["reason"] for u in spec["unparsed"]] == [
        "未识别的学校 school not recognised: 第九小学"
    ]
    assert _rest(spec)["of"] == []


def test_in_the_engine(tmp_path):
    """Saved, loaded and looked up (units by name): the rest takes what no zone takes."""
    spec = _spec(f"{OWN}第三小学：其余区域。")
    addresses = ("某镇东关村8号", "某镇南关村8号", "某镇北关村8号")
    got, ids = offered(spec, addresses, tmp_path)
    assert got["某镇东关村8号"] == ([ids["第一小学"]], [])
    assert got["某镇南关村8号"] == ([ids["第二小学"]], [])
    assert got["某镇北关村8号"] == ([ids["第三小学"]], [])


def test_named_schools_only(tmp_path):
    """除第一小学招生范围以外: an address of 第一小学's zone is not taken; one of 第二小学's
    is claimed by 第二小学 (above the rest)."""
    spec = _spec(f"{OWN}第三小学：除第一小学招生范围以外的区域。")
    got, ids = offered(spec, ("某镇东关村8号", "某镇南关村8号", "某镇北关村8号"), tmp_path)
    assert got["某镇东关村8号"][0] == [ids["第一小学"]]
    assert got["某镇南关村8号"][0] == [ids["第二小学"]]
    assert got["某镇北关村8号"][0] == [ids["第三小学"]]


def test_two_rests_of_the_same_place_are_both_listed(tmp_path):
    spec = _spec(f"{OWN}第三小学：其余区域。\n第四小学：其余区域。")
    got, ids = offered(spec, ("某镇北关村8号",), tmp_path)
    assert sorted(got["某镇北关村8号"][0]) == sorted([ids["第三小学"], ids["第四小学"]])


def _taipusi(lines: str) -> dict:
    return parse_policy(f"# 太仆寺旗2024年义务教育阶段学校招生工作方案\n\n{lines}\n")


@pytest.fixture(scope="module")
def gazetteer():
    from geo_enroll.geocode import load_default_gazetteer

    return load_default_gazetteer()


def _zone_names(spec, gazetteer, address) -> list[str]:
    from geo_enroll.lookup import lookup_address

    got = lookup_address(address, spec=spec, gazetteer=gazetteer)
    return [s["name"] for s in got["primary"] if s["kind"].startswith("户籍划片")]


@pytest.fixture(scope="module")
def taipusi_rest():
    """A notice of the real 太仆寺旗 (its official codes ship): the rest of 宝昌镇 and of the
    whole 旗 to two schools, the rest of one village to a third."""
    return _taipusi(
        "第一小学：宝昌镇建兴社区、太平社区。\n"
        "第二小学：宝昌镇其余区域（不含昌盛园小区）。\n"
        "第三小学：全旗其余区域。\n"
        "第五小学：千斤沟镇六号村其余区域。"
    )


@pytest.mark.parametrize(
    "address, school",
    [
        ("太仆寺旗宝昌镇建兴社区", "第一小学"),  # a community of 第一小学: above every rest
        ("太仆寺旗宝昌镇南郊社区", "第二小学"),  # the rest of 宝昌镇: above the rest of the 旗
        ("太仆寺旗宝昌镇东明村", "第二小学"),
        ("太仆寺旗千斤沟镇七号村", "第三小学"),  # the rest of the 旗: another township's village
        ("太仆寺旗千斤沟镇六号村", "第五小学"),  # the rest of a village: above the 旗's
    ],
)
def test_on_the_real_county(taipusi_rest, gazetteer, address, school):
    assert validate_spec(taipusi_rest) == [] and not taipusi_rest["unparsed"]
    units = [u for z in taipusi_rest["schools"][1]["zones"] for u in z["units"]]
    assert [(u["name"], u["code"]) for u in units] == [("宝昌镇", "152527100")]
    assert _zone_names(taipusi_rest, gazetteer, address) == [school]


def test_a_claim_on_the_whole_place_outranks_its_rest(gazetteer):
    """第四小学：千斤沟镇 (the whole township, 10) over 第二小学's rest of it (9); the rest of one
    of its villages (19) over both."""
    spec = _taipusi(
        "第二小学：千斤沟镇其余区域。\n第四小学：千斤沟镇。\n第五小学：千斤沟镇六号村其他区域。"
    )
    assert _zone_names(spec, gazetteer, "太仆寺旗千斤沟镇七号村") == ["第四小学"]
    assert _zone_names(spec, gazetteer, "太仆寺旗千斤沟镇六号村") == ["第五小学"]


def test_outside_the_county_the_rest_takes_nothing(taipusi_rest):
    from geo_enroll.placement.candidates import candidate_schools
    from geo_enroll.zoneindex import ZoneIndex

    spec = taipusi_rest
    index = ZoneIndex(spec, None)
    inside = {"input": "x", "lon": 115.3, "lat": 41.9, "code": "152527101201"}
    outside = dict(inside, code="130722100201")  # a village code of another county
    name = {s["id"]: s["name"] for s in spec["schools"]}
    assert [name[m["school_id"]] for m in candidate_schools(inside, "primary", index=index)["zone"]]
    assert candidate_schools(outside, "primary", index=index)["zone"] == []


def test_the_rest_of_a_village_in_a_list_and_in_a_table(tmp_path):
    """北关村其余区域 in a list or a table cell was the sub-area 其余 of 北关村 (no address names
    it); 北关村其他组 was reported.  Now the rest of 北关村: below its groups named elsewhere."""
    spec = _spec(
        "| 序号 | 学校名称 | 招生范围 |\n|---|---|---|\n"
        "| 1 | 第一小学 | 东关村；北关村1组 |\n"
        "| 2 | 第二小学 | 南关村；北关村其余区域 |\n"
    )
    zone = _rest(spec, "第二小学")
    assert [u["name"] for u in zone["units"]] == ["北关村"] and not spec["unparsed"]
    got, ids = offered(spec, ("某镇北关村1组8号", "某镇北关村3组8号"), tmp_path)
    assert got["某镇北关村1组8号"][0] == [ids["第一小学"]]
    assert got["某镇北关村3组8号"][0] == [ids["第二小学"]]
    listed = _spec("第三小学：东关村、北关村其他组。")
    assert [u["name"] for u in _rest(listed)["units"]] == ["北关村"]


def test_traditional_characters():
    """城關鎮其餘區域 was a compound of that name: read as its Simplified twin, named as written."""
    spec = _spec(f"{OWN}第三小学：城關鎮其餘區域。")
    zone = _rest(spec)
    assert [u["name"] for u in zone["units"]] == ["城關鎮"] and not spec["unparsed"]
    spec = _spec(f"{OWN}第三小学：除第一小学招生範圍以外之區域。")
    assert _rest(spec)["of"] == [next(s["id"] for s in spec["schools"] if s["name"] == "第一小学")]
