"""Which address counts, the zone and optional schools, the tier, and the trace so far.

:func:`resolve_applicant` turns one assessed applicant (:mod:`.eligibility`) and the geocoded
addresses into the record the allocation reads (``zone_schools``, ``optional_schools``,
``preference``, ``tier``, ``priority_key``, ``xy``; ``multi`` for a multi-school zone) and the
first steps of its Chinese trace.

**非本市户籍** (not in ``treated_as_local``): the material check is cited from the policy's
``eligibility.source`` sentences on materials (延庆 lines 65, 73, 79); placed by actual
residence they rank one tier below local children on the same basis (延庆: 到区教委确定的学校
联系就读).

>>> _short("一二三四五六", 4)
'一二三…'
"""

from __future__ import annotations

import re

from .candidates import candidate_schools
from .categories import matching
from .eligibility import BASIS_LABELS, MIGRANT_CATEGORIES
from .locate import usable
from .trace import _none, _sname

__all__ = ["resolve_applicant"]


def resolve_applicant(sid, rec, geo, index, by_id, spec) -> dict:
    """Which address is used, the zone/optional schools, the tier, and the trace so far."""
    level = rec["level"]
    steps = list(rec["decisions"])
    r = {
        "level": level,
        "status": rec["status"],
        "rule": rec["rule"],
        "tier": "",
        "zone_schools": (),
        "optional_schools": (),
        "preference": None,
        "priority_key": rec["priority_key"],
        "xy": None,
        "lonlat": None,
        "steps": steps,
        "zone_rule": "",
        "basis": "",
        "twin_group": _none(rec.get("twin_group")) or "",
    }
    non_local = _non_local(rec, spec)
    state = {"materials": "failed", "materials_pending": "pending"}.get(rec["rule"], "passed")
    note = _materials_note(spec, non_local, state=state) if non_local else ""
    if note and state != "passed":
        steps.append(note)
    if rec["status"]:
        return r
    if note:
        steps.append(note)
    options = rec["address_options"]
    used = None
    first_point = None
    matched = []
    for o in options:
        g = geo.get(o["address"])
        if not usable(g):
            lv = (g or {}).get("level") or "无"
            steps.append(f"{o['label']}无法定位到可用精度（匹配级别：{lv}），不能用于划片")
            continue
        if first_point is None and g.get("level") != "township":
            first_point = (o, g)  # too coarse to place by proximity when only a township
        basis = "property_in_zone" if o["basis"] == "property_in_zone" else "hukou"
        cand = candidate_schools(g, level, index=index, basis=basis)
        if o["basis"] == "hukou_property_agree":
            g2 = geo.get(o.get("other") or "")
            c2 = candidate_schools(g2, level, index=index) if usable(g2) else {"zone": []}
            a = {m["school_id"] for m in cand["zone"]}
            b = {m["school_id"] for m in c2["zone"]}
            if not a or a != b:
                steps.append("户籍地址与房产地址不属于同一学校划片，不按户籍房产一致对待")
                continue
            steps.append("户籍地址与房产地址属同一学校划片，按“房产证明和户口簿”统一对待")
        if not cand["zone"]:
            steps.append(f"{o['label']}（匹配级别：{g.get('level')}）不在本学段任何学校的划片内")
            continue
        matched.append((o, g, cand))
    if matched:
        used = _choose_option(matched, steps)
    feeder = _feeder_matches(rec, spec, level, by_id) if level == "middle" else None
    if feeder:  # 小升初对口: the primary school decides before the address
        used = _feeder_option(feeder, used, first_point, index, steps, by_id)
    if used is None and first_point is None:
        r.update(status="unresolved_address", rule="unresolved_address")
        steps.append("没有能定位的地址，无法派位；请核对地址后重新提交")
        return r
    chosen = used[0] if used is not None else first_point[0]
    if chosen.get("review"):  # unknown is unknown: the property a person must check first
        r.update(status="held", rule="property_review")
        steps.append(
            f"使用{chosen['label']}，但{chosen['review']}：暂缓派位"
            " (property evidence needs review: held)"
        )
        return r
    if used is None:  # located but in no zone: placed by relative proximity, lowest tier
        o, g = first_point
        tier = max((x["tier"] for x in options), default=1) + 1
        r.update(zone_schools=(), zone_rule="no_zone", basis=o["basis"])
        steps.append(f"使用{o['label']}，不在任何划片内，按相对就近统筹安排")
        cand = {"zone": [], "optional": [], "warnings": [], "xy": index.project(g["lon"], g["lat"])}
    else:
        o, g, cand = used
        tier = o["tier"]
        if g.get("lon") is None and o["basis"] == "feeder":
            steps.append("没有可定位的地址：按对口学校安排，距离未知")
        m = cand["zone"][0]
        names = "、".join(
            _sname(by_id, x["school_id"]) for x in cand["zone"] if not x.get("fallback")
        )
        backup = [_sname(by_id, x["school_id"]) for x in cand["zone"] if x.get("fallback")]
        if backup:
            names += "（备选：" + "、".join(backup) + "）"
        src = m.get("source") or {}
        line = f"第{src.get('line')}行" if src.get("line") else "政策"
        if o["basis"] == "feeder":  # the 对口 step is already in the trace
            if backup:
                steps.append("政策允许按地址安排：地址划片学校" + "、".join(backup) + "作为备选")
        else:
            steps.append(f"使用{o['label']}划片（定位级别：{g.get('level')}）")
            steps.append(
                f"适用规则{m['rule_id']}（{m['label']}，{line}：“{_short(src.get('text'))}”）"
                f"：划片学校{names}"
            )
        steps.extend(cand.get("warnings") or [])
        r.update(
            zone_schools=tuple(x["school_id"] for x in cand["zone"]),
            zone_rule=m["rule_id"],
            basis=o["basis"],
        )
        main = [x for x in cand["zone"] if not x.get("fallback")]
        if len(main) >= 2 and all(x["kind"] == "multi_school" for x in main):
            r["multi"] = (
                min(x["rule_id"] for x in main),
                tuple(sorted(x["school_id"] for x in main)),
            )
            r["multi_rules"] = {x["school_id"]: x["rule_id"] for x in main}
            steps.append("多校划片：同一片区多所学校，学位由电脑派位（公示哈希、现场摇号）确定")
    optional = [x["school_id"] for x in cand.get("optional") or []]
    if rec["free_choice"]:
        optional += [s for s, v in sorted(by_id.items()) if v.get("level") in (level, "nine_year")]
    optional = tuple(dict.fromkeys(s for s in optional if s not in r["zone_schools"]))
    if optional:
        steps.append("可选学校：" + "、".join(_sname(by_id, s) for s in optional))
    pref = _none(rec["preference"])
    sibling = _none(rec["sibling_school"])
    allowed = set(r["zone_schools"]) | set(optional)
    if pref is not None and pref != sibling and pref not in allowed:
        steps.append(f"志愿学校{_sname(by_id, pref)}不在划片或可选范围内，不予考虑")
        pref = None
    if pref is None and sibling and sibling not in allowed:
        pref = sibling
    if non_local and o["basis"] == "actual_residence" and not rec["priority"]:
        tier = int(tier) + 1
        steps.append(
            f"{non_local}：按实际居住地址，排在同一地址依据的本地户籍（含按本地户籍对待）儿童之后"
        )
    if rec["priority"]:
        tier = 0
    code = str(g.get("village_code") or g.get("code") or "")
    name = str((g.get("matched") or {}).get("village") or "")
    r["unit"] = f"{code} {name}".strip()
    r.update(
        tier=int(tier),
        optional_schools=optional,
        preference=pref,
        xy=cand.get("xy"),
        lonlat=None if g.get("lon") is None else (g["lon"], g["lat"]),
    )
    if o["basis"] == "property_in_zone" and rec.get("_property_date"):
        r["priority_key"] = rec["_property_date"]
    # 同等条件下 (tie-break categories): first within the tier, never above another tier
    tie = bool(rec.get("tie_break")) and not rec["priority"]
    r["priority_key"] = f"{0 if tie else 1}|{r['priority_key']}"
    if tie:
        steps.append("同等条件下优先：在本层级内排在同条件儿童之前")
    bumped = non_local and tier and o["basis"] == "actual_residence"
    label = _tier_text(int(tier), o["basis"]) + (f"（{non_local}）" if bumped else "")
    steps.append(f"录取层级：第{int(tier)}层（{label}）")
    return r


def _non_local(rec, spec: dict) -> str:
    """The child's non-local category (非本市户籍, 随迁子女…) when not treated as local, else ``""``.

    The same test as the eligibility step: a category of ``MIGRANT_CATEGORIES`` and none of
    ``policy.eligibility.treated_as_local``.
    """
    cats = tuple(rec.get("categories") or ())
    local = ((spec.get("policy") or {}).get("eligibility") or {}).get("treated_as_local") or ()
    if matching(cats, list(local)):
        return ""
    return next((c for c in cats if c in MIGRANT_CATEGORIES), "")


def _materials_note(spec: dict, category: str, *, state: str) -> str:
    """The material check of a non-local child, citing the policy's material sentences.

    Sentences of ``policy.eligibility.source`` that mention 材料 and 非本市户籍 / 随迁 / 居住证
    (延庆 lines 65, 73, 79: 在延务工就业材料、在延实际住所居住材料、全家户口簿、北京市居住证);
    ``""`` when the policy lists none (the eligibility step has said what it could).
    """
    el = (spec.get("policy") or {}).get("eligibility") or {}
    found = [
        src
        for src in el.get("source") or []
        if "材料" in str(src.get("text"))
        and any(k in str(src.get("text")) for k in ("非本市户籍", "随迁", "居住证"))
    ]
    if not found:
        return ""
    state = {
        "passed": "已通过",
        "failed": "未通过，不予派位",
        "pending": "尚无结果，暂缓派位",
    }[state]
    lines = "、".join(str(src.get("line")) for src in found)
    detail = next((src for src in found if "居住证" in str(src.get("text"))), found[0])
    return (
        f"{category}材料审核{state}，依据政策第{lines}行"
        f"（第{detail.get('line')}行：“{_short(detail.get('text'), 60)}”）"
    )


def _choose_option(matched: list, steps: list):
    """The address that counts among those that fall in a zone (spec order), with one rule:

    a property address where the family actually lives (实际居住地址 = 房产地址: the policy asks
    for 实际入住佐证) is used ahead of a hukou address whose zone school differs (农村户籍、城区有房);
    the other addresses' zone schools stay as fallbacks of the zone stage.
    """
    chosen = matched[0]
    for m in matched[1:]:
        o = m[0]
        if o["basis"] == "property_in_zone" and o.get("lives_here"):
            a = {x["school_id"] for x in chosen[2]["zone"]}
            b = {x["school_id"] for x in m[2]["zone"]}
            if a != b:
                steps.append(
                    "实际居住在房产地址（需实际入住佐证），按房产地址划片，户籍地址划片学校作为备选"
                )
                chosen = m
            break
    fallbacks = []
    for m in matched:
        if m is not chosen:
            fallbacks += [x for x in m[2]["zone"] if x["school_id"] not in fallbacks]
    if fallbacks:
        known = {x["school_id"] for x in chosen[2]["zone"]}
        extra = [dict(x, fallback=True) for x in fallbacks if x["school_id"] not in known]
        chosen = (chosen[0], chosen[1], dict(chosen[2], zone=list(chosen[2]["zone"]) + extra))
    return chosen


def _same_school(a: str, b: str) -> bool:
    """Names equal once spaces, 示意 and a trailing 校区/分校 note are set aside."""

    def norm(t):
        t = "".join(str(t or "").split()).removeprefix("示意")
        return re.sub(r"[（(][^）)]*[）)]$", "", t)

    return bool(norm(a)) and norm(a) == norm(b)


def _feeder_matches(rec, spec: dict, level: str, by_id: dict) -> list[tuple[str, dict, dict]]:
    """(middle school id, feeder zone, matched primary) for the child's graduating school.

    The graduating school (毕业学校标识码 / name) is resolved against the spec's schools
    (id, name, alias, 学校标识码) and compared with each feeder's ``from_schools`` (by
    ``school_id``, else by name; a ``campus`` must appear in the written school when given).
    """
    from .candidates import resolve_school

    grad = str(rec.get("graduating_school") or "").strip()
    if not grad:
        return []
    grad_id = resolve_school(spec, grad)
    grad_name = (by_id.get(grad_id) or {}).get("name") if grad_id else grad
    out, some = [], []
    for s in spec.get("schools") or []:
        if s.get("level") not in (level, "nine_year"):
            continue
        for z in s.get("zones") or []:
            if z.get("kind") != "feeder":
                continue
            for f in z.get("from_schools") or []:
                hit = (grad_id and f.get("school_id") == grad_id) or _same_school(
                    f.get("name"), grad_name
                )
                if not hit:
                    continue
                if not f.get("campus") or f["campus"] in grad:
                    out.append((s["id"], z, f))
                    break
                if not _campus_written(grad):  # campus not written: every campus's school
                    some.append((s["id"], z, f))
                    break
    return out or some


def _campus_written(text: str) -> bool:
    """The graduating school names a campus or branch (…校区, …分校, （东区）).

    >>> _campus_written("西小学（东校区）"), _campus_written("西小学")
    (True, False)
    """
    return bool(re.search(r"校区|分校|[（(][^）)]+[）)]", str(text)))


def _feeder_option(feeder, used, first_point, index, steps: list, by_id: dict):
    """The (option, geocode, candidates) of a 小升初 child placed by its primary school."""
    names = "、".join(dict.fromkeys(_sname(by_id, sid) for sid, _z, _f in feeder))
    sid0, z0, f0 = feeder[0]
    src = z0.get("source") or {}
    steps.append(
        f"小升初对口：毕业小学“{f0.get('name')}”对口升入{names}（规则{z0['rule_id']}，"
        f"第{src.get('line')}行：“{_short(src.get('text'))}”）"
    )
    zone = [
        {
            "school_id": sid,
            "rule_id": z["rule_id"],
            "kind": "feeder",
            "label": "小升初对口",
            "source": z.get("source") or {},
            "specificity": 100,
        }
        for sid, z, _f in feeder
    ]
    fallback = any(z.get("fallback_to_address") for _s, z, _f in feeder)
    o = {"basis": "feeder", "label": "毕业小学对口", "tier": 1, "address": "", "other": None}
    if len({sid for sid, _z, _f in feeder}) > 1:
        steps.append("毕业小学对口多所中学（校区未写明或多校对口）：均为划片学校，按距离排序")
    if used is not None:
        _o, g, cand = used
        if fallback:
            known = {m["school_id"] for m in zone}
            zone += [dict(m, fallback=True) for m in cand["zone"] if m["school_id"] not in known]
        return o, g, dict(cand, zone=zone, warnings=[])
    if first_point is not None:
        _o, g = first_point
        xy = index.project(g["lon"], g["lat"])
        return o, g, {"zone": zone, "optional": [], "warnings": [], "xy": xy}
    g = {"lon": None, "lat": None, "level": None}
    return o, g, {"zone": zone, "optional": [], "warnings": [], "xy": None}


def _tier_text(tier: int, basis: str) -> str:
    if tier == 0:
        return "优待/残疾儿童优先"
    return BASIS_LABELS.get(basis, basis)


def _short(text, n: int = 40) -> str:
    t = " ".join(str(text or "").split())
    return t if len(t) <= n else t[: n - 1] + "…"
