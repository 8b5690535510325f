"""The planner's diff by geometry: a zone within half a metre of the stored one (the browser's
6-decimal rounding is about 0.1 m) is untouched and kept byte-identical; a real edit is not."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from shapely.affinity import translate
from shapely.geometry import mapping, shape

from web.planner.edits import keep_untouched, same_version

ZONES = Path(__file__).resolve().parents[2] / "data/boundaries/taipusi_2024_zones.geojson"
M_PER_DEG_LAT = 111_320.0


def _real_zones() -> dict:
    return json.loads(ZONES.read_text(encoding="utf-8"))


def _rounded(geom: dict, digits: int = 6) -> dict:
    def rec(c):
        return (
            [round(c[0], digits), round(c[1], digits)]
            if isinstance(c[0], float)
            else [rec(x) for x in c]
        )

    return {"type": geom["type"], "coordinates": rec(geom["coordinates"])}


def test_the_browsers_rounding_changes_no_zone():
    base = _real_zones()
    sent = copy.deepcopy(base)
    for f in sent["features"]:
        f["geometry"] = _rounded(f["geometry"])
    assert sent != base
    kept, changed = keep_untouched(base, sent)
    assert changed == []
    assert json.dumps(kept, sort_keys=True) == json.dumps(base, sort_keys=True)
    assert same_version({}, base, {}, kept)


def test_a_real_edit_is_a_change_and_the_others_stay_byte_identical():
    base = _real_zones()
    sent = copy.deepcopy(base)
    for f in sent["features"]:
        f["geometry"] = _rounded(f["geometry"])
    edited = sent["features"][3]
    rid = edited["properties"]["rule_id"]
    edited["geometry"] = mapping(translate(shape(edited["geometry"]), yoff=2.0 / M_PER_DEG_LAT))
    kept, changed = keep_untouched(base, sent)
    assert changed == [rid]
    for old, new in zip(base["features"], kept["features"], strict=True):
        same = json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)
        assert same == (old["properties"]["rule_id"] != rid)


def test_the_tolerance_is_half_a_metre_in_every_direction():
    base = _real_zones()
    f0 = base["features"][0]
    for dx, dy, untouched in (
        (0.3, 0.0, True),
        (0.0, 0.3, True),
        (0.0, 0.8, False),
        (0.8, 0.0, False),  # a degree of longitude is shorter: 0.8 m is still a change
    ):
        moved = copy.deepcopy(base)
        moved["features"][0]["geometry"] = mapping(
            translate(shape(f0["geometry"]), xoff=dx / M_PER_DEG_LAT, yoff=dy / M_PER_DEG_LAT)
        )
        _kept, changed = keep_untouched(base, moved)
        assert (changed == []) == untouched, (dx, dy)


def test_added_removed_and_renamed_zones_are_changes():
    base = _real_zones()
    fewer = copy.deepcopy(base)
    gone = fewer["features"].pop()["properties"]["rule_id"]
    assert keep_untouched(base, fewer)[1] == [gone]
    renamed = copy.deepcopy(base)
    renamed["features"][0]["properties"]["school"] += "（新）"
    assert keep_untouched(base, renamed)[1] == [base["features"][0]["properties"]["rule_id"]]


def test_the_web_modules_doctests_pass():
    """``web/`` is outside the suite's doctest paths: run the page modules' examples here."""
    import doctest

    import web.analyst.service
    import web.context
    import web.labels
    import web.maps
    import web.placement
    import web.planner.edits
    import web.public.answer
    import web.public.nearby
    import web.staff.service

    for mod in (
        web.maps,
        web.labels,
        web.context,
        web.placement,
        web.public.answer,
        web.public.nearby,
        web.planner.edits,
        web.analyst.service,
        web.staff.service,
    ):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.attempted > 0 and res.failed == 0, mod.__name__
