"""A 备注 (note) column of a zoning table.

Before: the column was not read at all — a note such as 也可到第一小学入学 (an option for the row's
places) was lost without a word.  Now every note that says more than the school's kind (寄宿制 /
九年一贯制 / 民办 / —) is reported for a person to read; the row's zones are as before."""

from __future__ import annotations

from geo_enroll.policy import parse_policy

TABLE = """| 序号 | 学校名称 | 划片范围 | {note} |
|---|---|---|---|
| 1 | 第一小学 | 东关村、西关村 | |
| 2 | 第二小学 | 南关村 | 学位不足时统筹安排 |
| 3 | 第三小学 | 西坡村 | 寄宿制 |
| 4 | 第四小学 | 东坡村 | 九年一贯制、民办 |
| 5 | 第五小学 | 北关村1-3组 | 也可到第一小学入学 |
"""


def test_notes_are_reported_the_rows_read_as_before():
    for header in ("备注", "说明"):
        spec = parse_policy("# 某县招生范围\n\n" + TABLE.format(note=header))
        units = {
            s["name"]: [u["name"] for z in s["zones"] for u in z.get("units") or []]
            for s in spec["schools"]
        }
        assert units == {
            "第一小学": ["东关村", "西关村"],
            "第二小学": ["南关村"],
            "第三小学": ["西坡村"],
            "第四小学": ["东坡村"],
            "第五小学": ["北关村"],
        }
        notes = [u["text"] for u in spec["unparsed"] if "table note" in u["reason"]]
        assert notes == ["学位不足时统筹安排", "也可到第一小学入学"]
        assert {u["line"] for u in spec["unparsed"]} == {6, 9}
