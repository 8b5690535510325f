"""The `place` run on the toy town: invariants, determinism, bad input, atomic outputs."""

import re

import pandas as pd
import pytest

from geo_enroll.errors import AllocationError, ApplicantError
from geo_enroll.placement.run import PLACEMENT_COLUMNS, SCHOOL_COLUMNS, place

STATUSES = {"placed", "ineligible", "deferred", "unresolved_address", "no_seat"}


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
    assert len(lines) == int(_run(toy_table, toy).placements["rule"].isin(["overflow", "no_zone"]).sum())


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
    out.mkdir()
    (out / "previous.txt").write_text("an earlier run")
    t = pd.concat([toy_table, toy_table.iloc[[3]]], ignore_index=True)
    with pytest.raises(ApplicantError) as e:
        _run(t, toy, out)
    assert "第5行" in str(e.value) and f"第{len(t) + 1}行" in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no half-written folder
    assert (out / "previous.txt").read_text() == "an earlier run"


def test_school_not_in_the_policy_is_refused_per_school(toy, toy_table, tmp_path):
    sc = pd.concat([toy["schools"], pd.DataFrame([{"school_id": "toy-p9", "name": "不存在小学",
                    "level": "primary", "code": "", "classes": 1, "seats": 40}])],
                   ignore_index=True)
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
