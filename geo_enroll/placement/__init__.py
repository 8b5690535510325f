"""Placement: who is eligible, which schools a child may attend, and one school per child.

The steps follow the pipeline (see docs/ARCHITECTURE.md)::

    applicants ──eligibility──► address used, tier, categories
               ──candidates──► zone / optional schools
               ──allocate────► one school per child (or no seat) + why
               ──run.place───► placements.csv, schools.csv, placements.gpkg

Public verbs: :func:`read_applicants`, :func:`assess_eligibility`, :func:`candidate_schools`,
:func:`place`.  Submodules are imported lazily so that a missing optional piece (the
allocator, the lottery) never breaks the others.
"""

from __future__ import annotations

import importlib

__all__ = ["read_applicants", "assess_eligibility", "candidate_schools", "place"]

_LAZY = {
    "read_applicants": "applicants",
    "assess_eligibility": "eligibility",
    "candidate_schools": "candidates",
    "place": "run",
}


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
