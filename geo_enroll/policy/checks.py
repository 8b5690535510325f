"""Checks across rules: where the body text and an annex table disagree.

A policy often states its zoning twice: in the body (section 招生范围) and in annex tables
(附件). :func:`find_conflicts` compares them and reports, each with every source involved:

- ``limits``: a community the body assigns whole while an annex cuts it by street limits,
  limits only in an annex, or different limits for the same part;
- ``coverage``: the units an annex row gives a school differ from what the body gives it
  (e.g. a body township vs an annex row that lists only some of its villages, or a body
  "6个社区" vs an annex row of 9 units);
- ``overlap``: one unit in the primary zones of two schools of the same level (an
  ``alternative`` rule between them is named when there is one);
- ``spelling``: one official unit written differently in different places (四角/四角滩);
- ``unresolved``: a name listed under a township that does not have it, while another does;
- ``table_layout``: a blank table cell whose township was inferred from the row's villages.

>>> find_conflicts([], None)
[]
"""

from __future__ import annotations

from collections import defaultdict

from . import units as _units

__all__ = ["find_conflicts"]


def _township_villages(county: str | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if county not in _units.COUNTIES:
        return out
    for u in _units.load_units():
        if u.county_code == county and u.level != "township" and u.code:
            out[u.township_code].append(u.code)
    return out


def _names(codes, county) -> str:
    by_code = {u.code: u for u in _units.load_units() if u.code}
    groups: dict[str, list[str]] = defaultdict(list)
    for c in sorted(codes):
        u = by_code.get(c)
        if u:
            groups[u.township].append(u.short)
        elif c.startswith(_BY_NAME):  # a unit known by name only (no official list)
            town, _, name = c[len(_BY_NAME) :].partition("@")[0].partition("/")
            groups[town or "（未写明乡镇）"].append(name)
    return "；".join(f"{t}: {'、'.join(v)}" for t, v in groups.items())


_BY_NAME = "name:"
"""The claim key of a unit without a code: its township (as written) and name."""


def _expand(unit: dict, towns: dict, by_name: bool = False) -> set[str]:
    """The official codes a unit stands for (a township: its villages); ``by_name``: a unit
    without a code stands for its name and township as written (every county without a
    shipped list), for the overlap check."""
    code = unit.get("code")
    if not code:
        name = str(unit.get("name") or "")
        return {f"{_BY_NAME}{unit.get('township') or ''}/{name}"} if by_name and name else set()
    if len(code) == 9:
        return set(towns.get(code, [])) or {code}
    return {code}


def _is_annex(zone: dict) -> bool:
    return zone.get("origin") == "annex"


def find_conflicts(schools: list[dict], county: str | None, district_at=None) -> list[dict]:
    """Every disagreement between body and annexes, overlaps and spelling variants.

    ``district_at(line)``: the district heading of a line (units known by name only overlap
    within one district: two districts' 郎家村 are two villages)."""
    towns = _township_villages(county)
    out: list[dict] = []
    out += _limits(schools)
    out += _coverage(schools, towns, county)
    out += _overlaps(schools, towns, county, district_at)
    out += _spelling(schools)
    out += _cross_township(schools)
    out += _layout(schools)
    for conflict in out:  # deterministic order, whatever the hash seed
        conflict["sources"] = sorted(
            conflict["sources"], key=lambda src: (src["line"], src["text"])
        )
    return out


def _whole_units(school: dict) -> dict[str, tuple[dict, dict]]:
    got = {}
    for z in school["zones"]:
        if z["kind"] == "admin_units" and not _is_annex(z):
            for u in z["units"]:
                if u.get("code") and not u.get("group") and not u.get("sub_area"):
                    got[u["code"]] = (u, z)
    return got


def _limits(schools: list[dict]) -> list[dict]:
    out = []
    for s in schools:
        whole = _whole_units(s)
        body_limits = {}
        for z in s["zones"]:
            if z["kind"] == "street_limits" and not _is_annex(z):
                body_limits.setdefault(z.get("within_code") or z.get("within"), []).append(z)
        for z in s["zones"]:
            if z["kind"] != "street_limits" or not _is_annex(z):
                continue
            key = z.get("within_code") or z.get("within")
            if key in whole:
                u, bz = whole[key]
                extra = f"（不含{'、'.join(u['exclude'])}）" if u.get("exclude") else ""
                out.append(
                    {
                        "kind": "limits",
                        "description": (
                            f"{s['name']}: 正文按整个{u['name']}{extra}划入，附件以四至"
                            f"（{_fmt_limits(z['limits'])}）限定{z['within']}的范围；两者应为同一区域，"
                            f"请核对四至是否覆盖全社区 (body assigns the whole unit, the annex gives street limits)"
                        ),
                        "schools": [s["id"]],
                        "units": [u["name"]],
                        "sources": [bz["source"], z["source"]],
                    }
                )
            elif key in body_limits:
                for bz in body_limits[key]:
                    out.append(
                        {
                            "kind": "limits",
                            "description": (
                                f"{s['name']}: {z['within']}的四至正文为（{_fmt_limits(bz['limits'])}），"
                                f"附件为（{_fmt_limits(z['limits'])}） (limits differ)"
                            ),
                            "schools": [s["id"]],
                            "units": [z["within"]],
                            "sources": [bz["source"], z["source"]],
                        }
                    )
            else:
                out.append(
                    {
                        "kind": "limits",
                        "description": f"{s['name']}: {z['within']}的四至只见于附件，正文未提及 "
                        f"(limits only in the annex)",
                        "schools": [s["id"]],
                        "units": [z["within"] or ""],
                        "sources": [z["source"]],
                    }
                )
    return out


def _fmt_limits(limits: dict) -> str:
    cn = {"east": "东至", "south": "南至", "west": "西至", "north": "北至"}
    return "，".join(f"{cn[k]}{v}" for k, v in limits.items())


def _coverage(schools: list[dict], towns: dict, county) -> list[dict]:
    out = []
    for s in schools:
        annex = [z for z in s["zones"] if z["kind"] == "admin_units" and _is_annex(z)]
        body = [z for z in s["zones"] if z["kind"] == "admin_units" and not _is_annex(z)]
        if not annex or not body:
            continue
        b_codes: set[str] = set()
        for z in body:
            for u in z["units"]:
                b_codes |= _expand(u, towns)
        a_codes: set[str] = set()
        a_towns: set[str] = set()
        unresolved = []
        for z in annex:
            for u in z["units"]:
                a_codes |= _expand(u, towns)
                if u.get("code"):
                    a_towns.add(u["code"][:9])
                else:
                    unresolved.append(f"{u['name']}({u.get('township') or '?'})")
        missing = {c for c in b_codes - a_codes if c[:9] in a_towns}
        extra = a_codes - b_codes
        if not missing and not extra:
            continue
        parts = []
        if missing:
            parts.append(
                f"正文划入而附件未列 in the body, not in the annex: {_names(missing, county)}"
            )
        if extra:
            parts.append(
                f"附件列出而正文未划入 in the annex, not in the body: {_names(extra, county)}"
            )
        if unresolved:
            parts.append(
                f"附件中无法确定代码的名称 annex names without a code: {'、'.join(unresolved)}"
            )
        counts = [
            u.get("expanded_from") for z in body for u in z["units"] if u.get("expanded_from")
        ]
        lead = f"{s['name']}: 正文与附件的范围不一致"
        if counts:
            n_annex = sum(len(z["units"]) for z in annex)
            lead += f"（正文“{counts[0]}”，附件列{n_annex}个单位）"
        out.append(
            {
                "kind": "coverage",
                "description": lead + "；" + "；".join(parts),
                "schools": [s["id"]],
                "sources": _dedupe(
                    [z["source"] for z in body if extra or _touches(z, missing, towns)]
                    + [z["source"] for z in annex]
                ),
            }
        )
    return out


def _touches(zone: dict, codes: set[str], towns: dict) -> bool:
    return any(_expand(u, towns) & codes for u in zone["units"]) or not codes


def _dedupe(sources: list[dict]) -> list[dict]:
    seen, out = set(), []
    for src in sources:
        key = (src["line"], src["text"])
        if key not in seen:
            seen.add(key)
            out.append(src)
    return out


def _overlaps(schools: list[dict], towns: dict, county, district_at=None) -> list[dict]:
    claims: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s in schools:
        if s["level"] not in ("primary", "middle"):
            continue
        for z in s["zones"]:
            if z["kind"] != "admin_units":
                continue
            for u in z["units"]:
                for code in sorted(_expand(u, towns, by_name=True)):
                    if code.startswith(_BY_NAME) and district_at is not None:
                        # a name is one place within one district heading only
                        code = f"{code}@{district_at(int(z['source'].get('line') or 0)) or ''}"
                    claims[(s["level"], code)][s["id"]].append((u, z))
    pairs: dict[tuple, dict] = {}
    for (_level, code), by_school in claims.items():
        ids = sorted(by_school)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if _disjoint_parts(by_school[a], by_school[b]):
                    continue
                entry = pairs.setdefault((a, b), {"codes": set(), "sources": [], "nested": True})
                entry["codes"].add(code)
                for _u, z in by_school[a] + by_school[b]:
                    entry["sources"].append(z["source"])
                if not (_specific(by_school[a]) or _specific(by_school[b])):
                    entry["nested"] = False
    name = {s["id"]: s for s in schools}
    out = []
    for (a, b), entry in sorted(pairs.items()):
        alt = _alternative_between(name[a], name[b]) or _alternative_between(name[b], name[a])
        desc = (
            f"{len(entry['codes'])}个单位同时在{name[a]['name']}和{name[b]['name']}的范围内: "
            f"{_names(entry['codes'], county)}"
        )
        if entry["nested"]:
            desc += "；一处只划入其中的一部分（社/组/自然村），按更具体者优先 (the more specific unit wins)"
        if alt:
            desc += f"；另有选择性规则: “{alt['source']['text']}”"
        sources = _dedupe(entry["sources"] + ([alt["source"]] if alt else []))
        out.append(
            {"kind": "overlap", "description": desc, "schools": [a, b], "sources": sources[:12]}
        )
    return out


def _specific(claims) -> bool:
    return any(u.get("group") or u.get("sub_area") for u, _ in claims)


def _disjoint_parts(ca, cb) -> bool:
    """Both schools take different named groups of the same village (菜园村三社 vs 一社)."""
    pa = {(u.get("group"), u.get("sub_area")) for u, _ in ca}
    pb = {(u.get("group"), u.get("sub_area")) for u, _ in cb}
    if (None, None) in pa or (None, None) in pb:
        return False
    return not (pa & pb)


def _alternative_between(dest: dict, origin: dict) -> dict | None:
    for z in dest["zones"]:
        if z["kind"] == "alternative" and z.get("from_school") == origin["id"]:
            return z
    return None


def _spelling(schools: list[dict]) -> list[dict]:
    forms: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s in schools:
        for z in s["zones"]:
            for u in z.get("units", []) or []:
                if u.get("code") and not u.get("expanded_from"):
                    forms[u["code"]][_units.strip_suffix(u["name"])].append(z["source"])
    out = []
    for code, by_form in sorted(forms.items()):
        if len(by_form) < 2:
            continue
        written = "、".join(f"“{f}”" for f in sorted(by_form, key=len))
        sources = _dedupe([src for srcs in by_form.values() for src in srcs])
        out.append(
            {
                "kind": "spelling",
                "units": sorted(by_form),
                "description": f"同一单位 {code} 写法不一 one unit written differently: {written}",
                "sources": sources[:8],
            }
        )
    return out


def _cross_township(schools: list[dict]) -> list[dict]:
    seen: dict[tuple, list] = defaultdict(list)
    notes = {}
    for s in schools:
        for z in s["zones"]:
            for u in z.get("units", []) or []:
                cands = u.get("candidates") or []
                if (
                    u.get("code") is None
                    and cands
                    and cands[0].get("score", 0) >= 0.95
                    and u.get("township")
                    and cands[0].get("township") != u.get("township")
                ):
                    key = (u["name"], u["township"])
                    seen[key].append(z["source"])
                    notes[key] = cands[0]
    out = []
    for (name, town), sources in seen.items():
        c = notes[(name, town)]
        out.append(
            {
                "kind": "unresolved",
                "units": [name],
                "description": (
                    f"“{name}”列在{town}下，但{town}没有此村；{c['township']}有"
                    f"{c['name']}（{c['code']}）。未赋代码，请核对 "
                    f"(listed under a township that lacks it; left without a code)"
                ),
                "sources": _dedupe(sources),
            }
        )
    return out


def _layout(schools: list[dict]) -> list[dict]:
    out = []
    for s in schools:
        for z in s["zones"]:
            inf = z.get("township_inferred")
            if inf:
                out.append(
                    {
                        "kind": "table_layout",
                        "schools": [s["id"]],
                        "description": (
                            f"{s['name']}: 表格行的乡镇单元格为空，按上一行应为"
                            f"{inf['instead_of']}，但该行村名{int(inf['share'] * 100)}%属于"
                            f"{inf['township']}，按{inf['township']}处理 "
                            f"(blank township cell inferred from the villages)"
                        ),
                        "sources": [z["source"]],
                    }
                )
    return out
