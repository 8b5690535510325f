"""The policy rules an applicant meets beyond the address (read from ``spec.policy.eligibility``).

Each helper appends its Chinese decision to the applicant's trace ``d`` and says whether the
child is held (``(rule, reason)``) or how it ranks; :mod:`.eligibility` calls them in order.

- :func:`_priority` — tier 0 or a tie-break within the tier (``priority_kind``,
  ``disability_priority``: 同等条件下 is a tie-break, not a jump);
- :func:`_deferral` — 缓学 with its hospital proof and approval; a held notice is returned;
- :func:`_other_district` — 本市外区户籍无房家庭: years of registered rental and of work;
- :func:`_approval` — categories admitted only with an approval (引进人才);
- :func:`_property_counts` — property evidence the text excludes, months of proof of living there;
- :func:`_needs_materials` — whether the policy sets a material check for non-local children.

>>> _years_before("2018-08-31", 5)
'2013-08-31'
"""

from __future__ import annotations

from .categories import evidence_problem, is_other_district, matching

__all__: list[str] = []  # helpers of .eligibility

_DISABLED_IN_SCHOOL = ("随班就读", "送教上门")
MONTHS_NOT_IN_TABLE = "申请表未记录入住证明月数"


def _needs_materials(el: dict) -> bool:
    """The policy sets a material check for non-local children: ``material_check`` (parsed by
    :mod:`geo_enroll.policy.facts` from 延庆 lines 65, 73, 79), or, in a spec written before
    that field, a source sentence on 材料 for 非本市户籍 / 随迁 / 居住证 (the trace's citation).

    >>> _needs_materials({"material_check": True}), _needs_materials({"source": []})
    (True, False)
    """
    if el.get("material_check"):
        return True
    return any(
        "材料" in str(src.get("text"))
        and any(k in str(src.get("text")) for k in ("非本市户籍", "随迁", "居住证"))
        for src in el.get("source") or []
    )


def _priority(cats, out: dict, el: dict, d: list) -> None:
    """Tier 0 or a tie-break within the tier, per the policy's ``priority_kind``.

    同等条件下…给予照顾 (延庆) is a tie-break: the child goes ahead of others *of the same
    tier* only (``tie_break``), never above a higher tier; a category without 同等条件下
    (太仆寺旗 按照相关优待政策和程序安排入学) is tier 0.  Disabled children in general schools
    follow ``disability_priority``: ``tie_break`` (延庆 同等条件下…优先入学), ``none``
    (太仆寺旗 条件与正常儿童入学条件相同), ``tier`` or, when the text is silent, tier 0
    (就近就便优先, said in the trace).
    """
    kinds = el.get("priority_kind") or {}
    out["tie_break"] = False
    for cat in matching(cats, [c for c in el["priority_categories"] if "残疾" not in c]):
        if kinds.get(cat, "tier") == "tie_break":
            out["tie_break"] = True
            d.append(f"照顾类别“{cat}”：同等条件下优先（仅在同一层级内排在前面，不跨层级）")
        else:
            out["priority"] = True
            d.append(f"优待类别“{cat}”：第0层（按优待政策优先安排）")
    if out["disability"] in _DISABLED_IN_SCHOOL:
        how = el.get("disability_priority")
        if how == "none":
            d.append(f"残疾儿童（{out['disability']}）：政策规定入学条件与其他儿童相同，不另设优先")
        elif how == "tie_break":
            out["tie_break"] = True
            d.append(f"残疾儿童（{out['disability']}）：同等条件下就近就便优先（同一层级内）")
        else:
            out["priority"] = True
            why = "" if how == "tier" else "（政策未说明方式，按就近就便优先）"
            d.append(f"残疾儿童（{out['disability']}）：就近就便优先安排，第0层{why}")


def _deferral(rec: dict, d: list, stop, out: dict) -> dict:
    """缓学: the hospital proof and the approval are recorded; a returned notice is said."""
    proof = str(rec.get("deferral_proof") or "").strip()
    approved = str(rec.get("deferral_approved") or "").strip()
    if proof in ("否", "无") or approved in ("否", "不批准", "未批准"):
        d.append(
            "申请缓学，但"
            + ("无医院证明" if proof in ("否", "无") else "缓学未获批准")
            + "，仍参与派位"
        )
        return None
    state = [
        f"医院证明：{proof}" if proof else "医院证明未记录（须持户口簿及医院证明办理）",
        "已批准" if approved in ("是", "已批准", "批准") else "批准未记录",
    ]
    if str(rec.get("notice_issued") or "").strip() in ("是", "已发", "已领取"):
        out["notice_returned"] = True
        state.append("已领取的入学通知书须一并交回（通知书作废）")
    return stop("deferred", "deferral", "已申请缓学，本年度不派位；" + "；".join(state))


def _years_before(iso: str, years: int) -> str:
    y, rest = iso[:4], iso[4:]
    return f"{int(y) - years:04d}{rest}"


def _other_district(rec: dict, el: dict, d: list) -> tuple[str, str] | None:
    """本市非本区户籍无房家庭: N years of registered rental and N years of work in the district."""
    need = el.get("other_district")
    if not need or not is_other_district(rec.get("categories") or ()):
        return None
    if rec.get("property_address"):
        d.append("本市外区户籍，在本区有房产，不适用无房家庭的租房/就业年限条件")
        return None
    rent_need, work_need = need.get("rental_years"), need.get("work_years")
    problems = []
    for col, zh, n in (
        ("rental_years", "连续承租并实际居住（登记备案）", rent_need),
        ("work_years", "父母一方在本区合法稳定就业", work_need),
    ):
        if not n:
            continue
        v = str(rec.get(col) or "").strip()
        if not v:
            problems.append(f"{zh}年限未填写（需{n:g}年以上）")
        elif float(v) < float(n):
            problems.append(f"{zh}{float(v):g}年，不满{n:g}年")
    if problems:
        return (
            "residence_years",
            "本市外区户籍无房家庭：" + "；".join(problems) + "，暂缓派位待核实"
            " (another district's hukou without a home: rental/work years not met)",
        )
    d.append(f"本市外区户籍无房家庭：承租{rent_need:g}年、就业{work_need or 0:g}年以上条件已满足")
    return None


def _approval(cats, rec: dict, el: dict, d: list) -> tuple[str, str] | None:
    """Categories admitted only with an approval (延庆 区级以上引进人才…严格审批)."""
    need = matching(cats, el.get("approval_categories") or [])
    if not need:
        return None
    v = str(rec.get("approval") or "").strip()
    if v in ("是", "已批准", "批准", "通过", "审批通过"):
        d.append("类别“" + "、".join(need) + "”：审批已通过")
        return None
    seen = f"为“{v[:20]}”" if v else "未填写"
    return (
        "approval_pending",
        "类别“" + "、".join(need) + f"”须经审批，审批结果{seen}：暂缓派位"
        " (this category needs an approval: held)",
    )


def _property_counts(rec: dict, el: dict, prop: str, d: list) -> tuple[str, str]:
    """The property address (``""`` when its evidence is not a basis for zoning) and, when a
    person must decide before it is used, the reason (``""`` otherwise).

    Review, not exclusion: evidence that resembles an excluded item without its qualifier
    (拆迁安置房 vs 非政府拆迁房屋置换), and a blank 入住证明月数 where the policy asks for months of
    proof (unknown is unknown).  The child is held only if this address is the one used.  A
    table in which *no* row records the months (the column not collected) holds nobody for it:
    each trace and a run warning say the proof was not checked (``MONTHS_NOT_IN_TABLE``).

    >>> el = {"property_excluded": ["不具备居住条件的商铺产权材料"], "residence_proof_months": 6}
    >>> d = []
    >>> prop, why = _property_counts({"property_evidence": "门市房", "residence_proof_months": "8"},
    ...                              el, "A", d)
    >>> prop, why.split("，")[1]
    ('A', '但材料未说明是否“不具备居住条件”：待人工核实')
    >>> _property_counts({"property_evidence": "房产证"}, el, "A", d)[1][:9]
    '实际入住证明未记录'
    """
    if not prop:
        return prop, ""
    review = []
    evidence = rec.get("property_evidence") or ""
    problem = evidence_problem(evidence, el)
    if problem and problem[0] == "excluded":
        d.append(
            f"房产材料“{evidence}”属“{problem[1]}”，不作为划片招生入学依据，房产地址不用于划片"
        )
        return "", ""
    if problem and problem[0] == "review":
        review.append(f"房产材料“{evidence}”{problem[1]}：待人工核实")
    elif problem:
        d.append(f"房产材料“{evidence}”属重点审核对象（{problem[1]}），请核实")
    months = el.get("residence_proof_months")
    if months:
        v = str(rec.get("residence_proof_months") or "").strip()
        if v and float(v) < months:
            d.append(f"实际入住证明{float(v):g}个月，不满{months}个月，房产地址不用于划片")
            return "", ""
        if not v and el.get("_months_recorded", True):
            review.append(f"实际入住证明未记录（政策要求{months}个月以上）：待人工核实")
        elif not v:  # the table has no months at all: said here and as a run warning
            d.append(
                f"{MONTHS_NOT_IN_TABLE}（政策要求{months}个月以上）：实际入住未核对，"
                "房产地址暂按申报使用"
            )
    if review:
        d.append("；".join(review) + "；房产地址若用于划片，暂缓派位")
    return prop, "；".join(review)
