"""The digitiser (划片数字化): zone spec + base map -> zone polygons, with diagnostics.

Each ``street_limits`` rule ("南郊社区（东至东大桥，南至察哈尔街，西至民生路，北至光明大街）")
becomes the parent area (here 南郊社区) cut on the correct side of each named limit:

* ``东至X`` keeps the land *west* of X (X is the east edge), and so on for 南/西/北;
* edge words (城东, 社区西, 北) mean the parent's own boundary: no cut;
* a street is merged from all its pieces: parallel lines of one name (dual carriageways) are
  averaged into one centre line, pieces that stop short of each other are joined (gaps up to
  ``Settings.snap_gap_m`` closed and reported, longer ones reported as not closing), and the
  line is extended straight past its ends so that it crosses the whole parent;
* a compound (小区) named as a limit is a straight cut at its far edge (it lies inside the
  zone) unless the text names the edge (万和小区南 = its south edge); a bridge is the river
  or railway it crosses, or a straight line through it;
* exclusions (不含昌盛园小区) are subtracted, inclusions added; ``compound`` rules are the
  compound's polygon;
* ``directional_bounds`` (湖墅北路以西，教工路以东…) are the same cuts: ``X以东`` makes X the
  west limit; several streets on one side (余杭塘路与草营巷以北, 古运路—小河路—登云路) are one
  limit; the parent is ``within``, else the town, else (four sides named) the bounds close on
  themselves; ``(除X小区)`` notes are cut out and ``negate`` (除…以外) keeps the rest;
* an enclosed area named by its streets without sides (``bounded_by``: 西藏中路、延安东路、河南中路、
  福州路所围成的区域) is the one face of the merged street lines (same merging and gap closing as
  for limits) whose boundary runs along every named street; zero or several such faces, or a
  street that does not touch the face, are reported, never guessed;
* ``street_list`` (双林路单号1-99号, X路两侧, 圣灯路(东侧), 长青路63号以后) is the frontage land,
  ``Settings.street_list_depth_m`` deep, on the named side(s) of the street between the
  positions of its numbers: direction and odd side learnt from the map's house numbers
  (:mod:`.numbering`), else the policy's rule (左单右双, said so); a number the map cannot
  place is reported, never ``ok``; schools' strips on crossing streets split the corner, and
  the map's house points give each known house the school its number names.

Computation is in the local UTM zone; zones are stored in EPSG:4326.  Everything that does not
fit (an unknown street, a limit on the wrong side, a limit that does not bound its part, limits
crossing several times, a self-intersecting street) is reported per rule, never hidden.

The package is split by reason to change: :mod:`.core` (the driver and
:class:`DigitiseResult`), :mod:`.limits` (four-sided limits), :mod:`.directional` (以东/以南
bounds), :mod:`.enclosed` (所围成的区域), :mod:`.street_list` (frontage land) with
:mod:`.numbering` (house numbering along a street), :mod:`.build`
(spec reading, zone writing, the committed outputs) and the private helpers ``_lookup`` (base
map and names), ``_streets`` (street merging) and ``_geometry``.

    >>> from geo_enroll.basemap.schematic import build_schematic
    >>> spec = {"schools": [{"id": "p1", "name": "一小", "level": "primary", "zones": [
    ...     {"rule_id": "p1-r01", "kind": "street_limits", "within": "南郊社区",
    ...      "limits": {"east": "东大桥", "south": "察哈尔街", "west": "民生路", "north": "光明大街"},
    ...      "source": {"text": "南郊…", "line": 27}}]}]}
    >>> result = digitise(spec, build_schematic())
    >>> len(result.zones), result.rules[0]["status"]
    (1, 'ok')
"""

from ._lookup import SIDES
from ._lookup import _chain_parts as _chain_parts  # private: kept importable for tests
from .build import build_default, load_spec, write_zones, zones_to_geojson
from .core import DigitiseResult, digitise
from .directional import _EXCLUDE_NOTE as _EXCLUDE_NOTE
from .directional import _notes as _notes

__all__ = [
    "digitise",
    "DigitiseResult",
    "load_spec",
    "write_zones",
    "zones_to_geojson",
    "build_default",
    "SIDES",
]
