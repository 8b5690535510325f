"""The parent lookup (家长查询): which school(s) serve this address, by which rule, how sure.

Used by the web service's public page.  It reads only the spec, the zone polygons and the
gazetteer — never an applicant table — so it reveals nothing about any child.

For each level (小学 ``primary``, 初中 ``middle``) the answer lists the serving schools with the
kind of zone:

=========  ==============================================================
kind       meaning
=========  ==============================================================
户籍划片   the address's zone (admin unit, street limits, compound ...)
购房       a guardian's property here counts (``property_rule``), lower priority
多校划片   one of several schools of a multi-school zone
自主选择   free choice open to this address (e.g. 贡宝拉格学校)
可选       an alternative the address may also choose (``alternative``)
=========  ==============================================================

each with the rule id and the policy sentence and line it comes from, plus the geocoder's match
level and warnings: a coarse match (township or county), a point within
``Settings.boundary_warning_m`` of a zone edge, a schematic base map.

>>> from geo_enroll.datasets import toy_gazetteer, toy_school_points, toy_spec, toy_zones
>>> r = lookup_address("玩具镇横街61号", spec=toy_spec(), zones=toy_zones(),
...                    gazetteer=toy_gazetteer(), school_points=toy_school_points())
>>> [(s["name"], s["kind"]) for s in r["primary"]]
[('东小学', '户籍划片'), ('东小学', '购房')]
>>> r["middle"][0]["name"], r["match_level"]
('第一中学', 'house_number')
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

import numpy as np
import shapely

from .settings import DEFAULT_SETTINGS, Settings

__all__ = ["lookup_address", "lookup_point", "build_index", "content_hash", "OPTIONAL_KINDS"]

OPTIONAL_KINDS = ("alternative", "free_choice", "可选", "自主选择")
"""Kinds (spec kinds and the answer's labels) of a school the address *may* choose: they do
not make it a zone school (the schools across a near edge are those of other zones)."""

_COARSE = (None, "county", "township")
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def content_hash(spec: dict, zones=None, school_points=None) -> str:
    """A hash of what a zone index is built from: equal content, equal hash (any objects).

    >>> from geo_enroll.datasets import toy_spec, toy_zones
    >>> content_hash(toy_spec(), toy_zones()) == content_hash(toy_spec(), toy_zones().copy())
    True
    """
    h = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode())
    for frame in (zones, school_points):
        h.update(b"|")
        if frame is None or not len(frame):
            continue
        h.update(str(frame.crs).encode())
        wkb = shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object))
        h.update(b"".join(w or b"" for w in wkb))
        attrs = frame.drop(columns=frame.geometry.name)
        h.update(json.dumps(attrs.to_dict("split"), sort_keys=True, default=str).encode())
    return h.hexdigest()


def build_index(spec: dict, zones=None, school_points=None, *, version: str | None = None):
    """A prepared :class:`~geo_enroll.zoneindex.ZoneIndex`, cached per zones version.

    ``version`` names the content (e.g. a stored version's hash); without it the content is
    hashed (:func:`content_hash`), so a reloaded or copied layer reuses the index and an
    edited one never gets a stale index.  The last few versions are kept.
    """
    from .zoneindex import ZoneIndex

    key = version or content_hash(spec, zones, school_points)
    with _LOCK:
        index = _CACHE.get(key)
        if index is not None:
            _CACHE.move_to_end(key)
            return index
    index = ZoneIndex(spec, zones, school_points=school_points)
    with _LOCK:
        _CACHE[key] = index
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


def lookup_address(
    address: str,
    *,
    spec: dict,
    zones=None,
    gazetteer,
    school_points=None,
    settings: Settings = DEFAULT_SETTINGS,
    index=None,
    across: bool = False,
    geo: dict | None = None,
    keyed: tuple | None = None,
) -> dict:
    """Serving schools of a written address (geocoded with ``gazetteer``).

    Returns the :func:`lookup_point` answer plus ``input``; when the address cannot be located
    the school lists are empty and ``warnings`` says why.  ``geo``: the
    :func:`geocode_address` of the same address, already made (and ``keyed`` its
    :func:`answer_key` on ``index``).
    """
    text = str(address or "").strip()
    if geo is None:
        geo = geocode_address(text, gazetteer)
    out = _answer(
        geo,
        spec=spec,
        zones=zones,
        school_points=school_points,
        settings=settings,
        index=index,
        across=across,
        keyed=keyed,
    )
    out["input"] = text
    return out


def geocode_address(address: str, gazetteer) -> dict:
    """The geocode result :func:`lookup_address` answers from: the gazetteer's, with the
    address as ``input``; an address it cannot locate gives no point and the ``reason``."""
    from .errors import GeoEnrollError

    text = str(address or "").strip()
    try:
        geo = dict(gazetteer.geocode(text))
    except GeoEnrollError as exc:
        geo = {"lon": None, "lat": None, "level": None, "reason": exc.message}
    geo["input"] = text
    return geo


def lookup_point(
    lon: float,
    lat: float,
    *,
    spec: dict,
    zones=None,
    school_points=None,
    code: str | None = None,
    village_code: str | None = None,
    township_code: str | None = None,
    group: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    index=None,
    across: bool = False,
) -> dict:
    """Serving schools of a point (WGS 84 lon/lat), optionally with its admin-unit codes.

    Without codes only polygon zones and open free-choice schools can match (admin-unit zones
    are matched by official code); a warning says so.

    ``across=True`` adds, when the point is within ``settings.boundary_warning_m`` of a zone
    edge (``edge_distance_m``), ``across``: the schools of other zones within that distance
    + 5 m (:meth:`~geo_enroll.zoneindex.ZoneIndex.zones_across`, from the same pass over the
    zones), per primary/middle level the spec teaches, not counting the point's own zone
    schools; farther from every edge there is no ``across`` key.

    >>> from geo_enroll.datasets import toy_spec, toy_zones, toy_xy_to_lonlat
    >>> lon, lat = toy_xy_to_lonlat(500, 300)   # exactly on the 中街 edge
    >>> r = lookup_point(lon, lat, spec=toy_spec(), zones=toy_zones())
    >>> [s["school_id"] for s in r["primary"] if s["kind"] == "户籍划片"]
    ['toy-p1']
    >>> any("分界线" in w for w in r["warnings"]), r["edge_distance_m"]
    (True, 0.0)
    >>> lon, lat = toy_xy_to_lonlat(510, 300)   # 10 m east of 中街
    >>> lookup_point(lon, lat, spec=toy_spec(), zones=toy_zones(), across=True)["across"]
    [{'level': 'primary', 'school': '西小学', 'school_id': 'toy-p2', 'distance_m': 10.0}]
    """
    geo = {
        "lon": lon,
        "lat": lat,
        "code": code or village_code or township_code,
        "village_code": village_code,
        "township_code": township_code,
        "group": group,
        "level": "poi",
        "confidence": 1.0,
        "input": "",
    }
    out = _answer(
        geo,
        spec=spec,
        zones=zones,
        school_points=school_points,
        settings=settings,
        index=index,
        across=across,
    )
    if not (code or village_code or township_code):
        out["warnings"].append(
            "仅按坐标查询，未核对行政区划代码：按村/社区户籍划片的学校可能未列出"
        )
    return out


def _answer(
    geo: dict, *, spec, zones, school_points, settings, index, across=False, keyed=None
) -> dict:
    """The answer of a geocoded address or point (:func:`_compute_answer`), kept per index.

    A located answer depends on the geocode result only through :func:`answer_key` (the point,
    its match level, code, confidence and schematic flag, and which admin units its codes and
    text match), so addresses of one village or street point with the same unit matches share
    one answer; each caller gets its own copy (:func:`fresh_copy`).  At most
    :data:`ANSWER_MEMO_MAX` answers per index and settings.  ``keyed``: the
    :func:`answer_key` of the same geocode result and index, already computed.
    """
    index = index or build_index(spec, zones, school_points)
    key, matches = keyed or answer_key(geo, spec=spec, index=index, across=across)
    if key is None:
        return _compute_answer(
            geo, spec=spec, settings=settings, index=index, across=across, matches=matches
        )
    memos = index.__dict__.setdefault("_answer_memo", {})
    kept = memos.get(id(settings))
    if kept is None or kept[0] is not settings:  # (settings, {key: answer}); settings kept alive
        kept = memos[id(settings)] = (settings, {})
    got = kept[1].get(key)
    if got is None:
        got = _compute_answer(
            geo, spec=spec, settings=settings, index=index, across=across, matches=matches
        )
        if len(kept[1]) >= ANSWER_MEMO_MAX:
            kept[1].clear()
        kept[1][key] = fresh_copy(got)
        return got
    return fresh_copy(got)


def answer_key(geo: dict, *, spec: dict, index, across: bool = False) -> tuple:
    """``(key, matches)``: what a located answer of ``index`` reads of a geocode result, and
    the result's :func:`~geo_enroll.placement.candidates.unit_matches` (computed here once).

    ``key`` is None for an address that was not located (its answer says why, from the text);
    else two geocode results with the same key get the same answer: the same point, match
    level, code, confidence and schematic flag, and the same admin units matched (by code, by
    name in the text, by 社 / sub-area) — the only way the text reaches an answer (the 也可
    reading of :func:`~geo_enroll.placement.candidates._read_as_written` asks which units
    matched).  ``index`` must be the one the answer is computed on (units are told apart by
    identity).
    """
    from .placement.candidates import unit_matches

    if geo.get("lon") is None or geo.get("lat") is None:
        return None, None
    matches = unit_matches(geo, index)
    policy = spec.get("policy") or {}
    key = (
        tuple((type(geo.get(k)), repr(geo.get(k))) for k in _ANSWER_GEO_KEYS),
        frozenset(matches[1].items()),
        repr(policy.get("jurisdiction")),
        repr(policy.get("year")),
        tuple(sorted({repr(s.get("level")) for s in spec.get("schools") or []})),
        bool(across),
    )
    return key, matches


ANSWER_MEMO_MAX = 20_000
"""Located answers a zone index keeps (:func:`_answer`; a few KB each)."""

_ANSWER_GEO_KEYS = ("lon", "lat", "level", "confidence", "code", "schematic")
"""What of a geocode result, besides its unit matches, a located answer reads."""


def fresh_copy(value):
    """A copy of an answer's dicts and lists (its strings and numbers are immutable)."""
    if type(value) is dict:
        return {k: fresh_copy(v) for k, v in value.items()}
    if type(value) is list:
        return [fresh_copy(v) for v in value]
    return value


def _compute_answer(geo: dict, *, spec, settings, index, across, matches=None) -> dict:
    from .placement.candidates import CONFLICT_NOTE, candidates_by_basis, locate

    level = geo.get("level")
    warnings: list[str] = []
    out = {
        "match_level": level,
        "confidence": geo.get("confidence"),
        "code": geo.get("code"),
        "lon": geo.get("lon"),
        "lat": geo.get("lat"),
        "schematic": bool(geo.get("schematic")),
        "primary": [],
        "middle": [],
        "warnings": warnings,
        "bureau_notes": [],  # those warnings that are the bureau's (body/annex conflicts)
        "jurisdiction": (spec.get("policy") or {}).get("jurisdiction"),
        "year": (spec.get("policy") or {}).get("year"),
    }
    if geo.get("lon") is None or geo.get("lat") is None:
        warnings.append("无法定位该地址" + (f"：{geo.get('reason')}" if geo.get("reason") else ""))
        return out
    if level in _COARSE:
        warnings.append(
            f"地址只定位到{'乡镇' if level == 'township' else '旗县'}一级，结果可能不准确，"
            "请补充村/社区、街道和门牌号"
        )
    edge = None
    levels = ["primary", "middle"]
    levels += sorted(
        {str(s.get("level")) for s in spec.get("schools") or []}
        - {"primary", "middle", "nine_year", "None"}
    )
    located = locate(geo, index, matches=matches)  # the point's zones and units, once
    for lv in levels:
        both = candidates_by_basis(geo, lv, index=index, located=located)
        c, p = both["hukou"], both["property_in_zone"]
        rows = [_row(m, index) for m in c["zone"]]
        rows += [_row(m, index) for m in p["zone"]]
        rows += [_row(m, index) for m in c["optional"]]
        out[lv] = rows
        for w in c["warnings"]:
            if w not in warnings:
                warnings.append(w)
                if w.startswith(CONFLICT_NOTE):
                    out["bureau_notes"].append(w)
        if c.get("edge_m") is not None:
            edge = c["edge_m"] if edge is None else min(edge, c["edge_m"])
    out["edge_distance_m"] = None if edge is None else round(float(edge), 1)
    if across and edge is not None and out["edge_distance_m"] <= settings.boundary_warning_m:
        out["across"] = _across(out, index, located["near"])
    if edge is not None and edge <= settings.boundary_warning_m:
        warnings.append(
            ("距离划片边界不足1米" if edge < 1 else f"距离划片边界约{edge:.0f}米")
            + f"（{settings.boundary_warning_m:.0f}米以内），"
            "请向教育行政部门核实"
        )
    if not any(out.get(lv) for lv in levels):
        warnings.append(_unzoned_text(index, geo, levels, out["jurisdiction"], out))
    if out["schematic"]:
        warnings.append("底图为示意图，位置仅供参考 (schematic base map)")
    return out


def _across(out: dict, index, near) -> list[dict]:
    """Schools of other zones within the edge distance + 5 m of the point, per level the spec
    teaches (primary, middle), the point's own zone schools (not optional ones) left out."""
    levels = {str(s.get("level")) for s in index.schools.values()}
    serving = {
        lv: {str(r["school_id"]) for r in out[lv] if r["kind"] not in OPTIONAL_KINDS}
        for lv in ("primary", "middle")
        if lv in levels or "nine_year" in levels
    }
    return index.zones_across(near, serving, within_m=float(out["edge_distance_m"]) + 5.0)


def _row(m: dict, index) -> dict:
    school = index.schools.get(m["school_id"]) or {}
    src = m.get("source") or {}
    d = m.get("distance_m")
    return {
        "school_id": m["school_id"],
        "name": school.get("name") or m["school_id"],
        "kind": m.get("label") or m.get("kind"),
        "rule_id": m["rule_id"],
        "source": {"text": src.get("text"), "line": src.get("line")},
        "distance_m": None if d is None or d == float("inf") else round(float(d)),
    }


def _unzoned_text(index, geo: dict, levels, jurisdiction, out: dict) -> str:
    """Why no school: the unzoned / choice area the point lies in, or how far the zones are."""
    areas = index.areas_at(geo.get("lon"), geo.get("lat"))
    if areas:
        a = areas[0]
        out["area"] = {"rule_id": a["rule_id"], "name": a.get("name"), "kind": a.get("kind")}
        return (
            f"该地址位于「{a.get('name')}」，这是未划给任何学校的区域（未划片/自主选择区域），"
            "入学安排请向教育行政部门咨询 (an unzoned / choice area: no school is assigned here)"
        )
    where = f"{jurisdiction}" if jurisdiction else ""
    if not len(index.zones):
        return f"该地址不在{where}任何学校的划片范围内（本政策按村/社区划片，该村/社区未列入）"
    xy = index.project(geo.get("lon"), geo.get("lat"))
    best = None
    for lv in levels:
        sid, d = index.nearest_zone(xy, lv)
        if sid is not None and (best is None or d < best[1]):
            best = (sid, d)
    if best is None:
        return f"该地址不在{where}任何学校的划片范围内"
    name = (index.schools.get(best[0]) or {}).get("name") or best[0]
    if best[1] < 1.0:
        near = f"位于划片区域的外边界以外（距{name}的划片边界不足1米），请向教育行政部门核实"
    else:
        near = f"最近的划片是{name}的划片，相距约{best[1]:.0f}米"
    return f"该地址不在{where}已划定的任何学校划片范围内：{near}"
