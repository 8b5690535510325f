"""Real-shaped synthetic zones for tests: a Voronoi tiling whose shared edges are jagged
(each edge densified and jittered once, then the network polygonised), so neighbours share
their edges exactly, vertex for vertex, as in a topologically clean published layer."""

from __future__ import annotations

import numpy as np


def jagged_tiling(n: int, *, seed: int = 0, lon0=115.28, lat0=41.88, width=0.05, height=0.04):
    """``n`` polygons tiling a box (EPSG:4326 coordinates), with jagged shared edges."""
    import shapely

    rng = np.random.default_rng(seed)
    pts = np.c_[lon0 + rng.uniform(0, width, n), lat0 + rng.uniform(0, height, n)]
    box = shapely.box(lon0, lat0, lon0 + width, lat0 + height)
    edges = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box, only_edges=True)
    )
    step = min(width, height) / np.sqrt(n) / 8
    lines = []
    for e in shapely.segmentize(edges, step):
        c = shapely.get_coordinates(e)
        c[1:-1] += rng.normal(0, step / 4, c[1:-1].shape)
        lines.append(shapely.linestrings(c))
    net = shapely.union_all([*lines, shapely.boundary(box)])
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(net)))
    return [p for p in polys if shapely.within(shapely.point_on_surface(p), box)]
