"""Item lists of a scope: villages, groups, communities, compounds, streets with numbers.

One item (``菜园村三社``, ``双林路（双号22号-136号）``, ``城关镇``, ``宝昌镇6个社区``) becomes one
or more *pieces* (plain dicts with a ``type``: ``unit``, ``count``, ``compound``,
``street_list``, ``limits`` or ``bounds``); :mod:`.zones` turns pieces into zones.

>>> ctx = ParseContext(county=None)
>>> pieces, left = item_list("城关镇：东关村、西关村", ctx, None)
>>> [(p["type"], p["name"], p["town"]) for p in pieces], left
([('unit', '东关村', '城关镇'), ('unit', '西关村', '城关镇')], [])
>>> clean_name("城关镇户籍适龄儿童")
'城关镇'
"""

from __future__ import annotations

import re

from . import units as _units
from .document import ParseContext, simplified
from .grammar import (
    AREA_TAIL,
    CATEGORY,
    CN,
    COMMITTEE,
    LEAD_VERB,
    PATTERNS,
    SETTLED,
    TOWN_OFFICE,
    UNIT_BEFORE_SIDE,
    WHO_TAIL,
    _paren_split,
    cn_number,
    parse_bounds,
    parse_exclusion,
    parse_limits,
    parse_numbers,
    split_exclusions,
    split_joined,
    split_top,
    street_segments,
    strip_lead,
)

__all__ = ["item_list", "clean_name"]


def _street_pieces(street: str, qualifier: str, text: str, **extra) -> list[dict]:
    """One ``street_list`` piece per parity segment of a street's qualifier."""
    street = strip_lead(street)
    head, excluded = split_exclusions(qualifier)
    excluded = _own_numbers(excluded, street)
    cut = [m for x in excluded if (m := _EXCLUDED_NUMBERS.fullmatch(x.strip()))]
    gaps = [(int(m["a"]), int(m["b"] or m["a"])) for m in cut]
    names = [x for x in excluded if not _EXCLUDED_NUMBERS.fullmatch(x.strip())]
    out = []
    for seg in street_segments(head):
        nums = seg.get("numbers") or {}
        placed = "list" in nums or ("from" in nums and "to" in nums)
        for numbers in _without(seg.get("numbers"), gaps if placed else []):
            piece = {
                "type": "street_list",
                "street": street,
                **seg,
                "numbers": numbers,
                "exclude": names if placed else excluded,  # a cut not placed stays written
                "text": text,
            }
            piece.update(extra)
            out.append(piece)
    return out


def _own_numbers(excluded: list[str], street: str) -> list[str]:
    """Excluded house numbers of the same street as numbers: 不含人民路12、13号 → 12号, 13号
    (the street written on the first, 号 on the last); anything else as written.

    >>> _own_numbers(["人民路12", "13号", "幸福小区", "人民路小学"], "人民路")
    ['12号', '13号', '幸福小区', '人民路小学']
    """
    bare = [x.strip().removeprefix(street) for x in excluded]
    out = []
    for k, (x, b) in enumerate(zip(excluded, bare, strict=True)):
        if re.fullmatch(r"\d+", b) and _numbers_end_in_hao(bare[k + 1 :]):
            b += "号"
        out.append(b if _EXCLUDED_NUMBERS.fullmatch(b) else x.strip())
    return out


_EXCLUDED_NUMBERS = re.compile(r"(?P<a>\d+)号?(?:\s*[-—–~～至到－]\s*(?P<b>\d+))?号")
"""不含50号 / 不含50-60号: house numbers taken out of a street's stretch (not a name)."""


def _without(numbers: dict | None, gaps: list[tuple[int, int]]) -> list[dict | None]:
    """A stretch of house numbers without the excluded ones: 1-99号（不含50号） is 1-49 and
    51-99; a list loses the excluded numbers.

    >>> _without({"from": 1, "to": 99, "parity": "all"}, [(50, 50)])
    [{'from': 1, 'to': 49, 'parity': 'all'}, {'from': 51, 'to': 99, 'parity': 'all'}]
    >>> _without({"list": [2, 4, 6], "parity": "all"}, [(4, 4)])
    [{'list': [2, 6], 'parity': 'all'}]
    >>> _without({"from": 1, "to": 9, "parity": "odd"}, [(1, 3)])
    [{'from': 4, 'to': 9, 'parity': 'odd'}]
    """
    if not gaps or not numbers:
        return [numbers]
    if "list" in numbers:
        kept = [n for n in numbers["list"] if not any(a <= n <= b for a, b in gaps)]
        return [{**numbers, "list": kept}] if kept else []
    if "from" not in numbers or "to" not in numbers:
        return [numbers]  # 12号以后 (open): the cut cannot be placed; kept as written
    spans = [(numbers["from"], numbers["to"])]
    for a, b in sorted(gaps):
        spans = [
            part
            for lo, hi in spans
            for part in ((lo, min(hi, a - 1)), (max(lo, b + 1), hi))
            if part[0] <= part[1]
        ]
    return [{**numbers, "from": lo, "to": hi} for lo, hi in spans]


_NUMBER_ITEM = re.compile(
    r"^(?:单号|双号|单|双|新)?\s*\d|^(?:全段|全部|所有|两侧|单侧|双侧)|^(?:单号|双号)$"
)
# 8号附12号, 175号新9号: a sub-address of house 8 / 175; 3号院, 132号小区: the compound at 3 / 132
_SUB_ADDRESS = re.compile(r"^(\d+号)(?:(?:附|新)\d+号|院|小区)$")


_STREETS_COLON = re.compile(
    rf"^(?P<streets>[{CN}A-Za-z0-9]{{2,20}}?(?:大道|大街|路|街|巷)"
    rf"(?:、[{CN}A-Za-z0-9]{{1,20}}?(?:大道|大街|路|街|巷))+)[:：](?P<rest>.+)$"
)
_ORDINAL_STREET = re.compile(r"^(?P<n>[一二三四五六七八九十\d]+)(?P<k>大街|路|街|巷)$")


def _streets_colon(text: str) -> tuple[list[dict], list[str]] | None:
    """``欣然一街、二街：1号、6号`` → the numbers on each street (二街 is 欣然二街: a bare
    ordinal street takes the name of the one before it)."""
    m = _STREETS_COLON.match(text)
    if not m:
        return None
    streets = m["streets"].split("、")
    for i in range(1, len(streets)):
        om = _ORDINAL_STREET.match(streets[i])
        pm = (
            re.match(rf"^(?P<p>.+?)[一二三四五六七八九十\d]+{om['k']}$", streets[0]) if om else None
        )
        if pm:
            streets[i] = pm["p"] + streets[i]
    pieces: list[dict] = []
    named: list[str] = []
    for street in streets:
        got = _street_colon(f"{street}：{m['rest']}")
        if got is None:
            return None
        pieces.extend({**p, "text": text} for p in got[0])
        named = got[1]
    return pieces, named


def _notes_off(text: str) -> str:
    """The text without its bracketed notes: ``43号（公交宿舍）`` → ``43号``."""
    while re.search(r"[（(][^（）()]*[）)]", text):
        text = re.sub(r"[（(][^（）()]*[）)]", "", text)
    return text.strip()


def _street_colon(text: str) -> tuple[list[dict], list[str]] | None:
    """``双林路（双号22号-136号）：22号、24号 …`` → street_list pieces, and the named items of
    the list (水武街全部：39号（祥苑）、旭达新城 — 旭达新城 is read as an item of its own)."""
    m = PATTERNS["street_colon"].match(text)
    if not m or m["street"].endswith("街道"):  # 松岗街道：… is a township, not a street
        return None
    notes = re.findall(r"[（(]([^（）()]*)[）)]", m["parens"] or "")
    stretch = next(
        (_STRETCH.fullmatch(f"（{n}）") for n in notes if _STRETCH.fullmatch(f"（{n}）")), None
    )
    paren = "，".join(
        [m["pw"]] * bool(m["pw"]) + [n for n in notes if not _STRETCH.fullmatch(f"（{n}）")]
    )
    nums = m["nums"]
    while re.search(r"[（(][^（）()]*[）)]", nums):  # 15号（原：建设南一路30号）: notes aside
        nums = re.sub(r"[（(][^（）()]*[）)]", "", nums)
    named = []
    if re.search(r"[、，,]", nums):
        kept = []
        for item in split_top(nums, "、，,"):
            item = _SUB_ADDRESS.sub(r"\1", item.strip())
            (kept if _NUMBER_ITEM.match(item) else named).append(item)
        kept = list(dict.fromkeys(kept))  # 175号新9号、175号新13号: house 175 once
        if named and not kept:
            return None  # no house number at all: a list of places (the normal path)
        nums = "、".join(kept)
    nums = re.sub(r"(\d+)(?:和|及)(?=\d+号)", r"\1号、", nums)  # 41和43号 → 41号、43号
    nums = re.sub(r"(?<![\d-])(\d+)(?=(?:[、，,]\d+)+号)", r"\1号", nums)  # 12、14号
    listed = parse_numbers(nums)
    if not parse_numbers(paren) and not listed and not re.search(r"全段|全部|所有|两侧", nums):
        if not PATTERNS["one_side"].search(paren) and not PATTERNS["parity"].search(paren):
            return None
    pieces = _street_pieces(m["street"], paren, text)
    if stretch:  # 建设北路三段(南侧）(厂北路路口至成华区法院)：…
        for p in pieces:
            p["stretch"] = {"from": stretch["a"].strip(), "to": stretch["b"].strip()}
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
    return pieces, named


_WHO = re.compile(r"户籍|户口|生源|子女|人口|企事业单位|学生|符合条件|^的")
_GENERIC_PLACE = re.compile(
    r"(?:本|该|所辖|行政)?(?:区域|范围|辖区|区划|区|县|镇|乡)?(?:内|以内)?|.*[外]"
)
_PROSE = re.compile(
    r"按照|规定|执行|通知|另行|详见|附件|报名|入学|就读|学生|儿童|适龄|家长|可以|须|应当|负责|办理"
    r"|所属|交叉口|交接处|到底|红绿灯|同学区"
)
_CROSSING = re.compile(
    rf"(?:路|街|道|巷|桥|线)(?:与|和|、)[{CN}A-Za-z0-9]{{1,15}}?(?:交汇|交会|交界|交叉|十字|路口|交口)"
)
"""人民路与解放路交汇处 / 交叉口 / 十字路口: a point of two streets, not a place's name."""
_OCR_SPACE = re.compile(rf"(?<=[{CN}])[ \u3000]+(?=[{CN}])")
_STRETCH = re.compile(
    rf"[（(](?P<a>[{CN}A-Za-z]{{2,20}}?)(?:至|到|—+|－|-)(?P<b>[{CN}A-Za-z]{{2,20}}?)段?[）)]"
)
_ADDRESS = re.compile(rf"[{CN}A-Za-z0-9]{{1,20}}?(?:大道|大街|路|街|巷|道|弄)\d+[号弄](?:之\S+)?")


_IN_AREAS = re.compile(r"^(?:[（(]?\d+[）)]|\d+[.、．])?\s*\d+(?:[、和及]\d+)*区(?:中|内)的?(?=\S)")
_INCLUDING = re.compile(r"^(?:包括|包含)(?=\S{2,})")
_EACH_KIND = re.compile(r"(?:各|等)(?:行政)?(村|社区|居委会|嘎查)$")
_SHARED_SUFFIX = re.compile(r"(?<=[^、])(村民小组|居委会|村委会|社区|嘎查|村|组|社|队)$")
_TYPED = re.compile(
    r"(?:村|社区|居委会|嘎查|组|社|小区|路|街|巷|道|号|弄|园|苑|城|区|镇|乡|楼|栋|座|公寓|大厦|"
    r"广场|站|场|厂|院|校|所|处)$"
)
_COUNTY_PREFIX = re.compile(
    rf"^(?P<county>[{CN}]{{1,6}}?(?:县|区|市|旗))(?=[{CN}]{{2,8}}?(?:镇|乡|苏木|街道))"
)
_GROUPS_THEN_PLACE = re.compile(
    r"(?P<groups>[一二三四五六七八九十\d]+(?:组|社|队|村民小组))(?:及|和|以及)"
    rf"(?P<place>[{CN}\d]{{2,12}}(?:村|社区|嘎查|居委会|小区))"
)
_ETC_KIND = re.compile(r"(?<=[村区会查园苑])等(?:行政村|自然村|村|社区|居委会|村委会|嘎查|小区)$")
"""东关村、西关村等村: 等 and the kind close the list (西关村村 before)."""
_ALL_COUNTED = re.compile(
    r"(?:(?:\d+|[一二三四五六七八九十]+)个(?:行政村|村|社区|居委会|居民组|居民区|嘎查)[和及、]?)+"
)
_WHOLE_NOTE = re.compile(r"各段|全段|全部|所有|两侧|(?:含|包括|包含).+")
_PART_NOTE = re.compile(r"部分|部分区域|部分路段")
_RESETTLED = re.compile(
    rf"(?P<place>[{CN}A-Za-z0-9·]{{2,20}}?)(?:已)?安置的?(?:拆迁村|拆迁户|村民|居民|安置户|农户)"
)
_GROUP_SPACE = re.compile(
    r"(?<=[\d一二三四五六七八九十])\s+(?=[\d组社队—\-~至])|(?<=[—\-~至])\s+(?=\d)"
    rf"|(?<=[{CN}])\s+(?=\d+\s*[—\-~至]?\s*\d*\s*组)"
)
_ONLY_PART = re.compile(
    rf"(?P<place>[{CN}A-Za-z0-9·]{{2,20}}?(?:小区|花园|家园|公寓|新村|苑|府|城|社区|村))"
    r"(?:只包括|仅包括|只含|仅含|仅限)(?P<part>\S{2,})"
)
_BUILDING_NOTE = re.compile(
    r"(?:第?[A-Za-z\d一二三四五六七八九十]{1,4}(?:[-—~～至到][A-Za-z\d一二三四五六七八九十]{1,4})?"
    r"(?:栋|幢|号楼|座|楼)?[、，,]?)+(?<=[栋幢楼座])"
)
"""（1-10栋） / （1、2、5号楼）: buildings of a compound, which the engine cannot tell apart."""
_BUILDING = re.compile(r"[A-Za-z\d一二三四五六七八九十]{1,4}(?:栋|幢|号楼|座|单元)")
_NUMERAL = re.compile(r"[一二三四五六七八九十百零〇两\d]{1,4}")
# the parent a first bare name may be written after: a village before its groups
# (千斤沟村一、二组), a township before its villages (宝昌镇东关、西关村)
_PARENT_OF = {  # numerals after any name: 原红花堰1、2组, 菜园村三、四、六社
    "组": rf"[{CN}]",
    "村民小组": rf"[{CN}]",
    "社": r"(?:村|嘎查)",
    "队": r"(?:村|嘎查)",
}
_TOWN_PARENT = r"(?:镇|乡|苏木|街道)"


def share_suffix(items: list[str]) -> list[str]:
    """``东关、西关、北关村`` → ``东关村、西关村、北关村``: bare short names before a village,
    community or group written once at the end of a 、 list share its suffix.

    The bare names are the run just before the last item (1–4 characters, no type of their
    own; numerals for 组); the first of the run may follow its parent (千斤沟村一、二组,
    宝昌镇东关、西关村).  Typed names (幸福小区、东关村) stay as written.

    >>> share_suffix(["东关", "西关", "北关村"])
    ['东关村', '西关村', '北关村']
    >>> share_suffix(["千斤沟村一", "二", "三组"])
    ['千斤沟村一组', '二组', '三组']
    >>> share_suffix(["菜园村三", "四", "六社"])
    ['菜园村三社', '四社', '六社']
    >>> share_suffix(["东关村", "西关村一", "二组"]), share_suffix(["幸福小区", "东关村"])
    (['东关村', '西关村一组', '二组'], ['幸福小区', '东关村'])
    """
    if len(items) < 2:
        return items
    last = items[-1].strip()
    m = _SHARED_SUFFIX.search(last)
    if not m or len(last) <= len(m[1]):
        return items
    suffix = m[1]
    bare_re = (
        _NUMERAL if suffix in ("组", "村民小组", "社", "队") else re.compile(rf"[{CN}0-9]{{1,4}}")
    )
    parent_re = _PARENT_OF.get(suffix, _TOWN_PARENT)
    out = [x.strip() for x in items]
    k = len(out) - 1
    while (
        k > 0
        and bare_re.fullmatch(out[k - 1])
        and not _TYPED.search(out[k - 1])
        and suffix not in out[k - 1]  # 胡村源、高桥村: a name with 村 in it is no bare name
    ):
        k -= 1
        out[k] += suffix
    if k > 0:  # the first of the run after its parent: 千斤沟村一 / 宝昌镇东关
        pm = re.fullmatch(rf"(?P<p>.+{parent_re})(?P<b>[^、]{{1,4}})", out[k - 1])
        if pm and bare_re.fullmatch(pm["b"]) and not _TYPED.search(pm["b"]):
            out[k - 1] += suffix
    return out if out != [x.strip() for x in items] else items


_FORMER_PART = re.compile(rf"^原(?P<place>[{CN}]{{2,12}}?)(?:范围|片区|片|区域|部分)内?$")
"""呼侯村（原侯家村范围）: the part of today's unit that was a former one."""
_SIDE_PART = re.compile(r"[东南西北中](?:侧|部|片|面|边|半部|片区|区域|半)|[东西南北]{2}(?:部|片)?")
"""A side of a place written as the place's name (城关镇东部): no unit of that name."""

_TOWN_CENTRE = re.compile(
    r"(?:镇|乡)?(?:政府)?驻地|集镇(?:区)?|镇区|乡区|镇中心|集镇中心|中心区|建成区|街区|镇所在地"
)
"""城关镇政府驻地 / 集镇区域 / 镇区: a township's built-up centre (no unit, not drawn)."""
_TOWN_AREA = re.compile(r"^(?:县城|城区|市区|城关|老城区|新城区|主城区|中心城区|城镇|县城区)")
"""县城北部: a side of the town, not a place named 北部."""

_CHOICE_VERB = re.compile(r"报|选|就读|入学|招收|划归|派位")
_SCHOOL_NAME = re.compile(
    rf"[{CN}A-Za-z0-9]{{2,20}}?(?:小学|中学|初中|学校|小学部|初中部|分校|校区)"
)


_CARVE_OUT = re.compile(
    r"(?:其中)?(?P<part>[一二三四五六七八九十\d][一二三四五六七八九十\d组社队村民小、，,和及至~\-]*"
    r"(?:组|社|队|村民小组))"
    rf"(?:划入|划归|划到|划给|到|归|由)(?P<school>{_SCHOOL_NAME.pattern})"
    r"(?:就读|入学|招收|招生)?"
)
"""东关村（3组划入第二小学） / （其中3组到第二小学就读）: groups of the unit given to another school."""


def choice_schools(note: str) -> list[str]:
    """The schools a bracketed note on a unit lets its children choose (仅可报A和B / 可选择A或B
    就读 / 可报读A、B), or []: such a note is no part of the unit.

    >>> choice_schools("仅可报第五小学和第六小学"), choice_schools("可选择城关小学或实验小学就读")
    (['第五小学', '第六小学'], ['城关小学', '实验小学'])
    >>> choice_schools("原侯家村范围"), choice_schools("小学部")
    ([], [])
    """
    if not _CHOICE_VERB.search(note):
        return []
    body = re.sub(r"^(?:仅|只|均)?(?:可以?|能)?(?:选择|报读|报名|选报|报|到|在|去)?", "", note)
    body = re.sub(r"(?:就读|入学|报名|中)?(?:任选一所|任选其一|之一)?$", "", body)
    names = []
    for piece in re.split(r"[、，,/]|或|和|及|与", body):
        piece = piece.strip()
        if piece and _SCHOOL_NAME.fullmatch(piece):
            names.append(piece)
        elif piece:
            return []  # something else in the note: not a plain choice of schools
    return names


_NOTE_ONLY = re.compile(
    r"^(?:自愿原则|自愿|双学区|多学区|全部|全域|整村|全村|筹|筹建|详见附件|见附件|股民|新|老|旧"
    r"|(?:仅限|只限|遵照|特殊区域备注|上述|含|包括|包含).{2,})$"
    r"|遵照|文件|核验|备注|执行"
)
"""A note on a whole unit in brackets (半山村（双学区）, 丰二社区（含仁孝华庭…）): no part of it."""
_QUOTED = re.compile(
    r"^[“\"‘'「『](?P<name>[^“”\"‘’'「」『』]{2,30})[”\"’'」』](?P<kind>住宅区|住宅小区|小区|楼盘)?$"
)
"""“金都·城市芯宇”住宅区 / “世贸丽晶城”: a compound named in quotes."""
_FORMER_UNIT = re.compile(rf"原(?P<unit>[{CN}]{{2,8}}?(?:村|社区|居委会|嘎查))")
"""原山前村: a village or community by its former name (merged since): the unit of that name,
the written words kept as its note (addresses keep the old name for years)."""

_WHOLE_TAIL = re.compile(r"全部|全域|整村|全村|等?所属的?(?:区域|范围)?")
"""兴围村全部 / 富城村等所属区域: all of the village, no part of it."""
_SIDE_NOTE = re.compile(
    rf"(?P<street>[{CN}\d]{{1,10}}(?:路|街|大道|道|巷|河|江|溪|渠|塘|沟|线))(?P<side>[东南西北])(?:侧|面|边)?"
)
"""毛家河东 / 萧绍路南 in brackets after a place: that side of the river or road."""
_COLLECTIVE = re.compile(
    rf"(?:^|和|及|与|以及)(?P<area>原?(?:(?!和|及|与)[{CN}]){{0,10}}?)片?(?:区块|片区)?(?:内的?)?集体户"
    r"(?:[与和及、]?(?:住宅小区|小区))*$"
)
"""原通济片区块集体户 / …及光明区块集体户 / …和该区块集体户与住宅小区: collective household
registrations (集体户) of a block — who, in an area no map draws: reported (``该``: the units
named before, nothing more)."""
_PART_OF = re.compile(r"^(?:其他|其余)?部分(?=\S{2,})")
"""部分天鹅村拆迁安置户: a part of a place, the part unsaid."""


def _county_off(text: str) -> str:
    """``text`` without the counties or cities written before a township (富阳区龙门镇…)."""
    cp = _COUNTY_PREFIX.match(text)
    while cp and cp["county"] in _units.district_names():
        text = text[cp.end("county") :]
        cp = _COUNTY_PREFIX.match(text)
    return text


_BARE_PART = re.compile(r"(?:[A-Za-z]|[一二三四五六七八九十\d]{1,3}|[东南西北中])(?P<kind>区|期)")
_PART_OF_COMPOUND = re.compile(
    rf"(?P<base>[{CN}A-Za-z0-9]{{2,20}}?(?:小区|花园|家园|公寓|新村|苑|府|城|庭|园|院|广场|大厦|社区))"
    r"(?:[A-Za-z]|[一二三四五六七八九十\d]{1,3}|[东南西北中])(?P<kind>区|期)"
)
"""幸福小区A区、B区 / 幸福家园1期、2期: a part (B区, 2期) after a compound's part of the same
kind is a part of that compound (a compound named B区 would take every B区 of the county)."""

_REST_OF = re.compile(
    rf"^(?:[{CN}\d]{{2,10}}?(?:镇|乡|街道|苏木|村|社区|嘎查|居委会))?(?:内)?(?:的)?"
    r"(?:其他|其它|其余|剩余)(?:的)?(?:各|所有)?(?:行政)?(?:村|社区|村居|嘎查|里|区域|地区|范围|部分|片区|组|村民小组)$"
)
"""城关镇其他村 / 其余社区 / 北关村其余区域: the rest of a place (a ``remainder`` zone,
:mod:`.remainder`)."""


_BUILDINGS_OF = re.compile(
    rf"^(?P<place>[{CN}A-Za-z0-9·]{{2,20}}?[{CN}])(?P<n>\d+|[A-Za-z])"
    r"(?:\s*[-—–~～至到－]+\s*\d+)?(?P<end>栋|幢|号楼|座)?$"
)


def _building_run(run: list[str]) -> int:
    """How many leading items of a 、-run name buildings of one place (幸福小区1、2、3栋 /
    光明小区1-8栋 / 翠苑二区28幢—36幢 / 外东山弄61、62幢): the count, or 0.  A run of bare
    numbers must end in a building word (…、3栋), not a house number (…、35号) or a group; one
    building alone (和平里3号楼) is left as the place name it was read as."""
    m = _BUILDINGS_OF.match(_notes_off(run[0].strip())) if run else None
    if (
        not m
        or re.search(r"[村组社队镇乡号路街道巷弄]$", m["place"])
        and not re.search(r"弄$", m["place"])
    ):
        return 0
    if m["end"]:  # 幸福小区3栋、4栋 / 光明小区1-8栋 (one building alone stays a place name)
        k = 1
        while k < len(run) and re.fullmatch(
            r"(?:\d+|[A-Za-z])(?:\s*[-—–~～至到－]+\s*\d+)?(?:栋|幢|号楼|座)", run[k].strip()
        ):
            k += 1
        ranged = re.search(r"\d\s*[-—–~～至到－]", run[0])
        return k if k > 1 or ranged else 0
    for k in range(1, len(run)):  # 幸福小区1、2、3栋: bare numbers up to one with the word
        item = run[k].strip()
        if re.fullmatch(r"\d+", item):
            continue
        if re.fullmatch(r"\d+(?:\s*[-—–~～至到－]+\s*\d+)?(?:栋|幢|号楼|座)", item):
            return k + 1
        return 0
    return 0


_PART_ONLY = re.compile(r"(?:的)?一?部分(?:区域|地区|片区|地方|村民小组|组|社)?")
"""A unit's part that is not named (东明村部分区域): reported, never a sub-area called 部分."""


_JOINED_BUILDINGS = re.compile(
    rf"^(?P<a>[{CN}A-Za-z0-9·]{{2,20}}?(?:村|社区|小区|苑|园|路|街|巷|弄))(?:和|及)"
    rf"(?P<b>[{CN}A-Za-z0-9·]{{2,20}}?[{CN}]\d+)$"
)


def _buildings_out(run: list[str], left: list[str]) -> list[str]:
    """The 、-run without its runs of single buildings, each reported whole in ``left``
    (幸福小区1、2、3栋; …、求是南村和外东山弄61、62幢 keeps 求是南村).

    >>> left = []
    >>> _buildings_out(["青石桥", "求是南村和外东山弄61", "62幢", "光明村"], left), left
    (['青石桥', '求是南村', '光明村'], ['求是南村和外东山弄61、62幢'])
    """
    out, k = [], 0
    while k < len(run):
        parts = split_joined(run[k].strip())
        jm = _JOINED_BUILDINGS.match(run[k].strip()) if len(parts) == 1 else None
        if jm:  # 求是南村和外东山弄61(、62幢): a place, then the first of a building run
            parts = [*split_joined(jm["a"]), jm["b"]]
        at = _building_run([parts[-1], *run[k + 1 :]]) if parts else 0
        if at:
            out.extend(parts[:-1])
            left.append("、".join(x.strip() for x in run[k : k + at]))  # as written
            k += at
            continue
        out.append(run[k])
        k += 1
    return out


_COUNTED = re.compile(
    rf"(?P<name>(?:(?!个|所辖|辖区|和|及|与)[{CN}\d]){{0,10}}?)(?P<etc>等)?"
    r"(?P<n>[一二两三四五六七八九十\d]{1,3})个"
    r"(?P<kind>(?:行政|自然)?村|社区|居委会|村委会|嘎查|村民小组|组|小区)"
)
_CN_COUNT = {c: k for k, c in enumerate("零一二三四五六七八九", start=0)} | {"两": 2}


def _count(n: str) -> int | None:
    """一 → 1, 十二 → 12, 两 → 2, 3 → 3 (up to 99).

    >>> [_count(x) for x in ("三", "十", "十二", "二十一", "两", "7")]
    [3, 10, 12, 21, 2, 7]
    """
    if n.isdigit():
        return int(n)
    if "十" in n:
        tens, _, ones = n.partition("十")
        return (_CN_COUNT.get(tens, 1) if tens else 1) * 10 + (
            _CN_COUNT.get(ones, 0) if ones else 0
        )
    return _CN_COUNT.get(n) if len(n) == 1 else None


def _counted_run(run: list[str], left: list[str]) -> list[str]:
    """A run whose last item says how many it lists (东关、西关、南关三个村 / 东关村、西关村等2个
    村): the kind shared, the count checked; a count that is not the run's (东关等3个村: others
    unnamed) reports the run whole in ``left``.

    >>> left = []
    >>> _counted_run(["东关", "西关", "南关三个村"], left), _counted_run(["东关等3个村"], left), left
    (['东关', '西关', '南关村'], [], ['东关等3个村'])
    """
    m = _COUNTED.fullmatch(run[-1].strip()) if run else None
    if not m or re.search(r"(?:镇|乡|街道|苏木)$", m["name"]):
        return run  # 宝昌镇6个社区: the township's units, by count (a ``count`` piece)
    if not m["name"] or _count(m["n"]) != len(run):
        left.append("、".join(x.strip() for x in run))  # as written
        return []
    kind = re.sub(r"^(?:行政|自然)(?=村)|委会$", "", m["kind"]) or m["kind"]
    kind = kind if kind != "居" else "居委会"
    return [*run[:-1], m["name"] if m["name"].endswith(kind) else m["name"] + kind]


def _numbers_end_in_hao(rest: list[str]) -> bool:
    """Whether a run of bare numbers goes on to a house number (…、28、35号), not to a group
    (…、7、8组) or a name."""
    for item in rest:
        item = _notes_off(item)
        if re.fullmatch(r"\d+", item):
            continue
        return bool(re.fullmatch(r"\d+[号弄]", item))
    return False


def _unit_parts(name: str, town: str | None, text: str, parts) -> list[dict]:
    """One unit piece per ``(group, sub_area)`` of the unit ``name``."""
    return [
        {"type": "unit", "name": name, "town": town, "group": g, "sub_area": sa, "text": text}
        for g, sa in parts
    ]


def item_list(text: str, ctx: ParseContext, town: str | None) -> tuple[list[dict], list[str]]:
    """Pieces of a list of items (、，；), with township and village context carried along.

    Returns (pieces, items not understood).
    """
    segments = split_top(text, "；;。")
    if len(segments) > 1:
        pieces, left = [], []
        for seg in segments:
            p, lf = item_list(seg, ctx, town)
            pieces.extend(p)
            left.extend(lf)
            for piece in p:
                if piece.get("town"):
                    town = piece["town"]
        return pieces, left
    street = _street_colon(text.strip()) or _streets_colon(text.strip())
    if street:
        pieces, left = street[0], []
        for item in street[1]:  # 都市花城 in 站北西横街全部：都市花城、3号院: a place of its own
            got = _item(item, ctx, town, None)
            if got:
                pieces.extend(got)
            else:
                left.append(item)
        return pieces, left
    pieces, left = [], []
    last_village = None
    # 向龙村：6－10组 / 18—20组: a group range written with another dash
    text = re.sub(r"(?<=\d)\s*[－—~～]+\s*(?=\d+\s*(?:组|社|队|村民小组))", "-", text)
    # "鹤鸣镇所辖范围：联和村、…" / "富阳区龙门镇所属各行政村：…" → township context for the list
    m = re.match(
        rf"^(?P<town>[{CN}]{{2,8}}?(?:镇|乡|苏木|街道))(?:所辖范围|所辖|辖区|所属)?各?"
        r"(?:行政村|村|社区)?[:：](?P<rest>.+)$",
        _county_off(text),
    )
    if m:
        town, text = m["town"], m["rest"]
    cm = re.match(rf"^(?P<v>[{CN}]{{2,10}}?(?:社区|村))[:：](?P<rest>[^：:]+)$", text)
    om = cm and re.fullmatch(
        rf"原(?P<old>[{CN}]{{2,8}}?(?:村|社区))\s*"
        r"(?:(?P<groups>\d[\d\s、，,]*(?:组|社|队))|[（(](?P<listed>[^（）()]+)[）)])",
        cm["rest"].strip().strip("。；;"),
    )
    if om:  # 靖港村：原胜联村4、8、9组 — groups of the part that was 胜联村
        written = om["groups"] or om["listed"]
        groups = share_suffix([x.strip() for x in re.split(r"[、，,\s]+", written) if x])
        if groups and all(PATTERNS["group"].fullmatch(g) for g in groups):
            return _unit_parts(cm["v"], town, text, [(g, om["old"]) for g in groups]), []
    if cm and not PATTERNS["street_name"].match(cm["rest"]):
        # 罗租社区：龙眼山、罗租 — the named parts (自然村, 片) of one community or village
        parts = [x.strip() for x in split_top(cm["rest"], "、，,；;。") if x.strip()]
        parts = share_suffix(parts)
        if parts and all(
            re.fullmatch(rf"[{CN}]{{1,12}}", x) or PATTERNS["group"].match(x) for x in parts
        ):  # 保平村：1组、2组 — its groups
            return _unit_parts(
                cm["v"],
                town,
                text,
                [(x, None) if PATTERNS["group"].match(x) else (None, x) for x in parts],
            ), []
    gm = None if cm else re.match(rf"^(?P<v>[{CN}]{{2,6}})[:：](?P<rest>[^：:]+)$", text)
    if gm and not _TYPED.search(gm["v"]):
        # 和成：2组、4组 — a village written without 村, then only its groups
        parts = share_suffix([x.strip() for x in split_top(gm["rest"], "、，,") if x.strip()])
        if parts and all(PATTERNS["group"].fullmatch(x) for x in parts):
            return _unit_parts(gm["v"], town, text, [(x, None) for x in parts]), []
    km = re.match(r"^(?P<c>[^：:、，,；;（）()]{2,20})[:：](?P<rest>[^：:]+)$", text)
    if km and PATTERNS["compound"].match(km["c"]):
        rest = km["rest"].strip().strip("。；;，,")
        if rest.startswith("原"):  # 红花堰住宅小区：原红花堰1、2、3组 — what the compound was
            return [
                {
                    "type": "compound",
                    "name": km["c"],
                    "within": None,
                    "town": town,
                    "note": rest,
                    "text": text,
                }
            ], []
        if all(_BUILDING.fullmatch(x.strip()) for x in split_top(rest, "、，,")):
            return [], [text]  # 幸福小区：1栋、2栋 — single buildings are not drawn: reported
    items, written = [], {}
    for chunk in split_top(text, "，,；;。"):
        # 73、74区中的金海华府、福安楼: places inside numbered areas (the areas are no item)
        chunk = _IN_AREAS.sub("", chunk.strip(), count=1)
        if re.match(r"^[东南西北](?:至|到|界)", chunk):
            items.append(chunk)  # 西至石虎山、青芝坞: one side of a box, never a list of places
            continue
        run = split_top(chunk, "、")
        run = _buildings_out(run, left)  # 幸福小区1、2、3栋: not drawn, reported whole
        run = _counted_run(run, left)  # 东关、西关、南关三个村: three villages
        if run:  # 东关村、西关村等村 / 南关村等行政村: the list's kind after 等, no place
            run[-1] = _ETC_KIND.sub("", run[-1].strip())
        after = _GROUPS_THEN_PLACE.fullmatch(run[-1].strip()) if len(run) > 1 else None
        if after:  # 东关村一、二、三组及西关村: the groups' run, then another place
            run[-1] = after["groups"]
        if not run:
            continue
        if len(run) > 1:  # 包括永昌、长盘、昌岭各行政村: "including", 各行政村 = each a village
            run[0] = _INCLUDING.sub("", run[0].strip(), count=1)
            run[-1] = _EACH_KIND.sub(r"\1", run[-1].strip())
        for k, (raw, was) in enumerate(zip(share_suffix(run), run, strict=True)):
            if _SIDE_PART.fullmatch(re.sub(r"^.*?(?:镇|乡|街道|苏木)", "", was.strip())):
                raw = was.strip()  # 城关镇北片、南关村: 北片 takes no 村 (it is reported)
            part = _BARE_PART.fullmatch(re.sub(r"[（(].*$", "", raw.strip()))  # 二期（不含3号楼）
            whole = _PART_OF_COMPOUND.fullmatch(items[-1]) if k and part and items else None
            if whole and whole["kind"] == part["kind"]:  # 幸福小区A区、B区: 幸福小区B区
                raw = whole["base"] + raw.strip()
            parts = split_joined(raw)
            items.extend(parts)
            if raw != was.strip() and len(parts) == 1:
                written[raw] = was.strip()  # 东关 read as 东关村: the text keeps what was written
        if after:
            items.append(after["place"])
    for k, item in enumerate(items):  # 秋丰村和春华村: two items
        item = _OCR_SPACE.sub("", item)  # 北关 社区 (a stray space inside a name)
        if _REST_OF.match(simplified(item.strip())):  # 城关镇其余村: what no other school takes
            from .remainder import read_remainder

            rest = read_remainder(item.strip(), town)
            if rest is None:
                left.append(item.strip())
            else:
                pieces.append(rest)
            continue
        as_written = item
        if (
            pieces
            and pieces[-1]["type"] == "street_list"
            and re.fullmatch(r"\d+", item.strip())
            and _numbers_end_in_hao(items[k + 1 :])
        ):  # 马塍路24、26、28…35号: the 号 is on the last only (梁家街2、3、7组: groups)
            item = item.strip() + "号"
        if (
            pieces
            and pieces[-1]["type"] == "street_list"
            and PATTERNS["bare_numbers"].fullmatch(_SUB_ADDRESS.sub(r"\1", _notes_off(item)))
        ):  # 青年路1号、3号、5号 / 6号（浅水半岛）: more numbers of the same street
            written_item, item = as_written, _SUB_ADDRESS.sub(r"\1", _notes_off(item))
            prev = pieces[-1]
            more = parse_numbers(item) or {}
            said = re.search(r"[（(]\s*(?P<p>[单双])(?:号|数)?\s*[)）]", written_item)
            if said and ("from" in more or "to" in more):  # 、2-50号（双号）: its own parity
                more["parity"] = "odd" if said["p"] == "单" else "even"
            numbers = dict(prev["numbers"] or {"parity": "all"})
            if "list" in more and "from" not in numbers:
                numbers["list"] = numbers.get("list", []) + more["list"]
                prev["numbers"] = numbers
                prev["text"] = f"{prev['text']}、{written_item}"
                continue
            if more:  # 延安路880弄、901-1299号: another stretch of the same street
                parity = more.get("parity", "all")
                sides = parity if parity in ("odd", "even") else prev["sides"]
                if sides in ("odd", "even") and parity == "all":
                    sides = "both"
                pieces.append({**prev, "numbers": more, "sides": sides, "text": written_item})
                continue
        excluded = parse_exclusion(item) if pieces else None
        if excluded:  # "…，不含X" / "…，X除外": the previous piece's exclusion
            prev = pieces[-1]
            prev.setdefault("exclude", [])
            prev["exclude"] = list(dict.fromkeys(prev["exclude"] + excluded))
            continue
        cm = _COLLECTIVE.search(item)
        if cm:  # 光明居民组及光明区块集体户: a block's collective households are no place
            if cm["area"] not in ("", "该"):  # …和该区块集体户: those of the units named
                left.append(cm.group(0).lstrip("和及与以"))
            item = item[: cm.start()]
            if not item.strip():
                continue
        pm = re.search(
            r"(?<=\S{2})(?:和|及|以及)(?=(?:(?:其他|其余)?部分\S{2,}|(?:周边|附近|周围)\S*"
            r"|\S{2,}?(?:村|社区|嘎查|居委会)(?:的)?一?部分(?:区域|地区|片区|地方)?)$)",
            item,
        )
        if pm:  # 东升村3、5、7组和部分天鹅村拆迁安置户 / 华山社区及周边区域 / 城北村和东明村部分
            # 区域: which part is unsaid
            left.append(item[pm.end() :])
            item = item[: pm.start()]
        got = _item(item, ctx, town, last_village)
        if got is None or (not got and not pieces):  # no place (who before any place)
            left.append(written.get(item, item))
            continue
        if item in written:
            for piece in got:
                piece["text"] = written[item]
        for piece in got:
            if piece.get("town"):
                town = piece["town"]
            if piece["type"] == "unit" and not piece.get("group"):
                last_village = piece
            elif piece["type"] == "unit":
                last_village = piece
        pieces.extend(got)
    return pieces, left


def clean_name(text: str) -> str:
    """A name without trailing 户籍/的/范围/适龄儿童 words."""
    text = re.sub(r"(?:户籍|的|区域|范围内|范围|适龄儿童|适龄学生)+$", "", text.strip())
    return text.strip().strip("　 ")


def _whole_township(town: str, item: str, **extra) -> dict:
    """An item naming a whole township (``X镇``, ``X街道：所有行政区域``), keys in spec order."""
    unit = {
        "type": "unit",
        "name": town,
        "town": town,
        "whole_township": True,
        "group": None,
        "sub_area": None,
    }
    return unit | extra | {"text": item}


def _item(
    item: str, ctx: ParseContext, town: str | None, last_village: dict | None
) -> list[dict] | None:
    """The pieces of one list item; None when it names no place (reported), [] when it
    names who, not where (房产生、居住证类: the place was named before it)."""
    written = item.strip().strip("　 ")
    if CATEGORY.fullmatch(_notes_off(written)):
        return []
    item = TOWN_OFFICE.sub("街道", written)  # 斜口街办 / 任留街道办事处: the township 街道
    item = _county_off(item)  # 桐庐县旧县街道 / 杭州市富阳区东洲街道: the township
    item = SETTLED.sub("", item)  # 颐馨湿地壹号已落户范围: who lives there; the compound
    for pattern, repl in COMMITTEE:  # 伊村村委会 / 西湖村委会: the village of the committee
        item = pattern.sub(repl, item)
    qm = _QUOTED.fullmatch(item)
    if qm and (qm["kind"] or PATTERNS["compound"].match(qm["name"])):
        # “金都·城市芯宇”住宅区: a compound so named, in any county (no unit to look up)
        return [
            {"type": "compound", "name": qm["name"], "within": None, "town": town, "text": written}
        ]
    item = _QUOTED.sub(r"\g<name>", item)  # “东关”: the name
    if _PART_OF.match(item):
        return None  # 部分天鹅村拆迁安置户: part of a place, which part unsaid — reported
    if re.fullmatch(r"第?\d+(?:[-—~～]\d+)?(?:幢|栋|号楼|座|单元)", item):
        return None  # 外东山弄61、62幢: a single building, whose compound is not said — reported
    item = _GROUP_SPACE.sub("", item)  # 城中社区 18—20 组: the group range written spaced
    item = re.sub(r"(?<=\d)[—~～]+(?=\d+(?:组|社|队|村民小组))", "-", item)  # 18—20组: 18-20组
    if re.search(r"(?:各|所有|全部)(?:小学|中学|学校)(?:毕业生)?$", item):
        return None  # 秦陵街办各小学: schools feeding this one, no place — reported
    got = _read_item(item, ctx, town, last_village)
    if got and item != written:
        for piece in got:  # the text keeps what was written
            piece["text"] = written
    return got


def _read_item(
    item: str, ctx: ParseContext, town: str | None, last_village: dict | None
) -> list[dict] | None:
    item = item.strip().strip("　 ")
    item = re.sub(r"^(?:仅含|只含|仅限|仅包括|只包括)(?=\S{2,})", "", item)  # 仅含御锦城小区
    om = _ONLY_PART.fullmatch(item)
    if om:  # 南苑小区只包括官渡东路西二巷（单号）: the part named, inside the place before it
        got = _item(om["part"], ctx, town, last_village)
        if got and all(p["type"] in ("street_list", "compound") for p in got):
            return [{**p, "within": om["place"], "text": item} for p in got]
        return None
    # …所辖各行政村（新浦片除外）及企事业单位: the enterprises lie in the area named before them
    item = re.sub(r"(?<=\S{2})(?:及|和|以及)(?:所辖)?各?企事业单位$", "", item)
    bracket = re.search(r"[（(\[【]", item)  # notes in brackets are read later, as they are
    head, note = (item[: bracket.start()], item[bracket.start() :]) if bracket else (item, "")
    head = re.sub(r"^(?:以及|及)(?=\S{2,})", "", head)  # 及江南大道: a joiner left on the item
    head = re.sub(r"^(?:学校)?(?:周边|周围|附近)的?(?=\S{2,})", "", head)  # 学校周边的阳光花园
    head = LEAD_VERB.sub("", head)  # 接纳青城社区 / 学校面向瑶琳镇: the place after the verb
    head = re.sub(r"(?<=\S{2})(?:及|和|以及)(?:所辖)?各?企事业单位$", "", head)
    if re.fullmatch(r"各?(?:行政村|自然村|村|社区|居委会|村委会|村居)", head):
        return []  # 三桥片所辖各行政村、社区: a kind of the place before, no place of its own
    head = AREA_TAIL.sub("", head)  # 原周浦乡所辖的区域范围 / 大青片所辖各行政村: the place
    place = WHO_TAIL.sub("", head)  # 龙庭公寓等 / 后浦村户籍的常住户口: the place
    if place != head and (not place or _GENERIC_PLACE.fullmatch(place)):
        return None  # 区域内的常住户口: who, and no place named: reported
    if _WHO.search(place or head):  # 以及所辖企事业单位 / 符合条件的随迁子女: who, not where
        return None
    item = (place or head) + note
    if not item:
        return []
    if re.match(r"^[东南西北](?:至|到|起|从|自)", item):  # a lone 东至X: a limit, never a name
        return None
    if re.fullmatch(r"\d+\s*等?", item):  # a bare number names nothing (马塍路24、26… lost)
        return None
    head, parens = _paren_split(item)
    if parens and head.endswith("部分") and all(PATTERNS["bound"].match(n.strip()) for n in parens):
        head = head[: -len("部分")]  # 久联村部分（新东公路以北）: the part is the side said
    sm = UNIT_BEFORE_SIDE.match(head)
    rest = head[sm.end() :] if sm else ""
    includes = [re.match(r"^(?:含|包括|包含)(?P<names>.{2,})$", n.strip()) for n in parens]
    if (
        sm
        and all(includes)
        and re.fullmatch(r"[^以]{1,12}以[东南西北](?:的)?(?:区块|区域|片区|范围|部分)?", rest)
    ):
        bounds = parse_bounds(rest)
        if bounds:  # 山阴街社区浦阳江以南区块（含南秀苑小区…）: that side of the community
            piece = {
                "type": "bounds",
                "within": sm["unit"],
                "town": town,
                "bounds": bounds,
                "surrounded": False,
                "text": item,
            }
            inside = [x.strip() for m in includes for x in split_top(m["names"], "、，,")]
            if inside:
                piece["includes"] = [x for x in inside if x]
            return [piece]
    rm = _RESETTLED.fullmatch(head)
    if rm:  # 新筑新城一期安置的拆迁村（原兰家村）: the compound they were resettled in
        return [
            {
                "type": "compound",
                "name": rm["place"],
                "within": None,
                "town": town,
                "note": "，".join([rm[0], *(n.strip() for n in parens)]),
                "text": item,
            }
        ]
    head = clean_name(head)
    # street with house numbers or a side (双林路（双号22号-136号）, 建设路（东侧）, X路两侧),
    # possibly after its township (西关街道和平路（双号）)
    tm = PATTERNS["township_prefix"].match(item)
    if tm and tm["rest"] and PATTERNS["street_name"].match(tm["rest"]):
        street_town, street_item = tm["town"], tm["rest"]
    else:
        street_town, street_item = town, item
    sm = PATTERNS["street_name"].match(street_item)
    if sm and not re.search(r"(?:村|社区|嘎查|居委会|街道)$", sm["street"]):
        street = sm["street"]
        qualifier = street_item[len(street) :]
        lane = re.fullmatch(r"(?P<parent>.+?[路街道巷])(?P<n>\d+)弄", street)
        if lane and re.match(r"\s*[-—–~～至到－]+\s*\d+", qualifier):
            # 长乐路1020弄-1316弄: lanes 1020 to 1316 of 长乐路, not a lane named 1020弄
            street, qualifier = lane["parent"], f"{lane['n']}弄{qualifier}"
        if PATTERNS["whole_street"].fullmatch(qualifier.strip()) or (
            not qualifier.strip() and re.search(r"\d+[弄巷里]$|段$|(?<=大道)[东南西北中]$", street)
        ):  # 全段, or a lane / a road section named alone (延安路880弄, 长青路三段)
            return _street_pieces(street, "", item, town=street_town)
        st = _STRETCH.fullmatch(qualifier.strip())
        if st:  # 建设路（李家巷口至加油站）: a from/to cut of the street
            pieces = _street_pieces(street, "", item, town=street_town)
            for piece in pieces:
                piece["stretch"] = {"from": st["a"].strip(), "to": st["b"].strip()}
            return pieces
        if re.fullmatch(r"\d+", qualifier.strip()):  # 青石路75、77号: the 号 is on the last
            qualifier = qualifier.strip() + "号"
        if (
            PATTERNS["house_number"].search(qualifier)
            or PATTERNS["number_range"].search(qualifier)
            or PATTERNS["parity"].search(qualifier)
            or PATTERNS["both_sides"].search(qualifier)
            or PATTERNS["one_side"].search(sm["paren"] or "")
        ):
            return _street_pieces(street, qualifier, item, town=street_town)
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
    if PATTERNS["group"].match(head) and last_village is None and not parens:
        return None  # 2组 with no village before it: whose group is not said — reported
    # township prefix
    rest = head
    tm = PATTERNS["township_prefix"].match(head)
    if tm and not head.endswith(("村", "社区", "嘎查", "居委会")) or (tm and tm["rest"]):
        town, rest = tm["town"], tm["rest"]
        again = PATTERNS["township_prefix"].match(rest)
        if again and again["rest"] and again["town"] == rest[: len(again["town"])]:
            # 青龙乡白莲池街道石岭社区: the former township, then today's — today's is the parent
            head, town, rest = rest, again["town"], again["rest"]
        said = re.match(r"^(?:所辖范围|所辖|辖区内|辖区|范围内|内)?的?", rest)[0]
        within = head[len(town) : len(head) - len(rest)] + said  # 所辖/辖区(内)/范围内
        rest = rest[len(said) :]
        if within and _ALL_COUNTED.fullmatch(rest):
            # 太阳镇辖区内11个行政村和1个居民组: every unit within it — the township
            # (宝昌镇6个社区, said without 辖区内, is those six: expanded from the list)
            return [_whole_township(town, item)]
        if not rest or PATTERNS["whole_township"].match(rest):
            # （含城南工业园区）: what the township includes, not a list of its parts
            parens = [n for n in parens if not re.match(r"^(?:含|包括|包含)", n.strip())]
            notes_out = [parse_exclusion(n) for n in parens]
            if parens and all(notes_out):  # 城关镇（不含原北关村1、2、8组）: all but those
                exclude = [n for names in notes_out for n in names]
                return [_whole_township(town, item, exclude=exclude)]
            if parens:
                sub = []
                for note in parens:
                    got, _ = item_list(note, ctx, town)
                    sub.extend(got)
                if sub:
                    return sub
            return [_whole_township(town, item)]
    if (
        town
        and not parens
        and re.match(r"^(?:所有|全部)", head)
        and PATTERNS["whole_township"].match(head)
    ):
        # 松岗街道：所有行政区域 — the whole township named before the colon
        return [_whole_township(town, item)]
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
    street_excluded = [
        [] if _WHOLE_NOTE.fullmatch(n.strip()) else parse_exclusion(n) for n in parens
    ]
    is_street = re.fullmatch(rf"[{CN}A-Za-z0-9]{{1,16}}(?:大道|大街|路|街|巷)", rest) and not (
        rest.endswith(("社区", "村", "街道"))
    )
    if is_street and any(_PART_NOTE.fullmatch(n.strip()) for n in parens):
        return None  # 崔家店南路（部分）: which part is not said — reported, never the whole
    if is_street and all(
        x is not None for x in street_excluded
    ):  # a whole street (潘家街（四段除外）: all but the excluded stretch; 滨江西路（各段）)
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
    # compound (小区) named alone, or with its address (阳光花园（青石路99号）)
    if PATTERNS["compound"].match(rest) and not rest.endswith(("村", "社区")) and not parens:
        return [{"type": "compound", "name": rest, "within": None, "town": town, "text": item}]
    if (
        PATTERNS["compound"].match(rest)
        and not rest.endswith(("村", "社区"))
        and len(parens) == 1
        and _ADDRESS.fullmatch(parens[0].strip())
    ):
        return [
            {
                "type": "compound",
                "name": rest,
                "within": None,
                "town": town,
                "address": parens[0].strip(),
                "text": item,
            }
        ]
    # village + group / natural village (菜园村三社, 东红村禹仁围子, 董大桥村1-7组)
    group, sub_area, name = None, None, rest
    vm = PATTERNS["village_split"].match(rest)
    if vm and re.search(r"(?:镇|乡|街道|苏木)$", vm["sub"]) and not parens:
        return [_whole_township(rest, item)]  # 杨村桥镇: a township whose name has 村 in it
    if vm and _WHOLE_TAIL.fullmatch(vm["sub"]):
        vm, rest = None, vm["village"]  # 兴围村全部 / 富城村等所属区域: the whole village
        name = rest
    former = None
    fm = _FORMER_UNIT.fullmatch(rest)
    if fm and not parens:  # 原山前村(全部): a village merged into another, by its old name
        vm, former, rest = None, rest, fm["unit"]
        name = rest
    if (
        vm
        and re.fullmatch(rf"[{CN}]", vm["sub"])
        and vm["sub"] not in "东南西北中"
        and vm["village"].endswith("村")
    ):
        vm = None  # 胡村源 / 周村口: one name, not a part of 胡村
    if vm:
        tail = re.sub(r"^(?:所辖|所属|下辖|辖)?的?(?=\S)", "", vm["sub"])  # 东关村所辖1-5组
        if PATTERNS["group"].match(tail):
            name, group = vm["village"], tail
        elif tail.startswith("原") or not rest.endswith(("村", "社区", "嘎查", "居委会")):
            name, sub_area = vm["village"], tail
    else:  # 关家8组 / 原红花堰1组: a group after a village written without 村
        gm = re.fullmatch(
            rf"(?P<v>[{CN}]{{2,8}}?)(?P<g>[一二三四五六七八九十百\d]+(?:组|村民小组))", rest
        )
        if gm and not _TYPED.search(gm["v"]):
            name, group = gm["v"], gm["g"]
    if sub_area and _PART_ONLY.fullmatch(sub_area):
        return None  # 东明村部分区域 / 东明村的一部分: which part is unsaid: reported
    if not re.fullmatch(rf"[{CN}A-Za-z0-9·•]{{1,16}}", name) or _PROSE.search(name):
        return None  # not a name (a clause: 按照规定执行, 详见附件): reported, never a place
    if _CROSSING.search(name):
        return None  # 人民路与解放路交汇处东北片区: a corner of a crossing, no place: reported
    if _SIDE_PART.fullmatch(name) or _SIDE_PART.fullmatch(_TOWN_AREA.sub("", name)):
        return None  # 城关镇东部 / 城关街道东侧 / 县城北部: which part is unsaid: reported
    if _TOWN_CENTRE.fullmatch(name):
        return None  # 城关镇政府驻地 / 集镇区域 / 镇区: the built-up centre, not drawn: reported
    if re.search(r"(?:路|街|大道|巷)(?:[东南西北中]段|段)$", name):
        return None  # 人民路北段（解放路以北）: a stretch of a street, no unit, no area: reported
    if (
        town is None
        and ctx.county not in _units.COUNTIES
        and not parens
        and not re.search(r"(?:村|社区|嘎查|居委会|组|社)$", name)
        and group is None
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
    if former:
        base["written_note"] = former
    if not parens:
        return [base]
    out = []
    notes = []
    for note in parens:  # 东关村（3组除外，3组到第二小学）: each clause a note of its own
        clauses = [c.strip() for c in split_top(note, "，,；;") if c.strip()]
        if len(clauses) > 1 and all(parse_exclusion(c) or _CARVE_OUT.fullmatch(c) for c in clauses):
            notes.extend(clauses)
        else:
            notes.append(note)
    for note in notes:
        note = note.strip()
        if _BUILDING_NOTE.fullmatch(note):
            return (
                None  # 幸福小区（1-10栋）: buildings are not modelled (a sub-area no address has)
            )
        if re.search(r"[鄰邻]", note):  # 福安里（1－6、21－24鄰）: neighbourhoods of a 里
            from .tables import neighbour_groups

            got = neighbour_groups(note)
            if got is not None:
                groups, excluded = got
                if excluded:
                    base = {**base, "exclude": excluded}
                out.extend([{**base, "group": g} for g in groups] or [base])
                continue
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
            if base.get("sub_area") in ("其他", "其余", "其他区域", "其余区域"):
                base = {**base, "sub_area": None}  # 宕里社区其他区域（A、B以外区域）: all but A, B
            base["exclude"] = list(dict.fromkeys([*(base.get("exclude") or []), *names]))
            if not any(x is base for x in out):
                out.append(base)
            continue
        groups = share_suffix(split_top(note, "、，,"))  # （1、2、3组）: each a group
        if groups and all(PATTERNS["group"].match(g) for g in groups):
            out.extend({**base, "group": g} for g in groups)
            continue
        if note in ("部分", "一部分", "局部"):
            return None  # 东方社区（部分）: which part is unsaid — reported
        sm = _SIDE_NOTE.fullmatch(note)
        if sm:  # 东阳桥社区（毛家河东） / 井头王社区（萧绍路南）: that side of the river or road
            side = {"东": "east_of", "西": "west_of", "南": "south_of", "北": "north_of"}
            out.append(
                {
                    "type": "bounds",
                    "within": name,
                    "town": town,
                    "bounds": [{"street": sm["street"], "side": side[sm["side"]]}],
                    "surrounded": False,
                    "text": item,
                }
            )
            continue
        co = _CARVE_OUT.fullmatch(note)
        parts = share_suffix(split_top(co["part"], "、，,和及")) if co else []
        if parts and all(PATTERNS["group"].fullmatch(x.strip()) for x in parts):
            # 东关村（3组划入第二小学 / 其中3组到第二小学就读）: those groups are that school's
            parts = [x.strip() for x in parts]
            kept = [e for e in base.get("exclude") or [] if e not in parts]
            carved = [
                {**{k: v for k, v in base.items() if k != "exclude"}, "group": x}
                | ({"exclude": kept} if kept else {})
                | {"carved_to": co["school"]}
                for x in parts
            ]
            base["exclude"] = list(dict.fromkeys([*(base.get("exclude") or []), *parts]))
            if not any(x is base for x in out):
                out.append(base)
            out.extend(carved)
            continue
        chosen = choice_schools(note)
        if chosen:  # 洪桥头社区（仅可报第五小学和第六小学）: the schools its children may choose
            out.append({**base, "written_note": note, "choice": chosen})
            continue
        fm = _FORMER_PART.match(note)
        if fm:  # 呼侯村（原侯家村范围）: the part that was 侯家村
            out.append({**base, "sub_area": fm["place"]})
            continue
        if note.startswith("原") or _NOTE_ONLY.search(note):
            # 兴隆社区（原元通村、双兴村）: what the unit was formed from; 半山村（双学区）,
            # 红垦农场（仅限原常住户籍）: a note on the whole unit, no part of it (as a sub-area
            # it matched only an address that wrote the note)
            whole = note in ("全部", "全域", "整村", "全村")
            out.append(base if whole else {**base, "written_note": note})
            continue
        if len(groups) >= 2 and all(
            re.fullmatch(rf"[{CN}]{{1,12}}(?:村|社区|居委会|嘎查)", g) for g in groups
        ):  # 安仁镇元兴（金塘村、陈河村…）: the villages of a named part, each a unit
            out.extend({**base, "name": g, "expanded_from": f"{name}（{note}）"} for g in groups)
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
        parts = [g.strip() for g in groups if g.strip()]
        if len(parts) > 1 and all(re.fullmatch(rf"[{CN}A-Za-z]{{2,12}}", g) for g in parts):
            # 东复村（洪家潭、萧山沿）: each a part of its own (one sub-area naming both
            # matched no address)
            out.extend({**base, "sub_area": g} for g in parts)
            continue
        out.append({**base, "sub_area": note})
    return out
