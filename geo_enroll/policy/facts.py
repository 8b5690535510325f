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

__all__ = ["extract_facts", "derive_multi_school"]


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
            jm = re.search(rf"([{CN}]{{2,6}}(?:旗|区|县))(?![域间内块划])(?:20\d\d)?", raw)
            if jm:
                name = jm[1]
                break
    return name, year


def _county_code(name: str | None, county: str | None) -> str | None:
    if county:
        return county
    if not name:
        return None
    for code, cname in _units.COUNTIES.items():
        if name == cname or name.endswith(cname) or cname.startswith(name):
            return code
    return None


def extract_facts(lines: list[str], *, county: str | None = None) -> dict:
    """The ``policy`` part of a spec from the lines of a policy text."""
    jurisdiction, year = _jurisdiction(lines)
    facts: dict = {
        "jurisdiction": jurisdiction,
        "county_code": _county_code(jurisdiction, county),
        "year": year,
        "age_cutoff": None,
        "seat_plan": {"primary": None, "middle": None},
        "class_cap": {"primary": None, "middle": None},
        "hukou_migration_cutoff": None,
        "appeal_window_working_days": None,
        "timeline": [],
        "sources": {},
    }
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
    elig["source"].sort(key=lambda s: s["line"])
    return elig


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
