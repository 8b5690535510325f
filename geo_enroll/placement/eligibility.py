"""Eligibility (入学资格): who may be placed, which addresses count, which tier, which choices.

Everything is read from the spec (``spec.policy`` and ``spec.policy.eligibility``), nothing is
hard-coded per county.  Every decision is written, in Chinese, into ``decisions`` (and from there
into the trace of placements.csv).

Rules, in order (the first that settles a child's status wins):

1. a row with problems (malformed ID, birth date or sex contradicting the ID...) -> ``ineligible``
   (rule ``invalid_row``);
2. 特教学校 disability placement -> ``ineligible`` for the general plan (rule
   ``special_education``: referred to a special school, outside these seat plans);
3. deferral (缓学) asked and the policy allows it -> ``deferred``;
4. 小学: born after ``policy.age_cutoff`` -> ``ineligible`` (rule ``age_cutoff``);
5. a recorded material check (材料审核) of 未通过 -> ``ineligible`` (rule ``materials``) and an
   unreadable one -> ``held`` (rule ``materials_pending``), whatever the policy says; a blank
   check of a 非本市户籍 / 随迁 child -> ``held`` when the policy sets a material check
   (``eligibility.material_check``): unknown is unknown, never traced as passed.

Which address counts (``address_options``, tried in order by :mod:`.candidates`; the first that
falls in a zone is used, and its position gives the tier; an option carrying ``review`` — its
property evidence or months of proof a person must check first — holds the child, rule
``property_review``, when it is the one used):

- ``policy.eligibility.address_basis`` lists the bases in priority order, e.g. 太仆寺旗
  ``["hukou", "property_in_zone"]`` (户籍, else property in a zone with a 购房 rule) and 延庆
  ``["hukou_property_agree", "actual_residence"]`` (户籍 and property agree, else actual residence);
- the hukou address is the new one if ``户口迁入日期`` is on or before
  ``policy.hukou_migration_cutoff``, else the previous one (``原户籍地址``);
- a property address counts ahead of the hukou address when the family lives there
  (实际居住地址 = 房产地址; the policy asks for 实际入住佐证) and its zone school differs — the
  hukou zone school then stays as a fallback (see ``resolve._choose_option``);
- 随迁子女 / 非本市户籍 (not in ``treated_as_local``) also get a last option, the actual residence
  (统筹安排), one tier below the bases.

Tiers (0 = highest): 0 for ``priority_categories`` and disabled children placed in general
schools (随班就读 / 送教上门: 就近就便优先); otherwise ``1 + index`` of the basis used.
Free-choice categories may choose any school of their level; a younger sibling asks for the
elder sibling's school when the elder is not there by choice (``sibling_rule``).

>>> from geo_enroll.datasets import toy_spec, toy_students
>>> from geo_enroll.placement.applicants import read_applicants
>>> el = assess_eligibility(read_applicants(toy_students()), spec=toy_spec())
>>> sorted(el["status"].value_counts().items())
[('', 28), ('deferred', 1), ('ineligible', 1)]
"""

from __future__ import annotations

import pandas as pd

from .candidates import resolve_school
from .categories import matching
from .rules import (
    _approval,
    _deferral,
    _needs_materials,
    _other_district,
    _priority,
    _property_counts,
    _years_before,
)

__all__ = ["assess_eligibility", "BASIS_LABELS", "MIGRANT_CATEGORIES"]

BASIS_LABELS = {
    "hukou": "户籍地址",
    "property_in_zone": "房产地址（辖区内购房）",
    "hukou_property_agree": "户籍与房产一致的地址",
    "actual_residence": "实际居住地址",
    "migrant_residence": "实际居住地址（随迁子女统筹安排）",
    "feeder": "毕业小学对口（小升初）",
}
MIGRANT_CATEGORIES = ("随迁子女", "非本市户籍", "进城务工随迁子女")
_MATERIALS_PASS = ("通过", "已通过", "审核通过", "合格", "是")
_MATERIALS_FAIL = ("未通过", "否", "不通过", "不合格", "审核未通过")


def _eligibility(spec: dict) -> dict:
    pol = spec.get("policy") or {}
    el = dict(pol.get("eligibility") or {})
    el.setdefault("address_basis", ["hukou"])
    if not el["address_basis"]:
        el["address_basis"] = ["hukou"]
    for key in ("treated_as_local", "free_choice_categories", "priority_categories"):
        el[key] = list(el.get(key) or [])
    el["sibling_rule"] = bool(el.get("sibling_rule"))
    el["deferral"] = el.get("deferral") is not False
    return el


def assess_eligibility(applicants: pd.DataFrame, *, spec: dict) -> pd.DataFrame:
    """Decide eligibility, address options, tier base and choices for every applicant.

    Parameters
    ----------
    applicants : DataFrame
        Output of :func:`~geo_enroll.placement.applicants.read_applicants`.
    spec : dict
        Zone spec (ARCHITECTURE.md).

    Returns
    -------
    DataFrame indexed by ``student_id`` (sorted), columns: ``level``; ``status`` (``""`` = to be
    placed, ``ineligible``, ``deferred``, ``held``); ``rule`` (why not placed); ``address_options`` (tuple
    of dicts ``basis, label, address, other, tier``); ``priority`` (bool, tier 0);
    ``free_choice`` (bool); ``preference`` (school id or None); ``sibling_school``;
    ``twin_group``; ``priority_key`` (ISO date for the within-tier order); ``categories``;
    ``disability``; ``decisions`` (tuple of Chinese sentences).
    """
    pol = spec.get("policy") or {}
    el = _eligibility(spec)
    months = applicants.get("residence_proof_months")
    el["_months_recorded"] = months is not None and bool(
        (months.astype(str).str.strip() != "").any()
    )
    cutoff = str(pol.get("age_cutoff") or "")
    mig_cut = str(pol.get("hukou_migration_cutoff") or "")
    rows = []
    for rec in applicants.to_dict("records"):
        rows.append(_assess_one(rec, spec=spec, el=el, cutoff=cutoff, mig_cut=mig_cut))
    out = pd.DataFrame.from_records(rows)
    if out.empty:
        return out
    return out.set_index("student_id").sort_index()


def _assess_one(rec: dict, *, spec, el, cutoff, mig_cut) -> dict:
    d: list[str] = []
    level = rec.get("level") or "primary"
    cats = tuple(rec.get("categories") or ())
    out = {
        "student_id": rec["student_id"],
        "level": level,
        "status": "",
        "rule": "",
        "address_options": (),
        "priority": False,
        "free_choice": False,
        "preference": None,
        "sibling_school": None,
        "twin_group": rec.get("twin_group") or "",
        "priority_key": "",
        "categories": cats,
        "disability": rec.get("disability") or "",
        "row": rec.get("row"),
        "tie_break": False,
        "notice_returned": False,
        "graduating_school": rec.get("graduating_school") or "",
    }
    lvl_zh = "小学" if level == "primary" else "初中"
    d.append(f"申请{lvl_zh}入学")

    def stop(status, rule, why):
        d.append(why)
        out.update(status=status, rule=rule, decisions=tuple(d))
        return out

    if rec.get("problems"):
        return stop(
            "ineligible", "invalid_row", "数据有误，未参与派位：" + "；".join(rec["problems"])
        )
    if rec.get("duplicate_of"):
        return stop("ineligible", "invalid_row", "同一申请人出现在多行，未参与派位")
    if out["disability"] == "特教学校":
        return stop(
            "ineligible",
            "special_education",
            "残疾儿童安置方式为特教学校，转介特殊教育学校，不占用普通学校学位",
        )
    if rec.get("deferral") == "是":
        deferred = _deferral(rec, d, stop, out) if el["deferral"] else None
        if deferred is not None:
            return deferred
        if not el["deferral"]:
            d.append("申请缓学，但政策未规定缓学，仍参与派位")
    birth = rec.get("birth_date") or ""
    if level == "primary" and cutoff:
        if birth and birth > cutoff:
            return stop("ineligible", "age_cutoff", f"出生日期晚于{cutoff}，未满入学年龄")
        if birth:
            d.append(f"出生日期不晚于{cutoff}，符合入学年龄")
    if level == "middle" and cutoff and birth and birth > _years_before(cutoff, 5):
        return stop(
            "ineligible",
            "not_graduate",
            f"申请初中，但出生日期{birth}属小学适龄（小学入学年龄截止{cutoff}）：初中招收当年小学"
            "毕业生，请核对学段或出生日期 (a child of primary age cannot apply to 初中)",
        )
    if level == "middle":
        if rec.get("student_number") or rec.get("graduating_school"):
            d.append("有小学学籍（小升初）")
        else:
            d.append("无小学学籍记录，按户籍资格审核（小升初）")
    local = matching(cats, el["treated_as_local"])
    migrant = any(c in MIGRANT_CATEGORIES for c in cats) and not local
    if local:
        d.append("类别“" + "、".join(local) + "”按本地户籍对待")
    ok = str(rec.get("materials_ok") or "").strip()
    who = "非本地户籍，" if migrant else ""
    if ok in _MATERIALS_FAIL:  # a recorded failure stands, whatever the policy's text says
        return stop("ineligible", "materials", f"{who}入学材料审核未通过 (material check failed)")
    if ok and ok not in _MATERIALS_PASS:  # unreadable: held, never passed
        return stop(
            "held",
            "materials_pending",
            f"{who}入学材料审核结果“{ok[:20]}”无法识别（应填 通过/未通过）：暂缓派位，待核实"
            " (material check unreadable: held for review)",
        )
    if migrant and not _needs_materials(el):
        d.append(
            "非本地户籍（随迁子女）：政策未规定另行审核材料，按流入地入学安排"
            + ("（材料审核已记录为通过）" if ok else "")
        )
    elif migrant:
        if not ok:  # unknown is unknown: held, never passed
            return stop(
                "held",
                "materials_pending",
                "非本地户籍，入学材料审核结果未填写：暂缓派位，待材料审核后再安排"
                " (material check not recorded: held for review)",
            )
        d.append("非本地户籍（随迁子女），材料审核通过")
    held = _other_district(rec, el, d) or _approval(cats, rec, el, d)
    if held:
        return stop("held", *held)

    # which addresses count
    options = []
    hukou = rec.get("hukou_address") or ""
    moved = rec.get("hukou_moved_in") or ""
    if hukou and moved and mig_cut:
        if moved <= mig_cut:
            d.append(f"户口迁入日期{moved}不晚于{mig_cut}，按迁移后户籍地址划片")
        else:
            prev = rec.get("previous_hukou") or ""
            d.append(
                f"户口迁入日期{moved}晚于{mig_cut}，按迁移前户籍地址划片"
                + ("" if prev else "（未填原户籍地址）")
            )
            hukou = prev
    prop, resid = rec.get("property_address") or "", rec.get("residence_address") or ""
    prop, prop_review = _property_counts(rec, el, prop, d)
    for i, basis in enumerate(el["address_basis"]):
        tier = i + 1
        if basis == "hukou" and hukou:
            options.append(_opt(basis, hukou, None, tier))
        elif basis == "property_in_zone" and prop:
            options.append(_opt(basis, prop, None, tier))
            options[-1]["lives_here"] = bool(resid) and _same(resid, prop)
        elif basis == "hukou_property_agree" and hukou and prop:
            options.append(_opt(basis, hukou, prop, tier))
        elif basis == "actual_residence" and (resid or prop or hukou):
            options.append(_opt(basis, resid or prop or hukou, None, tier))
    if migrant and (resid or prop) and not any(o["basis"] == "actual_residence" for o in options):
        options.append(_opt("migrant_residence", resid or prop, None, len(el["address_basis"]) + 1))
    for o in options:  # a property whose evidence a person must check first: held if used
        if prop_review and prop in (o["address"], o["other"]):
            o["review"] = prop_review
    out["address_options"] = tuple(options)
    if options:
        d.append("可用于划片的地址（按顺序）：" + "、".join(o["label"] for o in options))
    else:
        d.append("没有可用于划片的地址")

    # tier 0, free choice, siblings, preference
    _priority(cats, out, el, d)
    free = matching(cats, el["free_choice_categories"])
    if free:
        out["free_choice"] = True
        d.append("类别“" + "、".join(free) + "”：可自主选择同学段任一学校")
    pref = rec.get("preference") or ""
    if pref:
        sid = resolve_school(spec, pref)
        if sid is None:
            d.append(f"志愿学校“{pref}”不在本政策的学校名单中，忽略")
        else:
            out["preference"] = sid
            d.append(f"志愿学校：{_name(spec, sid)}")
    sib = rec.get("sibling_school") or ""
    if sib:
        sid = resolve_school(spec, sib)
        if not el["sibling_rule"]:
            d.append("政策未规定二孩同校，兄姐在读学校不影响派位")
        elif sid is None:
            d.append("兄姐在读学校不在本政策的学校名单中，不适用二孩同校")
        elif rec.get("sibling_by_choice") == "是":
            d.append("兄姐为择校入学，不适用二孩同校")
        elif not _serves(spec, sid, level):
            d.append(f"兄姐在读学校{_name(spec, sid)}不招收本学段，不适用二孩同校")
        else:
            out["sibling_school"] = sid
            if out["preference"] is None:
                out["preference"] = sid
            d.append(f"二孩同校：申请到兄姐在读的{_name(spec, sid)}（学位允许时）")
    if out["twin_group"]:
        d.append("双胞胎/多胞胎：同址同层，派位顺序相同")
    # within-tier order: the date of the registration the address rests on
    out["priority_key"] = rec.get("hukou_moved_in") or rec.get("property_date") or "0000-00-00"
    out["_property_date"] = rec.get("property_date") or ""
    out["decisions"] = tuple(d)
    return out


def _same(a: str, b: str) -> bool:
    return "".join(str(a).split()) == "".join(str(b).split())


def _opt(basis: str, address: str, other: str | None, tier: int) -> dict:
    return {
        "basis": basis,
        "label": BASIS_LABELS[basis],
        "address": address,
        "other": other,
        "tier": tier,
        "lives_here": False,
        "review": "",
    }


def _name(spec: dict, school_id: str) -> str:
    for s in spec.get("schools") or []:
        if s.get("id") == school_id:
            return s.get("name") or school_id
    return school_id


def _serves(spec: dict, school_id: str, level: str) -> bool:
    for s in spec.get("schools") or []:
        if s.get("id") == school_id:
            return s.get("level") in (level, "nine_year")
    return False
