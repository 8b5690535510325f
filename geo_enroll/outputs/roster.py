"""School rosters (招生花名册, 学籍导入模板) as XLSX, following 附件2 of the seed.

Columns, in the template's order: 学籍号, 学生姓名, 身份证号, 户籍地址, 毕业学校标识码.  The
title and 单位 line carry the school and its 学校标识码; the template's notes follow the rows.
Cells are always written as text (an ID never becomes a number, a leading ``=`` never a formula).

>>> data = roster_xlsx([{"姓名": "王某某", "身份证号": "152527201801011234", "户籍地址": "=1+1"}],
...                    school={"name": "第一小学", "code": "2115002385", "level": "primary"},
...                    policy={"jurisdiction": "太仆寺旗", "year": 2024})
>>> data[:2]
b'PK'
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

__all__ = ["roster_xlsx", "ROSTER_COLUMNS"]

ROSTER_COLUMNS = ("学籍号", "学生姓名", "身份证号", "户籍地址", "毕业学校标识码")

_NOTE = (
    "注明：1.小学不填写1栏，2-4栏和户口相符，第5栏填写所在幼儿园名称；初中填写1栏、2栏、3栏和5栏内容"
    "与入学通知书相符，4栏与户口簿相符；"
)


def _text(ws, row: int, col: int, value) -> None:
    cell = ws.cell(row=row, column=col, value=None if value in (None, "") else str(value))
    if cell.value is not None:
        cell.data_type = "s"  # never a number or a formula
    cell.number_format = "@"


def _code_of(value, schools: list[dict]) -> str:
    """A graduating school as its 学校标识码 when the spec knows it (name, alias or code)."""
    t = str(value or "").strip()
    for s in schools:
        if t and t in {s.get("id"), s.get("name"), s.get("code"), *(s.get("aliases") or [])}:
            return str(s.get("code") or t)
    return t


def _sheet(ws, rows, *, school: dict, policy: dict, schools: list[dict], level: str) -> None:
    year = policy.get("year") or ""
    lvl = {"primary": "小学", "middle": "初中"}.get(level, "")
    ws.cell(
        row=1,
        column=1,
        value=f"{policy.get('jurisdiction') or ''}{year}年中小学校招生花名册（学籍导入模板）"
        + (f"（{lvl}）" if lvl else ""),
    )
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ROSTER_COLUMNS))
    ws.cell(
        row=2,
        column=1,
        value=f"单位：{school.get('name', '')}（学校标识码 {school.get('code') or '—'}）"
        "    填表人：        填表人电话：",
    )
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(ROSTER_COLUMNS))
    for j, name in enumerate(ROSTER_COLUMNS, start=1):
        c = ws.cell(row=3, column=j, value=name)
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
    primary = level == "primary"
    r = 4
    for child in rows:
        # 注明1: 小学 leaves column 1 empty and puts the kindergarten in column 5; 初中 puts
        # the primary school's 标识码 there
        fifth = (
            child.get("幼儿园") or child.get("所在幼儿园") or child.get("kindergarten")
            if primary
            else _code_of(child.get("毕业学校标识码"), schools)
        )
        values = (
            "" if primary else child.get("学籍号"),
            child.get("姓名") or child.get("学生姓名"),
            child.get("身份证号"),
            child.get("户籍地址"),
            fifth,
        )
        for j, v in enumerate(values, start=1):
            _text(ws, r, j, v)
        r += 1
    r += 1
    ws.cell(row=r, column=1, value=_NOTE)
    codes = [f"{s.get('name')}标识码{s.get('code')}" for s in schools or [] if s.get("code")]
    if codes:
        ws.cell(row=r + 1, column=1, value="2.毕业学校标识码指：" + "，".join(codes))
    for k, item in enumerate(policy.get("reporting") or [], start=2):
        ws.cell(row=r + k, column=1, value=str(item.get("text") or ""))
    for col, width in zip("ABCDE", (24, 12, 22, 40, 18), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"


def roster_xlsx(
    rows: list[dict], *, school: dict, policy: dict, schools: list[dict] | None = None
) -> bytes:
    """The roster of one school as XLSX bytes: one sheet per level it admits.

    Parameters
    ----------
    rows : list of dict
        Admitted children with 学籍号, 姓名, 身份证号, 户籍地址, 毕业学校标识码, 幼儿园 and
        ``level`` (``primary``/``middle``; a nine-year school gets a sheet per level).
    school : dict
        ``name``, ``code`` (学校标识码), ``level``.
    policy : dict
        The spec's ``policy`` (``jurisdiction``, ``year``; ``reporting``: the 注明 reporting
        deadlines, written under the notes).
    schools : list of dict, optional
        All schools of the spec; their identification codes are listed under the notes, and a
        graduating school written by name becomes its 标识码.
    """
    schools = schools or []
    level = school.get("level")
    levels = ["primary", "middle"] if level == "nine_year" else [level]
    wb = Workbook()
    wb.remove(wb.active)
    for lv in levels:
        title = (
            "花名册" if len(levels) == 1 else f"花名册（{'小学' if lv == 'primary' else '初中'}）"
        )
        ws = wb.create_sheet(title)
        mine = [c for c in rows if len(levels) == 1 or (c.get("level") or lv) == lv]
        _sheet(ws, mine, school=school, policy=policy, schools=schools, level=lv)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
