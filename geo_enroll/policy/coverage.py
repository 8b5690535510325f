"""Nothing lost silently: every line and list item of the zoning part of a text is accounted.

:func:`account` walks the text's zoning part (from the first line that produced a rule to the
last) and sorts every line, table row and top-level list item into ``rule`` (a rule's source,
and the item is named by it), ``check`` (an ``includes`` name the digitiser verifies),
``unparsed`` (listed with its reason) or ``fact`` (a policy fact's sentence).  What is left is
``silent``: a test proves it empty for every fixture and reference document.

>>> from geo_enroll.policy import parse_policy
>>> text = "某县2024年招生方案\\n一、招生范围\\n1.第一小学招收城关镇、西关镇户籍适龄儿童。"
>>> got = account(text, parse_policy(text))
>>> got["silent"], got["items"]["rule"]
([], 2)
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .body import _school_title
from .document import read_tables, simplified
from .grammar import (
    AREA_TAIL,
    CATEGORY,
    CN,
    COMMITTEE,
    CONTAINS_LABEL,
    LEAD_VERB,
    LIST_WHO_TAIL,
    SETTLED,
    TOWN_OFFICE,
    WHO_TAIL,
    split_top,
    strip_ordinal,
)

__all__ = ["account"]

_NOISE = re.compile(r"^(?:<!--|```|---|>|\|?\s*:?-{2,})")


def _named(zone: dict) -> set[str]:
    """Every name a rule holds (units, streets, compounds, limits, bounds, checks, exclusions)."""
    out: set[str] = set()
    for u in zone.get("units", []):
        out |= {u["name"], u.get("township") or "", u.get("group") or "", u.get("sub_area") or ""}
        # 东关、西关村 → 东关村: a list item may be written without the suffix it shares
        out.add(re.sub(r"(?:村民小组|居委会|村委会|社区|嘎查|村|组)$", "", u["name"]))
        if u.get("group"):
            out.add(re.sub(r"(?:村民小组|组)$", "", u["group"]))
        out |= set(u.get("exclude", []))
        if u.get("expanded_from"):  # 毕浦学区（东琳村、永安村）: the part named, then its villages
            out.add(u["expanded_from"])
    for key in ("name", "street", "within", "area", "fragment"):
        if isinstance(zone.get(key), str):
            out.add(zone[key])
    out |= set((zone.get("limits") or {}).values())
    out |= {b["street"] for b in zone.get("bounds", [])}
    out |= set(zone.get("bounded_by", [])) | set(zone.get("exclude", []))
    out |= set(zone.get("includes", []))
    out |= {f["name"] for f in zone.get("from_schools", [])}
    return {x for x in out if x}


_CORE_SUBS = [
    (re.compile(rf"(?<=[{CN}])[ \u3000]+(?=[{CN}])"), ""),
    (  # 学区范围：长河街道山一社区: a label, then the place
        re.compile(
            r"^(?:(?:学校所在|本校|学校)?(?:代招|招生|划片|学区|施教区?|服务区|教育服务区)?范围|学区|片区"
            rf"|{CONTAINS_LABEL})[:：]"
        ),
        "",
    ),
    (TOWN_OFFICE, "街道"),  # 斜口街办: the township 斜口街道
    (  # 青龙乡白莲池街道石岭社区: the former township before today's
        re.compile(
            rf"^[{CN}]{{2,8}}?(?:镇|乡|苏木|街道)(?=[{CN}]{{2,8}}?(?:镇|乡|苏木|街道)[{CN}])"
        ),
        "",
    ),
    (LEAD_VERB, ""),  # 接纳青城社区: the place
    (re.compile(r"^(?:以及|还有|另有|另外|同时)(?=\S{2,})"), ""),  # …，还有东风村: the place
    (  # 龙门镇所属各行政村：龙门一村: the village (its township a label)
        re.compile(
            rf"^[{CN}]{{2,8}}?(?:镇|乡|苏木|街道)(?:所辖范围|所辖|辖区|所属)?各?(?:行政村|村|社区)?[:：]"
        ),
        "",
    ),
    (re.compile(r"(?<=村|区)已?(?:拆迁)?安置的?(?=第?\d)"), ""),  # 东升村已拆迁安置的3、5组
    (  # 城中社区（1-17组）和该区块集体户与住宅小区: the units named, nothing more
        re.compile(
            r"(?:和|及|与|以及)该(?:区块|片区?|区域)(?:内的?)?集体户(?:[与和及、]?(?:住宅)?小区)*$"
        ),
        "",
    ),
    (AREA_TAIL, ""),  # 藻溪片区对应行政村: the place
    (re.compile(r"(?<=\S{2})(?:招生|入学)$"), ""),  # 学校面向瑶琳镇毕浦学区（…）招生
    (  # 太阳镇辖区内11个行政村和1个居民组: the township
        re.compile(
            r"(?<=\S{2})(?:所辖|辖区|行政区域|范围)?内?的?"
            r"(?:(?:\d+|[一二三四五六七八九十]+)个(?:行政村|村|社区|居委会|居民组|居民区|嘎查)[和及、]?)+$"
        ),
        "",
    ),
    (SETTLED, ""),  # 颐馨湿地壹号已落户范围: the compound
    (  # 桐庐县旧县街道: the township (its county said before)
        re.compile(
            rf"^(?:[{CN}]{{1,6}}?(?:县|区|市|旗|州|盟))+(?=[{CN}]{{2,8}}?(?:镇|乡|苏木|街道))"
        ),
        "",
    ),
    (re.compile(r"^[东南西北](?:至|到|界限?\s*[:：]|边界\s*[:：])"), ""),
    (re.compile(r"^\d+区(?:中|内)的?(?=\S)"), ""),  # 74区中的金海华府: the place inside
    (re.compile(r"^(?:学校)?(?:周边|周围|附近)的?(?=\S{2,})"), ""),  # 学校周边的阳光花园
    (re.compile(r"[（(【\[][^）)】\]]*[）)】\]]"), ""),
    (re.compile(r"(?:共同|自由|共享)[学學][区區]$"), ""),
    (re.compile(r"(?:户籍|的|适龄儿童|适龄少年|适龄学生|小学毕业生|等|所属|范围内?|区域)+$"), ""),
    *COMMITTEE,  # 伊村村委会 / 西湖村委会: the village
    (WHO_TAIL, ""),  # 东关村户籍的常住户口: the place
    (  # 西关村的适龄儿童到第一小学就读: the place (the school comes after it)
        re.compile(
            r"(?<=\S{2})(?:的)?(?:户籍)?(?:所有)?(?:适龄)?(?:儿童少年|儿童|少年|学生|生源)?"
            r"(?:统一|均|全部)?(?:就近)?(?:到|进入|入读|划归|划入|由|属于?|归(?:属于?)?)\S{2,40}?"
            r"(?:小学|中学|初中|学校)(?:学区|片区)?(?:就读|入学|上学|报名|招收|负责招收|接收|招生)?$"
        ),
        "",
    ),
    (re.compile(r"(?<=\S{2})(?:及|和|以及)(?:所辖)?各?企事业单位$"), ""),
    (  # 城南街道辖区内的所有社区和村: the township
        re.compile(
            r"(?<=\S{2})(?:所辖|辖区|行政区域|范围)?内?的?(?:各|所有|全部)"
            r"(?:社区|村|行政村|居委会|村委会)(?:[和、及与](?:社区|村|行政村|居委会|村委会))*$"
        ),
        "",
    ),
]


@lru_cache(maxsize=65536)
def _core(item: str) -> str:
    """An item reduced to what a rule would name (ordinal, brackets and filler dropped)."""
    item = strip_ordinal(item.strip().strip("*").strip())
    for pattern, repl in _CORE_SUBS:
        item = pattern.sub(repl, item)
    return item.strip(" 　。；;：:")


_SAME_ZONE = re.compile(
    r"(?:与|和|同)[^，,；;。]{2,24}?(?:同一?个?学区|学区相同|共用一?个?学区|范围相同)"
)
_SENTENCE_KINDS = ("property_rule", "free_choice", "alternative", "feeder", "multi_school")
_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|附件\s*\d)"
)


def account(text: str, spec: dict) -> dict:
    """Sort the zoning part of ``text`` into rule / check / unparsed / fact; list the rest.

    The zoning part is every section (lines between two headings) holding a rule's source.
    Returns ``{"lines": Counter, "items": Counter, "silent": [{"line", "text", "why"}]}``:
    ``silent`` lists lines of the zoning part that produced nothing and were not reported,
    and items of rule lines that no rule names and no ``unparsed`` entry holds.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    held: dict[int, set[str]] = {}
    checks: dict[int, set[str]] = {}
    said: dict[int, list[str]] = {}  # sentence-level rules: their whole sentence is the rule
    for s in spec["schools"]:
        for z in s["zones"]:
            names = {_core(x) for x in _named(z) | {s["name"]}}
            for src in [z["source"], *z.get("also_sources", [])]:
                held.setdefault(src["line"], set()).update(n for n in names if n)
                checks.setdefault(src["line"], set()).update(z.get("includes", []))
                if (
                    z["kind"] in _SENTENCE_KINDS
                    or z.get("area")
                    or z.get("same_zone_of")
                    or _SAME_ZONE.search(src["text"])  # …：与X同学区招生 said of its own list
                ):
                    said.setdefault(src["line"], []).append(src["text"])
    unparsed: dict[int, list[str]] = {}
    for u in spec["unparsed"]:
        unparsed.setdefault(u["line"], []).append(u["text"])
    facts = {src["line"] for src in (spec["policy"].get("sources") or {}).values() if src}
    tables, _ = read_tables(lines)
    header_lines, row_of = set(), {}
    for table in tables:
        header_lines |= set(table[0].lines)
        for row in table:
            for n in row.lines:
                row_of[n] = row.lines
    for n, group in row_of.items():  # a tab-table row spreads over lines: one is enough
        if any(m in held for m in group):
            held.setdefault(n, set())
    sections, current = [], []
    for n, raw in enumerate(lines, start=1):
        if _HEADING.match(raw) and n not in row_of:
            sections.append(current)
            current = []
        current.append(n)
    sections.append(current)
    line_kinds: Counter = Counter()
    item_kinds: Counter = Counter()
    silent = []
    titles = {_core(s["name"]) for s in spec["schools"]} | {s["name"] for s in spec["schools"]}
    for section in sections:
        ruled = [n for n in section if n in held]
        if not ruled:
            continue
        end = ruled[-1]  # the zoning part of a section: first rule … last rule's paragraph
        while end < section[-1] and lines[end].strip():
            end += 1
        for n in range(ruled[0], end + 1):
            raw = lines[n - 1].strip()
            if (
                not raw
                or _NOISE.match(raw)
                or _HEADING.match(raw)
                or n in header_lines
                or len(re.findall(rf"[{CN}]", raw)) < 4
            ):
                continue
            if _core(raw) in titles or _school_title(raw) in titles:  # 某某國中（313501）
                line_kinds["title"] += 1
            elif n in held and n in row_of:  # a table row: accounted as a whole
                line_kinds["rule"] += 1
            elif n in held:
                line_kinds["rule"] += 1
                _sort_items(
                    raw,
                    n,
                    held[n],
                    checks.get(n, set()),
                    said.get(n, []),
                    unparsed.get(n, []),
                    item_kinds,
                    silent,
                )
            elif n in unparsed:
                line_kinds["unparsed"] += 1
            elif n in facts:
                line_kinds["fact"] += 1
            else:
                silent.append({"line": n, "text": raw, "why": "line produced nothing"})
    return {"lines": line_kinds, "items": item_kinds, "silent": silent}


def _sort_items(raw, n, held, checks, said, left, kinds: Counter, silent: list) -> None:
    for item in _items(raw):
        core = _core(item)
        if not core or len(re.findall(rf"[{CN}]", core)) < 2:
            continue
        if CATEGORY.fullmatch(core):  # 房产生、居住证类: who, no place to name
            kinds["who"] += 1
            continue
        if core in checks:
            kinds["check"] += 1
        elif _covered(core, held):
            kinds["rule"] += 1
        elif any(item.strip() in text for text in said):
            kinds["rule"] += 1
        elif any(core in x or _core(x) in core for x in left if _core(x)):
            kinds["unparsed"] += 1
        else:
            silent.append({"line": n, "text": item, "why": "item named by no rule"})


_FILLER = re.compile(
    r"以[东南西北]|[东南西北](?:侧|面|边)|两侧|区域|范围|辖区|所辖|所属|下辖|部分|全部|户籍|适龄|儿童|少年|学生|毕业生"
    r"|行政区域|行政区划|区划|行政村|行政|全境|全域|所有|各|其他|其余|有意愿|不含|不包括|包括|除|以外|之外|含"
    r"|小学|的|内|及|和|与|至|[0-9０-９]+号?|[-—–~～→]|(?:仅|只)(?:可|能)(?:报读|报名|报|选择|就读)"
    r"|(?:等)?[一二两三四五六七八九十\d]{1,3}个(?=[村社居嘎组小])|外(?=的|其|组|$)|组$"
    r"|实际居住|居住证持有人|居住证|居住|持有|随迁子女|子女|家住|现住|户口|全村|购房|有房产|有住房|上述|以上|在(?=上述|以上|本)|四至|四界|[：:]|等(?:行政村|自然村|村|社区|居委会|村委会|嘎查|小区)?$"
)


def _covered(core: str, held: set[str]) -> bool:
    """Whether the names of rules on this line make up the item (filler words aside)."""
    if any(core in name for name in held):
        return True
    rest = core
    for name in sorted((n for n in held if len(n) >= 2), key=len, reverse=True):
        if name in rest:
            rest = rest.replace(name, "")
    return len(re.findall(rf"[{CN}]", _FILLER.sub("", rest))) < 2


def _items(raw: str) -> list[str]:
    """Top-level items of a line: after a school's colon, split at 、，；。 (and CSV commas)."""
    plain = simplified(raw)
    m = re.match(r"^[^：:]{2,40}?[：:]", plain) or re.match(
        r"^.{2,40}?(?:招收|对应(?:的)?(?:区域|范围|片区)?(?:为|是|包括)?|招生范围为|划片范围为?"
        r"|服务范围为?|服务区域为?|学区范围为?"
        r"|(?:的)?(?:学区|招生范围|划片范围|服务范围|施教区)(?:范围)?(?:为|是|包括|包含))",
        plain,
    )
    body = raw[m.end() :] if m else raw
    sentences = split_top(body, "。")  # …有意愿一表、二表生源: who of a whole list, as the parser
    items = [x for s in sentences for x in split_top(LIST_WHO_TAIL.sub("", s.strip()), "、，,；;")]
    return [_NEXT_SCHOOL.sub("", x.strip()) for x in items]  # …；第二小学招收南关村: 南关村


_NEXT_SCHOOL = re.compile(
    r"^(?:[^，,；;。、]{1,30}?(?:小学|中学|初中|学校|校区)|小学部|初中部|中学部)"
    r"(?:招收|招生范围为|划片范围为?|服务范围为?|服务区域为?|学区范围为?|(?<=部)[：:])[：:]?(?=\S)"
)
