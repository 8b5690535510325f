"""Normalise a Chinese address before parsing (地址规范化).

What changes, in order:

1. BOM, zero-width and other format/control characters are removed;
2. Unicode NFKC: full-width digits, letters and punctuation become half-width (１４号 → 14号);
3. traditional characters become simplified (寶昌鎮 → 宝昌镇; OpenCC ``t2s``, only called when
   the text holds a traditional character, so the common case stays fast);
4. whitespace and punctuation are removed, except ``-`` (number ranges, 14-16号); ``#`` after a
   number is read as 号 (5#楼 → 5号楼) and 至/到/~ between numbers as a range;
5. Chinese numerals *in numbers* become digits: a numeral directly before a numbering word
   (号 组 社 队 栋 幢 单元 室 层 楼 弄 排) — 十四号 → 14号, 三社 → 3社, 二单元 → 2单元 — but
   place and road names keep theirs (三道沟, 五福村, 七一, 双林一巷, 新鸿南二巷).

The same function is applied to official names when indexes are built, so a name such as
七号村 (a real village, normalised to 7号村) still matches itself.

Examples
--------
>>> normalize_address("\\ufeff内蒙古 太仆寺旗　宝昌镇河沿街五组十四号")
'内蒙古太仆寺旗宝昌镇河沿街5组14号'
>>> normalize_address("寶昌鎮，河沿街１４號之一")
'宝昌镇河沿街14号之1'
>>> chinese_to_int("一百零五"), chinese_to_int("二十"), chinese_to_int("一〇五")
(105, 20, 105)
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

__all__ = ["normalize_address", "chinese_to_int", "has_han", "NUMBER_UNITS"]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip
_POWERS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "零〇一二两三四五六七八九十百千"
_NUMERAL_SET = frozenset(_NUMERAL)

NUMBER_UNITS = "号|组|社(?!区)|队|栋|幢|单元|室|层|楼|弄|排"
"""Words after which a preceding Chinese numeral is a number (regex alternation)."""

_NUM_RE = re.compile(f"([{_NUMERAL}]+)(?=(?:{NUMBER_UNITS}))")
_AFTER_ZHI_RE = re.compile(f"(?<=号之)([{_NUMERAL}]+)")
_RANGE_RE = re.compile(r"(\d+)[至到]+(?=\d)")
_HASH_RE = re.compile(r"(\d+)#")
_DASHES_RE = re.compile(r"-{2,}")
_STRAY_DASH_RE = re.compile(r"(?<!\d)-|-(?!\d)")
_HAN_RE = re.compile(r"[\u3400-\u9fff]")
_NULL_RE = re.compile(r"(?i)(?<![a-z])(?:null|none|nan|undefined)(?![a-z])")
# removed: whitespace, punctuation (P*) and symbols (S*), except '-' and '#'
_KEEP = {"-", "#"}


def chinese_to_int(text: str) -> int | None:
    """The value of a Chinese numeral (``十四`` → 14), or None when it is not one.

    >>> chinese_to_int("十四"), chinese_to_int("三千零二"), chinese_to_int("甲")
    (14, 3002, None)
    """
    if not text or any(c not in _NUMERAL for c in text):
        return None
    if not any(c in _POWERS for c in text):  # digit by digit: 一〇五 → 105
        return int("".join(str(_DIGITS[c]) for c in text))
    total, digit = 0, 0
    for c in text:
        if c in _DIGITS:
            digit = _DIGITS[c]
        else:
            total += (digit or 1) * _POWERS[c]
            digit = 0
    return total + digit


def _numeral_sub(match: re.Match) -> str:
    value = chinese_to_int(match.group(1))
    return match.group(1) if value is None else str(value)


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset:
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key = line.split("\t", 1)[0]
            if len(key) == 1 and line.split("\t", 1)[1].split()[0] != key:
                chars.add(key)
    return frozenset(chars)


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def _char_map(c: str) -> str:
    """What a character becomes: itself, ``-`` (dashes, tildes) or ``""`` (dropped)."""
    if c in _KEEP:
        return c
    cat = unicodedata.category(c)
    if cat == "Pd" or c == "~":
        return "-"
    if cat[0] in "CPSZ":  # control/format, punctuation, symbols (emoji), separators
        return ""
    return c


class _CharTable(dict):
    """``str.translate`` table of :func:`_char_map`, filled per code point on first sight."""

    def __missing__(self, code: int):
        mapped = _char_map(chr(code))
        value = None if mapped == "" else mapped
        self[code] = value
        return value


_CHAR_TABLE = _CharTable()


def has_han(text: str) -> bool:
    """True when ``text`` holds at least one Chinese (Han) character.

    >>> has_han("Room 5"), has_han("5号")
    (False, True)
    """
    return _HAN_RE.search(text) is not None


def normalize_address(text: str) -> str:
    """Normalise an address string (see the module docstring for the steps).

    Parameters
    ----------
    text : str
        Raw address as typed or exported (any width, traditional or simplified).

    Returns
    -------
    str
        The normalised address; ``""`` when nothing usable is left.

    Examples
    --------
    >>> normalize_address("北京市 朝阳区 建国路１号 3#楼 二单元 501室")
    '北京市朝阳区建国路1号3号楼2单元501室'
    >>> normalize_address("\\u200b\\x07  ")
    ''
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    trad = _traditional_chars()
    if not trad.isdisjoint(text):
        text = _t2s().convert(text)
    if "n" in text or "N" in text:  # 浙江省null杭州市: empty cells exported as words
        text = _NULL_RE.sub("", text)
    if not text.isalnum():  # letters and digits only (the common case): nothing to drop
        text = text.translate(_CHAR_TABLE)  # "".join(map(_char_map, text)), in C
    if "-" in text:  # a dash only means something between two numbers (14-16号)
        text = _STRAY_DASH_RE.sub("", _DASHES_RE.sub("-", text))
    if "#" in text:
        text = _HASH_RE.sub(r"\1号", text).replace("#", "")
    if not _NUMERAL_SET.isdisjoint(text):
        text = _NUM_RE.sub(_numeral_sub, text)
        text = _AFTER_ZHI_RE.sub(_numeral_sub, text)
    if "至" in text or "到" in text:
        text = _RANGE_RE.sub(r"\1-", text)
    return text
