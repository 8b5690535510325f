"""Candidate schools of a geocoded address (划片): zone schools, alternatives, free choice.

A geocoded address (the :mod:`geo_enroll.geocode` result: ``lon, lat, code, village_code,
township_code, group``) is matched against every zone of the spec:

- **admin-unit zones** (``admin_units``, and the ``units`` of ``alternative``, ``free_choice``,
  ``multi_school``) by official code: a 12-digit village code equals the address's village code,
  a 9-digit township code is its prefix; a ``group`` (三社) must equal the address's group and a
  ``sub_area`` (禹仁围子) must appear in the address text; a unit without code matches by name;
- **polygon zones** (``street_limits``, ``compound``, ``street_list``, ``directional_bounds``: the
  ``zones`` layer built by the digitiser) by a spatial join.

The most specific match wins (compound 50 > street polygon 40 > sub-area 35 > group 30 > village 20
> village whose group is unknown 15 > township 10; ``remainder`` zones, the rest of a place, just
below a claim on the whole place: see :func:`_remainders`); several matches at the same specificity are
all zone schools (a multi-school case), nearest first.

**Points exactly on a shared edge** — the one rule: polygons are closed (``covers``); when a
point is in the interior of some polygon zone, zones that only touch it on their boundary are
dropped; when it lies only on boundaries (a shared edge), it belongs to the zone whose school is
nearest in a straight line, ties broken by the smaller ``rule_id`` (without school locations:
the smaller ``rule_id``).  A point outside every polygon but within ``EDGE_TOLERANCE_M`` (0.5 m)
of some counts as on their edge (coordinates are rounded; house numbers on a boundary street
are interpolated on its centre line).  The parent lookup warns within ``Settings.boundary_warning_m`` of an
edge.

>>> from geo_enroll.datasets import toy_gazetteer, toy_spec, toy_zones, toy_school_points
>>> idx = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
>>> geo = toy_gazetteer().geocode("玩具镇横街61号")
>>> [m["school_id"] for m in candidate_schools(geo, "primary", index=idx)["zone"]]
['toy-p1']
"""

from __future__ import annotations

import re

__all__ = [
    "KIND_LABELS",
    "ZoneIndex",
    "candidate_schools",
    "candidates_by_basis",
    "locate",
    "resolve_school",
    "unit_hits",
    "unit_matches",
    "school_table_from_spec",
]

CONFLICT_NOTE = "正文与附件不一致"
"""How the note on a body/annex conflict begins: a diagnostic for the bureau (the policy's body
and annex disagree about this address), not part of a parent's answer."""

KIND_LABELS = {
    "admin_units": "户籍划片",
    "street_limits": "户籍划片",
    "compound": "户籍划片",
    "street_list": "户籍划片",
    "directional_bounds": "户籍划片",
    "property_rule": "购房",
    "multi_school": "多校划片",
    "free_choice": "自主选择",
    "alternative": "可选",
    "remainder": "户籍划片",
}
POLYGON_KINDS = ("street_limits", "compound", "street_list", "directional_bounds")
_SPEC = {
    "compound": 50,
    "polygon": 40,
    "sub_area": 35,
    "group": 30,
    "village": 20,
    "village_any_group": 15,
    "name": 18,
    "township": 10,
    "rest": 9,  # the rest of a township (remainder), below a claim on the whole township
    "rest_village": 19,  # the rest of a village, below a claim on the whole village
    "rest_county": 4,  # the rest of the jurisdiction (or of an undrawn area: 城区)
}
_CN_DIGITS = "零一二三四五六七八九十"
EDGE_TOLERANCE_M = 0.5
"""A point this close to a zone it is not inside (coordinates rounded to ~1 cm, house numbers
interpolated on a boundary street's centre line) is treated as lying on that zone's edge."""


def resolve_school(spec: dict, text) -> str | None:
    """The school id named by ``text`` (id, name, alias or 学校标识码), or None.

    >>> from geo_enroll.datasets import toy_spec
    >>> resolve_school(toy_spec(), "东小"), resolve_school(toy_spec(), "9900000003")
    ('toy-p1', 'toy-m1')
    """
    t = str(text or "").strip()
    if not t:
        return None
    for s in spec.get("schools") or []:
        names = {s.get("id"), s.get("name"), s.get("code"), *(s.get("aliases") or [])}
        if t in {n for n in names if n}:
            return s["id"]
    return None


def school_table_from_spec(spec: dict) -> dict:
    """``{school_id: school dict}`` of the spec."""
    return {s["id"]: s for s in spec.get("schools") or []}


def _norm_group(g) -> str:
    """A group's name as compared: numerals in Chinese, 组 / 队 / 村民小组 as 社 (the same thing
    in different counties' words).

    >>> [_norm_group(g) for g in ("3组", "三社", "第3村民小组", "3队", "12鄰", "第三小组")]
    ['三社', '三社', '三社', '三社', '十二鄰', '三社']
    """
    t = str(g or "").strip()
    t = re.sub(r"\d+", lambda m: _cn(int(m[0])), t)
    t = re.sub(r"^第(?=[零一二三四五六七八九十百])", "", t)
    return re.sub(r"(?:村民小组|小组|组|队)$", "社", t)


def _cn(n: int) -> str:
    """Chinese numerals as group names write them (3 → 三, 12 → 十二, 105 → 一百零五).

    >>> [_cn(n) for n in (0, 3, 10, 12, 40, 99, 100, 105, 120, 999, 1000)]
    ['零', '三', '十', '十二', '四十', '九十九', '一百', '一百零五', '一百二十', '九百九十九', '1000']
    """
    if n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + _CN_DIGITS[n - 10]
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + _CN_DIGITS[rest] if rest < 10 else _cn(rest))
        if 10 <= rest < 20:
            tail = "一" + _cn(rest)  # 110 → 一百一十
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)  # beyond any real group number: digits, the same on both sides


def _serves(level_of_school: str, level: str) -> bool:
    return level_of_school in (level, "nine_year")


from ..zoneindex import ZoneIndex  # noqa: E402  (moved; re-exported in __all__)


def _hit(sid: str, rid: str, zone: dict, row: dict, interior: bool) -> dict:
    kind = zone.get("kind") or row.get("kind")
    return {
        "school_id": sid,
        "rule_id": rid,
        "kind": kind,
        "label": KIND_LABELS.get(kind, str(kind)),
        "source": zone.get("source") or {"text": row.get("source"), "line": row.get("line")},
        "specificity": _SPEC["compound"] if kind == "compound" else _SPEC["polygon"],
        "interior": interior,
    }


def unit_hits(geo: dict, index: ZoneIndex) -> dict[str, int]:
    """Best specificity per rule_id over the admin units that can match this address.

    >>> from geo_enroll.datasets import toy_gazetteer, toy_spec, toy_zones
    >>> idx = ZoneIndex(toy_spec(), toy_zones())
    >>> unit_hits(toy_gazetteer().geocode("玩具镇河湾村二社3号"), idx)
    {'toy-m1-r02': 20, 'toy-p1-r02': 30, 'toy-p1-r04': 20}
    """
    return unit_matches(geo, index)[0]


def unit_matches(geo: dict, index: ZoneIndex) -> tuple[dict[str, int], dict[tuple, int]]:
    """(:func:`unit_hits`, the units that match): every admin unit of the index's rules that
    matches this address, ``{(rule_id, id(unit)): specificity}`` (the unit dicts of
    ``index.rules``).

    A unit can only match through the codes of the address (its own code, the code's first 12
    or 9 digits) or, without a code, by name, so the units looked at here are all the units
    :meth:`ZoneIndex.unit_match` could match: the set is what an answer reads of the address
    text through the units (:func:`_covered` asks it instead of matching again).

    >>> from geo_enroll.datasets import toy_gazetteer, toy_spec, toy_zones
    >>> idx = ZoneIndex(toy_spec(), toy_zones())
    >>> hits, units = unit_matches(toy_gazetteer().geocode("玩具镇河湾村二社3号"), idx)
    >>> sorted(rid for rid, _ in units)
    ['toy-m1-r02', 'toy-p1-r02', 'toy-p1-r04']
    """
    keys = set()
    for k in ("village_code", "township_code", "code"):
        v = str(geo.get(k) or "")
        if v:
            keys.update({v, v[:12], v[:9]})
    cands = [x for k in sorted(keys) for x in index.units_by_code.get(k, [])]
    cands += index.units_nocode
    best: dict[str, int] = {}
    matched: dict[tuple, int] = {}
    for rid, unit in cands:
        sp = index.unit_match(unit, geo)
        if sp:
            matched[(rid, id(unit))] = sp
            if sp > best.get(rid, 0):
                best[rid] = sp
    return best, matched


def candidate_schools(geo: dict, level: str, *, index: ZoneIndex, basis: str = "hukou") -> dict:
    """Zone and optional schools of one geocoded address for one level.

    Parameters
    ----------
    geo : dict
        A geocode result (``lon``, ``lat``, ``village_code``, ``township_code``, ``group``, ``input``).
    level : {"primary", "middle"}
    index : ZoneIndex
    basis : str
        ``hukou`` (default; also used for residence bases) or ``property_in_zone``: only schools
        with a 购房 rule (``property_rule``) count, over their own zones (``area`` 辖区) or any
        polygon zone and their own admin units (any other ``area``, e.g. 城区).

    Returns
    -------
    dict
        ``zone``: list of matches (``school_id, rule_id, kind, label, source, specificity``), nearest
        first; ``optional``: alternatives / free choice / multi-school schools; ``warnings``;
        ``edge_m``: distance to the nearest polygon edge (None without polygons).
    """
    return candidates_by_basis(geo, level, index=index, bases=(basis,))[basis]


def locate(geo: dict, index: ZoneIndex, *, near: bool = True, matches: tuple | None = None) -> dict:
    """What every level and basis of :func:`candidates_by_basis` needs of one address,
    computed once: the projected point, the polygon zones near it
    (:meth:`ZoneIndex.near_zones`; ``near=False``: left to each level, so that points the
    batch path answered (:meth:`ZoneIndex.prime`) are only looked up) and the admin units its
    codes match (best specificity per rule, and which units: ``matches``, the
    :func:`unit_matches` of the same address and index when already computed).

    >>> from geo_enroll.datasets import toy_gazetteer, toy_spec, toy_zones, toy_school_points
    >>> idx = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    >>> geo = toy_gazetteer().geocode("玩具镇横街61号")
    >>> loc = locate(geo, idx)
    >>> sorted(loc), len(loc["near"][0]) > 0
    (['lonlat', 'near', 'unit_hits', 'unit_ids', 'xy'], True)
    """
    xy = index.project(geo.get("lon"), geo.get("lat"))
    lonlat = None if geo.get("lon") is None else (float(geo["lon"]), float(geo["lat"]))
    hits, ids = unit_matches(geo, index) if matches is None else matches
    return {
        "xy": xy,
        "lonlat": lonlat,
        "near": index.near_zones(xy, lonlat) if near else None,
        "unit_hits": hits,
        "unit_ids": ids,
    }


def candidates_by_basis(
    geo: dict,
    level: str,
    *,
    index: ZoneIndex,
    bases: tuple[str, ...] = ("hukou", "property_in_zone"),
    located: dict | None = None,
) -> dict[str, dict]:
    """:func:`candidate_schools` of one address and level for several bases, in one pass.

    The point's polygon zones, its admin units, the rule loop and the two reading rules are
    worked out once and shared by the bases; ``located`` (:func:`locate` of the same address
    and index) shares them between levels too.  Each basis gets the answer
    :func:`candidate_schools` gives for it, with its own lists.

    >>> from geo_enroll.datasets import toy_gazetteer, toy_spec, toy_zones, toy_school_points
    >>> idx = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    >>> geo = toy_gazetteer().geocode("玩具镇横街61号")
    >>> both = candidates_by_basis(geo, "primary", index=idx)
    >>> both["property_in_zone"] == candidate_schools(geo, "primary", index=idx,
    ...                                               basis="property_in_zone")
    True
    """
    loc = located if located is not None else locate(geo, index, near=False)
    xy = loc["xy"]
    warnings: list[str] = []
    poly, edge = index.polygon_matches(xy, level, loc["lonlat"], near=loc["near"])
    if any(h.get("on_edge") for h in poly):
        warnings.append("地址恰在两个划片的分界线上，按规则归入最近学校的划片")
    matches = list(poly)
    optional = []
    hits = loc["unit_hits"]
    plan, anyone = _rule_plan(index, level)
    for rid in sorted(anyone.union(hits)) if hits else sorted(anyone):
        entry = plan.get(rid)
        if entry is None:
            continue
        sid, z, kind, serves = entry
        if rid in anyone:
            if serves:
                optional.append(_m(sid, rid, z, 0))
            continue
        spec_ = hits.get(rid, 0)
        if not spec_:
            continue
        if kind == "admin_units" and serves:
            if spec_ == _SPEC["village_any_group"]:
                warnings.append("地址未写明村民小组（社），同村不同社属不同学校，均列出")
            matches.append(_m(sid, rid, z, spec_))
        elif kind == "alternative" and serves:
            optional.append(_m(sid, rid, z, spec_))
        elif kind == "free_choice":  # scope any_school: children of these units choose any
            for oid, o in sorted(index.schools.items()):
                if _serves(o.get("level"), level):
                    optional.append(_m(oid, rid, z, spec_))
        elif kind == "multi_school":
            for oid in z.get("schools") or []:
                if oid in index.schools and _serves(index.schools[oid].get("level"), level):
                    matches.append(_m(oid, rid, z, spec_))
    for rid, sid, z in _zone_of_plan(index, level):
        # 西街小学可招收北街小学片区学生: an option wherever 北街小学's zone claims the address
        claims = [m["specificity"] for m in matches if m["school_id"] == z["zone_of"]]
        if claims and sid != z["zone_of"]:
            optional.append(_m(sid, rid, z, max(claims)))
    matches, optional = _read_as_written(
        matches, optional, index, warnings, geo, loc.get("unit_ids")
    )
    matches += _remainders(index, level, matches, hits, geo, warnings)
    dist: dict[str, float] = {}

    def distance(sid: str) -> float:
        d = dist.get(sid)
        if d is None:
            d = dist[sid] = index.school_distance(xy, sid)
        return d

    out = {}
    shared = len(bases) > 1  # each basis gets its own dicts
    for basis in bases:
        ws = list(warnings) if shared else warnings
        if basis == "property_in_zone":
            ms = _property_matches(matches, poly, level, index)
        else:
            ms = [dict(m) for m in matches] if shared else matches
        zone = []
        if ms:
            top = max(m["specificity"] for m in ms)
            seen = set()
            for m in sorted(ms, key=lambda m: (distance(m["school_id"]), m["rule_id"])):
                if m["specificity"] == top and m["school_id"] not in seen:
                    seen.add(m["school_id"])
                    m["distance_m"] = distance(m["school_id"])
                    zone.append(m)
            if len(zone) > 1 and not any(m["kind"] == "multi_school" for m in zone):
                ws.append("该地址同时属于多个学校的划片，均可派位，按距离排序")
        zone_ids = {m["school_id"] for m in zone}
        opt, seen = [], set()
        for m in optional:
            if m["school_id"] not in zone_ids and m["school_id"] not in seen:
                seen.add(m["school_id"])
                m = dict(m) if shared else m
                m["distance_m"] = distance(m["school_id"])
                opt.append(m)
        out[basis] = {"zone": zone, "optional": opt, "warnings": ws, "edge_m": edge, "xy": xy}
    return out


def _rule_plan(index: ZoneIndex, level: str) -> tuple[dict, frozenset]:
    """The rules the rule loop of :func:`candidates_by_basis` looks at for ``level``:
    ``{rule_id: (school_id, zone, kind, serves level)}`` of the unit kinds, and the rule ids
    of free choice open to anyone (the only ones that apply without a unit match); made once
    per index and level."""
    plans = index.__dict__.setdefault("_rule_plans", {})
    got = plans.get(level)
    if got is None:
        kinds = ("admin_units", "alternative", "free_choice", "multi_school")
        plan = {
            rid: (sid, z, z.get("kind"), _serves(index.schools[sid].get("level"), level))
            for rid, (sid, z) in index.rules.items()
            if z.get("kind") in kinds
        }
        anyone = frozenset(
            rid
            for rid, (_s, z, kind, _v) in plan.items()
            if kind == "free_choice" and z.get("scope") == "anyone"
        )
        got = plans[level] = (plan, anyone)
    return got


def _remainders(index, level, matches, hits, geo, warnings) -> list[dict]:
    """The ``remainder`` zones (其余区域, 除以上学校招生范围以外的区域) that take this address.

    A remainder of a place is claimed just below a claim on that whole place: a village's
    rest 19, a township's rest 9, the rest of the jurisdiction (or of a place the text does
    not draw, such as 城区) 4 — so every zone inside the place wins over it, a remainder of a
    smaller place wins over one of a larger, and a claim on a larger place (第一小学：城关镇
    beside 第二小学：东关村其余区域) does not hide it.  It needs the address in its place (its
    unit, or the jurisdiction) and, when the text names the schools it leaves out (``of``:
    除第一小学、第二小学招生范围以外), no zone of those schools on it.  Only the remainders
    that are not outranked are returned (they add no option, and a 辖区 purchase rule reads
    them as the school's own zone)."""
    plan = _rest_plan(index, level)
    if not plan:
        return []
    top = max((m["specificity"] for m in matches), default=0)
    claimed = {m["school_id"] for m in matches}
    got = []
    for rid, sid, z in plan:
        if z.get("units"):
            if not hits.get(rid):
                continue
            rank = _rest_rank(z["units"][0])
        elif _in_jurisdiction(geo, index):
            rank = _SPEC["rest_county"]
        else:
            continue
        if rank < top or set(z.get("of") or ()) & (claimed - {sid}):
            continue
        got.append(_m(sid, rid, z, rank))
    best = max((m["specificity"] for m in got), default=0)
    for m in got:
        area = index.rules[m["rule_id"]][1].get("area")
        if area and m["specificity"] == best:
            warnings.append(
                f"政策以“{area}其余区域”划给{_school_name(index, m['school_id'])}，但未写明"
                f"“{area}”的范围：按本县其他学校划片以外的地址列出，请向教育局核实"
            )
    return got


def _rest_rank(unit: dict) -> int:
    """The specificity of the rest of this unit: below a claim on the whole unit (a village
    matched by name claims 18, by code 20)."""
    code, name = str(unit.get("code") or ""), str(unit.get("name") or "")
    if len(code) == 9 or not code and re.search(r"(?:镇|乡|街道|苏木)$", name):
        return _SPEC["rest"]
    return _SPEC["rest_village"] if code else _SPEC["name"] - 1


def _in_jurisdiction(geo: dict | None, index: ZoneIndex) -> bool:
    """Whether an address is in the spec's county: its code starts with the county code (an
    address without a code, or a spec without a county code, is taken as in it: the lookup
    only reaches here for its own jurisdiction).  Only ``code`` is read (part of the answer
    key of :func:`geo_enroll.lookup.answer_key`)."""
    county = str(((index.spec.get("policy") or {}).get("county_code")) or "")
    code = str((geo or {}).get("code") or "")
    return not county or len(code) < 6 or code.startswith(county)


def _rest_plan(index: ZoneIndex, level: str) -> list[tuple]:
    """``(rule_id, school_id, zone)`` of the ``remainder`` zones of schools serving
    ``level``; made once per index and level."""
    return _level_plan(index, level, "_rest_plans", lambda z: z.get("kind") == "remainder")


def _zone_of_plan(index: ZoneIndex, level: str) -> list[tuple]:
    """``(rule_id, school_id, zone)`` of the options over another school's zone
    (``alternative`` with ``zone_of``) of schools serving ``level``; made once per index and
    level."""
    return _level_plan(
        index,
        level,
        "_zone_of_plans",
        lambda z: z.get("kind") == "alternative" and bool(z.get("zone_of")),
    )


def _level_plan(index: ZoneIndex, level: str, key: str, keep) -> list[tuple]:
    """``(rule_id, school_id, zone)`` of the zones ``keep`` takes, of schools serving
    ``level``, in ``rule_id`` order; kept on the index under ``key`` per level."""
    plans = index.__dict__.setdefault(key, {})
    plan = plans.get(level)
    if plan is None:
        plan = plans[level] = [
            (rid, sid, z)
            for rid, (sid, z) in sorted(index.rules.items())
            if keep(z) and _serves(index.schools[sid].get("level"), level)
        ]
    return plan


def _property_plan(index: ZoneIndex, level: str) -> list[tuple]:
    """``(rule_id, school_id, zone, area)`` of the 购房 rules (``property_rule``) of schools
    serving ``level``, in ``rule_id`` order; made once per index and level."""
    plans = index.__dict__.setdefault("_property_plans", {})
    plan = plans.get(level)
    if plan is None:
        plan = plans[level] = [
            (rid, sid, z, str(z.get("area") or "辖区"))
            for rid, (sid, z) in sorted(index.rules.items())
            if z.get("kind") == "property_rule" and _serves(index.schools[sid].get("level"), level)
        ]
    return plan


def _origin(index: ZoneIndex, m: dict) -> str:
    """``annex`` for a rule read from an annex table, else ``body``."""
    z = index.rules.get(m["rule_id"], (None, {}))[1]
    return "annex" if z.get("origin") == "annex" else "body"


def _read_as_written(
    matches, optional, index, warnings, geo: dict | None = None, unit_ids=None
) -> tuple[list[dict], list[dict]]:
    """Two reading rules between zone claims, applied before "the most specific match wins".

    1. **也可 = an option.** A school that the text names as an alternative for this address
       (``alternative``: 千斤沟镇户籍适龄儿童也可到第四小学入学) is not also its zone school
       through an ``admin_units`` sentence naming the same unit (第四小学招收…千斤沟镇户籍…:
       the same 千斤沟镇), as long as another school claims the address; a claim on a part of
       it (东小学招收河湾村二社 beside 河湾村也可到东小学) or on another part (another 社/鄰)
       is not touched.
    2. **An annex row naming part of a unit does not cancel the body's rule for the whole
       unit.** When the body (正文) gives this address a zone school, a school that only an
       annex row (``origin = "annex"``) gives it becomes an option, even if the row is more
       specific (附件5 lists 东滩 under 四小; the body gives all of 千斤沟镇 to 千斤沟小学).
       The conflict stays in the spec's ``conflicts`` and is written into the trace.  The text
       says otherwise only by naming that school for the address in the body too (a carve-out
       such as 第二小学招收X镇Y村 is a body rule and keeps the most-specific-wins order).

    >>> class I:  # a minimal index: body rule r1 (whole town), annex row r2 (one village)
    ...     rules = {"r1": ("A", {"kind": "admin_units"}),
    ...              "r2": ("B", {"kind": "admin_units", "origin": "annex"})}
    ...     schools = {"A": {"name": "甲小学"}, "B": {"name": "乙小学"}}
    >>> ms = [{"school_id": "A", "rule_id": "r1", "specificity": 10, "source": {"line": 3}},
    ...       {"school_id": "B", "rule_id": "r2", "specificity": 20, "source": {"line": 90}}]
    >>> w = []
    >>> zone, opt = _read_as_written(ms, [], I(), w)
    >>> [m["school_id"] for m in zone], [m["school_id"] for m in opt], len(w)
    (['A'], ['B'], 1)
    """
    # 1. 也可: an alternative for this address demotes the same school's zone claims on the
    #    units it covers
    alt_units: dict[str, list[dict]] = {}
    for o in optional:
        if o.get("kind") == "alternative" and o.get("rule_id") in index.rules:
            z = index.rules[o["rule_id"]][1]
            alt_units.setdefault(o["school_id"], []).extend(z.get("units") or [])
    kept = []
    for m in matches:
        sid = m["school_id"]
        others = any(x["school_id"] != sid for x in matches if x["school_id"] not in alt_units)
        if (
            sid in alt_units
            and others
            and m.get("kind") == "admin_units"
            and _origin(index, m) == "body"
            and _covered(index, m, alt_units[sid], geo, unit_ids)
        ):
            continue  # named as 也可 for this area: an option, not the zone school
        kept.append(m)
    matches = kept
    # 2. the body's whole-unit rule stands against an annex row naming part of it
    body_schools = {m["school_id"] for m in matches if _origin(index, m) == "body"}
    if not body_schools:
        return matches, optional
    kept, demoted = [], []
    for m in matches:
        if _origin(index, m) == "annex" and m["school_id"] not in body_schools:
            demoted.append(m)
        else:
            kept.append(m)
    if demoted:
        body = max(
            (m for m in kept if _origin(index, m) == "body"),
            key=lambda m: (m["specificity"], m["rule_id"]),
        )
        bname = _school_name(index, body["school_id"])
        for d in demoted:
            src = d.get("source") or {}
            warnings.append(
                f"{CONFLICT_NOTE}：附件（第{src.get('line')}行）将本地址列入"
                f"{_school_name(index, d['school_id'])}，正文（第"
                f"{(body.get('source') or {}).get('line')}行）规定整个区域由{bname}招收；"
                f"按正文以{bname}为划片学校，{_school_name(index, d['school_id'])}为可选学校"
                "（请核对政策正文与附件）"
            )
            optional.append(dict(d, kind="alternative", label=KIND_LABELS["alternative"]))
    return kept, optional


def _covered(index, m: dict, alt: list[dict], geo: dict | None, unit_ids=None) -> bool:
    """Every unit of claim ``m`` that matches this address is a unit of ``alt`` (``unit_ids``:
    the address's :func:`unit_matches`, else each unit is matched here)."""
    rid = m["rule_id"]
    z = index.rules.get(rid, (None, {}))[1]
    if geo is None:
        units = list(z.get("units") or [])
    elif unit_ids is not None:
        units = [u for u in z.get("units") or [] if (rid, id(u)) in unit_ids]
    else:
        units = [u for u in z.get("units") or [] if index.unit_match(u, geo)]
    return bool(units) and all(any(_same_unit(a, u) for a in alt) for u in units)


def _same_unit(a: dict, u: dict) -> bool:
    """The same unit: official code (or name and township), 社/鄰 and sub-area.

    >>> town = {"name": "千斤沟镇", "code": "152527101"}
    >>> _same_unit(town, dict(town, official_name="千斤沟镇")), _same_unit(
    ...     town, {"name": "东滩", "code": "152527101233"})
    (True, False)
    >>> _same_unit({"name": "新東", "code": None, "group": "19鄰"},
    ...            {"name": "新東", "code": None, "group": "1鄰"})
    False
    """
    ca, cu = str(a.get("code") or ""), str(u.get("code") or "")
    same_part = _norm_group(a.get("group")) == _norm_group(u.get("group")) and str(
        a.get("sub_area") or ""
    ) == str(u.get("sub_area") or "")
    if ca or cu:
        return ca == cu and same_part
    ta, tu = str(a.get("township") or ""), str(u.get("township") or "")
    return a.get("name") == u.get("name") and (not ta or not tu or ta == tu) and same_part


def _school_name(index: ZoneIndex, school_id: str) -> str:
    return str((index.schools.get(school_id) or {}).get("name") or school_id)


def _property_matches(matches, poly, level, index) -> list[dict]:
    out = []
    for rid, sid, z, area in _property_plan(index, level):
        own = [m for m in matches if m["school_id"] == sid]
        hit = bool(own) if area in ("辖区", "本校辖区", "") else bool(own or poly)
        if hit:
            best = max((m["specificity"] for m in own), default=_SPEC["polygon"])
            out.append(
                dict(
                    _m(sid, rid, z, best), kind="property_rule", label=KIND_LABELS["property_rule"]
                )
            )
    return out


def _m(school_id: str, rule_id: str, zone: dict, specificity: int) -> dict:
    kind = zone.get("kind")
    return {
        "school_id": school_id,
        "rule_id": rule_id,
        "kind": kind,
        "label": KIND_LABELS.get(kind, kind),
        "source": zone.get("source") or {},
        "specificity": specificity,
    }
