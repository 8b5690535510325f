"""Never invent a point: addresses from elsewhere in China get no point in 太仆寺旗 or 延庆.

The set is written from the national table's own names (``data/divisions``), the two counties'
village tables and the schematic base map's street names, in the forms that fooled the geocoder
on real addresses:

* a township elsewhere with the same name as one of the two counties' (永丰镇, 红旗镇, 永宁镇,
  旧县镇, 大榆树镇, 康庄镇, 幸福乡), written with its county, with its province only, or alone;
* a 宝昌镇 street name (察哈尔街, 光明大街…) after another county, a province or city alone, a
  county the table does not know, or a short county name;
* a village of the two counties, or a homophone of it (one character swapped for another with the
  same pinyin), written under another Beijing district, under 北京市 alone, or under another
  county of 锡林郭勒盟;
* villages written with no township or county at all (菜园村 exists in hundreds of places).

Every address must come back without a point inside either county, and the ones outside every
map without a point at all, with a reason code; the CLI exits non-zero for them.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from geo_enroll.address import load_divisions, normalize_address
from geo_enroll.address.divisions import village_base
from geo_enroll.address.parse import pinyin_key
from geo_enroll.cli import main
from geo_enroll.geocode import load_default_gazetteer
from geo_enroll.settings import data_dir

DIV = load_divisions()
HOME = ("152527", "110119")
BAOCHANG_STREETS = sorted(
    {
        n
        for n in pyogrio.read_dataframe(
            data_dir() / "boundaries" / "baochang_schematic.gpkg", layer="streets"
        )["name"]
        if n.endswith(("街", "路", "大街"))
    }
)


def _chain(code: str) -> str:
    return "".join(DIV.units[c].name for c in DIV.ancestors(code))


def _villages(county: str) -> list[str]:
    return sorted(
        village_base(normalize_address(DIV.units[c].name))[0]
        for c in DIV.village_keys
        if c.startswith(county)
    )


@lru_cache(maxsize=1)
def _homophone_chars() -> dict:
    """Toneless pinyin → characters used in official names (a pool to swap from)."""
    pool: dict[str, list[str]] = {}
    for unit in DIV.units.values():
        for ch in unit.name:
            if "\u4e00" <= ch <= "\u9fff":
                lst = pool.setdefault(pinyin_key(ch), [])
                if ch not in lst:
                    lst.append(ch)
    return pool


def _homophone(name: str) -> str | None:
    """``name`` with one character swapped for another of the same pinyin (deterministic)."""
    pool = _homophone_chars()
    for i, ch in enumerate(name[:-1]):  # keep the suffix (村)
        alts = sorted(c for c in pool.get(pinyin_key(ch), []) if c != ch)
        if alts:
            return name[:i] + alts[0] + name[i + 1 :]
    return None


def _same_name_townships():
    """(home township name, code of a same-named township in another county)."""
    out = []
    for code, unit in sorted(DIV.units.items()):
        if unit.level == "township" and code[:6] in HOME:
            for other in DIV.full["township"].get(normalize_address(unit.name), ()):
                if other[:6] not in HOME:
                    out.append((unit.name, code, other))
    return out


def _out_of_area() -> list[str]:
    texts: list[str] = []
    home_villages = {c: _villages(c) for c in HOME}
    # 1. same-named townships elsewhere, with a village name of the home county's township
    for i, (name, home_code, other) in enumerate(_same_name_townships()):
        local = [
            village_base(normalize_address(DIV.units[v].name))[0]
            for v in DIV.village_keys
            if v.startswith(home_code)
        ]
        village = sorted(local)[i % len(local)] if local else "红旗村"
        province = DIV.units[other[:2]].name
        county = DIV.units[other[:6]].name
        texts += [
            f"{_chain(other)}{village}{i % 9 + 1}组",
            f"{province}{name}{village}",
            f"{county}{name}{village}{i % 30 + 1}号",
            f"{name}{village}",  # no county: the name is not unique, so no guess
            f"{_chain(other[:6])}{name}{BAOCHANG_STREETS[i % len(BAOCHANG_STREETS)]}{i + 1}号",
        ]
    # 2. 宝昌镇 street names elsewhere
    counties = sorted(c for c, u in DIV.units.items() if u.level == "county" and c[:6] not in HOME)
    for i, code in enumerate(counties[:: len(counties) // 80]):
        street = BAOCHANG_STREETS[i % len(BAOCHANG_STREETS)]
        n = i % 120 + 1
        texts += [
            f"{_chain(code)}{street}{n}号",
            f"{DIV.units[code].name}{street}{n}号",
        ]
        if len(code) == 6 and code[:4] in DIV.units and not DIV.is_virtual(code[:4]):
            texts.append(f"{DIV.units[code[:4]].name}{street}{n}号")  # a city alone
    for street, place in itertools.product(
        BAOCHANG_STREETS,
        ("内蒙古", "内蒙古自治区", "锡林郭勒盟", "河北省张家口市", "某某县", "江干区"),
    ):
        texts.append(f"{place}{street}8号")
    # 3. villages of the two counties (and homophones) under other units
    beijing = [c for c, u in DIV.units.items() if u.level == "county" and c[:2] == "11"]
    beijing = sorted(c for c in beijing if c != "110119")
    xilin = sorted(c for c, u in DIV.units.items() if u.level == "county" and c[:4] == "1525")
    xilin = [c for c in xilin if c != "152527"]
    for home, others, top in (("110119", beijing, "北京市"), ("152527", xilin, "锡林郭勒盟")):
        for i, village in enumerate(home_villages[home][::4]):
            other = others[i % len(others)]
            sound = _homophone(village)
            texts += [
                f"{_chain(other)}{village}",
                f"{top}{village}{i % 5 + 1}号",
                f"{village}{i % 6 + 1}组",
            ]
            if sound:
                texts += [f"{top}{sound}", f"{_chain(other)}{sound}{i % 7 + 1}号", sound]
    return list(dict.fromkeys(texts))


OUT_OF_AREA = _out_of_area()


@pytest.fixture(scope="module")
def outlines():
    g = gpd.read_file(data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson")
    return list(g.geometry)


def test_the_set_is_large_and_covers_every_trap():
    assert len(OUT_OF_AREA) > 500
    assert len(_same_name_townships()) >= 40  # 永丰镇 ×13, 永宁镇 ×13, 红旗镇 ×10, ...
    assert len(BAOCHANG_STREETS) >= 8
    sounds = [_homophone(v) for v in _villages("110119")[:40]]
    assert sum(s is not None for s in sounds) > 30
    assert all(
        pinyin_key(s) == pinyin_key(v)
        for s, v in zip(sounds, _villages("110119"), strict=False)
        if s
    )


@pytest.mark.parametrize("which", ["default", "toy", "plain"])
def test_no_point_inside_either_county(which, outlines, toy_gazetteer, plain_gazetteer):
    g = {"default": load_default_gazetteer(), "toy": toy_gazetteer, "plain": plain_gazetteer}[which]
    wrong = []
    for text in OUT_OF_AREA:
        r = g.geocode(text)
        if r["county_code"] in HOME or r["code"] and r["code"][:6] in HOME:
            wrong.append((text, r["code"], r["level"]))
        elif r["lon"] is not None:
            if any(poly.contains(Point(r["lon"], r["lat"])) for poly in outlines):
                wrong.append((text, r["code"], r["level"]))
    assert wrong == []


def test_no_point_at_all_and_a_reason_for_each(outlines):
    g = load_default_gazetteer()
    for text in OUT_OF_AREA:
        r = g.geocode(text)
        assert r["lon"] is None, (text, r["level"], r["code"])
        assert r["reason_code"] and r["reason"], text


@pytest.mark.parametrize(
    "text, reason",
    [
        ("永丰镇红旗村", "ambiguous"),  # 13 townships share the name
        ("红旗镇前永村", "ambiguous"),  # a homophone is looked up only in one known township
        ("某某县红旗镇5组", "no_admin_unit"),  # a county the table does not know
        ("北京市张山营村", "not_found"),  # a village needs its county
        ("菜园村3社", "no_admin_unit"),
        ("内蒙古察哈尔街1号", "not_found"),  # a province spans many 察哈尔街
        ("临海市永丰镇", "outside_gazetteer"),  # the map's 永丰镇 seat is not 临海's
    ],
)
def test_cli_exits_non_zero_without_a_point(text, reason, capsys):
    code = main(["address", "geocode", text, "--json"])
    out = capsys.readouterr().out
    assert code != 0
    assert f'"reason_code": "{reason}"' in out and '"lon": null' in out


def test_home_addresses_still_resolve():
    g = load_default_gazetteer()
    r = g.geocode("察哈尔街1号")  # no county written: assumed on the map, and it says so
    assert r["level"] == "house_number" and r["reason_code"] == "assumed_local"
    r = g.geocode("太仆寺旗千斤沟镇东滩村")
    assert r["level"] == "village" and r["reason_code"] is None
    r = g.geocode("太仆寺旗永丰镇")
    assert r["level"] == "township" and r["lon"] is not None
    r = g.geocode("宝昌镇菜园村三社")  # 宝昌镇 is the only one in the national table
    assert r["level"] == "village" and r["county_code"] == "152527"
    r = g.geocode("太仆寺旗宝昌镇察哈尔街1号")
    assert r["level"] == "house_number" and r["reason_code"] is None


def test_a_street_is_read_only_in_its_own_township():
    g = load_default_gazetteer()
    r = g.geocode("太仆寺旗千斤沟镇光明大街3号")  # the map's 光明大街 is in 宝昌镇
    assert r["level"] == "township" and r["coarse"] and "光明大街" in r["unmatched"]
    r = g.geocode("太仆寺旗宝昌镇光明大街3号")
    assert r["level"] == "house_number"


def test_batch_of_out_of_area_addresses_locates_nothing_and_fails(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("地址\n" + "\n".join(OUT_OF_AREA[::50]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code = main(["geocode", str(src), "--column", "地址", "-o", str(out), "--no-progress",
                 "--json"])  # fmt: skip
    summary = capsys.readouterr().out
    assert code == 1 and '"with_point": 0' in summary
    text = out.read_text(encoding="utf-8-sig")
    assert text.count("\n") == len(OUT_OF_AREA[::50]) + 1  # every row kept, with its reason


def test_a_county_inferred_from_a_unique_township_says_so():
    g = load_default_gazetteer()
    r = g.geocode("千斤沟镇东滩村")  # 千斤沟镇: one in the whole national table
    assert r["level"] == "village" and r["matched"]["inferred_from"].startswith("unique")
    r = g.geocode("太仆寺旗千斤沟镇东滩村")
    assert "inferred_from" not in r["matched"]
