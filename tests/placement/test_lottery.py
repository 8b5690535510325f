"""The verifiable multi-school lottery: published hash, seed derivation, draw, verify, Monte-Carlo."""

from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from geo_enroll.errors import InputError, LotteryError
from geo_enroll.placement import lottery as L


def _scenario(n=60, seed=0):
    rng = np.random.default_rng(seed)
    schools = ["P1", "P2", "P3"]
    choices = []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        choices.append("|".join(rng.permutation(schools)[:k]))
    app = pd.DataFrame(
        {
            "student_id": [f"S{i:04d}" for i in range(n)],
            "unit": rng.choice(["北关", "南菜园", "东外"], n),
            "tier": rng.integers(0, 2, n),
            "choices": choices,
        }
    )
    seats = pd.DataFrame({"school": schools, "seats": [20, 15, 15]})
    return app, seats


def _write(tmp_path, app, seats):
    a, s = tmp_path / "applicants.csv", tmp_path / "seats.csv"
    app.to_csv(a, index=False)
    seats.to_csv(s, index=False)
    return a, s


def test_hash_is_order_independent_and_matches_inputs_txt(tmp_path):
    app, seats = _scenario()
    h = L.publish(app, seats)
    shuffled = app.sample(frac=1, random_state=3)
    assert L.publish(shuffled, seats.iloc[::-1]) == h
    assert hashlib.sha256(L.canonical_inputs(app, seats)).hexdigest() == h
    changed = app.copy()
    changed.loc[0, "tier"] = 1 - changed.loc[0, "tier"]
    assert L.publish(changed, seats) != h


def test_seed_follows_documented_derivation():
    h = "0" * 64
    expected = hashlib.sha256(f"geo_enroll lottery v1|{h}|12,34,56".encode()).hexdigest()
    assert L.derive_seed(h, ["12", 34, 56]) == expected
    assert L.derive_seed(h, [34, 12, 56]) != expected  # order drawn matters
    with pytest.raises(LotteryError):
        L.derive_seed(h, ["-1"])
    with pytest.raises(LotteryError):
        L.derive_seed(h, [])


def test_draw_invariants_and_order_rule():
    app, seats = _scenario()
    res = L.draw(app, seats, [7, 8, 9])
    t = res.table
    assert sorted(t["student_id"]) == sorted(app["student_id"])
    load = t[t["school"] != ""]["school"].value_counts()
    assert all(
        load[s] <= n for s, n in zip(seats["school"], seats["seats"], strict=True) if s in load
    )
    assert (t["status"] != "no_seat").sum() == min(len(app), seats["seats"].sum())
    # the order is tier, then SHA-256(seed|student_id): recompute independently
    keys = {
        sid: hashlib.sha256(f"{res.seed}|{sid}".encode()).hexdigest() for sid in app["student_id"]
    }
    tier = dict(zip(app["student_id"], app["tier"], strict=True))
    assert list(t["student_id"]) == sorted(keys, key=lambda s: (tier[s], keys[s]))
    # an applicant who got a worse choice saw every better choice filled by earlier applicants
    pos = {sid: k for k, sid in enumerate(t["student_id"])}
    ch = dict(zip(app["student_id"], app["choices"], strict=True))
    for _, row in t[t["status"] == "placed"].iterrows():
        better = ch[row["student_id"]].split("|")[: int(row["choice_rank"]) - 1]
        for s in better:
            earlier = t[(t["school"] == s)]
            assert len(earlier) == dict(zip(seats["school"], seats["seats"], strict=True))[s]
            assert earlier.index.map(lambda i: i).min() < pos[row["student_id"]]


def test_same_inputs_same_bytes_different_numbers_differ():
    app, seats = _scenario()
    a = L.draw(app, seats, [1, 2, 3]).to_csv_bytes()
    b = L.draw(app.sample(frac=1, random_state=1), seats, [1, 2, 3]).to_csv_bytes()
    c = L.draw(app, seats, [1, 2, 4]).to_csv_bytes()
    assert a == b
    assert a != c


def test_verify_reports_identical_and_exact_differences(tmp_path):
    app, seats = _scenario()
    res = L.draw(app, seats, [12, 34, 56])
    out = L.write_draw(res, app, seats, tmp_path / "draw")
    assert L.verify(out, out / "result.csv").identical
    assert L.verify(L.DrawInputs(app, seats, (12, 34, 56)), out / "result.csv").identical
    # tamper with one row: the report names the student and the field
    lines = (out / "result.csv").read_text().splitlines()
    victim = lines[5].split(",")
    victim[5] = "P3" if victim[5] != "P3" else "P1"
    lines[5] = ",".join(victim)
    (out / "result.csv").write_text("\n".join(lines) + "\n")
    rep = L.verify(out, out / "result.csv")
    assert not rep.identical
    assert any(victim[1] in d and "school" in d for d in rep.differences)
    # wrong public numbers: differs
    assert not L.verify(L.DrawInputs(app, seats, (12, 34, 57)), res.to_csv_bytes()).identical


def test_cli_draw_and_verify(tmp_path, capsys):
    app, seats = _scenario()
    a, s = _write(tmp_path, app, seats)
    out = tmp_path / "OUT"
    ns = argparse.Namespace(
        applicants=str(a), seats=str(s), numbers=["12", "34", "56"], output=str(out)
    )
    assert L.cmd_lottery_draw(ns) == 0
    meta = json.loads((out / "draw.json").read_text())
    assert meta["inputs_sha256"] == L.publish(app, seats)
    vns = argparse.Namespace(
        applicants=str(a), seats=str(s), numbers=["12", "34", "56"], result=str(out / "result.csv")
    )
    assert L.cmd_lottery_verify(vns) == 0
    assert "identical" in capsys.readouterr().out
    # folder-only form (the draw folder carries inputs.txt and draw.json)
    assert L.cmd_lottery_verify(argparse.Namespace(draw=str(out))) == 0
    vns.numbers = ["12", "34", "55"]
    assert L.cmd_lottery_verify(vns) == 1
    # --expect-hash guards against inputs changed after publication
    bad = argparse.Namespace(
        applicants=str(a), seats=str(s), numbers=["1"], output=str(out), expect_hash="f" * 64
    )
    with pytest.raises(LotteryError):
        L.cmd_lottery_draw(bad)


def test_bad_inputs_are_reported_at_once():
    app, seats = _scenario(n=5)
    app.loc[1, "student_id"] = app.loc[0, "student_id"]
    app["tier"] = app["tier"].astype(object)
    app.loc[2, "tier"] = "x"
    with pytest.raises(LotteryError) as err:
        L.publish(app, seats)
    assert len(err.value.problems) >= 2
    app, seats = _scenario(n=5)
    app.loc[0, "choices"] = "NOPE"
    with pytest.raises(LotteryError):
        L.draw(app, seats, [1])
    with pytest.raises(LotteryError):
        L.publish(app, pd.DataFrame({"school": ["P1"], "seats": [-2]}))
    with pytest.raises(InputError):
        L.cmd_lottery_draw(
            argparse.Namespace(
                applicants="/nonexistent.csv", seats="/x.csv", numbers=["1"], output="/tmp/x"
            )
        )


def test_groups_keep_applicants_in_their_group():
    app = pd.DataFrame(
        {"student_id": [f"a{i}" for i in range(8)], "group": ["G1"] * 4 + ["G2"] * 4, "choices": ""}
    )
    seats = pd.DataFrame(
        {"school": ["A", "B", "C"], "group": ["G1", "G1", "G2"], "seats": [2, 5, 2]}
    )
    t = L.draw(app, seats, [5]).table.set_index("student_id")
    assert set(t.loc[[f"a{i}" for i in range(4)], "school"]) <= {"A", "B"}
    g2 = t.loc[[f"a{i}" for i in range(4, 8)]]
    assert (g2["school"] == "C").sum() == 2 and (g2["status"] == "no_seat").sum() == 2


def test_simulation_probabilities_and_fill(tmp_path):
    app, seats = _scenario(n=80)
    probs, fill = L.simulate(app, seats, draws=40, seed=3)
    assert np.allclose(probs.groupby("unit")["probability"].sum(), 1.0)
    assert (fill["fill_rate"] <= 1.0).all() and (fill["mean_placed"] <= fill["seats"]).all()
    # 80 applicants for 50 seats: every school full in every draw
    assert (fill["p_full"] == 1.0).all()
    again, _ = L.simulate(app, seats, draws=40, seed=3)
    pd.testing.assert_frame_equal(probs, again)
    # tier-0 applicants cover 50 seats? then the last admitted tier is at most 1
    assert fill["last_tier_max"].max() <= app["tier"].max()
    a, s = _write(tmp_path, app, seats)
    ns = argparse.Namespace(
        applicants=str(a), seats=str(s), draws=5, seed=1, output=str(tmp_path / "sim")
    )
    assert L.cmd_lottery_simulate(ns) == 0
    assert (tmp_path / "sim" / "unit_probabilities.csv").exists()


@pytest.mark.parametrize("seed", range(8))
def test_simulation_draw_equals_serial_dictatorship(seed):
    """The simulation's loop-free draw gives exactly the reference two-pass answer."""
    rng = np.random.default_rng(seed)
    n, m = 80, 7
    groups = [[0, 1, 2], [3, 4, 5, 6]]
    group_idx = rng.integers(0, 2, n)
    choices = [
        [int(j) for j in rng.permutation(groups[g])[: rng.integers(0, len(groups[g]) + 1)]]
        for g in group_idx
    ]
    seats = rng.integers(0, 16, m)
    for _ in range(5):
        order = rng.permutation(n)
        keys = rng.random((n, 4))

        def fallback(i, open_cols, keys=keys):  # first open school in the applicant's order
            g = groups[group_idx[i]]
            return min(open_cols, key=lambda j: keys[i, g.index(j)]) if open_cols else None

        ref, _ = L._serial_dictatorship(order, choices, group_idx, groups, seats.copy(), fallback)
        got = L._serial_dictatorship_fast(
            order, L._pad(choices), L._pad(groups)[group_idx], seats, keys
        )
        assert got.tolist() == ref.tolist()
        assert (np.bincount(got[got >= 0], minlength=m) <= seats).all()


def _reference_simulate(app, seats, draws, seed):
    """The simulation written one applicant at a time (``_serial_dictatorship``) on the same
    random numbers as ``simulate``: per draw a uniform permutation sorted by tier, then for
    pass 2 each left-over applicant's group schools in a uniformly shuffled order (the rows of
    those applicants, shuffled by the same generator call)."""
    a = L._clean_applicants(app).sort_values("student_id", kind="stable").reset_index(drop=True)
    s = L._clean_seats(seats).sort_values("school", kind="stable").reset_index(drop=True)
    schools, choices, group_idx, group_schools = L._prepare(a, s)
    seat_arr = s["seats"].to_numpy(dtype=np.int64)
    tiers = a["tier"].to_numpy().astype(np.int64)
    gpad = L._pad(group_schools)[group_idx]
    rng = np.random.Generator(np.random.PCG64(seed))
    n, m = len(a), len(s)
    units = sorted(set(a["unit"]))
    counts = {}
    placed = np.zeros((draws, m), dtype=np.int64)
    last = np.full((draws, m), -1, dtype=np.int64)
    for d in range(draws):
        perm = rng.permutation(n)
        order = perm[np.argsort(tiers[perm], kind="stable")]
        first, _ = L._serial_dictatorship(
            order, choices, group_idx, group_schools, seat_arr.copy(), lambda i, cols: None
        )
        left = seat_arr - np.bincount(first[first >= 0], minlength=m)
        rest = np.flatnonzero((first < 0) & (gpad[:, 0] >= 0))
        rank = {}
        if len(rest) and left.any():
            rows = rng.permuted(gpad[rest], axis=1)
            rank = {
                int(i): [int(j) for j in row if j >= 0] for i, row in zip(rest, rows, strict=True)
            }

        def fallback(i, cols, rank=rank):
            return min(cols, key=rank[int(i)].index) if cols else None

        got, _ = L._serial_dictatorship(
            order, choices, group_idx, group_schools, seat_arr.copy(), fallback
        )
        for i in range(n):
            key = (a["unit"].iat[i], schools[got[i]] if got[i] >= 0 else "")
            counts[key] = counts.get(key, 0) + 1
        for i in np.flatnonzero(got >= 0):
            placed[d, got[i]] += 1
            last[d, got[i]] = max(last[d, got[i]], tiers[i])
    size = a["unit"].value_counts()
    probs = {k: v / (size[k[0]] * draws) for k, v in counts.items()}
    return units, probs, placed, last, schools


@pytest.mark.parametrize("seed", range(4))
def test_the_simulation_equals_one_applicant_at_a_time(seed):
    """Every number ``simulate`` reports equals the reference loop's on the same random
    numbers: unit probabilities, mean fill, how often full, the last tier admitted (tiers
    written 0, 2, 5: not dense), with choices, empty choices and pass 2 in two groups."""
    rng = np.random.default_rng(100 + seed)
    n = 90
    group_of = {"A1": "g1", "A2": "g1", "A3": "g1", "B1": "g2", "B2": "g2"}
    groups = {"g1": ["A1", "A2", "A3"], "g2": ["B1", "B2"]}
    grp = rng.choice(["g1", "g2"], n)
    app = pd.DataFrame(
        {
            "student_id": [f"S{i:03d}" for i in range(n)],
            "group": grp,
            "unit": [f"{g}-u{int(rng.integers(0, 3))}" for g in grp],
            "tier": rng.choice([0, 2, 5], n),
            "choices": [
                "|".join(rng.permutation(groups[g])[: int(rng.integers(0, len(groups[g]) + 1))])
                for g in grp
            ],
        }
    )
    seats = pd.DataFrame(
        {
            "school": list(group_of),
            "group": list(group_of.values()),
            "seats": rng.integers(3, 20, len(group_of)),
        }
    )
    draws = 12
    probs, fill = L.simulate(app, seats, draws=draws, seed=seed)
    units, ref_probs, placed, last, schools = _reference_simulate(app, seats, draws, seed)
    got = {
        (u, s): p
        for u, s, p in zip(probs["unit"], probs["school"], probs["probability"], strict=True)
    }
    assert got.keys() == ref_probs.keys()
    for k, p in ref_probs.items():
        assert got[k] == pytest.approx(p), k
    f = fill.set_index("school")
    for j, school in enumerate(schools):
        assert f.at[school, "mean_placed"] == pytest.approx(placed[:, j].mean())
        seats_j = int(seats.set_index("school").at[school, "seats"])
        assert f.at[school, "p_full"] == pytest.approx((placed[:, j] >= seats_j).mean())
        lt = last[:, j][last[:, j] >= 0]
        if len(lt):
            vals, cnt = np.unique(lt, return_counts=True)
            assert f.at[school, "last_tier_mode"] == vals[np.argmax(cnt)]
            assert f.at[school, "last_tier_max"] == lt.max()
        else:
            assert f.at[school, "last_tier_mode"] is None or pd.isna(f.at[school, "last_tier_mode"])
