"""The app's JSON answers: orjson where it writes the same bytes as the standard library."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import uuid

import pytest
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from .conftest import make_app


@dataclasses.dataclass
class _Point:
    lon: float
    lat: float


VALUES = [
    {"schools": {"primary": [{"school": "东小学", "distance_m": 167, "optional": False}]}},
    {"b": 1, "a": [1.5, -0.0, 0.1, 1e15, 123456789.123, None, True], "c": {"z": '引号"\\\n'}},
    {"when": dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.timezone.utc), "day": dt.date(2026, 9, 1)},
    {"amount": decimal.Decimal("1.10"), "id": uuid.UUID(int=7), "html": Markup("<b>x</b>")},
    {"point": _Point(115.27, 41.87), "emoji": "😀", "tab": "\t", "nul": "\x00"},
    {"big": 2**70, "neg": -(2**63)},  # beyond 64 bits: the standard library writes it
    {1: "a non-string key"},  # orjson refuses: the standard library sorts and writes it
    [],
    "text",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("json"))


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_answers_are_the_bytes_the_standard_library_writes(app, value):
    plain = DefaultJSONProvider(app)
    plain.ensure_ascii = app.json.ensure_ascii
    with app.app_context():
        try:
            want = plain.response(value).get_data()
        except TypeError:  # the standard library cannot write it: neither does the app
            with pytest.raises(TypeError):
                app.json.response(value)
            return
        assert app.json.response(value).get_data() == want
        # other calls (indented, default separators) are the standard library's own
        assert app.json.dumps(value) == plain.dumps(value)
        assert app.json.dumps(value, indent=2) == plain.dumps(value, indent=2)


def test_a_float_in_exponent_form_is_the_same_number(app):
    """orjson writes 1e-7 and 1e16 where the standard library writes 1e-07 and 1e+16."""
    value = {"tiny": 1e-7, "huge": 1e16, "lat": -3.5e-05}
    with app.app_context():
        got = app.json.response(value).get_data()
    assert json.loads(got) == value and b"1e-7" in got


def test_a_lookup_answer_is_encoded_once_and_reads_back(app):
    c = app.test_client()
    r = c.post("/api/lookup", json={"address": "玩具镇横街61号"})
    assert r.status_code == 200 and r.data.endswith(b"\n")
    d = json.loads(r.data)
    assert (
        r.data.decode()
        == json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    )


@pytest.mark.parametrize("value", VALUES[:5], ids=range(5))
def test_the_response_bytes_and_headers_are_flasks(app, value):
    """The response written from orjson's bytes has Flask's headers, and indented output
    (``compact = False``) is still the standard library's."""
    plain = DefaultJSONProvider(app)
    plain.ensure_ascii = app.json.ensure_ascii
    with app.app_context():
        got, want = app.json.response(value), plain.response(value)
        assert got.get_data() == want.get_data()
        assert got.headers.get("Content-Type") == want.headers.get("Content-Type")
        assert got.headers.get("Content-Length") == want.headers.get("Content-Length")
        app.json.compact = plain.compact = False
        try:
            assert app.json.response(value).get_data() == plain.response(value).get_data()
        finally:
            app.json.compact = plain.compact = None
