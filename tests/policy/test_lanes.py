"""Lanes named …里 / …弄 and …胡同 are streets where house numbers follow them (祥和里单号1-303号
was not read), and a list goes on with the same street's other side (、双号2-198号: was not read).
A …里 without numbers stays a place (平安里小区, the Taiwan 里 of the 鄰 tables), and a building
number (和平里3号楼) is no house number of a lane."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _zones(line: str):
    spec = parse_policy(f"# 招生范围\n\n第一小学：{line}\n")
    zones = spec["schools"][0]["zones"] if spec["schools"] else []
    return zones, [u["text"] for u in spec.get("unparsed") or []]


@pytest.mark.parametrize(
    "text,street,numbers",
    [
        ("祥和里单号1-303号", "祥和里", {"from": 1, "to": 303, "parity": "odd"}),
        ("锦绣里双号2-40号", "锦绣里", {"from": 2, "to": 40, "parity": "even"}),
        ("祥和弄1-9号", "祥和弄", {"from": 1, "to": 9, "parity": "all"}),
        ("吉祥里12号", "吉祥里", {"list": [12], "parity": "all"}),
        ("东四十条胡同全段", "东四十条胡同", None),
        ("帽儿胡同1-30号", "帽儿胡同", {"from": 1, "to": 30, "parity": "all"}),
    ],
)
def test_a_lane_before_its_numbers_is_a_street(text, street, numbers):
    zones, left = _zones(text)
    assert left == []
    assert [(z["kind"], z["street"], z["numbers"]) for z in zones] == [
        ("street_list", street, numbers)
    ]


@pytest.mark.parametrize("text", ["平安里小区", "和平里3号楼", "福安里"])
def test_a_li_without_house_numbers_is_not_a_street(text):
    zones, _left = _zones(text)
    assert not any(z["kind"] == "street_list" for z in zones)


@pytest.mark.parametrize(
    "text,street,second",
    [
        ("祥和里单号1-303号、双号2-198号", "祥和里", {"from": 2, "to": 198, "parity": "even"}),
        ("人民路单号1-99号、双号2-88号", "人民路", {"from": 2, "to": 88, "parity": "even"}),
        ("新华街双号2-20号、单号1-15号", "新华街", {"from": 1, "to": 15, "parity": "odd"}),
    ],
)
def test_the_other_side_of_the_same_street_in_a_list(text, street, second):
    zones, left = _zones(text)
    assert left == []
    assert [z["street"] for z in zones] == [street, street]
    assert zones[1]["numbers"] == second
    assert zones[1]["sides"] == second["parity"]


def test_numbers_without_a_street_before_them_are_reported():
    zones, left = _zones("东关村、双号2-198号")
    assert [z["kind"] for z in zones] == ["admin_units"]
    assert left == ["双号2-198号"]


def test_on_the_real_notice():
    """成华区 2025 in ../shared/reference (not shipped; skipped without)."""
    text, _ = read_policy(need_shared(ZONING / "chengdu_chenghua_2025.md"))
    spec = parse_policy(text)
    got = [
        (z["street"], z["numbers"])
        for s in spec["schools"]
        for z in s["zones"]
        if z.get("street") == "祥和里"
    ]
    assert got == [
        ("祥和里", {"from": 1, "to": 303, "parity": "odd"}),
        ("祥和里", {"from": 2, "to": 198, "parity": "even"}),
    ]
    assert not [
        u for u in spec.get("unparsed") or [] if "祥和里" in u["text"] or u["text"] == "双号2-198号"
    ]
