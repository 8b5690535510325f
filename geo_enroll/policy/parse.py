"""Policy text → zone spec (划片招生方案 → structured, reviewable rules).

:func:`parse_policy` reads a policy as published (UTF-8 text or Markdown; tables flattened
into tab-indented cells or Markdown pipes) and returns the zone spec described in
``docs/ARCHITECTURE.md``: policy facts, schools with their zones (each zone keeps its source
sentence and line), ``unparsed`` fragments and body/annex ``conflicts``.

This module only orchestrates the passes, each in its own module: facts
(:mod:`~geo_enroll.policy.facts`), the document's lines and tables
(:mod:`~geo_enroll.policy.document`), body clauses and school headings
(:mod:`~geo_enroll.policy.body`, scopes in :mod:`~geo_enroll.policy.scopes`,
:mod:`~geo_enroll.policy.items` and :mod:`~geo_enroll.policy.zones`), pending alternatives
and free choice (:mod:`~geo_enroll.policy.clauses`), tables and the annex merge
(:mod:`~geo_enroll.policy.tables`), school ids (:mod:`~geo_enroll.policy.schools`),
多校划片 (:mod:`~geo_enroll.policy.multi_school`), then the checks
(:mod:`~geo_enroll.policy.checks`).

>>> spec = parse_policy("某县2024年招生方案\\n一、招生范围\\n1.第一小学招收城关镇户籍适龄儿童。")
>>> spec["schools"][0]["name"], spec["schools"][0]["zones"][0]["kind"]
('第一小学', 'admin_units')
"""

from __future__ import annotations

import re

from ..errors import PolicyParseError
from .body import parse_body
from .checks import find_conflicts
from .clauses import apply_pending
from .coverage import account
from .districts import heading_districts, show_districts
from .document import ParseContext, read_tables
from .facts import extract_facts
from .feeders import finish_feeders, link_feeders
from .grammar import walked_edge_reason
from .multi_school import (
    finish_shared,
    link_multi_school,
    link_shared,
    link_shared_catchments,
)
from .remainder import resolve_remainders, resolve_wholes
from .schools import keep_previous_ids, read_school_codes, slug
from .tables import merge_annex, parse_tables

__all__ = ["parse_policy", "SPEC_VERSION", "SILENT_REASON", "FORMS"]

SPEC_VERSION = 1
SILENT_REASON = "未生成规则（覆盖检查发现） produced no rule: found by the coverage check"


def parse_policy(text: str, *, county: str | None = None, previous: dict | None = None) -> dict:
    """Parse a policy text into a zone spec (a plain dict following the JSON Schema).

    Parameters
    ----------
    text : str
        The policy as published (already decoded; see :func:`geo_enroll.policy.spec.read_policy`).
    county : str, optional
        6-digit county code; by default taken from the jurisdiction named in the text when it
        is one of the shipped counties (else admin units stay unresolved).
    previous : dict, optional
        A previous spec of the same document: its school ids are kept for schools of the
        same name (ids stay stable across re-parses).

    Returns
    -------
    dict
        The zone spec.

    Raises
    ------
    PolicyParseError
        When the text names no school and no zoning rule (not a zoning policy).
    """
    if not isinstance(text, str):
        raise PolicyParseError(f"期望文本 expected text (str), got {type(text).__name__}")
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    policy = extract_facts(lines, county=county)
    ctx = ParseContext(county=policy["county_code"], slug=slug(policy["jurisdiction"]))
    ctx.line_districts = heading_districts(lines)
    tables, table_lines = read_tables(lines)
    pending: list = []
    parse_body(lines, table_lines, ctx, pending)
    read_school_codes(lines, ctx)
    annex = parse_tables(tables, lines, ctx)
    apply_pending(pending, ctx)
    resolve_remainders(ctx)
    merge_annex(annex)
    resolve_wholes(ctx)  # after the tables: a school zoned there makes 全县 a choice
    link_shared(ctx)
    link_shared_catchments(ctx)
    link_feeders(ctx)
    ctx.schools = [
        s
        for s in ctx.schools
        if s["zones"] or s["code"] or s.get("_together") or _unread(s, lines, ctx)
    ]
    show_districts(ctx.schools, ctx.unparsed)
    keep_previous_ids(ctx, previous)
    link_multi_school(ctx)
    # schools named only together for an area (第一小学、第二小学共同招收…): kept if they got it
    ctx.schools = [s for s in ctx.schools if not s.pop("_together", None) or s["zones"]]
    finish_shared(ctx.schools)
    finish_feeders(ctx.schools)
    _number_rules(ctx)
    has_facts = any(
        [
            policy["age_cutoff"],
            policy["hukou_migration_cutoff"],
            policy["timeline"],
            *policy["seat_plan"].values(),
            *policy["class_cap"].values(),
        ]
    )
    if not any(s["zones"] for s in ctx.schools) and not (
        has_facts and re.search(r"义务教育|入学|招生", text)
    ):
        tried = [
            f"第{n}行 line {n}: {raw.strip()[:60]}"
            for n, raw in enumerate(lines, start=1)
            if raw.strip() and not raw.strip().startswith(("<!--", "---", "```"))
        ][:5]
        raise PolicyParseError(
            "未找到任何学校划片规则 no school zoning found: expected sentences such as "
            "“第一小学招收…社区…户籍适龄儿童” or a table with a 学校 column; "
            "is this a catchment-zoning (划片招生) policy?",
            problems=[f"能读懂的写法 forms understood: {form}" for form in FORMS]
            + [f"读到的开头 first lines read: {t}" for t in tried],
        )
    from .facts import derive_multi_school

    derive_multi_school(policy, ctx.schools)
    spec = {
        "spec_version": SPEC_VERSION,
        "policy": policy,
        "schools": ctx.schools,
        "unparsed": ctx.unparsed,
        "conflicts": find_conflicts(ctx.schools, ctx.county, ctx.district_at) + ctx.district_notes,
    }
    # nothing lost silently: a line or item of the zoning part that no rule names and no
    # leftover holds is reported too (see policy.coverage)
    for item in account(text, spec)["silent"]:
        ctx.unparsed.append({"text": item["text"], "line": item["line"], "reason": SILENT_REASON})
    for u in ctx.unparsed:  # a walked boundary says what it is, not just "not understood"
        why = walked_edge_reason(u["text"]) if _GENERIC.search(u["reason"]) else None
        if why:
            u["reason"] = why
    spec["unparsed"] = sorted(ctx.unparsed, key=lambda u: u["line"])
    return spec


def _unread(school: dict, lines: list[str], ctx: ParseContext) -> bool:
    """Whether ``school`` is named on a line whose area the parser reported as not read.

    Such a school stays in the spec with no zones (a planner must draw its area; the line is
    in ``unparsed`` with its reason) instead of vanishing; a school only mentioned in passing
    (no unread area on its line) is dropped as before.
    """
    names = [school["name"], *school.get("aliases", [])]
    for u in ctx.unparsed:
        n = u.get("line")
        if isinstance(n, int) and 0 < n <= len(lines) and any(a in lines[n - 1] for a in names):
            if not re.search(r"幼儿园|园区|学前", u.get("reason", "")):
                return True
    return False


_GENERIC = re.compile(r"未能解析|未生成规则|produced no rule|not understood")


FORMS = (
    "学校招收/招生范围为…：“第一小学招收东关村、西关村户籍适龄儿童。”",
    "学校：范围 “城东小学：青石路75、77号，幸福小区”",
    "标题下的清单 a school title then a bare list: “## 3. 城东小学” / “（三）城东小学” / “**城东小学**”",
    "四至 “东至…，南至…，西至…，北至…” / 以东以南 boxes / “…所围成的区域”",
    "其余 “第四小学：城关镇其余区域” / “除以上学校招生范围以外的区域”",
    "表格 tables with a 学校/校名/基本学区 column and a 范围/村/社区/里 column (Markdown, tab cells, ```csv)",
    "多校划片 “### 第一学区 … 学校：A、B” / “X为A、B共同学区” / “共同學區：A、B”",
    "对口 “某小学毕业生对口升入某中学” / “对口初中：…” / 初中|对口小学 tables",
)
"""The layouts the parser understands, named in the error when it finds no school."""


def _number_rules(ctx: ParseContext) -> None:
    for s in ctx.schools:
        for n, z in enumerate(s["zones"], start=1):
            z["rule_id"] = f"{s['id']}-r{n:02d}"
        s["zones"] = [_ordered(z) for z in s["zones"]]
        for z in s["zones"]:
            if z["kind"] == "alternative" and z.get("from_school") is None:
                z.pop("from_school", None)


def _ordered(zone: dict) -> dict:
    first = ("rule_id", "kind")
    out = {k: zone[k] for k in first}
    out.update({k: v for k, v in zone.items() if k not in first and k not in ("source",)})
    out["source"] = zone["source"]
    return out
