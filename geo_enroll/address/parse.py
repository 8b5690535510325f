"""Parse a Chinese address into its parts (地址解析).

The parser reads the normalised text left to right.  First the administrative chain —
province (省/自治区/直辖市), city (市/盟/州/地区), county (区/县/旗), township
(镇/乡/苏木/街道), village (村/嘎查/社区) — is matched against the official table
(:mod:`~geo_enroll.address.divisions`), each level only under the units already matched, so that
a name is read as a place only where a place can be.  Then the rest: group (组/社/队), road
(路/街/大街/巷/胡同/国道), house number (号, ranges 14-16号, 14号之1), compound
(小区/花园/苑/院/公寓), building (栋/幢/号楼), unit (单元), floor, room (室).

Rules that keep roads from being read as places:

* a short form (河北 for 河北省, 朝阳 for 朝阳区, 宝昌 for 宝昌镇) is a place only at the very
  start or right after another place, and never when a road, village or compound word follows
  (河北路, 环河北路, 宝昌大街, 团结街 are roads);
* nor when a road stem of at most one character follows (龙潭寺东路, 猛追湾横街, 白莲池支路 are
  roads, not the townships 龙潭/猛追湾/白莲池 and a remainder);
* a longer full name of a finer level wins over a place it starts with (石家庄循环化工园区 is a
  county, not 石家庄 and a remainder);
* below the province level a name is only looked up among the children of what matched before
  (北京市…南京东路 cannot make 南京 a city).

A road written right after another is one name when it is its branch or section
(府青路东五街, 成华大道新鸿路, 人民南路四段); any other road right after it is a crossing,
``cross_road`` (丰华路与沙河路, 机场路金银街).  Lanes (131弄10号), sub-numbers (2499-164号 →
``2499之164``; 14-16号 stays a range) and building/unit/floor/room (3栋2单元501室, B座1203,
小区3-2-501) are parts of their own; a number after a compound is a room, not the road's
number.  A compound name runs to its last compound word (西南电力设计院小区).

Never a guess (a wrong county sends a child to the wrong school):

* omitted levels are inferred from the deepest unit matched only when it is the one unit of its
  name (宝昌镇菜园村 → 太仆寺旗: 宝昌镇 is unique in the national table; noted); a shared name
  (永丰镇, 红旗镇, 西湖区) stays without a code, with ``candidates``;
* villages are looked up only inside one identified county whose village table is shipped, and
  by sound only inside one identified township (the national table stops at townships);
* a name is never found by skipping the start of a word (玉环县 is not 环县, 江东区 not 东区):
  only after a non-Chinese character or an introducing word (户籍地址, 中国);
* text before the first unit that ends like an admin name the table lacks (某某县红旗镇) stops
  the national look-up, and an unknown place is not swallowed by the road after it
  (台北市信义路: 台北市 unplaced, road 信义路).

Renamed and retired units (江干区, 襄樊, 玉环县, 新津县; ``historical_changes.csv``) resolve to
today's successor, listed in ``historical`` with the year, change and approval, the name as
written kept in ``written``; one retired without a single successor stops the chain
(``retired_unit``).  A township written with its former kind (五津镇 for 五津街道) is read inside
the county already named.  A short county or city name at the start (富阳, 张家港, 台州路桥)
resolves when unique; a unit written twice (北京北京市, 金华金华) is read once; exported
``null`` cells are dropped.  香港, 澳门 and 台湾 are recognised at province level
(``outside_table``: the national table has nothing below them).

Where nothing under the units read is named, and only there, the parse tries (each noted,
what was written kept in ``written``): a county under the wrong city (宁波市义乌市: the one
义乌市 of the table, in that province, gives 金华市); a township under a county it is no longer
in (余杭区临平街道 → 临平区: the one 临平街道 of the table, in that city); a development zone
without its city (合肥市高新区); a city or county name with one character mistyped by a
homophone (郑洲市金水区, 成都市武候区; ``fuzzy``), unique under the written parent and, for a
city, confirmed by one of its counties.  A city without counties (东莞市, 嘉峪关市) answers
its county-level twin.

Village names are also matched by sound (pypinyin, tones ignored; then with n/ng and z/zh
c/ch s/sh merged), because addresses and the seed policy spell villages with homophones
(东圪良 for 东圪梁, 楚伦乌苏 for 楚鲁乌苏); such matches carry ``fuzzy``.

Every name of every level (today's, short, old) sits in one trie (pyahocorasick), built once
per process and table with the tables the parse reads (per level, name → today's units, units
by short name, changes of old names; every start of a name → the names it begins with).  The
names at a position are found where the parse asks — one walk down the trie to the longest
start of a name, one look-up — not by a pass reporting every name inside every name.
:func:`parse_many` parses a column with the same parser.  ``benchmarks/check_parse_same.py``
keeps the answers of speed work identical on ~48,000 addresses.

Compiled parts (optional, each with the Python code as its reference): the module itself is
compiled with mypyc (``_twin.py``), and a C extension, ``_admin_ext.c``, reads the start of
the admin chain.  Its ``Matcher`` gets the parser's tables once (a trie of every name, per
name and level the codes of today's units of the full and short name and the changes of old
names); its walk reads the text from the start as the loop below does, one unit at a time,
as long as the next unit is certain (one unit of the name under the one before, short forms
only where the loop allows them, a unit written twice read once, an old name with one
successor), and stops before anything else (a shared name, a retired unit, a village, a
typo...).  The loop then goes on from there in the state it would have reached, so the answers
are the Python code's by construction; where the walk also shows that no unit can be read
after the ones it read (``final``), ``parse_many(admin_only=True)`` answers from it alone, and
the loop asks for no names after it.  The same ``Matcher`` shows when normalisation would leave
a text as it is (``plain``: then it is not run).  ``GEO_ENROLL_NO_EXT=1`` (or no extension
built) runs the Python code alone; ``tests/address/test_admin_ext.py`` compares the two.

Examples
--------
>>> r = parse_address("内蒙古锡林郭勒盟太仆寺旗宝昌镇河沿街5组14号")
>>> r["county"], r["township"], r["road"], r["group"], r["house_number"]
('太仆寺旗', '宝昌镇', '河沿街', '5组', '14')
>>> r["codes"]["county"], r["codes"]["township"]
('152527', '152527100')
>>> parse_address("北京市朝阳区环河北路12号")["province"]
'北京市'
>>> r = parse_address("成都市成华区龙潭寺东路8号")
>>> r["township"], r["road"], r["codes"]["county"]
(None, '龙潭寺东路', '510108')
>>> parse_address("成都市武侯区人民南路四段9号")["road"]
'人民南路四段'
>>> parse_address("")["reason_code"]
'empty'
"""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache
from typing import Any

from ..settings import DEFAULT_SETTINGS, Settings
from . import _twin
from .divisions import LEVELS, Divisions, level_of_code, load_divisions, short_name
from .normalize import has_han, normalize_address

__all__ = ["parse_address", "parse_many", "PARTS", "admin_fields", "pinyin_key", "warm_up"]

PARTS = (
    "province", "city", "county", "township", "village", "group", "road", "cross_road", "lane",
    "house_number", "compound", "building", "unit", "floor", "room",
)  # fmt: skip
"""The parts of a parsed address, coarse to fine."""

_ROAD_SUFFIX = "大街|大道|国道|省道|县道|公路|胡同|路|街(?!道)|巷|弄"
_VILLAGE_SUFFIX = "村|嘎查|社区|居委会|村委会"
_COMPOUND_SUFFIX = "小区|花园|家园|公寓|大厦|新村|苑|院|宿舍|山庄|华庭|名苑|广场|园|府"
# After a place name: one of these means the name was part of a road/village/compound name.
_NOT_A_PLACE_RE = re.compile(
    f"[东南西北中]?(?:{_VILLAGE_SUFFIX}|{_COMPOUND_SUFFIX}|桥|大桥|门)"
    # a road stem of one character is no road of its own: 龙潭寺东路, 猛追湾横街, 白莲池支路
    f"|[\u3400-\u9fff0-9]?[东南西北中横支环]?(?:{_ROAD_SUFFIX})"
    # a numbered branch or section: 中山东一路, 人民南二路, 解放西三街 (not the city 中山)
    f"|[东南西北中][一二三四五六七八九十]{{1,2}}(?:{_ROAD_SUFFIX})"
    "|[省市区县旗盟州镇乡]"  # 朝阳区: the short 朝阳 (of 朝阳市) is part of a longer name
)
_NAME = r"[\u3400-\u9fffA-Za-z0-9]"
_NAME_NO_ROAD = r"(?:[\u3400-\u9fffA-Za-z](?<![路街巷号道]))"
_TOKENS = (
    ("group", re.compile(r"(\d+)(组|社(?!区)|队)")),
    ("lane", re.compile(r"(\d+)(?:支弄|弄)")),  # 131弄10号: lane 131, house 10
    ("building", re.compile(r"(\d+|[A-Za-z])(号楼|栋|幢|座)")),
    ("unit", re.compile(r"(\d+)单元")),
    ("floor", re.compile(r"(\d+)(层|楼)(?!\d*号)")),
    ("room", re.compile(r"(\d+)(室|号房|户)")),
    ("house_number", re.compile(r"(\d+(?:-\d+)?)号(?:之(\d+)|-(\d+)(?!号))?院?")),
    # a subdistrict named after a road (建设路街道), absent from the official table
    ("township?", re.compile(r"([\u3400-\u9fff]{1,6}?[路街]街道)")),
    ("road", re.compile(f"([\u3400-\u9fff0-9]{_NAME}{{0,11}}?(?:{_ROAD_SUFFIX})(?:(?<=[街巷])路)?)(?!{_VILLAGE_SUFFIX}|{_COMPOUND_SUFFIX})")),
    # a village or community may carry a road word (马道峪村, 正茂巷社区, 复兴路社区): the
    # road token above refuses a road followed by 村/社区, so the whole name lands here
    ("village?", re.compile(r"([\u3400-\u9fff]{1,14}?(?:村|嘎查|社区))(?!" f"{_ROAD_SUFFIX}|小区)")),
    ("compound", re.compile(f"({_NAME_NO_ROAD}{{1,10}}?(?:{_COMPOUND_SUFFIX}))")),
    ("compound", re.compile(f"({_NAME}{{1,12}}?(?:小区|花园|家园|公寓|大厦|新村|苑))")),
    ("township?", re.compile(f"({_NAME_NO_ROAD}{{2,8}}?(?:街道|镇|乡|苏木))(?!{_ROAD_SUFFIX})")),
    ("bare", re.compile(r"(\d+(?:-\d+)?)$")),  # 3栋2单元501 → room; 双林路22 → house number
    # 小区3-2-501 / 大厦3-501: building-unit-room after a compound
    ("bur", re.compile(r"(\d+)-(\d+)(?:-(\d+))?(?!\d|号)")),
)  # fmt: skip
# a name ending like an admin unit at the front of a road/township/compound token
_SWALLOWED_RE = re.compile(
    r"([\u3400-\u9fff]{2,8}?(?:省|(?<![城都超门])市|自治区|地区|区|县|旗|盟|州))(?=[\u3400-\u9fff]{3,})"
)
# unread text that ends like an admin unit (嘉峪关市成县): the city is not all that was meant
_ADMIN_END_RE = re.compile(r"[省市区县旗盟州](?: |$)")
# _Parser._recover is tried after these levels (and after a county where a township name starts)
_RECOVER_AFTER = frozenset(("province", "city"))
_NO_HITS: tuple = ()
_NO_LEVELS: frozenset = frozenset()
_NOTHING = (_NO_HITS, _NO_LEVELS)
_SHARED = 8  # a name of more units than this gets an index by ancestor (_Parser._shared)
_COARSE = frozenset(("province", "city", "county"))
_LEVELS_AFTER = {lv: LEVELS[i + 1 :] for i, lv in enumerate(LEVELS)}
_FINER = {lv: LEVELS[i + 1 : 4] for i, lv in enumerate(LEVELS)}
_OUTSIDE_TABLE = {"71", "81", "82"}
# a branch of the road before it: 东五街, 东一巷, 南一街, 西一巷, 横街, 支路
_BRANCH_RE = re.compile(
    r"(?:[东南西北中正](?:[一二三四五六七八九十\d]+|横|支|后|前)?|[一二三四五六七八九十\d]+|横|支|后|前)"
    r"(?:大街|街|巷|路|弄|里)"
)
_ROAD_BODY = r"[\u3400-\u9fff][\u3400-\u9fff0-9]{0,10}?(?:大街|大道|公路|胡同|路|街(?!道)|巷|弄)"
# a crossing: 丰华路与沙河路(交叉口), 机场路金银街, 人民路和解放路口
_CROSS_RE = re.compile(f"({_ROAD_BODY})(交叉口|交汇处|交界处|路口|口)?(?!\\d|号|[东南西北中]?段)")
_JOINERS = "与跟及"  # 和 joins only before a crossing word (人民路和解放路口): 和平街 is a name


def _cross_at(s: str, end: int):
    """``(road, end)`` of a crossing road written at ``end`` (与沙河路交叉口, 金银街), or None.

    >>> _cross_at("丰华路与沙河路交叉口", 3), _cross_at("人民路和平街", 3)
    (('沙河路', 10), ('和平街', 6))
    """
    if s[end : end + 1] in _JOINERS or s[end : end + 1] == "和":
        m = _CROSS_RE.match(s, end + 1)
        if m and len(m.group(1)) >= 3 and (s[end] != "和" or m.group(2)):
            return m.group(1), m.end()
    m = _CROSS_RE.match(s, end)
    return (m.group(1), m.end()) if m else None


def _joined_at(s: str, end: int) -> bool:
    """Whether a word joining a crossing road stands at ``end`` (与, 跟, 及; 和 only before a
    crossing word: 和平街 is a name).

    >>> _joined_at("解放大道与新华路交叉口", 4), _joined_at("人民大道和解放路口", 4)
    (True, True)
    >>> _joined_at("成华大道和平街", 4), _joined_at("成华大道新鸿路", 4)
    (False, False)
    """
    c = s[end : end + 1]
    if c in _JOINERS:
        return True
    return c == "和" and bool((m := _CROSS_RE.match(s, end + 1)) and m.group(2))


def _strip_joiner(text: str) -> str:
    """A crossing road without the word joining it to the first (与沙河路 → 沙河路).

    >>> _strip_joiner("与沙河路"), _strip_joiner("和平大街")
    ('沙河路', '和平大街')
    """
    return text[1:] if text[:1] in _JOINERS and len(text) > 3 else text


_TOWNSHIP_KINDS = ("街道", "镇", "乡")
_TOWNSHIP_KIND_RE = re.compile(r"([\u3400-\u9fff]{2,6}?)(街道|镇|乡)")
# what may stand before an address without being part of a place's name (户籍地址:, 中国)
_NOISE_END_RE = re.compile(r"(?:地址|住址|住所|户籍|户口|中国|籍贯|所在地|位于|家住|现居|现住)$")
# text before the first known unit that ends like an admin name: a unit the table lacks
_UNKNOWN_ADMIN_RE = re.compile(r"[\u3400-\u9fff]{2,}(?:省|市|区|县|旗|盟|州|地区)$")
# the tokens that can start at a digit, and the others (each list in the order above)
_TOKENS_DIGIT = tuple(t for t in _TOKENS if t[0] in {
    "group", "lane", "building", "unit", "floor", "room", "house_number", "road", "compound",
    "bare", "bur"})  # fmt: skip
_TOKENS_OTHER = tuple(t for t in _TOKENS if t[0] not in {
    "group", "lane", "unit", "floor", "room", "house_number", "bare", "bur"})  # fmt: skip
# one pattern that matches where any token of each list would: a position where it fails
# is skipped without trying the tokens one by one, and where it matches, the alternative
# that matched (the first of the list that matches here: alternatives are tried in order)
# names the token to start from (same answers, fewer regex calls)
_ANY_DIGIT_RE = re.compile(
    "|".join(f"(?P<d{i}>{rx.pattern})" for i, (_, rx) in enumerate(_TOKENS_DIGIT))
)
_ANY_OTHER_RE = re.compile(
    "|".join(f"(?P<o{i}>{rx.pattern})" for i, (_, rx) in enumerate(_TOKENS_OTHER))
)
# the name of the alternative that matched → the tokens from it on, each as
# (part, pattern, generic: a part that keeps the admin look-up open, e.g. "township?")
_TOKENS_FROM = {
    f"{tag}{i}": tuple((p.rstrip("?"), rx, p.endswith("?")) for p, rx in tokens[i:])
    for tag, tokens in (("d", _TOKENS_DIGIT), ("o", _TOKENS_OTHER))
    for i in range(len(tokens))
}
_SECTION_RE = re.compile(r"(?:\d+|[一二三四五六七八九十]+)段")
_COMPOUND_MORE_RE = re.compile(f"(?:{_COMPOUND_SUFFIX})")
_VILLAGE_SUFFIX_RE = re.compile(_VILLAGE_SUFFIX)
_GROUP_AHEAD_RE = re.compile(r"\d+(?:组|社(?!区)|队)")
_MERGE = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"))


@lru_cache(maxsize=20000)
def _char_pinyin(c: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(c, style=Style.NORMAL, errors=lambda x: x)[0]


@lru_cache(maxsize=20000)
def _loose_syllable(s: str) -> str:
    """One syllable as :func:`pinyin_key` ``loose=True`` writes it."""
    for a, b in _MERGE:
        s = s.replace(a, b)
    if len(s) > 2 and s.endswith("n"):
        s = s[:-1]
    return s


@lru_cache(maxsize=20000)
def _typo_sound(c: str) -> str:
    """A character's toneless pinyin with z/zh, c/ch, s/sh and n/ng merged (the confusions
    of pinyin input), a final n kept: 证 = 圳, 洲 = 州, but 砥 (di) ≠ 鼎 (ding).

    >>> _typo_sound("证") == _typo_sound("圳"), _typo_sound("砥") == _typo_sound("鼎")
    (True, False)
    """
    s = _char_pinyin(c)
    for a, b in _MERGE:
        s = s.replace(a, b)
    return s


def pinyin_key(name: str, *, loose: bool = False) -> str:
    """Toneless pinyin of ``name``; ``loose`` also merges z/zh, c/ch, s/sh, n/ng and drops a final n.

    >>> pinyin_key("东圪良") == pinyin_key("东圪梁")
    True
    >>> pinyin_key("楚伦乌苏", loose=True) == pinyin_key("楚鲁乌苏", loose=True)
    True
    """
    syl = [_char_pinyin(c) for c in name]
    if loose:
        syl = [_loose_syllable(s) for s in syl]
    return " ".join(syl)


def _village_sound_index(div: Divisions) -> tuple[dict, dict]:
    return _build_once(("sound", div, None), lambda: _build_sound_index(div))


def _build_sound_index(div: Divisions) -> tuple[dict, dict]:
    exact: dict[str, tuple] = {}
    loose: dict[str, tuple] = {}
    for code, keys in div.village_keys.items():
        base = keys[-1]
        if len(base) < 2:
            continue
        for table, k in ((exact, pinyin_key(base)), (loose, pinyin_key(base, loose=True))):
            prev = table.get(k, ())
            if code not in prev:
                table[k] = (*prev, code)
    return exact, loose


_TEMPLATE = {"input": None, "normalized": "", **dict.fromkeys(PARTS), "codes": None,
             "group_number": None, "inferred": None, "candidates": None, "fuzzy": None,
             "notes": None, "unplaced": "", "level": None, "reason": None, "reason_code": None,
             "written": None, "historical": None}  # fmt: skip


def _empty(text) -> dict:
    out = _TEMPLATE.copy()
    out["input"] = text
    out["codes"], out["inferred"], out["candidates"], out["fuzzy"] = {}, [], {}, {}
    out["notes"], out["written"], out["historical"] = [], {}, []
    return out


def _under(codes, parents) -> tuple:
    """The codes lying under one of ``parents`` (code prefixes), in their order.

    >>> _under(("152527100", "110119001"), ("1525",))
    ('152527100',)
    """
    if parents is None:
        return codes if type(codes) is tuple else tuple(codes)
    if len(parents) == 1:
        (p,) = parents
        if len(codes) == 1:  # the common case, without building a generator
            if not codes[0].startswith(p):
                return ()
            return codes if type(codes) is tuple else tuple(codes)
        return tuple([c for c in codes if c.startswith(p)])
    prefixes = tuple(parents)
    return tuple([c for c in codes if c.startswith(prefixes)])


class _Parser:
    def __init__(self, div: Divisions, prefer: frozenset):
        import ahocorasick

        self.div = div
        self.prefer = prefer
        # every name of every level (today's, short, old) in one trie (pyahocorasick, used as
        # a trie: the parse asks for the names at a position, never for every name in a text)
        names = {
            k for lv in LEVELS for t in (div.full[lv], div.short[lv], div.historical[lv]) for k in t
        }
        self.automaton = ahocorasick.Automaton()
        levels_of: dict[str, set] = {}
        for lv in LEVELS:
            for t in (div.full[lv], div.short[lv], div.historical[lv]):
                for k in t:
                    levels_of.setdefault(k, set()).add(lv)
        # name → the levels it names a unit at (a position is tried only at those levels)
        self.levels_of = {k: frozenset(v) for k, v in levels_of.items()}
        for key in names:
            if len(key) >= 2:
                self.automaton.add_word(key, len(key))
        # the trie of every name: the longest start of a name at a position, in C
        self._longest_start = self.automaton.longest_prefix
        self._max_len = max(map(len, names))
        # every start of a name (a trie node) → the names it begins with, longest first, and
        # the levels they name; starts that begin with no name are left out
        upto: dict[str, tuple] = {}
        for key in names:
            for i in range(2, len(key) + 1):
                start = key[:i]
                if start in upto:
                    continue
                found = tuple(start[:j] for j in range(i, 1, -1) if start[:j] in self.levels_of)
                if found:
                    levels = frozenset().union(*(self.levels_of[k] for k in found))
                    upto[start] = (found, levels)
        self._upto = upto
        # level → name → (today's codes, codes by short name, changes of old names): one
        # look-up per name and level in _admin_lookup
        self._by_level = {}
        for lv in LEVELS:
            full, short, old = div.full[lv], div.short[lv], div.historical[lv]
            self._by_level[lv] = {
                k: (full.get(k), short.get(k), old.get(k)) for k in (*full, *short, *old)
            }
        # a name shared by many units (城关镇, 站前街道) → ancestor code → its units there, in
        # order (_under without a pass over every unit of the name, for one parent)
        self._shared: dict = {}
        for table in (*div.full.values(), *div.short.values()):
            for codes in table.values():
                if len(codes) > _SHARED and id(codes) not in self._shared:
                    index: dict[str, list] = {}
                    for c in codes:
                        for n in (2, 4, 6, 9, 12):
                            if n <= len(c):
                                index.setdefault(c[:n], []).append(c)
                    self._shared[id(codes)] = (codes, {k: tuple(v) for k, v in index.items()})
        # name → the codes of the provinces, cities and counties it names (_repeated)
        coarse: dict[str, set] = {}
        for lv in LEVELS[:3]:
            for table in (div.full[lv], div.short[lv]):
                for k, codes in table.items():
                    coarse.setdefault(k, set()).update(codes)
        self._coarse_codes = {k: frozenset(v) for k, v in coarse.items()}
        # full names of provinces, cities, counties and townships (_first_admin)
        self._full_admin = frozenset(
            k for lv in ("province", "city", "county", "township") for k in div.full[lv]
        )
        # code → _lineage of every unit down to townships, built once with the tables (what
        # _resolve_chain reads for the deepest unit; villages go through the memo)
        self._lineages = {c: _lineage_of(div, c) for c in div.units if len(c) <= 9}
        # the C walk of the admin chain's start over these tables, or None (no extension,
        # or GEO_ENROLL_NO_EXT=1): the Python loop below then reads it, with the same answers
        self._change_list: list = []  # the Change objects the C walk names by index
        matcher = _admin_matcher(self)
        self._walk: Any = None if matcher is None else matcher.walk
        # and its proof that normalize_address leaves a text as it is (the common case)
        self._plain: Any = None if matcher is None else matcher.plain

    def _hits(self, s, pos) -> tuple:
        """Names (any level) starting at ``pos``, longest first.  One walk down the trie (in
        C) to the longest start of a name there, then one look-up of what that start
        contains: no pass over the whole text, nothing computed for positions the parse never
        asks about (the main loop does the same inline, with the levels the names name)."""
        d = self._longest_start(s[pos : pos + self._max_len])
        return self._upto.get(s[pos : pos + d], _NOTHING)[0]

    # -- administrative chain -------------------------------------------------------------
    def _admin_lookup(self, s, pos, level, parents, allow_short, hits=None):
        """``(codes, end, short, changes)`` of the unit of ``level`` named at ``pos``, or None.

        Today's names first; then old names of renamed or retired units (江干区, 襄樊,
        玉环县), which give today's successors and the ``changes`` that led there (codes may
        be empty: retired without a successor).  ``hits``: the names at ``pos`` when the
        caller has them."""
        if hits is None:
            hits = self._hits(s, pos)
        table = self._by_level[level]
        for key in hits:
            entry = table.get(key)
            if entry is None:
                continue  # names no unit of this level
            codes, short_codes, changes = entry
            end = pos + len(key)
            short = False
            if not codes and allow_short:
                codes = short_codes
                short = True
            if not codes:
                codes = ()
            elif parents is not None and len(parents) == 1 and len(codes) > _SHARED:
                codes = self._shared[id(codes)][1].get(parents[0], ())
            else:
                codes = _under(codes, parents)
            if codes:
                if short and _NOT_A_PLACE_RE.match(s, end) and not self._child_at(s, end, codes):
                    continue
                if len(hits[0]) > len(key) and self._longer_full(hits, key, level, parents):
                    continue
                if changes:
                    codes = self._with_retired_namesakes(codes, changes, parents)
                return codes, end, short, None
            if changes:
                hit = self._historical(s, pos, end, key, level, changes, parents, allow_short)
                if hit:
                    return hit
        return None

    def _historical(self, s, pos, end, key, level, changes, parents, allow_short):
        changes = tuple(
            ch for ch in changes
            if _under((ch.old_code,), parents) or ch.successor and _under((ch.successor,), parents)
        )  # fmt: skip
        if not changes:
            return None
        short = key != normalize_address(changes[0].old_name)
        if short and (not allow_short or _NOT_A_PLACE_RE.match(s, end)):
            return None
        if self._longer_full(self._hits(s, pos), key, level, parents):
            return None
        if any(ch.successor is None for ch in changes):
            return (), end, short, changes  # retired (or one of several is): no successor
        return tuple(dict.fromkeys(ch.successor for ch in changes)), end, short, changes

    @staticmethod
    def _with_retired_namesakes(codes, changes, parents) -> tuple:
        """``codes`` of today's units of a name, plus the successors of retired or renamed
        units of the same name that lie under ``parents`` elsewhere: 东山区 with nothing
        above it is 鹤岗's today, but also Guangzhou's (→ 越秀区) and Urumqi's (→ 米东区) of
        old, so it stays ambiguous (candidates) until what is written around it decides."""
        extra = tuple(
            ch.successor
            for ch in changes
            if ch.successor
            and ch.old_code not in codes
            and ch.successor not in codes
            and _under((ch.old_code,), parents)
            and not any(ch.old_code.startswith(c) or c.startswith(ch.old_code) for c in codes)
        )
        return tuple(dict.fromkeys((*codes, *extra))) if extra else codes

    def _child_at(self, s, pos, codes) -> bool:
        """True when a unit under ``codes`` is named at ``pos`` (台州路桥: 路桥区 of 台州, so
        台州 is the city there, not the start of a road 台州路)."""
        div = self.div
        for key in self._hits(s, pos):
            for lv in ("county", "township"):
                for table in (div.full[lv], div.short[lv]):
                    if _under(table.get(key, ()), codes):
                        return True
        return False

    def _repeated(self, s, pos, chain, hits) -> int:
        """End of a name (full or short) of a unit already read, written again at ``pos``
        (``hits``: the names there)."""
        if not hits:
            return 0
        last_level, last_codes = chain[-1][0], chain[-1][1]
        key = hits[0]  # the longest only: 柯桥街道 is not 柯桥 again
        if last_level == "village":
            return 0
        # a unit already read, by a province/city/county name (full or short) of it: a
        # township's name often names its villages (巩乃斯郭勒村), so only those levels
        named = self._coarse_codes.get(key)
        if not named or not any(c in named for item in chain for c in item[1]):
            return 0
        full = self.div.full
        for lv in _FINER[last_level]:
            codes = full[lv].get(key)
            if codes and _under(codes, last_codes):
                return 0  # 东莞市东莞市: the city's own county-level unit, not a repeat
        if _NOT_A_PLACE_RE.match(s, pos + len(key)):  # 大邑县大邑大道
            return 0
        for lv in _FINER[last_level]:
            changes = self.div.historical[lv].get(key)
            if changes and any(
                ch.successor
                and ch.successor.startswith(last_codes)
                and self._old_parent_before(s, pos, ch)
                for ch in changes
            ):
                return 0  # 吐鲁番地区吐鲁番市: the old county-level city (today 高昌区)
        return pos + len(key)

    def _old_parent_before(self, s, pos, change) -> bool:
        """Whether the old name of the unit ``change``'s old unit lay in is written right
        before ``pos`` (吐鲁番地区 before 吐鲁番市: the old county-level city, not the
        prefecture-level city written twice)."""
        parent = change.old_code[: {6: 4, 9: 6}.get(len(change.old_code), 2)]
        old = self.div.historical[level_of_code(parent)]
        return any(
            any(ch.old_code == parent for ch in old.get(s[pos - k : pos], ()))
            for k in range(2, min(pos, 10) + 1)
        )

    def _township_variant(self, s, pos, parents, out):
        """A township written with its former kind (镇 that became a 街道, 乡 that became a
        镇: 城厢镇 for 城厢街道), looked up only inside the units already read."""
        m = _TOWNSHIP_KIND_RE.match(s, pos)
        if not m or any(len(p) < 6 for p in parents):
            return None
        stem, kind = m.group(1), m.group(2)
        full = self.div.full["township"]
        for other in _TOWNSHIP_KINDS:
            if other == kind:
                continue
            codes = _under(full.get(stem + other, ()), parents)
            if codes:
                out["notes"].append(f"township written {stem}{kind}: today {stem}{other}")
                out["written"]["township"] = stem + kind
                return codes, m.end(), False, None
        return None

    # -- recovery: where nothing under the units read is named (tried only there) -----------
    def _recover(self, s, pos, chain, out, hits):
        """``(level, codes, end)`` of a unit written right after a province or city where no
        unit under it is named, or None (abstaining beats guessing).  In order:

        * a county written under the wrong city (宁波市义乌市): the full name (with its
          suffix, 3 characters or more) of the one county of that name in the whole table,
          old names included, when it lies in the written city's province; the city becomes
          that county's, the written one is kept in ``written`` and noted;
        * a development zone written without its city (合肥市高新区, 苏州市工业园区): the one
          zone of the written city with that form (:func:`_zone_forms`);
        * a full name with one character mistyped by a homophone (郑洲市 for 郑州市, 武候区
          for 武侯区): the one unit under the written parent, one level down, that differs
          by that character alone and sounds the same, where the text names no unit
          anywhere; a city so read must be confirmed by one of its counties written right
          after it.  Noted and listed in ``fuzzy``."""
        level, codes = chain[-1][0], chain[-1][1]
        if len(codes) != 1:
            return None
        parent = codes[0]
        div = self.div
        if level == "county":
            return self._township_elsewhere(s, pos, chain, out, hits)
        if level == "city":
            hit = self._county_elsewhere(s, pos, chain, out, hits)
            if hit is None:
                hit = self._zone_at(s, pos, parent, out)
            if hit is not None:
                return hit
        near = self._near_name(s, pos, parent)
        if near is None:
            return None
        code, end = near
        found = level_of_code(code)
        if found == "city" and not self._admin_lookup(s, end, "county", (code,), True):
            return None  # a city by its sound alone: not without one of its counties after it
        official = div.units[code].name
        out["fuzzy"][found] = {"written": s[pos:end], "official": official}
        out["written"][found] = s[pos:end]
        out["notes"].append(f"{s[pos:end]} read as {official} (one character, same sound)")
        return found, (code,), end

    def _county_elsewhere(self, s, pos, chain, out, hits):
        """A county named in full at ``pos`` that is not in the city just read but is the one
        county of that name in its province (宁波市义乌市 → 金华市义乌市)."""
        city = chain[-1][1][0]
        div = self.div
        for key in hits:
            if len(key) < 3:
                continue  # 城区, 矿区, 郊区: too common a name to overrule the written city
            # the one county of that name in the whole table (and never one of another's
            # old names): 铁西区 (鞍山, 四平) under 延边 could be a wrong province as well
            codes = div.full["county"].get(key, ())
            if len(codes) != 1 or codes[0][:2] != city[:2] or codes[0].startswith(city):
                continue
            if key in div.historical["county"]:
                continue
            end = pos + len(key)
            if _NOT_A_PLACE_RE.match(s, end):
                continue
            (code,) = codes
            out["written"]["city"] = div.units[city].name
            out["notes"].append(
                f"{key} is not in {div.units[city].name}: the one {key} of "
                f"{div.units[city[:2]].name} is in {_chain_name(div, code[:4]) or '—'}; "
                "city read from the county"
            )
            if div.is_virtual(code[:4]):
                chain.pop()  # a county under the province itself (仙桃市): no city
            else:
                chain[-1] = ["city", (code[:4],), False, None]
            return "county", codes, end
        return None

    def _township_elsewhere(self, s, pos, chain, out, hits):
        """A township named in full at ``pos`` that is not in the county just read but is the
        one township of that name in the whole table and lies in the county's city
        (余杭区临平街道 → 临平区, 宝安区民治街道 → 龙华区: moved to a county carved out since,
        or a county written wrong).  The table is today's, so the township's county is
        today's; the written county is kept in ``written`` and noted."""
        county = chain[-1][1][0]
        div = self.div
        full = div.full["township"]
        for key in hits:
            # the one township of that name in the whole table, in the county's city: a name
            # shared with any other township (城东街道, 万家镇) could be a namesake the written
            # county had under an older name
            codes = full.get(key, ())
            if len(key) < 3 or len(codes) != 1 or not codes[0].startswith(county[:4]):
                continue
            if codes[0].startswith(county):
                continue
            if key in div.historical["township"] or _NOT_A_PLACE_RE.match(s, pos + len(key)):
                continue
            (code,) = codes
            written = div.units[county].name
            out["written"].setdefault("county", written)
            out["notes"].append(
                f"{key} is not in {written}: the one {key} of {_chain_name(div, county[:4])} "
                f"is in {div.units[code[:6]].name} today; county read from the township"
            )
            chain[-1] = ["county", (code[:6],), False, None]
            return "township", codes, pos + len(key)
        return None

    def _zone_at(self, s, pos, city, out):
        forms = _zone_forms(self.div).get(city)
        if not forms:
            return None
        for form, code in forms:  # longest first
            if s.startswith(form, pos) and not _NOT_A_PLACE_RE.match(s, pos + len(form)):
                out["written"]["county"] = form
                out["notes"].append(f"{form} read as {self.div.units[code].name}")
                return "county", (code,), pos + len(form)
        return None

    def _near_name(self, s, pos, parent):
        """``(code, end)`` of the one unit one level below ``parent`` whose full name is the
        text at ``pos`` with one character replaced by a homophone, or None."""
        found = None
        lengths, by_end = _near_candidates(self.div, parent)
        n = len(s)
        for length in lengths:
            end = pos + length
            if end > n:
                break
            # the kind (市, 区, 县) must be written as it is: 武候祠 is no 武侯区
            for name, code in by_end.get((length, s[end - 1]), ()):
                text = s[pos:end]
                if text == name:
                    continue
                diff = [i for i in range(length - 1) if text[i] != name[i]]
                if len(diff) != 1:
                    continue
                i = diff[0]
                if _typo_sound(text[i]) != _typo_sound(name[i]):
                    continue
                if found is not None and found[0] != code:
                    return None  # two units a typo away: abstain
                found = (code, end)
        if found is None:
            return None
        text = s[pos : found[1]]
        if any(text[:k] in self.levels_of for k in range(2, len(text) + 1)):
            return None  # the text (or a start of it) names a unit somewhere: not a typo
        return found

    def _note_changes(self, out, written, changes, codes):
        level = level_of_code(changes[0].old_code)
        out["written"][level] = written
        for ch in changes:
            succ = self.div.units[ch.successor].name if ch.successor else None
            out["historical"].append({
                "written": written, "old_code": ch.old_code, "old_name": ch.old_name,
                "year": ch.year, "change": ch.change, "successor": ch.successor,
                "successor_name": succ, "doc_no": ch.doc_no or None,
            })  # fmt: skip
            out["notes"].append(
                f"{ch.old_name} ({ch.old_code}) {ch.change} {ch.year}"
                + (f" → {succ} ({ch.successor})" if succ else ": no successor recorded")
            )

    def _longer_full(self, hits, key, level, parents) -> bool:
        """True when a longer full name of a finer level starts where ``key`` does (``hits``:
        the names there): 石家庄循环化工园区, 秦皇岛市经济技术开发区 are counties, not the city
        石家庄/秦皇岛市 and a remainder."""
        if len(hits[0]) == len(key):  # the common case: nothing longer starts here
            return False
        full = self.div.full
        return any(
            len(k) > len(key) and _under(full[lv].get(k, ()), parents)
            for k in hits
            for lv in _LEVELS_AFTER[level]
        )

    def _village_by_sound(self, s, pos, parents):
        """Village whose name sounds like the text at ``pos`` (suffix or group must follow).

        Only under one identified township: a homophone is a spelling variant of a village the
        address already placed, never a way to find a place (北京市… must not reach 延庆's
        villages by sound)."""
        if parents is None or len(parents) != 1 or len(parents[0]) != 9:
            return None
        exact, loose = _village_sound_index(self.div)
        run = 0  # Chinese characters from pos (a name is made of them only)
        while run < 6 and pos + run < len(s) and "\u3400" <= s[pos + run] <= "\u9fff":
            run += 1
        if run < 2:
            return None
        syllables = [_char_pinyin(c) for c in s[pos : pos + run]]  # = pinyin_key, per char
        loose_syllables = None
        for length in range(run, 1, -1):
            end = pos + length
            tail = _VILLAGE_SUFFIX_RE.match(s, end)
            if not (tail or end == len(s) or _GROUP_AHEAD_RE.match(s, end)):
                continue
            codes = _under(exact.get(" ".join(syllables[:length]), ()), parents)
            if not codes:
                if loose_syllables is None:
                    loose_syllables = [_loose_syllable(x) for x in syllables]
                codes = _under(loose.get(" ".join(loose_syllables[:length]), ()), parents)
            if codes:
                return codes, tail.end() if tail else end, s[pos:end]
        return None

    # -- whole parse --------------------------------------------------------------------
    def parse(self, text, settings: Settings, admin_only: bool = False) -> dict:
        out = _empty(text)
        if not isinstance(text, str):
            return self._fail(out, "not_text", f"不是文本 not text: got {type(text).__name__}")
        cap = settings.max_address_chars
        if len(text) > 4 * cap:  # refuse before doing any work on it
            return self._fail(
                out, "too_long", f"地址过长 address too long: {len(text)} characters, at most {cap}"
            )
        plain = self._plain
        s = text if plain is not None and plain(text) else normalize_address(text)
        out["normalized"] = s
        if not s:
            return self._fail(out, "empty", "地址为空 empty address (nothing left after cleaning)")
        if len(s) > cap:
            return self._fail(
                out, "too_long", f"地址过长 address too long: {len(s)} characters, at most {cap}"
            )
        if not has_han(s):
            return self._fail(
                out,
                "no_chinese",
                "地址中没有汉字 no Chinese characters: expected a Chinese address",
            )

        chain: list[list] = []  # [level, codes, short, fuzzy_name]
        n = len(s)
        parents = None
        pos, admin_open, last_admin_end = 0, True, 0
        unplaced: list[str] = []
        # what the units read so far allow (changed only when one more is read)
        next_levels: tuple[str, ...]  # (typed for the compiled twin, see _twin)
        next_levels, by_sound, villages_ok = LEVELS, False, False
        names_until = n + 1  # the loop asks for the names at positions before this one
        walked = None if self._walk is None else self._walk(s)
        if walked is not None:
            # the C walk read the chain's start as the loop below reads it (its units are
            # certain: one unit of each name under the one before, no old name, no repeat);
            # the loop goes on from there, in the state it would have reached
            pos = last_admin_end = walked[0]
            for lv_index, code, short, renamed in walked[1]:
                if renamed is not None:  # an old name (江干区): today's successor, noted
                    renamed_changes = tuple([self._change_list[i] for i in renamed[2]])
                    self._note_changes(out, s[renamed[0] : renamed[1]], renamed_changes, (code,))
                chain.append([LEVELS[lv_index], (code,), short, None])
            parents = chain[-1][1]
            next_levels = _LEVELS_AFTER[chain[-1][0]]
            by_sound = len(parents[0]) == 9
            villages_ok = self._villages_possible(parents)
            if admin_only and walked[2]:
                # and no unit can be read after these (a county or township without villages
                # shipped, then no recovery and no token that keeps the look-up open): the
                # admin fields are known
                pos = n
            elif walked[2] == 2:
                # nor does the admin step at pos read anything (no repeat, unit or recovery),
                # nor anywhere after it: no names are asked for from here on
                names_until = pos
        elif start := self._first_admin(s):
            if _UNKNOWN_ADMIN_RE.search(s, 0, start):
                # the address names a unit the table does not know (某某县红旗镇): what
                # follows is not looked up nationally, it could be anywhere
                out["notes"].append(f"unknown administrative unit {s[:start]}")
                admin_open = False
            else:  # noise before the address (户籍地址:, Room 5...): set it aside
                unplaced.append(s[:start])
                pos = last_admin_end = start
        taken_roads: list[str] = []
        longest_start, upto, max_len = self._longest_start, self._upto.get, self._max_len
        last_unplaced = -1  # end of the last character set aside
        while pos < n:
            if admin_only and chain and not admin_open and not villages_ok:
                break  # nothing read after this can change the chain (parse_many admin_only)
            matched = False
            # the names starting here, the levels they name (_hits, inline); none are asked
            # for once the chain is closed where no village can be read (nothing below reads
            # a unit, repeats one or recovers one then)
            if (admin_open or villages_ok) and pos < names_until:
                hits, named = upto(s[pos : pos + longest_start(s[pos : pos + max_len])], _NOTHING)
            else:
                hits, named = _NOTHING
            if (
                hits
                and chain
                and pos == last_admin_end
                and (end := self._repeated(s, pos, chain, hits))
            ):
                # 北京北京市朝阳区, 金华金华永康市: a unit written twice is read once
                pos = last_admin_end = end
                continue
            if (
                (hits or by_sound)
                and not (last_unplaced == pos and not _may_start(s, pos))
                and (admin_open or not (chain and chain[-1][0] == "village" or out["village"]))
            ):
                levels = next_levels if admin_open else ("village",)
                for level in levels:
                    if level not in named and not (
                        level == "village" and by_sound or level == "township" and parents
                    ):
                        continue  # nothing of this level is named here
                    if level == "village":
                        if not villages_ok:
                            continue
                        allow_short = True  # villages_ok: parents is not None
                    else:
                        allow_short = (pos == 0 or pos == last_admin_end) and (
                            level in _COARSE or parents is not None
                        )
                    hit = self._admin_lookup(s, pos, level, parents, allow_short, hits)
                    fuzzy = None
                    if hit is None and level == "village":
                        snd = self._village_by_sound(s, pos, parents)
                        if snd:
                            hit = (snd[0], snd[1], True, None)
                            fuzzy = snd[2]
                    if hit is None and level == "township" and parents:
                        hit = self._township_variant(s, pos, parents, out)
                    if hit is None:
                        continue
                    codes, end, short, changes = hit
                    if changes:
                        self._note_changes(out, s[pos:end], changes, codes)
                        if not codes:  # retired, no successor: stop at what is known
                            pos = end
                            admin_open = False
                            matched = True
                            break
                        level = level_of_code(codes[0])
                    if level == "village" and end < n:
                        tail = re.match(_VILLAGE_SUFFIX, s[end:])
                        if tail and not s[pos:end].endswith(("村", "嘎查", "社区")):
                            end += tail.end()
                    # narrow the chain: earlier candidates must be ancestors of these
                    for item in chain:
                        if len(item[1]) > 1:
                            item[1] = (
                                tuple(c for c in item[1] if any(x.startswith(c) for x in codes))
                                or item[1]
                            )
                    chain.append([level, codes, short, fuzzy])
                    parents = codes
                    next_levels = _LEVELS_AFTER[level]
                    # no name starts here: only a village by sound (under one township) could
                    by_sound = len(parents) == 1 and len(parents[0]) == 9
                    villages_ok = self._villages_possible(parents)
                    pos = last_admin_end = end
                    matched = True
                    break
            if matched:
                continue
            if (
                pos == last_admin_end
                and admin_open
                and chain
                and (
                    (lv := chain[-1][0]) in _RECOVER_AFTER
                    or lv == "county"
                    and "township" in named  # a township name starts here
                )
                and (rec := self._recover(s, pos, chain, out, hits))
            ):
                # wrong city, short development zone, mistyped name (only where nothing else is)
                level, parents, pos = rec
                chain.append([level, parents, False, None])
                last_admin_end = pos
                next_levels = _LEVELS_AFTER[level]
                by_sound, villages_ok = False, self._villages_possible(parents)
                continue
            first = (_ANY_DIGIT_RE if "0" <= s[pos] <= "9" else _ANY_OTHER_RE).match(s, pos)
            # no token starts here, or from the first token that matches here on
            tokens = () if first is None else _TOKENS_FROM[first.lastgroup]  # type: ignore[index]
            for part, rx, generic in tokens:
                m = rx.match(s, pos)
                if not m:
                    continue
                if part in ("road", "township") and (front := _SWALLOWED_RE.match(m.group(0))):
                    # 台北市信义路, 某某区文一路: a place the table lacks, then the name
                    unplaced.append(front.group(1))
                    out["notes"].append(f"unknown place {front.group(1)}")
                    pos = m.start() + front.end()
                    admin_open = False
                    matched = True
                    break
                if part == "bur":
                    if not out["compound"] or out["building"]:
                        continue
                    out["building"] = m.group(1)
                    if m.group(3):
                        out["unit"], out["room"] = m.group(2), m.group(3)
                    else:
                        out["room"] = m.group(2)
                    pos = m.end()
                    admin_open = False
                    matched = True
                    break
                if part == "bare":
                    if out["building"] or out["unit"] or out["floor"] or out["compound"]:
                        part = "room"  # 国贸大厦1205: not the road's number
                    elif out["road"] and not out["house_number"]:
                        part = "house_number"
                    else:
                        continue
                if part in ("township", "village"):
                    if out[part] or chain and chain[-1][0] in (part, "village"):
                        continue
                    out[part] = m.group(1)
                    out["notes"].append(f"{part} {m.group(1)} is not in the official table")
                elif part == "road" and out["road"]:
                    if out["cross_road"] is None and not out["house_number"]:
                        out["cross_road"] = _strip_joiner(m.group(0))
                    else:
                        taken_roads.append(m.group(0))
                        unplaced.append(m.group(0))
                elif part == "road":
                    # a road written right after another is its branch or section, one name:
                    # 府青路东五街, 长天路东一巷, 南苑北路西一巷, 成华大道新鸿路; any other
                    # road right after it is a crossing (机场路金银街, 丰华路与沙河路)
                    end = m.end()
                    while end < n and s[end] >= "\u3400" and (m2 := rx.match(s, end)):
                        if not (_BRANCH_RE.fullmatch(m2.group(0)) or s[pos:end].endswith("大道")):
                            break
                        if _joined_at(s, end):  # 解放大道与新华路(交叉口): a crossing
                            break
                        end = m2.end()
                    if sec := _SECTION_RE.match(s, end):  # 人民南路四段, 三环路2段
                        end = sec.end()
                    out["road"] = s[pos:end]
                    if end < n and (cross := _cross_at(s, end)):
                        out["cross_road"], end = cross
                    pos = end
                    admin_open = False
                    matched = True
                    break
                elif part == "compound" and out["compound"] is None:
                    # 西南电力设计院小区, 金色花园小区: the name runs to the last compound word
                    end = m.end()
                    while more := _COMPOUND_MORE_RE.match(s, end):
                        end = more.end()
                    out["compound"] = s[pos:end]
                    pos = end
                    admin_open = False
                    matched = True
                    break
                elif out.get(part) is None:
                    self._set_token(out, part, m)
                else:
                    unplaced.append(m.group(0))
                admin_open = admin_open and generic
                pos = m.end()
                matched = True
                break
            if not matched:
                if unplaced and pos > 0 and last_unplaced == pos:
                    unplaced[-1] += s[pos]
                else:
                    unplaced.append(s[pos])
                last_unplaced = pos + 1
                if chain:
                    admin_open = False
                pos += 1
        out["unplaced"] = " ".join(unplaced)
        self._resolve_chain(out, chain)
        return out

    def admin_fast(self, text, settings: Settings) -> dict | None:
        """``admin_fields(self.parse(text, settings, True))`` where the C walk reads the whole
        chain (its ``final``: a county or township, nothing read after it can change it) of
        a text normalisation leaves alone; None elsewhere (the caller parses).  The answer
        is :meth:`_resolve_chain`'s for one unit: its lineage (province, city, county)."""
        walk, plain = self._walk, self._plain
        if walk is None or type(text) is not str or not plain(text):
            return None
        if len(text) > settings.max_address_chars or not has_han(text):
            return None
        walked = walk(text)
        if walked is None or not walked[2]:
            return None
        deepest = walked[1][-1][1]
        names: dict = {"province": None, "city": None, "county": None}
        codes = {}
        for level, code, name in self._lineages[deepest]:
            if level in _COARSE:
                names[level] = name
                codes[level] = code
        outside = deepest[:2] in _OUTSIDE_TABLE
        return {
            "input": text, "normalized": text, "province": names["province"],
            "city": names["city"], "county": names["county"], "codes": codes, "candidates": {},
            "reason_code": "outside_table" if outside else None,
            "reason": _outside_reason(self.div, deepest) if outside else None,
        }  # fmt: skip

    def _first_admin(self, s) -> int:
        """0, or the first position where a full province/city/county/township name starts."""
        levels = ("province", "city", "county", "township")
        if not self._full_admin.isdisjoint(self._hits(s, 0)):
            return 0  # a full name at the start is always a unit there (nothing above it)
        if any(self._admin_lookup(s, 0, lv, None, True) for lv in levels):
            return 0
        for pos in range(1, len(s) - 1):
            if not self._hits(s, pos):
                continue  # no name starts here (_admin_lookup would find nothing)
            may = _may_start(s, pos)
            if not may and not _UNKNOWN_ADMIN_RE.search(s, 0, pos):
                continue  # 玉环县 is not 环县 with a stray 玉 before it
            if "\u3400" <= s[pos] <= "\u9fff" and any(
                (hit := self._admin_lookup(s, pos, lv, None, may and lv in ("province", "city")))
                and not _NOT_A_PLACE_RE.match(s, hit[1])
                for lv in levels
            ):
                return pos
        return 0

    def _villages_possible(self, parents) -> bool:
        """Villages are looked up only inside one identified county whose village table is
        shipped: the national table stops at townships, so a village name above the county
        level (菜园村, 北京市张山营村) could be any of thousands of same-named villages."""
        if not parents:
            return False
        county = parents[0][:6]
        if len(county) < 6 or county not in self.div.village_counties:
            return False
        return all(p[:6] == county and len(p) >= 6 for p in parents)

    @staticmethod
    def _set_token(out, part, m):
        if part == "group":
            out["group"] = m.group(0)
            out["group_number"] = int(m.group(1))
        elif part == "house_number":
            num = m.group(1)
            sub = m.lastindex and m.lastindex > 1 and (m.group(2) or m.group(3))
            if not sub and "-" in num:  # 2499-164: a sub-number; 14-16: a range
                a, b = num.split("-")
                if int(b) < int(a):
                    num, sub = a, b
            out["house_number"] = f"{num}之{sub}" if sub else num
        elif part in ("building", "unit", "floor", "room"):
            out[part] = m.group(1)
        else:
            out[part] = m.group(1)

    @staticmethod
    def _fail(out, code, message):
        out["reason_code"] = code
        out["reason"] = message
        return out

    def _resolve_chain(self, out, chain):
        div = self.div
        if not chain and out["historical"]:
            out["reason_code"] = "retired_unit"
            out["reason"] = (
                "已撤销的行政区划，无法确定今日归属 retired unit with no single successor: "
                + "; ".join(out["notes"][: len(out["historical"])])
            )
            return
        if not chain:
            if out["road"] or out["house_number"] or out["village"] or out["township"]:
                out["reason_code"] = "no_admin_unit"
                out["reason"] = (
                    "未识别行政区划 no administrative unit recognised: add the county (区/县/旗)"
                )
            else:
                out["reason_code"] = "not_an_address"
                out["reason"] = "无法识别为地址 not recognised as an address"
            return
        deepest = None
        for level, codes, _short, fuzzy in reversed(chain):
            chosen = codes
            if len(codes) > 1:
                preferred = tuple(c for c in codes if c[:6] in self.prefer)
                if len(preferred) == 1:
                    chosen = preferred
                    out["notes"].append(
                        f"{level} name shared by {len(codes)} units: chose {preferred[0]} "
                        "(a county the project has village data for)"
                    )
            if len(chosen) == 1:
                deepest = chosen[0]
                if fuzzy:
                    out["fuzzy"][level] = {"written": fuzzy, "official": div.units[deepest].name}
                break
            out["candidates"][level] = [_chain_name(div, c) for c in chosen[:10]]
            # the common ancestor of every candidate is still known
            common = _common_prefix(chosen)
            for m in (9, 6, 4, 2):
                if len(common) >= m and common[:m] in div.units and not div.is_virtual(common[:m]):
                    deepest = common[:m]
                    break
            if deepest:
                break
        if deepest is None:
            out["reason_code"] = "ambiguous"
            out["reason"] = "行政区划有歧义 ambiguous place name: " + "; ".join(
                f"{lv}: {' / '.join(c)}" for lv, c in out["candidates"].items()
            )
            return
        if (
            len(deepest) == 4
            and (twin := _county_twin(div, deepest))
            and not _ADMIN_END_RE.search(out["unplaced"])
        ):
            deepest = twin  # 嘉峪关市, 东莞市: a city without counties is its own county-level unit
        written = [item[0] for item in chain]
        codes, inferred = out["codes"], out["inferred"]
        lineage = self._lineages.get(deepest)
        for level, code, name in _lineage(div, deepest) if lineage is None else lineage:
            codes[level] = code
            out[level] = name
            if level not in written:
                inferred.append(level)
            out["level"] = level
        if "county" in out["inferred"] and len(deepest) >= 9:
            # no county written: the unit is the only one of its name (under what was written)
            out["notes"].append(
                f"{div.units[deepest[:9]].name} is the only unit of that name in the national "
                "table: county inferred"
            )
        if deepest[:2] in _OUTSIDE_TABLE:
            out["reason_code"] = "outside_table"
            out["reason"] = _outside_reason(div, deepest)
            return
        if out["candidates"]:
            out["reason_code"] = "ambiguous"
            out["reason"] = "部分地名有歧义 ambiguous name below " + div.units[deepest].name


def _admin_matcher(parser: _Parser):
    """A C :class:`_admin_ext.Matcher` over ``parser``'s tables, or None when the extension is
    not built or ``GEO_ENROLL_NO_EXT=1`` (the Python code then normalises every text and reads
    the whole chain; the answers are the same, see ``_admin_ext.c``)."""
    if os.environ.get("GEO_ENROLL_NO_EXT") == "1":
        return None
    try:
        from . import _admin_ext  # type: ignore[attr-defined]
    except ImportError:
        return None
    matcher = _admin_ext.Matcher(*_matcher_tables(parser))
    matcher.set_unplain(_unplain_chars())
    return matcher


@lru_cache(maxsize=1)
def _unplain_chars() -> bytes:
    """One byte per character U+3400..U+9FFF: 1 where :func:`normalize_address` may change
    the character (NFKC changes it, it is no letter or digit, or it is a traditional one)."""
    import unicodedata

    from .normalize import _traditional_chars

    trad = _traditional_chars()
    return bytes([
        int(not c.isalnum() or unicodedata.normalize("NFKC", c) != c or c in trad)
        for c in map(chr, range(0x3400, 0xA000))
    ])  # fmt: skip


def _matcher_tables(parser: _Parser) -> tuple:
    """``(names, entries, coarse, codes, villages)`` for :class:`_admin_ext.Matcher`: every
    name the trie holds (2 characters or more), per name and level ``None`` or (ids of today's
    units of that full name, of that short name, the changes of old units of that name: their
    place in ``parser._change_list``, old code id, successor id or -1, whether the name is the
    full old name), the ids of the
    provinces, cities and counties it names (:meth:`_Parser._repeated`), the code of each id,
    and per id whether villages are looked up under that unit alone."""
    names = sorted(k for k in parser.levels_of if len(k) >= 2)
    ids: dict[str, int] = {}
    changes = parser._change_list

    def id_of(codes) -> tuple:
        return tuple([ids.setdefault(c, len(ids)) for c in codes or ()])

    def refs(key: str, chs) -> tuple:
        out = []
        for ch in chs or ():
            out.append((
                len(changes), id_of((ch.old_code,))[0],
                id_of((ch.successor,))[0] if ch.successor else -1,
                key == normalize_address(ch.old_name),
            ))  # fmt: skip
            changes.append(ch)
        return tuple(out)

    entries = []
    for k in names:
        row: list = []
        for lv in LEVELS:
            entry = parser._by_level[lv].get(k)
            if entry is None:
                row.append(None)
            else:
                row.append((id_of(entry[0]), id_of(entry[1]), refs(k, entry[2])))
        entries.append(tuple(row))
    coarse = [id_of(sorted(parser._coarse_codes.get(k, ()))) for k in names]
    codes = list(ids)
    villages = bytes([parser._villages_possible((c,)) for c in codes])
    return names, entries, coarse, codes, villages


def _outside_reason(div: Divisions, code: str) -> str:
    return (
        f"{div.units[code[:2]].name}：全国区划表只收录到省级 recognised, but the "
        "national table has no units below this level"
    )


def _may_start(s: str, pos: int) -> bool:
    """Whether a place name may start at ``pos`` after unread text: only after a non-Chinese
    character or a word that introduces an address, never inside a word (玉环县 ≠ 环县).

    >>> _may_start("Room5宝昌镇", 5), _may_start("户籍地址宝昌镇", 4), _may_start("玉环县", 1)
    (True, True, False)
    """
    return (
        pos == 0
        or not ("\u3400" <= s[pos - 1] <= "\u9fff")
        or bool(_NOISE_END_RE.search(s, 0, pos))
    )


@lru_cache(maxsize=50_000)
def _lineage(div: Divisions, code: str) -> tuple:
    """``(level, code, name)`` of the unit and the real units above it, top first; a village
    by its address form (菜园村, 湖南社区, 道海嘎查), memoised per table."""
    return _lineage_of(div, code)


def _lineage_of(div: Divisions, code: str) -> tuple:
    """:func:`_lineage` without the memo (the parser's table of every unit down to townships)."""
    out = []
    for a in div.ancestors(code):
        unit = div.units[a]
        name = div.village_keys[a][1] if unit.level == "village" else unit.name
        out.append((unit.level, a, name))
    return tuple(out)


@lru_cache(maxsize=512)
def _county_twin(div: Divisions, city: str) -> str | None:
    """The county-level code of a prefecture city that has no counties, only itself
    (嘉峪关市 620201, 东莞市 441900), or None.

    >>> d = load_divisions()
    >>> _county_twin(d, "6202"), _county_twin(d, "4419"), _county_twin(d, "3301")
    ('620201', '441900', None)
    """
    counties = [c for c in div.children.get(city, ()) if len(c) == 6]
    if len(counties) == 1 and div.units[counties[0]].name == div.units[city].name:
        return counties[0]
    return None


@lru_cache(maxsize=4096)
def _near_candidates(div: Divisions, parent: str) -> tuple:
    """The units one level below ``parent`` (a province's cities and the counties of its
    placeholder cities, a city's counties) whose full name has 3 or more characters, where
    :meth:`_Parser._near_name` looks for a mistyped name: ``(lengths, index)``, the lengths
    of their names ascending and ``(length, last character) → ((name, code), ...)``.

    >>> lengths, index = _near_candidates(load_divisions(), "4101")
    >>> ("金水区", "410105") in index[(3, "区")], lengths[0]
    (True, 3)
    """
    out = []
    for code in div.children.get(parent, ()):
        if len(code) > 6:
            break
        if div.is_virtual(code):
            out += [(normalize_address(div.units[c].name), c) for c in div.children.get(code, ())]
        else:
            out.append((normalize_address(div.units[code].name), code))
    index: dict[tuple, list] = {}
    for n, c in out:
        if len(n) >= 3 and len(c) <= 6:
            index.setdefault((len(n), n[-1]), []).append((n, c))
    return tuple(sorted({k[0] for k in index})), {k: tuple(v) for k, v in index.items()}


# development zones (county-level units coded x7x) are written without their city (合肥市高新区)
# and with the usual abbreviations of their kind; a form two zones of a city share is left out
_ZONE_ABBREVIATIONS = (
    ("高新技术产业开发区", "高新区"), ("高新技术产业园区", "高新区"), ("高新技术开发区", "高新区"),
    ("经济技术开发区", "经开区"), ("经济开发区", "经开区"),
)  # fmt: skip
# conventional names no rule derives, each with the zone's official name; source: the zone's
# own usage (长春汽车经济技术开发区管理委员会 calls itself 汽开区 on changchun.gov.cn)
_ZONE_CONVENTIONAL = {"汽开区": "长春汽车经济技术开发区"}


@lru_cache(maxsize=4)
def _zone_forms(div: Divisions) -> dict:
    """city code → ``((form, code), ...)`` of its development zones, longest form first.

    >>> forms = dict(_zone_forms(load_divisions())["3401"])
    >>> forms["高新区"], forms["经开区"]
    ('340176', '340177')
    """
    by_city: dict[str, dict[str, set]] = {}
    conventional = {normalize_address(v): k for k, v in _ZONE_CONVENTIONAL.items()}
    for code, unit in div.units.items():
        if len(code) != 6 or code[4] != "7":
            continue
        city, province = div.units.get(code[:4]), div.units[code[:2]]
        names = [province.name, short_name(province.name, "province")]
        if city is not None and not div.is_virtual(city.code):
            names += [city.name, short_name(city.name, "city")]
        prefixes = sorted({normalize_address(p) for p in names if p}, key=len, reverse=True)
        rest = name = normalize_address(unit.name)
        while stripped := next((rest[len(p) :] for p in prefixes if rest.startswith(p)), None):
            rest = stripped
        forms = {rest} if rest != name and len(rest) >= 3 else set()
        for long, short in _ZONE_ABBREVIATIONS:
            if forms and rest.endswith(long):
                forms.add(rest[: -len(long)] + short)
        if name in conventional:
            forms.add(conventional[name])
        for form in forms:
            by_city.setdefault(code[:4], {}).setdefault(form, set()).add(code)
    return {
        city: tuple(
            sorted(
                ((f, next(iter(c))) for f, c in forms.items() if len(c) == 1),
                key=lambda fc: -len(fc[0]),
            )
        )
        for city, forms in by_city.items()
    }


@lru_cache(maxsize=50_000)
def _chain_name(div: Divisions, code: str) -> str:
    """The full written chain of a unit (北京市朝阳区 for 110105), memoised per table."""
    return "".join(div.units[a].name for a in div.ancestors(code))


def _common_prefix(codes) -> str:
    first, last = min(codes), max(codes)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    return first[:i]


def _clear_memos(divisions: Divisions | None = None) -> None:
    """Forget what earlier addresses filled the memos with (lineages, chain names, pinyin
    of characters, a table's ancestors), keeping the built parsers: a benchmark that calls
    this before each repeat times a first pass over its inputs, not a warmed one.

    >>> _clear_memos(load_divisions())
    >>> _lineage.cache_info().currsize
    0
    """
    for memo in (_lineage, _chain_name, _char_pinyin, _loose_syllable, _typo_sound):
        memo.cache_clear()
    if divisions is not None:
        divisions._ancestors.clear()


_BUILT: dict = {}  # (what, divisions, prefer) -> parser or sound index, at most 4 of each
_BUILD_LOCK = threading.RLock()  # a build may ask for another (parser → sound index)


def _build_once(key: tuple, build):
    """``build()`` once per process and key, also when threads ask at the same time (one
    builds under the lock, the others wait for it instead of building their own)."""
    hit = _BUILT.get(key)
    if hit is not None:
        return hit
    with _BUILD_LOCK:
        hit = _BUILT.get(key)
        if hit is None:
            same = [k for k in _BUILT if k[0] == key[0]]
            if len(same) >= 4:  # several tables (tests): keep the newest
                del _BUILT[same[0]]
            hit = _BUILT[key] = build()
    return hit


def _parser(div: Divisions, prefer: frozenset) -> _Parser:
    return _build_once(("parser", div, prefer), lambda: _Parser(div, prefer))


def warm_up(divisions: Divisions | None = None, prefer_counties=None) -> None:
    """Build the parser of a table (and its village sound index) now, before requests come:
    a server that starts cold under load would otherwise keep its first requests waiting for
    the build (several seconds on a busy machine).

    >>> warm_up()
    >>> parse_address("宝昌镇")["county"]
    '太仆寺旗'
    """
    div = divisions or load_divisions()
    _village_sound_index(div)
    _parser(div, frozenset(prefer_counties or ()))


def parse_address(
    text: object,  # anything: not text gives reason_code not_text (typed for the twin)
    *,
    divisions: Divisions | None = None,
    prefer_counties=None,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict:
    """Parse one address into its parts, with the official codes of its admin units.

    Never raises on bad input: an unusable address comes back with ``reason`` (Chinese +
    English) and ``reason_code`` (``not_text``, ``empty``, ``too_long``, ``no_chinese``,
    ``no_admin_unit``, ``not_an_address``, ``ambiguous``).

    Parameters
    ----------
    text : str
        The address as written.
    divisions : Divisions, optional
        The official table (default :func:`~geo_enroll.address.divisions.load_divisions`).
    prefer_counties : iterable of str, optional
        6-digit county codes that win a tie between units sharing a name, flagged in
        ``notes``.  Default none: a name shared by several units (永丰镇, 红旗镇) stays
        ambiguous, with ``candidates``, rather than being guessed into a local county.
    settings : Settings
        ``max_address_chars`` caps the length.

    Returns
    -------
    dict
        ``input``, ``normalized``, one key per part in :data:`PARTS` (official names for admin
        levels, as written otherwise; ``house_number`` as text, e.g. ``"14"``, ``"14-16"``,
        ``"14之1"``), ``group_number``, ``codes`` (level → official code), ``level`` (deepest
        admin level resolved), ``inferred`` (levels filled in from the table), ``fuzzy``,
        ``candidates``, ``notes``, ``unplaced`` (text it could not place), ``reason``,
        ``reason_code``.

    Examples
    --------
    >>> r = parse_address("宝昌镇菜园村三社")
    >>> r["province"], r["city"], r["county"], r["village"], r["group"]
    ('内蒙古自治区', '锡林郭勒盟', '太仆寺旗', '菜园村', '3社')
    >>> r["inferred"]
    ['province', 'city', 'county']
    >>> parse_address("河北路3号")["province"] is None
    True
    """
    div = divisions or load_divisions()
    prefer = frozenset(prefer_counties or ())
    try:
        return _parser(div, prefer).parse(text, settings)
    except RecursionError:  # pragma: no cover - defensive: never let input crash a batch
        out = _empty(text)
        return _Parser._fail(out, "internal", "解析失败 parser failure")


def admin_fields(result: dict) -> dict:
    """The part of a parse that ``parse_many(..., admin_only=True)`` answers: province, city,
    county, their codes and candidates, and the reason.

    >>> admin_fields(parse_address("宝昌镇菜园村三社"))["codes"]
    {'province': '15', 'city': '1525', 'county': '152527'}
    """
    return {
        "input": result["input"], "normalized": result["normalized"],
        "province": result["province"], "city": result["city"], "county": result["county"],
        "codes": {k: v for k, v in result["codes"].items() if k in _COARSE},
        "candidates": {k: v for k, v in result["candidates"].items() if k in _COARSE},
        "reason_code": result["reason_code"], "reason": result["reason"],
    }  # fmt: skip


def _copy(result: dict) -> dict:
    return {k: (v.copy() if isinstance(v, (dict, list)) else v) for k, v in result.items()}


def parse_many(
    texts,
    *,
    divisions: Divisions | None = None,
    prefer_counties=None,
    settings: Settings = DEFAULT_SETTINGS,
    cache: bool = True,
    admin_only: bool = False,
) -> list[dict]:
    """Parse a column of addresses with one parser (built once per process and table).

    Parameters
    ----------
    texts : iterable
        Addresses (anything :func:`parse_address` accepts, including None).
    cache : bool
        Parse each distinct text once (registers repeat addresses); results are copies, so
        changing one never changes another.
    admin_only : bool
        Answer only the administrative part (:func:`admin_fields`: province, city, county,
        codes, candidates, reason), the same as the full parse gives for it: the parse stops
        where nothing read later can change the chain (no road, building or room is read).
    divisions, prefer_counties, settings
        As for :func:`parse_address`.

    Returns
    -------
    list of dict
        One :func:`parse_address` result per input, in order.

    Examples
    --------
    >>> rs = parse_many(["宝昌镇菜园村", "", "宝昌镇菜园村"])
    >>> [r["level"] for r in rs], rs[1]["reason_code"]
    (['village', None, 'village'], 'empty')
    """
    div = divisions or load_divisions()
    prefer = frozenset(prefer_counties or ())
    parser = _parser(div, prefer)
    seen: dict = {}
    out = []
    for text in texts:
        key = text if isinstance(text, str) else None
        if cache and key is not None and key in seen:
            out.append(_copy(seen[key]))
            continue
        try:
            if admin_only:
                fast = parser.admin_fast(text, settings)
                result = admin_fields(parser.parse(text, settings, True)) if fast is None else fast
            else:
                result = parser.parse(text, settings)
        except RecursionError:  # pragma: no cover - defensive, as in parse_address
            result = _Parser._fail(_empty(text), "internal", "解析失败 parser failure")
        if cache and key is not None:
            seen[key] = result
            result = _copy(result)
        out.append(result)
    return out


# the compiled twin of this module (setup.py, mypyc) replaces the code above only when it was
# built from this very source (geo_enroll/address/_twin.py); GEO_ENROLL_NO_EXT=1 keeps Python
ACCELERATED = _twin.adopt(globals())
