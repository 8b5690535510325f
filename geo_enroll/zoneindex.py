"""The spatial index of a zone spec: polygon zones prepared for point → zone matching.

Moved out of :mod:`geo_enroll.placement.candidates` (which re-exports it); the edge rule is
described there.

>>> from geo_enroll.datasets import toy_spec, toy_zones, toy_school_points
>>> idx = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
>>> sorted(idx.schools)[:2]
['toy-m1', 'toy-p1']
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["ZoneIndex"]


class ZoneIndex:
    """Spec + zone polygons prepared for fast repeated matching (projected to local UTM).

    Parameters
    ----------
    spec : dict
    zones : GeoDataFrame or None
        The ``zones`` layer (EPSG:4326).  None when the spec has only admin-unit zones.
    school_points : GeoDataFrame, optional
        School locations (``school_id`` + Point geometry) for distances and edge ties.
    """

    def __init__(self, spec: dict, zones=None, *, school_points=None):
        import geopandas as gpd

        from .placement.candidates import school_table_from_spec

        self.spec = spec
        self.schools = school_table_from_spec(spec)
        self.rules = {}
        for s in spec.get("schools") or []:
            for z in s.get("zones") or []:
                self.rules[z["rule_id"]] = (s["id"], z)
        self.property_schools = {
            sid for sid, z in self.rules.values() if z.get("kind") == "property_rule"
        }
        # admin units indexed by official code (units without a code are tried by name)
        self.units_by_code: dict[str, list[tuple[str, dict]]] = {}
        self.units_nocode: list[tuple[str, dict]] = []
        for rid, (_sid, z) in sorted(self.rules.items()):
            for u in z.get("units") or []:
                code = str(u.get("code") or "")
                if code:
                    self.units_by_code.setdefault(code, []).append((rid, u))
                else:
                    self.units_nocode.append((rid, u))
        if zones is not None and len(zones):
            if zones.crs is None:
                from .errors import CRSError

                raise CRSError("划片图层没有坐标系 (zones layer has no CRS; expected EPSG:4326)")
            z = zones.to_crs("EPSG:4326")
            z = z[z.geometry.notna() & ~z.geometry.is_empty].copy()
            self.crs = z.estimate_utm_crs()
            self.zones = z.reset_index(drop=True)
            self.zones_m = self.zones.to_crs(self.crs)
        else:
            self.zones = gpd.GeoDataFrame({"rule_id": []}, geometry=[], crs="EPSG:4326")
            self.crs = None
            self.zones_m = self.zones
        self.school_xy = {}
        if school_points is not None and len(school_points):
            pts = school_points.to_crs("EPSG:4326")
            if self.crs is None:
                self.crs = pts.estimate_utm_crs()
            pm = pts.to_crs(self.crs)
            for sid, g in zip(pm["school_id"], pm.geometry, strict=True):
                if g is not None and not g.is_empty:
                    self.school_xy[str(sid)] = (g.x, g.y)
        if self.crs is not None:
            from pyproj import Transformer

            self._to_m = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        else:
            self._to_m = None

    def project(self, lon, lat):
        """(x, y) metres in the index's projected CRS (None when it has none)."""
        if self._to_m is None or lon is None or lat is None:
            return None
        return self._to_m.transform(float(lon), float(lat))

    def school_distance(self, xy, school_id: str) -> float:
        """Straight-line distance in metres from projected ``xy`` to a school (inf if unknown)."""
        if xy is None or school_id not in self.school_xy:
            return float("inf")
        sx, sy = self.school_xy[school_id]
        return float(np.hypot(xy[0] - sx, xy[1] - sy))

    # ---------------------------------------------------------------- matching
    def polygon_matches(self, xy, level: str, lonlat=None) -> tuple[list[dict], float | None]:
        """Polygon zones covering the point (edge rule applied) + distance to the nearest edge.

        Containment is tested on the stored EPSG:4326 geometry (``lonlat``), so that a point
        exactly on a stored shared edge stays exactly on it; distances use projected ``xy``.
        """
        if xy is None or not len(self.zones_m):
            return [], None
        from shapely.geometry import Point

        from .placement.candidates import EDGE_TOLERANCE_M, _hit, _serves

        p = Point(xy)
        p_ll = Point(lonlat) if lonlat is not None else None
        hits, near, edge = [], [], None
        if not hasattr(self, "_rows"):
            self._rows = self.zones_m.drop(columns="geometry").to_dict("records")
            self._geoms_m = list(self.zones_m.geometry)
            self._geoms_ll = list(self.zones.geometry)
        for i in sorted(self.zones_m.sindex.query(p.buffer(1e3), predicate="intersects")):
            row = self._rows[int(i)]
            rid = str(row["rule_id"])
            sid, zone = self.rules.get(rid, (str(row.get("school_id")), {"kind": row.get("kind")}))
            if sid not in self.schools or not _serves(self.schools[sid].get("level"), level):
                continue
            g = self._geoms_m[int(i)]
            d = float(g.boundary.distance(p))
            g_ll = self._geoms_ll[int(i)]
            covers = g_ll.covers(p_ll) if p_ll is not None else g.covers(p)
            if covers:
                interior = g_ll.contains(p_ll) if p_ll is not None else g.contains(p)
                edge = d if edge is None else min(edge, d)
                hits.append(_hit(sid, rid, zone, row, bool(interior)))
            elif d <= EDGE_TOLERANCE_M:
                near.append(_hit(sid, rid, zone, row, False))
                edge = d if edge is None else min(edge, d)
            elif d < 1e3:
                edge = d if edge is None else min(edge, d)
        if not hits:
            hits = near  # within centimetres of a zone: on its edge (rounded coordinates)
        if any(h["interior"] for h in hits):
            hits = [h for h in hits if h["interior"]]
        elif len({h["school_id"] for h in hits}) > 1:
            # on a shared edge only: nearest school, then smaller rule_id
            best = min(hits, key=lambda h: (self.school_distance(xy, h["school_id"]), h["rule_id"]))
            best["on_edge"] = True
            hits = [best]
        return hits, edge

    def unit_match(self, unit: dict, geo: dict) -> int:
        """Specificity of an admin unit matching the geocoded address (0 = no match)."""
        from .placement.candidates import _SPEC, _norm_group

        code = str(unit.get("code") or "")
        vcode = str(geo.get("village_code") or "")
        tcode = str(geo.get("township_code") or "")
        gcode = str(geo.get("code") or "")
        text = str(geo.get("input") or "")
        if not code:
            name = re.sub(r"(村委会|居委会|嘎查|社区|村)$", "", str(unit.get("name") or ""))
            town = str(unit.get("township") or "")
            if name and name in text and (not town or town[:2] in text):
                return _SPEC["name"]
            return 0
        if len(code) == 9:
            if tcode == code or vcode.startswith(code) or gcode.startswith(code):
                return _SPEC["township"]
            return 0
        if code not in (vcode, gcode[:12]):
            return 0
        sub = str(unit.get("sub_area") or "")
        if sub:
            return _SPEC["sub_area"] if sub in text else 0
        grp = _norm_group(unit.get("group"))
        if grp:
            ggrp = _norm_group(geo.get("group"))
            if not ggrp:
                ggrp = next((g for g in re.findall(r"[一二三四五六七八九十\d]+[社组]", text)), "")
                ggrp = _norm_group(ggrp)
            if not ggrp:
                return _SPEC["village_any_group"]
            return _SPEC["group"] if ggrp == grp else 0
        return _SPEC["village"]
