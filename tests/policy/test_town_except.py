"""A township without some of its villages, written as a phrase (城关镇除东关村以外的所有村,
除东关村外的城关镇所有村), was a unit named 除东关村以外的所有村 that no address has; the rest of a
township (城关镇其他村) was a unit named 其他村.  Now: the township with those excepted, and the
rest of a township the ``remainder`` of it (reported at first).  Also limits written
with 达 / 邻 / 靠 and a last limit ending in 范围内 / 以内区域."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy


def _read(scope: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"# 某县招生范围\n\n某某小学：{scope}\n")
    got = []
    for s in spec["schools"]:
        for z in s["zones"]:
            if z["kind"] == "street_limits":
                got.append(("limits", tuple(sorted(z["limits"].items()))))
            for u in z.get("units") or []:
                got.append((u["name"], tuple(u.get("exclude") or ())))
    return got, [u["text"] for u in spec.get("unparsed", [])]


@pytest.mark.parametrize(
    "scope,units",
    [
        ("城关镇除东关村以外的所有村", [("城关镇", ("东关村",))]),
        ("除东关村外的城关镇所有村", [("城关镇", ("东关村",))]),
        ("城关镇除东关村、西关村外", [("城关镇", ("东关村", "西关村"))]),
        ("城关镇辖区内除东关村之外的区域", [("城关镇", ("东关村",))]),
        ("城关镇（除东关村外）", [("城关镇", ("东关村",))]),
        ("城关镇所有村", [("城关镇", ())]),
        ("城关镇各行政村", [("城关镇", ())]),
    ],
)
def test_a_township_without_some_of_its_villages(scope, units):
    got, left = _read(scope)
    assert got == units
    assert not left


@pytest.mark.parametrize(
    "scope, rest", [("东关村、城关镇其余村", ["城关镇"]), ("东关村、其他村", [])]
)
def test_the_rest_of_a_township_is_not_named(scope, rest):
    """Reported at first; now the rest of the place no other school takes (``remainder``,
    tests/policy/test_remainder.py): the rest of 城关镇, or of the county."""
    spec = parse_policy(f"# 某县招生范围\n\n某某小学：{scope}\n")
    (zones,) = [s["zones"] for s in spec["schools"]]
    assert [z["kind"] for z in zones] == ["admin_units", "remainder"]
    assert [u["name"] for u in zones[0]["units"]] == ["东关村"]
    assert [u["name"] for u in zones[1]["units"]] == rest
    assert not spec["unparsed"]


@pytest.mark.parametrize(
    "scope",
    [
        "东至人民路，西到解放路，南抵河滨路，北达建设路",
        "东邻人民路，西靠解放路，南至河滨路，北至建设路",
        "东至人民路、西至解放路、南至河滨路、北至建设路范围内",
        "东至人民路，西至解放路，南至河滨路，北至建设路以内区域",
    ],
)
def test_limits_in_other_words(scope):
    got, left = _read(scope)
    assert got == [
        (
            "limits",
            (("east", "人民路"), ("north", "建设路"), ("south", "河滨路"), ("west", "解放路")),
        )
    ]
    assert not left


@pytest.mark.parametrize(
    "scope",
    [
        "城关镇东关村、西关村以外的其他村",  # was 东关村 (the opposite) and a unit 西关村以外的其他村
        "除东关村、西关村外，城关镇其余各村",  # was units 除东关村, 其余各村 and a compound 西关村外
    ],
)
def test_a_township_but_some_villages_in_other_words(scope):
    got, left = _read(scope)
    assert got == [("城关镇", ("东关村", "西关村"))]
    assert not left


def test_the_others_of_villages_in_a_townships_context():
    from geo_enroll.policy.document import ParseContext
    from geo_enroll.policy.scopes import scope_pieces

    pieces, left = scope_pieces("东关村、西关村以外的其他村", ParseContext(county=None), "城关镇")
    assert [(p["name"], p.get("exclude")) for p in pieces] == [("城关镇", ["东关村", "西关村"])]
    assert not left


@pytest.mark.parametrize(
    "scope", ["东关村、西关村以外的其他村", "东关村以外的区域", "城关镇以外的区域"]
)
def test_outside_named_places_without_a_township_is_reported(scope):
    """The others of what is not said: reported — never 东关村 itself, nor a unit named 以外."""
    spec = parse_policy(f"# 某县招生范围\n\n第二小学：南关村。\n某某小学：{scope}\n")
    assert [u["text"] for u in spec["unparsed"]] == [scope]
    assert [s["name"] for s in spec["schools"] if s["zones"]] == ["第二小学"]
