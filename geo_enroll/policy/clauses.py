"""Clauses outside a scope list: property rule, alternatives and free choice.

在辖区内购房 … 相对就近 becomes a ``property_rule`` zone at once; 也可到X (an alternative
school) and 自主选择 (free choice) name other schools, so they are kept *pending* and applied
once every school is known (:func:`apply_pending`).

>>> ctx = ParseContext(county=None)
>>> school = {"id": "p1", "zones": []}
>>> pending = []
>>> extra_zones("千斤沟镇的适龄儿童也可到第四小学就读", "…", 3, school, ctx, pending)
True
>>> pending[0][:3]
('alternative', '第四小学', '千斤沟镇')
"""

from __future__ import annotations

import json
import re

from . import units as _units
from .document import ParseContext, source_ref
from .grammar import CN, PATTERNS, split_top
from .items import choice_schools, clean_name
from .schools import match_school
from .zones import is_township, unit_entry

__all__ = ["extra_zones", "apply_pending"]


_CHOICE_SENTENCE = re.compile(
    rf"^(?P<who>[{CN}、，,和及]{{2,40}}?(?:村|社区|居委会|小区|组|社|镇|乡|街道))(?:户籍)?(?:的)?"
    r"(?:适龄儿童少年|适龄儿童|适龄学生|学生)?(?P<note>(?:仅|只|均)?(?:可以?|能)"
    r"(?:报名|报读|选报|选择|报).+)$"
)
"""洪桥头社区仅可报沙溪小学和艺展小学 / 东关村适龄儿童可选择A或B就读: options for those places."""


def extra_zones(
    clause: str, sentence: str, line: int, school: dict | None, ctx: ParseContext, pending: list
) -> bool:
    """Zones from a clause that is not a scope list.  Returns True if it produced a rule."""
    src = source_ref(sentence, line)
    pm = PATTERNS["property_rule"].search(clause)
    if pm and school is not None:
        overflow = "relative_proximity" if PATTERNS["relative_proximity"].search(sentence) else None
        school["zones"].append(
            {"kind": "property_rule", "area": pm["area"], "overflow": overflow, "source": src}
        )
        return True
    sm = PATTERNS["same_zone"].match(clause.strip().rstrip("。；;"))
    if sm and (sm["school"] or school is not None):  # 第三小学与第一小学同学区招生
        pending.append(("same_zone", sm["of"] or sm["of2"] or sm["of3"], sm["school"], src, school))
        return True
    cm = _CHOICE_SENTENCE.match(clause.strip().rstrip("。；;"))
    names = choice_schools(cm["note"]) if cm else []
    if names:  # 洪桥头社区仅可报沙溪小学和艺展小学: an option at each school named
        for name in names:
            pending.append(("alternative", name, clean_name(cm["who"]), src, None))
        return True
    zm = PATTERNS["zone_of"].search(clause)
    if zm and not zm["part"]:  # 西街小学可招收北街小学片区学生: an option over 北街小学's zone
        for name in re.split(r"[和及、]", zm["schools"]):
            pending.append(("zone_of", name, zm["of"], src, school))
        return True
    if zm:  # …可招收南街小学部分片区学生: which part is unsaid — reported
        return False
    am = PATTERNS["alternative"].search(clause)
    if am:
        who = clean_name(am["who"])
        pending.append(("alternative", am["school"], who, src, school))
        return True
    fm = PATTERNS["free_choice_school"].search(clause)
    if fm:
        pending.append(("free_anyone", fm["school"], fm["who"], src, school))
        return True
    am = PATTERNS["alternative_choice"].search(clause)
    if am and _places_choose(am, ctx):  # 千斤沟镇学生可自愿选择到第二小学就读: as 也可到…入学
        pending.append(("alternative", am["school"], clean_name(am["who"]), src, school))
        return True
    an = PATTERNS["any_school"].search(clause)
    if an and school is not None:
        who = clean_name(an["who"])
        pending.append(("free_any_school", None, who, src, school))
        return True
    return False


def _places_choose(m: re.Match, ctx: ParseContext) -> bool:
    """An ``alternative_choice`` match that names places and a school (not 消防救援人员…子女可
    自主选择到中小学就读: people of a category, schools in general — the category rules')."""
    if re.fullmatch(r"(?:到|去|进入)?(?:中小学|小学|初中|中学|学校|各校|公办学校)", m["school"]):
        return False
    if re.search(r"人员|子女|证明|家庭|军人|人才|后$", m["who"]):
        return False
    return bool(_who_units(clean_name(m["who"]), ctx))


_OWN_KINDS = (
    "admin_units", "street_limits", "directional_bounds", "compound", "street_list", "limits",
)  # fmt: skip


def _same_zone_link(of: str, who: str | None, src: dict, school: dict | None, ctx: ParseContext):
    """第三小学：与第一小学同学区招生 — ``(school, other school, line)``, or None (reported) when
    either is not found; a school named only here is added (of the other's level)."""
    origin = match_school(of, ctx.schools)
    dest = match_school(who, ctx.schools) if who else school
    if dest is None and who and origin is not None:  # named only here: a school of that level
        from .schools import add_school, level_of

        dest = add_school(who, level_of(who, origin.get("level")), ctx)
    if dest is None or origin is None or dest is origin:
        name = of if origin is None else who
        ctx.unparsed.append({**src, "reason": f"未识别的学校 school not recognised: {name}"})
        return None
    return dest, origin, src


def _same_zones(links: list[tuple], ctx: ParseContext) -> None:
    """Each ``(school, other, line)`` of :func:`_same_zone_link`: the school gets a copy of each
    own zone (not its options or feeders) of the other — and of every school the other shares
    a zone with in turn (第三小学与第二小学同学区，第二小学与第一小学同学区: 第三小学 has both
    zones), whatever the order of the lines — so an address in them has both as its zone
    schools (as any address two zones claim: both listed, nearest first).  Read after every
    school is known; a chain with no zone of its own anywhere is reported."""
    shares: dict[int, list[dict]] = {}
    for dest, origin, _ in links:
        shares.setdefault(id(dest), []).append(origin)
    own = {  # the zones each school wrote itself, before any copy
        id(s): [z for z in s["zones"] if z["kind"] in _OWN_KINDS and not z.get("same_zone_of")]
        for dest, origin, _ in links
        for s in (dest, origin)
    }
    for dest, origin, src in links:
        reach, queue, seen = [], [origin], {id(dest)}
        while queue:  # breadth first: the named school's zones first, then those it shares
            s = queue.pop(0)
            if id(s) in seen:
                continue
            seen.add(id(s))
            reach.append(s)
            queue.extend(shares.get(id(s), []))
        copies = [(s, z) for s in reach for z in own.get(id(s)) or []]
        if not copies:
            ctx.unparsed.append(
                {
                    **src,
                    "reason": f"{origin['name']}没有自己的划片，无从同学区 no zone of its own to share",
                }
            )
            continue
        mine = {_zone_key(z): z for z in dest["zones"]}
        for s, z in copies:
            same = mine.get(_zone_key(z))
            if same is not None:  # already the school's: its own line or an earlier copy said it
                if same.get("source") is not src:
                    same.setdefault("also_sources", []).append(src)
                continue
            copy = json.loads(json.dumps(z))
            copy.pop("rule_id", None)
            copy.pop("also_sources", None)
            copy["same_zone_of"] = s["id"]
            copy["source"] = src
            dest["zones"].append(copy)
            mine[_zone_key(copy)] = copy


def _zone_key(zone: dict) -> str:
    """A zone's places, without where and how it was written."""
    skip = ("source", "rule_id", "fragment", "also_sources", "same_zone_of")
    return json.dumps({k: v for k, v in zone.items() if k not in skip}, sort_keys=True)


def _choice_options(ctx: ParseContext) -> None:
    """A unit whose note names the schools its children may choose (洪桥头社区（仅可报第五小学
    和第六小学）) stays in the zone it is listed in and is an option (``alternative``) at each
    other school named; a school not recognised is reported."""
    for school in list(ctx.schools):
        for zone in list(school["zones"]):
            for unit in zone.get("units") or []:
                names = unit.pop("choice", None)
                if not names:
                    continue
                for name in names:
                    dest = match_school(name, ctx.schools)
                    if dest is school:
                        continue
                    src = zone.get("source") or {}
                    if dest is None:
                        ctx.unparsed.append(
                            {**src, "reason": f"未识别的学校 school not recognised: {name}"}
                        )
                        continue
                    option = {k: v for k, v in unit.items() if k != "written_note"}
                    dest["zones"].append(
                        {
                            "kind": "alternative",
                            "units": [option],
                            "from_school": school["id"],
                            "source": src,
                        }
                    )


def _who_units(who: str, ctx: ParseContext) -> list[dict]:
    """Units named by a who-phrase (千斤沟镇 / 骆驼山 (a township written without 镇))."""
    out = []
    for name in split_top(who, "、，,和及"):
        name = clean_name(name)
        if not name:
            continue
        if ctx.county in _units.COUNTIES and not is_township(name):
            t = _units.resolve_township(name, county=ctx.county)
            if t["code"]:
                u = unit_entry(t["official_name"], None, ctx)
                u["name"] = name
                u["match"] = "township_without_suffix"
                out.append(u)
                continue
        out.append(unit_entry(name, None, ctx))
    return out


def _carve_outs(ctx: ParseContext) -> None:
    """Groups a unit's note gives to another school (东关村（3组划入第二小学）): moved there as
    an ``admin_units`` zone of their own (the unit here excludes them); a school the notice
    does not name elsewhere is added at the level of the one the note is under."""
    from .schools import add_school, level_of

    for school in list(ctx.schools):
        for zone in list(school["zones"]):
            moved = [u for u in zone.get("units") or [] if u.get("carved_to")]
            if not moved:
                continue
            zone["units"] = [u for u in zone["units"] if not u.get("carved_to")]
            by_dest: dict[str, list[dict]] = {}
            for u in moved:
                by_dest.setdefault(u.pop("carved_to"), []).append(u)
            for name, units in by_dest.items():
                dest = match_school(name, ctx.schools)
                if dest is None:
                    dest = add_school(name, level_of(name, school.get("level")), ctx)
                if dest is school:
                    zone["units"].extend(units)
                    continue
                dest["zones"].append(
                    {
                        "kind": "admin_units",
                        "units": units,
                        "basis": zone.get("basis", "hukou"),
                        "source": zone["source"],
                    }
                )
            if not zone["units"]:
                school["zones"].remove(zone)


def apply_pending(pending: list, ctx: ParseContext) -> None:
    _carve_outs(ctx)
    _choice_options(ctx)
    for school in ctx.schools:  # 学区类型：分享学区 with no note naming the schools it shares
        src = school.pop("_sharing_type", None)
        if src is not None:
            ctx.unparsed.append(
                {
                    **src,
                    "reason": "分享学区，但未写明可分享哪些学校的学位 sharing zone names no schools",
                }
            )
    links: list[tuple] = []  # 同学区 lines, read once every line is (their chains)
    for kind, target, who, src, school in pending:
        if kind == "alternative":
            dest = match_school(target, ctx.schools)
            if dest is None:
                ctx.unparsed.append(
                    {**src, "reason": f"未识别的学校 school not recognised: {target}"}
                )
                continue
            zone = {
                "kind": "alternative",
                "units": _who_units(who, ctx),
                "from_school": school["id"] if school else None,
                "source": src,
            }
            same = next(
                (
                    z
                    for z in dest["zones"]
                    if z["kind"] == "alternative"
                    and z.get("units") == zone["units"]
                    and z.get("from_school") == zone["from_school"]
                ),
                None,
            )
            if same is not None:  # the same option said again (a line repeated per school)
                same.setdefault("also_sources", []).append(src)
                continue
            dest["zones"].append(zone)
        elif kind == "same_zone":
            link = _same_zone_link(target, who, src, school, ctx)
            if link is not None:
                links.append(link)
        elif kind == "zone_of":
            dest, origin = match_school(target, ctx.schools), match_school(who, ctx.schools)
            if dest is None or origin is None or dest is origin:
                ctx.unparsed.append(
                    {
                        **src,
                        "reason": f"未识别的学校 school not recognised: {target if dest is None else who}",
                    }
                )
                continue
            dest["zones"].append(
                {"kind": "alternative", "units": [], "zone_of": origin["id"], "source": src}
            )
        elif kind == "shares_seats":  # 分享学区 (可分享X学位): X may take this school's zone
            dest = match_school(target, ctx.schools)
            part = {"primary": "小学部", "middle": "初中部"}.get(school["level"])
            if dest is None and part:  # 海乐实验学校 → …海乐实验学校(小学部), the same level's
                dest = match_school(f"{target}（{part}）", ctx.schools)
            if dest is None or dest is school:
                ctx.unparsed.append(
                    {**src, "reason": f"未识别的学校 school not recognised: {target}（分享学位）"}
                )
                continue
            zone = {"kind": "alternative", "units": [], "zone_of": school["id"], "source": src}
            if who is not None:  # the school's 学区类型：分享学区 line says the same
                zone["also_sources"] = [who]
            dest["zones"].append(zone)
        elif kind == "free_anyone":
            dest = match_school(target, ctx.schools) or school
            if dest is None:
                ctx.unparsed.append(
                    {**src, "reason": f"未识别的学校 school not recognised: {target}"}
                )
                continue
            dest["zones"].append(
                {
                    "kind": "free_choice",
                    "scope": "anyone",
                    "units": [],
                    "who": who.strip("，, "),
                    "source": src,
                }
            )
        elif kind == "free_any_school":
            school["zones"].append(
                {
                    "kind": "free_choice",
                    "scope": "any_school",
                    "units": _who_units(who, ctx),
                    "source": src,
                }
            )
    _same_zones(links, ctx)
