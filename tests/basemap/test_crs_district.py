"""CRS mistakes caught on import: coordinates outside the district named with --district are
refused with the bounds found and the fix; unlabelled projected data names --crs."""

from __future__ import annotations

import pyogrio
import pytest

from geo_enroll.basemap.importers import import_vector
from geo_enroll.cli import main
from geo_enroll.errors import CRSError


@pytest.fixture(scope="module")
def streets(schematic):
    return schematic.streets[["name", "kind", "geometry"]].copy()


def _write(gdf, path, crs):
    out = gdf.to_crs(crs)
    pyogrio.write_dataframe(out, path)
    return path


def test_the_right_projected_crs_is_accepted(streets, tmp_path):
    path = _write(streets, tmp_path / "gk114.gpkg", "EPSG:4547")  # CGCS2000 3° GK 114°E
    bm = import_vector(path, district="太仆寺旗")
    assert len(bm.streets) == len(streets)
    assert abs(bm.streets.total_bounds[0] - streets.total_bounds[0]) < 1e-6


def test_a_wrongly_labelled_projected_file_is_refused_with_bounds_and_fix(streets, tmp_path):
    # the metres of the 114°E zone labelled as the 117°E zone land ~250 km east of 宝昌
    good = streets.to_crs("EPSG:4547")
    path = tmp_path / "mislabelled.gpkg"
    pyogrio.write_dataframe(good.set_crs("EPSG:4548", allow_override=True), path)
    with pytest.raises(CRSError) as err:
        import_vector(path, district="太仆寺旗")
    msg = str(err.value)
    assert "太仆寺旗" in msg and "--crs" in msg
    assert "lon " in msg and "EPSG:4548" in msg  # the bounds found, in the file's own CRS too
    # the fix the message names works
    assert len(import_vector(path, crs="EPSG:4547", district="太仆寺旗").streets) == len(good)


def test_a_chinese_district_outside_china_is_refused(streets, tmp_path):
    far = streets.copy()
    far["geometry"] = far.geometry.translate(xoff=-100.0)  # 15°E: Europe
    path = _write(far, tmp_path / "far.gpkg", "EPSG:4326")
    with pytest.raises(CRSError, match="黄浦区"):
        import_vector(path, district="黄浦区")


def test_unlabelled_projected_data_names_the_crs_option(streets, tmp_path):
    path = tmp_path / "nolabel.shp"
    pyogrio.write_dataframe(streets.to_crs("EPSG:4547"), path)
    (tmp_path / "nolabel.prj").unlink()
    with pytest.raises(CRSError) as err:
        import_vector(path)
    assert "--crs" in str(err.value) and "metres" in str(err.value)


def test_the_cli_refuses_with_exit_2(streets, tmp_path, capsys):
    good = streets.to_crs("EPSG:4547")
    path = tmp_path / "m.gpkg"
    pyogrio.write_dataframe(good.set_crs("EPSG:4548", allow_override=True), path)
    code = main(
        ["basemap", "import", str(path), "--district", "太仆寺旗", "-o", str(tmp_path / "o.gpkg")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--crs" in err and "Traceback" not in err
    assert not (tmp_path / "o.gpkg").exists()


def test_an_osm_extract_of_another_place_is_refused():
    from geo_enroll.basemap.importers import import_osm

    from .conftest import DATA

    with pytest.raises(CRSError) as err:
        import_osm(DATA / "helsinki_centre.osm.pbf", district="太仆寺旗")
    assert "太仆寺旗" in str(err.value) and "lon 24.9" in str(err.value)
