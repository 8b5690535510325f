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
from .districts import group_districts, is_district_header, split_prefix
from .document import ParseContext, Row, doc_level, simplified, source_ref, table_level
from .feeders import feeder_row
from .grammar import CN, PATTERNS, parse_limits, split_top
from .items import clean_name
from .schools import add_school, level_of, match_school
from .scopes import scope_pieces
from .zones import is_township, pieces_to_zones, unit_entry, unit_key

__all__ = ["parse_tables", "merge_annex", "shared_members", "neighbour_groups"]


def _roles(header: list[str]) -> dict[str, int]:
    """Column roles from the header (Simplified or Traditional): school, scope, area…

    ``school``: the school column (学校/校名/基本学区…); ``scope``: what the row covers
    (范围/村/社区/里); ``area``: the township or district the scope lies in (乡镇/街道/行政区;
    a 所在区 column wins over the school's own 行政区); ``sub``: a 鄰/组 column refining
    the scope; ``type``: 基本/自由 (basic or free-choice zone); ``mode``: 入学方式; ``note``:
    备注 (read by a person: each note that is more than a word of kind is reported).
    """
    header = [simplified(h).strip().strip("*") for h in header]
    roles: dict[str, int] = {}
    for i, h in enumerate(header):
        if "school" not in roles and re.search(
            r"学校|小学名称|中学名称|校名|学校名称|^(?:基本)?学区$|^(?:小学|初中|中学)$", h
        ):
            roles["school"] = i
    for i, h in enumerate(header):
        if i in roles.values():
            continue
        if "mode" not in roles and re.search(r"入学方式|划片方式", h):
            roles["mode"] = i
        elif "type" not in roles and re.fullmatch(r"(?:学区)?类型|类别|学区类别", h):
            roles["type"] = i
        elif "sub" not in roles and re.fullmatch(r"邻别?|邻里?范围|村民小组|组别?", h):
            roles["sub"] = i
        elif "area" not in roles and "所在" in h and re.search(r"区|镇|乡|街道", h):
            roles["area"] = i
        elif (
            "area" not in roles
            and re.search(r"乡镇|苏木|街道|社区$|^行政区$|^区县?$|^镇街$", h)
            and not re.search(r"范围|区域", h)
            and not any("所在" in x for x in header)
        ):
            roles["area"] = i
        elif "scope" not in roles and re.search(r"范围|区域|村|社区|户籍|^里", h):
            roles["scope"] = i
        elif "note" not in roles and re.fullmatch(r"备注|说明|附注|注|备考|其他说明", h):
            roles["note"] = i
    if "scope" in roles and re.match(r"^里", header[roles["scope"]]):
        roles["villages"] = roles["scope"]  # a 里 (Taiwan village) column: cells are units
    return roles


def parse_tables(tables: list[list[Row]], lines: list[str], ctx: ParseContext) -> list[dict]:
    """Zones from tables: [{school, zone, row, annex}]; ``annex`` when after a 附件 line."""
    out = []
    first_annex = next(
        (i for i, raw in enumerate(lines, start=1) if PATTERNS["annex"].match(raw)), None
    )
    homes, notes, areas = _district_homes(tables)
    ctx.district_notes.extend(notes)
    for table in tables:
        in_annex = first_annex is not None and table[0].line > first_annex
        if len(table) < 2:
            continue
        roles = _roles(table[0].cells)
        if _feeder_table(table, ctx):
            continue
        if "school" not in roles or "scope" not in roles:
            continue
        header_town = None
        if "area" in roles:
            hm = PATTERNS["township_prefix"].match(table[0].cells[roles["area"]])
            if hm:
                header_town = hm["town"]
        prev_school, prev_area = None, None
        ncols = len(table[0].cells)
        level = table_level(lines, table[0].line) or doc_level(lines)
        known: dict[tuple, dict] = {}  # (school cell, district) → school, within this table
        by_district = "area" in roles and is_district_header(table[0].cells[roles["area"]])
        heading_district = ctx.district_at(table[0].line)
        row_area = ""
        for row in table[1:]:
            cells = row.cells + [""] * (ncols - len(row.cells))
            label = cells[roles["school"]].strip().strip("　")
            if by_district:
                row_area = cells[roles["area"]].strip().strip("　") or row_area
            members = shared_members(label)
            if members:  # 共同學區：A、B — a zone several schools share
                filed = {}
                for x in members:
                    bare, _ = split_prefix(x, areas)
                    home = homes.get((bare, row_area)) if by_district else heading_district
                    if home:
                        filed[x] = (bare, home)
                _shared_row(members, roles, cells, row, ctx, level, filed)
                continue
            bare = split_prefix(label, areas)[0] if by_district else label
            district = homes.get((bare, row_area)) if by_district else heading_district
            if not district:
                bare = label
            if label and (label, district) in known:  # as an earlier row: no search
                school = known[(label, district)]
            else:
                school = match_school(bare, ctx.schools) if label else prev_school
                if label and district and school is not None and school["name"] == bare:
                    # a school of this exact name: the one of this district (maybe a new one)
                    school = add_school(bare, school["level"], ctx, district=district)
            if label and school is None and _is_school_label(bare):
                # the column is the school column (by its header): the cell is the name
                school = add_school(
                    bare, level_of(bare, _level_hint(bare, level)), ctx, district=district
                )
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
            if label:
                known[(label, district)] = school
            if "villages" in roles:  # 里 / 鄰 rows: units, basic or free-choice
                _village_row(school, roles, cells, row, ctx)
                continue
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
            note = cells[roles["note"]].strip() if "note" in roles else ""
            if note and not _PLAIN_NOTE.fullmatch(simplified(note)):
                ctx.unparsed.append(  # 也可到第一小学入学 / 学位不足时统筹安排: a person reads it
                    {
                        "text": note,
                        "line": row.lines[roles["note"]]
                        if roles["note"] < len(row.lines)
                        else row.line,
                        "reason": "表格备注，未作规则 table note, not read as a rule",
                    }
                )
    return out


_PLAIN_NOTE = re.compile(
    r"(?:无|暂无|[-—/／]+|寄宿制?|走读|九年一贯制?|一贯制|完全小学|完小|教学点|公办|民办|新建|新校"
    r"|新建学校|小学部|初中部|[\s、，,]+)*"
)
"""A note of kind only (寄宿制 / 九年一贯制 / 民办 / —), which no zone reads."""


def _district_homes(tables: list[list[Row]]) -> tuple[dict, list[dict], set[str]]:
    """Home districts of same-name schools in tables with a district column (行政区/區), and
    every district those tables name (see :func:`.districts.group_districts`)."""
    mentions, areas = [], set()
    read = []
    for table in tables:
        if len(table) < 2:
            continue
        header = table[0].cells
        roles = _roles(header)
        if (
            "school" not in roles
            or "area" not in roles
            or not is_district_header(header[roles["area"]])
        ):
            continue
        own = next(  # 行政區 (the school's) beside 學區所在區 (the residence's)
            (i for i, h in enumerate(header) if i not in roles.values() and is_district_header(h)),
            None,
        )
        if own is None and "villages" not in roles and "所在" not in header[roles["area"]]:
            own = roles["area"]  # a row per school (区 | 学校 | 范围): the school's district
        read.append((table, roles, own))
        for row in table[1:]:
            for i in (roles["area"], own):
                if i is not None and i < len(row.cells) and row.cells[i].strip():
                    areas.add(row.cells[i].strip())
    for table, roles, own in read:
        area, label = "", ""
        for row in table[1:]:
            cells = row.cells + [""] * (len(table[0].cells) - len(row.cells))
            area = cells[roles["area"]].strip().strip("　") or area
            label = cells[roles["school"]].strip().strip("　") or label
            named = cells[own].strip() if own is not None else ""
            for x in shared_members(label) or [label]:
                bare, prefix = split_prefix(x, areas)
                if bare:
                    src = {"text": row.text, "line": row.line}
                    mentions.append((area, bare, prefix or named or None, src))
    homes, notes = group_districts(mentions)
    return homes, notes, areas


def _feeder_table(table: list[Row], ctx: ParseContext) -> bool:
    """A 对口 table (初中 | 对口小学, or 小学 | 对口初中): one feeder per row.  True if it is."""
    header = [simplified(h).strip().strip("*") for h in table[0].cells]
    fed_by = next((i for i, h in enumerate(header) if re.search(r"对口小学|生源小学", h)), None)
    feeds = next((i for i, h in enumerate(header) if re.search(r"对口(?:初中|中学)|升入", h)), None)
    if fed_by is None and feeds is None:
        return False
    own = next(
        (
            i
            for i, h in enumerate(header)
            if i not in (fed_by, feeds) and re.search(r"学校|初中|中学|小学|校名", h)
        ),
        None,
    )
    if own is None:
        return False
    for row in table[1:]:
        cells = row.cells + [""] * (len(header) - len(row.cells))
        src = source_ref(row.text, row.line)
        if fed_by is not None:  # 初中 | 对口小学
            feeder_row(cells[own], cells[fed_by], src, ctx)
        else:  # 小学 | 对口初中: the row's school feeds each middle school named
            for to in split_top(cells[feeds], "、，,；;"):
                feeder_row(to, cells[own], src, ctx)
    return True


def _level_hint(label: str, level: str | None) -> str | None:
    """The table's level, unless the name ends in its own (…小学, …國中; not …分校, …（國小部）)."""
    if re.search(
        r"(?:小学|中学|初中|国中|国小|国中小|^第?[一二三四五六七八九十]+中)$", simplified(label)
    ):
        return None
    return level


def _is_school_label(label: str) -> bool:
    """A school column cell that names a school (not a note such as 同上 or a dash)."""
    if not re.search(rf"[{CN}]{{2,}}", label) or len(label) > 40:
        return False
    return not re.fullmatch(r"同上|无|暂无|待定|[-—/／]+|备注.*|合计|小计", label)


_SHARED = re.compile(
    r"^(?:共同学区|自由学区|共享学区|分享学区|多校划片|共同)\s*[:：]\s*(?P<a>.+)$"
    r"|^(?P<b>.+?)(?:共同学区|自由学区|共享学区|分享学区|共同招生|多校划片)$"
)


def shared_members(label: str) -> list[str]:
    """School names of a shared-zone cell (``共同學區：A、B`` / ``A、B共同學區``), else [].

    >>> shared_members("共同學區：勝利國小、博愛國小")
    ['勝利國小', '博愛國小']
    >>> shared_members("后甲国中、忠孝国中共同学区"), shared_members("第一小学")
    (['后甲国中', '忠孝国中'], [])
    """
    m = _SHARED.match(simplified(label.strip()))
    if not m:
        return []
    start = m.start("a") if m["a"] is not None else m.start("b")
    end = m.end("a") if m["a"] is not None else m.end("b")
    names = [x.strip() for x in split_top(label[start:end], "、，,/／") if x.strip()]
    return names if len(names) >= 2 else []


_NEIGHBOUR_RANGE = re.compile(r"(?P<a>\d+)(?:\s*(?:[-－—–~～至到]+)\s*(?P<b>\d+))?")


def neighbour_groups(text: str) -> tuple[list[str], list[str]] | None:
    """鄰 (neighbourhood) ranges of a 里 → (groups, excluded groups), or None.

    ``全``/``全里``/blank → ([], []) (the whole 里).

    >>> neighbour_groups("1-4、9-10 鄰")
    (['1-4鄰', '9-10鄰'], [])
    >>> neighbour_groups("除 4 鄰外之其餘鄰別"), neighbour_groups("全里")
    (([], ['4鄰']), ([], []))
    >>> neighbour_groups("（3、4、8～34）")
    (['3鄰', '4鄰', '8-34鄰'], [])
    """
    t = simplified(re.sub(r"\s+", "", text)).strip("（）()")
    if t in ("", "全", "全里", "全部", "全村"):
        return [], []
    ex = re.fullmatch(r"除(?P<n>.+?)邻?(?:以外|之外|外)(?:之?其余邻别?|邻?)?", t)
    body = ex["n"] if ex else t
    body = body.replace("邻", "")
    if not body or not re.fullmatch(r"[\d、，,\-－—–~～至到]+", body):
        return None
    groups = []
    for part in split_top(body, "、，,"):
        m = _NEIGHBOUR_RANGE.fullmatch(part)
        if not m:
            return None
        groups.append(f"{m['a']}-{m['b']}鄰" if m["b"] else f"{m['a']}鄰")
    return ([], groups) if ex else (groups, [])


def _village_units(cell: str, sub: str, area: str) -> tuple[list[dict], list[str]]:
    """Units of a 里 cell (``新東（19鄰）``, ``慈祐``, ``東門里`` + a 鄰 cell) → (units, left)."""
    units, left = [], []
    for item in split_top(cell, "、，,"):
        item = item.strip()
        head = re.split(r"[（(]", item, maxsplit=1)[0].strip()
        note = item[len(head) :].strip()
        if note and not note.endswith(("）", ")")):
            note += "）"  # a split cell lost its closing bracket
        if not re.fullmatch(rf"[{CN}]{{1,10}}", head):
            left.append(item)
            continue
        got = neighbour_groups(" ".join(x for x in (note, sub) if x))
        if got is None:
            left.append(item)
            continue
        groups, excluded = got
        base = {
            "name": head,
            "township": area or None,
            "code": None,
            "group": None,
            "sub_area": None,
            "note": "该县区无官方区划名单 no official unit list shipped for this county",
        }
        if excluded:
            base["exclude"] = excluded
        units.extend([{**base, "group": g} for g in groups] or [base])
    return units, left


def _row_area(roles: dict, cells: list[str]) -> str:
    return cells[roles["area"]].strip() if "area" in roles else ""


def _village_row(school: dict, roles: dict, cells: list[str], row: Row, ctx: ParseContext):
    """A 里/鄰 row: an ``admin_units`` zone (基本), or ``alternative`` when its type is 自由."""
    src = source_ref(row.text, row.line)
    sub = cells[roles["sub"]] if "sub" in roles else ""
    units, left = _village_units(cells[roles["villages"]], sub, _row_area(roles, cells))
    for frag in left:
        ctx.unparsed.append(
            {**src, "text": frag, "reason": "里/鄰单元格未能解析 village cell not understood"}
        )
    if not units:
        return
    free = "type" in roles and re.search(r"自由|可选", simplified(cells[roles["type"]]))
    zone = {"kind": "alternative" if free else "admin_units", "units": units, "source": src}
    if not free:
        zone["basis"] = "hukou"
    zone["fragment"] = "，".join(c for c in cells if c)
    school["zones"].append(zone)


def _shared_row(
    members, roles, cells, row: Row, ctx: ParseContext, level, filed: dict | None = None
) -> None:
    """A row whose school cell names several schools: one shared (multi_school) zone.

    ``filed``: member label → (name, district) for members that are one of several
    same-name schools (see :mod:`.districts`)."""
    src = source_ref(row.text, row.line)
    if "villages" in roles:
        sub = cells[roles["sub"]] if "sub" in roles else ""
        units, left = _village_units(cells[roles["villages"]], sub, _row_area(roles, cells))
    else:
        pieces, left = scope_pieces(cells[roles["scope"]], ctx)
        units = [u for z in pieces_to_zones(pieces, src, ctx) for u in z.get("units", [])]
    for frag in left:
        ctx.unparsed.append(
            {**src, "text": frag, "reason": "表格片段未能解析 table fragment not understood"}
        )
    if not units:
        ctx.unparsed.append(
            {**src, "reason": "共同学区行未生成规则 shared-zone row produced no rule"}
        )
        return
    ctx.shared.append(
        {
            "labels": members,
            "in_school_column": True,  # by position each label is a school's name
            "filed": filed or {},
            "level": level,
            "zone": {
                "kind": "multi_school",
                "units": units,
                "basis": "hukou",
                "multi_school": True,
                "source": src,
                "fragment": cells[roles["school"]],
            },
        }
    )


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
