"""The parents' answers kept per published version (``web.public.answer_cache``): a kept answer
is the same bytes a fresh app gives, and a publication is never answered from before it."""

from __future__ import annotations

import copy

import pytest

from geo_enroll.datasets import toy_xy_to_lonlat
from web.public.answer_cache import AnswerCache

from .conftest import login, make_app

ADDRESSES = ["玩具镇横街61号", "玩具镇中街5号", "玩具镇河湾村一社3号", "玩具镇花园小区2号楼"]


def _requests() -> list[dict]:
    reqs = [{"address": a} for a in ADDRESSES]
    for x, y in ((250, 500), (500, 300), (510, 300), (2000, 2000)):  # incl. a shared edge
        lon, lat = toy_xy_to_lonlat(x, y)
        reqs.append({"lon": lon, "lat": lat})
    reqs.append({"address": "玩具镇横街61号", "jurisdiction": "toy"})
    return reqs


def _post(client, req: dict):
    r = client.post("/api/lookup", json=req)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def _cached(app) -> int:
    cache = app.extensions.get("geo_answers")
    return 0 if cache is None else len(cache._kept[1])


def test_a_kept_answer_is_the_bytes_and_headers_of_a_fresh_app(tmp_path):
    app = make_app(tmp_path / "a")
    fresh = make_app(tmp_path / "b")
    c = app.test_client()
    for req in _requests():
        first = _post(c, req)
        again = _post(c, req)  # from the cache
        want = _post(fresh.test_client(), req)
        assert again.data == first.data == want.data
        assert again.headers.get("Content-Type") == want.headers.get("Content-Type")
        assert again.headers.get("Content-Length") == want.headers.get("Content-Length")
        assert again.headers.get("Cache-Control") == "no-store"
    assert _cached(app) == len(_requests())


def _store_version(store, spec, zones, message: str) -> int:
    return store.save_version(
        spec=spec, zones=zones, author="p", message=message, jurisdiction="toy"
    )


def _renamed(app) -> int:
    """A second version of the toy town: 东小学 renamed (every answer naming it changes)."""
    store = app.extensions["geo_store"]
    v1 = store.version(store.current_version_id("toy"))
    spec = copy.deepcopy(v1["spec"])
    for s in spec["schools"]:
        if s["name"] == "东小学":
            s["name"] = "东小学（新校名）"
    return _store_version(store, spec, v1["zones"], "东小学改名")


def test_a_publication_is_never_answered_from_before_it(tmp_path):
    app = make_app(tmp_path)
    store = app.extensions["geo_store"]
    c = app.test_client()
    req = {"address": "玩具镇横街61号"}
    v1_answer = _post(c, req).data
    assert _post(c, req).data == v1_answer and _cached(app) == 1
    v2 = _renamed(app)
    store.publish(v2, author="p")
    new = _post(c, req)
    assert new.get_json()["version"] == v2
    assert "东小学（新校名）" in new.get_data(as_text=True)
    assert _post(c, req).data == new.data  # kept under the new publication
    store.publish(1, author="p")  # back to version 1: its own answer, not version 2's
    back = _post(c, req)
    assert back.data == v1_answer and back.get_json()["version"] == 1


def test_a_publication_by_another_store_is_seen_at_once(tmp_path):
    from web.storage import Store

    app = make_app(tmp_path)
    c = app.test_client()
    req = {"address": "玩具镇横街61号"}
    _post(c, req), _post(c, req)
    other = Store(str(tmp_path / "store.sqlite"))  # another connection of this process
    v2 = _renamed(app)
    other.publish(v2, author="other")
    assert _post(c, req).get_json()["version"] == v2


def test_an_answer_racing_a_publication_is_not_kept(tmp_path, monkeypatch):
    """A publication between reading the versions and answering: the answer (of the new
    version) is served but not kept under the old versions' key, so going back to the old
    version answers afresh."""
    import web.api

    app = make_app(tmp_path)
    store = app.extensions["geo_store"]
    v2 = _renamed(app)
    c = app.test_client()
    req = {"address": "玩具镇横街61号"}
    real = web.api.lookup_page

    def racing(**kw):
        store.publish(v2, author="p")  # after the lookup read version 1
        return real(**kw)

    monkeypatch.setattr(web.api, "lookup_page", racing)
    assert _post(c, req).get_json()["version"] == v2
    monkeypatch.setattr(web.api, "lookup_page", real)
    assert _cached(app) == 0
    store.publish(1, author="p")
    assert _post(c, req).get_json()["version"] == 1


def test_signed_in_answers_are_never_kept_nor_served_from_the_cache(tmp_path):
    app = make_app(tmp_path)
    anon = app.test_client()
    req = {"address": "玩具镇横街61号"}
    _post(anon, req), _post(anon, req)
    kept = _cached(app)
    staff = app.test_client()
    login(staff, "staff")
    got = _post(staff, req).get_json()
    assert "diagnostics" in got  # the bureau's notes: only for a signed-in user
    assert "diagnostics" not in _post(anon, req).get_json()
    assert _cached(app) == kept


def test_the_language_is_part_of_the_key(tmp_path):
    app = make_app(tmp_path)
    zh, en = app.test_client(), app.test_client()
    token = en.get("/api/session").get_json()["csrf_token"]
    assert en.post("/lang", json={"lang": "en"}, headers={"X-CSRF-Token": token}).status_code == 200
    req = {"address": "玩具镇横街61号"}
    a, b = _post(zh, req).get_json(), _post(en, req).get_json()
    assert a["match"] != b["match"]
    assert _post(zh, req).get_json() == a and _post(en, req).get_json() == b


def test_a_kept_answer_still_counts_against_the_rate_limit(tmp_path):
    app = make_app(tmp_path, RATE_LIMIT_PER_MINUTE=3)
    c = app.test_client()
    req = {"address": "玩具镇横街61号"}
    for _ in range(3):
        _post(c, req)
    assert c.post("/api/lookup", json=req).status_code == 429


def test_errors_are_not_kept(tmp_path):
    app = make_app(tmp_path)
    c = app.test_client()
    for _ in range(2):
        assert c.post("/api/lookup", json={"address": ""}).status_code == 400
    assert _cached(app) == 0


@pytest.mark.parametrize(
    "a, b",
    [
        ({"lon": 116, "lat": 40}, {"lon": 116.0, "lat": 40.0}),  # the answer echoes them
        ({"lon": 0.0, "lat": 0.0}, {"lon": -0.0, "lat": 0.0}),
        ({"address": "1.0"}, {"lon": 1.0}),
    ],
)
def test_requests_with_different_text_have_different_keys(a, b):
    assert AnswerCache.key(a, "zh") != AnswerCache.key(b, "zh")
    assert AnswerCache.key(a, "zh") != AnswerCache.key(a, "en")
    assert AnswerCache.key(a, "zh") == AnswerCache.key(dict(reversed(a.items())), "zh")


def test_the_cache_is_bounded():
    c = AnswerCache(max_entries=3)
    for k in range(10):
        c.put((1,), (k,), b"x", version_ok=True)
    assert len(c._kept[1]) <= 3 and c.get((1,), (9,)) == b"x"


def test_no_zone_explanations_kept_per_point_equal_fresh_ones(tmp_path):
    """The explanation of a point without a zone school (``no_zone``), kept per version and
    point, equals one computed afresh; HTML and JSON alike, each asked twice."""
    from web import common
    from web.public.answer import explain_no_zone, gap_report

    app = make_app(tmp_path)
    c = app.test_client()
    pts = [toy_xy_to_lonlat(x, y) for x, y in ((1100, 500), (2000, 2000), (-300, 100))]
    seen = 0
    for lon, lat in pts * 2:
        for lang in ("zh", "en"):
            got = c.post("/api/lookup", json={"lon": lon, "lat": lat}).get_json()
            html = c.post("/", data={"lon": lon, "lat": lat})
            assert html.status_code == 200
            with app.test_request_context():
                j = common.jurisdiction("toy")
                v = common.current_version(j)
                gaps = gap_report(v["spec"], v["zones"], j.ctx)
                for level, why in got["no_zone"].items():
                    want = explain_no_zone(v["spec"], v["zones"], gaps, lon, lat, lang, level)
                    want.pop("geometry", None)
                    assert why == want
                    seen += 1
            if lang == "zh":
                token = c.get("/api/session").get_json()["csrf_token"]
                c.post("/lang", json={"lang": "en"}, headers={"X-CSRF-Token": token})
            else:
                token = c.get("/api/session").get_json()["csrf_token"]
                c.post("/lang", json={"lang": "zh"}, headers={"X-CSRF-Token": token})
    assert seen >= 6
