"""The trace (派位依据): each child's Chinese explanation, and the placement and school tables.

:func:`placement_tables` turns the resolved applicants and the allocation results into
``placements.csv`` (``student_id, level, school, status, rule, tier, distance_m, trace``: the
trace numbers every step, 1. 2. 3. …, joined by ``；``) and ``schools.csv`` (``school, level,
seats, placed, overflow_in, overflow_out``).

>>> _sname({"s1": {"name": "一小"}}, "s1"), _sname({}, "s9"), _none(float("nan"))
('一小', 's9', None)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LEVEL_ZH", "PLACEMENT_COLUMNS", "SCHOOL_COLUMNS", "placement_tables"]

PLACEMENT_COLUMNS = [
    "student_id",
    "level",
    "school",
    "status",
    "rule",
    "tier",
    "distance_m",
    "trace",
]
SCHOOL_COLUMNS = ["school", "level", "seats", "placed", "overflow_in", "overflow_out"]
LEVEL_ZH = {"primary": "小学", "middle": "初中"}


def _none(v):
    """None for missing values (pandas turns None into NaN in object columns)."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return v


def _sname(by_id, sid) -> str:
    return str((by_id.get(sid) or {}).get("name") or sid)


def placement_tables(rows, results, seats, by_id, kind="euclidean"):
    fill = {}
    for sid_, res in results.items():
        school_ = _none(res["school_id"])
        if school_ is not None:
            key = (school_, rows[sid_]["level"])
            fill[key] = fill.get(key, 0) + 1
    seat_of = {}
    for s, lv, n in zip(seats["school_id"], seats["level"], seats["seats"], strict=True):
        seat_of[(s, lv)] = int(n)
    twins = {}
    for sid, r in rows.items():
        if r["twin_group"] and sid in results:
            twins.setdefault((r["twin_group"], r["level"]), []).append(
                _none(results[sid]["school_id"])
            )
    out_rows = []
    over_in, over_out = {}, {}
    for sid in sorted(rows):
        r = rows[sid]
        steps = list(r["steps"])
        school, dist, rule, status = "", "", r["rule"], r["status"]
        if sid in results:
            res = results[sid]
            status = res["status"]
            school = _none(res["school_id"]) or ""
            lv = r["level"]
            full = [s for s in res["full_schools"]]
            full_txt = "、".join(
                f"{_sname(by_id, s)}（{seat_of.get((s, lv), 0)}个学位已满）" for s in full
            )
            own = r["zone_schools"][0] if r["zone_schools"] else None
            lot = r.get("lottery")
            if lot:
                steps.append(
                    f"电脑派位（多校划片{lot['group']}：{'、'.join(_sname(by_id, x) for x in lot['schools'])}，"
                    f"剩余学位{lot['seats_left']}个，{lot['applicants']}人参加）：公示哈希"
                    f"{lot['inputs_sha256'][:12]}…，现场数字{'、'.join(map(str, lot['numbers']))}"
                    + ("（演练：未提供现场摇号数字，以 --seed 代替）" if lot["rehearsal"] else "")
                    + f"，派位顺序第{lot['order']}/{lot['of']}名；志愿按就近"
                    + ("（沿街道距离）" if kind == "network" else "（直线距离）")
                    + "排序"
                )
            if res["stage"] in ("zone", "preference"):
                what = "志愿学校" if res["stage"] == "preference" else "划片学校"
                rule = r["zone_rule"] if res["stage"] == "zone" else "preference"
                steps.append(f"在{what}{_sname(by_id, school)}学位内录取")
            elif res["stage"] == "lottery":
                rule = (r.get("multi_rules") or {}).get(school, r["zone_rule"])
                steps.append(f"派位录取到{_sname(by_id, school)}（多校划片）")
            elif status == "placed" and not own:
                rule = "no_zone"
                steps.append("不在任何划片内，按相对就近原则安排到尚有学位的学校")
            elif status == "placed":
                rule = "overflow"
                over_in[(school, lv)] = over_in.get((school, lv), 0) + 1
                steps.append("划片学校学位不足，按相对就近原则安排")
            if status == "placed":
                n = seat_of.get((school, lv), 0)
                steps.append(
                    f"{_sname(by_id, school)}共{n}个{LEVEL_ZH[lv]}学位，最终录取"
                    f"{fill.get((school, lv), 0)}人"
                )
                dist = f"{res['distance_m']:.0f}" if np.isfinite(res["distance_m"]) else ""
                if full:
                    steps.append("更近或所申请但已满的学校：" + full_txt)
                how = "沿街道" if kind == "network" else "直线"
                if school in (r.get("no_path") or ()):
                    how = "直线"
                    steps.append(
                        f"底图街道上住址与{_sname(by_id, school)}之间没有通路，"
                        "该距离按直线计 (no street path: straight line)"
                    )
                if res["stage"] == "overflow":
                    steps.append(f"安排到{_sname(by_id, school)}（{how}{dist}米）")
            else:
                rule = "no_seat"
                steps.append(
                    "已满的学校："
                    + (full_txt or "无可用学校")
                    + "；暂无学位，由教育行政部门统筹安排"
                )
            if own and school != own and (res["stage"] == "overflow" or status != "placed"):
                over_out[(own, lv)] = over_out.get((own, lv), 0) + 1
        group = twins.get((r["twin_group"], r["level"]))
        if group and len(group) > 1:
            together = len(set(group)) == 1 and group[0] is not None
            steps.append(
                "双胞胎/多胞胎已安排在同一学校"
                if together
                else "双胞胎/多胞胎未能安排在同一学校（学位所限），请教育行政部门统筹"
            )
        steps.append(
            f"结果：{_status_zh(status)}" + (f"（{_sname(by_id, school)}）" if school else "")
        )
        out_rows.append(
            {
                "student_id": sid,
                "level": r["level"],
                "school": school,
                "status": status,
                "rule": rule,
                "tier": "" if r["tier"] == "" else str(r["tier"]),
                "distance_m": dist,
                "trace": "；".join(f"{k}. {s}" for k, s in enumerate(steps, start=1)),
            }
        )
    placements = pd.DataFrame(out_rows, columns=PLACEMENT_COLUMNS)
    srows = []
    for s, lv, n in zip(seats["school_id"], seats["level"], seats["seats"], strict=True):
        placed = int(((placements["school"] == s) & (placements["level"] == lv)).sum())
        srows.append(
            {
                "school": s,
                "level": lv,
                "seats": int(n),
                "placed": placed,
                "overflow_in": over_in.get((s, lv), 0),
                "overflow_out": over_out.get((s, lv), 0),
            }
        )
    school_df = pd.DataFrame(srows, columns=SCHOOL_COLUMNS).sort_values(["level", "school"])
    return placements, school_df.reset_index(drop=True)


def _status_zh(status: str) -> str:
    return {
        "placed": "已派位",
        "ineligible": "不符合本次派位条件",
        "deferred": "缓学",
        "held": "待审核，暂缓派位",
        "unresolved_address": "地址无法定位",
        "no_seat": "暂无学位",
    }.get(status, status)
