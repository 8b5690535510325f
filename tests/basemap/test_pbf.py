"""OpenStreetMap PBF import: a PBF written from the XML extract imports to the same base map.

The PBF is made in the test with pyosmium's ``SimpleWriter`` (the same nodes, ways and
relations as ``data/huangpu_extract.osm``), then imported through the API and the CLI.
"""

from __future__ import annotations

import osmium
import pytest
import shapely

from geo_enroll.basemap.importers import import_any, import_osm
from geo_enroll.basemap.layers import read_basemap
from geo_enroll.cli import main
from geo_enroll.digitise import digitise, load_spec

from .conftest import DATA

XML = DATA / "huangpu_extract.osm"


@pytest.fixture(scope="module")
def pbf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pbf") / "huangpu_extract.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    counts = {"node": 0, "way": 0, "relation": 0}
    try:
        for obj in osmium.FileProcessor(str(XML)):
            if obj.is_node():
                writer.add_node(obj)
                counts["node"] += 1
            elif obj.is_way():
                writer.add_way(obj)
                counts["way"] += 1
            elif obj.is_relation():
                writer.add_relation(obj)
                counts["relation"] += 1
    finally:
        writer.close()
    assert counts["way"] > 100
    assert path.read_bytes()[4:15] == b"\n\tOSMHeader"  # a PBF file, not XML
    return path


def _by_id(streets):
    return streets.sort_values("osm_id").reset_index(drop=True)


def test_pbf_import_matches_the_xml_import(pbf):
    a, b = _by_id(import_osm(pbf).streets), _by_id(import_osm(XML).streets)
    assert len(a) == len(b) == 203
    cols = ["osm_id", "name", "aliases", "kind", "highway"]
    assert a[cols].equals(b[cols])
    # PBF stores 1e-7 degree units, as the XML's 7 decimals: the lines are identical
    assert bool(shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=1e-9).all())


def test_pbf_map_digitises_to_the_same_zones(pbf):
    spec = load_spec(DATA / "huangpu_zones.toml")
    za = digitise(spec, import_any(pbf)).zones.set_index("rule_id").geometry
    zb = digitise(spec, import_osm(XML)).zones.set_index("rule_id").geometry
    assert sorted(za.index) == sorted(zb.index) and len(za) >= 3
    for rule_id in zb.index:
        assert za[rule_id].symmetric_difference(zb[rule_id]).area < 1e-12, rule_id


def test_cli_imports_a_pbf(pbf, tmp_path, capsys):
    out = tmp_path / "huangpu.gpkg"
    assert main(["basemap", "import", str(pbf), "--district", "黄浦区", "-o", str(out)]) == 0
    bm = read_basemap(out)
    assert len(bm.streets) == 203 and set(bm.streets["district"]) == {"黄浦区"}
    assert "pbf" in bm.meta["source"]
