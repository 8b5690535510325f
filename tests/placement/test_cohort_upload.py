"""Review W5: the cohort upload (POST /api/cohorts with a file) names the user's file, reads
GBK/GB18030 as well as UTF-8, refuses an unreadable encoding clearly, and refuses a table with
bad rows (one message per row, IDs masked) instead of saving it silently."""

from __future__ import annotations

import io
import json

import pytest

from geo_enroll.datasets import toy_students

from ..web.conftest import login, make_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("cohort_upload"))
    c = app.test_client()
    return c, login(c, "analyst"), app.extensions["geo_store"]


def _post(client, data: bytes, filename: str):
    c, token, _store = client
    r = c.post(
        "/api/cohorts",
        data={"file": (io.BytesIO(data), filename), "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    return r, json.dumps(r.get_json(), ensure_ascii=False)


def test_gbk_table_is_read(client):
    raw = toy_students().to_csv(index=False).encode("gbk")
    r, text = _post(client, raw, "学生名单.csv")
    assert r.status_code == 201, text
    assert r.get_json()["n"] == len(toy_students())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_bad_id_number_is_refused_per_row_with_the_users_file_name(client, encoding):
    table = toy_students()
    table.loc[3, "身份证号"] = "x"
    table.loc[7, "出生日期"] = "2017-02-30"
    _c, _t, store = client
    before = len(store.cohorts())
    r, text = _post(client, table.to_csv(index=False).encode(encoding), "名单2024.csv")
    assert r.status_code == 400, text
    body = r.get_json()
    assert "名单2024.csv" in body["error"] and "未保存" in body["error"]
    rows = sorted({line.split("（")[0] for line in body["errors"]})
    assert rows == ["第5行", "第9行"]  # header = row 1
    assert "tmp" not in text and ".csv" not in text.replace("名单2024.csv", "")
    ids = [x for x in table["身份证号"] if len(x) == 18]
    assert not any(i in text for i in ids)  # IDs never echoed in full
    assert len(store.cohorts()) == before  # nothing saved


def test_unreadable_encoding_and_missing_columns_are_clear(client):
    # UTF-16 is neither UTF-8 nor GB18030 text: refused as binary, naming the file
    r, text = _post(client, "身份证号,学段\n1,小学\n".encode("utf-16"), "utf16.csv")
    assert r.status_code == 400 and "utf16.csv" in text and "tmp" not in text
    # Latin-1 bytes are neither UTF-8 nor GB18030: refused with how to save the file
    latin = "Identité,Adresse\n1,rue\n".encode("latin-1")
    r, text = _post(client, latin, "eleves.csv")
    assert r.status_code == 400 and "eleves.csv" in text and "编码无法识别" in text
    assert "CSV UTF-8" in text
    # readable but without the required columns: every missing one listed, file named
    r, text = _post(client, "姓名,电话\n张三,1\n".encode("gbk"), "通讯录.csv")
    assert r.status_code == 400 and "通讯录.csv" in text and "身份证号" in text
    assert "tmp" not in text
    r, text = _post(client, b"x", "s.exe")
    assert r.status_code == 400 and "s.exe" in text
