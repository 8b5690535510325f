"""Eligibility read from the spec: age, deferral, which address counts, tiers, choices."""

import copy

import pandas as pd
import pytest

from geo_enroll.datasets import toy_spec
from geo_enroll.placement.applicants import read_applicants
from geo_enroll.placement.eligibility import assess_eligibility
from geo_enroll.placement.idcard import synth_id


def _row(i=1, born="2018-03-01", level="小学", **extra):
    rec = {
        "身份证号": synth_id("999999", born, 2 * i + 1),
        "出生日期": born,
        "性别": "男",
        "学段": level,
        "户籍地址": "玩具镇横街61号",
    }
    rec.update(extra)
    return rec


def _assess(rows, spec=None):
    table = read_applicants(pd.DataFrame(rows))
    el = assess_eligibility(table, spec=spec or toy_spec())
    return el.loc[table["student_id"]].reset_index()


def test_age_cutoff_and_deferral_follow_the_spec():
    spec = toy_spec()
    rows = [_row(1, "2018-08-31"), _row(2, "2018-09-01"), _row(3, "2018-01-01", 缓学="是")]
    el = _assess(rows, spec)
    assert list(el["status"]) == ["", "ineligible", "deferred"]
    spec["policy"]["age_cutoff"] = "2018-09-30"
    assert _assess(rows, spec)["status"].iloc[1] == ""
    spec["policy"]["eligibility"]["deferral"] = False
    assert _assess(rows, spec)["status"].iloc[2] == ""


def test_migration_cutoff_picks_new_or_old_address():
    rows = [
        _row(1, 户口迁入日期="2023-08-31", 原户籍地址="玩具镇横街22号"),
        _row(2, 户口迁入日期="2023-09-01", 原户籍地址="玩具镇横街22号"),
    ]
    el = _assess(rows)
    assert el["address_options"].iloc[0][0]["address"] == "玩具镇横街61号"
    assert el["address_options"].iloc[1][0]["address"] == "玩具镇横街22号"
    assert any("迁移前" in d for d in el["decisions"].iloc[1])


def test_address_basis_order_and_tiers_come_from_the_spec():
    rows = [_row(1, 房产地址="玩具镇横街93号")]
    opts = _assess(rows)["address_options"].iloc[0]
    assert [(o["basis"], o["tier"]) for o in opts] == [("hukou", 1), ("property_in_zone", 2)]
    spec = toy_spec()
    spec["policy"]["eligibility"]["address_basis"] = ["hukou_property_agree", "actual_residence"]
    opts = _assess([_row(1, 房产地址="玩具镇横街93号", 实际居住地址="玩具镇横街21号")], spec)[
        "address_options"
    ].iloc[0]
    assert [o["basis"] for o in opts] == ["hukou_property_agree", "actual_residence"]
    assert opts[1]["address"] == "玩具镇横街21号"


def test_priority_free_choice_and_disability():
    rows = [
        _row(1, 类别="烈士子女"),
        _row(2, 类别="消防救援人员子女", 志愿学校="西小学"),
        _row(3, 残疾="随班就读"),
        _row(4, 残疾="特教学校"),
        _row(5),
    ]
    el = _assess(rows)
    assert list(el["priority"]) == [True, False, True, False, False]
    assert list(el["free_choice"]) == [False, True, False, False, False]
    assert el["preference"].iloc[1] == "toy-p2"
    assert el["status"].iloc[3] == "ineligible" and el["rule"].iloc[3] == "special_education"


def test_sibling_rule_only_when_the_elder_is_not_there_by_choice():
    rows = [
        _row(1, 兄姐在读学校="toy-p2", 兄姐择校="否"),
        _row(2, 兄姐在读学校="toy-p2", 兄姐择校="是"),
        _row(3, 兄姐在读学校="第一中学", 兄姐择校="否"),
    ]
    el = _assess(rows)
    assert list(el["sibling_school"].fillna("-")) == ["toy-p2", "-", "-"]
    spec = toy_spec()
    spec["policy"]["eligibility"]["sibling_rule"] = False
    assert _assess(rows[:1], spec)["sibling_school"].isna().all()


MATERIALS_SENTENCE = {  # 延庆 line 65: the policy sets a material check for non-local children
    "text": "提供在延务工就业材料、在延实际住所居住材料、全家户口簿、北京市居住证",
    "line": 65,
}


def test_no_material_check_in_the_policy_means_none_is_asked():
    el = _assess([_row(1, 类别="随迁子女", 户籍地址="河北省某县", 实际居住地址="玩具镇横街21号")])
    assert el["status"].iloc[0] == ""
    assert not any("材料审核" in x for x in el["decisions"].iloc[0])


@pytest.mark.parametrize(
    "materials,status",
    [("通过", ""), ("未通过", "ineligible"), ("", "held"), ("待定", "held")],
)
def test_non_local_children_and_treated_as_local(materials, status):
    spec = copy.deepcopy(toy_spec())
    spec["policy"]["eligibility"]["treated_as_local"] = ["台胞子女"]
    spec["policy"]["eligibility"]["source"].append(MATERIALS_SENTENCE)
    rows = [
        _row(
            1,
            类别="非本市户籍",
            材料审核=materials,
            户籍地址="河北省某县",
            实际居住地址="玩具镇横街21号",
        ),
        _row(2, 类别="非本市户籍、台胞子女", 户籍地址="玩具镇横街21号"),
    ]
    el = _assess(rows, spec)
    assert el["status"].iloc[0] == status
    if not status:
        assert el["address_options"].iloc[0][-1]["basis"] == "migrant_residence"
    assert [o["basis"] for o in el["address_options"].iloc[1]] == ["hukou"]


def test_every_decision_is_recorded(toy_table):
    el = assess_eligibility(read_applicants(toy_table), spec=toy_spec())
    assert el["decisions"].map(len).min() >= 2
    assert not any("测试" in d for ds in el["decisions"] for d in ds)  # no names


def test_blank_material_check_is_held_not_passed(toy):
    """Issue 10, item 4: a blank 材料审核 of a 非本市户籍 child is unknown: held with the reason,
    never traced as 已通过 and never placed."""
    from geo_enroll.placement.run import place

    spec = copy.deepcopy(toy["spec"])
    spec["policy"]["eligibility"]["source"].append(MATERIALS_SENTENCE)
    table = [
        _row(
            1, 类别="非本市户籍", 材料审核="", 户籍地址="河北省某县", 实际居住地址="玩具镇横街21号"
        ),
        _row(
            2,
            类别="非本市户籍",
            材料审核="通过",
            户籍地址="河北省某县",
            实际居住地址="玩具镇横街23号",
        ),
    ]
    res = place(pd.DataFrame(table), seed=1, **{**toy, "spec": spec})
    p = res.placements.sort_values("trace").reset_index(drop=True)
    held = p[p["status"] == "held"]
    assert len(held) == 1 and held["rule"].iloc[0] == "materials_pending"
    trace = held["trace"].iloc[0]
    assert "暂缓派位" in trace and "已通过" not in trace and held["school"].iloc[0] == ""
    passed = p[p["status"] != "held"]
    assert "材料审核已通过" in passed["trace"].iloc[0]


@pytest.mark.parametrize("materials,status", [("未通过", "ineligible"), ("待定", "held"), ("", "")])
def test_recorded_material_check_counts_whatever_the_policy_text(materials, status):
    """Review W1: a recorded 未通过 is ineligible and an unreadable value held even when the
    spec sets no material check; only a blank check depends on the policy's gate."""
    spec = toy_spec()
    assert not spec["policy"]["eligibility"].get("material_check")
    row = _row(1, 类别="非本市户籍", 材料审核=materials, 户籍地址="河北省某县")
    row["实际居住地址"] = "玩具镇横街21号"
    el = _assess([row], spec)
    assert el["status"].iloc[0] == status
    assert not any("审核通过" in x for x in el["decisions"].iloc[0])


def test_material_check_gate_comes_from_the_parsed_field():
    """Review W1: ``eligibility.material_check`` (what the parser writes) sets the gate, with no
    hand-added source sentence."""
    spec = toy_spec()
    spec["policy"]["eligibility"]["material_check"] = True
    row = _row(1, 类别="非本市户籍", 材料审核="", 户籍地址="河北省某县")
    row["实际居住地址"] = "玩具镇横街21号"
    el = _assess([row], spec)
    assert (el["status"].iloc[0], el["rule"].iloc[0]) == ("held", "materials_pending")


def test_committed_yanqing_spec_sets_the_material_check():
    """Review W1: the committed parse of the 延庆 text itself (not a hand-patched scenario)
    holds a blank check, refuses 未通过 and places 通过."""
    from pathlib import Path

    from geo_enroll.policy.spec import load_spec

    root = Path(__file__).resolve().parents[2]
    spec = load_spec(root / "data" / "boundaries" / "yanqing_2023.toml")
    el = spec["policy"]["eligibility"]
    assert el["material_check"] is True
    assert {65, 73, 79} <= {s["line"] for s in el["source"] if "材料" in s["text"]}
    rows = []
    for i, m in enumerate(("未通过", "", "通过"), start=1):
        rows.append(_row(i, "2016-03-01", 类别="非本市户籍", 材料审核=m, 户籍地址="河北省某县"))
        rows[-1]["实际居住地址"] = "北京市延庆区百泉街道某路1号"
    got = _assess(rows, spec)
    assert list(got["status"]) == ["ineligible", "held", ""]
    assert list(got["rule"]) == ["materials", "materials_pending", ""]
    taipusi = load_spec(root / "data" / "boundaries" / "taipusi_2024.toml")
    assert "material_check" not in taipusi["policy"]["eligibility"]  # its text sets none
