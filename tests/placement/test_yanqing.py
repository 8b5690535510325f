"""The HYPOTHETICAL 延庆 2023 multi-school scenario, end to end through the CLI.

data/scenarios/yanqing_2023_multischool.toml keeps the parsed 延庆 policy (address basis 户籍 and
property agree, else actual residence; 本市户籍, six kinds 按本市户籍对待, 非本市户籍 with material
checks) and adds invented schools and zones, two of them 多校划片 zones resolved by a recorded
lottery.  One synthetic cohort (seed 7) is placed once and reused by the tests below.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo_enroll.cli import main
from geo_enroll.placement.applicants import read_applicants
from geo_enroll.policy.spec import load_spec
from geo_enroll.settings import data_dir

SCEN = data_dir() / "scenarios"
POLICY = SCEN / "yanqing_2023_multischool.toml"
URBAN = ("110119001", "110119002", "110119003", "110119100")
RURAL = ("110119101",)  # 康庄镇: the invented township schools of 乡镇对口 (seed line 35)
EARLY = {"age_cutoff", "deferral", "special_education", "invalid_row"}  # stops before categories
LOCAL_KINDS = load_spec(data_dir() / "boundaries" / "yanqing_2023.toml")["policy"]["eligibility"][
    "treated_as_local"
]


def _csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """cohort synth + place (default distance), as the README commands run them."""
    tmp = tmp_path_factory.mktemp("yanqing")
    students = tmp / "yq.csv"
    assert (
        main(["cohort", "synth", "--policy", str(POLICY), "--seed", "7", "-o", str(students)]) == 0
    )
    out = tmp / "out"
    argv = ["place", "--policy", str(POLICY), "--students", str(students), "--seed", "7"]
    assert main([*argv, "-o", str(out)]) == 0
    table = read_applicants(students).set_index("student_id")
    return {
        "tmp": tmp,
        "students": students,
        "out": out,
        "argv": argv,
        "table": table,
        "placements": _csv(out / "placements.csv").set_index("student_id"),
        "schools": _csv(out / "schools.csv"),
        "info": json.loads((out / "run.json").read_text(encoding="utf-8")),
    }


# ----------------------------------------------------------------------------- the scenario files
def test_scenario_files_say_hypothetical_and_rebuild_identically():
    spec = load_spec(POLICY)  # validates against the zone-spec schema
    assert "HYPOTHETICAL" in spec["policy"]["sources"]["scenario"]["text"]
    for name in (
        "yanqing_2023_multischool.toml",
        "yanqing_2023_schools.csv",
        "yanqing_2023_school_points.csv",
        "README.md",
    ):
        head = (SCEN / name).read_text(encoding="utf-8").splitlines()[0]
        assert "HYPOTHETICAL" in head and "示意" in head, name
    for name in ("yanqing_2023_schools.csv", "yanqing_2023_school_points.csv"):
        assert set(_csv_rows(SCEN / name)["scenario"]) == {"HYPOTHETICAL 示意"}
    meta = pyogrio.read_dataframe(SCEN / "yanqing_2023_basemap.gpkg", layer="meta")
    assert "HYPOTHETICAL" in dict(zip(meta["key"], meta["value"], strict=True))["scenario"]
    spec_mod = importlib.util.spec_from_file_location("make_yq", SCEN / "make_yanqing_2023.py")
    make = importlib.util.module_from_spec(spec_mod)
    spec_mod.loader.exec_module(make)
    assert make.main(["--check"]) == 0  # the text files are what the script builds
    built = make.basemap()
    for layer in ("streets", "areas", "schools"):
        committed = gpd.read_file(SCEN / "yanqing_2023_basemap.gpkg", layer=layer)
        ours = getattr(built, layer)
        assert len(committed) == len(ours)
        assert all(
            a.equals_exact(b, 1e-7) for a, b in zip(committed.geometry, ours.geometry, strict=True)
        )


def _csv_rows(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")


def test_scenario_keeps_the_parsed_policy_and_uses_real_urban_units():
    spec = load_spec(POLICY)
    parsed = load_spec(data_dir() / "boundaries" / "yanqing_2023.toml")["policy"]
    pol = spec["policy"]
    for key in ("jurisdiction", "county_code", "year", "age_cutoff", "timeline"):
        assert pol[key] == parsed[key]
    el, el0 = pol["eligibility"], parsed["eligibility"]
    assert el["address_basis"] == ["hukou_property_agree", "actual_residence"]
    for key in ("address_basis", "treated_as_local", "priority_categories", "multi_school_zoning"):
        assert el[key] == el0[key]
    seed = (data_dir() / "policies" / "yanqing_2023.txt").read_text(encoding="utf-8").splitlines()
    for src in el["source"]:  # every source sentence is the seed's, at its line
        assert src["text"] in seed[src["line"] - 1]
    assert all(s in el["source"] for s in el0["source"])
    official = set(_csv(data_dir() / "divisions" / "villages_152527_110119.csv")["code"]) | set(
        URBAN + RURAL
    )
    kinds = set()
    for school in spec["schools"]:
        for zone in school["zones"]:
            kinds.add(zone["kind"])
            assert zone["source"]["text"] in seed[zone["source"]["line"] - 1]
            for unit in zone.get("units") or []:  # a feeder zone names schools, not units
                assert unit["code"] in official and unit["code"][:9] in URBAN + RURAL
            if zone["kind"] == "multi_school":
                assert school["id"] in zone["schools"] and len(zone["schools"]) >= 2
    assert "multi_school" in kinds
    # school points within 3 km of the real 延庆 town seat
    seat = (
        _csv(data_dir() / "boundaries" / "town_seats_geonames.csv").set_index("name").loc["Yanqing"]
    )
    pts = _csv_rows(SCEN / "yanqing_2023_school_points.csv")
    rural = {s["id"] for s in spec["schools"] if "-kz" in s["id"]}  # 康庄镇 (乡镇对口)
    assert rural == {"yq-p-kz", "yq-m-kz"}
    for sid, lon, lat in zip(
        pts["school_id"], pts["lon"].astype(float), pts["lat"].astype(float), strict=True
    ):
        dy = (lat - float(seat["lat"])) * 111_000
        dx = (lon - float(seat["lon"])) * 111_000 * math.cos(math.radians(lat))
        assert math.hypot(dx, dy) < (12_000 if sid in rural else 3000)
    assert set(pts["school_id"]) == {s["id"] for s in spec["schools"]}


# ----------------------------------------------------------------------------- the run
def test_every_applicant_once_and_no_school_over_seats(run):
    p, table = run["placements"], run["table"]
    assert p.index.is_unique and set(p.index) == set(table.index)
    sc = run["schools"]
    assert (sc["placed"].astype(int) <= sc["seats"].astype(int)).all()
    counted = p[p["status"] == "placed"].groupby(["school", "level"]).size()
    for r in sc.itertuples():
        assert counted.get((r.school, r.level), 0) == int(r.placed)
    assert (p["status"] != "no_seat").all()  # the scenario has seats for everyone eligible
    assert set(p.loc[p["status"] == "placed", "rule"]) >= {"overflow"}  # and short zones
    assert run["info"]["scenario"].startswith("HYPOTHETICAL")
    assert run["info"]["distance_kind"] == "euclidean"
    assert "测试0001" not in (run["out"] / "placements.csv").read_text(encoding="utf-8")


def test_address_basis_hukou_and_property_agree_else_actual_residence(run):
    p, table = run["placements"], run["table"]
    placed = p[p["status"] == "placed"]
    agree = placed["trace"].str.contains("使用户籍与房产一致的地址划片")
    resid = placed["trace"].str.contains("使用实际居住地址划片")
    assert agree.sum() > 50 and resid.sum() > 50 and not (agree & resid).any()
    for sid in placed.index[agree]:  # both given, in one zone (the reading test_run.py fixes)
        t = table.loc[sid]
        assert t["hukou_address"] and t["property_address"]
        assert "按“房产证明和户口簿”统一对待" in placed.at[sid, "trace"]
        assert placed.at[sid, "tier"] in ("0", "1")
    for sid in placed.index[resid]:
        t = table.loc[sid]
        if t["hukou_address"] == t["property_address"] != "":
            pytest.fail(f"{sid}: 户籍 and property agree but actual residence was used")


def test_treated_as_local_categories_are_local(run):
    p, table = run["placements"], run["table"]
    kinds = table["categories"].map(lambda c: bool(set(c) & set(LOCAL_KINDS)))
    local_kind = p.loc[table.index[kinds]]
    local_kind = local_kind[~local_kind["rule"].isin(EARLY)]
    assert len(local_kind) > 20
    assert set(local_kind["rule"]).isdisjoint({"materials"})
    assert local_kind["trace"].str.contains("按本地户籍对待").all()
    assert not local_kind["trace"].str.contains("非本市户籍").any()
    # on the same address basis they rank with 本市户籍 children, above 非本市户籍 ones
    resid = p["trace"].str.contains("使用实际居住地址划片")
    hukou = table["categories"].map(lambda c: "本市户籍" in c)
    migrant = table["categories"].map(lambda c: "非本市户籍" in c)
    tiers = {
        name: set(p.loc[table.index[mask].intersection(p.index[resid]), "tier"]) - {"0"}
        for name, mask in (("local_kind", kinds), ("hukou", hukou), ("migrant", migrant))
    }
    assert tiers["local_kind"] == tiers["hukou"] == {"2"}
    assert tiers["migrant"] == {"3"}


def test_non_local_rows_carry_the_seed_material_checks(run):
    p, table = run["placements"], run["table"]
    migrant = table.index[table["categories"].map(lambda c: "非本市户籍" in c)]
    assert len(migrant) > 50
    failed = [s for s in migrant if table.at[s, "materials_ok"] == "未通过"]
    passed = [s for s in migrant if table.at[s, "materials_ok"] == "通过"]
    assert failed and passed and len(failed) + len(passed) == len(migrant)
    failed = [s for s in failed if p.at[s, "rule"] not in EARLY]  # stopped earlier (特教学校…)
    for sid in failed:
        assert (p.at[sid, "status"], p.at[sid, "rule"]) == ("ineligible", "materials")
    passed = [s for s in passed if p.at[s, "rule"] not in EARLY]
    for sid in failed + passed:
        assert "政策第65、73、79行" in p.at[sid, "trace"] and "北京市居住证" in p.at[sid, "trace"]
    assert not set(p.loc[passed, "rule"]) & {"materials"}
    others = table.index.difference(migrant)
    assert not p.loc[others, "trace"].str.contains("材料审核").any()


def test_multi_school_zones_are_drawn_by_a_recorded_lottery(run, capsys):
    p, info, out = run["placements"], run["info"], run["out"]
    spec = load_spec(POLICY)
    assert info["multi_school"].startswith("lottery")
    assert {d["group"] for d in info["lotteries"]} == {"yq-p2-r02", "yq-m2-r01"}
    for d in info["lotteries"]:
        assert d["rehearsal"] is True and d["numbers"] == [7]
        folder = out / "lottery" / d["group"]
        assert main(["lottery", "verify", str(folder)]) == 0
        assert "identical" in capsys.readouterr().out
        result = _csv(folder / "result.csv")
        assert len(result) == d["applicants"]
        drawn = p.loc[result["student_id"]]
        won = drawn[drawn["rule"] != "overflow"]
        assert set(won["school"]) <= set(d["schools"])
        assert won["trace"].str.contains(d["inputs_sha256"][:12]).all()
        assert (won["status"] == "placed").all() and len(won) == d["placed"]
        # the rules named are the multi-school zone rules of the schools
        rules = {
            z["rule_id"] for s in spec["schools"] for z in s["zones"] if z["kind"] == "multi_school"
        }
        assert set(won["rule"]) <= rules
        # simulate on the published files
        sim = run["tmp"] / f"sim-{d['group']}"
        argv = [
            "lottery",
            "simulate",
            "--applicants",
            str(folder / "applicants.csv"),
            "--seats",
            str(folder / "seats.csv"),
            "--draws",
            "50",
            "--seed",
            "7",
            "-o",
            str(sim),
        ]
        assert main(argv) == 0
        probs = _csv(sim / "unit_probabilities.csv")
        total = probs.assign(p=probs["probability"].astype(float)).groupby("unit")["p"].sum()
        assert ((total - 1).abs() < 1e-5).all()  # probabilities written with 6 decimals
    # tampering with a draw is caught
    folder = out / "lottery" / "yq-p2-r02"
    bad = run["tmp"] / "tampered.csv"
    with (folder / "result.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    other = next(k for k in range(2, len(rows)) if rows[k][5] != rows[1][5])
    rows[1][5], rows[other][5] = rows[other][5], rows[1][5]
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    assert main(["lottery", "verify", str(folder), "--result", str(bad)]) == 1
    assert "不一致" in capsys.readouterr().out


def test_same_inputs_any_row_order_give_byte_identical_outputs(run):
    shuffled = run["tmp"] / "yq_shuffled.csv"
    df = _csv(run["students"]).sample(frac=1.0, random_state=11)
    df.to_csv(shuffled, index=False, lineterminator="\n")
    out2 = run["tmp"] / "out2"
    argv = list(run["argv"])
    argv[argv.index("--students") + 1] = str(shuffled)
    assert main([*argv, "-o", str(out2)]) == 0
    for f in sorted(run["out"].rglob("*")):
        if f.is_file() and f.suffix != ".gpkg":
            rel = f.relative_to(run["out"])
            assert (out2 / rel).read_bytes() == f.read_bytes(), rel


def test_public_numbers_and_network_distance_through_the_cli(run, tmp_path):
    small = tmp_path / "small.csv"
    argv = [
        "cohort",
        "synth",
        "--policy",
        str(POLICY),
        "--seed",
        "3",
        "-o",
        str(small),
        "--primary",
        "150",
        "--middle",
        "100",
    ]
    assert main(argv) == 0
    out = tmp_path / "out"
    argv = [
        "place",
        "--policy",
        str(POLICY),
        "--students",
        str(small),
        "--seed",
        "3",
        "--distance",
        "network",
        "--lottery-numbers",
        "12",
        "34",
        "56",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["distance_kind"] == "network"
    assert info["lotteries"] and all(
        d["numbers"] == [12, 34, 56] and not d["rehearsal"] for d in info["lotteries"]
    )
    p = _csv(out / "placements.csv")
    assert p["trace"].str.contains("现场数字12、34、56，").any()
    assert not p["trace"].str.contains("演练").any()
    drawn = p[p["trace"].str.contains("电脑派位（")]
    assert len(drawn) and drawn["trace"].str.contains("志愿按就近（沿街道距离）排序").all()
    over = p[p["rule"] == "overflow"]
    assert over["trace"].str.contains("沿街道").all()
    for d in info["lotteries"]:
        assert main(["lottery", "verify", str(out / "lottery" / d["group"])]) == 0


def test_place_result_carries_the_tables_each_lottery_drew(run, monkeypatch):
    """``PlaceResult.lottery_tables`` holds what ``lottery/<group>/`` publishes, cell for cell."""
    import geo_enroll.placement.run as run_mod

    seen = []
    real = run_mod.place

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(run_mod, "place", spy)
    out = run["tmp"] / "out-tables"
    assert main([*run["argv"], "-o", str(out)]) == 0
    (res,) = seen
    assert set(res.lottery_tables) == {d["group"] for d in res.lotteries}
    assert res.lotteries == run["info"]["lotteries"]
    for d in res.lotteries:
        apps, seats = res.lottery_tables[d["group"]]
        assert len(apps) == d["applicants"] and int(seats["seats"].sum()) == d["seats_left"]
        for table, name in ((apps, "applicants.csv"), (seats, "seats.csv")):
            written = _csv(out / "lottery" / d["group"] / name)
            pd.testing.assert_frame_equal(table.astype(str), written)
