"""Batch geocoding (every row, in order, idempotent), the online adapter (faked), the CLI."""

from __future__ import annotations

import json
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest

from geo_enroll.cli import main
from geo_enroll.errors import GeocodeError, InputError
from geo_enroll.geocode.batch import OUTPUT_COLUMNS, geocode_file
from geo_enroll.geocode.online import OnlineGeocoder

ADDRESSES = [
    "太仆寺旗宝昌镇河沿街5组14号", "", "北京市朝阳区建国路1号", "宝昌镇菜园村三社",
    "Main Street", "太仆寺旗千斤沟镇东滩村", "宝" * 10_000, "太仆寺旗宝昌镇河沿街5组14号",
]  # fmt: skip


@pytest.fixture()
def table(tmp_path):
    df = pd.DataFrame(
        {"学籍号": [f"G{i:04d}" for i in range(len(ADDRESSES))], "户籍地址": ADDRESSES}
    )
    return df


def test_batch_csv_keeps_every_row_in_order_and_is_idempotent(tmp_path, table, toy_gazetteer):
    src = tmp_path / "in.csv"
    table.to_csv(src, index=False, encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    summary = geocode_file(src, "户籍地址", out, gazetteer=toy_gazetteer, progress=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert summary["rows"] == len(table) == len(got)
    assert list(got["学籍号"]) == list(table["学籍号"])  # order kept
    assert list(got["户籍地址"]) == list(table["户籍地址"])
    assert set(OUTPUT_COLUMNS) <= set(got.columns)
    no_point = got[got["geo_lon"] == ""]
    assert (no_point["geo_reason"] != "").all()  # every row without a point says why
    first = out.read_bytes()
    geocode_file(src, "户籍地址", out, gazetteer=toy_gazetteer, progress=False)
    assert out.read_bytes() == first


def test_batch_xlsx_to_gpkg(tmp_path, table, toy_gazetteer):
    src = tmp_path / "in.xlsx"
    table.to_excel(src, index=False)
    out = tmp_path / "out.gpkg"
    geocode_file(src, "户籍地址", out, gazetteer=toy_gazetteer, progress=False, min_level="village")
    gdf = gpd.read_file(out, layer="geocoded")
    assert list(gdf["row"]) == list(range(1, len(table) + 1))
    assert gdf.crs.to_epsg() == 4326
    has_point = gdf.geometry.notna() & ~gdf.geometry.is_empty
    assert (has_point == gdf["geo_lon"].notna()).all()
    # the gate: nothing coarser than village has a point
    ranks = {"county": 0, "township": 1, "village": 2}
    assert all(ranks.get(lv, 3) >= 2 for lv in gdf.loc[has_point, "geo_level"])


def test_batch_refuses_missing_column_and_bad_suffix(tmp_path, table, toy_gazetteer):
    src = tmp_path / "in.csv"
    table.to_csv(src, index=False)
    with pytest.raises(InputError, match="地址"):
        geocode_file(src, "地址", tmp_path / "o.csv", gazetteer=toy_gazetteer, progress=False)
    with pytest.raises(InputError, match=".gpkg"):
        geocode_file(src, "户籍地址", tmp_path / "o.json", gazetteer=toy_gazetteer)


class FakeProvider:
    """Stands in for a geopy geocoder; counts calls, can fail with timeouts first."""

    def __init__(self, lon=115.28, lat=41.88, kind="town", timeouts=0):
        self.calls, self.timeouts = 0, timeouts
        self.answer = SimpleNamespace(
            longitude=lon, latitude=lat, address="x", raw={"addresstype": kind}
        )

    def geocode(self, query, exactly_one=True, timeout=None):
        from geopy.exc import GeocoderTimedOut

        self.calls += 1
        if self.calls <= self.timeouts:
            raise GeocoderTimedOut("slow")
        return self.answer


def _online(provider, tmp_path, **kw):
    sleeps = []
    g = OnlineGeocoder(kw.pop("name", "nominatim"), enabled=True, geocoder=provider,
                       cache_path=tmp_path / "cache.sqlite", sleep=sleeps.append, **kw)  # fmt: skip
    return g, sleeps


def test_online_is_off_by_default():
    with pytest.raises(GeocodeError, match="enabled=True"):
        OnlineGeocoder("nominatim")


def test_online_cache_makes_reruns_free(tmp_path):
    fake = FakeProvider()
    g, _ = _online(fake, tmp_path)
    a = g.geocode("太仆寺旗宝昌镇")
    g2, _ = _online(fake, tmp_path)  # a new process reading the same cache file
    b = g2.geocode("太仆寺旗 宝昌镇")  # normalises to the same key
    assert fake.calls == 1 and a["lon"] == b["lon"] and a["level"] == "township"


def test_online_converts_bd09_on_entry(tmp_path):
    from geo_enroll.coords import wgs84_to_bd09

    bx, by = wgs84_to_bd09(115.27889, 41.88444)
    g, _ = _online(FakeProvider(bx, by), tmp_path, name="baiduv3")
    r = g.geocode("太仆寺旗宝昌镇")
    assert r["source_crs"] == "bd09"
    assert (r["lon"], r["lat"]) == pytest.approx((115.27889, 41.88444), abs=1e-6)


def test_online_retries_and_rate_limits(tmp_path):
    fake = FakeProvider(timeouts=2)
    g, sleeps = _online(fake, tmp_path, max_retries=2, min_delay_seconds=0)
    assert g.geocode("宝昌镇")["lon"] is not None and fake.calls == 3
    assert len(sleeps) >= 2  # waited before each retry
    fake = FakeProvider(timeouts=5)
    g, _ = _online(fake, tmp_path / "b", max_retries=1)
    r = g.geocode("宝昌镇")
    assert r["lon"] is None and r["reason_code"] == "online_error"
    clock = iter([0.0, 0.2, 1.0, 5.0, 5.0]).__next__
    g, sleeps = _online(FakeProvider(), tmp_path / "c", min_delay_seconds=1.0, clock=clock)
    g.geocode("宝昌镇1号")
    g.geocode("宝昌镇2号")
    assert sleeps and sleeps[0] == pytest.approx(0.8)


def test_cli_address_parse_json(capsys):
    assert main(["address", "parse", "内蒙古锡林郭勒盟太仆寺旗宝昌镇河沿街5组14号", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["county"], r["township"], r["road"], r["group"], r["house_number"]) == (
        "太仆寺旗", "宝昌镇", "河沿街", "5组", "14")  # fmt: skip
    assert r["codes"]["county"] == "152527" and r["codes"]["township"].startswith("152527")


def test_cli_address_geocode_json(capsys):
    assert main(["address", "geocode", "太仆寺旗千斤沟镇东滩村", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["level"] == "village" and len(r["code"]) == 12
    assert main(["address", "geocode", "北京市朝阳区建国路1号", "--json"]) == 1
    r = json.loads(capsys.readouterr().out)
    assert r["lon"] is None and r["reason"]


def test_cli_coords_convert(capsys):
    assert (
        main(
            ["coords", "convert", "--from", "wgs84", "--to", "gcj02", "116.404", "39.915", "--json"]
        )
        == 0
    )
    r = json.loads(capsys.readouterr().out)
    assert (r["lon"], r["lat"]) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-8)
    assert main(["coords", "convert", "--from", "gcj02", "--to", "mars2", "1", "2"]) == 2
    assert "unknown coordinate system" in capsys.readouterr().err


def test_cli_geocode_batch(tmp_path, table, capsys, toy_basemap):
    src = tmp_path / "in.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "o.csv"
    rc = main(["geocode", str(src), "--column", "户籍地址", "-o", str(out), "--no-progress",
               "--basemap", str(toy_basemap), "--json"])  # fmt: skip
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["rows"] == len(table)
    assert main(["geocode", str(tmp_path / "nope.csv"), "--column", "x", "-o", str(out)]) == 2
