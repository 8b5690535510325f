"""Real road names from the zoning texts in ``../shared/reference/zoning-dev`` (杭州, 西安, 深圳).

Each road is written after its city and district in the forms registers use; the district must
resolve to its official code and the road come back whole with its number.  Skips without the
shared folder (``need_shared``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo_enroll.address import load_divisions, parse_address
from tests.conftest import SHARED, need_shared

DIV = load_divisions()
REF = SHARED / "reference" / "zoning-dev"
FILES = {
    "hangzhou_urban-districts_2026.md": ("浙江省", "杭州市", "西湖区"),
    "xian_chanba-xincheng-lintong_2025.md": ("陕西省", "西安市", "新城区"),
    "shenzhen_baoan_2024.md": ("广东省", "深圳市", "宝安区"),
}


def _roads(path: Path) -> list[str]:
    pieces = re.split(r"[，、；。（）()：:\s,;/\-—]+", path.read_text(encoding="utf-8"))
    return sorted({
        p for p in pieces
        if re.fullmatch(r"[\u4e00-\u9fff]{1,7}(?:路|街|大道|巷)", p)
        and not re.search(r"[以至沿含除号省市区县]", p)
        and len(re.findall(r"路|街|大道|巷", p)) == 1
    })  # fmt: skip


@pytest.mark.parametrize("name", sorted(FILES))
def test_real_roads_after_their_city_and_district(name):
    path = need_shared(REF / name)
    province, city, county = FILES[name]
    (city_code,) = DIV.full["city"][city]
    (code,) = [c for c in DIV.full["county"][county] if c.startswith(city_code)]
    roads = _roads(path)
    assert len(roads) >= 30
    wrong = []
    for i, road in enumerate(roads):
        n = str(i + 1)
        for text in (f"{province}{city}{county}{road}{n}号", f"{city}{county}{road}{n}号",
                     f"{province[:2]}{city[:2]}{county} {road} {n}号"):  # fmt: skip
            r = parse_address(text)
            if (r["codes"].get("county"), r["road"], r["house_number"]) != (code, road, n):
                wrong.append((text, r["codes"].get("county"), r["road"], r["house_number"]))
    assert wrong == []
