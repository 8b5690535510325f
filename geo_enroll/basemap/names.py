"""The street-name index: match names the way policies write them to base-map features.

Policies and maps name roads differently.  The index tries, in order:

1. ``exact``: the name or one of its ``|``-separated aliases;
2. ``normalized``: after stripping qualifiers in brackets ("（武侯段）", "（单号）", "(东段)"),
   spaces and full-width digits;
3. ``whole``: the policy names a road by its whole where the map splits it into sections or
   directions ("一环路" = "一环路南三段" + ...; "延安路" = "延安东路" + "延安中路" + ...).

Names are scoped: a match inside the requested ``district`` wins over one elsewhere (the same
street name exists in several districts).  Parallel lines of one name (dual carriageways) all
match; the digitiser treats them as one limit.

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> g = gpd.GeoDataFrame({"name": ["一环路南三段", "一环路南四段", "人民路"],
    ...     "aliases": ["", "", ""], "district": ["", "", ""]},
    ...     geometry=[LineString([(0, 0), (1, 0)])] * 3, crs=4326)
    >>> idx = NameIndex(g)
    >>> m = idx.lookup("一环路（武侯段）")
    >>> m.how, m.names
    ('whole', ['一环路南三段', '一环路南四段'])
    >>> idx.lookup("人民大道").found
    False
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import geopandas as gpd

__all__ = ["NameIndex", "NameMatch", "normalize_name"]

_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_SECTION = re.compile(r"(?:[东南西北中]?[一二三四五六七八九十\d]+段|[东南西北中]段|段)$")
_SUFFIXES = ("大街", "大道", "路", "街", "巷", "胡同", "道")
_DIRECTIONS = "东南西北中"


def normalize_name(name: str) -> str:
    """Strip bracketed qualifiers, spaces and full-width digits.

    >>> normalize_name(" 一环路（武侯段） ")
    '一环路'
    >>> normalize_name("207 国道")
    '207国道'
    """
    text = str(name or "").translate(_FULLWIDTH)
    text = _BRACKETS.sub("", text)
    return re.sub(r"\s+", "", text)


def _whole_keys(name: str) -> set[str]:
    """The names a policy could use for the whole road that ``name`` is a section of."""
    keys = set()
    base = _SECTION.sub("", name)
    if base and base != name:
        keys.add(base)
    for stem_name in {name, base}:
        for suffix in _SUFFIXES:
            if stem_name.endswith(suffix) and len(stem_name) > len(suffix) + 1:
                stem = stem_name[: -len(suffix)]
                if stem[-1] in _DIRECTIONS and len(stem) > 1:
                    keys.add(stem[:-1] + suffix)
                break
    return keys - {name}


@dataclass(frozen=True)
class NameMatch:
    """The rows of a layer that a name matched.

    Attributes
    ----------
    query : str
        The name as asked.
    rows : list[int]
        Positional row numbers in the indexed frame (empty when not found).
    names : list[str]
        The distinct map names matched.
    how : str
        ``exact``, ``normalized``, ``whole`` or ``none``.
    candidates : list[str]
        Close map names when nothing matched (for the message to the user).
    """

    query: str
    rows: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    how: str = "none"
    candidates: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.rows)


class NameIndex:
    """An index of the ``name``/``aliases`` of one layer (see the module docstring).

    Parameters
    ----------
    gdf : a layer with ``name`` and optionally ``aliases`` and ``district`` columns.
    """

    def __init__(self, gdf: gpd.GeoDataFrame):
        self._names = [str(x or "") for x in gdf["name"]]
        aliases = gdf["aliases"] if "aliases" in gdf.columns else [""] * len(gdf)
        districts = gdf["district"] if "district" in gdf.columns else [""] * len(gdf)
        self._districts = [str(x or "") for x in districts]
        self._exact: dict[str, list[int]] = {}
        self._norm: dict[str, list[int]] = {}
        self._whole: dict[str, list[int]] = {}
        for i, (name, alias) in enumerate(zip(self._names, aliases, strict=False)):
            spellings = {name} | {a for a in str(alias or "").split("|") if a}
            spellings.discard("")
            for s in spellings:
                self._exact.setdefault(s, []).append(i)
                n = normalize_name(s)
                self._norm.setdefault(n, []).append(i)
                for key in _whole_keys(n):
                    self._whole.setdefault(key, []).append(i)

    def lookup(self, name: str, *, district: str | None = None) -> NameMatch:
        """Rows matching ``name`` (see the module docstring for the order tried)."""
        query = str(name or "")
        norm = normalize_name(query)
        for how, table, key in (
            ("exact", self._exact, query),
            ("normalized", self._norm, norm),
            ("whole", self._whole, norm),
        ):
            rows = sorted(set(table.get(key, [])))
            if rows:
                if district:
                    local = [r for r in rows if self._districts[r] == district]
                    rows = local or rows
                names = list(dict.fromkeys(self._names[r] for r in rows))
                return NameMatch(query, rows, names, how)
        pool = sorted(set(self._norm))
        close = difflib.get_close_matches(norm, pool, n=5, cutoff=0.5)
        if not close and norm:
            close = [p for p in pool if norm[:2] and p.startswith(norm[:2])][:5]
        return NameMatch(query, candidates=close)

    def __len__(self) -> int:
        return len(self._names)
