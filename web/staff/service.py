"""What the bureau staff's pages do: the placement of record, search, appeals (复核).

ID numbers are shown masked (``152527********1234``); a full number only through
:func:`reveal_id`, audited.  Never logs names, ID numbers or addresses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from geo_enroll.errors import InputError, NotFoundError
from geo_enroll.placement.idcard import mask_id

from .. import notices
from ..common import cohort_index, jurisdiction, on_page, store, version_by_id

__all__ = [
    "staff_page",
    "staff_search",
    "record_run",
    "school_students",
    "working_days_after",
    "record_notice_received",
    "file_appeal",
    "appeals_page",
    "appeal_detail",
    "decide_appeal",
    "reveal_id",
]


def staff_page(*, key: str | None = None, lang: str = "zh") -> dict:
    """The placement of record of a jurisdiction with its schools (admitted counts summed over
    levels)."""
    s = store()
    j = on_page(jurisdiction(key))
    rid = s.record_run_id(j.key)
    run = s.run(rid) if rid else None
    schools = []
    appeal_counts = {"open": 0, "decided": 0, "changed": 0}
    if run:
        spec = version_by_id(run["version_id"])["spec"]
        by_key = {}
        for sc in spec.get("schools") or []:
            by_key[sc["id"]] = by_key[sc["name"]] = sc["id"]
        moved = _decided_schools(run["id"])  # 复核改派: the child counts at the new school
        placed: dict[str, int] = {}
        for p in run["result"].get("placements", []):
            if p.get("status") not in (None, "placed") and p["student_id"] not in moved:
                continue
            sid = moved.get(p["student_id"]) or by_key.get(p.get("school") or "")
            if sid:
                placed[sid] = placed.get(sid, 0) + 1
        schools = [
            {
                "id": sc["id"],
                "name": sc["name"],
                "level": sc.get("level"),
                "code": sc.get("code"),
                "placed": placed.get(sc["id"], 0),
            }
            for sc in spec.get("schools") or []
        ]
        for a in s.appeals():
            if a["run_id"] == run["id"]:
                appeal_counts["open" if a.get("outcome") is None else "decided"] += 1
                appeal_counts["changed"] += a.get("outcome") == "changed"
        run = {k: v for k, v in run.items() if k != "result"}
    runs = [r for r in s.runs(j.key) if r["of_record"]]
    notice_date = None
    if run:
        try:
            notice_date = notices.notice_date(spec.get("policy") or {})[0].isoformat()
        except InputError:  # the policy names no date: staff choose one
            notice_date = None
    return {
        "jurisdiction": j.public(lang),
        "record_run": run,
        "schools": schools,
        "notice_date": notice_date,
        "policy_notes": notices.policy_notes(spec.get("policy") or {}) if run else None,
        "appeal_counts": appeal_counts,
        "pending_run": next((r for r in runs if r.get("status") in ("queued", "running")), None),
        "versions": s.versions(j.key),
        "cohorts": s.cohorts(j.key),
        "runs": runs,
    }


_ID_QUERY = re.compile(r"^[0-9Xx*＊]{4,18}$")


def staff_search(query: str, *, key: str | None = None) -> dict:
    """Children of the placement of record found by name (part of 姓名), by ID number as staff
    see it (masked ``152527********1234``, the last 4–6 digits, or the whole number) or by
    student id.  Answers masked ID numbers only, with each child's school after appeals.

    Returns ``{"query", "matches": [{"student_id", "name", "id_masked", "level", "school",
    "status", "changed", "appeal_id"}], "more"}`` (at most 50 matches).
    """
    q = "".join(str(query or "").split())
    if not q:
        raise InputError("请输入姓名或证件号 (type a name or an ID number)")
    if len(q) > 40:
        raise InputError("查询过长，最多 40 字 (query too long: 40 characters at most)")
    run = record_run(key)
    spec = version_by_id(run["version_id"])["spec"]
    names = {sc["id"]: sc["name"] for sc in spec.get("schools") or []}
    rows = cohort_index(run["cohort_id"])
    moved = _decided_schools(run["id"])
    appeals = {a["student_id"]: a["id"] for a in store().appeals() if a["run_id"] == run["id"]}
    pattern = None
    if _ID_QUERY.match(q) and any(c.isdigit() for c in q):
        body = q.upper().replace("＊", "*")
        if "*" in body:
            pattern = re.compile("^" + body.replace("*", "[0-9X]") + "$")
        elif len(body) == 18:
            pattern = re.compile("^" + re.escape(body) + "$")
        else:
            pattern = re.compile(re.escape(body) + "$")  # the last digits
    matches = []
    for p in run["result"].get("placements", []):
        sid = p["student_id"]
        r = rows.get(sid, {})
        idn = str(r.get("身份证号") or "").upper()
        name = str(r.get("姓名") or "")
        hit = sid == q or (pattern.search(idn) if pattern else q.lower() in name.lower())
        if not hit:
            continue
        final = moved.get(sid)
        matches.append(
            {
                "student_id": sid,
                "name": name,
                "id_masked": mask_id(idn) if idn else "",
                "level": p.get("level"),
                "school": names.get(final, final) if final else p.get("school"),
                "status": "placed" if final else p.get("status"),
                "changed": bool(final),
                "appeal_id": appeals.get(sid),
            }
        )
    matches.sort(key=lambda m: (m["name"], m["student_id"]))
    return {"query": q, "matches": matches[:50], "more": max(0, len(matches) - 50)}


def record_run(key: str | None = None) -> dict:
    """The placement of record of the jurisdiction ``key`` (default: the selected one)."""
    rid = store().record_run_id(jurisdiction(key).key)
    if rid is None:
        raise NotFoundError("尚未运行正式录取 (the placement of record has not been run yet)")
    return store().run(rid)


def school_students(run_id: int, school_id: str) -> tuple[dict, dict, list[dict]]:
    """(spec, school, rows) of the children a finished placement admitted to ``school_id``."""
    run = store().run(run_id)
    if run["kind"] != "placement" or run["status"] != "done":
        raise NotFoundError(f"run {run_id} is not a finished placement")
    v = version_by_id(run["version_id"])
    school = next((s for s in v["spec"].get("schools") or [] if s.get("id") == school_id), None)
    if school is None:
        raise NotFoundError(f"school {school_id!r} is not in version {v['id']}")
    rows = cohort_index(run["cohort_id"])
    admitted = []
    overrides = _decided_schools(run_id)
    for p in run["result"]["placements"]:
        final = overrides.get(p["student_id"], p.get("school"))
        if final in (school["name"], school["id"]):
            admitted.append(
                rows.get(p["student_id"], {})
                | {"student_id": p["student_id"], "level": p.get("level")}
            )
    admitted.sort(key=lambda r: r["student_id"])
    return v["spec"], school, admitted


def _decided_schools(run_id: int) -> dict[str, str]:
    """``{student_id: school id}`` of the 改派 decisions of a run (unknown schools skipped)."""
    run = store().run(run_id)
    spec = version_by_id(run["version_id"])["spec"]
    return notices.decided_schools(spec, [a for a in store().appeals() if a["run_id"] == run_id])


def working_days_after(start: date, n: int) -> date:
    """The date ``n`` working days (Mon–Fri) after ``start``.

    >>> working_days_after(date(2024, 8, 2), 5)  # a Friday
    datetime.date(2024, 8, 9)
    """
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def _received_key(run_id: int, student_id: str) -> str:
    return f"notice_received:run:{int(run_id)}:{student_id}"


def _deadline(run: dict, spec: dict, student_id: str | None = None) -> date:
    """Last day of the 复核 window: N PRC working days (holidays and make-up days from the
    chinesecalendar package) after the family received the notice, as recorded per notice
    (:func:`record_notice_received`); unrecorded, the day the placement was made."""
    return _deadline_note(run, spec, student_id)[0]


def _deadline_note(run: dict, spec: dict, student_id: str | None = None) -> tuple[date, str]:
    days = int((spec.get("policy") or {}).get("appeal_window_working_days") or 5)
    got = store().get_meta(_received_key(run["id"], student_id)) if student_id else None
    if got:
        received, why = date.fromisoformat(got), f"通知书领取日{got}"
    else:
        received = datetime.fromisoformat(run["finished_at"]).date()
        why = "未记录通知书领取日，按录取结果生成日计算"
    end, note = notices.appeal_deadline(received, days)
    return end, "；".join(x for x in (why, note) if x)


def record_notice_received(run_id: int, student_id: str, body: dict, *, user: dict) -> dict:
    """Record the day a family received the admission notice (the 复核 window starts there)."""
    run = store().run(run_id)
    if not any(p["student_id"] == student_id for p in run["result"].get("placements", [])):
        raise NotFoundError(f"学生编号 {student_id} 不在该次录取结果中 (not in run {run_id})")
    raw = str(body.get("received") or "").strip()
    try:
        received = date.fromisoformat(raw)
    except ValueError as exc:
        raise InputError(
            f"领取日期“{raw[:20]}”格式不对，应为 YYYY-MM-DD (received must be YYYY-MM-DD)"
        ) from exc
    finished = datetime.fromisoformat(run["finished_at"]).date()
    if received > date.today():
        raise InputError(
            f"领取日期{received}晚于今天，请核对 (the notice cannot be received in the future)"
        )
    if received < finished:
        raise InputError(
            f"领取日期{received}早于录取结果生成日{finished}，请核对 (received before the placement)"
        )
    store().set_meta(_received_key(run_id, student_id), received.isoformat())
    store().audit(
        "notice.received",
        username=user["username"],
        role=user["role"],
        obj=f"run:{run_id}/student:{student_id}",
        detail=received.isoformat(),
    )
    deadline, note = _deadline_note(run, version_by_id(run["version_id"])["spec"], student_id)
    return {"received": received.isoformat(), "deadline": deadline.isoformat(), "note": note}


def file_appeal(body: dict, *, user: dict, today: date | None = None) -> dict:
    run = record_run(body.get("jurisdiction") or None)
    student_id = str(body.get("student_id") or "").strip()
    reason = str(body.get("reason") or "").strip()
    if not student_id or not reason:
        raise InputError("复核申请需要学生编号和理由 (student_id and reason are required)")
    if not any(p["student_id"] == student_id for p in run["result"]["placements"]):
        raise NotFoundError(
            f"学生编号 {student_id} 不在正式录取结果中 (not in the placement of record)"
        )
    if body.get("notice_received"):  # the day on the family's notice stub, recorded first
        record_notice_received(
            run["id"], student_id, {"received": body["notice_received"]}, user=user
        )
    spec = version_by_id(run["version_id"])["spec"]
    deadline, note = _deadline_note(run, spec, student_id)
    today = today or date.today()
    if today > deadline:
        days = (spec.get("policy") or {}).get("appeal_window_working_days") or 5
        raise InputError(
            f"已超过复核期限 {deadline.isoformat()}（拿到入学通知书{days}个工作日内；{note}） "
            f"(the appeal window closed on {deadline.isoformat()})"
        )
    aid = store().file_appeal(
        run_id=run["id"],
        student_id=student_id,
        reason=reason[:1000],
        deadline=deadline.isoformat(),
        author=user["username"],
    )
    store().audit("appeal.file", username=user["username"], role=user["role"], obj=f"appeal:{aid}")
    return {"id": aid, "deadline": deadline.isoformat(), "deadline_basis": note}


def appeals_page(*, user: dict, key: str | None = None) -> dict:
    j = on_page(jurisdiction(key))
    rid = store().record_run_id(j.key)
    run = store().run(rid) if rid else None
    deadline = None
    if run:
        deadline = _deadline(run, version_by_id(run["version_id"])["spec"]).isoformat()
    mine = {r["id"] for r in store().runs(j.key)}
    appeals = [a for a in store().appeals() if a["run_id"] in mine]
    placements = (
        {p["student_id"]: p for p in (run or {}).get("result", {}).get("placements", [])}
        if run
        else {}
    )
    for a in appeals:
        p = placements.get(a["student_id"], {}) if a["run_id"] == rid else {}
        a["school"] = p.get("school")
        a["trace"] = p.get("trace")
        a["open"] = a.get("outcome") is None
    store().audit("appeals.view", username=user["username"], role=user["role"])
    return {
        "record_run": rid,
        "deadline": deadline,
        "appeals": appeals,
        "schools": [
            s["name"] for s in (version_by_id(run["version_id"])["spec"].get("schools") or [])
        ]
        if run
        else [],
    }


def appeal_detail(appeal_id: int, *, user: dict) -> dict:
    a = store().appeal(appeal_id)
    run = store().run(a["run_id"])
    p = next((p for p in run["result"]["placements"] if p["student_id"] == a["student_id"]), {})
    r = cohort_index(run["cohort_id"]).get(a["student_id"], {})
    store().audit(
        "appeal.view", username=user["username"], role=user["role"], obj=f"appeal:{appeal_id}"
    )
    return {
        "appeal": a,
        "placement": p,
        "child": {
            "姓名": r.get("姓名"),
            "身份证号": mask_id(r.get("身份证号")),
            "户籍地址": r.get("户籍地址"),
        },
        "schools": [  # 改派 only to a school of the child's level
            s["name"]
            for s in version_by_id(run["version_id"])["spec"].get("schools") or []
            if s.get("level") in (p.get("level") or "primary", "nine_year")
        ],
    }


def decide_appeal(appeal_id: int, body: dict, *, user: dict) -> dict:
    outcome = body.get("outcome")
    if outcome not in ("upheld", "changed"):
        raise InputError("outcome must be 'upheld' (维持) or 'changed' (改派)")
    reason = str(body.get("reason") or "").strip()
    if not reason:
        raise InputError("复核决定必须写明理由 (a decision needs its reason)")
    new_school = body.get("new_school") or None
    if outcome == "changed" and not new_school:
        raise InputError("改派须选择学校 (a changed decision names the new school)")
    detail, checked = outcome, None
    if outcome == "changed":
        # a school of the policy, at the child's level, with a free seat (or a recorded override)
        a = store().appeal(appeal_id)
        run = store().run(a["run_id"])
        others = [x for x in store().appeals() if x["run_id"] == run["id"] and x["id"] != a["id"]]
        checked = notices.check_reassignment(
            version_by_id(run["version_id"])["spec"],
            run["result"],
            others,
            student_id=a["student_id"],
            new_school=new_school,
            override_seats=body.get("override_seats") or False,
        )
        new_school = checked["school"]["name"]
        reason = f"{checked['note']}；{reason}"
        detail = f"changed:{checked['school']['id']}" + (":override" if checked["override"] else "")
    did = store().decide(
        appeal_id,
        outcome=outcome,
        reason=reason[:1000],
        author=user["username"],
        new_school=new_school if outcome == "changed" else None,
    )
    store().audit(
        "appeal.decide",
        username=user["username"],
        role=user["role"],
        obj=f"appeal:{appeal_id}",
        detail=detail,
    )
    out = {"id": did, "appeal_id": appeal_id, "outcome": outcome}
    if checked:
        out |= {"new_school": new_school, "override_seats": checked["override"]}
    return out


def reveal_id(run_id: int, student_id: str, *, user: dict) -> dict:
    """The full ID number of one child, for staff; every reveal is audited."""
    run = store().run(run_id)
    r = cohort_index(run["cohort_id"]).get(student_id)
    if r is None:
        raise NotFoundError(f"student {student_id} is not in run {run_id}")
    store().audit(
        "id.reveal",
        username=user["username"],
        role=user["role"],
        obj=f"run:{run_id}/student:{student_id}",
    )
    return {"student_id": student_id, "id_number": r.get("身份证号")}
