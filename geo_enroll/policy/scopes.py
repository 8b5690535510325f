"""A sentence's scope → pieces: four-sided limits, enclosed areas, directional bounds, items.

A scope (the text after 招收/招生范围为…) may hold numbered parts (①…②…); each part is read as
four-sided limits (东至…南至…), an area enclosed by streets (所围成的区域), directional bounds
(X路以东…) with their exclusions, or else an item list (:mod:`.items`).

>>> ctx = ParseContext(county=None)
>>> pieces, left = scope_pieces("城关镇东关村、西关村", ctx)
>>> [(p["type"], p["name"]) for p in pieces], left
([('unit', '东关村'), ('unit', '西关村')], [])
"""

from __future__ import annotations

import re

from .document import ParseContext, simplified
from .grammar import (
    CN,
    CONTAINS_LABEL,
    LIST_WHO_TAIL,
    PATTERNS,
    UNIT_BEFORE_SIDE,
    WHO_TAIL,
    WHO_WORDS,
    _paren_split,
    group_lists,
    numbered_areas,
    parse_bounds,
    parse_enclosed,
    parse_exclusion,
    parse_limits,
    parse_ring,
    parse_walk,
    split_exclusions,
    split_includes,
    split_top,
    walked_edge_reason,
)
from .items import item_list
from .remainder import OUTSIDE_AREA, read_remainder, read_whole
from .units import district_names

__all__ = ["scope_pieces"]


def scope_pieces(
    scope: str, ctx: ParseContext, town: str | None = None
) -> tuple[list[dict], list[str]]:
    """Split a scope into pieces (units, limits, compounds, bounds, street lists).

    Returns (pieces, fragments not understood).
    """
    pieces, left = [], []
    scope = LIST_WHO_TAIL.sub("", scope.strip().strip("。；;，,"))  # …有意愿一表、二表生源
    scope = _UNIT_EXCEPT.sub(_unit_except, scope)  # 东关村除3组外 → 东关村（除3组外）
    scope = _SIDE_WORD.sub(r"以\g<side>", scope)  # 解放路东侧 / 以东侧 → 解放路以东
    scope = numbered_areas(group_lists(scope))
    # numbered alternatives ①…②… or 1.…2.… are parts of one union
    parts = re.split(r"[①-⑳]|(?:(?<=[；;。，,\s])|^)(?:\d+[.．、](?!\d)|[（(]\d{1,2}[）)])", scope)
    parts = [p.strip().strip("；;，,。") for p in parts if p and p.strip().strip("；;，,。")]
    for part in [x for chunk in parts for x in split_top(chunk, "。")]:
        names = parse_exclusion(part) if pieces else None
        if names:  # "…灯彩街。不含新世纪花苑、美都公寓": the exclusion of what came before
            last = pieces[-1]
            last["exclude"] = list(dict.fromkeys([*(last.get("exclude") or []), *names]))
            continue
        p, lf = _part_pieces(part, ctx, town)
        for piece in [x for x in p if _at_a_corner(x) or _not_a_place(x)]:
            p.remove(piece)  # 建设路与光明街交叉口以东、以北区域 / 今年暂停招生: reported
            lf.append(piece.get("text") or part)
        pieces.extend(p)
        left.extend(lf)
        for piece in p:  # township context carries over to later parts
            if piece.get("town"):
                town = piece["town"]
    return pieces, left


_NOT_PLACE = re.compile(
    r"招生|招收|接收|录取|停招|暂停|同上|(?:本校|学校|校园)(?:周边|附近)|^本校"
    r"|\d+\s*(?:公里|千米|米)|[一二三四五六七八九十百]+(?:公里|千米)"
    r"|子女|儿童(?!公园|医院|乐园|福利院|活动中心)|少年(?!宫)|学生(?!公寓|宿舍|村)|毕业生|生源"
    r"|适龄|自主|选择|就读|入学|寄宿|留守|残疾|随迁|户籍|具体|附表|详见|所在地"
    r"|^(?:全|本)(?:县|旗|区|市)"
    r"|学位|原则|安排|统筹|另行|通知|不足|紧张|执行|办理|报名|登记|审核|^(?:按照?|以上)|时$"
)
"""Words of no place's name: 招收本校教职工子女 / 今年暂停招生 / 同上 / 学校周边1公里 / 全县农村留守儿童
(a who-phrase, a state, a radius, the whole county with a category) / 以上学校学位不足时，按相对
就近原则安排 (a rule's prose on the line after a school's list)."""


def _not_a_place(piece: dict) -> bool:
    """A compound or unit whose name is not a place's (:data:`_NOT_PLACE`): what a notice
    says of a school that no address is in — reported, never a zone that matches nobody."""
    if piece.get("type") not in ("compound", "unit"):
        return False
    return bool(_NOT_PLACE.search(simplified(piece.get("name") or "")))


_SIDE_WORD = re.compile(
    r"(?:(?<=[路街道巷弄河江溪渠沟线堤桥速])(?<!街道)|以)(?P<side>[东南西北])(?:侧|面|边)"
    r"(?=$|[，,；;。、]|的?(?:区域|范围|片区|地块|部分))"
)
"""One side of a street written 东侧/东面/东边 (or 以东侧): the 以东 of a box's bounds.  Not
in brackets: 建设南路(圣灯路西侧)：8号 says which stretch of a street list."""

_LIMIT_WITHIN = re.compile(
    rf"^(?P<street>.+?)(?:以内|之间|围合|合围)?的(?P<within>[{CN}]{{2,8}}?(?:街道|镇|乡|苏木))"
    r"(?:行政)?(?:辖区|区域)?(?:范围)?(?:内)?$"
)
"""The last limit carrying the place the box lies in: 南至东方大道的松岗街道行政区域范围."""

_SIDE_OF = {"东": "east_of", "西": "west_of", "南": "south_of", "北": "north_of"}  # 以东: east of
_CHAIN_SEP = re.compile(r"\s*(?:→|->|——|--)\s*")
_ONE_SIDE_CHAIN = re.compile(
    r"(?P<chain>(?:(?!以[东南西北]|至|沿|起|为界)[^，,；;。→])+"
    r"(?:(?:→|->|——|--)(?:(?!以[东南西北]|至|沿|起|为界)[^，,；;。→])+)+)"
    r"以(?P<side>[东南西北])(?P<rest>(?:的)?[^，,；;。→]*?(?:区域|范围|片区)[^，,；;。→]*)"
)
_STEP = re.compile(rf"(?P<street>[{CN}A-Za-z0-9]{{2,20}}?)(?:延伸段)?以(?P<side>[东南西北])")
_STAIR_END = re.compile(
    rf"的?(?P<within>[{CN}]{{2,8}}?(?:街道|镇|乡|苏木|区|县))?(?:行政)?(?:区域|范围)(?:内|以内)?的?$"
)


def _walked_staircase(steps: list[str]) -> tuple[list[dict], str | None] | None:
    """A boundary walked street by street, each with the side the area lies on, that turns
    the same way more than once (农林大路以西→衣锦街以北→江桥路以西→城中街以北→…→苕溪以南
    锦城街道区域): the steps in order (street and the side the area lies on), closing a ring,
    and the place it lies in — or None.  The digitiser draws the ring the walk makes and checks
    the sides against it (:mod:`geo_enroll.digitise.walked`).

    >>> walk, within = _walked_staircase(["A路以西", "B街以北", "C路以西", "D街以南锦城街道区域"])
    >>> [(s["street"], s["side"]) for s in walk], within
    ([('A路', 'west_of'), ('B街', 'north_of'), ('C路', 'west_of'), ('D街', 'south_of')], '锦城街道')
    >>> _walked_staircase(["A路以西", "B街"]) is None
    True
    """
    if len(steps) < 3:
        return None
    last = WHO_TAIL.sub("", steps[-1].strip().strip("。；;，, "))
    m = re.fullmatch(rf"(?P<step>.+?以[东南西北]){_STAIR_END.pattern}", last)
    if not m:
        return None
    walk = []
    for step in [*steps[:-1], m["step"]]:
        sm = _STEP.fullmatch(re.sub(r"[（(][^（）()]*[）)]", "", step.strip()))
        if not sm:
            return None
        side = _SIDE_OF[sm["side"]]
        walk.append({"street": sm["street"], "side": side})
    return walk, m["within"]


_UNIT_EXCEPT = re.compile(
    rf"(?P<u>[{CN}\d]{{2,12}}?(?:村|社区|嘎查|居委会))除(?P<ex>[^，,；;（）()]+?)(?:以外|之外|外)"
    r"(?:的?(?:其他|其余|其它|剩余)?的?(?:村民小组|组|社|区域|范围|部分|地方))?(?=$|[，,；;、。])"
    # 东关村一组以外的区域 / 东关村1、2组以外: the village without those groups
    rf"|(?P<u2>[{CN}\d]{{2,12}}?(?:村|社区|嘎查))(?P<ex2>[一二三四五六七八九十\d、-]+(?:组|社|村民小组))"
    r"(?:以外|之外)的?(?:其他|其余|其它|剩余)?的?(?:村民小组|组|社|区域|范围|部分|地方)?(?=$|[，,；;、。])"
)
"""东关村除3组外 / 建兴社区除昌盛园小区以外 / 东关村除一组外的其他组 / 东关村一组以外的区域: the
unit without those (its bracketed form)."""


def _unit_except(m: re.Match) -> str:
    return f"{m['u'] or m['u2']}（除{m['ex'] or m['ex2']}外）"


_TOWN_WORD = rf"[{CN}]{{2,10}}?(?:镇|乡|街道|苏木)"
_EXCEPTED = r"(?:(?!以[东南西北]|[东南西北]至|至)[^，,；;（）()])+?"
"""Places excepted by name (东关村、西关村), not an area by its streets (解放路以东…: a negated box)."""
_ALL_VILLAGES = r"(?:的)?(?:所有|全部|各)?(?:行政)?(?:村|社区|村居|村委会|嘎查|区域|范围)?"
_EXCEPT_AFTER = re.compile(
    rf"^(?P<t>{_TOWN_WORD})(?:辖区|范围)?(?:内)?除(?P<ex>{_EXCEPTED})(?:以外|之外|外)"
    rf"{_ALL_VILLAGES}$"
)
"""城关镇除东关村、西关村以外的所有村: the township without those (read as 城关镇（除…外）)."""
_EXCEPT_BEFORE = re.compile(
    rf"^除(?P<ex>{_EXCEPTED})(?:以外|之外|外)的?(?P<t>{_TOWN_WORD}){_ALL_VILLAGES}$"
)
"""除东关村外的城关镇所有村: the same, the exception written first."""
_EXCEPT_COMMA = re.compile(
    rf"^除(?P<ex>{_EXCEPTED})(?:以外|之外|外)[，,](?P<t>{_TOWN_WORD})(?:的)?(?:其他|其它|其余|剩余)?"
    rf"{_ALL_VILLAGES}$"
)
"""除东关村、西关村外，城关镇其余各村: the township without those."""
_BUT_NAMED = re.compile(
    rf"^(?P<t>{_TOWN_WORD})(?:辖区|范围)?(?:内)?(?P<ex>(?:(?!除){_EXCEPTED}))(?:以外|之外)(?:的)?"
    rf"(?:其他|其它|其余|剩余)?{_ALL_VILLAGES}$"
)
"""城关镇东关村、西关村以外的其他村: the township without those (was read as 东关村 — the
opposite)."""
_OTHERS_THAN = re.compile(
    rf"(?P<ex>(?:(?!除|以外|之外)[{CN}\d、，,和及]){{2,40}}?)(?:以外|之外)(?:的)?(?:其他|其它|其余|剩余)"
    r"(?:的)?(?:各|所有|全部)?(?:行政)?(?:村|社区|村居|嘎查|区域|范围|地区)"
)
_OUTSIDE_OF = re.compile(
    rf"除?(?:(?!除)[{CN}\d、]){{2,30}}?(?:以外|之外)(?:的)?(?:所有|全部|各)?"
    r"(?:乡镇|乡|镇|区域|地区|范围|农村|村|村庄|地方|社区)?"
)
_ALL_OF_TOWN = re.compile(
    rf"^(?P<t>{_TOWN_WORD})(?:的)?(?:所有|全部|各)(?:行政)?(?:村|社区|村居|嘎查)$"
)
"""城关镇所有村 / 城关镇各行政村: the whole township."""

_CORNER = re.compile(r"交叉口|交汇处|交汇点|交会处|交界处|十字路口|路口$|交口$")


def _at_a_corner(piece: dict) -> bool:
    """A bounds piece whose "street" is a crossing (建设路与光明街交叉口以东、以北区域: which
    street bounds which side is not said, and 以北 had no street): reported, not drawn."""
    if piece.get("type") != "bounds":
        return False
    streets = [b.get("street") or "" for b in piece.get("bounds") or []]
    return any(_CORNER.search(x) for x in [*streets, *(piece.get("bounded_by") or [])])


_LINE_SIDE = re.compile(
    r"以(?P<line>[^，,；;。、以为→—-]{2,20}?)为界(?:的)?(?P<side>[东南西北])(?:侧|面|边|部)?"
    r"(?:的)?(?=区域|范围|片区|$)"
)
"""马路村以环湖北路为界南侧区域: the side of one street or river taken as the border
(rewritten 马路村环湖北路以南区域); a chain of streets (A——B为界西南区域) is a walked edge."""


def _part_pieces(part: str, ctx: ParseContext, town: str | None) -> tuple[list[dict], list[str]]:
    """Pieces of one part of a scope: limits, an enclosed area, bounds, or an item list.

    Exclusions (（不含X）, (除X), ，不含X, X除外) are read the same way for every kind
    (:func:`~geo_enroll.policy.grammar.split_exclusions`).
    """
    rest = read_remainder(part, town)
    if rest is not None:  # 城关镇除以上学校招生范围以外的区域 / 其余区域: what no other takes
        return [rest], []
    whole = read_whole(part)
    if whole is not None:  # 全县范围内招生: the whole jurisdiction (a zone, or a choice)
        return [whole], []
    if OUTSIDE_AREA.match(WHO_TAIL.sub("", part.strip().strip("。；;，, "))):
        return [], [part]  # 城区以外的区域: outside an area the text does not draw (reported)
    rewritten = _LINE_SIDE.sub(r"\g<line>以\g<side>", part)
    rewritten = _EXCEPT_AFTER.sub(r"\g<t>（除\g<ex>外）", rewritten)
    rewritten = _EXCEPT_BEFORE.sub(r"\g<t>（除\g<ex>外）", rewritten)
    rewritten = _EXCEPT_COMMA.sub(r"\g<t>（除\g<ex>外）", rewritten)
    rewritten = _BUT_NAMED.sub(r"\g<t>（除\g<ex>外）", rewritten)
    rewritten = _ALL_OF_TOWN.sub(r"\g<t>", rewritten)
    if rewritten != part:  # read as rewritten, reported and kept as written
        got, lf = _part_pieces(rewritten, ctx, town)
        for x in got:
            if x.get("text") and x["text"] not in part:
                x["text"] = part
        return got, [x if x in part else part for x in lf]
    bare = WHO_TAIL.sub("", part.strip().strip("。；;，, "))
    om = _OTHERS_THAN.fullmatch(bare)
    if om:  # 东关村、西关村以外的其他村: the town's others when the lines are under a town
        if town:
            return _part_pieces(f"{town}（除{om['ex']}外）", ctx, town)
        return [], [part]  # the others of what is not said: reported, never 东关村 itself
    if _OUTSIDE_OF.fullmatch(bare):
        return [], [part]  # 城关镇以外的区域: outside a place (reported), no unit named 以外
    pieces: list[dict] = []
    left: list[str] = []
    lm = _LABEL.match(part)
    if lm and _GENERIC_LABEL.fullmatch(lm["label"]):  # 代招范围：蜀龙路以东…: a label, no place
        return _part_pieces(lm["rest"], ctx, town)
    tm = PATTERNS["township_prefix"].match(part)
    if not lm and tm and PATTERNS["limit"].match(tm["rest"].lstrip("：: ")):
        lm = {"label": tm["town"], "rest": tm["rest"].lstrip("：: ")}  # 宝昌镇东至甲路，…
    if lm and re.search(r"以[东南西北]|[东南西北](?:至|界)", lm["rest"]):
        if _PLACE_SUFFIX.search(lm["label"]) or re.search(r"(?:镇|乡|街道|苏木)$", lm["label"]):
            # 怀德社区：立新南路以东区域 / 宝昌镇：东至…: that place's side, that place's box
            got, lf = _part_pieces(lm["rest"], ctx, town)
            for x in got:
                if x["type"] in ("bounds", "limits") and x.get("within") in (None, town):
                    x["within"] = lm["label"]
            return got, lf
    # four-sided limits for the whole part
    if PATTERNS["limit"].match(part):
        head, excluded = split_exclusions(part)
        head, includes = split_includes(head)
        got = parse_limits(head)
        if got:
            limits, inner = got
            within = town
            for side, target in list(limits.items()):  # …南至东方大道的松岗街道行政区域范围
                wm = _LIMIT_WITHIN.match(target)
                if wm and within in (None, wm["within"]):
                    limits[side], within = wm["street"], wm["within"]
            piece = {
                "type": "limits",
                "within": within,
                "limits": limits,
                "exclude": list(dict.fromkeys(inner + excluded)),
                "text": part,
            }
            if includes:
                piece["includes"] = includes
            pieces.append(piece)
            return pieces, left
        clauses = split_top(part, "，,")
        k = next((k for k in range(len(clauses) - 1, 2, -1) if _limits_only(clauses[:k])), 0)
        if (
            k
            and not re.search(r"仅|只|除", "，".join(clauses[k:]))
            and not any(PATTERNS["limit"].match(c.strip()) for c in clauses[k:])
        ):  # a side of the box that could not be read keeps the whole box unread
            # 东界限:…, 南界限:…, 西界限:…, 北界限:…，浐灞国际港开发建设商住楼盘: the box,
            # then what follows read on its own (a description is reported, never a place)
            p, lf = _part_pieces("，".join(clauses[:k]), ctx, town)
            rest = "，".join(clauses[k:])
            more, lf2 = _part_pieces(rest, ctx, town)
            if any(_DESCRIPTION.search(x.get("name") or "") for x in more):
                more, lf2 = [], [rest]
            return p + more, lf + lf2
    # "A→B→C→D以内区域" / "东起A——B——C区域": a ring of streets walked in order
    steps = re.split(r"\s*(?:→|->)\s*", part)
    sides = [re.search(r"以([东南西北])", s) for s in steps]
    if (
        len(steps) > 1
        and all(re.search(r"以[东南西北]$", s) for s in steps[:-1])
        and all(sides)
        and len({m[1] for m in sides if m}) == len(steps)
    ):
        # 苕溪以南→农林大路以东→…: each step has its own side: a box (a staircase that
        # turns the same way twice is no box: it is a ring, below)
        part = "，".join(steps)
    else:
        stair = _walked_staircase(steps)
        if stair:  # 农林大路以西→衣锦街以北→…→苕溪以南锦城街道区域内的常住户口
            walk, within = stair
            return [
                {
                    "type": "bounds",
                    "within": within or town,
                    "bounds": walk,
                    "walked": True,
                    "surrounded": False,
                    "exclude": [],
                    "text": part,
                }
            ], []
    cm = _ONE_SIDE_CHAIN.fullmatch(part.strip().strip("。；;，, "))
    em = _STAIR_END.fullmatch(WHO_TAIL.sub("", cm["rest"])) if cm else None
    if cm and em:  # 320国道→上林南路→九龙大道以北区域: one side of the whole chain (A与B以北)
        chain = [
            re.sub(r"[（(][^（）()]*[）)]", "", c).strip() for c in _CHAIN_SEP.split(cm["chain"])
        ]
        side = _SIDE_OF[cm["side"]]
        return [
            {
                "type": "bounds",
                "within": em["within"] or town,
                "bounds": [{"street": c, "side": side} for c in chain],
                "surrounded": False,
                "exclude": [],
                "text": part,
            }
        ], []
    if re.search(r"→|->|——|--|—", part):
        clauses = split_top(part, "，,")
        rings = [(c, parse_ring(c)) for c in clauses]
        if any(r for _, r in rings):  # …以内区域，秋丰村和春华村: the ring, then the rest
            for c, ring in rings:
                if ring:
                    pieces.append(
                        {
                            "type": "bounds",
                            "within": town,
                            "bounds": [],
                            "bounded_by": ring,
                            "surrounded": True,
                            "exclude": [],
                            "text": c,
                        }
                    )
            rest = "，".join(c for c, ring in rings if not ring)
            if rest:
                p, lf = _part_pieces(rest, ctx, town)
                pieces.extend(p)
                left.extend(lf)
            return pieces, left
    walk = parse_walk(part)
    if walk:  # 东起A，沿A向南至B，…，沿D向东至A: a boundary walked back to its start: a ring
        return [
            {
                "type": "bounds",
                "within": town,
                "bounds": [],
                "bounded_by": walk,
                "surrounded": True,
                "exclude": [],
                "text": part,
            }
        ], []
    if walked_edge_reason(part):  # 东起…沿…至… / A→B→C以北: an edge, not a ring: reported
        clauses = [c for c in split_top(part, "，,；;") if c.strip()]
        walked = [c for c in clauses if walked_edge_reason(c)]
        others = [c for c in clauses if c not in walked]
        if (
            walked
            and others
            and not any(_LIMIT_START.search(c) or re.search(r"至|到|→|—", c) for c in others)
            and all(
                _bound_object(c) or UNIT_BEFORE_SIDE.match(c)  # its own place: no half box
                for c in others
                if re.search(r"以[东南西北]", c)
            )
        ):
            # 东塘社区，沙中路→万乐路以北的沙头社区，新沙路以北的万科: the walked clause alone
            # is reported; the clauses beside it that are no part of a walk are read
            p, lf = _part_pieces("，".join(others), ctx, town)
            return p, lf + walked
        return pieces, [part]
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
    # two boxes joined by 以及/及/和 (A以东、B以南合围区域，以及C以南、D以北区域): each alone
    halves = [h for h in _split_top_re(part, _AND_BOX) if h.strip()]
    if len(halves) > 1 and all(len(re.findall(r"以[东南西北]", h)) >= 2 for h in halves):
        for half in halves:
            p, lf = _part_pieces(half.strip("，,；; "), ctx, town)
            pieces.extend(p)
            left.extend(lf)
        return pieces, left
    # directional bounds (X路以东 …) possibly followed by units
    clauses = []
    for c in split_top(part, "，,；;"):
        items = split_top(c, "、")
        lead = []
        while (
            len(items) > 1
            and (_is_street_item(items[0]) or _is_place_item(items[0]))
            and _is_bound_clause("、".join(items[1:]))
        ):
            # 沿河路（西侧）、X路以东 / 壆岗社区、西荟城、新沙路以南的万科: the leading
            # qualified street or whole place is an item of its own, not a side of the box
            lead.append(items.pop(0))
        clauses.extend(lead + ["、".join(items)] if lead else [c])
    bound_clauses = [c for c in clauses if _is_bound_clause(c) and not _unit_side_list(c)]
    if bound_clauses:
        last = max(i for i, c in enumerate(clauses) if c in bound_clauses)
        excluded: list[str] = []
        includes: list[str] = []
        rest, said = [], list(bound_clauses)
        for i, c in enumerate(clauses):
            if c in bound_clauses:
                continue
            names = parse_exclusion(c) if i > last else None
            inc = PATTERNS["include"].match(c.strip()) if i > last else None
            if names:  # ，不含X、Y after the box belongs to it
                excluded.extend(names)
                said.append(c)
            elif inc:  # ，含X、Y: names inside the box, kept as checks
                includes.extend(split_includes(f"_，{c}")[1])
                said.append(c)
            else:
                rest.append(c)
        text, more = split_exclusions("，".join(bound_clauses))
        text, bracketed = split_includes(text)
        includes.extend(bracketed)
        excluded = list(dict.fromkeys(more + excluded))
        within = None
        tm = PATTERNS["township_prefix"].match(bound_clauses[0])
        if tm and tm["rest"] and not re.search(r"以[东南西北]", tm["town"]):
            within = tm["town"]
            text = text[len(tm["town"]) :]
        um = UNIT_BEFORE_SIDE.match(text)
        if um:  # 杨家墩社区西江塘以北区域: that side of the community (not a street so named)
            within = um["unit"]
            text = text[len(um["unit"]) :]
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
            if includes:
                piece["includes"] = includes
            wm = re.search(
                rf"以[东南西北](?:的)?(?P<town>(?:(?!以|的)[{CN}]){{2,8}}?(?:街道|镇|乡|苏木))"
                r"(?:区域|范围|辖区)",
                text,
            )
            if (
                wm and not piece["within"] and not re.match(r"^除", text)
            ):  # 石祥路以北祥符街道区域: the box lies in that town
                piece["within"] = wm["town"]
            negated = bool(re.match(r"^除", text))
            objects = [[] if negated else _bound_object(c) for c in bound_clauses]
            if any(o is None or o for o in objects):
                # 新沙路以北的万科 / A路以东，B路以北的东关村: that side of the place, not the
                # whole land beyond the street (digitise cuts from it, or says why it can't);
                # A以东的甲村，B以南的乙村: one piece per place
                runs, cur = [], []
                for c, o in zip(bound_clauses, objects, strict=True):
                    cur.append(c)
                    if o is None or o:
                        runs.append((cur, o))
                        cur = []
                if cur or any(o is None for _, o in runs):
                    left.append("，".join(said))  # sides after the last place, or no place
                else:
                    for clauses_of, places in runs:
                        got = bounds if len(runs) == 1 else parse_bounds("，".join(clauses_of))
                        if not got:
                            left.append("，".join(clauses_of))
                            continue
                        for place in places:
                            one = {**piece, "within": place, "bounds": got}
                            if len(runs) > 1:
                                one["text"] = "，".join(clauses_of)
                            pieces.append(one)
                piece = None
            if piece is not None and negated and re.search(r"以外|之外", text):
                piece["negate"] = True
                om = re.search(
                    rf"(?:以外|之外)的?(?P<town>[{CN}]{{2,8}}?(?:街道|镇|乡|苏木|社区|村))", text
                )
                if om and not piece["within"]:  # 除…以外的临江街道区域
                    piece["within"] = om["town"]
            if piece is not None:
                pieces.append(piece)
        else:  # side words but no street read: say so
            left.append("，".join(said))
        for clause in rest:
            p, lf = item_list(clause, ctx, town)
            pieces.extend(p)
            left.extend(lf)
        return pieces, left
    return item_list(part, ctx, town)


_DESCRIPTION = re.compile(r"楼盘|开发|建设|商住|商品房|范围|区域|住户|居民|村民|子女|户籍")


def _limits_only(clauses: list[str]) -> bool:
    """Whether every clause is a side limit and at least three sides are named."""
    got = parse_limits("，".join(clauses))
    return bool(
        got and len(got[0]) >= 3 and all(PATTERNS["limit"].match(c.strip()) for c in clauses)
    )


_LABEL = re.compile(rf"^(?P<label>[{CN}]{{2,12}})[:：]\s*(?P<rest>\S.*)$")
_GENERIC_LABEL = re.compile(
    r"(?:学校所在|本校|学校)?(?:代招|招生|划片|学区|施教区?|服务区|教育服务区)?(?:服务)?范围|学区|片区|区域"
    r"|(?:四至|四界|界址|边界|界限)(?:范围)?"
    rf"|{CONTAINS_LABEL}"
)
"""A label before a list that names no place (招生范围：…, 其中包含小区：东方海岸、光明府…)."""
_AND_BOX = re.compile(
    r"(?:(?:(?<=区域)|(?<=范围)|(?<=片区)|(?<=区块))[，,；;]?\s*(?:以及|及|和|另外?|还有)"
    r"|[，,；;]\s*(?:以及|另外?|还有))\s*"  # never ，和… (和平路以东 is a street)
    r"(?=[^，,；;、]{2,}?以[东南西北])"
)


def _split_top_re(text: str, pattern: re.Pattern) -> list[str]:
    """``pattern.split(text)`` at bracket depth 0 only (a note in brackets stays whole).

    >>> _split_top_re("甲区域以及乙路以东（丙区域和丁路以西）", _AND_BOX)
    ['甲区域', '乙路以东（丙区域和丁路以西）']
    """
    masked, depth = [], 0
    for ch in text:
        if ch in "（(【[":
            depth += 1
        masked.append(ch if depth == 0 else "＿")
        if ch in "）)】]" and depth:
            depth -= 1
    out, at = [], 0
    for m in pattern.finditer("".join(masked)):
        out.append(text[at : m.start()])
        at = m.end()
    return [*out, text[at:]]


_LIMIT_START = re.compile(r"(?:^|[（(])\s*(?:[东南西北](?:至|以|起|从|自|到|侧)|沿|至|到|往|向)")
_AREA_WORDS = r"(?:区域|范围|地区|辖区|片区|区块|一带|部分|地块|地段|街区|城区)"
_GENERIC_HEAD = re.compile(
    rf"^(?:的|之)?(?:三角)?(?:(?:所?围合|合围|所?围成)的?)?(?:{_AREA_WORDS}(?:内|以内)?(?:的)?)?"
)
_EXTENT = re.compile(r"^(?:直?至|到|延伸至)")  # 以西至海边: how far the side runs, not a place
_NOTE = re.compile(r"可报|报名|就读|入学|招生|划入|对口|除外|不含|不包括")  # a note, not a place
# after a side, who-words end the place and take what follows (…的户籍生及符合条件的随迁子女)
_WHO_AFTER = re.compile(
    rf"(?:的)?(?:本地|本区|本市|本县)?(?:户籍|常住|流动|居住)?{WHO_WORDS}(?:[^东南西北]*)$"
)
_GENERIC_TAIL = re.compile(
    rf"(?:的)?(?:所有|全部|整个)?(?:所?围合|合围|所?围成|围起)?(?:的)?(?:所辖|管辖|所属)?"
    rf"(?:{_AREA_WORDS}|住宅区?)*(?:内|以内)?$"
)
_EACH = re.compile(r"各(?:村民小组|村组|组|村|社区|小区)$")
_KINDS_ONLY = re.compile(
    r"(?:(?:住宅小区|居民小区|小区|社区|村|组|村组|村民小组|居民区|住宅区|住宅|股份经济合作社|"
    r"经济合作社|单位|企业|楼盘|商品房)"
    r"[、和及与]?)+"
)
_PLACE = re.compile(rf"[{CN}][{CN}A-Za-z0-9·]{{1,19}}")
# 和/及/与 join two names only after a place word (和平社区 is one name)
_JOINED_NAMES = re.compile(r"(?<=[村区苑园府城庭组社院楼轩邸寓厦])(?:和|及|与)")


def _bound_object(clause: str) -> list[str] | None:
    """The places a side clause qualifies after its last ``以东/以南…``.

    ``[]`` when it qualifies no place (``…以北区域``, ``…以北拱墅区域内``: the district
    itself, ``…以南区域的小区、社区``); a list of names (``新沙路以北的万科`` → ``['万科']``,
    ``…以东的日晖新村、建工新村住宅区`` → both); None when the words after the side name no
    place that can be read (``以西2-172号``): the caller reports the clause.

    >>> _bound_object("新沙路以北的万科"), _bound_object("解放路以南的区域")
    (['万科'], [])
    >>> _bound_object("石祥路以北祥符街道区域"), _bound_object("运河以西拱墅区域内户籍适龄儿童")
    (['祥符街道'], [])
    >>> _bound_object("马塍路以东的日晖新村、建工新村住宅区"), _bound_object("成绵高架以北海滨各村组")
    (['日晖新村', '建工新村'], ['海滨'])
    >>> _bound_object("一环路东二段以西2-172号") is None, _bound_object("人民路以东（含）")
    (True, [])
    >>> _bound_object("解放路以东的和平社区"), _bound_object("甲路以北的东关村和西关村")
    (['和平社区'], ['东关村', '西关村'])
    """
    head, _ = _paren_split(clause)
    sides = list(re.finditer(r"以[东南西北]", head))
    if not sides:
        return []
    rest = head[sides[-1].end() :].strip("，,、；;。 ")
    rest = _GENERIC_HEAD.sub("", rest, count=1)
    if _EXTENT.match(rest) or _NOTE.search(rest):
        return []
    rest = _WHO_AFTER.sub("", rest)
    rest = _GENERIC_TAIL.sub("", rest).strip("，,、；;。 ")
    if not rest or _KINDS_ONLY.fullmatch(rest):
        return []
    places = []
    for name in (n for part in rest.split("、") for n in _JOINED_NAMES.split(part)):
        name = _GENERIC_TAIL.sub("", _EACH.sub("", name.strip()))
        if not name:
            continue
        if not _PLACE.fullmatch(name):
            return None
        if name in district_names() or re.sub(r"所辖$", "", name) in district_names():
            continue  # 拱墅区域 / 宝安所辖区域: the district the text is about
        places.append(name)
    return places


_PLACE_SUFFIX = re.compile(
    r"(?:社区|村|小区|新村|花园|家园|公寓|大厦|广场|苑|庭|府|园|城|居委会|村委会|组)$"
)


def _is_place_item(item: str) -> bool:
    """A whole named place (壆岗社区, 西荟城), not a street: no side words, a place suffix,
    and not a street name (``_is_place_item("新沙路")`` is False).

    >>> _is_place_item("壆岗社区"), _is_place_item("西荟城"), _is_place_item("新沙路")
    (True, True, False)
    """
    item = item.strip()
    if re.search(r"以[东南西北]|[（(]", item) or not _PLACE.fullmatch(item):
        return False
    sm = PATTERNS["street_name"].match(item)
    return bool(_PLACE_SUFFIX.search(item)) and not (sm and not sm["rest"])


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


def _unit_side_list(clause: str) -> bool:
    """A list whose first item is a side of its own community or village and whose other
    items have no side (山阴街社区浦阳江以南区块（含…）、新港村): a list of items, read one by
    one, not a side qualifying the places after it.

    >>> _unit_side_list("山阴街社区浦阳江以南区块、新港村"), _unit_side_list("新沙路以北的万科、东塘")
    (True, False)
    """
    items = split_top(clause, "、")
    return (
        len(items) > 1
        and bool(UNIT_BEFORE_SIDE.match(items[0].strip()))
        and not any(re.search(r"以[东南西北]", x) for x in items[1:])
    )


def _is_bound_clause(clause: str) -> bool:
    head, _ = _paren_split(clause)
    return bool(re.search(r"以[东南西北](?:$|的|区域|范围|地区|[-—、，]|[^东南西北]{0,12}$)", head))
