"""Tables (annexes): column roles, rows with blank cells, and the annex merge.

A table needs a school column and a scope column; a blank school cell repeats the row above,
a blank township cell is inferred from the row's villages.  Rows of a table after a 附件 line
are *annex* rows: :func:`merge_annex` adds them to their schools, only as ``also_sources``
when the body already says the same.

>>> from geo_enroll.policy.document import read_tables
>>> ctx = ParseContext(county=None)
>>> tables, _ = read_tables(["| 学校 | 招生范围 |", "|---|---|", "| 第一小学 | 东关村 |"])
>>> rows = parse_tables(tables, [], ctx)
>>> rows[0]["school"]["name"], rows[0]["zone"]["kind"], rows[0]["annex"]
('第一小学', 'admin_units', False)
"""

from __future__ import annotations

import re

from . import units as _units
from .document import ParseContext, Row, doc_level, table_level
from .grammar import PATTERNS, parse_limits, split_top
from .items import clean_name
from .schools import add_school, level_of, match_school
from .scopes import scope_pieces
from .zones import is_township, pieces_to_zones, unit_entry, unit_key

__all__ = ["parse_tables", "merge_annex"]


def _roles(header: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for i, h in enumerate(header):
        if "school" not in roles and re.search(r"学校|小学名称|中学名称|校名|学校名称", h):
            roles["school"] = i
    for i, h in enumerate(header):
        if i in roles.values():
            continue
        if "mode" not in roles and re.search(r"入学方式|划片方式", h):
            roles["mode"] = i
        elif (
            "area" not in roles
            and re.search(r"乡镇|苏木|街道|社区$", h)
            and not re.search(r"范围|区域", h)
        ):
            roles["area"] = i
        elif "scope" not in roles and re.search(r"范围|区域|村|社区|户籍", h):
            roles["scope"] = i
    return roles


def parse_tables(tables: list[list[Row]], lines: list[str], ctx: ParseContext) -> list[dict]:
    """Zones from tables: [{school, zone, row, annex}]; ``annex`` when after a 附件 line."""
    out = []
    first_annex = next(
        (i for i, raw in enumerate(lines, start=1) if PATTERNS["annex"].match(raw)), None
    )
    for table in tables:
        in_annex = first_annex is not None and table[0].line > first_annex
        if len(table) < 2:
            continue
        roles = _roles(table[0].cells)
        if "school" not in roles or "scope" not in roles:
            continue
        header_town = None
        if "area" in roles:
            hm = PATTERNS["township_prefix"].match(table[0].cells[roles["area"]])
            if hm:
                header_town = hm["town"]
        prev_school, prev_area = None, None
        ncols = len(table[0].cells)
        for row in table[1:]:
            cells = row.cells + [""] * (ncols - len(row.cells))
            label = cells[roles["school"]]
            school = match_school(label, ctx.schools) if label else prev_school
            if label and school is None and re.search(r"(小学|中学|学校|初中)$", label):
                level = table_level(lines, table[0].line) or doc_level(lines)
                if re.search(r"(?:小学|中学|初中)$", label):  # the name says it
                    level = None
                school = add_school(label, level_of(label, level), ctx)
            if school is None:
                ctx.unparsed.append(
                    {
                        "text": row.text,
                        "line": row.line,
                        "reason": f"表格行的学校无法识别 school not recognised: {label!r}",
                    }
                )
                continue
            prev_school = school
            scope = cells[roles["scope"]]
            area = cells[roles["area"]].strip().strip("　") if "area" in roles else ""
            inferred_note = None
            if area:
                prev_area = area
            else:
                area = prev_area or ""
            mode = cells[roles["mode"]] if "mode" in roles else ""
            src = {
                "text": row.text,
                "line": row.lines[roles["scope"]] if roles["scope"] < len(row.lines) else row.line,
            }
            zones, left, inferred_note = _row_zones(
                area,
                header_town,
                scope,
                src,
                ctx,
                blank_area=not cells[roles.get("area", 0)].strip() if "area" in roles else False,
            )
            if inferred_note:
                prev_area = inferred_note["township"]
            for z in zones:
                if inferred_note:
                    z["township_inferred"] = inferred_note
                if PATTERNS["multi_school"].search(mode):
                    z["multi_school"] = True
                out.append({"school": school, "zone": z, "row": row, "annex": in_annex})
            for frag in left:
                ctx.unparsed.append(
                    {
                        "text": frag,
                        "line": src["line"],
                        "reason": "表格片段未能解析 table fragment not understood",
                    }
                )
            if not zones and not left:
                ctx.unparsed.append(
                    {**src, "reason": "表格行未生成规则 table row produced no rule"}
                )
    return out


def _row_zones(
    area: str,
    header_town: str | None,
    scope: str,
    src: dict,
    ctx: ParseContext,
    *,
    blank_area: bool,
):
    """Zones of one table row; a blank township cell is inferred from the row's villages."""
    town, within = None, None
    if area:
        if is_township(area) or (
            ctx.county in _units.COUNTIES
            and _units.resolve_township(area, county=ctx.county)["code"]
        ):
            town = (
                area
                if is_township(area)
                else _units.resolve_township(area, county=ctx.county)["official_name"]
            )
        else:
            within, town = area, header_town
    note = None
    names = [n for n in split_top(scope, "、，,") if n]
    if (
        blank_area
        and town
        and within is None
        and ctx.county in _units.COUNTIES
        and names
        and not PATTERNS["limit"].match(scope)
    ):
        inferred, share = _units.infer_township([clean_name(n) for n in names], county=ctx.county)
        _, own = _units.infer_township_share(
            [clean_name(n) for n in names], town, county=ctx.county
        )
        if (
            inferred
            and inferred != _units.resolve_township(town, county=ctx.county)["official_name"]
            and share > own
        ):
            note = {
                "township": inferred,
                "share": share,
                "instead_of": town,
                "reason": "空白乡镇单元格按村名推断 blank township cell inferred from villages",
            }
            town = inferred
    if within:
        if PATTERNS["limit"].match(scope):
            got = parse_limits(scope)
            if got:
                code = unit_entry(within, town, ctx)["code"]
                return (
                    [
                        {
                            "kind": "street_limits",
                            "within": within,
                            "within_code": code,
                            "limits": got[0],
                            "exclude": got[1],
                            "include": [],
                            "source": src,
                            "fragment": scope,
                        }
                    ],
                    [],
                    note,
                )
        if PATTERNS["compound"].match(scope):
            return (
                [
                    {
                        "kind": "compound",
                        "name": scope,
                        "within": within,
                        "source": src,
                        "fragment": scope,
                    }
                ],
                [],
                note,
            )
        pieces, left = scope_pieces(scope, ctx, town)
        return pieces_to_zones(pieces, src, ctx), left, note
    pieces, left = scope_pieces(scope, ctx, town)
    if town:
        for p in pieces:
            if p["type"] == "unit" and not p.get("town"):
                p["town"] = town
    return pieces_to_zones(pieces, src, ctx), left, note


def _zone_key(z: dict) -> tuple:
    kind = z["kind"]
    if kind == "street_limits":
        return (
            kind,
            z.get("within_code") or z.get("within"),
            tuple(sorted(z["limits"].items())),
            tuple(sorted(z.get("exclude", []))),
        )
    if kind == "compound":
        return (kind, z["name"])
    if kind in ("admin_units", "alternative"):
        return (kind, frozenset(unit_key(u) for u in z["units"]))
    return (
        kind,
        repr(sorted((k, str(v)) for k, v in z.items() if k not in ("source", "fragment"))),
    )


def merge_annex(annex: list[dict]) -> None:
    """Add annex zones to their schools.

    An annex zone equal to a body zone of the same school (or, for admin units, whose every
    unit the body already assigns to that school) only adds its row to ``also_sources``.
    Zone keys and unit holders are indexed once per school (linear, not quadratic, in the
    number of rows).
    """
    by_key: dict[int, dict[tuple, dict]] = {}
    holders_of: dict[int, dict[tuple, dict]] = {}

    def index(school: dict) -> None:
        sid = id(school)
        if sid in by_key:
            return
        by_key[sid], holders_of[sid] = {}, {}
        for z in school["zones"]:
            remember(school, z)

    def remember(school: dict, z: dict) -> None:
        by_key[id(school)].setdefault(_zone_key(z), z)
        if z["kind"] == "admin_units" and z.get("origin") != "annex":
            for u in z["units"]:
                holders_of[id(school)].setdefault(unit_key(u), z)

    for item in annex:
        school, zone = item["school"], item["zone"]
        index(school)
        twin = by_key[id(school)].get(_zone_key(zone))
        if twin is None and zone["kind"] == "admin_units" and zone["units"]:
            found = [holders_of[id(school)].get(unit_key(u)) for u in zone["units"]]
            if all(h is not None for h in found):
                for holder in {id(h): h for h in found}.values():
                    holder.setdefault("also_sources", []).append(zone["source"])
                continue
        if twin is not None:
            twin.setdefault("also_sources", []).append(zone["source"])
            continue
        if item.get("annex", True):
            zone["origin"] = "annex"
        school["zones"].append(zone)
        remember(school, zone)
