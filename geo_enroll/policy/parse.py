"""Policy text → zone spec (划片招生方案 → structured, reviewable rules).

:func:`parse_policy` reads a policy as published (UTF-8 text or Markdown; tables flattened
into tab-indented cells or Markdown pipes) and returns the zone spec described in
``docs/ARCHITECTURE.md``: policy facts, schools with their zones (each zone keeps its source
sentence and line), ``unparsed`` fragments and body/annex ``conflicts``.

The work is split in passes, each small: facts (:mod:`._facts`-like helpers below), body
clauses (``X学校招收 …``, headings with 划片范围), tables (annexes), then merging and
checks (:mod:`geo_enroll.policy.checks`).

>>> spec = parse_policy("某县2024年招生方案\\n一、招生范围\\n1.第一小学招收城关镇户籍适龄儿童。")
>>> spec["schools"][0]["name"], spec["schools"][0]["zones"][0]["kind"]
('第一小学', 'admin_units')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pypinyin import Style, lazy_pinyin

from ..errors import PolicyParseError
from . import units as _units
from .checks import find_conflicts
from .facts import extract_facts
from .grammar import (
    CN,
    PATTERNS,
    _paren_split,
    cn_number,
    parse_bounds,
    parse_enclosed,
    parse_exclusion,
    parse_limits,
    parse_numbers,
    split_exclusions,
    split_top,
    street_segments,
    strip_lead,
    strip_ordinal,
)

__all__ = ["parse_policy", "SPEC_VERSION"]

SPEC_VERSION = 1

_LEVEL_WORDS = (("小学", "primary"), ("初中", "middle"), ("中学", "middle"))
_STREET_END = ("大道", "大街", "路", "街", "巷", "道", "线", "高架", "桥")


# ---------------------------------------------------------------------------------------
# document model
# ---------------------------------------------------------------------------------------


@dataclass
class _Row:
    cells: list[str]
    line: int  # line of the first cell
    lines: list[int]
    text: str


@dataclass
class _Ctx:
    county: str | None
    schools: list[dict] = field(default_factory=list)
    unparsed: list[dict] = field(default_factory=list)
    slug: str = "policy"
    multi_areas: list[dict] = field(default_factory=list)  # 多校划片 areas naming schools


def _src(text: str, line: int) -> dict:
    return {"text": text.strip(), "line": line}


def _sentences(line: str) -> list[str]:
    """Split a line into sentences at top-level 。；;."""
    return split_top(line, "。；;")


# ---------------------------------------------------------------------------------------
# schools
# ---------------------------------------------------------------------------------------


def _level_of(name: str, section_level: str | None) -> str:
    if section_level:
        return section_level
    for word, level in _LEVEL_WORDS:
        if name.endswith(word) or word in name[-4:]:
            return level
    if name.endswith(("学校", "分校")):
        return "nine_year"
    return "primary"


def _norm_school(name: str) -> str:
    return re.sub(r"[\s（）()]", "", name).replace("第", "")


def _match_school(label: str, schools: list[dict]) -> dict | None:
    """A school by its name, an alias, or an abbreviation (四小 → 第四小学, 千小 → 千斤沟小学)."""
    label = label.strip().strip("　")
    if not label:
        return None
    for s in schools:
        if label == s["name"] or label in s["aliases"]:
            return s
    norm = _norm_school(label)
    exact = [s for s in schools if _norm_school(s["name"]) == norm]
    if len(exact) == 1:
        return exact[0]
    hits = []
    for s in schools:
        name = _norm_school(s["name"])
        if name.endswith(norm) and len(norm) >= 4:
            hits.append(s)
        elif norm and norm[0] == name[0] and _subseq(norm, name) and norm[-1] in "小中学校":
            hits.append(s)
    return hits[0] if len(hits) == 1 else None


def _subseq(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _stem(name: str) -> str:
    """A school name without place prefixes, bracketed notes and its type suffix."""
    stem = re.sub(r"[（(][^）)]*[）)]", "", name)
    while True:
        shorter = re.sub(rf"^[{CN}]{{2,4}}?(?:省|市|区|县|旗)(?=[{CN}]{{3,}})", "", stem)
        if shorter == stem:
            break
        stem = shorter
    return re.sub(r"(小学校|小学|中学|初中|学校|小学部|初中部|分校)$", "", stem) or stem


def _aliases(name: str) -> list[str]:
    """Common short forms: 第一小学 → 一小学, 一小; 第二中学 → 二中; 千斤沟小学 → 千小."""
    out = []
    if len(name) > 8:  # long official names: no abbreviations (they would collide)
        return out
    stem = name[1:] if name.startswith("第") else name
    if stem != name:
        out.append(stem)
    for word, short in (("小学", "小"), ("中学", "中")):
        if stem.endswith(word) and len(stem) > len(word):
            core = stem[: -len(word)]
            out.append(core + short)
            if len(core) > 1 and stem == name:
                out.append(core[0] + short)
    return list(dict.fromkeys(a for a in out if a != name))


def _slug(jurisdiction: str | None) -> str:
    if not jurisdiction:
        return "policy"
    core = re.sub(r"(自治旗|自治县|旗|区|县|市)$", "", jurisdiction)
    core = re.sub(r"^.*?[省市]", "", core) or core
    return "".join(lazy_pinyin(core)) or "policy"


def _school_id(name: str, level: str, ctx: _Ctx) -> str:
    letter = {"primary": "p", "middle": "m"}.get(level)
    m = re.match(r"^第([一二三四五六七八九十\d]+)(?:小学|中学)$", name)
    if m and letter and cn_number(m[1]) is not None:
        base = f"{ctx.slug}-{letter}{cn_number(m[1])}"
    else:
        stem = _stem(name)
        initials = "".join(
            p[0] for p in lazy_pinyin(re.sub(rf"[^{CN}]", "", stem), style=Style.NORMAL) if p
        )[:3]
        if not initials:
            initials = str(len(ctx.schools) + 1)
        base = f"{ctx.slug}-{letter}-{initials}" if letter else f"{ctx.slug}-{initials}"
    used = {s["id"] for s in ctx.schools}
    if base not in used:
        return base
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def _add_school(name: str, level: str, ctx: _Ctx) -> dict:
    name = name.strip()
    found = _match_school(name, ctx.schools)
    if found is not None and found["name"] == name:
        return found
    school = {
        "id": _school_id(name, level, ctx),
        "name": name,
        "aliases": _aliases(name),
        "level": level,
        "code": None,
        "zones": [],
    }
    ctx.schools.append(school)
    return school


# ---------------------------------------------------------------------------------------
# admin units
# ---------------------------------------------------------------------------------------


def _unit(name: str, township: str | None, ctx: _Ctx, *, group=None, sub_area=None) -> dict:
    """A unit entry, resolved to its official code when the county's list ships."""
    out = {"name": name, "township": township, "code": None, "group": group, "sub_area": sub_area}
    if ctx.county not in _units.COUNTIES:
        out["note"] = "该县区无官方区划名单 no official unit list shipped for this county"
        return out
    is_town = township is None and name.endswith(("镇", "乡", "苏木", "街道"))
    if is_town:
        res = _units.resolve_township(name, county=ctx.county)
    else:
        res = _units.resolve_unit(name, township=township, county=ctx.county)
    out["code"] = res["code"]
    if res["official_name"]:
        out["official_name"] = res["official_name"]
    if res["match"] not in ("exact", "none"):
        out["match"] = res["match"]
    if res["code"] is None:
        out["candidates"] = [
            {k: c[k] for k in ("name", "code", "township", "score")} for c in res["candidates"][:4]
        ]
    if res["note"]:
        out["note"] = res["note"]
    if township and res.get("township") and res["township"] != township:
        out["township"] = res["township"]
    return out


def _is_township(name: str) -> bool:
    return bool(re.fullmatch(rf"[{CN}]{{2,8}}(?:镇|乡|苏木|街道)", name))


def _scope_pieces(scope: str, ctx: _Ctx, town: str | None = None) -> tuple[list[dict], list[str]]:
    """Split a scope into pieces (units, limits, compounds, bounds, street lists).

    Returns (pieces, fragments not understood).
    """
    pieces, left = [], []
    scope = scope.strip().strip("。；;，,")
    # numbered alternatives ①…②… or 1.…2.… are parts of one union
    parts = re.split(r"[①-⑳]|(?:(?<=[；;。，,\s])|^)\d+[.．、](?!\d)", scope)
    parts = [p.strip().strip("；;，,。") for p in parts if p and p.strip().strip("；;，,。")]
    for part in parts:
        p, lf = _part_pieces(part, ctx, town)
        pieces.extend(p)
        left.extend(lf)
        for piece in p:  # township context carries over to later parts
            if piece.get("town"):
                town = piece["town"]
    return pieces, left


def _part_pieces(part: str, ctx: _Ctx, town: str | None) -> tuple[list[dict], list[str]]:
    """Pieces of one part of a scope: limits, an enclosed area, bounds, or an item list.

    Exclusions (（不含X）, (除X), ，不含X, X除外) are read the same way for every kind
    (:func:`~geo_enroll.policy.grammar.split_exclusions`).
    """
    pieces: list[dict] = []
    left: list[str] = []
    # four-sided limits for the whole part
    if PATTERNS["limit"].match(part):
        head, excluded = split_exclusions(part)
        got = parse_limits(head)
        if got:
            limits, inner = got
            pieces.append(
                {
                    "type": "limits",
                    "within": town,
                    "limits": limits,
                    "exclude": list(dict.fromkeys(inner + excluded)),
                    "text": part,
                }
            )
            return pieces, left
    # "A、B、C、D所围成的区域": an area enclosed by streets whose sides are not written
    enclosed = parse_enclosed(part) if PATTERNS["surrounded"].search(part) else None
    if enclosed:
        streets, excluded = enclosed
        pieces.append(
            {
                "type": "bounds",
                "within": town,
                "bounds": [],
                "bounded_by": streets,
                "surrounded": True,
                "exclude": excluded,
                "text": part,
            }
        )
        return pieces, left
    # directional bounds (X路以东 …) possibly followed by units
    clauses = []
    for c in split_top(part, "，,；;"):
        items = split_top(c, "、")
        lead = []
        while (
            len(items) > 1 and _is_street_item(items[0]) and _is_bound_clause("、".join(items[1:]))
        ):
            lead.append(items.pop(0))
        clauses.extend(lead + ["、".join(items)] if lead else [c])
    bound_clauses = [c for c in clauses if _is_bound_clause(c)]
    if bound_clauses:
        last = max(i for i, c in enumerate(clauses) if c in bound_clauses)
        excluded: list[str] = []
        rest, said = [], list(bound_clauses)
        for i, c in enumerate(clauses):
            if c in bound_clauses:
                continue
            names = parse_exclusion(c) if i > last else None
            if names:  # ，不含X、Y after the box belongs to it
                excluded.extend(names)
                said.append(c)
            else:
                rest.append(c)
        text, more = split_exclusions("，".join(bound_clauses))
        excluded = list(dict.fromkeys(more + excluded))
        within = None
        tm = PATTERNS["township_prefix"].match(bound_clauses[0])
        if tm and tm["rest"]:
            within = tm["town"]
            text = text[len(tm["town"]) :]
        bounds = parse_bounds(text)
        if bounds:
            piece = {
                "type": "bounds",
                "within": within or town,
                "bounds": bounds,
                "surrounded": bool(PATTERNS["surrounded"].search(part)),
                "exclude": excluded,
                "text": "，".join(said),
            }
            if re.match(r"^除", text) and re.search(r"以外|之外", text):
                piece["negate"] = True
                om = re.search(
                    rf"(?:以外|之外)的?(?P<town>[{CN}]{{2,8}}?(?:街道|镇|乡|苏木|社区|村))", text
                )
                if om and not piece["within"]:  # 除…以外的临江街道区域
                    piece["within"] = om["town"]
            pieces.append(piece)
        for clause in rest:
            p, lf = _item_list(clause, ctx, town)
            pieces.extend(p)
            left.extend(lf)
        return pieces, left
    return _item_list(part, ctx, town)


def _is_street_item(item: str) -> bool:
    """A street with a side or number qualifier (沿河路（西侧）, 人民路（单号1-99号）)."""
    sm = PATTERNS["street_name"].match(item.strip())
    return bool(
        sm
        and sm["paren"]
        and (
            PATTERNS["one_side"].search(sm["paren"])
            or PATTERNS["parity"].search(sm["paren"])
            or PATTERNS["house_number"].search(sm["paren"])
        )
    )


def _is_bound_clause(clause: str) -> bool:
    head, _ = _paren_split(clause)
    return bool(re.search(r"以[东南西北](?:$|的|区域|范围|地区|[-—、，]|[^东南西北]{0,12}$)", head))


def _street_pieces(street: str, qualifier: str, text: str, **extra) -> list[dict]:
    """One ``street_list`` piece per parity segment of a street's qualifier."""
    street = strip_lead(street)
    head, excluded = split_exclusions(qualifier)
    out = []
    for seg in street_segments(head):
        piece = {"type": "street_list", "street": street, **seg, "exclude": excluded, "text": text}
        piece.update(extra)
        out.append(piece)
    return out


def _street_colon(text: str) -> list[dict] | None:
    """``双林路（双号22号-136号）：22号、24号 …`` → street_list pieces."""
    m = PATTERNS["street_colon"].match(text)
    if not m:
        return None
    paren = m["paren"] or ""
    listed = parse_numbers(m["nums"])
    if not parse_numbers(paren) and not listed and not re.search(r"全段|全部|所有|两侧", m["nums"]):
        if not PATTERNS["one_side"].search(paren) and not PATTERNS["parity"].search(paren):
            return None
    pieces = _street_pieces(m["street"], paren, text)
    if listed and "list" in listed:
        for p in pieces:
            numbers = dict(p["numbers"] or {"parity": listed["parity"]})
            numbers["list"] = listed["list"]
            if len(pieces) > 1 and numbers.get("parity") in ("odd", "even"):
                # 单号…，双号…：each listed house goes to the segment of its parity
                want = 1 if numbers["parity"] == "odd" else 0
                numbers["list"] = [n for n in listed["list"] if n % 2 == want]
            numbers.setdefault("parity", listed["parity"])
            p["numbers"] = numbers
            if numbers["parity"] in ("odd", "even"):
                p["sides"] = numbers["parity"]
    elif listed and all(p["numbers"] is None for p in pieces):
        for p in pieces:
            p["numbers"] = listed
            if listed["parity"] in ("odd", "even"):
                p["sides"] = listed["parity"]
    return pieces


def _item_list(text: str, ctx: _Ctx, town: str | None) -> tuple[list[dict], list[str]]:
    segments = split_top(text, "；;。")
    if len(segments) > 1:
        pieces, left = [], []
        for seg in segments:
            p, lf = _item_list(seg, ctx, town)
            pieces.extend(p)
            left.extend(lf)
            for piece in p:
                if piece.get("town"):
                    town = piece["town"]
        return pieces, left
    street = _street_colon(text.strip())
    if street:
        return street, []
    pieces, left = [], []
    last_village = None
    # "鹤鸣镇所辖范围：联和村、…" → township context for the list
    m = re.match(
        rf"^(?P<town>[{CN}]{{2,8}}?(?:镇|乡|苏木|街道))(?:所辖范围|所辖|辖区)?[:：](?P<rest>.+)$",
        text,
    )
    if m:
        town, text = m["town"], m["rest"]
    for item in split_top(text, "、，,；;。"):
        if (
            pieces
            and pieces[-1]["type"] == "street_list"
            and PATTERNS["bare_numbers"].fullmatch(item.strip())
        ):  # 青年路1号、3号、5号: more numbers of the same street
            prev = pieces[-1]
            more = parse_numbers(item) or {}
            numbers = dict(prev["numbers"] or {"parity": "all"})
            if "list" in more:
                numbers["list"] = numbers.get("list", []) + more["list"]
                prev["numbers"] = numbers
                prev["text"] = f"{prev['text']}、{item}"
                continue
        excluded = parse_exclusion(item) if pieces else None
        if excluded:  # "…，不含X" / "…，X除外": the previous piece's exclusion
            prev = pieces[-1]
            prev.setdefault("exclude", [])
            prev["exclude"] = list(dict.fromkeys(prev["exclude"] + excluded))
            continue
        got = _item(item, ctx, town, last_village)
        if not got:
            left.append(item)
            continue
        for piece in got:
            if piece.get("town"):
                town = piece["town"]
            if piece["type"] == "unit" and not piece.get("group"):
                last_village = piece
            elif piece["type"] == "unit":
                last_village = piece
        pieces.extend(got)
    return pieces, left


def _clean_name(text: str) -> str:
    text = re.sub(r"(?:户籍|的|区域|范围内|范围|适龄儿童|适龄学生)+$", "", text.strip())
    return text.strip().strip("　 ")


def _item(item: str, ctx: _Ctx, town: str | None, last_village: dict | None) -> list[dict] | None:
    item = item.strip().strip("　 ")
    if not item:
        return []
    head, parens = _paren_split(item)
    head = _clean_name(head)
    # street with house numbers or a side (双林路（双号22号-136号）, 建设路（东侧）, X路两侧),
    # possibly after its township (西关街道和平路（双号）)
    tm = PATTERNS["township_prefix"].match(item)
    if tm and tm["rest"] and PATTERNS["street_name"].match(tm["rest"]):
        street_town, street_item = tm["town"], tm["rest"]
    else:
        street_town, street_item = town, item
    sm = PATTERNS["street_name"].match(street_item)
    if sm and not re.search(r"(?:村|社区|嘎查|居委会|街道)$", sm["street"]):
        qualifier = street_item[len(sm["street"]) :]
        if PATTERNS["whole_street"].fullmatch(qualifier.strip()):
            return _street_pieces(sm["street"], "", item, town=street_town)
        if (
            PATTERNS["house_number"].search(qualifier)
            or PATTERNS["number_range"].search(qualifier)
            or PATTERNS["parity"].search(qualifier)
            or PATTERNS["both_sides"].search(qualifier)
            or PATTERNS["one_side"].search(sm["paren"] or "")
        ):
            return _street_pieces(sm["street"], qualifier, item, town=street_town)
    # a group continuing the previous village (菜园村三社、四社、六社)
    if PATTERNS["group"].match(head) and last_village is not None and not parens:
        return [
            {
                "type": "unit",
                "name": last_village["name"],
                "town": last_village.get("town"),
                "group": head,
                "sub_area": None,
                "text": item,
            }
        ]
    # township prefix
    rest = head
    tm = PATTERNS["township_prefix"].match(head)
    if tm and not head.endswith(("村", "社区", "嘎查", "居委会")) or (tm and tm["rest"]):
        town, rest = tm["town"], tm["rest"]
        rest = re.sub(r"^(?:所辖范围|所辖|辖区)", "", rest)
        if not rest or PATTERNS["whole_township"].match(rest):
            if parens:
                sub = []
                for note in parens:
                    got, _ = _item_list(note, ctx, town)
                    sub.extend(got)
                if sub:
                    return sub
            return [
                {
                    "type": "unit",
                    "name": town,
                    "town": town,
                    "whole_township": True,
                    "group": None,
                    "sub_area": None,
                    "text": item,
                }
            ]
    cm = PATTERNS["count_units"].match(head)
    if cm:
        ctown = cm["town"] or town
        return [
            {
                "type": "count",
                "town": ctown,
                "n": cn_number(cm["n"]),
                "kind": cm["kind"],
                "text": item,
            }
        ]
    if not rest:
        return None
    street_excluded = [parse_exclusion(n) for n in parens]
    if (
        re.fullmatch(rf"[{CN}A-Za-z0-9]{{1,16}}(?:大道|大街|路|街|巷)", rest)
        and all(street_excluded)
        and not rest.endswith(("社区", "村", "街道"))
    ):  # a whole street (潘家街（四段除外）: all but the excluded stretch)
        return [
            {
                "type": "street_list",
                "street": strip_lead(rest),
                "numbers": None,
                "sides": "both",
                "exclude": [n for names in street_excluded for n in names],
                "town": town,
                "text": item,
            }
        ]
    # compound (小区) named alone
    if PATTERNS["compound"].match(rest) and not rest.endswith(("村", "社区")) and not parens:
        return [{"type": "compound", "name": rest, "within": None, "town": town, "text": item}]
    # village + group / natural village (菜园村三社, 东红村禹仁围子, 董大桥村1-7组)
    group, sub_area, name = None, None, rest
    vm = PATTERNS["village_split"].match(rest)
    if vm:
        tail = vm["sub"]
        if PATTERNS["group"].match(tail):
            name, group = vm["village"], tail
        elif tail.startswith("原") or not rest.endswith(("村", "社区", "嘎查", "居委会")):
            name, sub_area = vm["village"], tail
    if not re.fullmatch(rf"[{CN}A-Za-z0-9]{{1,16}}", name):
        return None
    if (
        town is None
        and ctx.county not in _units.COUNTIES
        and not parens
        and not re.search(r"(?:村|社区|嘎查|居委会|组|社)$", name)
    ):
        return [{"type": "compound", "name": name, "within": None, "town": None, "text": item}]
    base = {
        "type": "unit",
        "name": name,
        "town": town,
        "group": group,
        "sub_area": sub_area,
        "text": item,
    }
    if not parens:
        return [base]
    out = []
    for note in parens:
        note = note.strip()
        if PATTERNS["limit"].match(note):
            got = parse_limits(note)
            if got:
                out.append(
                    {
                        "type": "limits",
                        "within": name,
                        "town": town,
                        "limits": got[0],
                        "exclude": got[1],
                        "text": item,
                    }
                )
                continue
        names = parse_exclusion(note)
        if names:
            base.setdefault("exclude", []).extend(names)
            out.append(base)
            continue
        groups = split_top(note, "、，,")
        if groups and all(PATTERNS["group"].match(g) for g in groups):
            out.extend({**base, "group": g} for g in groups)
            continue
        if re.match(r"^原", note):
            out.append({**base, "sub_area": note})
            continue
        if groups and all(PATTERNS["compound"].match(g) for g in groups):
            out.extend(
                {"type": "compound", "name": g, "within": name, "town": town, "text": item}
                for g in groups
            )
            continue
        if PATTERNS["bound"].match(note) and parse_bounds(note):
            out.append(
                {
                    "type": "bounds",
                    "within": name,
                    "town": town,
                    "bounds": parse_bounds(note),
                    "surrounded": False,
                    "text": item,
                }
            )
            continue
        out.append({**base, "sub_area": note})
    return out


def _pieces_to_zones(
    pieces: list[dict], source: dict, ctx: _Ctx, *, basis="hukou", kind="admin_units"
) -> list[dict]:
    """Group unit pieces by township into admin_units zones; others become their own zones."""
    zones: list[dict] = []
    current: dict | None = None
    for piece in pieces:
        typ = piece["type"]
        fragment = piece.get("text")
        if typ in ("unit", "count"):
            if typ == "count":
                new_units = _count_units(piece, ctx)
            elif piece.get("whole_township"):
                new_units = [_unit(piece["name"], None, ctx)]
            else:
                u = _unit(
                    piece["name"],
                    piece.get("town"),
                    ctx,
                    group=piece.get("group"),
                    sub_area=piece.get("sub_area"),
                )
                if piece.get("exclude"):
                    u["exclude"] = piece["exclude"]
                new_units = [u]
            town = piece.get("town")
            if current is None or current["_town"] != town:
                current = {
                    "kind": kind,
                    "units": [],
                    "basis": basis,
                    "source": source,
                    "_town": town,
                }
                if kind == "alternative":
                    current.pop("basis")
                zones.append(current)
            current["units"].extend(new_units)
            continue
        current = None
        if typ == "limits":
            within = piece.get("within")
            code = None
            if within:
                code = _unit(within, piece.get("town"), ctx)["code"]
            zones.append(
                {
                    "kind": "street_limits",
                    "within": within,
                    "within_code": code,
                    "limits": piece["limits"],
                    "exclude": piece.get("exclude", []),
                    "include": [],
                    "source": source,
                    "fragment": fragment,
                }
            )
        elif typ == "compound":
            zone = {
                "kind": "compound",
                "name": piece["name"],
                "within": piece.get("within"),
                "source": source,
                "fragment": fragment,
            }
            if piece.get("exclude"):
                zone["exclude"] = list(piece["exclude"])
            zones.append(zone)
        elif typ == "bounds":
            zone = {
                "kind": "directional_bounds",
                "bounds": piece["bounds"],
                "within": piece.get("within"),
                "surrounded": piece.get("surrounded", False),
                "exclude": list(piece.get("exclude") or []),
                "source": source,
                "fragment": fragment,
            }
            if piece.get("bounded_by"):
                zone["bounded_by"] = piece["bounded_by"]
            if piece.get("negate"):
                zone["negate"] = True
            zones.append(zone)
        elif typ == "street_list":
            zone = {
                "kind": "street_list",
                "street": piece["street"],
                "numbers": piece["numbers"],
                "sides": piece["sides"],
                "exclude": list(piece.get("exclude") or []),
                "source": source,
                "fragment": fragment,
            }
            if piece.get("side"):
                zone["side"] = piece["side"]
            zones.append(zone)
    for z in zones:
        z.pop("_town", None)
    return zones


def _count_units(piece: dict, ctx: _Ctx) -> list[dict]:
    """``宝昌镇6个社区`` → the township's official communities (count checked by checks)."""
    town = piece.get("town")
    if not town or ctx.county not in _units.COUNTIES:
        return [
            {
                "name": piece["text"],
                "township": town,
                "code": None,
                "group": None,
                "sub_area": None,
                "note": "无法展开 cannot expand without an official list",
            }
        ]
    kind = piece["kind"]
    found = (
        _units.township_communities(town, county=ctx.county)
        if kind in ("社区", "居委会")
        else [u for u in _units.township_villages(town, county=ctx.county) if u.level == "village"]
    )
    out = []
    for u in found:
        out.append(
            {
                "name": u.short + ("社区" if u.level == "community" else "村"),
                "township": u.township,
                "code": u.code,
                "group": None,
                "sub_area": None,
                "official_name": u.name,
                "expanded_from": piece["text"],
            }
        )
    extras = [
        u.name
        for u in _units.load_units()
        if u.code is None
        and u.township == (found[0].township if found else None)
        and u.level == "community"
    ]
    if extras and kind in ("社区", "居委会"):
        for u in out:
            u["note"] = (
                f"国家统计局2023年名单有{len(found)}个社区；jionlp 1.5.31 另列"
                f"{'、'.join(extras)}（无代码） (jionlp lists {len(found) + len(extras)})"
            )
    if piece.get("n") is not None and piece["n"] != len(found):
        for u in out:
            u["note"] = (
                f"正文写{piece['n']}个，官方名单有{len(found)}个"
                f" (text says {piece['n']}, official list has {len(found)})"
            )
    return out


# ---------------------------------------------------------------------------------------
# clauses outside the scope: property, alternative, free choice
# ---------------------------------------------------------------------------------------


def _extra_zones(
    clause: str, sentence: str, line: int, school: dict | None, ctx: _Ctx, pending: list
) -> bool:
    """Zones from a clause that is not a scope list.  Returns True if it produced a rule."""
    src = _src(sentence, line)
    pm = PATTERNS["property_rule"].search(clause)
    if pm and school is not None:
        overflow = "relative_proximity" if PATTERNS["relative_proximity"].search(sentence) else None
        school["zones"].append(
            {"kind": "property_rule", "area": pm["area"], "overflow": overflow, "source": src}
        )
        return True
    am = PATTERNS["alternative"].search(clause)
    if am:
        who = _clean_name(am["who"])
        pending.append(("alternative", am["school"], who, src, school))
        return True
    fm = PATTERNS["free_choice_school"].search(clause)
    if fm:
        pending.append(("free_anyone", fm["school"], fm["who"], src, school))
        return True
    an = PATTERNS["any_school"].search(clause)
    if an and school is not None:
        who = _clean_name(an["who"])
        pending.append(("free_any_school", None, who, src, school))
        return True
    return False


def _who_units(who: str, ctx: _Ctx) -> list[dict]:
    """Units named by a who-phrase (千斤沟镇 / 骆驼山 (a township written without 镇))."""
    out = []
    for name in split_top(who, "、，,和及"):
        name = _clean_name(name)
        if not name:
            continue
        if ctx.county in _units.COUNTIES and not _is_township(name):
            t = _units.resolve_township(name, county=ctx.county)
            if t["code"]:
                u = _unit(t["official_name"], None, ctx)
                u["name"] = name
                u["match"] = "township_without_suffix"
                out.append(u)
                continue
        out.append(_unit(name, None, ctx))
    return out


def _apply_pending(pending: list, ctx: _Ctx) -> None:
    for kind, target, who, src, school in pending:
        if kind == "alternative":
            dest = _match_school(target, ctx.schools)
            if dest is None:
                ctx.unparsed.append(
                    {**src, "reason": f"未识别的学校 school not recognised: {target}"}
                )
                continue
            dest["zones"].append(
                {
                    "kind": "alternative",
                    "units": _who_units(who, ctx),
                    "from_school": school["id"] if school else None,
                    "source": src,
                }
            )
        elif kind == "free_anyone":
            dest = _match_school(target, ctx.schools) or school
            if dest is None:
                ctx.unparsed.append(
                    {**src, "reason": f"未识别的学校 school not recognised: {target}"}
                )
                continue
            dest["zones"].append(
                {
                    "kind": "free_choice",
                    "scope": "anyone",
                    "units": [],
                    "who": who.strip("，, "),
                    "source": src,
                }
            )
        elif kind == "free_any_school":
            school["zones"].append(
                {
                    "kind": "free_choice",
                    "scope": "any_school",
                    "units": _who_units(who, ctx),
                    "source": src,
                }
            )


# ---------------------------------------------------------------------------------------
# body text
# ---------------------------------------------------------------------------------------


def _body_clause(
    school: dict,
    scope_text: str,
    sentence: str,
    line: int,
    ctx: _Ctx,
    pending: list,
    basis: str = "hukou",
) -> None:
    src = _src(sentence, line)
    tail = PATTERNS["scope_tail"].search(scope_text)
    rest = ""
    if tail:
        scope, rest = scope_text[: tail.start()], scope_text[tail.end() :]
    else:
        scope = scope_text
    scope = re.sub(r"(?:户籍|的)+$", "", scope.strip())
    # a trailing "…或者/以及 <clause>" belongs to the extras
    pieces, left = _scope_pieces(scope, ctx)
    zones = _pieces_to_zones(pieces, src, ctx, basis=basis)
    if basis != "hukou":
        for z in zones:
            z["basis"] = basis
    if PATTERNS["multi_school"].search(sentence):
        for z in zones:
            z["multi_school"] = True
    school["zones"].extend(zones)
    for frag in left:
        ctx.unparsed.append(
            {"text": frag, "line": line, "reason": "范围片段未能解析 scope fragment not understood"}
        )
    for clause in split_top(rest, "，,"):
        clause = clause.strip()
        if not clause:
            continue
        if not _extra_zones(clause, sentence, line, school, ctx, pending):
            if re.search(rf"[{CN}]{{4,}}", clause) and not PATTERNS["scope_tail"].fullmatch(clause):
                ctx.unparsed.append(
                    {
                        "text": clause,
                        "line": line,
                        "reason": "子句未生成规则 clause produced no rule",
                    }
                )
    if not zones and not left:
        ctx.unparsed.append({**src, "reason": "学校没有可识别的范围 no recognisable scope"})


def _parse_body(lines: list[str], table_lines: set[int], ctx: _Ctx, pending: list) -> None:
    section_level: str | None = None
    in_zoning = False
    heading_school: dict | None = None
    heading_level: str | None = None
    skip_block = False  # lines under a skipped (kindergarten) heading
    for idx, raw in enumerate(lines, start=1):
        if idx in table_lines:
            continue
        line = raw.strip()
        if not line or line.startswith(("<!--", "---", ">", "|")):
            continue
        if skip_block and not line.startswith("#"):
            continue
        hm = PATTERNS["heading"].match(line)
        md = line.startswith("#")
        if (hm and len(line) < 40) or md:
            title = hm["title"] if hm else line.lstrip("#").strip()
            if "附件" in title:
                in_zoning = False
            if PATTERNS["zoning_heading"].search(title):
                in_zoning = True
                section_level = next((lv for w, lv in _LEVEL_WORDS if w in title), None)
                if re.search(rf"[{CN}]{{2,20}}学校(?:招生|划片)", title):
                    section_level = None
            elif hm and not md and not re.search("学校|小学|中学", title):
                in_zoning = False
            if md:
                sh = PATTERNS["school_heading"].match(line)
                if sh and re.search(
                    r"20\d\d年|划片|范围|一览|(?:^|#\s*)(?:乡镇|城区|农村|公办|民办|各)(?:学校|小学|中学)",
                    line,
                ):
                    sh = None
                if sh and re.search(r"幼儿园|园区|学前", sh["school"]):
                    ctx.unparsed.append(
                        {
                            **_src(line, idx),
                            "reason": "幼儿园不属义务教育，略过 "
                            "kindergarten: not compulsory education, skipped",
                        }
                    )
                    heading_school = None
                    skip_block = True
                    continue
                skip_block = False
                if sh:
                    name = re.sub(r"\s*\(nature=.*$", "", sh["school"]).strip()
                    heading_level = _doc_level(lines) or None
                    heading_school = _add_school(name, _level_of(name, heading_level), ctx)
                    in_zoning = True
                    continue
                heading_school = None
            if not hm or len(line) < 40:
                continue
        if PATTERNS["annex"].match(line):
            in_zoning = False
            heading_school = None
            continue
        body = strip_ordinal(line)
        # "**划片范围：** …" or "户籍儿童教育服务区：…" under a school heading
        lm = PATTERNS["scope_label"].match(body)
        if heading_school is not None and (lm or raw.lstrip().startswith(("-", "*"))):
            scope = lm["scope"] if lm else body
            basis = "migrant" if lm and "随迁" in lm["label"] else "hukou"
            _heading_scope(heading_school, scope, line, idx, ctx, basis)
            continue
        line_school = None  # the school an earlier sentence of this line admits to
        for sentence in _sentences(line):
            s = strip_ordinal(sentence)
            if _multi_area(s, sentence, idx, ctx):
                continue
            if line_school is not None and _continuation(line_school, s, sentence, idx, ctx):
                continue
            mm = PATTERNS["school_migrant_scope"].match(s)
            if mm:  # X小学随迁子女教育服务区：…
                school = _add_school(mm["school"], _level_of(mm["school"], section_level), ctx)
                _body_clause(school, mm["scope"], sentence, idx, ctx, pending, basis="migrant")
                heading_school = None
                continue
            m = PATTERNS["school_admits"].match(s)
            if m and not re.match(r"^(?:各|每|所有|本|其他)", m["school"]):
                name = m["school"]
                school = _add_school(name, _level_of(name, section_level), ctx)
                _body_clause(school, m["scope"], sentence, idx, ctx, pending)
                heading_school = None
                line_school = school
                continue
            produced = False
            for clause in split_top(s, "，,"):
                if _extra_zones(clause, sentence, idx, _last_school(ctx), ctx, pending):
                    produced = True
                    break
            if (
                not produced
                and in_zoning
                and len(re.findall(rf"[{CN}]", s)) >= 6
                and not _is_fact(s)
            ):
                ctx.unparsed.append(
                    {
                        **_src(sentence, idx),
                        "reason": "招生范围一节中未生成规则的句子 zoning-section sentence"
                        " produced no rule",
                    }
                )


def _continuation(school: dict, s: str, sentence: str, line: int, ctx: _Ctx) -> bool:
    """``X小学：A…；B…所围成的区域``: a later sentence of the line that is itself a scope
    (every piece understood) continues the school's zone list."""
    if PATTERNS["property_rule"].search(s) or PATTERNS["alternative"].search(s):
        return False
    pieces, left = _scope_pieces(s, ctx)
    if not pieces or left or any(p["type"] == "compound" for p in pieces):
        return False
    school["zones"].extend(_pieces_to_zones(pieces, _src(sentence, line), ctx))
    return True


_FACT_PATTERNS = ("age_cutoff", "hukou_migration", "seat_plan", "class_cap", "class_cap_pair")


def _is_fact(sentence: str) -> bool:
    """A sentence read by :mod:`.facts` (age cutoff, seats…): not a zoning leftover."""
    return any(PATTERNS[name].search(sentence) for name in _FACT_PATTERNS)


def _last_school(ctx: _Ctx) -> dict | None:
    return ctx.schools[-1] if ctx.schools else None


def _table_level(lines: list[str], first_line: int) -> str | None:
    """Level of the section a table sits in (the nearest heading above it naming one)."""
    for raw in reversed(lines[: max(0, first_line - 1)]):
        line = raw.strip()
        hm = PATTERNS["heading"].match(line)
        if line.startswith("#") or (hm and len(line) < 40):
            for word, level in _LEVEL_WORDS:
                if word in line:
                    return level
    return None


def _doc_level(lines: list[str]) -> str | None:
    head = "\n".join(lines[:20])
    m = re.search(r"level:\s*(小学|初中)", head) or re.search(r"(小学|初中)(?:入学)?划片", head)
    if m:
        return "primary" if m[1] == "小学" else "middle"
    return None


def _heading_scope(school: dict, scope: str, line: str, idx: int, ctx: _Ctx, basis: str) -> None:
    src = _src(line, idx)
    tail = PATTERNS["scope_tail"].search(scope)
    if tail and tail.end() >= len(scope) - 2:
        scope = scope[: tail.start()]
    pieces, left = _scope_pieces(scope, ctx)
    zones = _pieces_to_zones(pieces, src, ctx, basis=basis)
    for z in zones:
        if basis == "migrant" and z["kind"] != "admin_units":
            z["basis"] = basis
    school["zones"].extend(zones)
    for frag in left:
        ctx.unparsed.append(
            {"text": frag, "line": idx, "reason": "范围片段未能解析 scope fragment not understood"}
        )


# ---------------------------------------------------------------------------------------
# tables (annexes)
# ---------------------------------------------------------------------------------------


def _tables(lines: list[str]) -> tuple[list[list[_Row]], set[int]]:
    """Tab-indented cell tables (one cell per line, rows split by blank lines) and pipe tables."""
    tables: list[list[_Row]] = []
    used: set[int] = set()
    current: list[_Row] = []
    cells: list[str] = []
    cell_lines: list[int] = []
    blank_run = 0

    def flush_row():
        nonlocal cells, cell_lines
        if cells:
            current.append(_Row(cells, cell_lines[0], cell_lines, "\t".join(c for c in cells)))
        cells, cell_lines = [], []

    def flush_table():
        nonlocal current
        flush_row()
        if current:
            tables.append(current)
        current = []

    for idx, raw in enumerate(lines, start=1):
        if raw.startswith("\t") and raw.strip() != "" or raw == "\t":
            cells.append(raw.strip().strip("　"))
            cell_lines.append(idx)
            used.add(idx)
            blank_run = 0
        elif raw.strip().startswith("|") and raw.strip().endswith("|"):
            flush_row()
            inner = [c.strip() for c in raw.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in inner if c):
                used.add(idx)
                continue
            current.append(_Row(inner, idx, [idx], raw.strip()))
            used.add(idx)
        elif raw.strip() == "":
            flush_row()
            blank_run += 1
            if blank_run >= 3:
                flush_table()
        else:
            flush_table()
            blank_run = 0
    flush_table()
    return tables, used


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


def _parse_tables(tables: list[list[_Row]], lines: list[str], ctx: _Ctx) -> list[dict]:
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
            school = _match_school(label, ctx.schools) if label else prev_school
            if label and school is None and re.search(r"(小学|中学|学校|初中)$", label):
                level = _table_level(lines, table[0].line) or _doc_level(lines)
                if re.search(r"(?:小学|中学|初中)$", label):  # the name says it
                    level = None
                school = _add_school(label, _level_of(label, level), ctx)
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
    area: str, header_town: str | None, scope: str, src: dict, ctx: _Ctx, *, blank_area: bool
):
    """Zones of one table row; a blank township cell is inferred from the row's villages."""
    town, within = None, None
    if area:
        if _is_township(area) or (
            ctx.county in _units.COUNTIES
            and _units.resolve_township(area, county=ctx.county)["code"]
        ):
            town = (
                area
                if _is_township(area)
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
        inferred, share = _units.infer_township([_clean_name(n) for n in names], county=ctx.county)
        _, own = _units.infer_township_share(
            [_clean_name(n) for n in names], town, county=ctx.county
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
                code = _unit(within, town, ctx)["code"]
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
        pieces, left = _scope_pieces(scope, ctx, town)
        return _pieces_to_zones(pieces, src, ctx), left, note
    pieces, left = _scope_pieces(scope, ctx, town)
    if town:
        for p in pieces:
            if p["type"] == "unit" and not p.get("town"):
                p["town"] = town
    return _pieces_to_zones(pieces, src, ctx), left, note


# ---------------------------------------------------------------------------------------
# merging annex zones into the body
# ---------------------------------------------------------------------------------------


def _unit_key(u: dict) -> tuple:
    return (u.get("code") or u.get("name"), u.get("group"), u.get("sub_area"))


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
        return (kind, frozenset(_unit_key(u) for u in z["units"]))
    return (
        kind,
        repr(sorted((k, str(v)) for k, v in z.items() if k not in ("source", "fragment"))),
    )


def _merge_annex(annex: list[dict]) -> None:
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
                holders_of[id(school)].setdefault(_unit_key(u), z)

    for item in annex:
        school, zone = item["school"], item["zone"]
        index(school)
        twin = by_key[id(school)].get(_zone_key(zone))
        if twin is None and zone["kind"] == "admin_units" and zone["units"]:
            found = [holders_of[id(school)].get(_unit_key(u)) for u in zone["units"]]
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


# ---------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------


def parse_policy(text: str, *, county: str | None = None, previous: dict | None = None) -> dict:
    """Parse a policy text into a zone spec (a plain dict following the JSON Schema).

    Parameters
    ----------
    text : str
        The policy as published (already decoded; see :func:`geo_enroll.policy.spec.read_policy`).
    county : str, optional
        6-digit county code; by default taken from the jurisdiction named in the text when it
        is one of the shipped counties (else admin units stay unresolved).
    previous : dict, optional
        A previous spec of the same document: its school ids are kept for schools of the
        same name (ids stay stable across re-parses).

    Returns
    -------
    dict
        The zone spec.

    Raises
    ------
    PolicyParseError
        When the text names no school and no zoning rule (not a zoning policy).
    """
    if not isinstance(text, str):
        raise PolicyParseError(f"期望文本 expected text (str), got {type(text).__name__}")
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    policy = extract_facts(lines, county=county)
    ctx = _Ctx(county=policy["county_code"], slug=_slug(policy["jurisdiction"]))
    tables, table_lines = _tables(lines)
    pending: list = []
    _parse_body(lines, table_lines, ctx, pending)
    _school_codes(lines, ctx)
    annex = _parse_tables(tables, lines, ctx)
    _apply_pending(pending, ctx)
    _merge_annex(annex)
    ctx.schools = [s for s in ctx.schools if s["zones"] or s["code"]]
    _keep_previous_ids(ctx, previous)
    _link_multi_school(ctx)
    _number_rules(ctx)
    has_facts = any(
        [
            policy["age_cutoff"],
            policy["hukou_migration_cutoff"],
            policy["timeline"],
            *policy["seat_plan"].values(),
            *policy["class_cap"].values(),
        ]
    )
    if not any(s["zones"] for s in ctx.schools) and not (
        has_facts and re.search(r"义务教育|入学|招生", text)
    ):
        raise PolicyParseError(
            "未找到任何学校划片规则 no school zoning found: expected sentences such as "
            "“第一小学招收…社区…户籍适龄儿童” or a table with a 学校 column; "
            "is this a catchment-zoning (划片招生) policy?"
        )
    from .facts import derive_multi_school

    derive_multi_school(policy, ctx.schools)
    spec = {
        "spec_version": SPEC_VERSION,
        "policy": policy,
        "schools": ctx.schools,
        "unparsed": sorted(ctx.unparsed, key=lambda u: u["line"]),
        "conflicts": find_conflicts(ctx.schools, ctx.county),
    }
    return spec


def _multi_area(s: str, sentence: str, line: int, ctx: _Ctx) -> bool:
    """``X — 涉及3所学校：A、B、C`` / ``X实行多校划片，由A、B共同招生``: remembered for later.

    The schools are matched once every school is known (tables come after the body).
    """
    m = PATTERNS["multi_school_area"].match(s.strip())
    if not m:
        return False
    area = (m["area"] or m["area3"] or m["area2"] or "").strip().strip("*").strip()
    names = m["schools"] or m["schools3"] or m["schools2"] or ""
    labels = [
        re.sub(r"[（(][^）)]*[）)]", "", x).strip().strip("*")
        for x in split_top(names, "、，,和及与")
    ]
    labels = [x for x in labels if x]
    if (
        not area
        or len(labels) < 2
        or not all(re.search(r"(?:小学|中学|学校|初中|校区|分校|校)$", x) for x in labels)
        or re.search(r"可(?:以)?招收|交叉", area)
    ):
        return False
    ctx.multi_areas.append({"area": area, "labels": labels, "source": _src(sentence, line)})
    return True


def _link_multi_school(ctx: _Ctx) -> None:
    """多校划片 (one area, several schools) → ``multi_school`` zones.

    Units that several schools' 多校划片 zones (rows or sentences marked 多校划片) list alike
    are split out of those ``admin_units`` zones into a ``multi_school`` zone on each of the
    schools, with ``schools`` (every school sharing them) and ``units``; the rest of a marked
    zone stays ``admin_units`` (keeping ``multi_school: true`` as a mark of its row).  An area
    the text declares with its schools (``X — 涉及3所学校：A、B、C``) marks those schools'
    zones holding its units, adds its sentence to ``also_sources``, and becomes a
    ``multi_school`` zone of its own where a school does not list the area (``area`` when it
    is not admin units).  Consumers read ``kind == "multi_school"`` with ``schools`` and
    ``units`` (``placement.candidates``, ``digitise``).
    """
    declared = []
    for item in ctx.multi_areas:
        found = [_match_school(label, ctx.schools) for label in item["labels"]]
        schools = list({id(x): x for x in found if x is not None}.values())
        if len(schools) < 2:
            missing = [lb for lb, x in zip(item["labels"], found, strict=True) if x is None]
            ctx.unparsed.append(
                {
                    **item["source"],
                    "reason": "多校划片区域的学校无法识别 multi-school area: school not "
                    f"recognised: {'、'.join(missing)}",
                }
            )
            continue
        pieces, left = _scope_pieces(item["area"], ctx)
        units = [
            u
            for z in _pieces_to_zones(pieces, item["source"], ctx)
            if z["kind"] == "admin_units"
            for u in z["units"]
        ]
        keys = {_unit_key(u) for u in units}
        for school in schools:  # the declared schools' zones holding these units are 多校划片
            for z in school["zones"]:
                if z["kind"] == "admin_units" and keys & {_unit_key(u) for u in z["units"]}:
                    z["multi_school"] = True
        declared.append((item, schools, units, keys, left))
    # units shared by several marked zones, or declared shared
    sharing: dict[tuple, set[str]] = {}
    for _item, schools, _, keys, _left in declared:
        for key in keys:
            sharing.setdefault(key, set()).update(x["id"] for x in schools)
    for s in ctx.schools:
        for z in s["zones"]:
            if z.get("multi_school") and z["kind"] == "admin_units":
                for u in z["units"]:
                    sharing.setdefault(_unit_key(u), set()).add(s["id"])
    for s in ctx.schools:
        out = []
        for z in s["zones"]:
            if not (z.get("multi_school") and z["kind"] == "admin_units"):
                out.append(z)
                continue
            own, shared = [], {}
            for u in z["units"]:
                ids = frozenset(sharing.get(_unit_key(u), {s["id"]}))
                if len(ids) > 1:
                    shared.setdefault(ids, []).append(u)
                else:
                    own.append(u)
            if own:
                out.append({**z, "units": own})
            for ids, units in shared.items():
                zone = {
                    "kind": "multi_school",
                    "schools": sorted(ids),
                    "units": units,
                    "basis": z.get("basis", "hukou"),
                    "multi_school": True,
                    "source": z["source"],
                }
                for key in ("fragment", "also_sources", "origin", "township_inferred"):
                    if key in z:
                        zone[key] = z[key]
                out.append(zone)
        s["zones"] = out
    for item, schools, units, keys, left in declared:
        ids = sorted({x["id"] for x in schools})
        for school in schools:
            twin = next(
                (
                    z
                    for z in school["zones"]
                    if z["kind"] == "multi_school"
                    and keys
                    and keys <= {_unit_key(u) for u in z["units"]}
                ),
                None,
            )
            if twin is not None:
                twin["schools"] = sorted(set(twin["schools"]) | set(ids))
                twin.setdefault("also_sources", []).append(item["source"])
                continue
            zone = {
                "kind": "multi_school",
                "schools": ids,
                "units": [dict(u) for u in units],
                "multi_school": True,
                "source": item["source"],
                "fragment": item["area"],
            }
            if not units or left:
                zone["area"] = item["area"]
            school["zones"].append(zone)


def _school_codes(lines: list[str], ctx: _Ctx) -> None:
    for idx, raw in enumerate(lines, start=1):
        for m in PATTERNS["school_code"].finditer(raw):
            label = re.sub(r"^.*?[：:，,、]", "", m["label"])
            school = _match_school(label, ctx.schools)
            if school is not None and school["code"] is None:
                school["code"] = m["code"]
                school["code_source"] = _src(raw, idx)
                if label not in school["aliases"] and label != school["name"]:
                    school["aliases"].append(label)


def _keep_previous_ids(ctx: _Ctx, previous: dict | None) -> None:
    if not previous:
        return
    old = {s["name"]: s["id"] for s in previous.get("schools", [])}
    taken = set()
    for s in ctx.schools:
        if s["name"] in old and old[s["name"]] not in taken:
            s["id"] = old[s["name"]]
            taken.add(s["id"])


def _number_rules(ctx: _Ctx) -> None:
    for s in ctx.schools:
        for n, z in enumerate(s["zones"], start=1):
            z["rule_id"] = f"{s['id']}-r{n:02d}"
        s["zones"] = [_ordered(z) for z in s["zones"]]
        for z in s["zones"]:
            if z["kind"] == "alternative" and z.get("from_school") is None:
                z.pop("from_school", None)


def _ordered(zone: dict) -> dict:
    first = ("rule_id", "kind")
    out = {k: zone[k] for k in first}
    out.update({k: v for k, v in zone.items() if k not in first and k not in ("source",)})
    out["source"] = zone["source"]
    return out
