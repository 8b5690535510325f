"""Several jurisdictions in one service, words instead of codes, maps, gaps and the Monte-Carlo.

The app serves the toy town (``toy``) and the HYPOTHETICAL 延庆 multi-school scenario
(``yanqing_2023_multischool``), each with its own versions and cohorts.
"""

from __future__ import annotations

import json
import re

import pytest

from geo_enroll.mapview import external_urls

from .conftest import login, make_app, toy_jurisdiction, toy_version, yanqing_jurisdiction

YQ = "yanqing_2023_multischool"
YQ_ADDRESS = "北京市延庆区香水园街道东外社区"
# codes that must not be shown raw in the Chinese UI (as whole words of visible text)
RAW = (
    "primary",
    "middle",
    "nine_year",
    "placed",
    "ineligible",
    "deferred",
    "no_seat",
    "unresolved_address",
    "placement",
    "montecarlo",
    "house_number",
    "village",
)


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    app = make_app(
        tmp_path_factory.mktemp("multi"),
        JURISDICTIONS=[toy_jurisdiction(), yanqing_jurisdiction()],
        RATE_LIMIT_PER_MINUTE=10_000,
    )
    from web.jurisdictions import seed_defaults

    store = app.extensions["geo_store"]
    seed_defaults(store, app.extensions["geo_jurisdictions"][YQ], logger=app.logger, cohort_seed=7)
    return app


def _visible(html: str) -> str:
    """The text a reader sees (no scripts, styles, tags or attribute values)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<[^>]+>", " ", html)
    return html


def _raw_words(text: str) -> set[str]:
    return {w for w in RAW if re.search(rf"(?<![\w-]){w}(?![\w-])", text)}


def test_jurisdictions_are_listed_and_the_scenario_is_labelled(multi):
    d = multi.test_client().get("/api/jurisdictions").get_json()
    by_key = {j["key"]: j for j in d["jurisdictions"]}
    assert set(by_key) == {"toy", YQ}
    assert by_key[YQ]["hypothetical"] and "HYPOTHETICAL" in by_key[YQ]["scenario"]
    assert not by_key["toy"]["hypothetical"]
    assert by_key["toy"]["current_version"] != by_key[YQ]["current_version"]


def test_lookup_picks_the_jurisdiction_from_the_address(multi):
    c = multi.test_client()
    d = c.post("/api/lookup", data={"address": YQ_ADDRESS}).get_json()
    assert d["ok"] and d["jurisdiction"]["key"] == YQ and d["jurisdiction"]["hypothetical"]
    assert {g["school_id"][:3] for lv in d["groups"].values() for g in lv} == {"yq-"}
    d = c.post("/api/lookup", data={"address": "玩具镇横街61号"}).get_json()
    assert d["jurisdiction"]["key"] == "toy"  # no county named: the gazetteer that locates it
    # an address no jurisdiction can place: the answer asks, listing the choices
    r = c.post("/api/lookup", data={"address": "某某路1号"})
    body = r.get_json()
    assert r.status_code == 400 and body["ok"] is False
    assert any("jurisdiction=toy" in e for e in body["errors"])
    assert any(f"jurisdiction={YQ}" in e for e in body["errors"])
    # naming the jurisdiction answers there
    d = c.post("/api/lookup", data={"address": "某某路1号", "jurisdiction": "toy"})
    assert d.status_code == 200 and d.get_json()["jurisdiction"]["key"] == "toy"
    assert (
        c.post("/api/lookup", data={"address": "x", "jurisdiction": "nowhere"}).status_code == 404
    )


def test_each_jurisdiction_has_its_own_versions_and_cohorts(multi):
    c = multi.test_client()
    h = {"X-CSRF-Token": login(c, "admin")}
    toy = c.get("/api/versions?jurisdiction=toy").get_json()
    yq = c.get(f"/api/versions?jurisdiction={YQ}").get_json()
    assert {v["id"] for v in toy["versions"]}.isdisjoint({v["id"] for v in yq["versions"]})
    assert all(v["jurisdiction"] == "toy" for v in toy["versions"])
    assert {x["id"] for x in toy["cohorts"]}.isdisjoint({x["id"] for x in yq["cohorts"]})
    # a run on a version with a cohort of another jurisdiction is refused
    r = c.post(
        "/api/runs",
        json={"version_id": yq["current"], "cohort_id": toy["cohorts"][0]["id"]},
        headers=h,
    )
    assert r.status_code == 400 and "辖区" in r.get_json()["error"]
    # saving an unchanged copy is refused
    r = c.post("/api/versions", json={"parent_id": yq["current"], "message": "m"}, headers=h)
    assert r.status_code == 400 and "没有修改" in r.get_json()["error"]
    # a new version keeps its parent's jurisdiction
    spec = c.get(f"/api/versions/{yq['current']}").get_json()["spec"]
    spec["schools"][0]["name"] += "（新）"  # a school renamed: a real change
    body = {"parent_id": yq["current"], "message": "m", "spec": spec}
    r = c.post("/api/versions", json=body, headers=h)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert c.get(f"/api/versions/{r.get_json()['id']}").get_json()["version"]["jurisdiction"] == YQ


def test_the_scenario_is_labelled_on_every_page(multi):
    c = multi.test_client()
    token = login(c, "admin")
    r = c.post("/jurisdiction", data={"jurisdiction": YQ, "next": "/", "csrf_token": token})
    assert r.status_code == 302
    pages = ["/", "/planner/", "/analyst/", "/staff/", "/staff/appeals", "/admin/users"]
    yq_version = c.get(f"/api/versions?jurisdiction={YQ}").get_json()["current"]
    pages.append(f"/planner/versions/{yq_version}")
    for url in pages:
        html = c.get(url).get_data(as_text=True)
        assert 'id="scenario-banner"' in html and "示意情景" in html, url
    # a page of the toy town's version says nothing of a scenario, whatever the session says
    toy_version_id = c.get("/api/versions?jurisdiction=toy").get_json()["current"]
    assert 'id="scenario-banner"' not in c.get(f"/planner/versions/{toy_version_id}").get_data(
        as_text=True
    )
    # the lookup form answers a Yanqing address there
    html = c.post("/", data={"address": YQ_ADDRESS, "jurisdiction": YQ}).get_data(as_text=True)
    assert "示意第二中学" in html and 'id="scenario-banner"' in html


def test_montecarlo_draws_the_multi_school_lotteries(multi):
    c = multi.test_client()
    h = {"X-CSRF-Token": login(c, "analyst")}
    r = c.post("/api/runs", json={"kind": "montecarlo", "draws": 60, "jurisdiction": YQ}, headers=h)
    assert r.status_code == 202
    rid = r.get_json()["id"]
    d = c.get(f"/api/runs/{rid}").get_json()
    assert d["run"]["status"] == "done" and d["jurisdiction"]["key"] == YQ
    assert {g["level"] for g in d["groups"]} == {"primary", "middle"}
    names = {n for g in d["groups"] for n in g["schools"]}
    for u in d["units"]:
        total = sum(u["p"].values()) + u["p_no_seat"]
        assert abs(total - 1) < 1e-3, u  # each child gets a school of the group or none
        assert set(u["p"]) <= names and u["applicants"] > 0
    for g in d["groups"]:
        in_group = [u for u in d["units"] if u["group"] == g["group"]]
        assert sum(u["applicants"] for u in in_group) == g["applicants"]
        drawn = [s for s in d["schools"] if s["group"] == g["group"]]
        assert sum(s["seats"] for s in drawn) == g["seats_left"]
        for s in drawn:
            assert 0 <= s["mean_placed"] <= s["seats"] and 0 <= s["p_full"] <= 1
            assert s["last_tier_mode"] is None or s["last_tier_mode"] >= 0
        # the expected seats taken equal the units' probabilities times their children
        for s in drawn:
            expected = sum(u["p"].get(s["school"], 0) * u["applicants"] for u in in_group)
            assert abs(expected - s["mean_placed"]) < 0.05 * max(s["seats"], 1) + 0.5
    # the probability map of a chosen school: one circle per unit of its group, shaded by P
    school = d["groups"][0]["schools"][1]
    html = c.get(f"/analyst/runs/{rid}", query_string={"school": school}).get_data(as_text=True)
    assert "circleMarker" in html and f"P({school})" in html
    assert not _raw_words(_visible(html)), _raw_words(_visible(html))


def test_chinese_pages_show_words_not_codes_and_english_pages_english(multi):
    c = multi.test_client()
    h = {"X-CSRF-Token": login(c, "admin")}
    rid = c.post(
        "/api/runs", json={"kind": "placement", "jurisdiction": "toy"}, headers=h
    ).get_json()["id"]
    pages = [
        f"/analyst/runs/{rid}",
        "/analyst/?jurisdiction=toy",
        "/planner/?jurisdiction=toy",
        "/admin/users",
    ]
    for url in pages:
        text = _visible(c.get(url).get_data(as_text=True))
        assert not _raw_words(text), (url, _raw_words(text))
    html = c.post("/", data={"address": "玩具镇横街61号", "jurisdiction": "toy"}).get_data(
        as_text=True
    )
    text = _visible(html)
    assert not _raw_words(text) and "门牌号" in text and "小学" in text
    c.post("/lang", data={"lang": "en", "csrf_token": h["X-CSRF-Token"]})
    text = _visible(c.get(f"/analyst/runs/{rid}").get_data(as_text=True))
    assert "placement" in text and "placed" in text and "已派位" not in text
    text = _visible(c.post("/", data={"address": "玩具镇横街61号"}).get_data(as_text=True))
    assert "house number" in text and "门牌号" not in text


def test_parent_answer_groups_each_school_once(multi):
    d = multi.test_client().post("/api/lookup", data={"address": "玩具镇横街61号"}).get_json()
    for level, items in d["schools"].items():
        groups = d["groups"][level]
        assert len({g["school_id"] for g in groups}) == len(groups)
        assert {g["school_id"] for g in groups} == {s["school_id"] for s in items}
        for g in groups:
            kinds = {s["kind_label"] for s in items if s["school_id"] == g["school_id"]}
            assert set(g["kinds"]) == kinds and len(g["sources"]) >= 1
    assert d["match"] == {
        "code": "house_number",
        "label": "门牌号",
        "note": d["match"]["note"],
        "coarse": False,
    }
    assert d["match"]["note"]


def test_parent_answer_sends_each_source_text_once_and_the_page_shows_it(multi):
    """``sources`` holds each rule's sentence once; ``schools`` and ``groups`` name the rule."""
    c = multi.test_client()
    for address in ("玩具镇横街61号", YQ_ADDRESS):
        form = {"address": address}
        d = c.post("/api/lookup", data=form).get_json()
        refs = [s["rule_id"] for lv in d["schools"].values() for s in lv]
        refs += [r["rule_id"] for lv in d["groups"].values() for g in lv for r in g["sources"]]
        assert refs and set(refs) == set(d["sources"])  # every rule referenced has its text
        texts = [v["text"] for v in d["sources"].values()]
        assert all(texts) and all(json.dumps(d, ensure_ascii=False).count(t) == 1 for t in texts)
        assert not any("source" in s or "line" in s for lv in d["schools"].values() for s in lv)
        html = c.post("/", data=form).get_data(as_text=True)
        answer = html[html.index('id="answer"') : html.index('<div class="map-frame">')]
        for v in d["sources"].values():  # the page shows every sentence with its line
            assert f"<q>{v['text']}</q>" in answer.replace("&#34;", '"')
            assert v["line"] is None or f"{v['line']}" in answer


def test_maps_draw_streets_schools_and_a_legend_from_the_app_only(multi):
    c = multi.test_client()
    login(c, "planner")
    for url in ("/planner/?jurisdiction=toy", "/"):
        html = c.get(url).get_data(as_text=True)
        body = html[html.index('<div class="map-frame">') :]
        assert 'class="ge-legend"' in body and "东小学" in body
        assert "横街" in html or json.dumps("横街")[1:-1] in html  # street names (on hover)
        assert "ge-school-label" in html
        assert (
            external_urls(html) == []
            and "unsafe-inline" not in c.get(url).headers["Content-Security-Policy"]
        )
        frame = body[: body.index("</div>\n")] if "</div>\n" in body else body
        assert " style=" not in frame  # a strict CSP blocks style attributes


def test_an_address_in_a_gap_is_explained(tmp_path):
    from shapely.geometry import Polygon, mapping, shape

    from geo_enroll.datasets import toy_xy_to_lonlat as ll

    app = make_app(tmp_path)
    store = app.extensions["geo_store"]
    spec, zones = toy_version()
    hole = Polygon([ll(700, 400), ll(800, 400), ll(800, 600), ll(700, 600)])
    for f in zones["features"]:
        if f["properties"]["rule_id"] == "toy-p1-r01":
            f["geometry"] = mapping(shape(f["geometry"]).difference(hole))
    store.publish(
        store.save_version(spec=spec, zones=zones, author="t", message="gap", parent_id=1),
        author="t",
    )
    d = app.test_client().post("/api/lookup", data={"address": "玩具镇横街71号"}).get_json()
    assert d["ok"] and d["schools"]["primary"] == []
    why = d["no_zone"]["primary"]
    assert why["in_gap"] and why["gap"]["area_m2"] > 1000
    assert [r["school"] for r in why["gap"]["rules"]] == ["东小学"]
    assert "空白" in why["text"] and "middle" not in d["no_zone"]  # the middle zone serves it
    d = app.test_client().post("/api/lookup", data={"address": "玩具镇横街61号"}).get_json()
    assert d["no_zone"] == {}


def test_serve_refuses_an_unknown_policy(capsys):
    from geo_enroll.cli import main

    assert main(["serve", "--policy", "no_such_policy", "--port", "1"]) == 2
    assert main(["serve", "--policy", "taipusi_2024", "--spec", "x.toml"]) == 2


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("", "地址为空"),
        ("😀😀", "地址为空"),
        ("abc", "没有汉字"),
        ("宝" * 5000, "地址过长"),
        ("北京市朝阳区建国路1号", "不在本服务的辖区内"),
    ],
)
def test_unusable_addresses_get_their_own_reason_not_a_jurisdiction_question(multi, address, words):
    r = multi.test_client().post("/api/lookup", data={"address": address})
    body = r.get_json()
    assert r.status_code == 400 and body["ok"] is False
    assert words in body["error"], body["error"]


def test_latin_addresses_reach_the_geocoder_only_where_an_imported_map_is_served():
    """A Latin-script address is refused up front unless a served jurisdiction has a real
    imported map whose geocoder can read it (an imported city anywhere in the world)."""
    from pathlib import Path

    from geo_enroll.basemap.importers import import_osm
    from geo_enroll.errors import InputError
    from geo_enroll.geocode import Gazetteer
    from web.context import Context
    from web.jurisdictions import Jurisdiction
    from web.public.service import _check_address

    osm = Path(__file__).resolve().parents[1] / "basemap" / "data" / "helsinki_centre.osm.pbf"
    city = Jurisdiction(
        key="hel",
        name="Helsinki",
        ctx=Context(gazetteer=Gazetteer.from_data(basemap=import_osm(osm, district="Helsinki"))),
    )
    plain = Jurisdiction(key="toy", name="玩具镇", ctx=Context())
    _check_address("Annankatu 15, Helsinki", {"hel": city})  # passes to the geocoder
    with pytest.raises(InputError, match="no Chinese|中文"):
        _check_address("Annankatu 15, Helsinki", {"toy": plain})
    r = city.ctx.gazetteer.geocode("Annankatu 15, Helsinki")
    assert r["level"] == "house_number" and r["lon"] is not None
