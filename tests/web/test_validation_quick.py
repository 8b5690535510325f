"""The quick plain-Python check of a route's declaration (``web.validation._quick_check``)
passes only what the JSON Schema validator passes, on every declaration of every route."""

from __future__ import annotations

import itertools
import math
import random

from web.validation import _compile

from .conftest import make_app

_VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    181,
    -181,
    2**53,
    0.0,
    -0.0,
    1.5,
    -90.5,
    180.0,
    180.0000001,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "a",
    "zh",
    "en",
    "json",
    "html",
    "taipusi_2024",
    "toy",
    "bad key!",
    "玩具镇横街61号",
    "x" * 64,
    "x" * 65,
    "x" * 20001,
    "/planner/",
    "//evil",
    "12",
    "1.5",
    [],
    {},
    ["a"],
]


def _declarations(app):
    for rule in app.url_map.iter_rules():
        schema = getattr(app.view_functions[rule.endpoint], "input_schema", None)
        if not schema:
            continue
        for part, req in (("query", "required_query"), ("body", "required"), ("path", None)):
            props = schema.get(part)
            if props:
                rules = tuple(schema.get("rules") or ()) if part == "body" else ()
                yield rule.rule, part, props, tuple(schema.get(req) or ()) if req else (), rules


def test_quick_check_never_passes_what_the_validator_refuses(tmp_path):
    app = make_app(tmp_path)
    rng = random.Random(3)
    checked = quick_ones = passed = 0
    for _route, _part, props, required, rules in _declarations(app):
        validator, quick = _compile(props, required, rules)
        if quick is None:
            continue
        quick_ones += 1
        names = list(props)
        cases = [{}]
        for name in names:  # each field alone with every value
            cases += [{name: v} for v in _VALUES]
        for _ in range(300):  # random combinations of fields and values
            k = rng.randint(1, len(names))
            cases.append({n: rng.choice(_VALUES) for n in rng.sample(names, k)})
        for data in cases:
            got = quick(data)
            if got:
                assert validator.is_valid(data), (props, data)
                passed += 1
            checked += 1
    assert quick_ones > 20 and checked > 10_000 and passed > 1_000


def test_the_lookup_route_has_a_quick_check(tmp_path):
    app = make_app(tmp_path)
    found = {
        (route, part): quick is not None
        for route, part, props, required, rules in _declarations(app)
        for _v, quick in [_compile(props, required, rules)]
    }
    assert found[("/api/lookup", "body")] and found[("/api/lookup", "query")]
    assert found[("/healthz", "query")]


def test_quick_and_validator_agree_on_the_lookup_body():
    """On the parents' lookup body the quick check decides exactly as the validator (NaN,
    which the body's JSON decoder refuses anyway, is left to the validator)."""
    from web.validation import JKEY, LAT, LON, text

    props = {"address": text(20000), "lon": LON, "lat": LAT, "jurisdiction": JKEY}
    validator, quick = _compile(props)
    for a, lon, lat, j in itertools.product(
        [None, "", "玩具镇横街61号", "x" * 20001, 5],
        [None, 116, 116.5, -181, True, -0.0, 180],
        [None, 40.0, 91, "40"],
        [None, "toy", "bad key!", "x" * 65],
    ):
        data = {
            k: v
            for k, v in (("address", a), ("lon", lon), ("lat", lat), ("jurisdiction", j))
            if v is not None
        }
        assert quick(data) == validator.is_valid(data), data
