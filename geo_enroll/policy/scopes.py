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

from .document import ParseContext
from .grammar import (
    CN,
    PATTERNS,
    _paren_split,
    group_lists,
    numbered_areas,
    parse_bounds,
    parse_enclosed,
    parse_exclusion,
    parse_limits,
    parse_ring,
    split_exclusions,
    split_includes,
    split_top,
    walked_edge_reason,
)
from .items import item_list

__all__ = ["scope_pieces"]


def scope_pieces(
    scope: str, ctx: ParseContext, town: str | None = None
) -> tuple[list[dict], list[str]]:
    """Split a scope into pieces (units, limits, compounds, bounds, street lists).

    Returns (pieces, fragments not understood).
    """
    pieces, left = [], []
    scope = numbered_areas(group_lists(scope.strip().strip("。；;，,")))
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
        pieces.extend(p)
        left.extend(lf)
        for piece in p:  # township context carries over to later parts
            if piece.get("town"):
                town = piece["town"]
    return pieces, left


def _part_pieces(part: str, ctx: ParseContext, town: str | None) -> tuple[list[dict], list[str]]:
    """Pieces of one part of a scope: limits, an enclosed area, bounds, or an item list.

    Exclusions (（不含X）, (除X), ，不含X, X除外) are read the same way for every kind
    (:func:`~geo_enroll.policy.grammar.split_exclusions`).
    """
    pieces: list[dict] = []
    left: list[str] = []
    # four-sided limits for the whole part
    if PATTERNS["limit"].match(part):
        head, excluded = split_exclusions(part)
        head, includes = split_includes(head)
        got = parse_limits(head)
        if got:
            limits, inner = got
            piece = {
                "type": "limits",
                "within": town,
                "limits": limits,
                "exclude": list(dict.fromkeys(inner + excluded)),
                "text": part,
            }
            if includes:
                piece["includes"] = includes
            pieces.append(piece)
            return pieces, left
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
        # turns the same way twice is no box: it stays a walked boundary, reported)
        part = "，".join(steps)
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
    if walked_edge_reason(part):  # 东起…沿…至… / A→B→C以北: an edge, not a ring: reported
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
            if re.match(r"^除", text) and re.search(r"以外|之外", text):
                piece["negate"] = True
                om = re.search(
                    rf"(?:以外|之外)的?(?P<town>[{CN}]{{2,8}}?(?:街道|镇|乡|苏木|社区|村))", text
                )
                if om and not piece["within"]:  # 除…以外的临江街道区域
                    piece["within"] = om["town"]
            pieces.append(piece)
        else:  # side words but no street read: say so
            left.append("，".join(said))
        for clause in rest:
            p, lf = item_list(clause, ctx, town)
            pieces.extend(p)
            left.extend(lf)
        return pieces, left
    return item_list(part, ctx, town)


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
