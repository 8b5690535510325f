"""A new address is parsed once per lookup: the web's refusal check hands its parse to the
gazetteer's geocode (``Gazetteer.parse``), and the answer is the one a lookup without the
handed-over parse gives, byte for byte."""

from __future__ import annotations

import pytest

from web.app import create_app
from web.context import default_spec_path, default_zones_path

BASEMAP = default_spec_path().parent / "baochang_schematic.gpkg"
ADDRESSES = [
    "太仆寺旗宝昌镇南郊社区察哈尔街1号",
    "宝昌镇菜园村三社",
    "  内蒙古锡林郭勒盟太仆寺旗宝昌镇河沿街5组14号 ",  # spaces: the geocode strips them
    "太仆寺旗千斤沟镇",
    "北京市朝阳区环河北路12号",  # outside the served county: refused by the same parse
    "abc",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    for path in (default_spec_path(), default_zones_path(), BASEMAP):
        if not path.exists():
            pytest.skip(f"default data {path.name} not built yet (geo-enroll digitise)")
    return create_app(
        {"DATA_DIR": str(tmp_path_factory.mktemp("once")), "SEED_COHORT": None, "TESTING": True}
    )


def _counting(monkeypatch):
    """Count every parse of the address parser, wherever the web or the gazetteer calls it."""
    import geo_enroll.geocode.gazetteer as gaz_module
    import web.public.service as service

    calls: list[str] = []
    for module in (gaz_module, service):
        real = module.parse_address

        def counted(text, *args, _real=real, **kwargs):
            calls.append(text)
            return _real(text, *args, **kwargs)

        monkeypatch.setattr(module, "parse_address", counted)
    return calls


def test_a_new_address_is_parsed_once_and_answered_as_without_the_handover(app, monkeypatch):
    from web.context import gazetteer

    client = app.test_client()
    gaz = gazetteer(next(iter(app.extensions["geo_jurisdictions"].values())).ctx)
    gaz._parsed.clear()
    gaz.geocode(ADDRESSES[1])  # answered before: its geocode comes from the gazetteer's cache
    calls = _counting(monkeypatch)
    answers = {}
    for address in ADDRESSES:
        calls.clear()
        r = client.post("/api/lookup", json={"address": address})
        assert r.status_code in (200, 400), r.get_data(as_text=True)
        answers[address] = (r.status_code, r.data)
        assert len(calls) == 1, (address, calls)  # not twice (check + geocode)
    refused = {a for a, (status, _) in answers.items() if status == 400}
    assert refused == {"北京市朝阳区环河北路12号", "abc"}
    assert set(gaz._parsed) == refused  # the others' parses taken (or dropped) by their geocode

    # the same answers when nothing is handed over: a gazetteer that parses by itself
    monkeypatch.setattr(type(gaz), "parse", property(lambda self: None))
    fresh = create_app(
        {"DATA_DIR": str(app.config["DATA_DIR"]) + "-fresh", "SEED_COHORT": None, "TESTING": True}
    )
    gaz._cache.clear()
    for address, (status, data) in answers.items():
        r = fresh.test_client().post("/api/lookup", json={"address": address})
        assert (r.status_code, r.data) == (status, data), address


def test_the_handed_over_parse_is_the_gazetteers_own():
    from geo_enroll.address import parse_address
    from geo_enroll.geocode.gazetteer import PARSED_MAX, load_default_gazetteer

    gaz = load_default_gazetteer()
    for text in ["宝昌镇菜园村三社", "", "x" * 5000, None, 12]:
        got = gaz.parse(text)
        assert got == parse_address(text, divisions=gaz.divisions, settings=gaz.settings)
        assert gaz.parse(text) is got  # kept until geocoded
    gaz._cache.pop("宝昌镇菜园村三社", None)  # not answered from the geocode cache
    gaz.geocode("宝昌镇菜园村三社")
    assert "宝昌镇菜园村三社" not in gaz._parsed  # taken by the geocode
    for i in range(PARSED_MAX + 5):  # bounded
        gaz.parse(f"宝昌镇{i}号")
    assert len(gaz._parsed) <= PARSED_MAX
    gaz._parsed.clear()
