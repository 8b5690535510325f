"""Synthetic cohorts on the toy spec and for 延庆 (residence categories)."""

import pytest

from geo_enroll.datasets import toy_spec
from geo_enroll.placement.applicants import read_applicants, row_problems
from geo_enroll.placement.cohort import synth_cohort
from geo_enroll.settings import data_dir


def test_toy_cohort_counts_ids_and_label():
    df = synth_cohort(toy_spec(), seed=3, primary=25, middle=15)
    assert df["学段"].value_counts().to_dict() == {"小学": 25, "初中": 15}
    assert row_problems(read_applicants(df)) == []
    assert df["姓名"].str.startswith("测试").all() and df["备注"].str.contains("虚构").all()
    assert (df.loc[df["学段"] == "初中", "学籍号"] != "").all()


def test_yanqing_cohort_has_the_seed_residence_categories():
    path = data_dir() / "boundaries" / "yanqing_2023.toml"
    if not path.exists():
        pytest.skip(f"needs {path}")
    from geo_enroll.policy.spec import load_spec

    spec = load_spec(path)
    df = synth_cohort(spec, seed=7, primary=150, middle=50)
    assert df["身份证号"].str.startswith("110119").all()
    cats = set(df["类别"].str.split("、").explode())
    assert {"本市户籍", "非本市户籍"} <= cats
    assert cats & set(spec["policy"]["eligibility"]["treated_as_local"])
    assert set(df.loc[df["类别"] == "非本市户籍", "材料审核"]) <= {"通过", "未通过"}
    urban = ("百泉街道", "香水园街道", "儒林街道", "延庆镇")
    assert df["实际居住地址"].map(lambda a: any(u in a for u in urban)).all()
    assert row_problems(read_applicants(df)) == []
