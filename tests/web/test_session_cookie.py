"""The session cookie (``web.auth.SessionInterface``): Flask's signed cookie, made with less
work when a request carries none — and the same answers as Flask's own interface."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from .conftest import login, make_app


def test_no_cookie_in_no_cookie_out_and_vary_cookie():
    c = make_app().test_client()
    r = c.post("/api/lookup", json={"address": "玩具镇北街7号"})
    assert r.status_code == 200
    assert "Set-Cookie" not in r.headers
    assert r.headers["Vary"] == "Cookie"  # the answer read the (empty) session


def test_a_session_made_and_read_back_across_requests():
    c = make_app().test_client()
    login(c, "staff")
    r = c.get("/api/versions")
    assert r.status_code == 200


def test_cookies_are_the_ones_flask_makes_and_reads():
    """A cookie signed by this interface reads with Flask's, and the other way round."""
    app = make_app()
    ours, flasks = app.session_interface, SecureCookieSessionInterface()
    data = {"sid": "abc", "csrf": "t"}
    with app.test_request_context("/"):
        for a, b in ((ours, flasks), (flasks, ours)):
            val = a.get_signing_serializer(app).dumps(data)
            assert b.get_signing_serializer(app).loads(val) == data


def test_a_new_secret_key_refuses_old_cookies_unless_kept_as_a_fallback():
    app = make_app()
    c = app.test_client()
    login(c, "staff")
    assert c.get("/api/versions").status_code == 200
    old = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "another-secret"
    assert c.get("/api/versions").status_code == 401  # the cached serializer was not reused
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert c.get("/api/versions").status_code == 200
