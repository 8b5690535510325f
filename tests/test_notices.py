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


# ---------------------------------------------------------------- appeal decisions (issue 10, 2)


@pytest.fixture
def staff_record(tmp_path):
    from tests.web.conftest import login, make_app

    app = make_app(tmp_path)
    c = app.test_client()
    token = login(c, "staff")
    form = {"seed": "7", "version_id": "1", "cohort_id": "1", "csrf_token": token}
    assert c.post("/staff/record", data=form).status_code == 302
    placements = c.get("/api/runs/1/placements").get_json()["placements"]
    return app, c, {"X-CSRF-Token": token}, placements


def _appeal(c, h, sid):
    r = c.post("/staff/appeals", json={"student_id": sid, "reason": "家长申请复核"}, headers=h)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _decide(c, h, aid, **body):
    return c.post(f"/staff/appeals/{aid}/decision", json={"reason": "核实", **body}, headers=h)


def test_appeal_decision_naming_an_unknown_school_is_refused(staff_record):
    app, c, h, placements = staff_record
    sid = next(p["student_id"] for p in placements if p["status"] == "placed")
    aid = _appeal(c, h, sid)
    r = _decide(c, h, aid, outcome="changed", new_school="火星小学")
    body = r.get_json()
    assert r.status_code == 400 and body["ok"] is False
    assert "火星小学" in body["error"] and "不在本政策的学校名单中" in body["error"]
    assert app.extensions["geo_store"].appeal(aid)["decisions"] == []  # nothing recorded
    # the child is still on its school's notice list
    from web import services

    with app.test_request_context():
        school = next(p["school_id"] for p in placements if p["student_id"] == sid)
        rows = services.school_students(1, school)[2]
    assert sid in {r["student_id"] for r in rows}


def test_appeal_decision_at_the_wrong_level_is_refused(staff_record):
    _, c, h, placements = staff_record
    p = next(p for p in placements if p["status"] == "placed" and p["level"] == "primary")
    r = _decide(c, h, _appeal(c, h, p["student_id"]), outcome="changed", new_school="第一中学")
    assert r.status_code == 400 and "不招收小学" in r.get_json()["error"]


def test_appeal_decision_needs_a_free_seat_or_a_recorded_override(staff_record):
    app, c, h, placements = staff_record
    rows = c.get("/api/runs/1").get_json()
    schools = {s["school_id"]: s for s in (rows.get("result") or rows).get("schools", [])}
    full = [k for k, s in schools.items() if s["level"] == "primary" and s["placed"] >= s["seats"]]
    if not full:
        pytest.skip("no primary school is full in the toy placement")
    target = full[0]
    p = next(
        p
        for p in placements
        if p["status"] == "placed" and p["level"] == "primary" and p["school_id"] != target
    )
    aid = _appeal(c, h, p["student_id"])
    r = _decide(c, h, aid, outcome="changed", new_school=target)
    assert r.status_code == 400 and "学位已满" in r.get_json()["error"]
    r = _decide(c, h, aid, outcome="changed", new_school=target, override_seats=True)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["override_seats"] is True
    store = app.extensions["geo_store"]
    assert "超额安排" in store.appeal(aid)["decisions"][-1]["reason"]
    audit = [e for e in store.audit_log() if e["action"] == "appeal.decide"]
    assert audit and audit[0]["detail"] == f"changed:{target}:override"
