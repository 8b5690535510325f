"""geo_enroll: catchment zoning (划片招生) and enrollment placement (义务教育免试就近入学).

The engine is a library usable from a notebook, the CLI or the web app.  The verbs a user needs
are re-exported here, one per arrow of the pipeline (``docs/ARCHITECTURE.md``), and imported
only when first used, so ``import geo_enroll`` stays cheap::

    policy text ──parse_policy──► zone spec ──digitise_zones──► zones (+ diagnostics)
    address ──Gazetteer.geocode──► point + unit + match level ──lookup_address──► schools
    applicants ──place──► placements + traces ──assign_classes──► classes
    multi-school zones ──lottery_draw / lottery_verify / lottery_simulate──► re-runnable draws
    edited zones ──compare──► who changes school, seat balance, gaps and overlaps
    a published zone layer ──import_zones──► zone spec + zones (repairs reported)
    a province of counties ──place_counties──► the same placements, on dask

>>> import geo_enroll
>>> spec = geo_enroll.parse_policy("第一小学招收东郊社区户籍适龄儿童。")
>>> [s["name"] for s in spec["schools"]]
['第一小学']
"""

from __future__ import annotations

import importlib

from .errors import GeoEnrollError
from .settings import DEFAULT_SETTINGS, Settings

__version__ = "0.1.0"

# public name -> (module, attribute)
_LAZY = {
    "parse_policy": ("geo_enroll.policy", "parse_policy"),
    "load_spec": ("geo_enroll.policy", "load_spec"),
    "save_spec": ("geo_enroll.policy", "save_spec"),
    "resolve_unit": ("geo_enroll.policy", "resolve_unit"),
    # (geo_enroll.digitise is the subpackage; its verb is re-exported under another name)
    "digitise_zones": ("geo_enroll.digitise", "digitise"),
    "parse_address": ("geo_enroll.address", "parse_address"),
    "parse_many": ("geo_enroll.address", "parse_many"),
    "Gazetteer": ("geo_enroll.geocode", "Gazetteer"),
    "load_default_gazetteer": ("geo_enroll.geocode", "load_default_gazetteer"),
    "convert_coords": ("geo_enroll.coords", "convert"),
    "lookup_address": ("geo_enroll.lookup", "lookup_address"),
    "lookup_point": ("geo_enroll.lookup", "lookup_point"),
    "synth_cohort": ("geo_enroll.placement.cohort", "synth_cohort"),
    "place": ("geo_enroll.placement.run", "place"),
    "allocate": ("geo_enroll.placement.allocate", "allocate"),
    "assign_classes": ("geo_enroll.placement.classes", "assign_classes"),
    "lottery_draw": ("geo_enroll.placement.lottery", "draw"),
    "lottery_verify": ("geo_enroll.placement.lottery", "verify"),
    "lottery_simulate": ("geo_enroll.placement.lottery", "simulate"),
    "compare": ("geo_enroll.impact", "compare"),
    "import_zones": ("geo_enroll.zonelayer", "import_zones"),
    "place_counties": ("geo_enroll.scale", "place_counties"),
}

__all__ = ["GeoEnrollError", "Settings", "DEFAULT_SETTINGS", "__version__", *_LAZY]


def __getattr__(name: str):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'geo_enroll' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
