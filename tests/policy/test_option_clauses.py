"""An option at a school written after the school's scope, or with 可自愿选择 (第三小学：宝昌镇菜园村，
千斤沟镇的适龄儿童也可以选择第三小学 / 千斤沟镇学生可自愿选择到第二小学就读).

Before: in the first, 千斤沟镇 became part of 第三小学's *zone* (its children assigned there,
not offered it) and "也可以选择第三小学" was reported; the second was reported.  Now both are
options (``alternative``) for those places, as 也可到第四小学入学 is; a category's free choice
(消防救援人员…子女可自主选择到中小学就读, 其他学生可自主选择到…就读) keeps its own reading, and
nothing of the ten reference notices or the seeds changed."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy

HEAD = "# 太仆寺旗2024年义务教育招生划片范围\n\n"


def _zones(text: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(HEAD + text + "\n")
    got = [
        (s["name"], z["kind"], tuple(u["name"] for u in z.get("units") or []))
        for s in spec["schools"]
        for z in s["zones"]
    ]
    return got, [u["reason"] for u in spec["unparsed"]]


@pytest.mark.parametrize(
    "option",
    [
        "千斤沟镇的适龄儿童也可以选择第三小学",
        "千斤沟镇的适龄儿童也可到第三小学",
        "千斤沟镇户籍学生也可到第三小学入学",
        "千斤沟镇学生可自愿选择到第三小学就读",
        "千斤沟镇适龄儿童可自主选择第三小学",
    ],
)
@pytest.mark.parametrize("joint", ["，", "。"])
def test_an_option_after_the_scope(option, joint):
    got, left = _zones(f"第三小学：宝昌镇菜园村{joint}{option}。")
    assert got == [
        ("第三小学", "admin_units", ("菜园村",)),
        ("第三小学", "alternative", ("千斤沟镇",)),
    ]
    assert left == []


def test_an_option_in_the_engine(tmp_path):
    """Geocoded on the shipped gazetteer and looked up on the engine: a 千斤沟镇 village has its
    zone school and 第三小学 as an option; 菜园村 has 第三小学 as its zone school."""
    from geo_enroll.geocode.gazetteer import load_default_gazetteer
    from geo_enroll.placement.candidates import candidate_schools
    from geo_enroll.policy.spec import load_spec, save_spec
    from geo_enroll.zoneindex import ZoneIndex

    spec = parse_policy(
        HEAD + "第三小学：宝昌镇菜园村，千斤沟镇的适龄儿童也可以选择第三小学。\n"
        "第四小学：千斤沟镇。\n"
    )
    save_spec(spec, tmp_path / "spec.toml")
    spec = load_spec(tmp_path / "spec.toml")
    ids = {s["name"]: s["id"] for s in spec["schools"]}
    index, gaz = ZoneIndex(spec, None), load_default_gazetteer()
    got = {}
    for address in ("太仆寺旗千斤沟镇大营子村", "太仆寺旗宝昌镇菜园村"):
        c = candidate_schools(gaz.geocode(address), "primary", index=index)
        got[address] = (
            [m["school_id"] for m in c["zone"]],
            [(m["school_id"], m["kind"]) for m in c["optional"]],
        )
    assert got["太仆寺旗千斤沟镇大营子村"] == (
        [ids["第四小学"]],
        [(ids["第三小学"], "alternative")],
    )
    assert got["太仆寺旗宝昌镇菜园村"] == ([ids["第三小学"]], [])


@pytest.mark.parametrize(
    "text,want",
    [
        (
            "第四小学：宝昌镇城北村，其他学生可自主选择到第四小学就读。",
            [("第四小学", "admin_units", ("城北村",)), ("第四小学", "free_choice", ())],
        ),
        (
            "第四小学：宝昌镇城北村。消防救援人员提供有效证明后子女可自主选择到中小学就读。",
            [("第四小学", "admin_units", ("城北村",))],
        ),
    ],
)
def test_free_choices_keep_their_reading(text, want):
    got, _ = _zones(text)
    assert got == want
