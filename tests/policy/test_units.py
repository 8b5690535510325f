"""Official admin-unit resolver: variants resolve to the right code, doubtful names do not."""

from __future__ import annotations

import csv

import pytest

from geo_enroll.errors import UnitResolutionError
from geo_enroll.policy.units import (
    infer_township,
    load_units,
    resolve_township,
    resolve_unit,
    township_communities,
)
from geo_enroll.settings import data_dir


def _official_code(official_name: str, township: str) -> str:
    """Code of an official unit, read from the shipped CSV (not hard-coded)."""
    towns = {}
    with (data_dir() / "divisions" / "townships_152527_110119.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            towns[row["name"]] = row["code"]
    with (data_dir() / "divisions" / "villages_152527_110119.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["name"] == official_name and row["township_code"] == towns[township]:
                return row["code"]
    raise AssertionError(f"{official_name} not in {township}")


# (as written in the seed, township, official name) — the seed's spelling variants
VARIANTS = [
    ("东圪良", "千斤沟镇", "东圪梁村委会"),
    ("大疙洞", "千斤沟镇", "大圪洞村委会"),
    ("临潭", "千斤沟镇", "临谭村委会"),
    ("台头沟", "千斤沟镇", "抬头沟村委会"),
    ("察布淖", "千斤沟镇", "查布淖村委会"),
    ("二道穆图", "骆驼山镇", "二道木图村委会"),
    ("账房山", "骆驼山镇", "帐房山村委会"),
    ("楚伦乌苏", "骆驼山镇", "楚鲁乌苏村委会"),
    ("四角", "骆驼山镇", "四角滩村委会"),
    ("地方子", "宝昌镇", "地房子村委会"),
    ("边墙", "宝昌镇", "小边墙村委会"),
    ("前永", "红旗镇", "前勇村委会"),
    ("红意", "红旗镇", "红义村委会"),
    ("红井子", "红旗镇", "红井村委会"),
    ("小平地", "红旗镇", "平地村委会"),
    ("永和", "幸福乡", "永合村委会"),
    ("南地房", "幸福乡", "南地方子村委会"),
    ("赛汗淖尔", "贡宝拉格苏木", "赛罕淖尔嘎查"),
    ("南郊社区", "宝昌镇", "南郊居委会"),
    ("菜园村", "宝昌镇", "菜园村委会"),
]


@pytest.mark.parametrize(("written", "township", "official"), VARIANTS)
def test_variant_resolves_to_official_code(written, township, official):
    res = resolve_unit(written, township=township)
    assert res["official_name"] == official
    assert res["code"] == _official_code(official, township)
    assert res["confidence"] >= 0.78


@pytest.mark.parametrize(
    ("written", "township"),
    [
        ("六面井", "骆驼山镇"),
        ("姚五沟", "永丰镇"),
        ("农场", "红旗镇"),
        ("炮台营子", "贡宝拉格苏木"),
        ("莫日齐克", "贡宝拉格苏木"),
    ],
)
def test_doubtful_names_stay_unresolved_with_reason(written, township):
    res = resolve_unit(written, township=township)
    assert res["code"] is None
    assert res["note"]
    # never a candidate that would silently pass for the answer
    assert all(c["score"] < 1.0 or c["township"] != township for c in res["candidates"])


def test_name_from_another_township_is_a_candidate_not_an_answer():
    res = resolve_unit("六面井", township="骆驼山镇")
    assert res["code"] is None
    top = res["candidates"][0]
    assert top["township"] == "千斤沟镇" and top["code"] == _official_code(
        "六面井村委会", "千斤沟镇"
    )


@pytest.mark.parametrize("name", ["国防社区", "西郊社区", "西郊"])
def test_jionlp_only_communities_have_no_code(name):
    res = resolve_unit(name, township="宝昌镇")
    assert res["code"] is None
    assert "jionlp" in res["note"]


def test_every_official_unit_resolves_to_itself():
    """Round trip over the whole shipped list: the resolver never confuses two official units."""
    units = [u for u in load_units() if u.code and u.level != "township"]
    shorts = [(u.township, u.short) for u in units]
    for unit in units:
        res = resolve_unit(unit.name, township=unit.township, county=unit.county_code)
        assert res["code"] == unit.code, (unit, res)
        # a bare short name is only unambiguous when no sibling shares it (龙聚山庄 社区/村)
        if shorts.count((unit.township, unit.short)) == 1 and not unit.short.endswith(
            ("镇", "乡", "街道", "苏木")
        ):
            res = resolve_unit(unit.short, township=unit.township, county=unit.county_code)
            assert res["code"] == unit.code, (unit, res)


def test_townships_with_or_without_suffix():
    for unit in load_units():
        if unit.level == "township":
            assert resolve_township(unit.name)["code"] == unit.code
            assert resolve_township(unit.short)["code"] == unit.code


def test_ambiguous_name_without_township_is_not_guessed():
    res = resolve_unit("幸福")  # a 永丰镇 village and a township
    assert res["code"] is None and len(res["candidates"]) >= 2


def test_blank_cell_township_inferred_from_villages():
    town, share = infer_township(["骆驼山", "账房山", "二道穆图", "红星", "六面井", "东河沿"])
    assert town == "骆驼山镇" and share > 0.8


def test_baochang_has_six_coded_communities():
    assert len(township_communities("宝昌镇")) == 6


def test_empty_name_is_a_user_error():
    with pytest.raises(UnitResolutionError):
        resolve_unit("  ")
