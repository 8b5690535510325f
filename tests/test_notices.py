"""The notice cites the 实施办法 of the policy's own province (not a hard-coded one)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from geo_enroll.outputs.notices import notices_pdf

CHILD = {
    "姓名": "王某某",
    "身份证号": "152527201801011234",
    "学籍号": "G152527201801010001",
    "毕业学校标识码": "2115000403",
    "户籍地址": "太仆寺旗宝昌镇河沿街5组14号",
}


@pytest.mark.parametrize(
    ("policy", "expected", "absent"),
    [
        (
            {"jurisdiction": "太仆寺旗", "county_code": "152527", "year": 2024},
            "内蒙古自治区实施",
            "北京市实施",
        ),
        ({"jurisdiction": "延庆区", "county_code": "110119", "year": 2023}, "北京市实施", "内蒙古"),
    ],
)
def test_notice_cites_the_province_of_the_policy(tmp_path, policy, expected, absent):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils, installed by scripts/setup.sh) is missing")
    pdf = tmp_path / "n.pdf"
    pdf.write_bytes(notices_pdf([CHILD], school={"name": "第一小学"}, policy=policy))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", "")
    assert expected in text and absent not in text
    assert "152527********1234" in text and "152527201801011234" not in text
    assert f"{policy['jurisdiction']}教育局" in text
