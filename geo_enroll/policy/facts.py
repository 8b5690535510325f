"""Policy facts: jurisdiction, year, age cutoff, seats, class caps, timeline, eligibility.

Every fact comes from a named phrase pattern (:mod:`geo_enroll.policy.grammar`); a fact the
text does not give is None (or an empty list), never invented.

>>> f = extract_facts(["某某县2024年招生方案", "凡年满6周岁（2018年8月31日及以前出生）的儿童"])
>>> f["jurisdiction"], f["year"], f["age_cutoff"]
('某某县', 2024, '2018-08-31')
"""

from __future__ import annotations

import calendar
import re

from . import units as _units
from .grammar import CN, PATTERNS, cn_number, split_top, strip_ordinal
from .publicity import _contacts, _issuer, _not_modelled, _reporting, timeline_kind

__all__ = ["blank_policy", "extract_facts", "derive_multi_school", "timeline_kind"]


def _iso(y: int | str, m: int | str, d: int | str) -> str | None:
    try:
        y, m, d = int(y), int(m), int(d)
        if not (1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]):
            return None
    except (TypeError, ValueError):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _src(text: str, line: int, at: int | None = None) -> dict:
    """Source of a fact: the sentence of ``text`` containing position ``at`` (whole line if None)."""
    if at is not None:
        start = max(text.rfind(ch, 0, at) for ch in "。；;") + 1
        ends = [i for i in (text.find(ch, at) for ch in "。；;") if i >= 0]
        end = min(ends) + 1 if ends else len(text)
        text = text[start:end]
    return {"text": text.strip(), "line": line}


def _jurisdiction(lines: list[str]) -> tuple[str | None, int | None]:
    front: dict[str, str] = {}
    for raw in lines[:40]:
        fm = PATTERNS["front_matter_field"].match(raw.strip())
        if fm:
            front.setdefault(fm["key"], fm["value"].strip())
        pm = re.search(r"place:\s*([^;]+?)(?:;|$)", raw)
        if pm and raw.lstrip().startswith("<!--"):
            front.setdefault("place", pm[1].strip())
    for raw in lines[:15]:
        line = raw.strip().lstrip("#").strip()
        m = PATTERNS["title_jurisdiction"].match(line)
        if m:
            name = re.sub(r"^.*?(?:省|市)(?=[^市]{2,}(?:区|县|旗)$)", "", m["j"])
            return name, int(m["year"])
        m2 = re.match(rf"^(?P<j>[{CN}]{{2,12}}?(?:旗|区|县))(?P<y>20\d\d)年", line)
        if m2:
            return m2["j"], int(m2["y"])
    name = front.get("district")
    if not name and front.get("place"):
        name = re.sub(r"^.*?(?:省|市)(?=[^市]{2,}(?:区|县|旗))", "", front["place"])
        name = re.split(r"\s|\(", name)[0]
    year = None
    for key in ("policy_year", "year"):
        if front.get(key, "").isdigit():
            year = int(front[key])
            break
    if year is None:
        for raw in lines[:15]:
            ym = re.search(r"(20\d\d)年", raw)
            if ym:
                year = int(ym[1])
                break
    if not name:
        for raw in lines[:15]:
            name = next(
                (
                    jm[1]
                    for jm in re.finditer(rf"([{CN}]{{2,6}}(?:旗|区|县))(?![域间内块划])", raw)
                    if _district_like(jm[1])
                ),
                None,
            )
            if name:
                break
    return name, year


_NOT_DISTRICT = re.compile(
    r"(?:片|学|校|社|小|园|景|街|辖|市|城|郊|矿|厂)区$|小学|中学|学校|招收|招生|可|划"
)


def _district_like(name: str) -> bool:
    """A name found in prose is taken for the jurisdiction when it is a district or county
    of China, or at least does not read as a school's area (北街小学片区, 学区, 城区).

    >>> _district_like("大邑县"), _district_like("东城区"), _district_like("收北街小学片区")
    (True, True, False)
    >>> _district_like("本学区"), _district_like("新城片区"), _district_like("某某县")
    (False, False, True)
    """
    known = _units.district_names()
    if name in known or any(name.endswith(k) for k in known if len(k) >= 3 and k[-1] in "区县旗"):
        return True
    return not _NOT_DISTRICT.search(name)


def _county_code(name: str | None, county: str | None) -> str | None:
    if county:
        return county
    if not name:
        return None
    for code, cname in _units.COUNTIES.items():
        if name == cname or name.endswith(cname) or cname.startswith(name):
            return code
    return None


def blank_policy(jurisdiction, county_code, year) -> dict:
    """The ``policy`` part of a spec with every fact unknown (the text or layer fills it in).

    >>> list(blank_policy("玩具镇", None, 2024))[:3]
    ['jurisdiction', 'county_code', 'year']
    """
    return {
        "jurisdiction": jurisdiction,
        "county_code": county_code,
        "year": year,
        "age_cutoff": None,
        "seat_plan": {"primary": None, "middle": None},
        "class_cap": {"primary": None, "middle": None},
        "hukou_migration_cutoff": None,
        "appeal_window_working_days": None,
        "timeline": [],
    }


def extract_facts(lines: list[str], *, county: str | None = None) -> dict:
    """The ``policy`` part of a spec from the lines of a policy text."""
    jurisdiction, year = _jurisdiction(lines)
    facts: dict = blank_policy(jurisdiction, _county_code(jurisdiction, county), year)
    facts["sources"] = {}
    for idx, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        m = PATTERNS["age_cutoff"].search(line)
        if m and facts["age_cutoff"] is None:
            facts["age_cutoff"] = _iso(m["y"], m["m"], m["d"])
            facts["sources"]["age_cutoff"] = _src(line, idx, m.start())
        for m in PATTERNS["seat_plan"].finditer(line):
            level = "primary" if m["level"] == "小学" else "middle"
            if facts["seat_plan"][level] is None:
                facts["seat_plan"][level] = int(m["n"])
                facts["sources"][f"seat_plan.{level}"] = _src(line, idx)
        m = PATTERNS["class_cap_pair"].search(line)
        if m:
            for level, n in (("primary", m["p"]), ("middle", m["m"])):
                if facts["class_cap"][level] is None:
                    facts["class_cap"][level] = int(n)
                    facts["sources"][f"class_cap.{level}"] = _src(line, idx, m.start())
        for m in PATTERNS["class_cap"].finditer(line):
            level = "primary" if m["level"] == "小学" else "middle"
            if facts["class_cap"][level] is None:
                facts["class_cap"][level] = int(m["n"])
                facts["sources"][f"class_cap.{level}"] = _src(line, idx, m.start())
        m = PATTERNS["hukou_migration"].search(line)
        if m and facts["hukou_migration_cutoff"] is None:
            facts["hukou_migration_cutoff"] = _iso(m["y"], m["m"], m["d"])
            facts["sources"]["hukou_migration_cutoff"] = _src(line, idx, m.start())
        m = PATTERNS["appeal_window"].search(line)
        if m and facts["appeal_window_working_days"] is None:
            facts["appeal_window_working_days"] = cn_number(m["n"] or m["n2"])
            facts["sources"]["appeal_window_working_days"] = _src(line, idx, m.start())
    facts["timeline"] = _timeline(lines, year)
    for t in facts["timeline"]:
        t["kind"] = timeline_kind(t["text"])
    issuer = _issuer(lines, jurisdiction)
    if issuer:  # absent when the text names none (TOML keeps no null)
        facts["issuer"] = issuer["name"]
        facts["sources"]["issuer"] = issuer["source"]
    facts["contacts"] = _contacts(lines)
    facts["reporting"] = _reporting(lines)
    facts["not_modelled"] = _not_modelled(lines)
    facts["eligibility"] = _eligibility(lines)
    return facts


def _dekad(year: int, month: int, part: str) -> tuple[str | None, str | None]:
    last = calendar.monthrange(year, month)[1]
    span = {
        "上旬": (1, 10),
        "中旬": (11, 20),
        "下旬": (21, last),
        "中下旬": (11, last),
        "上中旬": (1, 20),
        "底": (21, last),
        "初": (1, 10),
    }[part]
    return _iso(year, month, span[0]), _iso(year, month, span[1])


def _timeline(lines: list[str], year: int | None) -> list[dict]:
    """Dated steps: ``7月1日-7月31日：…`` lines and (date, work) table rows."""
    if year is None:
        return []
    out = []
    cells = [(i, raw.strip()) for i, raw in enumerate(lines, start=1)]
    for pos, (idx, line) in enumerate(cells):
        if not line:
            continue
        parts = re.split(r"[：:]", line, maxsplit=1)
        head, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        head = head.strip()
        start = end = None
        m = PATTERNS["date_range"].match(head)
        if m and (rest or lines[idx - 1].startswith("\t")):
            start = _iso(year, m["m1"], m["d1"])
            end = _iso(year, m["m2"] or m["m1"], m["d2"])
        elif (mb := PATTERNS["date_before"].match(head)) and lines[idx - 1].startswith("\t"):
            end = _iso(year, mb["m"], mb["d"])
        elif (mf := PATTERNS["date_from"].match(head)) and lines[idx - 1].startswith("\t"):
            start = _iso(year, mf["m"], mf["d"])
        elif (md := PATTERNS["date_dekad"].match(head)) and lines[idx - 1].startswith("\t"):
            start, end = _dekad(year, int(md["m"]), md["part"])
        else:
            continue
        text = rest.strip()
        if not text:  # a table: the work is in the next cell
            nxt = next((c for c in cells[pos + 1 : pos + 3] if c[1]), None)
            text = nxt[1] if nxt else ""
        if start is None and end is None:
            continue
        out.append({"start": start, "end": end, "text": text.strip(), "line": idx})
    return out


# ---- eligibility -------------------------------------------------------------------------


def _items_after(lines: list[str], start: int, limit: int = 12) -> list[tuple[int, str]]:
    """Numbered list items (1.… 2.…) following line ``start`` (1-based)."""
    out = []
    for idx in range(start + 1, min(len(lines), start + 1 + limit * 2) + 1):
        raw = lines[idx - 1].strip()
        if not raw:
            continue
        if re.match(r"^\d+[.、．]", raw):
            out.append((idx, raw))
        elif out:
            break
    return out


def _category(text: str) -> str:
    text = strip_ordinal(text).strip("；;。， ")
    if text.endswith("子女") and "的" in text:
        return text.rsplit("的", 1)[1]
    return text


def _eligibility(lines: list[str]) -> dict:
    elig = {
        "address_basis": [],
        "treated_as_local": [],
        "free_choice_categories": [],
        "priority_categories": [],
        "sibling_rule": None,
        "deferral": None,
        "multi_school_zoning": None,
        "source": [],
    }
    seen_src: set = set()

    def cite(line: str, idx: int, at: int | None = None):
        src = _src(line, idx, at)
        if (idx, src["text"]) not in seen_src:
            seen_src.add((idx, src["text"]))
            elig["source"].append(src)

    def basis(name: str, line: str, idx: int, m: re.Match | None):
        if name not in elig["address_basis"]:
            elig["address_basis"].append(name)
            cite(line, idx, m.start() if m else None)

    for idx, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if m := PATTERNS["basis_agree"].search(line):
            basis("hukou_property_agree", line, idx, m)
        if m := PATTERNS["basis_residence"].search(line):
            basis("actual_residence", line, idx, m)
        if m := (
            re.search(r"招收[^。]*户籍[^。]*(?:适龄儿童|小学毕业生|学生)", line)
            or re.search(r"依据户口|按户籍所在地", line)
        ):
            basis("hukou", line, idx, m)
        if m := PATTERNS["property_rule"].search(line):
            basis("property_in_zone", line, idx, m)
        if PATTERNS["treated_as_local"].search(line) and line.endswith(("：", ":")):
            for item_idx, item in _items_after(lines, idx):
                cat = _category(item)
                if cat and cat not in elig["treated_as_local"]:
                    elig["treated_as_local"].append(cat)
                    cite(item, item_idx)
            cite(line, idx)
        for sentence in split_top(line, "。；;"):
            for clause in split_top(sentence, "，,"):
                fm = PATTERNS["free_choice_category"].search(clause)
                if fm and not re.search(
                    r"(?:到|进入)[^，。]{0,12}(?:学校|小学|中学)就读",
                    clause.split("自主选择", 1)[-1]
                    .replace("义务教育学校", "")
                    .replace("中小学", ""),
                ):
                    cat = fm["who"] + "子女"
                    if cat not in elig["free_choice_categories"]:
                        elig["free_choice_categories"].append(cat)
                        cite(sentence, idx)
            if PATTERNS["priority_trigger"].search(sentence):
                for cat in _priority(sentence):
                    if cat not in elig["priority_categories"]:
                        elig["priority_categories"].append(cat)
                        cite(sentence, idx)
        if (m := PATTERNS["sibling_rule"].search(line)) and elig["sibling_rule"] is None:
            elig["sibling_rule"] = True
            cite(line, idx, m.start())
        if (m := PATTERNS["deferral"].search(line)) and elig["deferral"] is None:
            elig["deferral"] = True
            cite(line, idx, m.start())
        if (m := PATTERNS["multi_school"].search(line)) and elig["multi_school_zoning"] is None:
            elig["multi_school_zoning"] = True
            cite(line, idx, m.start())
    _eligibility_rules(lines, elig, cite)
    elig["source"].sort(key=lambda s: s["line"])
    return elig


_CN_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "半": 0.5}


def _num(t: str) -> float | None:
    t = str(t or "")
    if t.isdigit():
        return int(t)
    return _CN_SMALL.get(t)


def _sets_material_check(sentence: str) -> bool:
    """A sentence setting a material check for non-local children (延庆 lines 65, 73, 79)."""
    return (
        "材料" in sentence
        and re.search(r"非本市户籍|随迁|居住证", sentence) is not None
        and re.search(r"审核|审查|核验|核查", sentence) is not None
    )


def _eligibility_rules(lines: list[str], elig: dict, cite) -> None:
    """Rules of who counts and how priority ranks (each cited in ``elig["source"]``):

    - ``priority_kind``: per priority category, ``tie_break`` when its sentence says
      同等条件下 (照顾 only among children of the same tier), else ``tier`` (placed first);
    - ``disability_priority``: ``tie_break`` (同等条件下…优先), ``tier`` (优先 alone), ``none``
      (条件与正常儿童…相同); absent when the text is silent;
    - ``property_excluded``: property evidence that is not a basis for zoning (…不作为…依据);
    - ``scrutinised_housing``: housing checked with care (加强对过道房、地下室…的审核);
    - ``residence_proof_months``: months of proof of living there (半年以上…实际入住佐证);
    - ``other_district``: ``{"rental_years", "work_years"}`` for children of another district
      of the same city without a home (连续单独承租并实际居住3年以上…就业3年以上);
    - ``approval_categories``: categories admitted only with an approval (…严格审批);
    - ``material_check``: True when the text sets a material check (材料…审核) for non-local
      children (非本市户籍 / 随迁 / 居住证); absent when silent.  Dated table rows (the
      timeline's 材料审核 step) are not rules and are not read here.

    >>> e = {"priority_categories": ["烈士子女", "残疾儿童少年"], "source": []}
    >>> _eligibility_rules(["残疾儿童少年同等条件下在服务范围内就近就便优先入学。",
    ...     "烈士子女、华侨子女按有关规定在同等条件下给予照顾。",
    ...     "区级以上引进人才的子女入学，规范管理，严格审批。"], e, lambda *a: None)
    >>> e["priority_kind"], e["disability_priority"], e["approval_categories"]
    ({'残疾儿童少年': 'tie_break', '烈士子女': 'tie_break'}, 'tie_break', ['区级以上引进人才的子女'])
    >>> e = {"source": []}
    >>> _eligibility_rules(["非本市户籍儿童需提供居住证等材料，到街道进行审核。"], e, lambda *a: None)
    >>> e["material_check"]
    True
    """
    elig["priority_kind"] = {}
    elig["property_excluded"] = []
    elig["scrutinised_housing"] = []
    elig["approval_categories"] = []
    # disability_priority, residence_proof_months, other_district: absent when the text is silent
    cats = list(elig.get("priority_categories") or [])
    for idx, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        for sentence in split_top(line, "。；;"):
            if not raw.startswith("\t") and _sets_material_check(sentence):
                elig["material_check"] = True
                cite(sentence, idx)
            tie = "同等条件下" in sentence
            trigger = PATTERNS["priority_trigger"].search(sentence)
            for cat in cats if trigger else ():
                if cat in sentence and cat not in elig["priority_kind"]:
                    elig["priority_kind"][cat] = "tie_break" if tie else "tier"
            if "残疾" in sentence and elig.get("disability_priority") is None:
                if re.search(r"条件与[^。]{0,8}(?:正常|其他|普通)[^。]{0,10}相同", sentence):
                    elig["disability_priority"] = "none"
                    cite(sentence, idx)
                elif "优先" in sentence:
                    elig["disability_priority"] = "tie_break" if tie else "tier"
                    cite(sentence, idx)
            if m := re.search(r"^(?P<items>[^。]+?)不作为[^。]{0,8}依据", sentence):
                for item in re.split(r"、", m["items"]):
                    item = re.sub(r"^(?:各类|其他)", "", item.strip("，, "))
                    if item and item not in elig["property_excluded"]:
                        elig["property_excluded"].append(item)
                cite(sentence, idx)
            if m := re.search(r"加强对(?P<items>[^。]{2,40}?)的审核", sentence):
                for item in m["items"].split("、"):
                    if item and item not in elig["scrutinised_housing"]:
                        elig["scrutinised_housing"].append(item)
                cite(sentence, idx)
            m = re.search(
                r"(?P<n>半年|\d+个月|[一二三四五六]个月)以上[^。]{0,40}?(?:入住|居住)", sentence
            )
            if m and elig.get("residence_proof_months") is None:
                n = m["n"]
                months = 6 if n == "半年" else _num(n.removesuffix("个月"))
                if months:
                    elig["residence_proof_months"] = int(months)
                    cite(sentence, idx)
            rent = re.search(r"承租[^。，]{0,10}?(?P<n>\d+|[一二三四五])年以上", sentence)
            work = re.search(r"(?:就业|工作)(?P<n>\d+|[一二三四五])年以上", sentence)
            if rent and elig.get("other_district") is None:
                elig["other_district"] = {"rental_years": _num(rent["n"])}
                if work:
                    elig["other_district"]["work_years"] = _num(work["n"])
                cite(sentence, idx)
            if m := re.search(rf"(?P<who>[{CN}]{{2,20}}?子女)入学[^。]{{0,20}}严格审批", sentence):
                if m["who"] not in elig["approval_categories"]:
                    elig["approval_categories"].append(m["who"])
                    cite(sentence, idx)


def _priority(sentence: str) -> list[str]:
    """Categories listed before an 优待/照顾/优先 verb."""
    m = PATTERNS["priority_trigger"].search(sentence)
    head = sentence[: m.start()] if m else sentence
    head = re.sub(r"^.*?(?:保障|对|其中)", "", head) if re.search(r"保障|对", head) else head
    head = head.split("，")[0] if "，" in head else head
    out = []
    for part in re.split(r"、|及(?=其他)", head):
        part = part.strip("，, ")
        if not part or part.startswith("其他"):
            continue
        part = re.sub(r"^符合(?:优待)?条件的", "", part)
        if "同等条件下" in part:
            part = part.split("同等条件下")[0]
        part = re.sub(r"(?:按照?有关规定|按照?相关规定|在服务范围内.*)$", "", part)
        if re.search(r"子女|学生|儿童|少年", part) and len(part) <= 30:
            out.append(part)
    return out


def derive_multi_school(policy: dict, schools: list[dict]) -> None:
    """multi_school_zoning: True when the text says so; False when every zone names one school."""
    elig = policy["eligibility"]
    if elig["multi_school_zoning"] is None:
        has_multi = any(
            z.get("multi_school") or z["kind"] == "multi_school"
            for s in schools
            for z in s["zones"]
        )
        if has_multi:
            elig["multi_school_zoning"] = True
        elif any(s["zones"] for s in schools):
            elig["multi_school_zoning"] = False
