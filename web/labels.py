"""Words shown for the engine's English codes: Chinese in the Chinese UI, English in the English.

The engine and the JSON API speak codes (``primary``, ``placed``, ``house_number``…); pages show
these words instead (Jinja filters ``level``, ``status``, ``run_kind``, ``match_level``,
``outcome``, ``role``, ``change``, registered by :func:`register`).  An unknown code is shown as
it is.

>>> word("level", "nine_year"), word("level", "nine_year", "en")
('九年一贯制', 'nine-year school')
>>> word("status", "no_seat"), word("status", "whatever")
('暂无学位', 'whatever')
>>> word("status", "held"), word("status", "held", "en"), word("rule", "property_review")
('待审核', 'held for review', '房产材料待核实')
>>> match_info("road")["label"], match_info("road")["coarse"]
('道路', False)
"""

from __future__ import annotations

__all__ = ["WORDS", "MATCH", "word", "both", "problem_label", "match_info", "register"]

WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "level": {
        "primary": ("小学", "primary"),
        "middle": ("初中", "middle school"),
        "nine_year": ("九年一贯制", "nine-year school"),
    },
    "status": {
        "placed": ("已派位", "placed"),
        "ineligible": ("不符合条件", "ineligible"),
        "deferred": ("缓学", "deferred"),
        "no_seat": ("暂无学位", "no seat"),
        "unresolved_address": ("地址无法定位", "address not located"),
        "held": ("待审核", "held for review"),
        "adjusted": ("调剂", "adjusted"),
        "queued": ("排队中", "queued"),
        "running": ("运行中", "running"),
        "done": ("已完成", "done"),
        "failed": ("失败", "failed"),
    },
    "run_kind": {
        "placement": ("派位模拟", "placement"),
        "montecarlo": ("多校划片随机模拟", "multi-school Monte-Carlo"),
    },
    "outcome": {
        "upheld": ("维持", "upheld"),
        "changed": ("改派", "changed"),
    },
    "role": {
        "planner": ("规划人员", "planner"),
        "analyst": ("分析人员", "analyst"),
        "staff": ("招生工作人员", "staff"),
        "admin": ("管理员", "admin"),
    },
    "change": {
        "added": ("新增", "added"),
        "removed": ("删除", "removed"),
        "changed": ("修改", "changed"),
    },
    "rule": {
        "overflow": ("统筹调剂（相对就近）", "overflow (relative proximity)"),
        "no_zone": ("不在划片内（相对就近）", "in no zone (relative proximity)"),
        "no_seat": ("暂无学位", "no seat"),
        "preference": ("志愿学校", "preferred school"),
        "invalid_row": ("信息有误", "invalid row"),
        "unresolved_address": ("地址无法定位", "address not located"),
        "materials": ("材料未通过", "materials not passed"),
        "materials_pending": ("材料待审核", "material check pending"),
        "property_review": ("房产材料待核实", "property evidence under review"),
        "residence_years": ("租住/就业年限待核实", "rental/work years not met"),
        "approval_pending": ("待审批", "approval pending"),
        "age_cutoff": ("未到入学年龄", "under school age"),
        "not_graduate": ("非小学毕业生", "not a primary graduate"),
        "special_education": ("转介特殊教育学校", "referred to special education"),
        "deferral": ("缓学", "deferred"),
        "zone": ("划片学校", "zone school"),
    },
}

# match level → (zh label, en label, zh note, en note, coarse)
MATCH: dict[str | None, tuple[str, str, str, str, bool]] = {
    "house_number": (
        "门牌号",
        "house number",
        "定位到门牌号，结果可靠。",
        "Located to the house number: the answer is reliable.",
        False,
    ),
    "compound": (
        "小区",
        "housing compound",
        "定位到小区，按小区划片的结果可靠。",
        "Located to the housing compound: reliable where zones follow compounds.",
        False,
    ),
    "poi": (
        "地图上的点",
        "point on the map",
        "按地图上点击的位置查询；按村（社区）户籍划片的学校可能未列出。",
        "Looked up by the clicked point; schools zoned by village or community may be missing.",
        False,
    ),
    "road": (
        "道路",
        "street",
        "只定位到道路，未到门牌：同一条路的两侧或两段可能属于不同学校，请补充门牌号。",
        "Located to the street only: its two sides or ends may belong to different schools; "
        "add the house number.",
        False,
    ),
    "village": (
        "村（社区）",
        "village / community",
        "定位到村（社区）：按村（社区）划片的结果可靠；按街道四至划片的，位置取社区内一点，请补充街道和门牌号。",
        "Located to the village or community: reliable where zones follow villages; for "
        "street-bounded zones the point is only somewhere in the community — add the street "
        "and house number.",
        False,
    ),
    "township": (
        "乡镇（街道）",
        "township",
        "只定位到乡镇（街道）一级，结果可能不准确，请补充村（社区）、街道和门牌号。",
        "Located to the township only: the answer may be wrong; add the village, street and "
        "house number.",
        True,
    ),
    "county": (
        "区县",
        "county",
        "只定位到区县一级，无法确定学校，请补充乡镇、村（社区）和门牌号。",
        "Located to the county only: no school can be named; add the township, village and "
        "house number.",
        True,
    ),
    None: (
        "未能定位",
        "not located",
        "地址无法定位，请检查书写（例如：太仆寺旗宝昌镇南郊社区察哈尔街1号）。",
        "The address could not be located; check how it is written.",
        True,
    ),
}


def word(kind: str, code, lang: str = "zh") -> str:
    """The word for ``code`` of ``kind`` (the code itself when unknown)."""
    if code is None or code == "":
        return ""
    pair = WORDS.get(kind, {}).get(str(code))
    if pair is None:
        return str(code)
    return pair[1] if lang == "en" else pair[0]


def problem_label(key: str) -> str:
    """A gap/overlap counter's key in words: ``primary.gaps`` → ``小学 primary · 空白 gaps``.

    >>> problem_label("primary.gaps"), problem_label("middle.overlaps")
    ('小学 primary · 空白 gaps', '初中 middle school · 重叠 overlaps')
    """
    level, _, what = str(key).partition(".")
    return f"{both('level', level)} · " + ("空白 gaps" if what == "gaps" else "重叠 overlaps")


def both(kind: str, code) -> str:
    """Chinese and English word for ``code`` (for tables built in the browser).

    >>> both("level", "primary"), both("status", "placed"), both("status", None)
    ('小学 primary', '已派位 placed', '')
    """
    zh, en = word(kind, code, "zh"), word(kind, code, "en")
    return zh if zh == en else f"{zh} {en}"


def match_info(level: str | None, lang: str = "zh") -> dict:
    """``{"code", "label", "note", "coarse"}`` of a geocoder match level."""
    zh, en, note_zh, note_en, coarse = MATCH.get(level) or (
        str(level),
        str(level),
        "",
        "",
        False,
    )
    return {
        "code": level,
        "label": en if lang == "en" else zh,
        "note": note_en if lang == "en" else note_zh,
        "coarse": coarse,
    }


def register(app) -> None:
    """Jinja filters ``{{ code|level }}``, ``|status``, ``|run_kind``, ``|outcome``, ``|role``,
    ``|change``, ``|rule``, ``|match_level`` in the request's language."""
    from .ui import lang

    for kind in WORDS:
        app.jinja_env.filters[kind] = lambda code, _k=kind: word(_k, code, lang())
    app.jinja_env.filters["match_level"] = lambda code: match_info(code, lang())["label"]
