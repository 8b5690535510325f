"""多校划片 (one area, several schools) → ``multi_school`` zones.

Areas the text declares with their schools (``X — 涉及3所学校：A、B、C``) are remembered while
the body is read (:func:`multi_area`) and linked once every school is known
(:func:`link_multi_school`), together with units that several schools' marked rows list alike.

>>> ctx = ParseContext(county=None)
>>> multi_area("东城社区实行多校划片，由第一小学、第二小学共同招生", "…", 5, ctx)
True
>>> ctx.multi_areas[0]["area"], ctx.multi_areas[0]["labels"]
('东城社区', ['第一小学', '第二小学'])
"""

from __future__ import annotations

import re

from .document import ParseContext, source_ref
from .grammar import PATTERNS, split_top
from .schools import match_school
from .scopes import scope_pieces
from .zones import pieces_to_zones, unit_key

__all__ = [
    "multi_area",
    "is_multi_area",
    "link_multi_school",
    "match_member",
    "link_shared",
    "finish_shared",
    "area_title",
    "area_line",
    "close_area",
    "link_shared_catchments",
]


_SHARED_SENTENCE = re.compile(
    r"^(?:共同学区|共享学区|自由学区|多校划片(?:区域)?)[:：](?P<area>.+?)由(?P<schools>.+?)"
    r"共同(?:招生|划片|入学|服务)"
    r"|^(?P<area2>[^，,]+?)(?:为|是|属于|划为)(?P<schools2>[^，,]+?)(?:的)?"
    r"(?:共同学区|共享学区|自由学区|多校划片区域?)(?:[，,].*)?$"
)


_SCHOOL_NAME = r"(?:(?!、)[^：:，,。；;（）()]){2,30}?(?:小学|中学|初中|学校|校区|分校)"
_SCHOOLS_FIRST = re.compile(
    # 第一小学、第二小学共同招收东关村适龄儿童 / 第一小学和第二小学招收… / 第一小学、第二小学：东关村（多校划片）
    rf"^(?P<schools>{_SCHOOL_NAME}(?:(?:、|和|及|与){_SCHOOL_NAME})+)"
    r"(?:(?:共同|联合)?(?:招收|招生范围为?)(?P<area>.+?)|[:：](?P<area2>.+?)[（(]多校划片[）)])"
    r"(?:的)?(?:户籍)?(?:适龄儿童(?:少年)?|适龄少年|小学毕业生|学生)?$"
)
_SCHOOLS_AFTER = re.compile(
    # 东关村适龄儿童由第一小学、第二小学共同招收
    r"^(?P<area>[^，,；;]+?)(?:的)?(?:户籍)?(?:适龄儿童(?:少年)?|适龄少年|学生)?"
    rf"由(?P<schools>{_SCHOOL_NAME}(?:(?:、|和|及|与){_SCHOOL_NAME})+)(?:共同|联合)(?:招收|招生)$"
)
"""Schools named together for one area without the words 共同学区 / 多校划片: shared too."""


def _named_together(s: str) -> tuple[str, list[str]] | None:
    """(area, school labels) of 第一小学、第二小学共同招收东关村 (and the forms above)."""
    m = _SCHOOLS_FIRST.match(s.strip()) or _SCHOOLS_AFTER.match(s.strip())
    if not m:
        return None
    area = (m.groupdict().get("area") or m.groupdict().get("area2") or "").strip()
    labels = [
        x[1].strip() for x in re.finditer(rf"(?:^|、|和|及|与)({_SCHOOL_NAME})", m["schools"])
    ]
    labels = [x for x in labels if x]
    if not area or len(labels) < 2 or re.search(r"可(?:以)?招收|交叉|也可", area):
        return None
    return area, labels


def is_multi_area(s: str) -> bool:
    """Whether ``s`` is a sentence :func:`multi_area` reads (a zone shared by schools)."""
    return _multi_area_parts(s) is not None


def _multi_area_parts(s: str):
    """(area, school labels) of a multi-school sentence, or None."""
    m = PATTERNS["multi_school_area"].match(s.strip())
    shared = None if m else _SHARED_SENTENCE.match(s.strip())
    if not m and not shared:
        return None
    if shared:  # 共同学区：X由A、B共同招生 / X为A、B共同学区，…
        area = (shared["area"] or shared["area2"]).strip()
        names = shared["schools"] or shared["schools2"]
    else:
        area = (m["area"] or m["area3"] or m["area2"] or "").strip().strip("*").strip()
        names = m["schools"] or m["schools3"] or m["schools2"] or ""
    labels = [
        re.sub(r"[（(][^）)]*[）)]", "", x).strip().strip("*")
        for x in split_top(names, "、，,和及与")
    ]
    labels = [x for x in labels if x]
    if (
        not area
        or len(labels) < 2
        or not all(re.search(r"(?:小学|中学|学校|初中|校区|分校|校)$", x) for x in labels)
        or re.search(r"可(?:以)?招收|交叉", area)
    ):
        return None
    return area, labels


def multi_area(s: str, sentence: str, line: int, ctx: ParseContext) -> bool:
    """``X — 涉及3所学校：A、B、C`` / ``X实行多校划片，由A、B共同招生``: remembered for later.

    The schools are matched once every school is known (tables come after the body).
    """
    parts = _multi_area_parts(s)
    together = None if parts is not None else _named_together(s)
    if parts is None and together is None:
        return False
    area, labels = parts or together
    if together:  # the schools are this sentence's subject: known from here on
        from .schools import add_school, level_of

        for label in labels:
            if match_school(label, ctx.schools) is None:
                add_school(label, level_of(label, None), ctx)["_together"] = True
    ctx.multi_areas.append({"area": area, "labels": labels, "source": source_ref(sentence, line)})
    return True


def link_multi_school(ctx: ParseContext) -> None:
    """多校划片 (one area, several schools) → ``multi_school`` zones.

    Units that several schools' 多校划片 zones (rows or sentences marked 多校划片) list alike
    are split out of those ``admin_units`` zones into a ``multi_school`` zone on each of the
    schools, with ``schools`` (every school sharing them) and ``units``; the rest of a marked
    zone stays ``admin_units`` (keeping ``multi_school: true`` as a mark of its row).  An area
    the text declares with its schools (``X — 涉及3所学校：A、B、C``) marks those schools'
    zones holding its units, adds its sentence to ``also_sources``, and becomes a
    ``multi_school`` zone of its own where a school does not list the area (``area`` when it
    is not admin units).  Consumers read ``kind == "multi_school"`` with ``schools`` and
    ``units`` (``placement.candidates``, ``digitise``).
    """
    declared = []
    for item in ctx.multi_areas:
        found = [match_school(label, ctx.schools) for label in item["labels"]]
        schools = list({id(x): x for x in found if x is not None}.values())
        if len(schools) < 2:
            missing = [lb for lb, x in zip(item["labels"], found, strict=True) if x is None]
            ctx.unparsed.append(
                {
                    **item["source"],
                    "reason": "多校划片区域的学校无法识别 multi-school area: school not "
                    f"recognised: {'、'.join(missing)}",
                }
            )
            continue
        pieces, left = scope_pieces(item["area"], ctx)
        units = [
            u
            for z in pieces_to_zones(pieces, item["source"], ctx)
            if z["kind"] == "admin_units"
            for u in z["units"]
        ]
        keys = {unit_key(u) for u in units}
        for school in schools:  # the declared schools' zones holding these units are 多校划片
            for z in school["zones"]:
                if z["kind"] == "admin_units" and keys & {unit_key(u) for u in z["units"]}:
                    z["multi_school"] = True
        declared.append((item, schools, units, keys, left))
    # units shared by several marked zones, or declared shared
    sharing: dict[tuple, set[str]] = {}
    for _item, schools, _, keys, _left in declared:
        for key in keys:
            sharing.setdefault(key, set()).update(x["id"] for x in schools)
    for s in ctx.schools:
        for z in s["zones"]:
            if z.get("multi_school") and z["kind"] == "admin_units":
                for u in z["units"]:
                    sharing.setdefault(unit_key(u), set()).add(s["id"])
    for s in ctx.schools:
        out = []
        for z in s["zones"]:
            if not (z.get("multi_school") and z["kind"] == "admin_units"):
                out.append(z)
                continue
            own, shared = [], {}
            for u in z["units"]:
                ids = frozenset(sharing.get(unit_key(u), {s["id"]}))
                if len(ids) > 1:
                    shared.setdefault(ids, []).append(u)
                else:
                    own.append(u)
            if own:
                out.append({**z, "units": own})
            for ids, units in shared.items():
                zone = {
                    "kind": "multi_school",
                    "schools": sorted(ids),
                    "units": units,
                    "basis": z.get("basis", "hukou"),
                    "multi_school": True,
                    "source": z["source"],
                }
                for key in ("fragment", "also_sources", "origin", "township_inferred"):
                    if key in z:
                        zone[key] = z[key]
                out.append(zone)
        s["zones"] = out
    for item, schools, units, keys, left in declared:
        ids = sorted({x["id"] for x in schools})
        for school in schools:
            twin = next(
                (
                    z
                    for z in school["zones"]
                    if z["kind"] == "multi_school"
                    and keys
                    and keys <= {unit_key(u) for u in z["units"]}
                ),
                None,
            )
            if twin is not None:
                twin["schools"] = sorted(set(twin["schools"]) | set(ids))
                twin.setdefault("also_sources", []).append(item["source"])
                continue
            zone = {
                "kind": "multi_school",
                "schools": ids,
                "units": [dict(u) for u in units],
                "multi_school": True,
                "source": item["source"],
                "fragment": item["area"],
            }
            if not units or left:
                zone["area"] = item["area"]
            school["zones"].append(zone)


_SCHOOL_WORD = re.compile(
    r"(?:小学|中学|学校|初中|国小|国中|国中小|附小|实小|校区|分校|[小中]学部|国中部)$"
)


def match_member(label: str, schools: list[dict], level: str | None = None) -> dict | None:
    """The school a shared-zone or feeder label names, as written or shortened.

    Tried in order, among the schools of ``level`` first: the name or an alias
    (:func:`~geo_enroll.policy.schools.match_school`); the name without a district prefix
    (``東區東光國小`` → ``東光國小``); a unique school whose name starts with the label
    (``中崙`` → ``中崙高中國中部``).

    >>> schools = [{"name": "中崙高中國中部", "aliases": [], "level": "middle"},
    ...            {"name": "東光國小", "aliases": [], "level": "primary"}]
    >>> match_member("中崙", schools)["name"], match_member("東區東光國小", schools)["name"]
    ('中崙高中國中部', '東光國小')
    """
    written = label.strip()
    label = re.sub(r"[（(][^）)]*[）)]$", "", written).strip() or written
    bare = re.sub(r"^[\u3400-\u9fff]{1,3}?[区區县縣市乡鄉镇鎮]", "", label)

    def fits(school: dict | None) -> bool:
        return school is not None and (not level or school["level"] in (level, "nine_year"))

    candidates = [match_school(written, schools), match_school(label, schools)]
    if bare != label and len(bare) >= 3:
        candidates.append(match_school(bare, schools))
    for found in candidates:  # the level asked for first
        if fits(found):
            return found
    if len(label) >= 2:
        starts = [s for s in _starting(label, schools) if s["name"] != label]
        for pool in ([s for s in starts if fits(s)], starts):
            if len(pool) == 1:
                return pool[0]
    if level and any(x is not None for x in candidates):
        # a school of another level answered: one of the level asked for may share the name
        pool = [s for s in schools if s["level"] in (level, "nine_year")]
        for text in (written, label, bare):
            found = match_school(text, pool)
            if found is not None:
                return found
    return next((x for x in candidates if x is not None), None)


def _starting(label: str, schools: list[dict]) -> list[dict]:
    """Schools whose name starts with ``label`` (through an index of the first 2 characters)."""
    key = id(schools)
    cached = _PREFIX.get(key)
    if cached is None or cached[0] is not schools or cached[1] > len(schools):
        if len(_PREFIX) > 16:
            _PREFIX.clear()
        cached = _PREFIX[key] = [schools, 0, {}]
    for s in schools[cached[1] :]:
        cached[2].setdefault(s["name"][:2], []).append(s)
    cached[1] = len(schools)
    return [s for s in cached[2].get(label[:2], []) if s["name"].startswith(label)]


_PREFIX: dict[int, list] = {}


def link_shared(ctx: ParseContext) -> None:
    """Shared zones (共同學區：A、B, rows naming several schools) → a ``multi_school`` zone on
    each member school.  A member named in full but not yet known is added as a school; a
    shortened name that matches no school goes to ``unparsed``.  Member ids are written by
    :func:`finish_shared` once ids are final."""
    from .document import simplified
    from .schools import add_school, level_of

    seen: dict[tuple, list[dict]] = {}  # one zone per (members, units), however often said
    for item in ctx.shared:
        members, missing = [], []
        for label in item["labels"]:
            filed = item.get("filed", {}).get(label)
            if filed:  # one of several same-name schools: the one of its district
                name, district = filed
                found = add_school(name, level_of(name, item["level"]), ctx, district=district)
            else:
                found = match_member(label, ctx.schools, item["level"])
            if found is None and (
                _SCHOOL_WORD.search(simplified(label))
                or (item.get("in_school_column") and len(label) >= 3)
            ):
                found = add_school(label, level_of(label, item["level"]), ctx)
            if found is None:
                missing.append(label)
            elif all(found is not m for m in members):
                members.append(found)
        if missing or len(members) < 2:
            ctx.unparsed.append(
                {
                    **item["zone"]["source"],
                    "reason": "共同学区的学校无法识别 shared zone: school not recognised: "
                    + "、".join(missing or item["labels"]),
                }
            )
            continue
        key = (
            frozenset(id(m) for m in members),
            frozenset((unit_key(u), u.get("township")) for u in item["zone"]["units"]),
        )
        if key in seen:
            for zone in seen[key]:
                zone.setdefault("also_sources", []).append(item["zone"]["source"])
            continue
        seen[key] = []
        for school in members:
            zone = {**item["zone"], "units": [dict(u) for u in item["zone"]["units"]]}
            seen[key].append(zone)
            zone["_members"] = members
            school["zones"].append(zone)


def finish_shared(schools: list[dict]) -> None:
    """Write the member ids of shared zones (``schools``) once school ids are final."""
    for s in schools:
        for z in s["zones"]:
            members = z.pop("_members", None)
            if members is not None:
                z["schools"] = sorted({m["id"] for m in members})


_AREA_TITLE = re.compile(
    r"^(?P<area>(?:(?!招生|划片|入学|范围|小学|中学|学校)[^，。：:；;（(]){1,16}?(?:学区|片区|學區))"
    r"(?:[（(][^）)]{0,12}[）)])?\s*[:：]?$"
)
_AREA_MEMBERS = re.compile(
    r"^(?:学区|成员|对应|招生|包含|所含|所属|划片)?学校(?:名单|名称)?[:：]\s*(?P<list>.+)$"
)
_AREA_SCOPE = re.compile(r"^(?:学区|招生|划片|服务)?范围(?:为)?[:：]\s*(?P<scope>.+)$")


def area_title(line: str) -> str | None:
    """The multi-school area a title line opens (``### 第一学区``, ``（二）城东片区（多校划片）``).

    >>> area_title("### 第一学区"), area_title("二、城东片区（多校划片）"), area_title("一、招生范围")
    ('第一学区', '城东片区', None)
    """
    from .grammar import strip_ordinal

    t = line.strip()
    t = re.sub(r"^#{1,6}\s*", "", t)
    t = strip_ordinal(t).strip().strip("*").strip()
    m = _AREA_TITLE.match(t)
    return m["area"].strip() if m else None


def area_line(body: str, line: str, idx: int, ctx: ParseContext) -> bool:
    """A line inside an open area: its member schools or its scope.  True when consumed."""
    area = ctx.area
    text = body.strip().lstrip("-*").strip().strip("*")
    m = _AREA_MEMBERS.match(text)
    if m:
        area["labels"].extend(
            x.strip().strip("*") for x in split_top(m["list"].rstrip("。；;"), "、，,；;和及与")
        )
        area["sources"].append(source_ref(line, idx))
        return True
    m = _AREA_SCOPE.match(text)
    if (
        m
        or (area["scope"] == [] and not area["labels"] and _bare(text))
        or (area["labels"] and _bare(text) and not area["scope"])
    ):
        area["scope"].append((m["scope"] if m else text, source_ref(line, idx)))
        return True
    return False


def _bare(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u9fff]{2,}", text)) and not re.search(
        r"招收|[:：]|可以?|应当?|报名|登记|入学|就读|对口|儿童|学生|家长", text
    )


def close_area(ctx: ParseContext, level: str | None) -> None:
    """End the open area: a shared zone of its member schools (linked by :func:`link_shared`).

    An area title with no member list was a grouping heading: nothing is made; a scope without
    at least two member schools is reported in ``unparsed``.
    """
    area, ctx.area = ctx.area, None
    if area is None or (not area["labels"] and not area["scope"]):
        return
    src = (area["scope"][0][1] if area["scope"] else None) or area["sources"][0]
    if len(area["labels"]) < 2:
        for text, where in area["scope"]:
            ctx.unparsed.append(
                {
                    **where,
                    "text": text,
                    "reason": "学区范围没有列出两所以上学校 area lists no schools",
                }
            )
        return
    pieces, left = [], []
    for text, where in area["scope"]:
        p, lf = scope_pieces(text, ctx)
        pieces.extend(p)
        left.extend((frag, where) for frag in lf)
    for frag, where in left:
        ctx.unparsed.append(
            {**where, "text": frag, "reason": "学区范围片段未能解析 area scope not understood"}
        )
    zones = pieces_to_zones(pieces, src, ctx)
    units = [u for z in zones if z["kind"] == "admin_units" for u in z["units"]]
    shared = {
        "kind": "multi_school",
        "units": units,
        "basis": "hukou",
        "multi_school": True,
        "source": src,
        "fragment": area["name"],
    }
    if not units or len(units) < sum(1 for p in pieces):
        shared["area"] = area["name"]
    if area["sources"] and area["sources"][0] != src:
        shared["also_sources"] = list(area["sources"])
    ctx.shared.append({"labels": area["labels"], "level": level, "zone": shared})
    for z in zones:  # streets and boxes of the area: the same zone on every member school
        if z["kind"] != "admin_units":
            z["multi_school"] = True
            ctx.shared.append({"labels": area["labels"], "level": level, "zone": z})


def link_shared_catchments(ctx: ParseContext) -> None:
    """Schools marked ``学区类型：共享学区`` whose zones are the same text share one catchment.

    Each group of two or more such schools (same level, same rules) gets, on every member, a
    ``multi_school`` zone naming them all (``area``: the shared scope text; the marks are its
    ``also_sources``); their admin-unit rules are marked 多校划片 (split into ``multi_school``
    zones by :func:`link_multi_school`).  A marked school whose text no other marked school
    shares is reported in ``unparsed``.
    """
    groups: dict[tuple, list[dict]] = {}
    for school in ctx.schools:
        if "_shared_catchment" not in school:
            continue
        sig = tuple(
            (z["kind"], z.get("fragment") or "", repr(z.get("units")), repr(z.get("bounds")))
            for z in school["zones"]
            if z["kind"] not in ("feeder", "multi_school", "alternative") and not z.get("zone_of")
        )  # an option (也可到… / 仅可报… / 分享学位) is not the school's own catchment
        groups.setdefault((school["level"], sig), []).append(school)
    for (_level, sig), members in groups.items():
        marks = [m for s in members for m in s.pop("_shared_catchment")]
        if len(members) < 2 or not sig:
            for m in marks:
                ctx.unparsed.append(
                    {
                        **m,
                        "reason": "共享学区，但没有与之范围相同的学校 shared catchment: no other "
                        "school has the same scope",
                    }
                )
            continue
        area = "；".join(dict.fromkeys(frag for _, frag, _, _ in sig if frag))
        for school in members:
            for z in school["zones"]:
                if z["kind"] == "admin_units":
                    z["multi_school"] = True
            own = [z for z in school["zones"] if z["kind"] not in ("feeder", "multi_school")]
            school["zones"].append(
                {
                    "kind": "multi_school",
                    "units": [],
                    "area": area,
                    "multi_school": True,
                    "source": own[0]["source"],
                    "also_sources": list(marks),
                    "fragment": area,
                    "_members": members,
                }
            )
