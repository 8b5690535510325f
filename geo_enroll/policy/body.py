"""Body text: admission sentences (X学校招收…) and school headings with 划片范围 blocks.

The body is read line by line, skipping table lines; headings set the section (its level, and
whether it is the zoning section), sentences naming a school and its scope add zones, and
sentences of the zoning section that produce no rule go to ``unparsed``.

>>> ctx = ParseContext(county=None)
>>> parse_body(["一、招生范围", "1.第一小学招收城关镇户籍适龄儿童。"], set(), ctx, [])
>>> ctx.schools[0]["name"], ctx.schools[0]["zones"][0]["kind"]
('第一小学', 'admin_units')
"""

from __future__ import annotations

import re

from .clauses import _places_choose, extra_zones
from .districts import district_of_title
from .document import (
    LEVEL_WORDS,
    ParseContext,
    doc_level,
    level_words,
    sentences,
    simplified,
    source_ref,
)
from .feeders import feeder_sentence
from .grammar import CN, PATTERNS, parse_exclusion, split_top, strip_ordinal
from .multi_school import area_line, area_title, close_area, is_multi_area, multi_area
from .schools import add_school, level_of, match_school
from .scopes import scope_pieces
from .zones import pieces_to_zones

__all__ = ["parse_body"]


def _body_clause(
    school: dict,
    scope_text: str,
    sentence: str,
    line: int,
    ctx: ParseContext,
    pending: list,
    basis: str = "hukou",
) -> None:
    src = source_ref(sentence, line)
    scope_text = scope_text.lstrip("：: ")  # 招收：青石路… (a colon after the verb)
    scope_text, options = _options_out(scope_text, ctx)
    tail = PATTERNS["scope_tail"].search(scope_text)
    rest = ""
    if tail:
        scope, rest = scope_text[: tail.start()], scope_text[tail.end() :]
    else:
        scope = scope_text
    scope = re.sub(r"(?:户籍|的)+$", "", scope.strip())
    scope = _WHO_BEFORE.sub("", _WHO_AFTER.sub("", scope))  # 居住在东关村 / 东关村户籍和实际居住
    same = PATTERNS["same_zone"].match(scope_text.strip().rstrip("。；;，, "))
    if same and not same["school"]:  # 第三小学：与第一小学同学区招生 — the other's zone, later
        pending.append(("same_zone", same["of"] or same["of2"] or same["of3"], None, src, school))
        return
    # a trailing "…或者/以及 <clause>" belongs to the extras
    pieces, left = scope_pieces(scope, ctx)
    zones = pieces_to_zones(pieces, src, ctx, basis=basis)
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
    for clause in [*split_top(rest, "，,"), *options]:
        clause = clause.strip()
        if not clause:
            continue
        more = _more_places(clause, ctx)
        if more:  # …的适龄儿童，以及南关村1、2组: more places of the same school
            school["zones"].extend(pieces_to_zones(more, src, ctx, basis=basis))
            continue
        if extra_zones(clause, sentence, line, school, ctx, pending):
            continue
        other = _places_to_school(clause)
        if other:  # …，南关村的适龄儿童到第二小学就读: another school's places
            to = add_school(other["school"], level_of(other["school"], None), ctx)
            _body_clause(to, other["scope"], sentence, line, ctx, pending, basis=basis)
            continue
        if re.search(rf"[{CN}]{{4,}}", clause) and not PATTERNS["scope_tail"].fullmatch(clause):
            ctx.unparsed.append(
                {"text": clause, "line": line, "reason": "子句未生成规则 clause produced no rule"}
            )
    if not zones and not left:
        ctx.unparsed.append({**src, "reason": "学校没有可识别的范围 no recognisable scope"})


def _options_out(scope_text: str, ctx: ParseContext) -> tuple[str, list[str]]:
    """The scope without its clauses that give an option at a school (…菜园村，千斤沟镇的适龄
    儿童也可以选择第三小学 / …可自愿选择到第二小学就读): those places are not this school's
    zone (before, 千斤沟镇 became part of the scope, the option reported).  Returns (scope,
    option clauses), the clauses read afterwards as any clause after the scope is."""
    parts = split_top(scope_text, "，,；;")
    for k, part in enumerate(parts):
        choice = PATTERNS["alternative_choice"].search(part)
        if k and (PATTERNS["alternative"].search(part) or (choice and _places_choose(choice, ctx))):
            return "，".join(parts[:k]), parts[k:]
    return scope_text, []


def _places_to_school(s: str) -> dict | None:
    """东关村、西关村的适龄儿童到第一小学就读 (划归… / 由…招收): the school and its scope, as
    ``school_admits`` gives them, when the places come first — not an option (也可到…), and
    the places not themselves a school (第一小学毕业生升入…: a feeder)."""
    m = PATTERNS["places_to_school"].match(s)
    if not m or re.search(rf"{_SCHOOL_WORD}|可|自主|自愿|选择|毕业", s[: m.start("school")]):
        return None
    if re.search(r"到|进入|由|的|儿童|学生|之间|区域", m["school"]):  # the name ran over the verb
        return None
    return {"school": m["school"], "scope": m["scope"]}


_SCHOOL_WORD = r"小学|中学|初中|学校"
_WHO_BEFORE = re.compile(
    r"^(?:(?:户籍|户口|家庭住址|居住地?|现居住|实际居住|常住)(?:地)?(?:在|于|为)|(?:家住|现住)(?:在|于)?)"
    r"(?=\S{2,})"
)
"""户籍在东关村 / 居住在东关村的适龄儿童: who, then the place (the place is the zone)."""
_WHO_AFTER = re.compile(
    r"(?<=\S{2})(?:的)?(?:户籍|户口)(?:和|及|或|与|、|以及)"
    r"(?:在本村)?(?:实际居住|居住|常住|现居住|持有居住证|持居住证|居住证持有人"
    r"|在(?:上述|以上|本|该)?[^，,、；;。（）()]{0,6}?(?:购房|购买住房|有房产|有住房))[^，,、；;。（）()]*$"
)
"""东关村户籍和实际居住的 / 东关村户籍及居住证持有人子女: who of the place before."""


def _joined_limits(parts: list[str]) -> list[str]:
    """Limits written one per sentence (东至东大桥；南至察哈尔街；西至民生路；北至光明大街) are one
    box: a run of sentences, each a side limit after a sentence ending in one, is joined when
    the run names at least three sides, none twice (北至A，东至B；西至C、北至D: two boxes).

    >>> _joined_limits(["第一小学：东至东大桥", "南至察哈尔街", "西至民生路", "北至光明大街"])
    ['第一小学：东至东大桥，南至察哈尔街，西至民生路，北至光明大街']
    >>> _joined_limits(["第一小学：东关村", "南至察哈尔街"])
    ['第一小学：东关村', '南至察哈尔街']
    >>> _joined_limits(["甲小学：北至A路，东至B路", "西至C路、北至D路"])
    ['甲小学：北至A路，东至B路', '西至C路、北至D路']
    """
    out: list[str] = []
    k = 0
    while k < len(parts):
        sides = _limit_sides(parts[k], head=True)
        j = k + 1
        while sides and j < len(parts):
            more = _limit_sides(parts[j])
            if not more or set(more) & set(sides) or len(set(more)) < len(more):
                break
            sides += more
            j += 1
        if j > k + 1 and len(set(sides)) >= 3 and len(set(sides)) == len(sides):
            joined = "，".join(p.strip().rstrip("；;。 ") for p in parts[k:j])
            out.append(joined)
        else:
            out.extend(parts[k:j])
        k = j
    return out


def _limit_sides(part: str, head: bool = False) -> list[str]:
    """The sides named by a sentence made of side limits only (its school's colon dropped when
    ``head``); [] when any clause is not a limit (for ``head``: its last clause must be)."""
    body = strip_ordinal(part).strip().rstrip("；;。 ")
    if head:
        body = re.sub(r"^[^：:，,]{2,40}?[：:](?=.{4})", "", body)
    clauses = [strip_ordinal(c).strip() for c in split_top(body, "，,、") if c.strip()]
    found = [PATTERNS["limit"].match(c) for c in clauses]
    if head:
        tail = []
        for m in reversed(found):  # the limits the sentence ends with
            if not m:
                break
            tail.append(m["dir"])
        return tail[::-1]
    return [m["dir"] for m in found] if found and all(found) else []


def _school_clauses(sentence: str) -> list[str]:
    """A sentence of several schools' clauses joined by commas (第一小学招收东关村适龄儿童，第二小学
    招收南关村适龄儿童 / 东关村适龄儿童到第一小学就读，南关村适龄儿童到第二小学就读): one clause
    per school, each read as a sentence; anything else stays whole.

    >>> _school_clauses("第一小学招收东关村，第二小学招收南关村")
    ['第一小学招收东关村', '第二小学招收南关村']
    >>> _school_clauses("第一小学招收东关村，南关村")
    ['第一小学招收东关村，南关村']
    """
    parts = split_top(sentence, "，,")
    if len(parts) < 2 or not _admits(parts[0]):
        return [sentence]
    out = [parts[0]]
    for part in parts[1:]:
        if _admits(part):
            out.append(part)
        else:
            out[-1] = f"{out[-1]}，{part}"
    return [x.strip() for x in out] if len(out) > 1 else [sentence]


def _admits(clause: str) -> bool:
    """A clause giving a school its places, school first (招收 / 招生范围为…) or places first
    (…到第一小学就读); a school's colon (第二小学：…) only after a whole clause."""
    m = PATTERNS["school_admits"].match(strip_ordinal(clause.strip()))
    if m and not re.search(r"[:：]", clause[: m.start("scope")]):
        return not re.match(r"^(?:各|每|所有|本|其他|该)", m["school"])
    return _places_to_school(strip_ordinal(clause.strip())) is not None


def _more_places(clause: str, ctx: ParseContext) -> list[dict]:
    """The places of a clause that goes on with the list after its 适龄儿童 (以及南关村1、2组, 还有
    东风村): pieces when every part is a place (no guessed compound), else none."""
    # not a bare 和: 和平社区的适龄儿童 is a place named 和平, not "and 平社区"
    m = re.match(r"^(?:以及|还有|另有|另外|同时)(?P<rest>\S.+)$", clause)
    if not m:
        return []
    tail = PATTERNS["scope_tail"].search(m["rest"])
    scope = m["rest"][: tail.start()] if tail and tail.end() >= len(m["rest"]) - 1 else m["rest"]
    pieces, left = scope_pieces(scope, ctx)
    if left or not pieces:
        return []
    if any(p["type"] == "compound" and not PATTERNS["compound"].match(p["name"]) for p in pieces):
        return []
    return pieces


def parse_body(lines: list[str], table_lines: set[int], ctx: ParseContext, pending: list) -> None:
    """Zones from the body text (every line not in a table) into ``ctx``.

    Alternatives and free choice are appended to ``pending`` (see :mod:`.clauses`).
    """
    section_level: str | None = None
    in_zoning = False
    heading_school: dict | None = None
    heading_level: str | None = None
    skip_block = False  # lines under a skipped (kindergarten) heading
    block_school: dict | None = None  # the school of the line above (X小学：…), until a blank
    for idx, raw in enumerate(lines, start=1):
        if idx in table_lines:
            continue
        line = raw.strip()
        if not line:
            block_school = None  # a blank line ends a school's block
            continue
        if line.startswith(("<!--", "---", ">", "|")):
            continue
        if skip_block and not line.startswith("#"):
            continue
        area = area_title(line)
        if area:  # ### 第一学区: a multi-school area, its schools and scope follow
            close_area(ctx, section_level)
            ctx.area = {"name": area, "scope": [], "labels": [], "sources": [source_ref(line, idx)]}
            heading_school = block_school = None
            in_zoning = True
            continue
        if ctx.area is not None and area_line(strip_ordinal(line), line, idx, ctx):
            continue
        titled = _school_title(line)
        if titled or line.startswith("#") or PATTERNS["heading"].match(line):
            close_area(ctx, section_level)
        if titled:  # （三）某某小学 / 3、某某小学 / **某某小学** / 某某國中（313501）
            heading_school = add_school(
                titled, level_of(titled, section_level), ctx, district=ctx.district_at(idx)
            )
            ctx.current = heading_school
            in_zoning = True
            continue
        hm = PATTERNS["heading"].match(line)
        md = line.startswith("#")
        if (hm and len(line) < 40) or md:
            title = hm["title"] if hm else line.lstrip("#").strip()
            title = level_words(title)  # Traditional / Taiwan words read as mainland ones
            if hm and not md:
                heading_school = None
            if "附件" in title:
                in_zoning = False
            if PATTERNS["zoning_heading"].search(title):
                in_zoning = True
                section_level = next((lv for w, lv in LEVEL_WORDS if w in title), None)
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
                            **source_ref(line, idx),
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
                    heading_level = doc_level(lines) or None
                    heading_school = add_school(
                        name, level_of(name, heading_level), ctx, district=ctx.district_at(idx)
                    )
                    ctx.current = heading_school
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
        if heading_school is not None and _labelled_zone(heading_school, body, line, idx, ctx):
            continue
        if heading_school is not None and (
            lm
            or raw.lstrip().startswith(("-", "*"))
            or (_bare_list(body) and not PATTERNS["school_admits"].match(body))
        ):
            scope = lm["scope"] if lm else body
            basis = "migrant" if lm and "随迁" in lm["label"] else "hukou"
            _heading_scope(heading_school, scope, line, idx, ctx, basis)
            continue
        if block_school is not None and _continues(raw, body):
            # 杭州市某小学：1.东至…  ⏎  2.马塍路24、26号。 — the next part of the same scope
            _heading_scope(block_school, body, line, idx, ctx, "hukou")
            continue
        note = _SCHOOL_NOTE.match(raw.strip())
        if note and ctx.current is not None:  # - 学区类型：共享学区 / - 办学性质：民办
            shared = re.search(r"共享|分享|共同", note["value"])
            marked = note["key"] == "学区类型" and re.match(r"共享学区|共同学区", note["value"])
            if marked:  # schools whose identical catchment text is marked shared: linked later
                ctx.current.setdefault("_shared_catchment", []).append(source_ref(line, idx))
            seats = shared_seats(note["value"])
            typed = ctx.current.pop("_sharing_type", None) if seats else None  # its 学区类型 line
            for name in seats:  # 可分享【A、B】学位: this zone's children may also go to A or B
                pending.append(("shares_seats", name, typed, source_ref(line, idx), ctx.current))
            if not seats and note["key"] == "学区类型" and note["value"].startswith("分享学区"):
                # the schools are in its 备注: reported at the end if none names them
                ctx.current.setdefault("_sharing_type", source_ref(line, idx))
                continue
            if marked or seats:
                continue
            ctx.unparsed.append(
                {
                    **source_ref(line, idx),
                    "reason": f"学校附注，未作规则 school note on {ctx.current['name']}, not a rule"
                    + (
                        "（共享学区的学校未互相关联 schools sharing a catchment are not linked）"
                        if shared
                        else ""
                    ),
                }
            )
            continue
        block_school = None
        line_school = None  # the school an earlier sentence of this line admits to
        for sentence in [c for x in _joined_limits(sentences(line)) for c in _school_clauses(x)]:
            s = strip_ordinal(sentence)
            if multi_area(s, sentence, idx, ctx):
                continue
            if line_school is not None and _continuation(line_school, s, sentence, idx, ctx):
                continue
            if feeder_sentence(s, sentence, idx, line_school or heading_school or ctx.current, ctx):
                continue
            district = ctx.district_at(idx)
            label = re.match(r"^(?P<d>[^：:，,]{2,10})[：:](?P<rest>.+)$", s)
            if (
                label
                and district_of_title(label["d"]) == label["d"]
                and PATTERNS["school_admits"].match(label["rest"])
            ):  # 东区：大同小学招收… — the district this sentence's school is in
                district, s = label["d"], label["rest"]
            mm = PATTERNS["school_migrant_scope"].match(s)
            if mm:  # X小学随迁子女教育服务区：…
                school = add_school(
                    mm["school"],
                    level_of(mm["school"], section_level),
                    ctx,
                    district=district,
                )
                _body_clause(school, mm["scope"], sentence, idx, ctx, pending, basis="migrant")
                heading_school = None
                continue
            pm = _SCHOOL_PART.match(s)
            base = line_school or block_school
            if pm and base is not None:  # 初中部招收…: the other part of the line's school
                s = f"{_PART_OF.sub('', base['name'])}（{pm['part']}）招收{pm['scope']}"
            m = PATTERNS["school_admits"].match(s) or _places_to_school(s) or _school_in_parens(s)
            part = _SCHOOL_PART.match(m["scope"]) if m else None
            if part:  # 实验学校：小学部招收…；初中部招收…: one school per part, each its level
                m = {"school": f"{m['school']}（{part['part']}）", "scope": part["scope"]}
            if m and ctx.area is not None:  # a school line: the "area" was a grouping title
                close_area(ctx, section_level)
            if m and not re.match(r"^(?:各|每|所有|本|其他)", m["school"]):
                name = m["school"]
                level = level_of(name, None if _PART_OF.search(name) else section_level)
                school = add_school(name, level, ctx, district=district)
                _body_clause(school, m["scope"], sentence, idx, ctx, pending)
                heading_school = None
                line_school = ctx.current = block_school = school
                continue
            produced = False
            for clause in split_top(s, "，,"):
                if extra_zones(clause, sentence, idx, _last_school(ctx), ctx, pending):
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
                        **source_ref(sentence, idx),
                        "reason": "招生范围一节中未生成规则的句子 zoning-section sentence"
                        " produced no rule",
                    }
                )
    close_area(ctx, section_level)


_SCHOOL_PART = re.compile(
    r"^(?P<part>小学部|初中部|中学部)(?:招收|招生范围为?[:：]?|划片范围为?[:：]?|服务范围为?[:：]?"
    r"|学区范围为?[:：]?|[:：])(?P<scope>\S.*)$"
)
"""小学部招收东关村适龄儿童 under 实验学校: that part of a nine-year school (实验学校（小学部）)."""
_PART_OF = re.compile(r"[（(]?(?:小学部|初中部|中学部)[）)]?$")


_COMPOUNDS_LABEL = re.compile(
    r"^(?:其中)?(?:(?:包含|包括|含有?)(?:的)?|主要(?:的)?)(?:小区|住宅小区|楼盘)(?:有|包括|为)?[:：]"
)
"""A later sentence that lists compounds as such (其中包含小区：…): its names are no guess."""


_ONLY_SCHOOLS = re.compile(
    r"(?:仅|只)(?:可|能)(?:报|报读|报名|选择|就读|入读)(?:于|到)?(?P<names>\S+?)(?:就读)?$"
)


def _continuation(school: dict, s: str, sentence: str, line: int, ctx: ParseContext) -> bool:
    """``X小学：A…；B…所围成的区域``: a later sentence of the line that is itself a scope
    (every piece understood) continues the school's zone list."""
    if PATTERNS["property_rule"].search(s) or PATTERNS["alternative"].search(s):
        return False
    if PATTERNS["school_admits"].match(s) or _places_to_school(s):  # another school's sentence
        return False  # (善化区大同小学招收… / 南关村的适龄儿童到第二小学就读)
    only = _ONLY_SCHOOLS.search(s)
    if only:  # …西乡大道以南的区域仅可报西乡实验学校（初中部）: this school's only if named
        named = [match_school(n, ctx.schools) for n in split_top(only["names"], "和或、及与")]
        if not any(x is school for x in named):
            return False  # another school's (reported), never this one's zone
        s = s[: only.start()]
    if re.search(
        rf"就读|入学|报名|报读|招收|不得|不可|可到|可去|(?:到|去|进入|入读)(?:{_SCHOOL_WORD})", s
    ):
        return False  # 南关村适龄儿童可到第二小学就读: a sentence about going somewhere, no list
    names = parse_exclusion(s)
    if names and school["zones"]:  # …北至欧亚三路，含赵村；不含福利院 — the last rule's exclusion
        last = school["zones"][-1]
        target = last["units"][-1] if last.get("units") else last
        target["exclude"] = list(dict.fromkeys([*(target.get("exclude") or []), *names]))
        last.setdefault("also_sources", [])
        if source_ref(sentence, line) not in [last["source"], *last["also_sources"]]:
            last["also_sources"].append(source_ref(sentence, line))
        if not last["also_sources"]:
            del last["also_sources"]
        return True
    pieces, left = scope_pieces(s, ctx)
    declared = _COMPOUNDS_LABEL.match(s)  # 其中包含小区：东方海岸、光明府…: named as compounds
    units = _UNITS_LABEL.match(s)  # 主要社区有：楼岗、山门社区: bare names are communities
    if units and pieces:
        pieces = [_as_unit(p, units["kind"]) for p in pieces]
    if (
        not pieces
        or left
        # a compound is a guess at a name, except a numbered area (（2）73和74区中的区域)
        or not declared
        and any(
            p["type"] == "compound"
            and not re.fullmatch(r"\d+区", p["name"])
            and not PATTERNS["compound"].match(p["name"])  # 金域三江小区: named as a compound
            for p in pieces
        )
    ):
        return False
    if declared:  # 主要小区有：联投东方华府（1、2期）: a compound and its phases, not a unit's part
        pieces = [_as_compound(p) for p in pieces]
    school["zones"].extend(pieces_to_zones(pieces, source_ref(sentence, line), ctx))
    return True


_UNITS_LABEL = re.compile(
    r"^(?:其中)?主要(?:的)?(?P<kind>社区|村庄?|村居|居委会?)(?:有|包括|为)[:：]"
)
"""A later sentence that lists communities or villages as such (主要社区有：楼岗，山门社区)."""


def _as_unit(piece: dict, kind: str) -> dict:
    """A piece of a list declared as communities or villages: a bare name read as a guessed
    compound (楼岗) is the unit of that name with the declared suffix (楼岗社区)."""
    if piece.get("type") != "compound" or PATTERNS["compound"].match(piece.get("name") or ""):
        return piece
    name = piece["name"]
    suffix = "社区" if kind in ("社区", "村居", "居委", "居委会") else "村"
    if not name.endswith(("社区", "村", "居委会")):
        name += suffix
    return {"type": "unit", "name": name, "town": piece.get("town"), "text": piece.get("text")}


def _as_compound(piece: dict) -> dict:
    """A piece of a list declared as compounds: a unit read from a name (with a bracketed
    part: 联投东方华府（1、2期）) is the compound of that name, the part kept as written."""
    if piece.get("type") != "unit" or piece.get("group") or not piece.get("name"):
        return piece
    name = piece["name"] + (f"（{piece['sub_area']}）" if piece.get("sub_area") else "")
    text = piece.get("text") or name
    return {
        "type": "compound",
        "name": name,
        "within": None,
        "town": piece.get("town"),
        "text": text,
    }


def _heading_scope(
    school: dict, scope: str, line: str, idx: int, ctx: ParseContext, basis: str
) -> None:
    src = source_ref(line, idx)
    tail = PATTERNS["scope_tail"].search(scope)
    if tail and tail.end() >= len(scope) - 2:
        scope = scope[: tail.start()]
    pieces, left = scope_pieces(scope, ctx)
    zones = pieces_to_zones(pieces, src, ctx, basis=basis)
    for z in zones:
        if basis == "migrant" and z["kind"] != "admin_units":
            z["basis"] = basis
    school["zones"].extend(zones)
    for frag in left:
        ctx.unparsed.append(
            {"text": frag, "line": idx, "reason": "范围片段未能解析 scope fragment not understood"}
        )


_FACT_PATTERNS = ("age_cutoff", "hukou_migration", "seat_plan", "class_cap", "class_cap_pair")


def _is_fact(sentence: str) -> bool:
    """A sentence read by :mod:`.facts` (age cutoff, seats…): not a zoning leftover."""
    return any(PATTERNS[name].search(sentence) for name in _FACT_PATTERNS)


def _last_school(ctx: ParseContext) -> dict | None:
    return ctx.schools[-1] if ctx.schools else None


_TITLE_SUFFIX = (
    r"(?:小学|中学|初中|学校|小学部|初中部|分校|校区|国小|国中|国中部|国中小|附小|实小|实中|"
    r"初级中学|完全中学)"
)


_ANNOUNCEMENT = re.compile(
    rf"^(?:[（(]\d+[）)]|\d+[.、．])?\s*(?:20\d\d年(?:度)?)?(?:[{CN}]{{1,8}}?[省市区县旗])*"
    rf"(?P<school>[{CN}](?:(?!年)[{CN}A-Za-z0-9（）()·]){{1,40}}?{_TITLE_SUFFIX}"
    r"(?:[（(][^）)]{1,16}[）)])?)"
    r"(?:20\d\d年)?(?:秋季)?(?:一年级|七年级|初一|小一)?(?:新生)?(?:入学)?"
    r"(?:登记|招生|划片|服务|报名)(?:范围|区域|片区)(?:公告|一览)?$"
)


def _school_title(line: str) -> str | None:
    """The school a line names and nothing else (a section title), or None.

    ``（三）某某小学``, ``3、某某小学``, ``**某某小学**``, ``某某小学（东区）：``, ``某某國中（313501）``
    (a trailing code is dropped); Markdown ``#`` headings are read by ``school_heading``.

    >>> _school_title("（三）城关小学"), _school_title("**城关第二小学（东区）**")
    ('城关小学', '城关第二小学（东区）')
    >>> _school_title("介壽國中（313501）"), _school_title("（三）贡宝拉格学校招生范围")
    ('介壽國中', None)
    """
    t = line.strip()
    if t.startswith(("#", "-", "|")) or len(t) > 60:
        return None
    ann = _ANNOUNCEMENT.match(simplified(t))
    if ann and re.search(r"20\d\d年|一年级|七年级|初一|小一|新生", t):
        # （05）2026年某区某小学一年级新生登记范围 (a year or a grade: an announcement title)
        return t[ann.start("school") : ann.end("school")]
    t = strip_ordinal(t) if not t.startswith("*") else t
    t = t.strip().strip("*").strip()
    t = re.sub(r"[（(]\s*\d{4,12}\s*[）)]$", "", t).rstrip("：: ").strip("*").strip()
    plain = simplified(t)
    if not re.fullmatch(
        rf"[{CN}A-Za-z0-9·]{{2,40}}?{_TITLE_SUFFIX}(?:[（(][^）)]{{1,16}}[）)])?", plain
    ):
        return None
    if re.search(r"招生|划片|范围|计划|一览|入学|工作|安排|学区|各|所有|全部|以下|如下", plain):
        return None
    return t


_PROSE = re.compile(
    r"招收|可以?|应当?|须|按照|报名|登记|核验|入学|就读|对口|儿童|学生|家长|监护人|如有|详见|注："
)


_SHARED_SEATS = re.compile(r"分享(?P<what>[^。；;]+?)(?:的)?(?:共享学区)?学位")
_SCHOOL_END = ("学校", "小学", "中学", "小学部", "初中部", "校区", "）", ")")


def shared_seats(note: str) -> list[str]:
    """The schools whose seats a school's zone may share, from a note (分享学区: 可分享X学位).

    Lists in 【】, joined by 、 和 与 及, alternatives by 或; a 和 inside a name (和一学校) is
    not a joint.

    >>> shared_seats("可分享【海旺学校和宝安中学（集团）小学部】共享学区学位")
    ['海旺学校', '宝安中学（集团）小学部']
    >>> shared_seats("分享【上合小学和孝德学校】或【凤岗小学、文汇学校（小学部）】学位")
    ['上合小学', '孝德学校', '凤岗小学', '文汇学校（小学部）']
    >>> shared_seats("可分享【和一学校小学部、茭塘小学】学位）")
    ['和一学校小学部', '茭塘小学']
    >>> shared_seats("共享学区（可分享固戍小学或【钟屋小学、航盛小学】共享学区学位）")
    ['固戍小学', '钟屋小学', '航盛小学']
    >>> shared_seats("可分享兴围小学和航星学校小学部的学位"), shared_seats("单享学区")
    (['兴围小学', '航星学校小学部'], [])
    """
    out: list[str] = []
    for m in _SHARED_SEATS.finditer(note):
        what = re.sub(r"^(?:学区)?\s*[【(（]?\s*可?分享", "", m["what"])
        for piece in re.split(r"[、，,]|或", what.replace("【", "、").replace("】", "、")):
            piece = piece.strip(" 　（(")
            start = 0
            for j in range(1, len(piece) - 1):  # 和/与/及 right after a school's name joins two
                if piece[j] in "和与及" and piece[start:j].endswith(_SCHOOL_END):
                    out.append(piece[start:j])
                    start = j + 1
            name = piece[start:]
            if name.endswith(_SCHOOL_END) and len(name) >= 4:
                out.append(name)
    return list(dict.fromkeys(out))


_SCHOOL_NOTE = re.compile(
    r"^[-*]\s*(?P<key>学区类型|备注|办学性质|数据年份|学校性质|学校类型|学段|学区说明)"
    r"(?:[（(]原文[)）])?\s*[:：]"
    r"\s*(?P<value>.*)$"
)


def _continues(raw: str, body: str) -> bool:
    """A line right under ``X小学：…`` that goes on with its scope (``2.马塍路24、26号``)."""
    if raw.lstrip().startswith(("-", "*", "[", "【", "#", "（注", "注")):
        return False
    if PATTERNS["school_admits"].match(body) or _school_title(body):
        return False
    if any(
        is_multi_area(x) or PATTERNS["same_zone"].match(x)
        for x in (strip_ordinal(y).strip().rstrip("。；;") for y in sentences(body))
    ):  # 东关村为第一小学、第二小学共同学区 / 第三小学与第一小学同学区: not this school's list
        return False
    if re.search(r"对口|直升", simplified(body)) or not _bare_list(body):
        return False
    # 第一中学接收… / 东关村划入第一小学学区 / 第一小学（东关村）: another school's line
    plain = simplified(strip_ordinal(body.strip())).rstrip("。；;")
    if _SCHOOL_VERB.match(plain) or _places_to_school(plain) or _school_in_parens(plain):
        return False
    # a numbered part ((2)罗租社区：龙眼山、罗租) may hold a colon; a bare line may not
    return bool(_NUMBERED.match(raw)) or not re.search(r"[:：]", body)


_NUMBERED = re.compile(r"^\s*(?:[（(]\d{1,2}[）)]|\d{1,2}[.．、](?!\d))")
_SCHOOL_VERB = re.compile(
    rf"^[{CN}]{{2,20}}?(?:小学|中学|初中|学校)(?:[（(][^）)]{{1,12}}[）)])?"
    r"(?:接收|录取|招收|招生|面向|划入|升入|(?:的)?(?:施教区|服务区|学区|招生范围)(?:范围)?(?:为|是|[:：]))"
)
_IN_PARENS = re.compile(
    rf"^(?P<school>[{CN}]{{2,30}}?(?:小学|中学|初中|学校))[（(](?P<scope>[^（）()]{{2,200}})[）)]$"
)


def _school_in_parens(s: str) -> dict | None:
    """第一小学（东关村、西关村）: a school and its places in brackets (not a campus or a former
    name: 第一小学（北校区） / （原第三小学）), as ``school_admits`` gives them; else None."""
    m = _IN_PARENS.match(s)
    if not m or re.search(r"校区|分校|[小初]学部|本部|^原|小学|中学|学校", m["scope"]):
        return None
    if not re.search(r"[、，,和及]|(?:村|社区|小区|镇|乡|街道|组|社|嘎查)$", m["scope"]):
        return None
    return {"school": m["school"], "scope": m["scope"]}


def _bare_list(body: str) -> bool:
    """A line under a school title that is a bare list of places (no verb, no prose)."""
    plain = simplified(body)
    return bool(re.search(rf"[{CN}]{{2,}}", plain)) and not _PROSE.search(plain)


_LABELLED = re.compile(
    r"^(?:[-*]\s*)?(?P<kind>基本学区|自由学区|共同学区|共享学区|分享学区)"
    r"(?:[（(](?P<area>[^）)]{1,12})[）)])?\s*[:：]\s*(?P<scope>.+)$"
)


def _labelled_zone(school: dict, body: str, line: str, idx: int, ctx: ParseContext) -> bool:
    """``基本學區（松山區）：介壽、東榮`` / ``自由學區…`` / ``共同學區（松山區）：復勢:中崙、介壽共同學區``.

    Villages of a district: basic (``admin_units``), free choice (``alternative``), or shared
    with the schools named after the colon (``multi_school``, linked once all are known).
    """
    from .tables import _village_units, shared_members

    m = _LABELLED.match(simplified(body))
    if not m:
        return False
    src = source_ref(line, idx)
    area = body[m.start("area") : m.end("area")] if m["area"] else ""
    scope = body[m.start("scope") :].strip().rstrip("。；;")
    members: list[str] = []
    if m["kind"] in ("共同学区", "共享学区", "分享学区"):
        head, sep, tail = _last_colon(scope)
        members = shared_members(tail if tail.endswith(("學區", "学区")) else f"共同学区：{tail}")
        if not sep or not members:
            ctx.unparsed.append(
                {**src, "reason": "共同学区未写明学校 shared zone names no schools"}
            )
            return True
        scope = head
    units, left = _village_units(scope, "", area)
    for frag in left:
        ctx.unparsed.append({**src, "text": frag, "reason": "学区单元未能解析 unit not understood"})
    if not units:
        return True
    if members:
        ctx.shared.append(
            {
                "labels": members,
                "level": school["level"],
                "zone": {
                    "kind": "multi_school",
                    "units": units,
                    "basis": "hukou",
                    "multi_school": True,
                    "source": src,
                    "fragment": body,
                },
            }
        )
        return True
    free = m["kind"] == "自由学区"
    zone = {"kind": "alternative" if free else "admin_units", "units": units, "source": src}
    if not free:
        zone["basis"] = "hukou"
    zone["fragment"] = body
    school["zones"].append(zone)
    return True


def _last_colon(text: str) -> tuple[str, str, str]:
    """Split at the last top-level colon (villages before it, schools after)."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch in "）)":
            depth += 1
        elif ch in "（(":
            depth = max(0, depth - 1)
        elif ch in ":：" and depth == 0:
            return text[:i], ch, text[i + 1 :]
    return text, "", ""
