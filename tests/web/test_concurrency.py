"""Several people at once: planners saving on the same version, staff placing and appealing.

The same tests run on the PostGIS store (``tests/pg/test_web_on_postgis.py`` imports them).
"""

from __future__ import annotations

import threading

from werkzeug.security import generate_password_hash

from .conftest import PASSWORD
from .test_routes import _moved_zones

RECORD = {"kind": "placement", "of_record": True, "version_id": 1, "cohort_id": 1, "seed": 7}


def _user(app, name: str, role: str):
    store = app.extensions["geo_store"]
    store.add_user(name, generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), role)
    c = app.test_client()
    token = c.get("/api/session").get_json()["csrf_token"]
    r = c.post(
        "/login", json={"username": name, "password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return c, {"X-CSRF-Token": r.get_json()["csrf_token"]}


def _parallel(jobs):
    """Run the callables at the same moment; return their results (exceptions re-raised)."""
    start = threading.Barrier(len(jobs))
    out: list = [None] * len(jobs)

    def run(i, job):
        start.wait()
        try:
            out[i] = job()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in out:
        if isinstance(r, BaseException):
            raise r
    return out


def test_two_planners_saving_on_the_same_version_one_wins_none_lost(app):
    a, ha = _user(app, "planner_a", "planner")
    b, hb = _user(app, "planner_b", "planner")
    zones = _moved_zones(a)
    # both opened version 1 in the editor (which tells them the newest version it saw)
    seen_a = a.get("/api/versions/1").get_json()["seen"]
    seen_b = b.get("/api/versions/1").get_json()["seen"]
    # an alternative drafted earlier from the same version is no conflict
    early = {"parent_id": 1, "message": "早先的方案", "zones": zones, "seen": seen_a}
    assert a.post("/api/versions", json=early, headers=ha).status_code == 201
    seen_a = seen_b = a.get("/api/versions/1").get_json()["seen"]
    edit_a = {"parent_id": 1, "message": "甲：东区西界东移", "zones": zones, "seen": seen_a}
    edit_b = {"parent_id": 1, "message": "乙：同一处另一种改法", "zones": zones, "seen": seen_b}
    ra, rb = _parallel(
        [
            lambda: a.post("/api/versions", json=edit_a, headers=ha),
            lambda: b.post("/api/versions", json=edit_b, headers=hb),
        ]
    )
    statuses = sorted([ra.status_code, rb.status_code])
    assert statuses == [201, 409], (ra.get_json(), rb.get_json())
    won, lost = (ra, rb) if ra.status_code == 201 else (rb, ra)
    loser, lost_h, lost_edit = (b, hb, edit_b) if won is ra else (a, ha, edit_a)
    err = lost.get_json()
    assert err["ok"] is False and err["status"] == 409
    assert str(won.get_json()["id"]) in err["error"]  # names the version to re-apply on
    versions = app.extensions["geo_store"].versions("toy")
    assert [v["message"] for v in versions if v["parent_id"] == 1] == [
        (edit_a if won is ra else edit_b)["message"],
        "早先的方案",
    ]
    # nothing lost: the refused edit is saved as a branch when the planner says so
    r = loser.post("/api/versions", json=lost_edit | {"branch": True}, headers=lost_h)
    assert r.status_code == 201
    children = [v for v in app.extensions["geo_store"].versions("toy") if v["parent_id"] == 1]
    assert sorted(v["message"] for v in children) == sorted(
        [edit_a["message"], edit_b["message"], "早先的方案"]
    )


def test_eight_staff_place_and_appeal_at_once_without_errors(app, as_role):
    c, token = as_role("staff")
    r = c.post("/api/runs", json=RECORD, headers={"X-CSRF-Token": token})
    assert r.status_code in (201, 202), r.get_json()
    placements = c.get("/api/runs/1/placements").get_json()["placements"]
    placed = [p["student_id"] for p in placements if p["status"] == "placed"]
    assert len(placed) >= 8
    staff = [_user(app, f"staff{k}", "staff") for k in range(8)]

    def work(k: int):
        client, h = staff[k]
        codes = []
        r = client.post("/api/runs", json={"kind": "placement", "seed": 100 + k}, headers=h)
        codes.append(r.status_code)
        r = client.post(
            "/staff/appeals", json={"student_id": placed[k], "reason": f"复核{k}"}, headers=h
        )
        codes.append(r.status_code)
        aid = r.get_json()["id"]
        r = client.post(
            f"/staff/appeals/{aid}/decision",
            json={"outcome": "upheld", "reason": f"维持{k}"},
            headers=h,
        )
        codes.append(r.status_code)
        codes.append(client.get("/staff/appeals").status_code)
        return codes

    results = _parallel([lambda k=k: work(k) for k in range(8)])
    assert all(code < 400 for codes in results for code in codes), results
    store = app.extensions["geo_store"]
    appeals = store.appeals()
    assert sorted(a["student_id"] for a in appeals) == sorted(placed[:8])
    assert all(a["outcome"] == "upheld" for a in appeals)
    assert len(store.runs()) == 1 + 8
