"""The analyst's runs report progress that moves with the work: the placement's steps (read,
locate, resolve, each level allocated, tables) and, for a Monte-Carlo, each multi-school
group's draws in proportion to its applicants; never a jump 0 → 5 → 100 %."""

from __future__ import annotations

import pytest

from .conftest import toy_cohort, toy_context, toy_version, yanqing_jurisdiction


def _steps(seen: list[float]) -> list[float]:
    assert seen, "no progress reported"
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen), f"progress went back: {seen}"
    assert seen[-1] == 1.0
    return sorted(set(seen))


def test_a_placement_reports_each_step():
    from web.placement import place

    spec, zones = toy_version()
    seen: list[float] = []
    res = place(
        spec=spec, zones=zones, cohort=toy_cohort(), ctx=toy_context(), progress=seen.append
    )
    steps = _steps(seen)
    assert len(steps) >= 6, steps  # read, located, resolved, primary, middle, tables, done
    assert max(b - a for a, b in zip(steps, steps[1:], strict=False)) <= 0.35
    # the callback changes nothing: the same placement without it
    again = place(spec=spec, zones=zones, cohort=toy_cohort(), ctx=toy_context())
    assert again["placements"] == res["placements"]


def test_a_montecarlo_reports_each_group():
    from geo_enroll.policy.spec import load_spec
    from web.context import load_zones, synth_cohort
    from web.placement import simulate

    j = yanqing_jurisdiction()  # the HYPOTHETICAL 延庆 multi-school scenario
    spec = load_spec(j.spec_path)
    zones = {"type": "FeatureCollection", "features": []}
    if j.zones_path is not None and j.zones_path.exists():
        zones = load_zones(j.zones_path)
    cohort = synth_cohort(spec, seed=7, zones=zones, basemap=j.ctx.basemap, counts=j.seat_counts)
    seen: list[float] = []
    res = simulate(
        spec=spec, zones=zones, cohort=cohort, draws=20, seed=7, ctx=j.ctx, progress=seen.append
    )
    steps = _steps(seen)
    groups = res["groups"]
    if not groups:
        pytest.skip("the scenario's cohort has no multi-school group")
    in_draws = [f for f in steps if 0.5 < f < 1.0]
    assert len(in_draws) >= 20 * len(groups) - 1, (in_draws, len(groups))  # each draw
    assert max(b - a for a, b in zip(steps, steps[1:], strict=False)) <= 0.25
    assert len([f for f in steps if f < 0.5]) >= 4  # the placement's own steps before


def test_draw_progress_does_not_change_the_draws():
    import pandas as pd

    from geo_enroll.placement.lottery import simulate

    app = pd.DataFrame(
        {
            "student_id": [f"s{i}" for i in range(40)],
            "unit": [f"u{i % 3}" for i in range(40)],
            "choices": ["X|Y" if i % 2 else "Y|X" for i in range(40)],
        }
    )
    seats = pd.DataFrame({"school": ["X", "Y"], "seats": [12, 15]})
    seen: list[float] = []
    with_cb = simulate(app, seats, draws=120, seed=3, progress=seen.append)
    without = simulate(app, seats, draws=120, seed=3)
    for a, b in zip(with_cb, without, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert seen == sorted(seen) and seen[-1] == 1.0 and 40 <= len(seen) <= 61
