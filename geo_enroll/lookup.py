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

from .settings import DEFAULT_SETTINGS, Settings

__all__ = ["lookup_address", "lookup_point", "build_index"]

_COARSE = (None, "county", "township")
_CACHE: dict = {}


def build_index(spec: dict, zones=None, school_points=None):
    """A prepared :class:`~geo_enroll.placement.candidates.ZoneIndex` (cached per objects)."""
    from .placement.candidates import ZoneIndex

    key = (id(spec), id(zones), id(school_points))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is spec and hit[1] is zones and hit[2] is school_points:
        return hit[3]
    index = ZoneIndex(spec, zones, school_points=school_points)
    if len(_CACHE) > 8:
        _CACHE.clear()
    _CACHE[key] = (spec, zones, school_points, index)
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
) -> dict:
    """Serving schools of a written address (geocoded with ``gazetteer``).

    Returns the :func:`lookup_point` answer plus ``input``; when the address cannot be located
    the school lists are empty and ``warnings`` says why.
    """
    from .errors import GeoEnrollError

    text = str(address or "").strip()
    try:
        geo = dict(gazetteer.geocode(text))
    except GeoEnrollError as exc:
        geo = {"lon": None, "lat": None, "level": None, "reason": exc.message}
    geo["input"] = text
    out = _answer(
        geo, spec=spec, zones=zones, school_points=school_points, settings=settings, index=index
    )
    out["input"] = text
    return out


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
) -> dict:
    """Serving schools of a point (WGS 84 lon/lat), optionally with its admin-unit codes.

    Without codes only polygon zones and open free-choice schools can match (admin-unit zones
    are matched by official code); a warning says so.

    >>> from geo_enroll.datasets import toy_spec, toy_zones, toy_xy_to_lonlat
    >>> lon, lat = toy_xy_to_lonlat(500, 300)   # exactly on the 中街 edge
    >>> r = lookup_point(lon, lat, spec=toy_spec(), zones=toy_zones())
    >>> [s["school_id"] for s in r["primary"] if s["kind"] == "户籍划片"]
    ['toy-p1']
    >>> any("分界线" in w for w in r["warnings"]), r["edge_distance_m"]
    (True, 0.0)
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
        geo, spec=spec, zones=zones, school_points=school_points, settings=settings, index=index
    )
    if not (code or village_code or township_code):
        out["warnings"].append(
            "仅按坐标查询，未核对行政区划代码：按村/社区户籍划片的学校可能未列出"
        )
    return out


def _answer(geo: dict, *, spec, zones, school_points, settings, index) -> dict:
    from .placement.candidates import candidate_schools

    index = index or build_index(spec, zones, school_points)
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
    for lv in ("primary", "middle"):
        c = candidate_schools(geo, lv, index=index)
        p = candidate_schools(geo, lv, index=index, basis="property_in_zone")
        rows = [_row(m, index) for m in c["zone"]]
        rows += [_row(m, index) for m in p["zone"]]
        rows += [_row(m, index) for m in c["optional"]]
        out[lv] = rows
        for w in c["warnings"]:
            if w not in warnings:
                warnings.append(w)
        if c.get("edge_m") is not None:
            edge = c["edge_m"] if edge is None else min(edge, c["edge_m"])
    out["edge_distance_m"] = None if edge is None else round(float(edge), 1)
    if edge is not None and edge <= settings.boundary_warning_m:
        warnings.append(
            f"距离划片边界约{edge:.0f}米（{settings.boundary_warning_m:.0f}米以内），"
            "请向教育行政部门核实"
        )
    if not out["primary"] and not out["middle"]:
        warnings.append("该地址不在任何学校的划片范围内")
    if out["schematic"]:
        warnings.append("底图为示意图，位置仅供参考 (schematic base map)")
    return out


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
