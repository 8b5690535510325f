"""Answers kept by what the engine reads of an address (``web.public.service._kept_answers``):
addresses of one village or street point with the same unit matches share one kept answer, and
every answer is the bytes the app gives with nothing kept — the address itself spliced into the
kept encoding — in both languages, with 也可 rules, signed in or not."""

from __future__ import annotations

import json
import re

import pytest

from web.context import default_spec_path

from .conftest import login, make_default_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_default_app(tmp_path_factory.mktemp("kept"), "staff", RATE_LIMIT_PER_MINUTE=10**6)


def _addresses() -> list[str]:
    """Addresses of the seed county's synthetic cohort, each with other house numbers too (the
    same village or street point): 千斤沟镇 villages carry the 也可 rule to 第四小学."""
    import tomllib

    from geo_enroll.placement.cohort import synth_cohort

    spec = tomllib.loads(default_spec_path().read_text("utf-8"))
    df = synth_cohort(spec, seed=5, primary=60, middle=30)
    homes = sorted({a for a in set(df["户籍地址"]) | set(df["实际居住地址"]) if "太仆寺旗" in a})
    out = []
    for a in homes[:40]:
        m = re.match(r"^(.*?)(\d+)号$", a)
        out += [a] + ([f"{m[1]}{k}号" for k in (2, 17, 303)] if m else [])
    out += [
        "太仆寺旗千斤沟镇七号村一社2号",
        "太仆寺旗千斤沟镇七号村三社5号",
        "太仆寺旗千斤沟镇七号村8号",
    ]
    return out


def _forget(app) -> None:
    """Every kept answer of the app and its zone indexes (the reference: nothing kept)."""
    from web.public.answer import _INDEX_CACHE

    cache = app.extensions.get("geo_cache", {})
    for key in [k for k in cache if isinstance(k, tuple) and k and k[0] == "answers"]:
        del cache[key]
    for index in _INDEX_CACHE.values():
        index.__dict__.pop("_answer_memo", None)
    answers = app.extensions.get("geo_answers")
    if answers is not None:
        answers._kept = (answers._kept[0], {})


def _kept(app) -> int:
    cache = app.extensions.get("geo_cache", {})
    return sum(len(v[2]) for k, v in cache.items() if isinstance(k, tuple) and k[0] == "answers")


def _set_lang(client, lang: str) -> None:
    token = client.get("/api/session").get_json()["csrf_token"]
    r = client.post("/lang", json={"lang": lang}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_answer_kept_by_point_is_the_bytes_of_one_computed_afresh(app, lang):
    client = app.test_client()
    _set_lang(client, lang)
    addresses = _addresses()
    _forget(app)
    got = {a: client.post("/api/lookup", json={"address": a}) for a in addresses}
    shared = _kept(app)
    assert 0 < shared < len(addresses) // 2  # one village point answers many addresses
    for a in addresses:
        _forget(app)
        want = client.post("/api/lookup", json={"address": a})
        assert got[a].status_code == want.status_code == 200
        assert got[a].get_data() == want.get_data(), a
        assert got[a].get_json()["input"] == a
    _forget(app)


def test_alternatives_and_groups_of_one_point_keep_their_own_answers(app):
    """七号村 一社 / 三社 / no 社 share the village point; the 也可 school (第四小学) is an option
    for each, and the answers are those computed afresh."""
    client = app.test_client()
    _forget(app)
    texts = [
        "太仆寺旗千斤沟镇七号村一社2号",
        "太仆寺旗千斤沟镇七号村一社9号",
        "太仆寺旗千斤沟镇七号村9号",
    ]
    answers = [client.post("/api/lookup", json={"address": t}).get_json() for t in texts]
    assert len({(a["lon"], a["lat"]) for a in answers}) == 1
    for a in answers:
        optional = {s["school"] for s in a["schools"]["primary"] if s["optional"]}
        assert "第四小学" in optional
    assert _kept(app) >= 1
    for t, a in zip(texts, answers, strict=True):
        _forget(app)
        assert client.post("/api/lookup", json={"address": t}).get_json() == a


def test_the_address_is_encoded_as_the_json_provider_does(app):
    """Quotes, backslashes, the private-use characters the kept encoding marks the address
    with, and spaces around it: the answer's ``input`` is the stripped address, the body the
    provider's own encoding of the whole answer."""
    client = app.test_client()
    base = "太仆寺旗千斤沟镇七号村一社"
    texts = [
        f"{base}2号",
        f'{base}3号"引号"\\',
        f"{base}4号\ue000geo_enroll input\ue001",
        f"  {base}5号  ",
        f"{base}6号</script>",
    ]
    _forget(app)
    for t in texts:
        r = client.post("/api/lookup", json={"address": t})
        assert r.status_code == 200
        body = r.get_data()
        answer = json.loads(body)
        assert answer["input"] == t.strip()
        assert body == app.json.response(answer).get_data()  # the provider's own bytes


def test_signed_in_lookups_get_their_own_kept_answers(app):
    """A signed-in lookup (the bureau's diagnostics) is never answered from an anonymous one,
    nor the other way round, and a caller changing its answer changes no later one."""
    anon = app.test_client()
    staff = app.test_client()
    login(staff, "staff")
    _forget(app)
    t = "太仆寺旗千斤沟镇七号村一社2号"
    first_anon = anon.post("/api/lookup", json={"address": t}).get_json()
    first_staff = staff.post("/api/lookup", json={"address": t}).get_json()
    assert "diagnostics" in first_staff and "diagnostics" not in first_anon
    again_anon = anon.post("/api/lookup", json={"address": "太仆寺旗千斤沟镇七号村一社7号"})
    assert "diagnostics" not in again_anon.get_json()
    again_staff = staff.post("/api/lookup", json={"address": "太仆寺旗千斤沟镇七号村一社7号"})
    assert again_staff.get_json()["diagnostics"] == first_staff["diagnostics"]
    assert again_staff.get_json()["schools"] == first_staff["schools"]


def test_the_language_is_part_of_what_is_kept(app):
    """Two addresses of one point, one asked in Chinese and the other in English: each gets
    its language's labels (a kept Chinese answer never answers an English lookup)."""
    zh, en = app.test_client(), app.test_client()
    _set_lang(en, "en")
    _forget(app)
    a = zh.post("/api/lookup", json={"address": "太仆寺旗千斤沟镇七号村一社2号"}).get_json()
    b = en.post("/api/lookup", json={"address": "太仆寺旗千斤沟镇七号村一社3号"}).get_json()
    assert (a["lon"], a["lat"]) == (b["lon"], b["lat"])
    assert a["match"]["label"] != b["match"]["label"]
    _forget(app)
    assert en.post("/api/lookup", json={"address": "太仆寺旗千斤沟镇七号村一社3号"}).get_json() == b
