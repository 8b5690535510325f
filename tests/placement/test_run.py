"""The `place` run on the toy town: invariants, determinism, bad input, atomic outputs."""

import re

import pandas as pd
import pytest

from geo_enroll.errors import AllocationError, ApplicantError
from geo_enroll.placement.applicants import read_applicants
from geo_enroll.placement.run import PLACEMENT_COLUMNS, SCHOOL_COLUMNS, place

STATUSES = {"placed", "ineligible", "deferred", "held", "unresolved_address", "no_seat"}


def _run(table, toy, out=None, seed=7, **kw):
    return place(table, seed=seed, out_dir=out, **toy, **kw)


def check_invariants(placements: pd.DataFrame, schools: pd.DataFrame, n_applicants: int, spec):
    """The 'must show' invariants, shared with the 太仆寺旗 test."""
    assert list(placements.columns) == PLACEMENT_COLUMNS
    assert list(schools.columns) == SCHOOL_COLUMNS
    assert len(placements) == n_applicants and placements["student_id"].is_unique
    assert set(placements["status"]) <= STATUSES
    assert (schools["placed"] <= schools["seats"]).all(), schools
    counted = placements[placements["status"] == "placed"].groupby(["school", "level"]).size()
    for rec in schools.itertuples():
        assert counted.get((rec.school, rec.level), 0) == rec.placed
    placed = placements["status"] == "placed"
    assert (placements.loc[placed, "school"].astype(str) != "").all()
    assert placements.loc[~placed, "school"].fillna("").astype(str).eq("").all()
    names = {s["name"]: s["id"] for s in spec["schools"]}
    full = {(r.school, r.level) for r in schools.itertuples() if r.placed >= r.seats}
    needs = placements[(placements["rule"] == "overflow") | (placements["status"] == "no_seat")]
    for rec in needs.itertuples():
        named = re.findall(r"([^：、；]+?)（\d+个学位已满）", rec.trace)
        assert named, rec.trace  # names the full schools
        for name in named:
            assert (names[name], rec.level) in full, (name, rec.trace)
    assert placements["trace"].str.len().min() > 0
    # "how full the school was" in the trace agrees with schools.csv
    sc = schools.set_index(["school", "level"])
    for rec in placements[placed].itertuples():
        m = re.search(r"共(\d+)个(?:小学|初中)学位，最终录取(\d+)人", rec.trace)
        assert m, rec.trace
        assert int(m[1]) == sc.loc[(rec.school, rec.level), "seats"]
        assert int(m[2]) == sc.loc[(rec.school, rec.level), "placed"] <= int(m[1])


def test_toy_run_invariants(toy, toy_table, tmp_path):
    res = _run(toy_table, toy, tmp_path / "out")
    check_invariants(res.placements, res.schools, len(toy_table), toy["spec"])
    st = res.placements.set_index("student_id")["status"]
    assert {"placed", "no_seat", "ineligible", "deferred", "unresolved_address"} <= set(st)
    on_disk = pd.read_csv(tmp_path / "out" / "placements.csv", dtype=str, keep_default_na=False)
    assert len(on_disk) == len(toy_table)
    assert not any(n in on_disk.to_csv() for n in toy_table["姓名"])  # no names
    assert not any(n in on_disk.to_csv() for n in toy_table["身份证号"])  # no ID numbers


def test_overflow_goes_to_the_nearest_school_with_seats_and_counts_add_up(toy, toy_table):
    res = _run(toy_table, toy)
    sc = res.schools.set_index("school")
    assert sc.loc["toy-p1", "overflow_out"] > 0 and sc.loc["toy-p2", "overflow_in"] > 0
    p = res.placements
    assert sc["overflow_in"].sum() == (p["rule"] == "overflow").sum()


def test_byte_identical_whatever_the_row_order(toy, toy_table, tmp_path):
    _run(toy_table, toy, tmp_path / "a")
    _run(toy_table.sample(frac=1, random_state=5), toy, tmp_path / "b")
    for name in ("placements.csv", "schools.csv", "run.json", "placements.gpkg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_gpkg_layers_have_no_names(toy, toy_table, tmp_path):
    import pyogrio

    _run(toy_table, toy, tmp_path / "o")
    path = tmp_path / "o" / "placements.gpkg"
    layers = {name for name, _g in pyogrio.list_layers(path)}
    assert {"homes", "overflow", "schools"} <= layers
    homes = pyogrio.read_dataframe(path, layer="homes")
    assert "name" not in homes.columns and "姓名" not in homes.columns
    lines = pyogrio.read_dataframe(path, layer="overflow")
    assert len(lines) == int(
        _run(toy_table, toy).placements["rule"].isin(["overflow", "no_zone"]).sum()
    )


def test_bad_rows_are_marked_or_stop_the_run_in_strict_mode(toy, toy_table, tmp_path):
    t = toy_table.copy()
    t.loc[0, "身份证号"] = "152527"
    t.loc[1, "出生日期"] = "2010-01-01"
    res = _run(t, toy)
    bad = res.placements[res.placements["rule"] == "invalid_row"]
    assert len(bad) == 2 and set(bad["status"]) == {"ineligible"}
    assert bad["trace"].str.contains("身份证号|出生日期").all()
    assert len(res.row_problems) == 2
    with pytest.raises(ApplicantError) as e:
        _run(t, toy, tmp_path / "strict", strict=True)
    assert len(e.value.problems) == 2
    assert not (tmp_path / "strict").exists()


def test_duplicate_applicant_stops_before_writing_anything(toy, toy_table, tmp_path):
    out = tmp_path / "out"
    _run(toy_table, toy, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    t = pd.concat([toy_table, toy_table.iloc[[3]]], ignore_index=True)
    with pytest.raises(ApplicantError) as e:
        _run(t, toy, out, seed=8)
    assert "第5行" in str(e.value) and f"第{len(t) + 1}行" in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no half-written folder
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # earlier run untouched


def test_a_folder_with_other_files_is_never_replaced(toy, toy_table, tmp_path):
    from geo_enroll.errors import InputError

    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InputError):
        _run(toy_table, toy, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_school_not_in_the_policy_is_refused_per_school(toy, toy_table, tmp_path):
    sc = pd.concat(
        [
            toy["schools"],
            pd.DataFrame(
                [
                    {
                        "school_id": "toy-p9",
                        "name": "不存在小学",
                        "level": "primary",
                        "code": "",
                        "classes": 1,
                        "seats": 40,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    with pytest.raises(AllocationError) as e:
        _run(toy_table, {**toy, "schools": sc}, tmp_path / "o")
    assert any("toy-p9" in p for p in e.value.problems)
    assert not (tmp_path / "o").exists()
    missing = toy["schools"][toy["schools"]["school_id"] != "toy-m1"]
    with pytest.raises(AllocationError) as e:
        _run(toy_table, {**toy, "schools": missing})
    assert any("第一中学" in p for p in e.value.problems)


def test_seat_plan_smaller_than_priority_children_is_reported_per_school(toy, toy_table):
    t = toy_table.copy()
    t.loc[t["户籍地址"].str.startswith("玩具镇横街6"), "类别"] = "烈士子女"  # 3 children, 东区
    sc = toy["schools"].copy()
    sc.loc[sc["school_id"] == "toy-p1", "seats"] = 2
    with pytest.raises(AllocationError) as e:
        _run(t, {**toy, "schools": sc})
    assert len(e.value.problems) == 1 and "东小学" in e.value.problems[0]
    assert "4人" in e.value.problems[0] and "2个" in e.value.problems[0]


def test_traces_explain_address_rule_tier_and_fill(toy, toy_table):
    p = _run(toy_table, toy).placements
    placed = p[p["status"] == "placed"]
    assert placed["trace"].str.contains("使用户籍地址|使用房产地址").all()
    assert placed["trace"].str.contains(r"适用规则toy-|不在任何划片").all()
    assert placed["trace"].str.contains("录取层级：第").all()
    assert placed["trace"].str.contains(r"共\d+个(?:小学|初中)学位，最终录取\d+人").all()
    moved = p[p["trace"].str.contains("迁移前")]
    assert len(moved) == 1 and moved["school"].iloc[0] == "toy-p2"  # old address, 西区


def test_school_named_in_the_applicant_table_but_not_in_the_policy(toy, toy_table):
    t = toy_table.copy()
    t.loc[4, "志愿学校"] = "不存在小学"
    res = _run(t, toy)
    assert any(p.startswith("第6行") and "不存在小学" in p for p in res.row_problems)
    sid = res.placements["trace"].str.contains("不存在小学")
    assert sid.sum() == 1 and res.placements.loc[sid, "status"].iloc[0] == "placed"


def test_hukou_property_agree_else_actual_residence(toy):
    """延庆's basis: 户籍 and property in the same zone count first, else the actual residence."""
    from geo_enroll.placement.idcard import synth_id

    toy["spec"]["policy"]["eligibility"]["address_basis"] = [
        "hukou_property_agree",
        "actual_residence",
    ]
    rows = []
    for i, (hukou, prop, home) in enumerate(
        [
            ("玩具镇横街61号", "玩具镇横街63号", "玩具镇横街21号"),  # agree (东区): 东小学, tier 1
            (
                "玩具镇横街61号",
                "玩具镇横街21号",
                "玩具镇横街23号",
            ),  # disagree: residence 西区, tier 2
        ]
    ):
        rows.append(
            {
                "身份证号": synth_id("999999", "2018-03-01", 2 * i + 1),
                "学段": "小学",
                "户籍地址": hukou,
                "房产地址": prop,
                "实际居住地址": home,
            }
        )
    res = _run(pd.DataFrame(rows), toy)
    got = res.placements.sort_values("tier")[["school", "tier"]].values.tolist()
    assert got == [["toy-p1", "1"], ["toy-p2", "2"]]


def test_property_where_the_family_lives_counts_ahead_of_a_rural_hukou(toy):
    from geo_enroll.placement.idcard import synth_id

    rows = [
        # 河湾村一社 hukou (西小学), lives at its property in 东区: 东小学 first, tier 2
        {
            "户籍地址": "玩具镇河湾村一社7号",
            "房产地址": "玩具镇横街95号",
            "实际居住地址": "玩具镇横街95号",
        },
        # same, but does not live there: the hukou address counts, tier 1
        {
            "户籍地址": "玩具镇河湾村一社8号",
            "房产地址": "玩具镇横街97号",
            "实际居住地址": "玩具镇河湾村一社8号",
        },
    ]
    for i, r in enumerate(rows):
        r.update({"身份证号": synth_id("999999", "2018-03-01", 2 * i + 1), "学段": "小学"})
    res = _run(pd.DataFrame(rows), toy)
    got = res.placements.sort_values("tier")[["school", "tier"]].values.tolist()
    assert got == [["toy-p2", "1"], ["toy-p1", "2"]]
    assert res.placements["trace"].str.contains("备选：西小学").sum() == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_twins_are_ranked_together_and_the_trace_says_where_they_went(toy, toy_table, seed):
    res = _run(toy_table, toy, seed=seed)
    table = read_applicants(toy_table)
    group = table.loc[table["twin_group"] == "T1", "student_id"]
    p = res.placements.set_index("student_id").loc[list(group)]
    together = p["school"].nunique() == 1
    phrase = "已安排在同一学校" if together else "未能安排在同一学校"
    assert p["trace"].str.contains(phrase).all()
