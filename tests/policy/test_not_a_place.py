"""What a notice says of a school that is not a place (招收本校教职工子女 / 今年暂停招生 / 同上 /
学校周边1公里范围内 / 全县农村留守儿童 / 集镇所在地).

Before: in a county whose official unit list does not ship, any name not understood became a
compound of that name (a zone "今年暂停招生" that no address is in, and the line not reported);
now such a scope is reported for a person to read (``scopes._not_a_place``), and nothing of the
ten reference notices or the seeds changed (a compound of a place near a landmark, 大邑
氮肥厂附近, stays)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy

NOT_PLACES = (
    "招收本校教职工子女",
    "今年暂停招生",
    "同上",
    "本校周边",
    "学校周边1公里范围内",
    "学校周边三公里",
    "全县农村留守儿童",
    "全县残疾儿童少年",
    "集镇所在地",
    "面向全县招收寄宿生",
    "随迁子女",
    "具体见附表",
)
PLACES = ("教职工小区", "儿童公园小区", "少年宫小区", "米家庄村", "三十里铺村", "全兴花园")


def _read(scope: str) -> dict:
    return parse_policy(f"# 某县招生范围\n\n第一小学：东关村。\n第二小学：{scope}。\n")


@pytest.mark.parametrize("scope", NOT_PLACES)
def test_not_a_place_is_reported_not_a_zone(scope):
    spec = _read(scope)
    second = next((s for s in spec["schools"] if s["name"] == "第二小学"), None)
    assert second is None or not second["zones"]
    assert any(scope in u.get("text", "") or u.get("text", "") in scope for u in spec["unparsed"])


@pytest.mark.parametrize("name", PLACES)
def test_places_with_such_words_stay(name):
    spec = _read(name)
    second = next(s for s in spec["schools"] if s["name"] == "第二小学")
    got = [z.get("name") or z["units"][0]["name"] for z in second["zones"]]
    assert got == [name]
    assert not spec.get("unparsed")


@pytest.mark.parametrize(
    "line", ["以上学校学位不足时，按相对就近原则安排。", "城区学校学位紧张", "按照户籍统筹安排"]
)
def test_a_rules_prose_after_a_list_is_not_the_schools_place(line):
    """A line of prose under 第二小学：西关村 was read as more of its list (compounds called
    以上学校学位不足时 and 按相对就近原则安排); it is reported now, 第二小学 keeps 西关村 alone."""
    spec = parse_policy(f"# 某县招生范围\n\n第一小学：东关村。\n第二小学：西关村。\n{line}\n")
    second = next(s for s in spec["schools"] if s["name"] == "第二小学")
    assert [z["kind"] for z in second["zones"]] == ["admin_units"]
    assert spec["unparsed"]
