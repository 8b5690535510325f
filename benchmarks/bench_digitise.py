"""Import -> digitise -> house-number lookup on a real map, against whole-street drawing.

Run::

    .venv/bin/python benchmarks/bench_digitise.py [--streets 12] [--png out.png]
        [--sides-map ../shared/reference/streets-dev/shanghai_huangpu.osm]

The map is central Helsinki (OpenStreetMap, ODbL; ``tests/basemap/data/helsinki_centre.osm.pbf``,
2,650 highway ways, 1,464 house numbers).  For each of the ``--streets`` streets with the most
house numbers, three schools share the street as a policy would write it: odd numbers up to the
middle one (``单号1-N号``), odd numbers after it (``单号N+2号以后``), and the even side
(``双号``); schools are dealt round-robin so that neighbouring streets' schools meet at
crossings.

* **new**: :func:`geo_enroll.digitise.digitise` (sides and cuts learnt from the map's numbers,
  corners split between crossing streets);
* **baseline**: the drawing before it: every street_list rule as the whole named street buffered
  ``street_list_depth_m`` on both sides.

Every numbered address on those streets is then located by its house number
(:class:`geo_enroll.geocode.streets.AddressIndex`) and joined to the zones (one STR-tree
query); the school the text gives it is known from its number.  The script checks that the new
zones agree with the text wherever the baseline's single answer did, and that each new zone lies
inside the baseline's strip for its street, before it prints the times and the ratios.

``--sides-map`` adds a map without house numbers (the real 黄浦区 network): every named street
longer than 600 m gets a 单号 school and a 双号 school, and the land given to two schools is
compared (the whole-street baseline gives both sides to both).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.ops import linemerge

from geo_enroll.basemap.importers import import_osm
from geo_enroll.digitise import digitise
from geo_enroll.geocode.streets import AddressIndex
from geo_enroll.settings import DEFAULT_SETTINGS

MAP = Path(__file__).resolve().parents[1] / "tests" / "basemap" / "data" / "helsinki_centre.osm.pbf"


def make_spec(bm, n_streets: int) -> tuple[dict, dict]:
    """A spec of 3 rules per busy street and, per rule, the numbers it serves."""
    a = bm.addresses[bm.addresses["number"].notna() & (bm.addresses["street"] != "")]
    named = set(bm.streets["name"])
    counts = a[a["street"].isin(named)].groupby("street").size().sort_values(ascending=False)
    schools: dict[str, list] = {}
    serves = {}
    k = 0
    for street in counts.index[:n_streets]:
        nums = sorted({int(n) for n in a.loc[a["street"] == street, "number"]})
        odds = [n for n in nums if n % 2] or [1]
        split = odds[len(odds) // 2]
        for numbers, sides, test in (
            ({"from": 1, "to": split, "parity": "odd"}, "odd", lambda n, s=split: n % 2 and n <= s),
            ({"from": split + 2, "parity": "odd"}, "odd", lambda n, s=split: n % 2 and n > s),
            ({"parity": "even"}, "even", lambda n: n % 2 == 0),
        ):
            sid = f"s{k % 7}"
            rid = f"{sid}-r{k:03d}"
            k += 1
            schools.setdefault(sid, []).append(
                {
                    "rule_id": rid,
                    "kind": "street_list",
                    "street": street,
                    "numbers": numbers,
                    "sides": sides,
                    "source": {"text": f"{street} {numbers}", "line": k},
                }
            )
            serves[rid] = (street, sid, test)
    spec = {
        "schools": [
            {"id": sid, "name": sid, "level": "primary", "zones": zones}
            for sid, zones in sorted(schools.items())
        ]
    }
    return spec, serves


def whole_street(bm, spec, crs) -> dict:
    """The baseline: each rule's whole street, both sides, ``street_list_depth_m`` deep."""
    streets = bm.streets.to_crs(crs)
    depth = DEFAULT_SETTINGS.street_list_depth_m
    out = {}
    for school in spec["schools"]:
        for z in school["zones"]:
            lines = list(streets.loc[streets["name"] == z["street"]].geometry)
            out[z["rule_id"]] = shapely.buffer(linemerge(lines), depth, cap_style="flat")
    return out


def locate(bm, serves, crs):
    """(points in ``crs``, expected school) of every numbered address on the spec's streets."""
    index = AddressIndex(bm.addresses)
    a = bm.addresses[bm.addresses["number"].notna()]
    streets = {s for s, _, _ in serves.values()}
    pts, expected = [], []
    for street, number in zip(a["street"], a["number"].astype(int), strict=True):
        if street not in streets:
            continue
        hit = index.house(street, str(number))
        if hit is None:
            continue
        want = [sid for s, sid, test in serves.values() if s == street and test(number)]
        pts.append(hit["point"])
        expected.append(want[0] if want else None)
    import geopandas as gpd

    g = gpd.GeoSeries(pts, crs=4326).to_crs(crs)
    return np.asarray(g.values), expected


def answers(zone_geoms: dict, serves, points) -> list[set]:
    rids = list(zone_geoms)
    tree = shapely.STRtree([zone_geoms[r] for r in rids])
    pi, zi = tree.query(points, predicate="within")
    out = [set() for _ in range(len(points))]
    for p, z in zip(pi, zi, strict=True):
        out[int(p)].add(serves[rids[int(z)]][1])
    return out


def score(got: list[set], expected: list) -> dict:
    right = sum(1 for g, e in zip(got, expected, strict=True) if g == {e})
    several = sum(1 for g in got if len(g) > 1)
    wrong = sum(1 for g, e in zip(got, expected, strict=True) if len(g) == 1 and g != {e})
    return {"right": right, "several": several, "wrong": wrong, "none": sum(not g for g in got)}


def render(bm, result, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    crs = result.crs
    zones = result.zones.to_crs(crs)
    fig, ax = plt.subplots(figsize=(10, 10))
    bm.streets.to_crs(crs).plot(ax=ax, color="#bbbbbb", linewidth=0.6)
    zones.plot(ax=ax, column="school_id", alpha=0.45, categorical=True, legend=True)
    a = bm.addresses[bm.addresses["number"].notna()].to_crs(crs)
    odd = a["number"].astype(int) % 2 == 1
    ax.scatter(a[odd].geometry.x, a[odd].geometry.y, s=3, c="darkred", label="odd")
    ax.scatter(a[~odd].geometry.x, a[~odd].geometry.y, s=3, c="navy", label="even")
    x0, y0, x1, y1 = zones.total_bounds
    ax.set_xlim(x0 - 50, x1 + 50)
    ax.set_ylim(y0 - 50, y1 + 50)
    ax.set_aspect("equal")
    ax.set_title("street_list zones cut between house numbers (Helsinki, OSM)")
    fig.savefig(path, dpi=80)


def sides_only(path: str) -> None:
    """单号/双号 on every long named street of a map without house numbers (e.g. 黄浦区)."""
    t0 = time.perf_counter()
    bm = import_osm(path)
    t_import = time.perf_counter() - t0
    from geo_enroll.basemap.layers import utm_crs

    metres = bm.streets.to_crs(utm_crs(bm.streets))
    lengths = metres.geometry.length.groupby(metres["name"]).sum()
    names = [n for n, m in lengths.items() if n and m > 600]
    schools: dict[str, list] = {}
    for k, name in enumerate(sorted(names)):
        for j, parity in enumerate(("odd", "even")):
            sid = f"s{(2 * k + j) % 7}"
            schools.setdefault(sid, []).append(
                {
                    "rule_id": f"{sid}-r{2 * k + j:03d}",
                    "kind": "street_list",
                    "street": name,
                    "numbers": {"parity": parity},
                    "sides": parity,
                    "source": {
                        "text": f"{name}（{'单' if parity == 'odd' else '双'}号）",
                        "line": k,
                    },
                }
            )
    spec = {
        "schools": [
            {"id": sid, "name": sid, "level": "primary", "zones": z}
            for sid, z in sorted(schools.items())
        ]
    }
    t0 = time.perf_counter()
    result = digitise(spec, bm)
    t_new = time.perf_counter() - t0
    crs = result.crs
    t0 = time.perf_counter()
    old = whole_street(bm, spec, crs)
    t_old = time.perf_counter() - t0
    new = result.zones.to_crs(crs)
    school_of = {z["rule_id"]: sid for sid, zs in schools.items() for z in zs}

    def shared_area(geoms: dict) -> float:
        rids = list(geoms)
        tree = shapely.STRtree([geoms[r] for r in rids])
        a, b = tree.query([geoms[r] for r in rids], predicate="intersects")
        return sum(
            geoms[rids[i]].intersection(geoms[rids[j]]).area
            for i, j in zip(a.tolist(), b.tolist(), strict=True)
            if i < j and school_of[rids[i]] != school_of[rids[j]]
        )

    new_geoms = dict(zip(new["rule_id"], new.geometry, strict=True))
    outside = sum(g.difference(old[r].buffer(25.0)).area for r, g in new_geoms.items())
    assert outside < 0.05 * sum(g.area for g in new_geoms.values())
    print()
    print(f"map: {Path(path).name}: {len(bm.streets)} ways, no house numbers; "
          f"{len(names)} streets x (单号, 双号) = {2 * len(names)} rules")  # fmt: skip
    print("| | import (s) | digitise (s) | land given to two schools (m²) |")
    print("|---|---:|---:|---:|")
    print(f"| new | {t_import:.2f} | {t_new:.2f} | {shared_area(new_geoms):,.0f} |")
    print(f"| baseline | {t_import:.2f} | {t_old:.3f} | {shared_area(old):,.0f} |")
    print(f"digitise time ratio new / baseline: {t_new / max(t_old, 1e-9):.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streets", type=int, default=12)
    ap.add_argument("--png", help="write a picture of the new zones")
    ap.add_argument("--sides-map", help="also: 单号/双号 on every street of this OSM file")
    args = ap.parse_args()

    t0 = time.perf_counter()
    bm = import_osm(MAP)
    t_import = time.perf_counter() - t0
    spec, serves = make_spec(bm, args.streets)

    t0 = time.perf_counter()
    result = digitise(spec, bm)
    t_new = time.perf_counter() - t0
    crs = result.crs
    new = dict(zip(result.zones["rule_id"], result.zones.to_crs(crs).geometry, strict=True))

    t0 = time.perf_counter()
    old = whole_street(bm, spec, crs)
    t_old = time.perf_counter() - t0

    t0 = time.perf_counter()
    points, expected = locate(bm, serves, crs)
    t_locate = time.perf_counter() - t0
    t0 = time.perf_counter()
    got_new = answers(new, serves, points)
    t_join = time.perf_counter() - t0
    got_old = answers(old, serves, points)

    # agreement before any ratio: new zones inside the baseline strips of their street, and
    # the new answer is the text's wherever the baseline's single answer was
    outside = sum(geom.difference(old[rid].buffer(25.0)).area for rid, geom in new.items())
    total = sum(geom.area for geom in new.values())
    assert outside < 0.05 * total, (outside, total)  # house plots the map's points moved
    for g_new, g_old, e in zip(got_new, got_old, expected, strict=True):
        if g_old == {e}:
            assert g_new in ({e}, set()), (g_new, e)
    s_new, s_old = score(got_new, expected), score(got_old, expected)
    assert s_new["wrong"] + s_new["several"] <= s_old["wrong"] + s_old["several"]

    statuses = {}
    for r in result.rules:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(f"map: {MAP.name}: {len(bm.streets)} ways, {len(bm.addresses)} address points")
    print(f"spec: {sum(len(s['zones']) for s in spec['schools'])} street_list rules on "
          f"{args.streets} streets, {len(spec['schools'])} schools; statuses {statuses}")  # fmt: skip
    print(f"addresses located by house number: {len(points)}")
    print(f"new zones outside the baseline strips (+25 m): {outside / total:.1%} of their area")
    print()
    print("| step | time (s) |")
    print("|---|---:|")
    print(f"| import (OSM PBF -> base map + address index) | {t_import:.2f} |")
    print(f"| digitise, new (sides + cuts + corners) | {t_new:.2f} |")
    print(f"| digitise, baseline (whole street, both sides) | {t_old:.3f} |")
    print(f"| locate {len(points)} house numbers | {t_locate:.3f} |")
    print(f"| join them to the zones | {t_join:.4f} |")
    print(
        f"| total import -> digitise -> lookup, new | {t_import + t_new + t_locate + t_join:.2f} |"
    )
    print()
    print(f"digitise time ratio new / baseline: {t_new / max(t_old, 1e-9):.1f}x")
    print()
    print("| answers | right school only | several schools | a wrong school only | none |")
    print("|---|---:|---:|---:|---:|")
    for name, s in (("new", s_new), ("baseline", s_old)):
        print(f"| {name} | {s['right']} | {s['several']} | {s['wrong']} | {s['none']} |")
    if args.png:
        render(bm, result, args.png)
        print(f"picture: {args.png}")
    if args.sides_map:
        sides_only(args.sides_map)


if __name__ == "__main__":
    main()
