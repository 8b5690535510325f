"""小升初对口 (feeder zones): a primary school's graduates go on to a middle school before the
address is asked; the address rule is the fallback where the text allows it.

On the HYPOTHETICAL 延庆 scenario (乡镇对口, seed line 35: 各乡镇小学毕业生，对口升入所在乡镇
中学) and on a feeder rule written here for the toy town.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from geo_enroll.placement.applicants import read_applicants
from geo_enroll.placement.idcard import synth_id
from geo_enroll.placement.run import place
from geo_enroll.settings import data_dir

SCEN = data_dir() / "scenarios"


def test_yanqing_township_graduate_goes_to_its_township_middle_school(tmp_path):
    from geo_enroll.cli import main

    out = tmp_path / "out"
    argv = ["place", "--policy", str(SCEN / "yanqing_2023_multischool.toml"), "--seed", "7"]
    argv += ["--students", str(SCEN / "yanqing_2023_must_show.csv"), "-o", str(out)]
    assert main(argv) == 0
    p = pd.read_csv(out / "placements.csv", dtype=str, keep_default_na=False)
    table = read_applicants(SCEN / "yanqing_2023_must_show.csv")
    p = p.set_index("student_id").loc[table["student_id"]].reset_index()
    feeder, by_address, first, short, enough = p.to_dict("records")
    assert (feeder["school"], feeder["rule"]) == ("yq-m-kz", "yq-m-kz-r01")
    assert "小升初对口" in feeder["trace"] and "第35行" in feeder["trace"]
    assert (by_address["school"], by_address["rule"]) == ("yq-m-kz", "yq-m-kz-r02")
    assert first["school"] == "yq-p-kz" and first["status"] == "placed"
    assert (short["status"], short["rule"]) == ("held", "residence_years")
    assert "不满3年" in short["trace"]
    assert enough["status"] == "placed"
    assert "unresolved_address" not in set(p["status"])


def _toy_with_feeder(toy, *, fallback: bool, campus=None):
    spec = copy.deepcopy(toy["spec"])
    spec["schools"].append(
        {
            "id": "toy-m2",
            "name": "第二中学",
            "aliases": ["二中"],
            "level": "middle",
            "code": None,
            "zones": [
                {
                    "rule_id": "toy-m2-r01",
                    "kind": "feeder",
                    "source": {"text": "西小学毕业生对口升入第二中学", "line": 12},
                    "from_schools": [{"name": "西小学", "school_id": "toy-p2", "campus": campus}],
                    "fallback_to_address": fallback,
                }
            ],
        }
    )
    seats = pd.concat(
        [
            toy["schools"],
            pd.DataFrame(
                [
                    {
                        "school_id": "toy-m2",
                        "name": "第二中学",
                        "level": "middle",
                        "classes": 1,
                        "seats": 5,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    spec["policy"]["seat_plan"]["middle"] = int(seats[seats.level == "middle"]["seats"].sum())
    return {**toy, "spec": spec, "schools": seats}


def _middle(i, grad, **extra):
    born = "2012-03-01"
    return {
        "身份证号": synth_id("999999", born, 2 * i + 1),
        "出生日期": born,
        "学段": "初中",
        "户籍地址": "玩具镇横街61号",
        "毕业学校标识码": grad,
        **extra,
    }


@pytest.mark.parametrize("fallback", [True, False])
def test_toy_feeder_before_address(toy, fallback):
    inputs = _toy_with_feeder(toy, fallback=fallback)
    rows = [
        _middle(1, "9900000002"),
        _middle(2, "西小学"),
        _middle(3, "9900000001"),
        _middle(4, ""),
    ]
    res = place(pd.DataFrame(rows), seed=1, **inputs)
    ids = read_applicants(pd.DataFrame(rows))["student_id"]
    p = res.placements.set_index("student_id").loc[ids]
    # 西小学 graduates (by 标识码 or name) go to 第二中学 though their address is 第一中学's zone
    assert list(p["school"]) == ["toy-m2", "toy-m2", "toy-m1", "toy-m1"]
    assert list(p["rule"][:2]) == ["toy-m2-r01"] * 2
    assert ("地址划片学校第一中学作为备选" in p["trace"].iloc[0]) == fallback
    assert p["trace"].iloc[0].count("toy-m2-r01") == 1  # the 对口 rule cited once


def test_toy_feeder_campus_must_match(toy):
    inputs = _toy_with_feeder(toy, fallback=True, campus="东校区")
    rows = [_middle(1, "西小学（东校区）"), _middle(2, "西小学（西校区）")]
    res = place(pd.DataFrame(rows), seed=1, **inputs)
    ids = read_applicants(pd.DataFrame(rows))["student_id"]
    assert list(res.placements.set_index("student_id").loc[ids, "school"]) == ["toy-m2", "toy-m1"]


def test_real_feeder_rules_place_graduates_of_hangzhou_primaries():
    """The parser's feeder zones of real Hangzhou texts (../shared, 对口初中): a graduate of a
    listed primary school is given that middle school (and only feeder schools of its primary)."""
    from pathlib import Path

    from geo_enroll.placement.candidates import ZoneIndex
    from geo_enroll.placement.eligibility import assess_eligibility
    from geo_enroll.placement.resolve import resolve_applicant
    from geo_enroll.policy import parse_policy
    from tests.conftest import need_shared

    folder = need_shared(Path(__file__).resolve().parents[3] / "shared/reference/zoning-dev")
    checked = 0
    for name in ("hangzhou_urban-districts_2026.md", "hangzhou_xiaoshan-and-counties_2026.md"):
        spec = parse_policy((folder / name).read_text(encoding="utf-8"))
        by_id = {s["id"]: s for s in spec["schools"]}
        index = ZoneIndex(spec, None)
        feeders: dict[str, set[str]] = {}
        for s in spec["schools"]:
            for z in s["zones"]:
                if z["kind"] == "feeder":
                    for f in z["from_schools"]:
                        feeders.setdefault(f["name"], set()).add(s["id"])
        rows = [
            _middle(i, primary, 户籍地址="浙江省杭州市某区某路1号")
            for i, primary in enumerate(sorted(feeders)[:25])
        ]
        table = read_applicants(pd.DataFrame(rows))
        el = assess_eligibility(table, spec=spec)
        for sid, primary in zip(table["student_id"], sorted(feeders)[:25], strict=True):
            r = resolve_applicant(sid, el.loc[sid], {}, index, by_id, spec)
            assert set(r["zone_schools"]) == feeders[primary], (name, primary)
            assert any("小升初对口" in s for s in r["steps"])
            checked += 1
    assert checked == 50
