"""Schools: levels, names, aliases and abbreviations, stable ids, official codes.

A school is found by its name, an alias or an abbreviation (四小 → 第四小学, 千小 → 千斤沟小学);
ids are ``<county slug>-<level letter><number>`` for numbered schools (taipusi-p1) and pinyin
initials otherwise, kept from a previous spec when one is given.

>>> ctx = ParseContext(county=None, slug="taipusi")
>>> school = add_school("第四小学", level_of("第四小学", None), ctx)
>>> school["id"], school["aliases"]
('taipusi-p4', ['四小学', '四小'])
>>> match_school("四小", ctx.schools)["name"]
'第四小学'
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from .document import LEVEL_WORDS, ParseContext, simplified, source_ref
from .grammar import CN, PATTERNS, cn_number

__all__ = [
    "level_of",
    "match_school",
    "add_school",
    "slug",
    "read_school_codes",
    "keep_previous_ids",
]


def level_of(name: str, section_level: str | None) -> str:
    """A school's level: the section's, else read from its name (小学/初中/中学/学校)."""
    if section_level:
        return section_level
    taiwan = re.sub(r"[（(][^）)]*[）)]$", "", simplified(name))
    for pattern, level in _TAIWAN_LEVELS:  # 國中小, 高中國中部, 國中, 國小, 實小, 附小
        if re.search(pattern, taiwan):
            return level
    for word, level in LEVEL_WORDS:
        if name.endswith(word) or word in name[-4:]:
            return level
    part = re.search(r"[（(](?P<p>[^（）()]*)[）)]$", name)  # 中澳实验学校（初中部公办班）
    if part and re.search(r"初中部|中学部", part["p"]):
        return "middle"
    if part and "小学部" in part["p"]:
        return "primary"
    if name.endswith(("学校", "分校")):
        return "nine_year"
    return "primary"


_TAIWAN_LEVELS = (
    (r"国中小$", "nine_year"),
    (r"(?:国中|国中部|实中|高中|^第?[一二三四五六七八九十\d]+中)$", "middle"),  # 二中
    (r"(?:国小|实小|附小)$", "primary"),
)


@lru_cache(maxsize=65536)
def _norm_school(name: str) -> str:
    """Brackets, spaces and 第 dropped, and a borrowed site's note: 怀德小学（借址新中二外）
    is 怀德小学 housed elsewhere this year."""
    name = re.sub(r"[（(]借址[^）)]*[）)]", "", name)
    return re.sub(r"[\s（）()]", "", name).replace("第", "")


def match_school(label: str, schools: list[dict]) -> dict | None:
    """A school by its name, an alias, or an abbreviation (四小 → 第四小学, 千小 → 千斤沟小学).

    In order: the name or an alias as written (the first such school); the one school whose
    name is the same without brackets, spaces and 第; else the one school whose name ends
    with the label (4 characters or more) or, for a short label ending in 小/中/学/校 (an
    abbreviation of at most 4 characters), holds its characters in order from the first.
    Lookups go through an index of the list (grown as schools are added), so matching each
    of n schools costs about n, not n².
    """
    label = label.strip().strip("　")
    if not label:
        return None
    index = _index(schools)
    found = index.exact.get(label)
    if found is not None:
        return found
    norm = _norm_school(label)
    exact = index.norm.get(norm, [])
    if len(exact) == 1:
        return exact[0]
    hits = {id(x): x for x in index.suffix.get(norm, [])} if len(norm) >= 4 else {}
    if norm and norm[-1] in "小中学校" and len(norm) <= _ABBREVIATION_MAX:
        for x in index.first.get(norm[0], []):
            if id(x) not in hits and _subseq(norm, _norm_school(x["name"])):
                hits[id(x)] = x
    return next(iter(hits.values())) if len(hits) == 1 else None


_ABBREVIATION_MAX = 4  # 千小, 一小学, 实验小: abbreviations are short


class _Index:
    """Lookups of one list of schools: exact names/aliases, normalised names, suffixes."""

    def __init__(self, schools: list[dict]):
        self.ref, self.n, self.gen = schools, 0, _GENERATION[0]
        self.exact: dict[str, dict] = {}
        self.norm: dict[str, list[dict]] = {}
        self.suffix: dict[str, list[dict]] = {}
        self.first: dict[str, list[dict]] = {}
        self.named: dict[str, list[dict]] = {}

    def grow(self) -> None:
        for s in self.ref[self.n :]:
            for key in [s["name"], *s["aliases"]]:
                self.exact.setdefault(key, s)
            self.named.setdefault(s["name"], []).append(s)
            norm = _norm_school(s["name"])
            self.norm.setdefault(norm, []).append(s)
            for k in range(4, len(norm) + 1):
                self.suffix.setdefault(norm[-k:], []).append(s)
            if norm:
                self.first.setdefault(norm[0], []).append(s)
        self.n = len(self.ref)


_INDEXES: dict[int, _Index] = {}
_GENERATION = [0]  # bumped when a school's aliases change after it was indexed


def _touch() -> None:
    _GENERATION[0] += 1


def _index(schools: list[dict]) -> _Index:
    idx = _INDEXES.get(id(schools))
    if idx is None or idx.ref is not schools or idx.gen != _GENERATION[0] or idx.n > len(schools):
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        idx = _INDEXES[id(schools)] = _Index(schools)
    if idx.n < len(schools):
        idx.grow()
    return idx


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


def slug(jurisdiction: str | None) -> str:
    """The id prefix of a jurisdiction: pinyin of its name without 旗/区/县 (太仆寺旗 → taipusi)."""
    if not jurisdiction:
        return "policy"
    core = re.sub(r"(自治旗|自治县|旗|区|县|市)$", "", jurisdiction)
    core = re.sub(r"^.*?[省市]", "", core) or core
    return "".join(lazy_pinyin(core)) or "policy"


def _school_id(name: str, level: str, ctx: ParseContext) -> str:
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
    used = ctx.ids
    if base not in used:
        return base
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def add_school(name: str, level: str, ctx: ParseContext, *, district: str | None = None) -> dict:
    """The school of this exact name (and district), added to ``ctx.schools`` when new.

    ``district``: the district the document files this mention under (a heading, a table's
    district column; see :mod:`~geo_enroll.policy.districts`).  A same-name school of another
    district is another school; a mention without a district joins the one school of that
    name, and an unfiled school of that name takes the first district it is named under.

    >>> ctx = ParseContext(county=None, slug="tainan")
    >>> a = add_school("大同國小", "primary", ctx, district="東區")
    >>> b = add_school("大同國小", "primary", ctx, district="善化區")
    >>> a is b, a is add_school("大同國小", "primary", ctx, district="東區")
    (False, True)
    """
    name = name.strip()
    same = _index(ctx.schools).named.get(name, [])
    if same:
        found = _same_district(same, district)
        if found is not None:
            return found
    school = {
        "id": _school_id(name, level, ctx),
        "name": name,
        "aliases": _aliases(name),
        "level": level,
        "code": None,
        "zones": [],
    }
    if district:
        school["_district"] = district  # dropped by districts.show_districts at the end
    ctx.schools.append(school)
    ctx.ids.add(school["id"])
    return school


def _same_district(same: list[dict], district: str | None) -> dict | None:
    """Among same-name schools, the one this mention names (None: a new school)."""
    filed = [s for s in same if s.get("_district")]
    if district is None:
        unfiled = [s for s in same if not s.get("_district")]
        if unfiled:
            return unfiled[0]
        return same[0] if len(filed) == 1 else None
    for s in filed:
        if s["_district"] == district:
            return s
    if not filed:  # named before without a district: the same school, now filed
        same[0]["_district"] = district
        return same[0]
    return None


def read_school_codes(lines: list[str], ctx: ParseContext) -> None:
    """Official school codes (学校代码) written in the text, matched to known schools."""
    for idx, raw in enumerate(lines, start=1):
        for m in PATTERNS["school_code"].finditer(raw):
            label = re.sub(r"^.*?[：:，,、]", "", m["label"])
            school = match_school(label, ctx.schools)
            if school is not None and school["code"] is None:
                school["code"] = m["code"]
                school["code_source"] = source_ref(raw, idx)
                if label not in school["aliases"] and label != school["name"]:
                    school["aliases"].append(label)
                    _touch()


def keep_previous_ids(ctx: ParseContext, previous: dict | None) -> None:
    """Keep the ids of a previous spec's schools of the same name."""
    if not previous:
        return
    old = {s["name"]: s["id"] for s in previous.get("schools", [])}
    taken = set()
    for s in ctx.schools:
        if s["name"] in old and old[s["name"]] not in taken:
            s["id"] = old[s["name"]]
            taken.add(s["id"])
