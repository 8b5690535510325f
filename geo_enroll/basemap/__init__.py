"""Base maps (底图): named layers in one GeoPackage, importers, the street-name index, and the
schematic 宝昌镇 map.

A base map holds ``streets`` (lines), ``landmarks`` (compounds, bridges, POIs), ``areas``
(county, townships, town, communities), ``schools`` (points) and a ``meta`` table, all in
EPSG:4326 at rest (see ``docs/ARCHITECTURE.md``).
"""

from .layers import LAYERS, BaseMap, read_basemap, validate_basemap, write_basemap

__all__ = ["LAYERS", "BaseMap", "read_basemap", "validate_basemap", "write_basemap"]
