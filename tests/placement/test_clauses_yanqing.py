"""Clause tests of the 延庆 2023 seed (docs/clauses.md names them by line) that no other test
file already shows: the parsed facts the engine reads, on the committed spec."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_enroll.placement.applicants import read_applicants
from geo_enroll.placement.eligibility import assess_eligibility
from geo_enroll.placement.idcard import synth_id
from geo_enroll.policy.spec import load_spec
from geo_enroll.settings import data_dir


@pytest.fixture(scope="module")
def spec():
    return load_spec(data_dir() / "scenarios" / "yanqing_2023_multischool.toml")


def _assess(rows, spec):
    table = read_applicants(pd.DataFrame(rows))
    return assess_eligibility(table, spec=spec).loc[table["student_id"]].reset_index()


def _row(i, born="2017-03-01", **extra):
    return {
        "身份证号": synth_id("110119", born, 2 * i + 1),
        "出生日期": born,
        "学段": "小学",
        "户籍地址": "北京市延庆区百泉街道1号",
        "类别": "本市户籍",
        **extra,
    }


def test_l27_age_cutoff_2017_08_31_and_address_basis(spec):
    el = _assess([_row(1, "2017-08-31"), _row(2, "2017-09-01")], spec)
    assert list(el["status"]) == ["", "ineligible"]
    basis = spec["policy"]["eligibility"]["address_basis"]
    assert basis == ["hukou_property_agree", "actual_residence"]  # lines 27, 35


def test_l29_deferral_with_hospital_records(spec):
    el = _assess([_row(1, 缓学="是", 缓学证明="二级甲等医院病历", 缓学批准="是")], spec)
    assert el["status"].iloc[0] == "deferred" and "二级甲等医院病历" in el["decisions"].iloc[0][-1]


def test_l48_l60_six_kinds_treated_as_local_by_meaning(spec):
    kinds = ["台胞子女", "华侨子女", "博士后", "随军", "父母一方为本市户籍", "工作居住证"]
    rows = [
        _row(
            i,
            类别=f"非本市户籍、{k}",
            户籍地址="河北省某县",
            实际居住地址="北京市延庆区百泉街道1号",
        )
        for i, k in enumerate(kinds, start=1)
    ]
    el = _assess(rows, spec)
    assert list(el["status"]) == [""] * 6
    assert all(any("按本地户籍对待" in x for x in d) for d in el["decisions"])


def test_l65_l73_non_local_material_check_decides(spec):
    base = dict(类别="非本市户籍", 户籍地址="河北省某县", 实际居住地址="北京市延庆区百泉街道1号")
    el = _assess(
        [_row(1, 材料审核="通过", **base), _row(2, 材料审核="未通过", **base), _row(3, **base)],
        spec,
    )
    assert list(el["status"]) == ["", "ineligible", "held"]


def test_l93_care_categories_are_tie_breaks_l87_disability_too(spec):
    el = spec["policy"]["eligibility"]
    assert {
        el["priority_kind"][k]
        for k in ("烈士子女", "台籍学生", "华侨子女", "现役军人子女", "全国劳动模范子女")
    } == {"tie_break"}
    assert el["disability_priority"] == "tie_break"
    got = _assess([_row(1, 类别="本市户籍、烈士子女"), _row(2, 残疾="随班就读")], spec)
    assert not got["priority"].any() and got["tie_break"].all()


def test_l161_l179_timeline_and_l108_l116_phones(spec):
    pol = spec["policy"]
    assert [t["kind"] for t in pol["timeline"]][-1] == "notice_issue"
    assert pol["timeline"][-1]["start"] == "2023-07-01"
    assert [(c["kind"], c["phone"]) for c in pol["contacts"]] == [
        ("consultation", "69102029"),
        ("consultation", "69101579"),
        ("supervision", "69102378"),
    ]
    assert pol["issuer"] == "延庆区教委"
