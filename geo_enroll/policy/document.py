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

import re
from dataclasses import dataclass, field

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
]


LEVEL_WORDS = (("小学", "primary"), ("初中", "middle"), ("中学", "middle"))


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


def source_ref(text: str, line: int) -> dict:
    """A ``source`` entry: the sentence (stripped) and its 1-based line."""
    return {"text": text.strip(), "line": line}


def sentences(line: str) -> list[str]:
    """Split a line into sentences at top-level 。；;."""
    return split_top(line, "。；;")


def read_tables(lines: list[str]) -> tuple[list[list[Row]], set[int]]:
    """Tab-indented cell tables (one cell per line, rows split by blank lines) and pipe tables."""
    tables: list[list[Row]] = []
    used: set[int] = set()
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


def table_level(lines: list[str], first_line: int) -> str | None:
    """Level of the section a table sits in (the nearest heading above it naming one)."""
    for raw in reversed(lines[: max(0, first_line - 1)]):
        line = raw.strip()
        hm = PATTERNS["heading"].match(line)
        if line.startswith("#") or (hm and len(line) < 40):
            for word, level in LEVEL_WORDS:
                if word in line:
                    return level
    return None


def doc_level(lines: list[str]) -> str | None:
    """Level of the whole document from its first lines (``level: 小学``, 初中划片…)."""
    head = "\n".join(lines[:20])
    m = re.search(r"level:\s*(小学|初中)", head) or re.search(r"(小学|初中)(?:入学)?划片", head)
    if m:
        return "primary" if m[1] == "小学" else "middle"
    return None
