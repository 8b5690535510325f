"""Policy categories and evidence read by meaning, not by exact string.

A child's category as the applicant table writes it (``台胞子女``, ``工作居住证``) and the
category as the policy writes it (``区台办认定的台胞子女``, ``父母一方持有《北京市工作居住证》的
适龄儿童少年``, ``台籍学生``) rarely agree letter for letter.  :func:`matching` compares them
by the concept they name (``CONCEPTS``: Taiwan compatriots, overseas Chinese, martyrs,
servicemen...), so 工作居住证 = 北京市工作居住证 and 台胞子女 meets both 台胞子女 (按本市户籍对待)
and 台籍学生 (同等条件下给予照顾), as the 延庆 text intends: a child of Taiwan compatriots is
a 台籍 student.

:func:`evidence_problem` reads a property-evidence type against the policy's
``property_excluded`` list (太仆寺旗: 商场内柜台, 不具备居住条件的商铺, 个人签订的房屋买卖合同,
非政府拆迁房屋置换 are not a basis for zoning) and ``scrutinised_housing`` (延庆: 过道房, 地下室,
车库房, 空挂户 are checked with care).

>>> matching(("台胞子女",), ["台胞子女", "华侨子女"]), matching(("台胞子女",), ["台籍学生"])
(['台胞子女'], ['台籍学生'])
>>> matching(("工作居住证",), ["父母一方持有《北京市工作居住证》的适龄儿童少年"])
['父母一方持有《北京市工作居住证》的适龄儿童少年']
>>> matching(("随迁子女",), ["台籍学生", "烈士子女"])
[]
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["CONCEPTS", "matching", "evidence_problem", "is_other_district"]

CONCEPTS: dict[str, str] = {
    "taiwan": r"台胞|台籍|台湾",
    "overseas_chinese": r"华侨|归侨|侨眷",
    "martyr": r"烈士",
    "serviceman": r"现役军人|军人子女|随军",
    "postdoc": r"博士后",
    "work_permit": r"工作居住证",
    "parent_local": r"父母一方(?:为)?本市户籍|父母一方是本市户籍",
    "model_worker": r"劳动模范|劳模",
    "police": r"公安英模|伤残警察|因公牺牲",
    "firefighter": r"消防",
    "medical": r"医务人员|医疗卫生工作者",
    "talent": r"引进人才|高层次人才",
    "entrepreneur": r"企业家|投资兴业",
    "disabled": r"残疾",
}


@lru_cache(maxsize=4096)
def _concepts(text: str) -> frozenset[str]:
    return frozenset(k for k, pat in CONCEPTS.items() if re.search(pat, text))


def matching(child: tuple | list, policy: list) -> list[str]:
    """The policy categories (as the policy writes them) that the child's categories meet.

    Equal strings match; otherwise both must name the same concept of ``CONCEPTS``.
    """
    out = []
    kids = [str(c).strip() for c in child or () if str(c).strip()]
    kid_concepts = frozenset().union(*(_concepts(c) for c in kids)) if kids else frozenset()
    for p in policy or ():
        if p in kids or (_concepts(str(p)) & kid_concepts):
            out.append(p)
    return out


# Synonyms of the seeds' property words: a family links an item of the policy to evidence that
# names the same kind of property in other words (门市 for 商铺).  They only widen the match:
# the policy's own items are matched first, exactly or by containment.
_EVIDENCE_FAMILIES = (
    ("柜台",),
    ("商铺", "商业用房", "门市", "底商", "商住"),
    ("个人签订", "个人买卖", "私人买卖", "私下买卖", "个人合同", "私人合同"),
    ("拆迁", "置换", "安置房", "回迁"),
    ("过道房",),
    ("地下室",),
    ("车库",),
    ("空挂户", "空挂"),
    ("小产权",),
    ("自建房", "宅基地"),
)
# Qualifiers that narrow an item (非政府拆迁…, 不具备居住条件的商铺): (in the item, the same
# qualifier said by the evidence, the evidence saying the opposite).  A family match whose
# qualifier the evidence does not state is not excluded: it is held for review.
_QUALIFIERS = (
    (r"非政府", r"非政府|私人|个人|开发商", r"(?<!非)政府"),
    (r"不具备居住条件|无居住条件|不具备居住功能", r"不具备居住|无居住条件|不能居住", None),
    (r"集体土地", r"集体土地|宅基地|农村", r"国有土地"),
)
_SUFFIX = re.compile(r"(?:的)?(?:产权)?(?:材料|证明|证书|证)$")


def _core(text: str) -> str:
    """An item or an evidence type without its trailing 产权材料/证明 and spaces.

    >>> _core("商场内柜台产权材料"), _core("小产权房")
    ('商场内柜台', '小产权房')
    """
    return _SUFFIX.sub("", re.sub(r"\s+", "", str(text))) or re.sub(r"\s+", "", str(text))


def _family(item: str, evidence: str) -> bool:
    return any(
        any(k in item for k in fam) and any(k in evidence for k in fam)
        for fam in _EVIDENCE_FAMILIES
    )


def _match(item: str, evidence: str) -> tuple[str, str] | None:
    """How ``evidence`` meets one item of the policy: ``("same", why)`` (it is that item),
    ``("review", why)`` (it may be, a qualifier is not stated), ``("not", why)`` (the
    evidence states the opposite of the item's qualifier) or None (unrelated)."""
    it, ev = _core(item), _core(evidence)
    if not it or not ev:
        return None
    if it == ev or it in ev:
        return "same", f"与政策所列“{item}”一致"
    if not _family(it, ev) and not (len(ev) >= 2 and ev in it):
        return None
    for q_item, q_same, q_opposite in _QUALIFIERS:
        if not re.search(q_item, it):
            continue
        if re.search(q_same, ev):
            continue  # the evidence states the same qualifier
        if q_opposite and re.search(q_opposite, ev):
            return "not", f"材料写明“{re.search(q_opposite, ev)[0]}”，不属于“{item}”"
        q = re.search(q_item, it)[0]
        return "review", f"与政策所列“{item}”同类，但材料未说明是否“{q}”"
    if ev in it and not _family(it, ev):
        return "review", f"属于政策所列“{item}”的一部分，请核实是否即为该类材料"
    return "same", f"与政策所列“{item}”同类"


def evidence_problem(evidence: str, eligibility: dict) -> tuple[str, str] | None:
    """What the policy says of a property-evidence type: ``("excluded", item)`` when it is not
    a basis for zoning, ``("review", why)`` when it resembles an excluded item but the item's
    qualifier (非政府, 不具备居住条件…) is not stated (held for a person to decide),
    ``("scrutinise", item)`` when the policy checks it with care, else None.

    The policy's own items are matched first (exactly, or contained in the evidence); the
    synonym families only widen that; an unstated qualifier is never read as met.

    >>> el = {"property_excluded": ["商场内柜台产权材料", "个人签订的房屋买卖合同",
    ...                             "非政府拆迁房屋置换材料", "不具备居住条件的商铺产权材料"],
    ...       "scrutinised_housing": ["地下室"]}
    >>> evidence_problem("个人买卖合同", el), evidence_problem("房产证", el)
    (('excluded', '个人签订的房屋买卖合同'), None)
    >>> evidence_problem("政府拆迁安置房置换", el), evidence_problem("地下室", el)
    (None, ('scrutinise', '地下室'))
    >>> evidence_problem("拆迁安置房", el)[0], evidence_problem("门市房", el)[0]
    ('review', 'review')
    >>> evidence_problem("小产权房", {"property_excluded": ["小产权房", "集体土地上的自建房"]})
    ('excluded', '小产权房')
    """
    ev = str(evidence or "").strip()
    if not ev:
        return None
    review = None
    for item in eligibility.get("property_excluded") or ():
        m = _match(item, ev)
        if m and m[0] == "same":
            return "excluded", item
        if m and m[0] == "review" and review is None:
            review = ("review", m[1])
    if review:
        return review
    for item in eligibility.get("scrutinised_housing") or ():
        m = _match(item, ev)
        if m and m[0] in ("same", "review"):
            return "scrutinise", item
    return None


def is_other_district(categories) -> bool:
    """A child with the city's hukou from another district (本市非本区户籍, 外区户籍).

    >>> is_other_district(("本市外区户籍",)), is_other_district(("非本市户籍",))
    (True, False)
    """
    return any(
        re.search(r"外区|非本区|本市其他区|本市非\S{0,4}区户籍", str(c))
        and not str(c).startswith("非本市")
        for c in categories or ()
    )
