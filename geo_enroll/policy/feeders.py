"""Middle-school feeders (对口): which primary schools' graduates go on to which middle school.

Read from a line under a primary school (``- 对口初中：某中学``), a sentence
(``某小学、某小学毕业生对口升入某中学``, ``某中学对口小学：A、B``) or a table row
(初中 | 对口小学).  Each becomes a ``feeder`` zone on the MIDDLE school once every school is
known (:func:`link_feeders`)::

    {"kind": "feeder", "from_schools": [{"name", "school_id", "campus"}],
     "fallback_to_address": bool, "source": {...}}

``name`` is the primary school as written (without its campus bracket), ``campus`` that
bracket (…校区, （东区）) or None, ``school_id`` its id in the spec or None when the spec does
not list it; ``fallback_to_address`` is true when the text lets children also (or else) go by
their address.  A middle school the text names but does not zone is added to the spec.

>>> ctx = ParseContext(county=None)
>>> feeder_sentence("第一小学、第二小学毕业生对口升入第一中学", "…", 3, None, ctx)
True
>>> feeder_sentence("对口初中：第二中学", "…", 4, {"name": "第三小学"}, ctx)
True
>>> [(f["to"], f["from"]) for f in ctx.feeders]
[('第一中学', ['第一小学', '第二小学']), ('第二中学', ['第三小学'])]
"""

from __future__ import annotations

import re

from .document import ParseContext, simplified, source_ref
from .grammar import split_top

__all__ = ["feeder_sentence", "feeder_row", "link_feeders", "finish_feeders", "split_campus"]

_SCHOOL = r"[^：:，,。；;]{2,40}?(?:小学|中学|初中|学校|校区|分校|小学部|初中部|国小|国中|[）)])"

_UNDER = re.compile(
    r"^(?:对口|直升|升入|对应)(?:的)?(?:初中|中学|学校|初级中学)[:：为是]\s*(?P<to>.+)$"
)
_FROM_TO = re.compile(
    rf"^(?P<from>{_SCHOOL}(?:[、和及与]{_SCHOOL})*)(?:的)?(?:应届)?(?:毕业生|学生)?(?:全部|均|统一)?"
    rf"(?:对口(?:升入|进入|直升|划入|到)?|对应(?:的)?(?:初中|中学)?(?:为|是)?|直升|升入)"
    rf"(?P<to>{_SCHOOL})(?:就读|入学)?(?P<tail>.*)$"
)
_TO_FROM = re.compile(
    rf"^(?P<to>{_SCHOOL})(?:的)?(?:对口|生源)(?:小学|学校)(?:为|是|有)?[:：]?\s*(?P<from>.+)$"
)
_GRADUATES = re.compile(
    rf"^(?P<to>[^：:，,。；;]{{2,40}}?(?:中学|初中|初级中学|初中部))"
    r"(?:[:：]|(?:招收|接收|录取|招生对象为|招生对象是|面向)[:：]?)\s*"
    rf"(?P<from>{_SCHOOL}(?:[、和及与]{_SCHOOL})*)(?:的)?(?:应届)?(?:全部)?毕业生$"
)
"""第三中学：第一小学、第二小学毕业生 / 第三中学招收第一小学和第二小学的应届毕业生."""
_WHO_NOT_SCHOOL = re.compile(r"的|户籍|适龄|辖区|范围|\d+个|[一二三四五六七八九十]+个|居住|所在")
"""Words of a who-phrase, not a school's name (宝昌镇6个社区户籍的小学)."""
_FALLBACK = re.compile(
    r"也可|或按|或凭|或者按|按(?:户籍|房产|居住|实际居住)?(?:地址|住址|地)|就近(?:入学|安排|登记)"
    r"|学区(?:范围)?内|划片(?:范围)?入学"
)
_CAMPUS = re.compile(r"^(?P<name>.+?)[（(](?P<campus>[^（）()]*(?:校区|分校|区|部|院))[）)]$")


def split_campus(label: str) -> tuple[str, str | None]:
    """``某小学（东区）`` → ``('某小学', '东区')``; no campus bracket → ``(label, None)``.

    >>> split_campus("杭州市丁蕙第二小学（白鹤校区）"), split_campus("第一小学")
    (('杭州市丁蕙第二小学', '白鹤校区'), ('第一小学', None))
    """
    m = _CAMPUS.match(label.strip())
    if m:
        return m["name"].strip(), m["campus"].strip()
    return label.strip(), None


_GENERIC = re.compile(r"^(?:本|各|全|所有|其他|其余|该|相应|对应|就近|所在|户籍所在|划片)")


def _generic(label: str) -> bool:
    """A phrase standing for schools in general (本区初中, 各小学, 相应初中), not a school."""
    return bool(_GENERIC.match(label.strip()))


def _is_middle(label: str) -> bool:
    """A middle school by its name (第一中学, 某初级中学, 某学校（初中部））."""
    from .schools import level_of

    return level_of(split_campus(label)[0] if "部" not in label else label, None) == "middle"


def _labels(text: str) -> list[str]:
    return [x.strip().strip("*") for x in split_top(text, "、，,；;和及与") if x.strip().strip("*")]


def feeder_sentence(
    s: str, sentence: str, line: int, current: dict | None, ctx: ParseContext
) -> bool:
    """Remember a 对口 statement for :func:`link_feeders`.  True when ``s`` is one."""
    text = s.strip().strip("。；;")
    plain = simplified(text)
    m = _GRADUATES.match(plain)
    if m and any(_WHO_NOT_SCHOOL.search(x) for x in _labels(m["from"])):
        m = None  # 第二中学招收宝昌镇6个社区户籍的小学毕业生: places' graduates, no school named
    if m and not _generic(m["to"]) and any(_generic(x) for x in _labels(m["from"])):
        # 第二中学：其余小学毕业生 — which schools "the others" are is not modelled: reported
        ctx.unparsed.append(
            {
                **source_ref(sentence, line),
                "reason": "对口“其余/其他学校”毕业生：未写明哪些学校 feeder from unnamed schools",
            }
        )
        return True
    if m and not _generic(m["to"]) and not any(_generic(x) for x in _labels(m["from"])):
        # 第三中学：第一小学、第二小学毕业生 — the middle school's feeder primaries
        ctx.feeders.append(
            {
                "to": text[m.start("to") : m.end("to")].strip(),
                "from": _labels(text[m.start("from") : m.end("from")]),
                "fallback": False,
                "source": source_ref(sentence, line),
            }
        )
        return True
    if not re.search(r"对口|直升|升入|对应", plain):
        return False
    src = source_ref(sentence, line)
    m = _UNDER.match(plain)
    if m:
        if current is None:
            ctx.unparsed.append({**src, "reason": "对口行之前没有学校 feeder line under no school"})
            return True
        to_text = text[m.start("to") : m.end("to")]
        tail = re.search(r"[（(][^）)]*(?:也可|或|按|就近)[^）)]*[）)]$", to_text)
        if tail:
            to_text = to_text[: tail.start()]
        for to in _labels(to_text):
            ctx.feeders.append(
                {"to": to, "from": [current["name"]], "fallback": bool(tail), "source": src}
            )
        return True
    m = _FROM_TO.match(plain)
    if m and (_generic(m["to"]) or any(_generic(x) for x in _labels(m["from"]))):
        return False  # 本区小学毕业生升入本区初中: no school is named
    if m:
        to = text[m.start("to") : m.end("to")].strip()
        froms = _labels(text[m.start("from") : m.end("from")])
        if _is_middle(froms[0]) and not _is_middle(to):
            # 第一中学对口第一小学、第二小学: the middle school first, its primaries after
            froms, to = [to, *_labels(_FALLBACK.split(m["tail"])[0])], froms[0]
        ctx.feeders.append(
            {
                "to": to,
                "from": froms,
                "fallback": bool(_FALLBACK.search(m["tail"])),
                "source": src,
            }
        )
        return True
    m = _TO_FROM.match(plain)
    if m and _generic(m["to"]):
        return False
    if m:
        body = text[m.start("from") :]
        ctx.feeders.append(
            {
                "to": text[m.start("to") : m.end("to")].strip(),
                "from": _labels(_FALLBACK.split(body)[0]),
                "fallback": bool(_FALLBACK.search(body)),
                "source": src,
            }
        )
        return True
    return False


def feeder_row(to: str, from_text: str, src: dict, ctx: ParseContext) -> None:
    """A table row 初中 | 对口小学 (or 小学 | 对口初中, called with the roles swapped)."""
    labels = _labels(from_text)
    if to.strip() and labels:
        ctx.feeders.append(
            {
                "to": to.strip(),
                "from": labels,
                "fallback": bool(_FALLBACK.search(from_text)),
                "source": src,
            }
        )
    else:
        ctx.unparsed.append({**src, "reason": "对口表格行缺学校 feeder row without schools"})


def link_feeders(ctx: ParseContext) -> None:
    """Feeder statements → ``feeder`` zones on their middle schools (added when new).

    The ids of the feeding schools are written by :func:`~.multi_school.finish_shared`.
    """
    from .multi_school import match_member
    from .schools import add_school, level_of

    for item in ctx.feeders:
        name, _ = split_campus(item["to"])
        dest = match_member(item["to"], ctx.schools, "middle") or match_member(
            name, ctx.schools, "middle"
        )
        if dest is None or dest["level"] == "primary":
            dest = add_school(item["to"], level_of(item["to"], "middle"), ctx)
        from_schools = []
        for label in item["from"]:
            base, campus = split_campus(label)
            found = match_member(label, ctx.schools, "primary") or match_member(
                base, ctx.schools, "primary"
            )
            from_schools.append(
                {"name": base, "school_id": None, "campus": campus, "_school": found}
            )
        dest["zones"].append(
            {
                "kind": "feeder",
                "from_schools": from_schools,
                "fallback_to_address": item["fallback"],
                "source": item["source"],
                "fragment": item["source"]["text"],
            }
        )


def finish_feeders(schools: list[dict]) -> None:
    """Write ``school_id`` of each feeding school once ids are final."""
    for s in schools:
        for z in s["zones"]:
            for f in z.get("from_schools", []):
                found = f.pop("_school", None)
                f["school_id"] = found["id"] if found is not None else None
