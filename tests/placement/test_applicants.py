"""The applicant table: formats, headers, validation of every row at once, stable ids."""

import pandas as pd
import pytest

from geo_enroll.errors import ApplicantError
from geo_enroll.placement.applicants import read_applicants, row_problems, student_id_for


def test_csv_gb18030_and_xlsx_give_the_same_table(tmp_path, toy_table):
    csv = tmp_path / "a.csv"
    toy_table.to_csv(csv, index=False, encoding="gb18030")
    xlsx = tmp_path / "a.xlsx"
    toy_table.to_excel(xlsx, index=False)
    a = read_applicants(csv, salt="s")
    b = read_applicants(xlsx, salt="s")
    assert list(a["student_id"]) == list(b["student_id"])
    assert list(a["level"]) == list(b["level"])
    assert set(a["level"]) == {"primary", "middle"}


def test_english_headers_are_accepted(toy_table):
    from geo_enroll.placement.applicants import COLUMNS

    english = toy_table.rename(columns={zh: canon for canon, (zh, _o) in COLUMNS.items()})
    assert list(read_applicants(english)["student_id"]) == list(
        read_applicants(toy_table)["student_id"]
    )


def test_student_id_is_stable_salted_and_not_the_number(toy_table):
    a = read_applicants(toy_table, salt="bureau-1")
    b = read_applicants(toy_table.iloc[::-1], salt="bureau-1")
    c = read_applicants(toy_table, salt="bureau-2")
    assert set(a["student_id"]) == set(b["student_id"])
    assert set(a["student_id"]).isdisjoint(set(c["student_id"]))
    for sid, number in zip(a["student_id"], a["id_number"], strict=True):
        assert number[6:14] not in sid and sid == student_id_for(number, salt="bureau-1")


def test_missing_columns_are_listed_together():
    with pytest.raises(ApplicantError) as e:
        read_applicants(pd.DataFrame({"姓名": ["测试"], "备注": [""]}))
    assert len(e.value.problems) == 2


def test_every_bad_row_is_reported_with_its_row_number(toy_table):
    t = toy_table.copy()
    t.loc[0, "身份证号"] = t.loc[0, "身份证号"][:-1] + (
        "1" if t.loc[0, "身份证号"][-1] != "1" else "2"
    )
    t.loc[3, "出生日期"] = "2016-01-01"
    t.loc[5, "性别"] = "女" if t.loc[5, "性别"] == "男" else "男"
    t.loc[7, "户口迁入日期"] = "去年"
    t = pd.concat([t, t.iloc[[9]]], ignore_index=True)
    df = read_applicants(t)
    lines = row_problems(df)
    rows = sorted({int(line.split("行")[0][1:]) for line in lines})
    assert rows == [2, 5, 7, 9, 11, len(t) + 1]
    numbers = set(df["id_number"])
    assert not any(n in line for n in numbers for line in lines)  # only masked numbers
    assert df.loc[df["row"] == 11, "duplicate_of"].iloc[0] == (len(t) + 1,)


def test_unreadable_files(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(ApplicantError):
        read_applicants(p)
    with pytest.raises(ApplicantError):
        read_applicants(tmp_path / "missing.csv")
