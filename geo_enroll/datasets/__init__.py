"""Small bundled datasets for tests, doctests and notebooks.

:mod:`geo_enroll.datasets.toy` is the toy town 玩具镇 (drawn in its docstring): three schools,
a handful of blocks, about thirty synthetic children.

>>> from geo_enroll.datasets import toy_spec, toy_students
>>> toy_spec()["policy"]["jurisdiction"], len(toy_students())
('玩具镇', 30)
"""

from .toy import (
    TOY_COUNTY_CODE,
    ToyGazetteer,
    toy_gazetteer,
    toy_school_points,
    toy_schools,
    toy_spec,
    toy_students,
    toy_xy_to_lonlat,
    toy_zones,
)

__all__ = [
    "TOY_COUNTY_CODE",
    "ToyGazetteer",
    "toy_gazetteer",
    "toy_school_points",
    "toy_schools",
    "toy_spec",
    "toy_students",
    "toy_xy_to_lonlat",
    "toy_zones",
]
