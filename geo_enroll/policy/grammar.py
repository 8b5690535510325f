"""Named phrase patterns of Chinese catchment-zoning (划片招生) texts.

A zoning announcement is written in a small set of recurring phrases; each is one named
pattern here, used by the modules of :mod:`geo_enroll.policy`.  Patterns match phrases, never whole
seed sentences, so that unseen documents parse too.  :data:`PATTERNS` lists them by name.

>>> sorted(PATTERNS)[:3]
['age_cutoff', 'alternative', 'alternative_choice']
>>> split_top("南郊社区（东至东大桥，南至察哈尔街）、宝昌镇城北村")
['南郊社区（东至东大桥，南至察哈尔街）', '宝昌镇城北村']
>>> parse_limits("东至东大桥，南至社区南（不含昌盛园小区），西至城西，北至城北")
({'east': '东大桥', 'south': '社区南', 'west': '城西', 'north': '城北'}, ['昌盛园小区'])
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "PATTERNS",
    "CN",
    "WHO_TAIL",
    "WHO_WORDS",
    "TOWN_OFFICE",
    "LEAD_VERB",
    "CONTAINS_LABEL",
    "COMMITTEE",
    "UNIT_BEFORE_SIDE",
    "LIST_WHO_TAIL",
    "AREA_TAIL",
    "CATEGORY",
    "SETTLED",
    "DIRECTIONS",
    "SIDES",
    "split_top",
    "parse_limits",
    "parse_bounds",
    "parse_numbers",
    "cn_number",
    "strip_ordinal",
    "strip_lead",
    "parse_exclusion",
    "split_exclusions",
    "split_includes",
    "parse_enclosed",
    "parse_ring",
    "parse_walk",
    "numbered_areas",
    "split_joined",
    "walked_edge_reason",
    "street_segments",
    "group_lists",
]

CN = r"\u3400-\u9fff"
"""Character class body for CJK ideographs."""

DIRECTIONS = {"东": "east", "南": "south", "西": "west", "北": "north"}
SIDES = {"东": "east_of", "南": "south_of", "西": "west_of", "北": "north_of"}

_OPEN, _CLOSE = "（([【", "）)]】"

# streets listed together: 、，— always; 与/和/及 only after a street suffix (和平路 is one street)
# (a chain 古运路—小河路—登云路 stays one limit in bounds; it is split for enclosed areas)
_JOIN = re.compile(r"[、，,]+|(?<=[路街巷道河桥线环渠江湖])(?:与|和|及)")
_JOIN_ALL = re.compile(r"[、，,—–~～]+|-+|(?<=[路街巷道河桥线环渠江湖])(?:与|和|及)")

_SCHOOL_SUFFIX = r"(?:小学|中学|初中|学校|小学部|初中部|分校|校区)"

PATTERNS: dict[str, re.Pattern] = {
    # --- document facts -------------------------------------------------------------
    "title_jurisdiction": re.compile(
        rf"^(?P<j>[{CN}]{{2,12}}?(?:自治旗|自治县|旗|区|县|市))(?P<year>20\d\d)年"
    ),
    "front_matter_field": re.compile(
        r"^(?P<key>district|policy_year|year|city|place|title)\s*[:：]\s*\"?(?P<value>[^\"]+)\"?\s*$"
    ),
    "age_cutoff": re.compile(
        r"年满(?P<age>\d+|[六七])周岁[（(](?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"
        r"(?P<incl>及|以及)?(?:以前|之前|前)出生"
    ),
    "seat_plan": re.compile(
        r"(?P<level>小学|初中|中学)(?:招生)?计划(?:数)?[：:为]?\s*(?P<n>\d+)\s*(?:人|名)?"
    ),
    "class_cap": re.compile(
        r"(?P<level>小学|初中)每班(?:控制在|不超过?|不得超过)\s*(?P<n>\d+)\s*人"
    ),
    "class_cap_pair": re.compile(
        r"小学每班不超过?(?P<p>\d+)人[，,、]\s*初中(?:每班)?不超过?(?P<m>\d+)人"
    ),
    "hukou_migration": re.compile(
        r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?P<incl>及)?(?:以前|之前)迁移的"
        r"(?:按照?|以)迁移后"
    ),
    "appeal_window": re.compile(
        r"(?P<n>\d+|[一二三四五六七八九十]+)个工作日(?:内|之内)[^。]{0,30}?(?:复核|申诉|异议|申请复查)"
        r"|(?:复核|申诉|异议)[^。]{0,30}?(?P<n2>\d+|[一二三四五六七八九十]+)个工作日"
    ),
    "date_range": re.compile(
        r"^(?P<m1>\d{1,2})月(?P<d1>\d{1,2})日?\s*(?:[-—–~～至到]+)\s*(?:(?P<m2>\d{1,2})月)?"
        r"(?P<d2>\d{1,2})日"
    ),
    "date_before": re.compile(r"^(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:前|之前|以前)$"),
    "date_from": re.compile(r"^(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:起|开始)$"),
    "date_dekad": re.compile(r"^(?P<m>\d{1,2})月(?P<part>上旬|中旬|下旬|中下旬|上中旬|底|初)$"),
    "school_code": re.compile(
        rf"(?P<label>[{CN}]{{1,12}}?)(?:学校)?标识码[：:\s]*(?P<code>\d{{10}})"
    ),
    # --- zoning clauses ---------------------------------------------------------------
    "school_admits": re.compile(
        rf"^(?P<school>[{CN}A-Za-z0-9（）()·]{{2,40}}?{_SCHOOL_SUFFIX}(?:[（(][^）)]{{1,12}}[）)])?"
        rf"|[{CN}A-Za-z0-9·]{{2,30}}?教育集团(?:[（(][^（）()]{{1,12}}[）)]){{1,2}})"  # 文三教育集团（总校）（文宣小学）
        r"(?:招收|招生范围为|招生范围[:：]|划片范围为?[:：]?|服务范围为?[:：]?|服务区域为?[:：]?|的招生范围为"
        r"|学区范围为?[:：]?|学区[:：]|施教区(?:范围)?为?[:：]|服务区(?:范围)?为?[:：]|[:：]"
        r"|(?:的)?(?:学区|招生范围|划片范围|服务范围|施教区)(?:范围)?(?:为|是|包括|包含)[:：]?"
        r"|对应(?:的)?(?:区域|范围|片区)(?:为|是|包括)?[:：]?)"
        r"(?P<scope>.+)$"
    ),
    # 东关村、西关村的适龄儿童到第一小学就读 / …划归第一小学 / …由第一小学招收: the place first
    "places_to_school": re.compile(
        rf"^(?P<scope>[^，,；;：:]{{2,200}}?)(?:的)?(?:户籍)?(?:所有)?(?:适龄)?"
        r"(?:儿童少年|儿童|少年|学生|生源|小学毕业生)?(?:统一|均|全部)?(?:就近)?"
        rf"(?<!可)(?<!也)(?<!或)(?:到|进入|入读|划归|划入|由|属于?|归(?:属于?)?)"
        rf"(?P<school>[{CN}A-Za-z0-9（）()·]{{2,40}}?{_SCHOOL_SUFFIX}(?:[（(][^）)]{{1,12}}[）)])?)"
        r"(?:学区|片区)?(?:就读|入学|上学|报名|招收|负责招收|接收|招生)?[。]?$"
    ),
    # "X小学随迁子女教育服务区：…" : the school's zone for children without local hukou
    "school_migrant_scope": re.compile(
        rf"^(?P<school>[{CN}A-Za-z0-9（）()·]{{2,40}}?{_SCHOOL_SUFFIX}(?:[（(][^）)]{{1,12}}[）)])?)"
        r"(?:的)?(?:随迁子女|进城务工人员随迁子女|非户籍(?:适龄)?(?:儿童|学生)?|外来务工人员子女)"
        r"(?:教育)?(?:服务区|招生范围|划片范围|服务范围|学区)(?:为)?[:：]?(?P<scope>.+)$"
    ),
    "school_heading": re.compile(
        rf"^#{{1,4}}\s*(?:\d+[.、．]\s*)?(?P<school>[^#\n]{{2,60}}?(?:{_SCHOOL_SUFFIX}|园区|幼儿园|集团)"
        r"[^\n]*?)\s*(?:\(nature=.*)?$"
    ),
    "scope_label": re.compile(
        r"^(?:[-*]\s*)?(?:\*\*)?(?P<label>划片范围|招生范围|服务范围|户籍儿童教育服务区|随迁子女教育服务区"
        r"|教育服务区|服务区域)(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(?P<scope>.+)$"
    ),
    "scope_tail": re.compile(
        r"(?:户籍)?(?:的)?(?:适龄儿童少年|适龄儿童|适龄学生|适龄少年|小学毕业生|户籍学生)"
    ),
    "property_rule": re.compile(
        r"法定监护人在(?P<area>辖区|城区|学区|服务范围|片区)内?(?:有)?购(?:买)?房"
    ),
    "relative_proximity": re.compile(r"相对就近"),
    "alternative": re.compile(
        rf"(?P<who>[{CN}、]{{2,40}}?)(?:户籍)?(?:的)?(?:适龄儿童|学生|小学毕业生)?(?:少年)?"
        rf"也可(?:以)?(?:到|去|选择)?(?P<school>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})"
        r"(?:入学|就读|报名|上学|(?=$|[，,。；;]))"
    ),
    # 千斤沟镇学生可自愿选择到第二小学就读: an option for those places (其他… / 任何…: free choice)
    "alternative_choice": re.compile(
        rf"(?P<who>(?!其他|其它|任何)[{CN}、]{{2,40}}?)(?:户籍)?(?:的)?"
        r"(?:适龄儿童|学生|小学毕业生)?(?:少年)?可(?:以)?(?:自愿|自主)选择(?:到|去|进入)?"
        rf"(?P<school>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})(?:入学|就读|报名|上学|(?=$|[，,。；;]))"
    ),
    # 第三小学：与第一小学同学区招生 / 第三小学招生范围同第一小学: the same zone as another's
    "same_zone": re.compile(
        rf"^(?:(?P<school>(?:(?!报|可|仅|只|均)[{CN}]){{2,20}}?{_SCHOOL_SUFFIX})(?:的)?)?"
        rf"(?:(?:与|和|同)(?P<of>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})(?:的)?"
        r"(?:同一?个?学区|同一?个?片区|学区相同|片区相同|招生范围相同|划片范围相同|范围相同"
        r"|共用一?个?学区|共享学区)"
        rf"|(?:招生范围|学区|划片范围|服务范围)(?:与|和|同)(?P<of2>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})"
        r"(?:的)?(?:相同|一致|学区|招生范围|划片范围)?"
        rf"|同(?P<of3>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})(?:的)?(?:学区|招生范围|划片范围)?)"
        r"(?:招生|划片)?$"
    ),
    # 西街小学可招收北街小学片区学生 (城区学校间可交叉招收): the zone of another school
    "zone_of": re.compile(
        rf"(?P<schools>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX}(?:[和及、][{CN}]{{2,20}}?{_SCHOOL_SUFFIX})*)"
        rf"(?:也)?可(?:以)?(?:跨片区?)?招收(?P<of>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})"
        r"(?P<part>部分|一部分)?(?:片区|学区|施教区|服务区|划片范围)(?:内)?的?(?:适龄)?"
        r"(?:户籍)?(?:学生|儿童|少年|生源)"
    ),
    "free_choice_school": re.compile(
        rf"(?P<who>其他[{CN}、，]{{0,20}}?|任何[{CN}]{{0,8}}?)(?:学生|儿童)?可(?:以)?自主选择"
        rf"(?:到|进入)?(?P<school>[{CN}]{{2,20}}?{_SCHOOL_SUFFIX})就读"
    ),
    "any_school": re.compile(
        rf"(?P<who>[{CN}]{{2,20}}?)(?:户籍)?(?:的)?(?:学生|适龄儿童)可(?:以)?(?:到|在)"
        rf"[{CN}]{{0,6}}?(?:任何|任意)一?所[{CN}]{{0,12}}?就读"
    ),
    "free_choice_category": re.compile(
        rf"(?P<who>[{CN}]{{2,4}}人员)[^。；，]{{0,40}}?可(?:以)?自主选择"
    ),
    "priority_trigger": re.compile(
        r"按照?(?:相关|有关)(?:优待)?(?:政策|规定)[^。]{0,20}?(?:安排入学|给予照顾)|给予照顾|优先入学"
    ),
    "treated_as_local": re.compile(r"按本(?:市|省|区|县|旗)户籍对待"),
    "sibling_rule": re.compile(r"兄[（(]?姐[）)]?|二孩|同胞|兄弟姐妹"),
    "deferral": re.compile(r"缓学|延缓入学|缓入学"),
    "multi_school": re.compile(r"多校划片|多校协同|共同学区"),
    "basis_hukou": re.compile(r"户籍(?:的)?(?:适龄儿童|小学毕业生|学生)|依据户口|按户籍"),
    "basis_agree": re.compile(r"房产证明?和户口簿[”\"]?统一|房户一致|人户一致"),
    "basis_residence": re.compile(r"不统一的以实际居住地为准|以实际居住地为准"),
    "count_units": re.compile(
        rf"^(?P<town>[{CN}]{{2,8}}?(?:镇|乡|苏木|街道))?(?P<n>\d+|[一二三四五六七八九十]+)个"
        r"(?P<kind>社区|村|嘎查|居委会)$"
    ),
    "group": re.compile(
        r"^(?P<g>第?[一二三四五六七八九十百\d]+(?:[-—~至][一二三四五六七八九十百\d]+)?"
        r"(?:社|组|队|村民小组|小组))$"
    ),
    "exclude": re.compile(
        r"^(?:不含|不包含|不包括|除去?)(?P<names>.+?)(?:以外|之外|外)?(?:区域)?$"
    ),
    "include": re.compile(r"^(?:含|包含|包括)(?P<names>.+?)(?:区域)?$"),
    "limit": re.compile(
        r"^(?P<dir>[东南西北])(?:至|到|抵|达|临|接|邻|靠|起(?![^，,；;]*(?:沿|—|→|经|至|到))"
        r"|以(?=[^，,；;]{2,30}?为界)|(?:界限?|边界|面|侧)?\s*[:：]|界限?为|边界为)"
        r"\s*(?P<target>.+)$"
    ),
    "bound": re.compile(r"^(?P<streets>.+?)以(?P<side>[东南西北])(?P<rest>.*)$"),
    "surrounded": re.compile(r"所?围成(?:的)?区域|合围区域|围合区域"),
    # "A、B、C、D所围成的区域" (streets listed without sides): one enclosed area
    "enclosed_area": re.compile(
        r"^(?P<streets>[^，,；;。]+?)(?:[四五六七八2-8]条(?:道路|街道|路))?(?:等)?"
        r"(?:之间)?(?:所)?(?:围成|合围|围合|围起|包围)(?:的|之)?(?:区域|范围|片区|地块|区块)?"
        r"(?P<rest>.*)$"
    ),
    # a preposition a sentence leaves on its first street (由福州路以南…, 从人民路…, 沿河路…)
    "lead_preposition": re.compile(rf"^(?:由|从|自|沿)(?=[{CN}A-Za-z0-9]{{3,}})"),
    # "四段除外", "X不在此列": an exclusion written after the names
    "exclude_after": re.compile(r"^(?P<names>.+?)(?:除外|不在此列|不含在内|不在其内)$"),
    # （东方海岸、光明府以外区域）: all but the places named (never sides: 除…以南…以外的区域)
    "exclude_outside": re.compile(
        r"^(?P<names>(?:(?!以[东南西北]|[东南西北]侧|除|不含).)+?)以外的?(?:区域|范围)$"
    ),
    # 多校划片 area naming its schools: "X — 涉及3所学校：A、B、C" / "X实行多校划片，由A、B共同招生"
    "multi_school_area": re.compile(
        r"^(?:\*\*)?(?P<area>[^*—：:]+?)(?:\*\*)?\s*(?:[—–-]+|[:：])\s*涉及(?P<n>\d+|[二三四五六七八九十])"
        r"所学校[：:](?P<schools>.+)$"
        r"|^(?:备注[:：])?(?P<schools3>[^：:]+?(?:小学|中学|学校|初中))对(?P<area3>.+?)"
        r"(?:实行|实施|采取)多校划片"
        r"|^(?P<area2>.+?)(?:实行|实施|为|属于|列为|采取)多校划片(?:区域|片区)?[，,：:]?\s*"
        r"(?:由|对应|对口|划入)?(?P<schools2>.+?)(?:共同|统筹|联合)?(?:招生|划片|入学|服务)?[。；;]?$"
    ),
    "both_sides": re.compile(r"两侧|两边"),
    "one_side": re.compile(r"(?P<side>[东南西北])侧|一侧|单侧|单边|临街面"),
    "parity": re.compile(r"(?P<p>单号|双号|单双号|全号|单数|双数)"),
    "number_range": re.compile(
        r"(?<![\d.])(?P<a>\d+)\s*[号弄]?\s*(?:[-—–~～至到－]+)\s*(?P<b>\d+)\s*[号弄]?"
        r"(?!\d|[.栋幢组社队层楼期鄰邻]|单元)"
    ),
    "house_number": re.compile(
        r"(?<![\d-])(?P<n>\d+)[号弄](?:附\d+号|之[一二三四五六七八九十\d]+)?"
    ),
    "bare_numbers": re.compile(
        r"\d+[号弄](?:附\d+号)?(?:[、，,]\d+[号弄](?:附\d+号)?)*"
        r"|(?:单号|双号|单数|双数)?\s*(?:\d+\s*[号弄]?\s*[-—–~～至到－]+\s*)?\d+[号弄]"
        r"(?:[（(]?[单双]号[）)]?)?"
    ),
    "number_to": re.compile(r"(?<![\d-])(?P<b>\d+)[号弄]?(?:以内|以下|之内|止|以前|之前)"),
    "whole_street": re.compile(r"全段|全线|全部|各段|所有门牌|全部门牌|两侧全部"),
    "number_from": re.compile(r"(?<![\d-])(?P<a>\d+)号?(?:以后|以上|之后|起|往后)"),
    "street_name": re.compile(
        rf"^(?P<street>(?:(?!小区|包括|包含|范围|以[东南西北])[{CN}A-Za-z0-9]){{1,20}}?"
        r"(?:(?:大道|大街|路|街|巷|道|段|线|桥|环路|环线|高架|河|湾|胡同)+"
        # 祥和里单号1-303号: a lane named …里 / …弄, read as a street only before its numbers
        r"|(?:里|弄)(?=(?:单号|双号|单双号|全号)\s*\d|\s*\d+\s*号?\s*[-—–~～至到－]\s*\d+\s*号"
        r"|\s*\d+\s*号(?![楼栋幢院室])))"
        r"(?:[东南西北中]?[一二三四五六七八九十]+段|[东南西北中]段|(?<=大道)[东南西北中](?=\d|$|[（(]))?"
        r"(?:[东南西北中]?[一二三四五六七八九十\d]+(?:巷|里|弄|胡同)|附[一二三四五六七八九十\d]+巷)?)"
        r"(?:[（(](?P<paren>[^）)]*)[）)])?\s*[:：]?\s*(?P<rest>.*)$"
    ),
    "township_prefix": re.compile(
        rf"^(?P<town>(?:(?!村|社区|原|除)[{CN}]){{2,8}}?(?:镇|乡|苏木|街道))"
        r"(?!社区|村|居委会)(?:所辖|辖区|行政区域|的(?=[^的]{2,}))?(?P<rest>.*)$"
    ),
    "whole_township": re.compile(
        r"^(?:所辖|行政区域?|行政区划|行政|全境|全域|辖区内?)?(?:范围内?|内)?(?:的)?(?:所有|全部)?(?:区域内?)?$"
        r"|^(?:所辖)?(?:全部|所有|全)(?:村|村庄|社区|村（社区）|村\(社区\)|行政村|镇|乡|街道|苏木)*$"
        r"|^(?:所有|全部)(?:所辖)?(?:行政区域?|行政|辖区)(?:范围内?)?(?:的)?(?:区域)?$"
        # 下涯镇的自然村 / 各行政村: every village of the township
        r"|^(?:的)?(?:所辖)?(?:各|所有|全部)?(?:自然村|行政村|村庄|村（社区）|村和社区|村、社区)$"
        # 城南街道辖区内的所有社区和村
        r"|^(?:所辖|辖区|行政区域|范围)?内?的?(?:各|所有|全部)"
        r"(?:社区|村|行政村|居委会|村委会)(?:[和、及与](?:社区|村|行政村|居委会|村委会))*$"
    ),
    "street_colon": re.compile(
        rf"^(?P<street>[{CN}A-Za-z0-9]{{2,20}}?(?:大道|大街|路|街|巷|道|段|里|桥))(?:部分|全部|全段|所有)?"
        r"(?P<pw>单号|双号)?(?P<parens>(?:[（(][^（）()]*[）)])*)\s*[:：]\s*(?P<nums>.+)$"
    ),
    "village_split": re.compile(
        rf"^(?P<village>[{CN}]{{1,10}}?(?:村(?!委会|民委员会)|嘎查|社区|居委会))"
        rf"(?P<sub>[{CN}\d一二三四五六七八九十、-]+)$"
    ),
    "compound": re.compile(
        rf"^[{CN}A-Za-z0-9·]{{2,20}}(?:小区|花园|家园|公寓|新村|苑|府|城|庭|园|宿舍|大院|号院)$"
    ),
    "ordinal": re.compile(
        r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+[.、．]|[①-⑳]|[-*])\s*"
    ),
    "heading": re.compile(
        r"^\s*(?:#{1,4}\s*)?(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])\s*(?P<title>.+)$"
    ),
    "zoning_heading": re.compile(r"招生范围|划片|服务区域|服务范围|学区"),
    "annex": re.compile(r"^\s*附件\s*(?P<n>\d+)\s*$"),
}
"""Every named phrase pattern (name → compiled regex)."""


def strip_ordinal(text: str) -> str:
    """Drop a leading list ordinal (``1.``, ``（二）``, ``三、``, ``①``, ``-``).

    >>> strip_ordinal("  2.第二小学招收"), strip_ordinal("（三）贡宝拉格学校")
    ('第二小学招收', '贡宝拉格学校')
    """
    return PATTERNS["ordinal"].sub("", text, count=1).strip()


def split_top(text: str, seps: str = "、，,；;") -> list[str]:
    """Split at separators that are not inside brackets; empty parts dropped."""
    parts, depth, start = [], 0, 0
    for m in _marks(seps).finditer(text):
        ch = m.group()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


@lru_cache(maxsize=64)
def _marks(seps: str) -> re.Pattern:
    """The characters :func:`split_top` stops at: brackets and the separators."""
    return re.compile("[" + re.escape(_OPEN + _CLOSE + seps) + "]")


def _paren_split(text: str) -> tuple[str, list[str]]:
    """``'南至社区南（不含昌盛园小区）'`` → ``('南至社区南', ['不含昌盛园小区'])``."""
    head, notes = [], []
    depth, cur = 0, []
    for ch in text:
        if ch in _OPEN:
            if depth == 0:
                cur = []
            else:
                cur.append(ch)
            depth += 1
            continue
        if ch in _CLOSE and depth:
            depth -= 1
            if depth == 0:
                notes.append("".join(cur))
            else:
                cur.append(ch)
            continue
        (cur if depth else head).append(ch)
    return "".join(head).strip(), notes


_LIMIT_SIDE = re.compile(
    r"(?<=\S[路街道巷桥河渠江沟线])(?:以|的)?(?:[东南西北](?:侧|面|边|沿)?|(?:道路)?中心线|中线)$"
)
"""A side or the centre line written after a limit's street (东大桥以西 / 察哈尔街北侧 /
民生路中心线): the limit is the street (城北, 社区西, 万和小区南 stay: not a street's side)."""


def parse_limits(text: str) -> tuple[dict, list[str]] | None:
    """Four-sided limits (东至…，南至…，西至…，北至…) → ({direction: limit}, excluded names).

    Limits are kept as written (edge words such as 城北, 社区西 included); a parenthesised
    exclusion inside a limit (``（不含X）``) is returned separately.  Returns None unless at
    least two sides are given.

    >>> parse_limits("东至金马河，南至(太康东路)-清源路-(五津东路)，西至瑞通路，北至大件路")[0]["south"]
    '(太康东路)-清源路-(五津东路)'
    >>> parse_limits("东至沙井路，南至沙福路，西至海边，北以沙中路-万乐路为界的围合片区")[0]["north"]
    '沙中路-万乐路'
    >>> parse_limits("东至东大桥以西，南至察哈尔街中心线，西至城西，北至社区北")[0]
    {'east': '东大桥', 'south': '察哈尔街', 'west': '城西', 'north': '社区北'}
    """
    limits: dict[str, str] = {}
    excluded: list[str] = []
    for part in split_top(text, "，,；;、"):
        m = PATTERNS["limit"].match(part.strip())
        if not m:
            if limits:
                return None
            continue
        target = m["target"].strip().rstrip("。")
        # 北以沙中路-万乐路为界的围合片区: the limit is the street before 为界
        target = re.sub(r"为界(?:的)?(?:围合|合围|所围成?)?(?:的)?(?:片区|区域|范围)?$", "", target)
        # 北至建设路范围内 / …以内区域: the area's words, not the street's name
        target = re.sub(
            r"(?<=\S{2})(?:以内|之内|之间|中间)?(?:的)?(?:围合|合围|所围成?)?(?:的)?(?:区域|范围|片区)"
            r"(?:内|以内)?$|(?<=\S{2})(?:以内|之内|之间)$",
            "",
            target,
        )
        # 东至东大桥西侧 (read 东大桥以西) / 南至察哈尔街中心线: the street, not a side of it
        target = _LIMIT_SIDE.sub("", target)
        head, notes = _paren_split(target)
        kept = []
        for note in notes:
            ex = PATTERNS["exclude"].match(note)
            if ex:
                excluded.extend(split_top(ex["names"], "、，,和及"))
            else:
                kept.append(note)
        if kept or not head:  # a parenthesised street name is part of the limit
            head = target
        direction = DIRECTIONS[m["dir"]]
        if direction in limits:  # a second polygon's limits begin: stop here
            break
        limits[direction] = head
    if len(limits) < 2:
        return None
    return limits, excluded


def parse_bounds(text: str) -> list[dict] | None:
    """Directional bounds (X路以东，Y路以南 …) → ``[{street, side}]``, or None.

    >>> parse_bounds("湖墅北路以西，教工路以东，大关路以南，余杭塘路与草营巷以北")[-1]
    {'street': '草营巷', 'side': 'north_of'}
    >>> parse_bounds("由福州路以南、河南中路以西")[0]  # the preposition 由 is not the street's
    {'street': '福州路', 'side': 'south_of'}
    >>> parse_bounds("和平路以东")[0]["street"]  # 和 here is part of the name
    '和平路'
    """
    bounds = []
    for part in split_top(text, "，,；;"):
        head, _ = _paren_split(part.strip())
        for m in re.finditer(
            r"(?P<streets>[^以]+?)以(?P<side>[东南西北])(?:的?区域|地区|范围)?", head
        ):
            streets = m["streets"].strip("-—、，, ")
            streets = re.sub(r"^(?:除|在)", "", streets)
            streets = re.sub(
                r"^(?:县城|城区|市区|镇区|主城区)(?=\S{2,})", "", streets
            )  # 县城解放路
            # 滨江区辖区内伟业路以东: the district named before the street is no street
            streets = re.sub(
                rf"^(?:[{CN}]{{2,8}}?(?:区|县|市|镇|乡|街道))?(?:辖区|范围|区域|境)内", "", streets
            )
            for street in _JOIN.split(streets):
                street = strip_lead(street.strip().strip("的"))
                if street:
                    bounds.append({"street": street, "side": SIDES[m["side"]]})
    return bounds or None


def cn_number(text: str) -> int | None:
    """Small Chinese or Arabic numeral → int (``'十二'`` → 12), None if not a number.

    >>> cn_number("6"), cn_number("十二"), cn_number("二十"), cn_number("三")
    (6, 12, 20, 3)
    """
    if text.isdigit():
        return int(text)
    digits = dict(zip("一二三四五六七八九", range(1, 10), strict=True))
    if not text or any(ch not in digits and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return digits.get(text)
    tens, _, ones = text.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)


_FULLWIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")


def parse_numbers(text: str) -> dict | None:
    """House numbers of a street segment: ``{from, to, parity}`` or explicit ``list``.

    >>> parse_numbers("双号4号-44号")
    {'from': 4, 'to': 44, 'parity': 'even'}
    >>> parse_numbers("1号、3号、5号")
    {'list': [1, 3, 5], 'parity': 'all'}
    >>> parse_numbers("双号120号起")
    {'from': 120, 'parity': 'even'}
    >>> parse_numbers("201–299单号"), parse_numbers("100号以内"), parse_numbers("12-3号")
    ({'from': 201, 'to': 299, 'parity': 'odd'}, {'from': 1, 'to': 100, 'parity': 'all'}, {'list': [12], 'parity': 'all'})
    >>> parse_numbers("1020弄-1316弄"), parse_numbers("35号之一"), parse_numbers("１－９号")
    ({'from': 1020, 'to': 1316, 'parity': 'all'}, {'list': [35], 'parity': 'all'}, {'from': 1, 'to': 9, 'parity': 'all'})
    """
    text = text.translate(_FULLWIDTH)
    parity = "all"
    pm = PATTERNS["parity"].search(text)
    if pm:
        parity = {"单号": "odd", "双号": "even", "单数": "odd", "双数": "even"}.get(pm["p"], "all")
    rm = PATTERNS["number_range"].search(text)
    if rm and int(rm["b"]) < int(rm["a"]):  # 12-3号: house 12, sub-number 3 (not a range)
        return {"list": [int(rm["a"])], "parity": parity}
    if rm:
        return {"from": int(rm["a"]), "to": int(rm["b"]), "parity": parity}
    fm = PATTERNS["number_from"].search(text)
    if fm:  # 双号120号起: open-ended, no "to"
        return {"from": int(fm["a"]), "parity": parity}
    tm = PATTERNS["number_to"].search(text)
    if tm:  # 100号以内: from the first house up to 100
        return {"from": 1, "to": int(tm["b"]), "parity": parity}
    nums = [int(m["n"]) for m in PATTERNS["house_number"].finditer(text)]
    if nums:
        return {"list": nums, "parity": parity}
    return None


def strip_lead(name: str) -> str:
    """Drop a preposition left on a street name (由/从/自/沿 + at least three characters).

    A two-character remainder is kept whole: 沿江路 is a street, not 沿 + 江路.

    >>> strip_lead("由福州路"), strip_lead("从人民南路"), strip_lead("沿江路")
    ('福州路', '人民南路', '沿江路')
    """
    return PATTERNS["lead_preposition"].sub("", name.strip(), count=1)


_NAME_JOIN = re.compile(r"(?<=[路街巷道河桥线渠江湖村区苑园府城庭组社号院楼])(?:和|及|与)")


def _names(text: str) -> list[str]:
    """Names of a list; 和/及/与 join names only after a place suffix (林语和鸣 is one name)."""
    out = []
    for part in split_top(text, "、，,"):
        out.extend(_NAME_JOIN.split(part))
    return _share_group_word([n.strip("的 ") for n in out if n.strip("的 ")])


_GROUP_WORD = re.compile(r"^[一二三四五六七八九十百零〇两\d]{1,4}(村民小组|组|社|队)$")
_BARE_NUMERAL = re.compile(r"[一二三四五六七八九十百零〇两\d]{1,4}")


def _share_group_word(names: list[str]) -> list[str]:
    """``["4", "5", "8组"]`` → ``["4组", "5组", "8组"]``: numerals before a group written once.

    >>> _share_group_word(["4", "5", "8组"]), _share_group_word(["幸福小区", "3"])
    (['4组', '5组', '8组'], ['幸福小区', '3'])
    """
    m = _GROUP_WORD.match(names[-1]) if names else None
    if not m:
        return names
    out = list(names)
    k = len(out) - 1
    while k > 0 and _BARE_NUMERAL.fullmatch(out[k - 1]):
        k -= 1
        out[k] += m[1]
    return out


_GROUP_LIST = re.compile(
    rf"(?P<v>[{CN}]{{1,12}}?(?:村|社区|居委会|嘎查))(?:[:：]\s*)?(?:已?(?:拆迁)?安置的?)?第?"
    r"(?P<nums>\d+(?:\s*[、，,\s]\s*\d+)+)\s*(?P<suf>村民小组|组|社|队)"
)


def group_lists(text: str) -> str:
    """``东关村第14、15、19、20组`` → ``东关村（14组、15组、19组、20组）`` (one group each).

    >>> group_lists("东关村第14、15组，黎明社区：7  9  10  11组")
    '东关村（14组、15组），黎明社区（7组、9组、10组、11组）'
    >>> group_lists("东升村已拆迁安置的3、5、7组")  # who of those groups: resettled households
    '东升村（3组、5组、7组）'
    """

    def _one(m: re.Match) -> str:
        nums = re.findall(r"\d+", m["nums"])
        return f"{m['v']}（{'、'.join(n + m['suf'] for n in nums)}）"

    out = _GROUP_LIST.sub(_one, text)
    if out == text:
        return text
    # 东关村1、2组和西关村: the groups' bracket, then another place of the list
    return re.sub(
        rf"(（[^（）]*(?:组|社|队)）)(?:和|及|以及)(?=[{CN}\d]{{2,12}}(?:村|社区|嘎查|居委会|小区))",
        r"\1、",
        out,
    )


def parse_exclusion(text: str) -> list[str] | None:
    """Names excluded by a phrase (不含X、Y / 除X以外 / X除外), or None if it is not one.

    >>> parse_exclusion("不含昌盛园小区"), parse_exclusion("四段除外"), parse_exclusion("含X")
    (['昌盛园小区'], ['四段'], None)
    """
    text = text.strip().strip("。；;，, ")
    m = PATTERNS["exclude"].match(text)
    if m:
        return _names(m["names"]) or None
    m = PATTERNS["exclude_after"].match(text) or PATTERNS["exclude_outside"].match(text)
    if m:
        return _names(m["names"]) or None
    return None


def split_exclusions(text: str) -> tuple[str, list[str]]:
    """Text without its exclusions (bracketed notes or trailing clauses) + the excluded names.

    Used for every kind of rule, so that (除X小区), （不含X）, ，不含X and X除外 all end in
    ``exclude`` alike.

    >>> split_exclusions("西藏南路以东，复兴东路以北区域(除示例花园小区)，不含幸福里")
    ('西藏南路以东，复兴东路以北区域', ['示例花园小区', '幸福里'])
    """
    excluded: list[str] = []
    kept_clauses = []
    for clause in split_top(text, "，,；;"):
        names = parse_exclusion(clause)
        if names and kept_clauses:
            excluded.extend(names)
            continue
        head, notes = _paren_split(clause)
        rebuilt = clause
        for note in notes:
            names = parse_exclusion(note)
            if names:
                excluded.extend(names)
                rebuilt = re.sub(rf"[（(]\s*{re.escape(note)}\s*[）)]", "", rebuilt, count=1)
        kept_clauses.append(rebuilt.strip())
    return "，".join(c for c in kept_clauses if c), list(dict.fromkeys(excluded))


def split_includes(text: str) -> tuple[str, list[str]]:
    """Text without its 含/包括 clauses + the names they list (checks: inside the zone).

    Only a clause after the first is an inclusion (a first clause 包括X is the scope itself).

    >>> split_includes("东界限:浐河西路，南界限:米秦北路，含缇香郡、翠屏湾")
    ('东界限:浐河西路，南界限:米秦北路', ['缇香郡', '翠屏湾'])
    """
    kept, names = [], []
    for note in _paren_split(text)[1]:  # （含集贤巷—吉庆巷）: a bracketed inclusion
        m = PATTERNS["include"].match(note.strip())
        if m:
            names.extend(_names(m["names"]))
            text = re.sub(rf"[（(]\s*{re.escape(note)}\s*[）)]", "", text, count=1)
    for clause in split_top(text, "，,；;"):
        m = PATTERNS["include"].match(clause.strip().strip("。"))
        if m and kept:
            names.extend(
                re.sub(r"(?:等[^、，,]{0,4}|范围内?|区域)$", "", n) or n for n in _names(m["names"])
            )
        else:
            kept.append(clause)
    if not names:
        return text, []
    return "，".join(kept), list(dict.fromkeys(names))
    # (a bracketed 含 note is removed from the text it returns, like 不含 notes)


def parse_enclosed(text: str) -> tuple[list[str], list[str]] | None:
    """``A、B、C、D所围成的区域`` (streets without sides) → (streets, excluded names), or None.

    At least three streets are needed to enclose anything; a side word (以东) means it is a
    directional box, read by :func:`parse_bounds` instead.

    >>> parse_enclosed("由福州路、河南中路、延安东路、西藏中路所围成的区域（除示例花园小区）")
    (['福州路', '河南中路', '延安东路', '西藏中路'], ['示例花园小区'])
    """
    text, excluded = split_exclusions(text.strip().strip("。；;"))
    m = PATTERNS["enclosed_area"].match(text)
    if not m or re.search(r"以[东南西北]", m["streets"]):
        return None
    if m["rest"].strip("。；;，, ") and not re.fullmatch(r"[内中]?", m["rest"].strip("。；;，, ")):
        return None
    streets = [strip_lead(x) for x in _JOIN_ALL.split(strip_lead(m["streets"])) if x.strip()]
    if len(streets) < 3 or any(not re.fullmatch(rf"[{CN}A-Za-z0-9]{{2,20}}", x) for x in streets):
        return None
    return streets, excluded


def street_segments(qualifier: str) -> list[dict]:
    """House numbers and sides of one street (``单号1—99号，双号2—98号``, ``东侧``, ``两侧``).

    Returns one entry per parity segment: ``{numbers, sides, side}``.  ``sides`` is ``odd`` /
    ``even`` when the numbers have a parity (单号/双号 are one side of the street), ``one``
    when the text names a side (东侧 → ``side: "east"``) or 一侧, else ``both``; ``numbers`` is
    None when no number is given.

    >>> [(x["numbers"], x["sides"]) for x in street_segments("双号124—192号、单号521—573号")]
    [({'from': 124, 'to': 192, 'parity': 'even'}, 'even'), ({'from': 521, 'to': 573, 'parity': 'odd'}, 'odd')]
    >>> street_segments("东侧")
    [{'numbers': None, 'sides': 'one', 'side': 'east'}]
    """
    text = qualifier.strip()
    side = None
    sm = PATTERNS["one_side"].search(text)
    both = bool(PATTERNS["both_sides"].search(text))
    if sm and sm.group("side"):
        side = DIRECTIONS[sm.group("side")]
    # one segment per parity word (单号…、双号…); without one, the whole qualifier
    starts = [m.start() for m in PATTERNS["parity"].finditer(text)]
    inner = re.fullmatch(r"[（(]([^（）()]*)[）)]", text)  # （1-99号、2-100号）: the bracket's list
    parts = [c for c in split_top(inner[1] if inner else text, "、，,；;") if c.strip()]
    if len(parts) > 1 and sum(1 for _ in PATTERNS["number_range"].finditer(text)) > 1:
        # 1-99号、2-100号 (one street's stretches, each with its own parity if any)
        chunks = [c for c in parts if PATTERNS["number_range"].search(c)]
        chunks += [c for c in parts if c not in chunks and PATTERNS["house_number"].search(c)]
    elif len(starts) > 1:
        chunks = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)], strict=True)]
    else:
        chunks = [text]
    out = []
    for chunk in chunks:
        numbers = parse_numbers(chunk)
        if numbers is None:
            pm = PATTERNS["parity"].search(chunk)
            parity = {"单号": "odd", "单数": "odd", "双号": "even", "双数": "even"}.get(
                pm["p"] if pm else "", "all"
            )
            numbers = {"parity": parity} if parity != "all" else None
        parity = (numbers or {}).get("parity", "all")
        if parity in ("odd", "even"):
            sides = parity
        elif side or (sm and not both):
            sides = "one"
        else:
            sides = "both"
        entry = {"numbers": numbers, "sides": sides}
        if side:
            entry["side"] = side
        out.append(entry)
    return out


_AREA_NUMS = re.compile(
    rf"(?:(?<=^)|(?<=[、，,（(：:\s]))(?P<prefix>[{CN}]{{1,4}}?)?"
    r"(?P<list>\d{1,3}(?:\s*[-—–~～至]\s*\d{1,3})?"
    r"(?:\s*(?:、|，|,|和|及|与)\s*\d{1,3}(?:\s*[-—–~～至]\s*\d{1,3})?)*)"
    rf"\s*(?P<suffix>区|街坊)(?![{CN}A-Za-z0-9]*?(?:路|街|道|号))(?P<etc>等)?"
    r"(?P<tail>[中内]?的?(?:区域|范围))?"
)


def numbered_areas(text: str) -> str:
    """Numbered areas written together get their 区 (or 街坊) each (宝安 73区, 74区…).

    ``73和74区中的区域`` → ``73区、74区``; ``7-10、12区等`` → ``7区、8区、9区、10区、12区``;
    ``西光14、15街坊`` → ``西光14街坊、西光15街坊`` (a name before the first number is on each).
    A range longer than 50 or backwards is left as written (it is no list of areas).

    >>> numbered_areas("（包括7、8、9、10区等）"), numbered_areas("73和74区中的区域")
    ('（包括7区、8区、9区、10区）', '73区、74区')
    >>> numbered_areas("上川路以南区域(7-10、12区)"), numbered_areas("第1学区、3区")
    ('上川路以南区域(7区、8区、9区、10区、12区)', '第1学区、3区')
    >>> numbered_areas("西光14、15、16街坊等（详见附件）")
    '西光14街坊、西光15街坊、西光16街坊（详见附件）'
    """

    def expand(m: re.Match) -> str:
        nums: list[int] = []
        for part in re.split(r"\s*(?:、|，|,|和|及|与)\s*", m["list"]):
            r = re.fullmatch(r"(\d+)\s*[-—–~～至]\s*(\d+)", part)
            if r:
                a, b = int(r[1]), int(r[2])
                if not 0 < b - a <= 50:
                    return m[0]
                nums.extend(range(a, b + 1))
            else:
                nums.append(int(part))
        if len(nums) < 2 and not m["tail"]:
            return m[0]
        prefix, lead = m["prefix"] or "", ""
        if re.fullmatch(r"(?:包括|包含|含|不含|除|及|和|与|共|有|为|是)", prefix):
            prefix, lead = "", prefix  # （包括7、8区）: a word, not a name before the numbers
        return lead + "、".join(f"{prefix}{n}{m['suffix']}" for n in nums)

    return _AREA_NUMS.sub(expand, text)


_REGISTERED = r"常住户口|户口|户籍生|生源|常住人口|户籍人口|村民子女|随迁子女|子女|居民|住户|适龄儿童|适龄少年"
WHO_WORDS = rf"(?:{_REGISTERED}|人口|儿童|学生|家庭)"
"""Who a zone's rule is about (户口, 随迁子女, 学生…), never where."""
WHO_TAIL = re.compile(rf"(?:的)?(?:户籍|常住|流动人口|本地)*(?:的)?(?:{_REGISTERED})?(?:等)?$")
"""Registration words (and 等) after a place: ``WHO_TAIL.sub("", item)`` leaves the place
(东关村户籍的常住户口 → 东关村).  Narrower than :data:`WHO_WORDS`: a sentence ending in 学生 or
儿童 (招生对象为…学龄儿童) is prose, left whole for the prose check."""

AREA_TAIL = re.compile(
    r"(?<=\S{2})(?:所辖的?(?:区域|范围)+|(?<=片|区)(?:所辖|对应)?的?各?行政村"
    r"|(?<=村|乡|镇|道|查|区)(?:所辖|所属)的?(?:各|所有|全部)?(?:自然村|行政村|村民小组|村庄|村|组|社区)"
    r"|范围内的?(?:社区|村|小区)(?:及股份经济合作社)?)$"
)
"""原周浦乡所辖的区域范围 / 大青片所辖各行政村 / 鸣翠桃源范围内的社区 / 和平村所辖各自然村 /
城关乡所属各村: the place before."""
LIST_WHO_TAIL = re.compile(
    r"(?<=\S{2})(?:的)?(?:有意愿|自愿)?(?:的)?(?:[一二三四五]表(?:生源|生)?[、和及与]?)+"
    r"(?:生源|学生|适龄儿童)?$"
)
"""…宕里社区其他区域有意愿一表、二表生源: who of the whole list (一表生, 二表生 are enrollment
categories), never a place: ``LIST_WHO_TAIL.sub("", scope)`` before the list is split."""
UNIT_BEFORE_SIDE = re.compile(
    rf"(?P<unit>[{CN}]{{2,10}}?(?:社区|村|居委会|村委会))"
    r"(?![东南西北中]?(?:路|街|大街|大道|巷|弄|道)以)"  # 王家村东路以北: a street so named
    rf"(?=[{CN}\d]{{1,12}}?(?:路|街|道|巷|弄|河|江|溪|塘|渠|沟|线|堤)以[东南西北])"
)
"""A community or village written before a side of a street or river (杨家墩社区西江塘以北)."""
COMMITTEE = (
    (re.compile(r"(?<=村)村(?:民委员|委)会$"), ""),  # 伊村村委会: 伊村
    (re.compile(r"(?<=\S{2})(?<!村)村(?:民委员|委)会$"), "村"),  # 西湖村委会: 西湖村
    (re.compile(r"(?<=社区)居(?:民委员|委)会$"), ""),  # 南郊社区居委会: 南郊社区
)
"""伊村村委会 / 西湖村委会 / 南郊社区居委会: the committee names its village or community
(``(pattern, replacement)`` pairs, applied in order)."""
CONTAINS_LABEL = (
    r"(?:其中)?(?:(?:包含|包括|含有?)(?:的)?(?:小区|住宅小区|楼盘|社区|村庄?|居民区)?"
    r"|主要(?:的)?(?:小区|住宅小区|楼盘|社区|村庄?|居民区|村居)(?:有|包括|为))"
)
"""其中包含小区：东方海岸、光明府… / 主要社区有：溪头、沙浦…: a label before a list (a pattern
string), no place itself."""
LEAD_VERB = re.compile(r"^(?:学校)?(?:面向|接纳|招收)(?=\S{2,})")
"""接纳青城社区 / 学校面向瑶琳镇…招生: a verb before the place."""
TOWN_OFFICE = re.compile(rf"(?<=[{CN}]{{2}})街(?:道办事处|道办(?!事)|办)")
"""斜口街办 / 任留街道办事处 / 新丰街道办: the township's office names the township (街道)."""
CATEGORY = re.compile(
    r"(?:(?:户籍|房产|务工经商|经商务工|外来务工|居住证|租房|租赁|随迁子女|其他)(?:生|类|人员)"
    r"(?:[及和与、]|$))+"
)
"""An enrollment category (房产生、务工经商类、居住证类及其他类): who, never where."""
SETTLED = re.compile(r"(?<=\S{2})(?:已落户|已入住|已交付)的?(?:范围|区域|住户|居民)?(?=$|[（(])")
"""颐馨湿地壹号已落户范围: who lives there (``SETTLED.sub("", item)`` leaves the place)."""

_PLACE_END = r"(?:村|社区|小区|苑|园|组|路|街|巷|\d区|轩|府|邸|公寓|大厦|花园|家园|新村|住宅区|广场|城|乡|镇)"
_JOINED = re.compile(
    rf"^(?P<a>[{CN}A-Za-z0-9]{{2,20}}?{_PLACE_END})(?:和|及)(?P<b>(?!\d+个)[{CN}A-Za-z0-9]{{1,20}}?{_PLACE_END}"
    r"(?:[（(][^（）()]*[）)])?)$"
)


def split_joined(item: str) -> list[str]:
    """Two places joined by 和/及 (``秋丰村和春华村``) → both; one name (林语和鸣) stays.

    Both sides must end in a place word (村/社区/小区/苑/园/组/路/街/巷).

    >>> split_joined("秋丰村和春华村"), split_joined("林语和鸣"), split_joined("东关村及西关村")
    (['秋丰村', '春华村'], ['林语和鸣'], ['东关村', '西关村'])
    """
    m = _JOINED.match(re.sub(r"的?(?:常住户口|户籍人口|常住人口|户籍)$", "", item.strip()))
    if not m:
        return [item]
    return [*split_joined(m["a"]), *split_joined(m["b"])]


_RING_SEP = re.compile(r"\s*(?:→|->|——|--|—|－－)\s*")
_RING = re.compile(
    r"^(?:(?:由|从|自)?(?P<start>[东南西北])起)?(?P<chain>[^，,；;。]+?)"
    r"(?:(?P<inside>以内|之内|范围内|范围以内|内|围成|合围|围合)的?(?:区域|范围|片区|地块|区块)?"
    r"|(?P<area>区域|范围|片区))"
    r"(?P<rest>(?:的?(?:社区|村|小区|股份经济合作社|居民区|居民)(?:及|和|、)?)*)$"
)


def parse_ring(text: str) -> list[str] | None:
    """A ring of streets walked in order (``A→B→C→D以内区域``, ``东起A——B——C区域``) →
    the streets in order, or None.

    The streets enclose the area, the last meeting the first; three or more are needed,
    joined by arrows or long dashes.  A chain with no closing word (…以内区域, …区域, …范围内)
    is no ring: it may be an edge (see :func:`walked_edge_reason`).

    >>> parse_ring("富春湾大道→经纬路→亭山西路→望波南街以内区域")
    ['富春湾大道', '经纬路', '亭山西路', '望波南街']
    >>> parse_ring("东起迎春南路——城南路——大奇山路——富春江堤区域")
    ['迎春南路', '城南路', '大奇山路', '富春江堤']
    >>> parse_ring("西环北路→二号渠→305 省道→青云浦（四号渠）范围内的社区及股份经济合作社")
    ['西环北路', '二号渠', '305省道', '青云浦']
    >>> parse_ring("东起滨江四弄——富春路——小岭路为界西南区域") is None
    True
    """
    m = _RING.match(text.strip().strip("。；;，, "))
    if not m or not (m["inside"] or m["area"] or m["start"]) or not (m["inside"] or m["area"]):
        return None
    chain = m["chain"]
    if len(_RING_SEP.findall(chain)) < 2 or re.search(r"以[东南西北]|为界|至|沿", chain):
        return None
    streets = []
    for raw in _RING_SEP.split(chain):
        name = re.sub(r"[（(][^（）()]*[）)]", "", raw)  # 青云浦（四号渠）: the alias dropped
        name = re.sub(r"(?<=[\dA-Za-z])\s+(?=[{CN}])".replace("{CN}", CN), "", name).strip()
        if not re.fullmatch(rf"[{CN}A-Za-z0-9]{{2,20}}", name):
            return None
        streets.append(name)
    return streets if len(streets) >= 3 else None


_STREET_NAME = rf"[{CN}A-Za-z0-9]{{2,20}}?"
_WALK_START = re.compile(
    rf"^(?:(?:由|从|自)?[东南西北](?:起|从|自)(?P<s>{_STREET_NAME})(?:起|开始)?"
    rf"|(?:由|从|自)(?P<a>{_STREET_NAME})(?:与|和)(?P<b>{_STREET_NAME})"
    r"(?:交叉口|交叉点|交汇处|交汇点|路口|十字路口)(?:起|开始)?)$"
)
_WALK_STEP = re.compile(
    rf"^(?:再|然后|后|又)?(?:沿|顺)(?:着)?(?P<along>{_STREET_NAME})(?:向|往|朝)?"
    r"(?:[东南西北]{1,2})?(?:方向)?(?:延伸|延长)?(?:至|到)"
    rf"(?:(?P<home>起点|出发点|原点)|(?P<to>{_STREET_NAME})(?:(?:与|和)(?P<to2>{_STREET_NAME})"
    r"(?:交叉口|交叉点|交汇处|交汇点|路口))?)(?:止|为止)?$"
)
_WALK_END = re.compile(
    r"(?:所|之)?(?:围成|合围|围合|围起|围)?(?:以内|之内)?的?(?:区域|范围|片区|地块)(?:内|以内)?$"
    r"|(?:回到|返回|至|到)(?:起点|出发点|原点)$"
)


def parse_walk(text: str) -> list[str] | None:
    """A boundary walked along streets back to its start (东起长安街，沿长安街向南至建设路，
    沿建设路向西至民生路，沿民生路向北至光明大街，沿光明大街向东至长安街) → the streets in
    order, or None (an open walk is an edge: :func:`walked_edge_reason`).

    >>> parse_walk("东起长安街，沿长安街向南至建设路，沿建设路向西至民生路，"
    ...            "沿民生路向北至光明大街，沿光明大街向东至长安街")
    ['长安街', '建设路', '民生路', '光明大街']
    >>> parse_walk("从长安街与光明大街交叉口起，沿长安街往南至建设路，沿建设路往西至民生路，"
    ...            "沿民生路往北至光明大街，沿光明大街往东至起点所围区域")
    ['长安街', '建设路', '民生路', '光明大街']
    >>> parse_walk("东起长安街，沿长安街向南至建设路，沿建设路向西至民生路") is None
    True
    """
    clauses = [
        c.strip() for c in re.split(r"[，,；;]", text.strip().strip("。；;，, ")) if c.strip()
    ]
    if len(clauses) < 3:
        return None
    last = _WALK_END.sub("", clauses[-1]).strip()
    home = last != clauses[-1] and not last  # …，回到起点: a clause of its own
    if home:
        clauses = clauses[:-1]
    else:
        clauses[-1] = last or clauses[-1]
    start: list[str] = []
    sm = _WALK_START.match(clauses[0])
    if sm:
        start = [x for x in (sm["s"], sm["a"], sm["b"]) if x]
        clauses = clauses[1:]
    streets: list[str] = start[:1] if len(start) == 1 else []  # a crossing: the walk orders it
    closed = home
    for k, clause in enumerate(clauses):
        m = _WALK_STEP.match(clause)
        if not m:
            return None
        along = strip_lead(m["along"])
        if m["home"]:
            if k != len(clauses) - 1:
                return None
            closed = True
        to = [x for x in (m["to"], m["to2"]) if x and x != along]
        for name in (along, *to):
            if streets and name == streets[0] and k == len(clauses) - 1 and name != along:
                closed = True
                continue
            if name not in streets:
                streets.append(name)
        if k == len(clauses) - 1 and to and (to[0] in start or to[0] == streets[0]):
            closed = True
    if not closed or len(streets) < 3 or not set(start) <= set(streets):
        return None
    return streets


_WALKED = re.compile(
    r"(?:^|[，,；;：:])\s*(?:由|从|自)?[东南西北](?:起|从|自)"
    r"|(?:交叉点|交叉口|路口)?沿[^，,；;]{1,20}?(?:往|向)?[东南西北]{0,2}(?:延伸)?至"
    r"|为界[东南西北]{1,2}(?:侧)?(?:区域|范围)"
    r"|(?:→|->)"
    r"|(?:^|[，,；;：:])[^，,；;：:、至]{2,12}(?<![东南西北])至[^，,；;：:、至]{2,12}(?<![东南西北])至"  # A至B至C
)


def walked_edge_reason(text: str) -> str | None:
    """Why a fragment that walks a boundary (东起…沿…至…, A→B→C, …为界西南区域) produced no
    rule, or None when it does not walk one.

    >>> walked_edge_reason("东起滨江四弄——富春路——小岭路为界西南区域")[:7]
    '沿路描述的边界'
    >>> walked_edge_reason("东南旅游码头至珍珠半岛至东方海岸小区")[:7]
    '沿路描述的边界'
    >>> walked_edge_reason("幸福小区") is None, walked_edge_reason("东至人民路，南至胜利路") is None
    (True, True)
    """
    if not _WALKED.search(text):
        return None
    return (
        "沿路描述的边界（东起…沿…至…、A→B→C、…为界西南区域）未建模，请人工画出或改写为四至 "
        "walked boundary (东起…沿…至…, A→B→C, …为界西南区域) not modelled: no ring of "
        "streets closes it; draw it by hand or rewrite it as 东至/南至/西至/北至"
    )
