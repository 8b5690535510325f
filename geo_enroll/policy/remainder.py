"""The rest of a place: what no other school's zone takes (其余区域 / 除以上学校招生范围以外的区域).

A notice often zones its last school by what is left::

    第四小学：城关镇除以上学校招生范围以外的区域。
    第五小学：除第一小学、第二小学学区以外的城区。
    第六小学：城关镇内未划入上述学校招生范围的区域。
    第七小学：城关镇其余区域。 / 其他村。

Each is one ``remainder`` zone: ``units`` (the place it is the rest of, when that is an admin
unit: 城关镇), ``area`` (the place as written when it is not a unit: 城区, 县城; null for the
whole jurisdiction: 全县, or no place at all), ``of`` (the school ids whose zones it leaves out;
empty: every other school of this school's level).  The engine gives an address this school
when the address lies in the place and no zone of those schools claims it, at the lowest
specificity (any other claim wins: :mod:`geo_enroll.placement.candidates`).

>>> read_remainder("城关镇除以上学校招生范围以外的区域", None)["place"]
'城关镇'
>>> read_remainder("除第一小学、第二小学学区以外的城区", None)["of"]
['第一小学', '第二小学']
>>> read_remainder("其余区域", "宝昌镇")["place"]
'宝昌镇'
>>> read_remainder("城关镇除东关村、西关村以外的所有村", None) is None  # places excepted: no
True
"""

from __future__ import annotations

import re

from .document import ParseContext, simplified
from .grammar import CN, WHO_TAIL, split_exclusions, split_top

__all__ = [
    "OUTSIDE_AREA",
    "read_remainder",
    "read_whole",
    "resolve_wholes",
    "remainder_zone",
    "resolve_remainders",
    "is_whole_jurisdiction",
]

_OTHERS_WORD = r"(?:以上|上述|前述|上列|前列|以上所列|上面|其他|其它|其余|别的|任何|各)"
_OTHERS = (
    rf"(?:{_OTHERS_WORD}(?:各|所有)?(?:学校|小学|初中|中学|各校|校)?"
    rf"|[{CN}A-Za-z0-9、，,和及与（）()]{{2,80}}?(?:小学|中学|初中|学校|分校|校区|学部|学园))"
)
"""Whose zones are left out: 以上学校 / 上述 (every other school) or schools by name."""
_ZONE_NOUN = r"(?:的|之)?(?:招生|划片|服务|施教|入学)?(?:范围|区域|片区|学区|服务区|施教区)"
_AREA = r"(?:区域|地区|范围|片区|部分|地方|地段|街区|之区域)"
_REST = r"(?:其余|其他|其它|剩余)"
_TAIL = rf"(?:的)?{_REST}?(?:的)?(?:(?:所有|全部|各)?(?:行政)?(?:村|社区|村居|嘎查|里)|{_AREA})?"
_PLACE = rf"(?!{_REST}|{_AREA}|内|的)[{CN}A-Za-z0-9]{{2,14}}?"
_IN = r"(?:辖区|范围|区域)?(?:内|以内)?(?:的)?"
_FORMS = (
    # 城关镇除以上学校招生范围以外的区域 / 除第一小学、第二小学学区以外的城区
    re.compile(
        rf"^(?P<place>{_PLACE})?{_IN}除(?P<of>{_OTHERS}){_ZONE_NOUN}(?:以外|之外|外)"
        rf"(?:的)?(?P<place2>{_PLACE})?(?:内|范围内)?{_TAIL}$"
    ),
    # 以上学校招生范围以外的城区 (no 除)
    re.compile(
        rf"^(?P<of>{_OTHERS}){_ZONE_NOUN}(?:以外|之外)(?:的)?(?P<place2>{_PLACE})?"
        rf"(?:内|范围内)?{_TAIL}$"
    ),
    # 城关镇内未划入上述学校招生范围的区域
    re.compile(
        rf"^(?P<place>{_PLACE})?{_IN}(?:未|没有|尚未|没)(?:被)?"
        r"(?:划入|列入|纳入|包括在|包含在|包括进|划归|划到|分到|划进|划分到|划分给)"
        rf"(?P<of>{_OTHERS}){_ZONE_NOUN}?(?:内|之内|中|里)?(?:的)?{_TAIL}$"
    ),
    # 城关镇未划片的区域 / 未划定学区的区域
    re.compile(
        rf"^(?P<place>{_PLACE})?{_IN}(?:未|没有|尚未)(?:划片|划定学区|划分学区|确定学区)"
        rf"(?:的)?{_TAIL}$"
    ),
    # 城关镇其余区域 / 城区其他区域 / 其他村 / 其余区域
    re.compile(
        rf"^(?P<place>{_PLACE})?{_IN}{_REST}(?:的)?(?:各|所有)?(?:(?:行政)?(?:村|社区|村居|嘎查)|里|村民小组|组|{_AREA})$"
    ),
)
_UNIT = re.compile(rf"[{CN}A-Za-z0-9]{{2,12}}(?:镇|乡|街道|苏木|村|社区|嘎查|居委会|村委会|里)")
_WHOLE = re.compile(
    r"(?:全|本)(?:县|旗|区|市)(?:域|范围)?|(?:县|旗)域|辖区|本辖区|县内|旗内|全境"
    rf"|[{CN}]{{2,10}}(?:县|旗|自治县|自治旗)"
)
_CITY_AREA = re.compile(r"(?:城|市|新|开发|园|规划|景|片|学|小|街|社|矿|林|牧|垦|校)区$")


def is_whole_jurisdiction(name: str | None) -> bool:
    """No place, or a name of the whole county (全县, 本旗, 县域, XX县; a district XX区 that
    is not a part such as 城区, 开发区).

    >>> [is_whole_jurisdiction(x) for x in (None, "全县", "太仆寺旗", "延庆区", "城区", "开发区")]
    [True, True, True, True, False, False]
    """
    if not name:
        return True
    if _WHOLE.fullmatch(name):
        return True
    return bool(re.fullmatch(rf"[{CN}]{{2,8}}区", name)) and not _CITY_AREA.search(name)


def read_remainder(part: str, town: str | None) -> dict | None:
    """The ``rest`` piece of a scope that says "the rest" (see the module), else None.

    ``town``: the township the lines are under (the place when the text names none).
    """
    head, excluded = split_exclusions(part.strip().strip("。；;，, "))
    written = WHO_TAIL.sub("", head)
    text = simplified(written)  # Traditional text (其餘區域) read alike, names kept as written
    for form in _FORMS:
        m = form.fullmatch(text)
        if m is None:
            continue
        said = {g: written[m.start(g) : m.end(g)] for g, v in m.groupdict().items() if v}
        place = said.get("place") or said.get("place2")
        if said.get("place") and said.get("place2"):  # 城关镇除…以外的城区: two places
            return None
        names = _school_names(said.get("of") or "")
        if names is None:
            return None
        return {
            "type": "rest",
            "place": place or town,
            "of": names,
            "town": town,
            "exclude": excluded,
            "text": part,
        }
    return None


_WHOLE_SCOPE = re.compile(
    r"^(?:招生范围|划片范围|服务范围|学区)?(?:为|是)?(?:面向|覆盖|在|于)?"
    r"(?P<where>(?:全|本)(?:县|旗|区|市)(?:域)?|(?:县|旗)域)"
    r"(?:范围|区域)?(?:内|以内)?(?:的)?(?:所有|全部)?"
    r"(?:适龄儿童|适龄少年|小学毕业生|学生|生源)?"
    r"(?:自主|统一|统筹|公开)?(?:招生|招收(?:学生|新生)?|划片|入学|就读)?$"
)
"""第二小学：全县范围内招生 / 面向全旗招生 / 全区 / 招生范围为全县: the whole jurisdiction."""


def read_whole(part: str) -> dict | None:
    """A scope that is the whole jurisdiction (:data:`_WHOLE_SCOPE`), else None.

    >>> [bool(read_whole(x)) for x in ("全县范围内自主招生", "面向全旗招生", "全区", "全县其余区域")]
    [True, True, True, False]
    """
    head, excluded = split_exclusions(part.strip().strip("。；;，, "))
    if excluded or not _WHOLE_SCOPE.fullmatch(simplified(head)):
        return None
    return {"type": "whole", "text": part}


def resolve_wholes(ctx: ParseContext) -> None:
    """A school whose scope is the whole jurisdiction (:func:`read_whole`): when another school
    of its level has places of its own, the line opens the school to everyone (a
    ``free_choice`` zone, scope ``anyone``: 面向全县招生 beside zoned schools is a choice, not a
    second zone for every address); else it is the school's zone, every address of the
    jurisdiction (a ``remainder`` zone of the whole jurisdiction, which no other claims)."""
    from .clauses import _OWN_KINDS as own_kinds

    def serves(a: dict, b: dict) -> bool:
        return a.get("level") == b.get("level") or "nine_year" in (a.get("level"), b.get("level"))

    def placed(o: dict) -> bool:  # places of its own (another whole-county line is none)
        return any(
            (z["kind"] in own_kinds or z["kind"] == "remainder") and not z.get("_whole")
            for z in o["zones"]
        )

    choice = {  # decided for every school before any zone changes: the order of lines is moot
        id(school): any(o is not school and serves(o, school) and placed(o) for o in ctx.schools)
        for school in ctx.schools
    }
    for school in ctx.schools:
        for k, zone in enumerate(school["zones"]):
            if not zone.pop("_whole", False) or not choice[id(school)]:
                continue
            school["zones"][k] = {
                "kind": "free_choice",
                "scope": "anyone",
                "units": [],
                "who": zone.get("fragment") or "",
                "source": zone["source"],
            }


OUTSIDE_AREA = re.compile(
    r"^除?(?:中心|主|老|新)?(?:城区|县城|市区|城镇|城关|县城规划区|城市规划区|规划区)"
    r"(?:以外|之外|外)(?:的)?(?:所有|全部|各)?(?:乡镇|乡|镇|区域|地区|范围|农村|村|村庄|地方)?$"
)
"""城区以外的区域 / 除城区以外的各乡镇: outside an area the text does not draw — reported (it is
no place of that name, and not the rest of the other schools' zones)."""


def _school_names(of: str) -> list[str] | None:
    """Schools named in ``of`` ([] for 以上学校 / 其他学校: every other school); None when
    it names something else."""
    of = of.strip()
    plain = simplified(of)
    if not of or re.fullmatch(
        rf"{_OTHERS_WORD}(?:各|所有)?(?:学校|小学|初中|中学|各校|校)?", plain
    ):
        return []
    names = [n.strip() for n in split_top(of, "、，,和及与") if n.strip()]
    if not names or not all(
        re.search(
            r"(?:小学|中学|初中|学校|分校|校区|学部|学园|国小|国中)(?:[（(][^（）()]*[）)])?$",
            simplified(n),
        )
        for n in names
    ):
        return None
    return names


def remainder_zone(piece: dict, source: dict, ctx: ParseContext) -> dict:
    """The ``remainder`` zone of a ``rest`` piece (the schools in ``of`` named, resolved to
    ids by :func:`resolve_remainders` once every school is known)."""
    from .zones import is_township, unit_entry

    place = piece.get("place")
    units, area = [], None
    if place and _UNIT.fullmatch(simplified(place)):
        town = piece.get("town")
        units = [unit_entry(place, None if is_township(place) or town == place else town, ctx)]
    elif not is_whole_jurisdiction(place):
        area = place
    zone = {
        "kind": "remainder",
        "units": units,
        "area": area,
        "of": [],
        "source": source,
        "fragment": piece.get("text"),
    }
    if piece.get("exclude"):  # 宝昌镇其他区域（不含昌盛园小区）
        zone["exclude"] = list(piece["exclude"])
        for u in units:
            u["exclude"] = list(piece["exclude"])
    if piece.get("of"):
        zone["_of_names"] = list(piece["of"])
    return zone


def resolve_remainders(ctx: ParseContext) -> None:
    """Name → id for the schools each ``remainder`` zone leaves out; a name not recognised is
    reported (the zone then leaves out every other school, as 以上学校 would)."""
    from .schools import match_school

    for school in ctx.schools:
        for zone in school["zones"]:
            names = zone.pop("_of_names", None)
            if zone.get("kind") != "remainder" or not names:
                continue
            ids = []
            for name in names:
                other = match_school(name, ctx.schools)
                if other is None or other is school:
                    ctx.unparsed.append(
                        {**zone["source"], "reason": f"未识别的学校 school not recognised: {name}"}
                    )
                    ids = []
                    break
                ids.append(other["id"])
            zone["of"] = list(dict.fromkeys(ids))
