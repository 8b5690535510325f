"""Appeal decisions (复核), admission-notice dates and the appeal window, as plain functions.

The staff views and :mod:`web.staff.service` call these; they take the stored run (its ``result``
``placements`` and ``schools`` rows), the spec and the stored decisions, and never read the
request or the database themselves.

- :func:`check_reassignment` — a 改派 decision must name a school of the policy, at the child's
  level, with a free seat (or say it overrides the seat plan; recorded);
- :func:`notice_date` — the date printed on admission notices: an explicit staff choice, else the
  policy's 发放入学通知书 window, never the server's clock;
- :func:`appeal_deadline` — N working days (PRC calendar with make-up days) after the family
  received the notice.

>>> spec = {"schools": [{"id": "p1", "name": "第一小学", "level": "primary"},
...                     {"id": "m2", "name": "第二中学", "level": "middle"}]}
>>> result = {"placements": [{"student_id": "S1", "level": "middle", "school": "第二中学"}],
...           "schools": [{"school": "第二中学", "school_id": "m2", "level": "middle",
...                        "seats": 2, "placed": 1}]}
>>> check_reassignment(spec, result, [], student_id="S1", new_school="第一小学")
Traceback (most recent call last):
...
geo_enroll.errors.InputError: 改派学校“第一小学”不招收初中，该生申请的是初中 (第一小学 does not serve the child's level)
"""

from __future__ import annotations

from datetime import date

from geo_enroll.errors import InputError

__all__ = [
    "check_reassignment",
    "decided_schools",
    "notice_date",
    "appeal_deadline",
    "policy_notes",
]

LEVEL_ZH = {"primary": "小学", "middle": "初中"}
_OVERRIDE_WORDS = {"1", "true", "yes", "on", "是", "y"}


def _school(spec: dict, text) -> dict | None:
    t = str(text or "").strip()
    if not t:
        return None
    for s in spec.get("schools") or []:
        names = {s.get("id"), s.get("name"), s.get("code"), *(s.get("aliases") or [])}
        if t in {n for n in names if n}:
            return s
    return None


def decided_schools(spec: dict, appeals: list[dict]) -> dict[str, str]:
    """``{student_id: school id}`` of the latest 改派 decision per appeal of one run.

    A stored decision naming no school of the policy (written before decisions were checked)
    is skipped, so that it cannot remove a child from every notice.

    >>> spec = {"schools": [{"id": "p1", "name": "第一小学", "level": "primary"}]}
    >>> decided_schools(spec, [{"student_id": "S1", "outcome": "changed", "new_school": "第一小学"},
    ...                        {"student_id": "S2", "outcome": "changed", "new_school": "火星小学"}])
    {'S1': 'p1'}
    """
    out = {}
    for a in appeals:
        if a.get("outcome") == "changed" and a.get("new_school"):
            s = _school(spec, a["new_school"])
            if s is not None:
                out[str(a["student_id"])] = s["id"]
    return out


def _seats_left(result: dict, spec: dict, school: dict, level: str, moved: dict[str, str]):
    """(seats, taken) of ``school`` at ``level`` after the decisions ``moved`` (student → id)."""
    seats = taken = None
    for row in result.get("schools") or []:
        key = row.get("school_id") or row.get("school")
        s = _school(spec, key)
        if s is not None and s["id"] == school["id"] and row.get("level") == level:
            seats, taken = int(row.get("seats") or 0), int(row.get("placed") or 0)
    if seats is None:
        return None, None
    for p in result.get("placements") or []:
        if p.get("level") != level:
            continue
        sid = str(p["student_id"])
        if sid not in moved:
            continue
        before = _school(spec, p.get("school_id") or p.get("school"))
        if before is not None and before["id"] == school["id"]:
            taken -= 1
        if moved[sid] == school["id"]:
            taken += 1
    return seats, taken


def check_reassignment(
    spec: dict,
    result: dict,
    decided: list[dict],
    *,
    student_id: str,
    new_school,
    override_seats=False,
) -> dict:
    """Validate a 改派 (reassignment) decision; return the school and a note for the record.

    Parameters
    ----------
    spec : dict
        The spec of the run's version.
    result : dict
        The stored run result (``placements``, ``schools`` rows with ``seats``/``placed``).
    decided : list of dict
        The run's appeals with their latest decision (``student_id``, ``outcome``,
        ``new_school``), the appeal being decided excluded.
    student_id : str
    new_school : str
        Name, id, alias or 学校标识码 of the school.
    override_seats : bool or str
        True to place the child beyond the seat plan (超额安排; must be recorded).

    Returns
    -------
    dict
        ``school`` (the spec's school), ``seats``, ``taken`` (before this decision),
        ``override`` (bool), ``note`` (Chinese, for the decision record).

    Raises
    ------
    InputError
        Unknown school, wrong level, same school, or no free seat without an override; the
        message says what to do.
    """
    school = _school(spec, new_school)
    names = "、".join(s.get("name", s.get("id")) for s in spec.get("schools") or [])
    if school is None:
        raise InputError(
            f"改派学校“{str(new_school)[:40]}”不在本政策的学校名单中；请从名单中选择：{names} "
            "(the school is not in the policy)"
        )
    p = next(
        (x for x in result.get("placements") or [] if str(x.get("student_id")) == student_id),
        None,
    )
    if p is None:
        raise InputError(f"学生编号 {student_id} 不在该次录取结果中 (not in the placement)")
    level = p.get("level") or "primary"
    if school.get("level") not in (level, "nine_year"):
        raise InputError(
            f"改派学校“{school['name']}”不招收{LEVEL_ZH.get(level, level)}，"
            f"该生申请的是{LEVEL_ZH.get(level, level)} ({school['name']} does not serve the "
            "child's level)"
        )
    moved = decided_schools(spec, [a for a in decided if str(a.get("student_id")) != student_id])
    current = moved.get(student_id)
    if current is None:
        now = _school(spec, p.get("school_id") or p.get("school"))
        current = now["id"] if now is not None else None
    if current == school["id"]:
        raise InputError(
            f"该生已在{school['name']}，改派学校与现录取学校相同；如维持原结果请选择“维持” "
            "(the child is already at this school: choose 'upheld')"
        )
    seats, taken = _seats_left(result, spec, school, level, moved)
    override = str(override_seats).strip().lower() in _OVERRIDE_WORDS or override_seats is True
    if seats is None:
        raise InputError(
            f"{school['name']}在本次录取中没有{LEVEL_ZH.get(level, level)}学位计划，不能改派到该校 "
            "(the school has no seats at this level in this placement)"
        )
    if taken >= seats and not override:
        raise InputError(
            f"{school['name']}{LEVEL_ZH.get(level, level)}学位已满（{taken}/{seats}）；"
            "如确需超额安排，请勾选“超额安排”并在理由中写明依据 "
            "(no free seat: tick override_seats and give the reason)"
        )
    note = f"改派至{school['name']}（学位{min(taken + 1, 10**9)}/{seats}）"
    if taken >= seats:
        note = f"【超额安排】改派至{school['name']}，超出学位计划（已占{taken}/{seats}）"
    return {
        "school": school,
        "seats": seats,
        "taken": taken,
        "override": taken >= seats,
        "note": note,
    }


def notice_date(policy: dict, chosen: str | None = None) -> tuple[date, str]:
    """The date printed on admission notices and where it comes from (never the server clock):
    :func:`geo_enroll.outputs.notices.notice_date`.

    >>> notice_date({"timeline": []}, "2024-08-05")
    (datetime.date(2024, 8, 5), '工作人员指定')
    """
    from geo_enroll.outputs.notices import notice_date as _notice_date

    return _notice_date(policy, chosen)


def appeal_deadline(received: date, working_days: int) -> tuple[date, str]:
    """The last day to ask for 复核: ``working_days`` PRC working days after ``received``.

    Weekends and public holidays are skipped and make-up working days (调休上班) count, from the
    maintained ``chinese_calendar`` package; the day the notice was received does not count.
    For a year the package does not cover yet (the State Council publishes each year's schedule
    late in the year before), weekends only are skipped and the note says so.

    >>> appeal_deadline(date(2024, 9, 27), 5)  # Sep 29 (Sun) 调休上班, Oct 1-7 国庆
    (datetime.date(2024, 10, 10), '')
    >>> appeal_deadline(date(2024, 8, 2), 5)[0]  # a Friday, no holiday
    datetime.date(2024, 8, 9)
    """
    from datetime import timedelta

    import chinese_calendar

    d, n = received, int(working_days)
    if n < 0:
        raise InputError("复核期限的工作日数不能为负 (working days must be >= 0)")
    missing: set[int] = set()
    while n > 0:
        d += timedelta(days=1)
        try:
            work = chinese_calendar.is_workday(d)
        except NotImplementedError:  # a year the package has no schedule for yet
            missing.add(d.year)
            work = d.weekday() < 5
        if work:
            n -= 1
    note = ""
    if missing:
        years = "、".join(str(y) for y in sorted(missing))
        note = (
            f"{years}年的法定节假日安排尚未收录（chinesecalendar），仅扣除周末；"
            "请在公布后更新该包 (holiday schedule not yet available: weekends only)"
        )
    return d, note


def policy_notes(policy: dict) -> dict:
    """What the staff page shows from the policy: the issuer (and a warning when it is not
    read from the text), the notice date and its source, the schools' reporting deadlines
    (附件2 注明), the published phones, the timeline, and what the engine leaves to staff
    (校额到校, 回区/外区 applications: informational only).

    >>> n = policy_notes({"jurisdiction": "某县", "timeline": [], "not_modelled": [
    ...     {"topic": "校额到校", "text": "继续实行校额到校招生政策", "line": 41}]})
    >>> n["issuer"], bool(n["issuer_note"]), n["notice_date"], n["not_modelled"][0]["topic"]
    ('某县教育局', True, None, '校额到校')
    """
    from geo_enroll.outputs.notices import issuer_note, notice_issuer

    try:
        day, why = notice_date(policy)
        day = day.isoformat()
    except InputError as exc:
        day, why = None, str(exc)
    return {
        "issuer": notice_issuer(policy),
        "issuer_note": issuer_note(policy),
        "notice_date": day,
        "notice_date_basis": why,
        "reporting": list(policy.get("reporting") or []),
        "contacts": list(policy.get("contacts") or []),
        "timeline": list(policy.get("timeline") or []),
        "not_modelled": list(policy.get("not_modelled") or []),
        "appeal_window_working_days": policy.get("appeal_window_working_days"),
    }
