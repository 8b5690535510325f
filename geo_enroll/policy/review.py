"""The review page: the policy text with every span coloured by the rule it produced.

A planner checks a parse here before publishing: each line of the text is shown once; the
part a rule came from (its ``fragment``, else its whole source line) is coloured by the rule's
kind and shows the rule on hover; ``unparsed`` spans are marked red with their reason; lines
of the text that produced nothing are left plain.  A table per school counts its rules by
kind.  The page is one self-contained HTML file (no script, no network).

>>> from geo_enroll.policy import parse_policy
>>> text = "某县2024年招生方案\\n一、招生范围\\n1.第一小学招收城关镇户籍适龄儿童。"
>>> page = review_html(text, parse_policy(text))
>>> page.count('"rule k-admin_units'), "第一小学" in page
(1, True)
"""

from __future__ import annotations

import html
import json
from collections import Counter

__all__ = ["review_html", "KIND_COLOURS"]

KIND_COLOURS = {
    "admin_units": "#cfe8ff",
    "street_limits": "#ffe0b3",
    "directional_bounds": "#ffd6e7",
    "street_list": "#d9f7be",
    "compound": "#efdbff",
    "multi_school": "#b5f5ec",
    "alternative": "#fff1b8",
    "free_choice": "#f4ffb8",
    "property_rule": "#e6e6e6",
    "feeder": "#d6e4ff",
    "remainder": "#e8e8ff",
}
"""Background colour of each zone kind on the page."""

_SKIP = ("rule_id", "kind", "source", "fragment", "also_sources")


def _summary(school: dict, zone: dict) -> str:
    """What a hover shows: the school, the rule id and kind, then the rule's own fields."""
    fields = {k: v for k, v in zone.items() if k not in _SKIP and v not in (None, [], {})}
    body = json.dumps(fields, ensure_ascii=False, indent=1)
    return f"{school['name']} · {zone['rule_id']} · {zone['kind']}\n{body}"


def _marks(spec: dict) -> dict[int, list[tuple]]:
    """Per line: (-1, -1, css class, hover text, fragment) of every span to colour."""
    out: dict[int, list[tuple]] = {}
    for school in spec["schools"]:
        for zone in school["zones"]:
            hover = _summary(school, zone)
            for src in [zone["source"], *zone.get("also_sources", [])]:
                out.setdefault(src["line"], []).append(
                    (-1, -1, f"rule k-{zone['kind']}", hover, zone.get("fragment") or "")
                )
    for u in spec["unparsed"]:
        hover = f"未解析 unparsed: {u['reason']}"
        out.setdefault(u["line"], []).append((-1, -1, "unparsed", hover, u["text"]))
    return out


def _render_line(raw: str, marks: list) -> str:
    """One line with its spans: a fragment found in the line is coloured where it stands;
    a rule whose fragment is not found colours the whole line (once)."""
    spans: list[tuple[int, int, str, str]] = []
    whole: list[tuple[str, str]] = []
    for _, _, css, hover, frag in marks:
        frag = frag.strip()
        at = raw.find(frag) if frag else -1
        if at >= 0 and not any(a < at + len(frag) and at < b for a, b, _, _ in spans):
            spans.append((at, at + len(frag), css, hover))
        else:
            whole.append((css, hover))
    spans.sort()
    parts, pos = [], 0
    for a, b, css, hover in spans:
        parts.append(html.escape(raw[pos:a]))
        parts.append(
            f'<span class="{css}" data-rule="{html.escape(hover, quote=True)}">'
            f"{html.escape(raw[a:b])}</span>"
        )
        pos = b
    parts.append(html.escape(raw[pos:]))
    text = "".join(parts)
    if whole:
        css = whole[0][0]
        hover = "\n\n".join(h for _, h in whole)
        text = (
            f'<span class="{css} whole" data-rule="{html.escape(hover, quote=True)}">{text}</span>'
        )
    return text


def review_html(text: str, spec: dict, *, title: str = "划片解析核对 parse review") -> str:
    """The review page of ``spec`` parsed from ``text``, as one HTML string.

    Parameters
    ----------
    text : str
        The policy text the spec was parsed from (line numbers refer to it).
    spec : dict
        The zone spec (:func:`geo_enroll.policy.parse_policy`).
    title : str
        The page title.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    marks = _marks(spec)
    kinds = sorted({z["kind"] for s in spec["schools"] for z in s["zones"]})
    n_rules = sum(len(s["zones"]) for s in spec["schools"])
    rows = []
    for s in spec["schools"]:
        counts = Counter(z["kind"] for z in s["zones"])
        cells = "".join(f"<td>{counts.get(k, '') or ''}</td>" for k in kinds)
        rows.append(
            f'<tr class="school"><td>{html.escape(s["name"])}</td><td>{s["level"]}</td>'
            f"<td>{len(s['zones'])}</td>{cells}</tr>"
        )
    head = "".join(f'<th class="k-{k}">{k}</th>' for k in kinds)
    body_lines = []
    for n, raw in enumerate(lines, start=1):
        css = "line"
        if n in marks:
            css += " has-unparsed" if any(m[2] == "unparsed" for m in marks[n]) else " has-rule"
        body_lines.append(
            f'<div class="{css}" id="L{n}"><span class="no">{n}</span>'
            f"{_render_line(raw, marks.get(n, []))}</div>"
        )
    legend = (
        "".join(f'<span class="key k-{k}">{k}</span> ' for k in KIND_COLOURS if k in kinds)
        + '<span class="key bad">unparsed 未解析</span>'
    )
    colours = "\n".join(f".k-{k} {{ background: {c}; }}" for k, c in KIND_COLOURS.items())
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; margin: 1em; }}
.summary b {{ font-size: 1.2em; }}
table {{ border-collapse: collapse; margin: .5em 0 1em; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; }}
.text {{ font-size: 14px; line-height: 1.6; white-space: pre-wrap; }}
.no {{ display: inline-block; width: 3.5em; color: #999; user-select: none; }}
.rule {{ border-radius: 3px; cursor: help; position: relative; }}
.rule:hover, .unparsed:hover {{ outline: 2px solid #333; }}
[data-rule]:hover::after {{ content: attr(data-rule); position: absolute; left: 0; top: 1.6em;
  z-index: 10; background: #fffbe6; border: 1px solid #999; padding: 4px 8px; font-size: 12px;
  white-space: pre; min-width: 20em; box-shadow: 2px 2px 6px #0003; }}
.unparsed {{ position: relative; }}
.unparsed, .bad {{ background: #ffccc7; text-decoration: underline wavy #cf1322; }}
.unparsed {{ cursor: help; }}
.key {{ padding: 0 4px; border-radius: 3px; }}
{colours}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="summary"><b id="n-schools">{len(spec["schools"])}</b> 所学校 schools ·
<b id="n-rules">{n_rules}</b> 条规则 rules ·
<b id="n-unparsed">{len(spec["unparsed"])}</b> 处未解析 unparsed ·
<b id="n-conflicts">{len(spec["conflicts"])}</b> 处冲突 conflicts</p>
<p class="legend">{legend}</p>
<table id="schools"><tr><th>学校 school</th><th>学段 level</th><th>规则 rules</th>{head}</tr>
{"".join(rows)}</table>
<div class="text">{"".join(body_lines)}</div>
</body></html>
"""
