"""The seat table (学位表): read it, check it against the policy, compare it with priority children.

A seat table is a CSV ``school_id, name, level, code, classes, seats``: one row per school and
level (a nine-year school has one row per level); ``seats`` may be empty, then it is
``classes × class cap``.  Every problem is reported at once
(:class:`~geo_enroll.errors.AllocationError`), before anything is placed.

>>> from geo_enroll.datasets import toy_schools, toy_spec
>>> seats, warnings = validate_school_table(load_school_table(toy_schools()), toy_spec())
>>> seats["seats"].tolist(), warnings
([8, 6, 12], [])
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import AllocationError, InputError
from ..settings import DEFAULT_SETTINGS
from .trace import LEVEL_ZH

__all__ = ["load_school_table", "priority_shortfall", "validate_school_table"]


def load_school_table(source) -> pd.DataFrame:
    """Read a seat table (CSV: ``school_id, name, level, code, classes, seats``).

    ``level`` is the level of the seats (a nine-year school has one row per level); ``seats``
    may be empty, then it is ``classes × class cap`` (filled in by :func:`validate_school_table`).
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise InputError(f"找不到学校学位表 {path} (school seat table not found)")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in ("school_id", "level") if c not in df.columns]
    if missing or not ({"seats", "classes"} & set(df.columns)):
        raise InputError(
            f"{path.name}: 学位表需要列 school_id, level, seats 或 classes (got {list(df.columns)})"
        )
    return df


def validate_school_table(table: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, list[str]]:
    """Check a seat table against the policy; return (seats by (school_id, level), warnings).

    Raises :class:`~geo_enroll.errors.AllocationError` listing every problem: a school not in the
    policy, a level the school does not teach, a bad seat number, a policy school without seats.

    >>> from geo_enroll.datasets import toy_schools, toy_spec
    >>> seats, warn = validate_school_table(toy_schools(), toy_spec())
    >>> seats["seats"].tolist(), warn
    ([8, 6, 12], [])
    """
    pol = spec.get("policy") or {}
    caps = dict(DEFAULT_SETTINGS.class_cap) | {  # a policy silent on class caps: the default
        k: v for k, v in (pol.get("class_cap") or {}).items() if v is not None
    }
    by_id = {s["id"]: s for s in spec.get("schools") or []}
    by_code = {str(s.get("code")): s["id"] for s in spec.get("schools") or [] if s.get("code")}
    by_name = {s.get("name"): s["id"] for s in spec.get("schools") or []}
    problems, rows = [], []
    for rec in table.to_dict("records"):
        raw_id = str(rec.get("school_id") or "").strip()
        sid = (
            raw_id
            if raw_id in by_id
            else by_code.get(str(rec.get("code") or "")) or by_name.get(str(rec.get("name") or ""))
        )
        label = raw_id or str(rec.get("name") or "?")
        if sid is None:
            problems.append(
                f"学位表中的学校“{label}”不在政策的学校名单中 (school not in the policy)"
            )
            continue
        level = str(rec.get("level") or "").strip()
        school_level = by_id[sid].get("level")
        if level not in ("primary", "middle"):
            problems.append(f"{label}: 学段应为 primary 或 middle，实际“{level}”")
            continue
        if school_level not in (level, "nine_year"):
            problems.append(f"{label}: 政策中该校为{school_level}，不招收{level}")
            continue
        seats = str(rec.get("seats") or "").strip()
        classes = str(rec.get("classes") or "").strip()
        try:
            n = int(seats) if seats else int(classes) * int(caps[level])
            if n < 0:
                raise ValueError
        except (ValueError, TypeError):
            problems.append(f"{label}: 学位数“{seats or classes}”不是非负整数")
            continue
        if classes and seats and int(classes) * int(caps[level]) < n:
            problems.append(f"{label}: {n}个学位超过{classes}个班×班额{caps[level]}")
        rows.append(
            {"school_id": sid, "level": level, "name": by_id[sid].get("name") or sid, "seats": n}
        )
    out = pd.DataFrame(rows, columns=["school_id", "level", "name", "seats"])
    dup = out[out.duplicated(["school_id", "level"], keep=False)]
    for (sid, level), _g in dup.groupby(["school_id", "level"]):
        problems.append(f"{sid}: {level} 学位在表中出现多次")
    have = set(zip(out["school_id"], out["level"], strict=True))
    for sid, s in sorted(by_id.items()):
        levels = ("primary", "middle") if s.get("level") == "nine_year" else (s.get("level"),)
        if s.get("level") == "nine_year":
            if not any((sid, lv) in have for lv in levels):
                problems.append(f"{s.get('name')}（{sid}）在学位表中没有学位 (no seats)")
        elif (sid, s.get("level")) not in have:
            problems.append(f"{s.get('name')}（{sid}）在学位表中没有学位 (no seats)")
    if problems:
        raise AllocationError(
            "学校学位表与政策不一致 (seat table does not match the policy)", problems=problems
        )
    warnings = []
    for level, total in sorted((pol.get("seat_plan") or {}).items()):
        got = int(out.loc[out["level"] == level, "seats"].sum())
        if total is not None and got != int(total):
            warnings.append(
                f"{LEVEL_ZH.get(level, level)}学位合计{got}，与政策招生计划数{total}不同"
            )
    out = out.drop_duplicates(["school_id", "level"]).sort_values(["level", "school_id"])
    return out.reset_index(drop=True), warnings


def priority_shortfall(rows: dict, seats: pd.DataFrame, by_id: dict) -> list[str]:
    """One message per (school, level) whose seats are fewer than its priority (tier 0) children.

    ``rows`` are the resolved applicants (:func:`~geo_enroll.placement.resolve.resolve_applicant`);
    a priority child counts for the first of its zone schools.

    >>> import pandas as pd
    >>> seats = pd.DataFrame({"school_id": ["s1"], "level": ["primary"], "seats": [1]})
    >>> kid = {"status": "", "tier": 0, "zone_schools": ("s1",), "level": "primary"}
    >>> priority_shortfall({"a": kid, "b": kid}, seats, {"s1": {"name": "一小"}})
    ['一小（s1，小学）：优先安排儿童2人，学位只有1个 (seat plan smaller than priority children)']
    """
    prio = {}
    for r in rows.values():
        if r["status"] == "" and r["tier"] == 0 and r["zone_schools"]:
            key = (r["zone_schools"][0], r["level"])
            prio[key] = prio.get(key, 0) + 1
    seat_of = {
        (a, b): int(c)
        for a, b, c in zip(seats["school_id"], seats["level"], seats["seats"], strict=True)
    }
    return [
        f"{by_id[s].get('name', s)}（{s}，{LEVEL_ZH.get(lv, lv)}）：优先安排儿童{n}人，"
        f"学位只有{seat_of.get((s, lv), 0)}个 (seat plan smaller than priority children)"
        for (s, lv), n in sorted(prio.items())
        if n > seat_of.get((s, lv), 0)
    ]
