"""Short forms seen in real addresses (issue #12, causes 1, 12 and 15), several variants each.

Expected units are looked up in the table (``data/divisions``) by their official names, so the
tests check the mechanism, not a copied code.
"""

from __future__ import annotations

import pytest

from geo_enroll.address import load_divisions, parse_address
from geo_enroll.address.divisions import CONVENTIONAL_SHORT, Divisions, short_name

DIV = load_divisions()


def _unit(name: str, level: str) -> str:
    (code,) = DIV.full[level][name]
    return code


# -- cause 1: an autonomous prefecture written as its stem + 州, a 盟 by its abbreviation -----
@pytest.mark.parametrize(
    "text, city, county",
    [
        ("湖南省湘西州凤凰县", "湘西土家族苗族自治州", "凤凰县"),
        ("湘西州花垣县双龙镇十八洞村", "湘西土家族苗族自治州", "花垣县"),
        ("四川省凉山州昭觉县", "凉山彝族自治州", "昭觉县"),
        ("贵州省黔东南州雷山县西江镇", "黔东南苗族侗族自治州", "雷山县"),
        ("新疆伊犁州伊宁县", "伊犁哈萨克自治州", "伊宁县"),
        ("吉林省延边州延吉市", "延边朝鲜族自治州", "延吉市"),
        ("云南西双版纳州景洪市", "西双版纳傣族自治州", "景洪市"),
        ("青海省海南州共和县", "海南藏族自治州", "共和县"),
        ("内蒙古锡盟太仆寺旗宝昌镇", "锡林郭勒盟", "太仆寺旗"),
        ("锡盟太仆寺旗", "锡林郭勒盟", "太仆寺旗"),
        # an autonomous county written with its kind, its people dropped
        ("云南省怒江州贡山县独龙江乡", "怒江傈僳族自治州", "贡山独龙族怒族自治县"),
        ("湖北省宜昌市长阳县龙舟坪镇", "宜昌市", "长阳土家族自治县"),
    ],
)
def test_short_prefecture_and_the_county_after_it(text, city, county):
    r = parse_address(text)
    assert (r["city"], r["county"]) == (city, county)
    assert r["codes"]["city"] == _unit(city, "city")
    assert r["codes"]["county"].startswith(r["codes"]["city"])
    assert r["reason_code"] is None


def test_every_autonomous_prefecture_has_its_short_form():
    """Derived from the table, not listed: each 自治州 is found by stem + 州 alone."""
    names = [k for k in DIV.full["city"] if k.endswith("自治州")]
    assert len(names) >= 30
    for name in names:
        r = parse_address(short_name(name, "city") + "州")
        assert r["city"] == name, name


def test_conventional_abbreviations_name_one_prefecture():
    for form, name in CONVENTIONAL_SHORT.items():
        assert DIV.short["city"][form] == DIV.full["city"][name]


def test_derived_form_is_read_like_a_full_name():
    """芷江县镇阳镇: the kind is written (县), so what follows is not part of the name."""
    r = parse_address("芷江县镇阳镇成华大道12号")
    assert r["county"] == "芷江侗族自治县" and r["road"] is not None


def test_a_short_form_shared_by_two_prefectures_abstains():
    """A toy table where two provinces each have a 某某族自治州 of the same stem."""
    div = Divisions([
        ("43", "湖南省"), ("4331", "湘西土家族苗族自治州"), ("433123", "凤凰县"),
        ("52", "贵州省"), ("5231", "湘西苗族自治州"), ("523101", "某县"),
    ])  # fmt: skip
    assert set(div.full["city"]["湘西州"]) == {"4331", "5231"}
    r = parse_address("湘西州", divisions=div)
    assert r["city"] is None and r["codes"] == {}
    assert r["reason_code"] == "ambiguous"
    assert len(r["candidates"]["city"]) == 2
    # the province written decides
    assert parse_address("湖南省湘西州", divisions=div)["codes"]["city"] == "4331"
    # and the county under it
    assert parse_address("湘西州凤凰县", divisions=div)["codes"]["county"] == "433123"


def test_a_short_form_that_is_another_units_name_is_not_added():
    """湘西州 would also be a county's full name here: it is left to that county."""
    div = Divisions([
        ("43", "湖南省"), ("4331", "湘西土家族苗族自治州"), ("433101", "吉首市"),
        ("4312", "怀化市"), ("431201", "湘西州"),
    ])  # fmt: skip
    assert "湘西州" not in div.full["city"] and "湘西州" not in div.short["city"]
    assert parse_address("湖南省湘西州", divisions=div)["codes"].get("county") == "431201"
