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
        (
            {
                "jurisdiction": "延庆区",
                "county_code": "110119",
                "year": 2023,
                "issuer": "延庆区教委",
            },
            "北京市实施",
            "内蒙古",
        ),
    ],
)
def test_notice_cites_the_province_of_the_policy(tmp_path, policy, expected, absent):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils, installed by scripts/setup.sh) is missing")
    pdf = tmp_path / "n.pdf"
    pdf.write_bytes(
        notices_pdf([CHILD], school={"name": "第一小学"}, policy=policy, issued="2024-08-01")
    )
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", "")
    assert expected in text and absent not in text
    assert "152527********1234" in text and "152527201801011234" not in text
    assert policy.get("issuer", f"{policy['jurisdiction']}教育局") in text
    assert "延庆区教育局" not in text


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
    from web.staff.service import school_students

    with app.test_request_context():
        school = next(p["school_id"] for p in placements if p["student_id"] == sid)
        rows = school_students(1, school)[2]
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


# ------------------------------------------------- issuer, dates, contacts (issue 10, item 3)


@pytest.mark.parametrize(
    ("name", "issuer", "day", "phones"),
    [
        ("taipusi_2024", "太仆寺旗教育局", "2024-08-01", {"0479-5750789"}),
        ("yanqing_2023", "延庆区教委", "2023-07-01", {"69102029", "69101579", "69102378"}),
    ],
)
def test_seed_issuer_notice_date_and_contacts_come_from_the_text(name, issuer, day, phones):
    from datetime import date

    from geo_enroll.outputs.notices import notice_date, notice_issuer
    from geo_enroll.policy.facts import extract_facts
    from geo_enroll.policy.spec import load_spec
    from geo_enroll.settings import data_dir

    committed = load_spec(data_dir() / "boundaries" / f"{name}.toml")["policy"]
    text = (data_dir() / "policies" / f"{name}.txt").read_text(encoding="utf-8")
    parsed = extract_facts(text.splitlines())
    for policy in (committed, parsed):  # the committed spec is what the parser makes of it
        assert notice_issuer(policy) == issuer
        assert notice_date(policy)[0] == date.fromisoformat(day)
        assert {c["phone"] for c in policy["contacts"]} == phones
        assert all(c["source"]["text"] in text for c in policy["contacts"])
    assert parsed["sources"]["issuer"]["text"] in text


def test_synthetic_policy_issuer_contacts_and_timeline():
    from geo_enroll.outputs.notices import notice_date, notice_issuer
    from geo_enroll.policy.facts import extract_facts

    lines = [
        "某某县2025年义务教育招生入学工作方案",
        "由县教体局统一划定招生范围。",
        "8月10日-8月20日：各校发出录取通知书。",
        "8月21日-8月25日：办理缓学手续。",
        "招生咨询电话：0123-6543210、0123-6543211，举报电话：0123-6540000。",
        "某某县教育体育局",
    ]
    f = extract_facts(lines)
    assert notice_issuer(f) == "某某县教育体育局"  # the signature line wins over 县教体局
    assert str(notice_date(f)[0]) == "2025-08-10"
    assert [t["kind"] for t in f["timeline"]] == ["notice_issue", "deferral"]
    assert [(c["kind"], c["phone"]) for c in f["contacts"]] == [
        ("consultation", "0123-6543210"),
        ("consultation", "0123-6543211"),
        ("supervision", "0123-6540000"),
    ]
    # no signature line: the authority the text names at its own level (市教委 is the city's)
    f = extract_facts(
        ["某某区2025年入学方案", "向市教委报告。", "由区教委审核。", "经区教委批准。"]
    )
    assert notice_issuer(f) == "某某区教委"


def test_notice_date_never_defaults_to_the_clock():
    from geo_enroll.errors import InputError
    from geo_enroll.outputs.notices import notice_date

    with pytest.raises(InputError, match="请指定通知书日期"):
        notice_date({"timeline": [{"start": "2024-07-01", "text": "审核入学申请", "line": 3}]})
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        notice_date({}, "2024/08/01")


# ------------------------------------------------------------- appeal window (issue 10)


def test_appeal_window_counts_prc_working_days_with_make_up_days():
    from datetime import date

    from web.notices import appeal_deadline

    # 2024: Oct 1-7 National Day, Sep 29 (Sun) and Oct 12 (Sat) are make-up working days
    assert appeal_deadline(date(2024, 9, 27), 5)[0] == date(2024, 10, 10)
    assert appeal_deadline(date(2024, 10, 8), 5)[0] == date(2024, 10, 14)  # Oct 12 counts
    # 2025 Spring Festival: Jan 28 - Feb 4 off, Jan 26 (Sun) and Feb 8 (Sat) working
    assert appeal_deadline(date(2025, 1, 24), 3)[0] == date(2025, 2, 5)
    # a plain week: Mon-Fri only
    assert appeal_deadline(date(2024, 8, 2), 5) == (date(2024, 8, 9), "")


def test_appeal_window_beyond_the_calendar_says_so():
    import chinese_calendar

    from web.notices import appeal_deadline

    last = max(d.year for d in chinese_calendar.holidays)
    end, note = appeal_deadline(__import__("datetime").date(last, 12, 30), 5)
    assert end.year == last + 1 and end.weekday() < 5 and str(last + 1) in note


def test_appeal_window_starts_when_the_family_received_the_notice(staff_record):
    from datetime import date

    app, c, h, placements = staff_record
    sid = next(p["student_id"] for p in placements if p["status"] == "placed")
    r = c.post(
        "/staff/appeals",
        json={"student_id": sid, "reason": "复核", "notice_received": "2099-01-01"},
        headers=h,
    )
    assert r.status_code == 400 and "晚于今天" in r.get_json()["error"]
    today = date.today().isoformat()
    r = c.post(
        "/staff/appeals",
        json={"student_id": sid, "reason": "复核", "notice_received": today},
        headers=h,
    )
    # received today (after the placement): recorded, and the window counts from it
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert date.fromisoformat(body["deadline"]) > date.today()
    assert today in body["deadline_basis"]
    log = app.extensions["geo_store"].audit_log()
    assert any(e["action"] == "notice.received" and e["detail"] == today for e in log)
    r = c.post(
        "/staff/appeals",
        json={"student_id": sid, "reason": "复核", "notice_received": "2001-01-01"},
        headers=h,
    )
    assert r.status_code == 400 and "早于录取结果生成日" in r.get_json()["error"]


# ------------------------------------------------- publicity and the staff page (issue 10)


@pytest.fixture
def yanqing_policy_app(tmp_path):
    """The toy town's zones under the 延庆 policy facts (phones, timeline, issuer, 校额到校)."""
    import json

    from geo_enroll.policy.spec import load_spec
    from geo_enroll.settings import data_dir
    from tests.web.conftest import login, make_app, toy_version

    app = make_app(tmp_path)
    store = app.extensions["geo_store"]
    spec, zones = toy_version()
    spec = json.loads(json.dumps(spec))
    policy = load_spec(data_dir() / "boundaries" / "yanqing_2023.toml")["policy"]
    spec["policy"] = {**policy, "jurisdiction": "玩具镇", "county_code": "999999", "year": 2024}
    spec["policy"]["timeline"] = [
        dict(
            t, start=t["start"] and "2024" + t["start"][4:], end=t["end"] and "2024" + t["end"][4:]
        )
        for t in policy["timeline"]
    ]
    vid = store.save_version(
        spec=spec, zones=zones, author="t", message="延庆 facts", jurisdiction="toy"
    )
    store.publish(vid, author="t")
    c = app.test_client()
    token = login(c, "staff")
    form = {"seed": "7", "version_id": str(vid), "cohort_id": "1", "csrf_token": token}
    assert c.post("/staff/record", data=form).status_code == 302
    return app, c


def test_parent_page_shows_the_policy_phones_and_timeline(yanqing_policy_app):
    app, _ = yanqing_policy_app
    html = app.test_client().get("/").get_data(as_text=True)
    for phone in ("69102029", "69101579", "69102378"):
        assert phone in html
    assert "各中小学发放新生入学通知书" in html and 'id="timeline"' in html


def test_staff_page_shows_issuer_deadlines_and_informational_items(yanqing_policy_app):
    _, c = yanqing_policy_app
    html = c.get("/staff/").get_data(as_text=True)
    assert "延庆区教委" in html and "2024-07-01" in html
    assert 'id="not-modelled"' in html and "校额到校" in html and "仅供参考" in html


def test_roster_nine_year_school_one_sheet_per_level_and_column_5():
    import io

    from openpyxl import load_workbook

    from geo_enroll.outputs.roster import roster_xlsx
    from geo_enroll.policy.spec import load_spec
    from geo_enroll.settings import data_dir

    spec = load_spec(data_dir() / "boundaries" / "taipusi_2024.toml")
    school = next(s for s in spec["schools"] if s["level"] == "nine_year")
    rows = [
        {
            "姓名": "甲",
            "身份证号": "152527201801011234",
            "幼儿园": "宝昌镇第一幼儿园",
            "level": "primary",
        },
        {
            "姓名": "乙",
            "身份证号": "152527201201011234",
            "学籍号": "G1",
            "毕业学校标识码": "第一小学",
            "level": "middle",
        },
    ]
    wb = load_workbook(
        io.BytesIO(roster_xlsx(rows, school=school, policy=spec["policy"], schools=spec["schools"]))
    )
    assert wb.sheetnames == ["花名册（小学）", "花名册（初中）"]
    p, m = wb["花名册（小学）"], wb["花名册（初中）"]
    assert [p.cell(4, j).value for j in (1, 2, 5)] == [None, "甲", "宝昌镇第一幼儿园"]
    assert [m.cell(4, j).value for j in (1, 2, 5)] == ["G1", "乙", "2115002385"]  # 一小's code
    assert p.cell(5, 1).value is None and m.cell(5, 1).value is None  # one child per sheet
    notes = " ".join(str(c.value) for row in p.iter_rows(min_row=5) for c in row if c.value)
    assert "报到第二天及时上报" in notes and "开学2周内上报电子版" in notes
