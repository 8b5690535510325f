"""The policy as a document: lines, sentences, section levels and tables.

Everything here reads the text's layout, not its zoning meaning: sentences split at top-level
``。；;``, the level (小学/初中) of a section or of the whole document, and tables flattened as
tab-indented cells (one cell per line, rows split by blank lines) or Markdown pipes.
:class:`ParseContext` is the state one parse accumulates (schools, unparsed fragments).

>>> sentences("第一小学招收城关镇；第二小学招收新城镇。")
['第一小学招收城关镇', '第二小学招收新城镇']
>>> tables, used = read_tables(["| 学校 | 范围 |", "|---|---|", "| 第一小学 | 城关镇 |"])
>>> [row.cells for row in tables[0]], sorted(used)
([['学校', '范围'], ['第一小学', '城关镇']], [1, 2, 3])
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .grammar import PATTERNS, split_top

__all__ = [
    "LEVEL_WORDS",
    "Row",
    "ParseContext",
    "source_ref",
    "sentences",
    "read_tables",
    "table_level",
    "doc_level",
    "simplified",
    "level_words",
]


LEVEL_WORDS = (("小学", "primary"), ("初中", "middle"), ("中学", "middle"))
"""Level words in a heading or a name (Simplified; compare against :func:`simplified` text)."""


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Character-level Traditional → Simplified map (OpenCC's TSCharacters, first choice)."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        key, _, targets = raw.partition("\t")
        first = targets.split()[0] if targets.split() else ""
        if len(key) == 1 and len(first) == 1 and first != key:
            table[ord(key)] = first
    return table


def simplified(text: str) -> str:
    """``text`` with Traditional characters mapped one to one onto Simplified ones.

    Same length as ``text``, so offsets found in the result point into the original: the
    parser matches its (Simplified) phrase patterns on this and keeps names as written.

    >>> simplified("臺南市東區勝利國小學區")
    '台南市东区胜利国小学区'
    """
    return text.translate(_t2s_table())


@dataclass
class Row:
    """One table row: its cells, the line of its first cell, every cell's line, its text."""

    cells: list[str]
    line: int  # line of the first cell
    lines: list[int]
    text: str


@dataclass
class ParseContext:
    """What one parse accumulates: the county, schools, unparsed fragments, 多校划片 areas."""

    county: str | None
    schools: list[dict] = field(default_factory=list)
    unparsed: list[dict] = field(default_factory=list)
    slug: str = "policy"
    multi_areas: list[dict] = field(default_factory=list)  # 多校划片 areas naming schools
    shared: list[dict] = field(default_factory=list)  # shared zones naming schools (resolved late)
    feeders: list[dict] = field(default_factory=list)  # 对口 lines (resolved late)
    current: dict | None = None  # the school whose block the body is in (for 对口初中：…)
    area: dict | None = None  # the multi-school area (第一学区) whose lines are being read
    ids: set = field(default_factory=set)  # school ids given so far
    line_districts: list = field(default_factory=list)  # per line: its heading's district
    district_notes: list = field(default_factory=list)  # same-name school inferences (conflicts)

    def district_at(self, line: int) -> str | None:
        """The district (a heading's, see :mod:`.districts`) of a 1-based line, or None."""
        if 0 < line <= len(self.line_districts):
            return self.line_districts[line - 1]
        return None


def source_ref(text: str, line: int) -> dict:
    """A ``source`` entry: the sentence (stripped) and its 1-based line."""
    return {"text": text.strip(), "line": line}


def sentences(line: str) -> list[str]:
    """Split a line into sentences at top-level 。；;."""
    return split_top(line, "。；;")


def read_tables(lines: list[str]) -> tuple[list[list[Row]], set[int]]:
    """Tab-indented cell tables (one cell per line, rows split by blank lines), pipe tables
    and CSV tables in a fenced block (```csv … ```)."""
    tables: list[list[Row]] = []
    used: set[int] = set()
    for table, lines_used in _fenced_csv(lines):
        tables.append(table)
        used |= lines_used
    current: list[Row] = []
    cells: list[str] = []
    cell_lines: list[int] = []
    blank_run = 0

    def flush_row():
        nonlocal cells, cell_lines
        if cells:
            current.append(Row(cells, cell_lines[0], cell_lines, "\t".join(c for c in cells)))
        cells, cell_lines = [], []

    def flush_table():
        nonlocal current
        flush_row()
        if current:
            tables.append(current)
        current = []

    for idx, raw in enumerate(lines, start=1):
        if idx in used:
            flush_table()
            continue
        if raw.startswith("\t") and raw.strip() != "" or raw == "\t":
            cells.append(raw.strip().strip("　"))
            cell_lines.append(idx)
            used.add(idx)
            blank_run = 0
        elif raw.strip().startswith("|") and raw.strip().endswith("|"):
            flush_row()
            inner = [c.strip() for c in raw.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in inner if c):
                used.add(idx)
                continue
            current.append(Row(inner, idx, [idx], raw.strip()))
            used.add(idx)
        elif raw.strip() == "":
            flush_row()
            blank_run += 1
            if blank_run >= 3:
                flush_table()
        else:
            flush_table()
            blank_run = 0
    flush_table()
    return tables, used


def _fenced_csv(lines: list[str]):
    """``(rows, lines used)`` of every fenced block that is a CSV table.

    A block is a table when it is tagged ``csv`` (or untagged) and its first line and most
    rows have the same number (≥ 2) of comma-separated cells; quoted cells are read as CSV.
    """
    idx = 0
    while idx < len(lines):
        m = re.match(r"^\s*```\s*(?P<tag>[A-Za-z]*)\s*$", lines[idx])
        if not m:
            idx += 1
            continue
        end = next(
            (j for j in range(idx + 1, len(lines)) if lines[j].strip().startswith("```")), None
        )
        if end is None:
            return
        body = [(j + 1, lines[j]) for j in range(idx + 1, end) if lines[j].strip()]
        fences = {idx + 1, end + 1}
        idx = end + 1
        if m["tag"].lower() not in ("", "csv") or len(body) < 2:
            continue
        parsed = [(n, next(csv.reader([raw.strip()]))) for n, raw in body]
        width = len(parsed[0][1])
        same = sum(len(cells) == width for _, cells in parsed)
        if width < 2 or same < 0.8 * len(parsed):
            continue
        table = [
            Row([c.strip() for c in cells], n, [n] * len(cells), raw)
            for (n, cells), (_, raw) in zip(parsed, body, strict=True)
        ]
        yield table, {n for n, _ in body} | fences


def table_level(lines: list[str], first_line: int) -> str | None:
    """Level of the section a table sits in (the nearest heading above it naming one)."""
    for raw in reversed(lines[: max(0, first_line - 1)]):
        line = level_words(raw.strip())
        hm = PATTERNS["heading"].match(line)
        if line.startswith("#") or (hm and len(line) < 40):
            for word, level in LEVEL_WORDS:
                if word in line:
                    return level
    return None


def doc_level(lines: list[str]) -> str | None:
    """Level of the whole document from its first lines (``level: 小学``, 初中划片…)."""
    head = level_words("\n".join(lines[:20]))
    m = re.search(r"level:\s*(小学|初中)", head) or re.search(r"(小学|初中)(?:入学)?划片", head)
    if m:
        return "primary" if m[1] == "小学" else "middle"
    return None


def level_words(text: str) -> str:
    """Simplified text with Taiwan level words spelt as mainland ones (国民小学/国小 → 小学)."""
    text = simplified(text)
    return re.sub(r"国民小学|国小", "小学", re.sub(r"国民中学|国中", "初中", text))
