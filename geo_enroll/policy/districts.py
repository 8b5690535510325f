"""Same-name schools in different districts (区/县, Taiwan 區/鄉/鎮) are different schools.

A school name is unique only within a district.  When a document names districts, a school is
known by its name *and* the district the document files it under:

- a **heading** naming a district (``## 東區``, ``二、善化区``, ``（三）西湖区``) files every
  school named in its section under that district, until a heading of the same or a higher
  level or an annex line (附件) ends the section;
- a **table** with a district column (行政区/區) and a row per school (区 | 学校 | 范围) files
  the row's school under the row's district.  In a table with a row per place (区 | 里 | 学校)
  or a 所在区 column, the district is the *residence's*, and a school often serves the edge of
  the next district.  So the same name in two districts of a
  table is one school when the two districts are neighbours, and two schools otherwise.  Two
  districts are neighbours when another school of the document serves rows in both (the
  document's own evidence that they meet), or when a row of one names the school with the
  other's prefix (``南區 … 東區大同國小``).  Each group of neighbouring districts is one school,
  filed under its *home*: the district the school is named with (a prefix, or a 行政區 column
  beside a 所在區 one), else the one with most of its rows.

A mention with no district (the body's prose, or an annex of the same county) joins the one
school of that name; it is never split from it.  When the name belongs to several districts
such a mention cannot say which: it stays a school of its own and is reported.

At the end, names shared by several schools are shown with their district (大同國小（東區）),
so that no answer gives a child the other district's school under a bare name.

>>> district_of_title("## 東區"), district_of_title("（二）善化区"), district_of_title("第1学区")
('東區', '善化区', None)
>>> rows = [("東區", "大同國小", None)] * 2 + [("東區", "勝利國小", None),
...     ("南區", "大同國小", None), ("南區", "勝利國小", None)] + [("善化區", "大同國小", None)] * 3
>>> homes, notes = group_districts([(*r, {"text": "", "line": 1}) for r in rows])
>>> homes[("大同國小", "南區")], homes[("大同國小", "善化區")]
('東區', '善化區')
>>> ("勝利國小", "南區") in homes  # one school: no district needed
False
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import partial

from .document import simplified
from .grammar import CN, PATTERNS

__all__ = [
    "district_of_title",
    "heading_districts",
    "split_prefix",
    "group_districts",
    "is_district_header",
    "show_districts",
]

_DISTRICT = re.compile(
    rf"^(?P<d>[{CN}]{{1,8}}?(?:自治县|自治旗|区|县|市|旗|乡|镇|街道|苏木))"
    r"(?=$|[\s（(·—\-:：|*])"
)
_NOT_DISTRICT = re.compile(
    r"(?:学区|片区|校区|社区|小区|园区|城区|辖区|景区|市区|郊区|新区域|招生区|服务区|"
    r"^(?:全|本|我|各|该|每|其他|外)[区县市旗乡镇])$"
)


def district_of_title(line: str) -> str | None:
    """The district a heading line names, as written, or None (学区/片区/社区 are not)."""
    title = line.strip().lstrip("#").strip().strip("*").strip()
    hm = PATTERNS["heading"].match(title)
    if hm:
        title = hm["title"].strip().strip("*").strip()
    m = _DISTRICT.match(simplified(title))
    if not m or _NOT_DISTRICT.search(m["d"]) or len(m["d"]) < 2:
        return None
    return title[: m.end("d")]


def _heading_rank(line: str) -> tuple[str, int] | None:
    """A heading's system and level: ("md", #s), ("num", 1 for 一、, 2 for （一）), or None."""
    s = line.strip()
    if s.startswith("#"):
        return "md", len(s) - len(s.lstrip("#"))
    if re.match(r"^[一二三四五六七八九十]+、", s):
        return "num", 1
    if re.match(r"^[（(][一二三四五六七八九十]+[）)]", s):
        return "num", 2
    if re.fullmatch(r"\*\*[^*]{2,30}\*\*", s):
        return "bold", 1
    return None


def heading_districts(lines: list[str]) -> list[str | None]:
    """Per line (0-based), the district whose heading's section the line is in, or None."""
    out: list[str | None] = []
    scope: list[tuple[str, int, str]] = []  # (system, level, district), outermost first
    for raw in lines:
        rank = _heading_rank(raw)
        if PATTERNS["annex"].match(raw):
            scope = []
        elif rank is not None and (rank[0] != "bold" or district_of_title(raw)):
            system, level = rank
            scope = [
                x
                for x in scope
                if not (x[0] == system and x[1] >= level) and not (system == "md" and level <= 2)
            ]
            name = district_of_title(raw)
            if name:
                scope.append((system, level, name))
        out.append(scope[-1][2] if scope else None)
    return out


def split_prefix(label: str, districts: set[str]) -> tuple[str, str | None]:
    """``東區大同國小`` → (``大同國小``, ``東區``) when the prefix is one of ``districts``."""
    for d in sorted(districts, key=len, reverse=True):
        if label.startswith(d) and len(label) - len(d) >= 2:
            return label[len(d) :], d
    return label, None


_DISTRICT_HEADER = re.compile(
    r"(?:学区)?(?:所在|所属)?(?:行政区|区|区县|县区|县市区|乡镇市区|区别)(?:别|名称)?"
)


def is_district_header(header: str) -> bool:
    """A table column of districts (行政区, 區, 學區所在區), not of townships (乡镇/街道)."""
    return bool(_DISTRICT_HEADER.fullmatch(simplified(header).strip().strip("*")))


HOME_ROWS = 3
"""Rows a school needs in a group of districts, when the text does not name its district
there, to be that group's own school rather than the edge of a neighbour's catchment (a
school reaching across a boundary serves a row or two: 鹽水區 1 row of 下營國中)."""


def group_districts(
    mentions: list[tuple[str, str, str | None, dict]],
) -> tuple[dict[tuple[str, str], str], list[dict]]:
    """Mentions (row district, school name, district the row names the school with, source)
    → (home district of each (name, row district) whose name is *several* schools, notes).

    Districts where a name appears are grouped by neighbour evidence; a group is the name's
    own school when the text names the school's district there or it has at least
    :data:`HOME_ROWS` rows.  One such group: the name is one school and the other groups are
    its edge across a boundary (no entry; a note says so).  Several: each is a school; a
    smaller group is filed under its own district and noted as unclear.  A name seen in one
    district, or in neighbouring ones only, gets no entry and no note, so a document without
    same-name schools parses exactly as without districts.  Notes are ``unresolved``
    conflicts for a reviewer: every grouping here is an inference.
    """
    in_area: dict[str, set[str]] = defaultdict(set)
    rows: dict[str, Counter] = defaultdict(Counter)
    named: dict[str, Counter] = defaultdict(Counter)  # explicit homes (prefix / column)
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    order: dict[str, int] = {}
    sources: dict[tuple[str, str], dict] = {}
    for area, name, home, src in mentions:
        order.setdefault(area, len(order))
        in_area[area].add(name)
        rows[name][area] += 1
        sources.setdefault((name, area), src)
        if home and home != area:
            order.setdefault(home, len(order))
            links[name].append((area, home))
        if home:
            named[name][home] += 1
    out: dict[tuple[str, str], str] = {}
    notes: list[dict] = []
    for name, counts in rows.items():
        areas = sorted(set(counts) | set(named[name]), key=order.__getitem__)
        if len(areas) < 2:
            continue
        parent = {a: a for a in areas}
        for i, a in enumerate(areas):
            for b in areas[i + 1 :]:
                if (in_area[a] & in_area[b]) - {name}:
                    parent[_root(parent, a)] = _root(parent, b)
        for a, b in links[name]:
            parent[_root(parent, a)] = _root(parent, b)
        groups: dict[str, list[str]] = defaultdict(list)
        for a in areas:
            groups[_root(parent, a)].append(a)
        if len(groups) < 2:
            continue

        home_of = partial(_home, named=named[name], counts=counts, order=order)
        strong = partial(_strong, named=named[name], counts=counts)

        parts = sorted(groups.values(), key=lambda g: -sum(counts[a] for a in g))
        own = [g for g in parts if strong(g)]
        edge = [g for g in parts if not strong(g)]
        src = [sources[(name, a)] for g in parts for a in g if (name, a) in sources]
        where = "、".join(f"{a} {counts[a]}行" for g in parts for a in g)
        if len(own) <= 1:
            main = home_of((own or parts)[0])
            notes.append(
                {
                    "kind": "unresolved",
                    "description": f"{name}（{where}）：按一校处理，{main}以外是邻区边缘的几行，"
                    f"请核对 taken as one school of {main}; rows elsewhere read as the edge "
                    "of its catchment across a boundary (no other school links the districts)",
                    "sources": src[:12],
                }
            )
            continue
        for g in parts:
            for a in g:
                out[(name, a)] = home_of(g)
        notes.append(
            {
                "kind": "unresolved",
                "description": f"{name}（{where}）：分为{len(parts)}所同名学校"
                f"（{'、'.join(home_of(g) for g in parts)}），"
                + (
                    f"{'、'.join(home_of(g) for g in edge)}的几行无法判定属哪一所，单列，"
                    if edge
                    else ""
                )
                + f"请核对 {len(parts)} same-name schools: the districts are not neighbours "
                "in the text (no other school serves both)"
                + ("; a group of a row or two is kept apart but unclear" if edge else ""),
                "sources": src[:12],
            }
        )
    return out, notes


def _home(members: list[str], *, named: Counter, counts: Counter, order: dict) -> str:
    """The district a group's school is shown with: the one the text names it with, else
    the one with most of its rows (several on a tie: 成功國小（北區、中西區）)."""
    best = max((named[a], counts[a]) for a in members)
    tied = sorted((a for a in members if (named[a], counts[a]) == best), key=order.__getitem__)
    return "、".join(tied)


def _strong(members: list[str], *, named: Counter, counts: Counter) -> bool:
    return sum(named[a] for a in members) > 0 or sum(counts[a] for a in members) >= HOME_ROWS


def _root(parent: dict[str, str], a: str) -> str:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def show_districts(schools: list[dict], unparsed: list[dict]) -> None:
    """Names shared by several schools get their district (大同國小（東區）); drop the marks.

    Short aliases the schools share are dropped (an abbreviation must name one school); the
    district-prefixed name (東區大同國小) becomes an alias.  A same-name school filed under no
    district is reported: the text does not say which district's school it is.
    """
    by_name: dict[str, list[dict]] = defaultdict(list)
    for s in schools:
        by_name[s["name"]].append(s)
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        shared = Counter(a for s in same for a in s["aliases"])
        for s in same:
            d = s.get("_district")
            s["aliases"] = [a for a in s["aliases"] if shared[a] < 2]
            if d:
                s["name"] = f"{name}（{d}）"
                if "、" not in d:
                    s["aliases"].append(f"{d}{name}")
            else:
                unparsed.append(
                    {
                        "text": name,
                        "line": s["zones"][0]["source"]["line"] if s["zones"] else 1,
                        "reason": "同名学校分属多个区，此处未写明哪一个区的学校，单列待核 "
                        "a school of this name is in several districts and this mention "
                        "names none: kept as its own school, check it",
                    }
                )
    for s in schools:
        s.pop("_district", None)
