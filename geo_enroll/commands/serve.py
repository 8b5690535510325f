"""``geo-enroll serve``: run the web service through waitress (a production WSGI server).

On first start the store is created in ``--data`` (default ``./instance``), each policy's spec
and zones become its version 1 (default: the 太仆寺旗 2024 policy), and an ``admin`` account is
created with the password in ``$GEO_ENROLL_ADMIN_PASSWORD`` or a generated one printed once on
the console (never logged).

``--policy SPEC`` (repeatable) serves several jurisdictions side by side, each with its own
versions and cohorts: SPEC is a zone spec path or a name under ``data/boundaries`` or
``data/scenarios`` (e.g. ``--policy taipusi_2024 --policy yanqing_2023_multischool``).
Hypothetical scenarios (``policy.sources.scenario``) are labelled as such on every page.

``--zones FILE`` is checked at start with the zone-layer importer (:mod:`geo_enroll.zonelayer`):
a geo_enroll zones layer must match ``--spec`` (every ``rule_id`` a rule of the spec, valid
polygons, a CRS — any CRS, converted to EPSG:4326); a published layer without ``rule_id``
(e.g. a district's GeoJSON) is imported, its spec generated from the layer (``--school-field``,
``--level``, ``--year``, ``--crs``, ``--schools`` as for ``geo-enroll zones import``) and
written under ``--data``/imported.  A layer it cannot use stops the service with every problem
listed (exit 2), never a 500 on the first lookup.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import InputError

__all__ = ["register", "serve"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the web service (家长查询、规划、模拟、招生办理)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--data",
        default="instance",
        help="folder of the service's store and secret key (default ./instance)",
    )
    p.add_argument(
        "--policy",
        action="append",
        default=None,
        metavar="SPEC",
        help="a policy to serve (zone spec path, or a name in data/boundaries or data/scenarios); "
        "repeat for several jurisdictions (default: 太仆寺旗 2024)",
    )
    p.add_argument(
        "--spec", default=None, help="zone spec for the first version (default: 太仆寺旗 2024)"
    )
    p.add_argument(
        "--zones",
        default=None,
        help="zones for the first version: a geo_enroll zones layer (with --spec) or a published "
        "zone layer (GeoJSON, GPKG, SHP, KML …) imported at start",
    )
    imp = p.add_argument_group("importing a published zone layer given as --zones")
    imp.add_argument("--school-field", default=None, help="field naming each zone's school(s)")
    imp.add_argument("--level", default=None, help="level of every zone (primary, middle, …)")
    imp.add_argument("--year", default=None, help="year or school year (2025-2026)")
    imp.add_argument("--crs", default=None, help="the layer's CRS when missing or wrong")
    imp.add_argument("--schools", default=None, help="school points layer (matched by name)")
    p.add_argument(
        "--db",
        default=os.environ.get("GEO_ENROLL_DB"),
        help="store: postgresql://user@host/db for PostgreSQL + PostGIS (env GEO_ENROLL_DB); "
        "default: the embedded SQLite file in --data",
    )
    p.add_argument(
        "--trusted-proxy",
        action="append",
        default=None,
        metavar="ADDR",
        help="a reverse proxy (address or network) whose X-Forwarded-For counts; repeatable "
        "(env GEO_ENROLL_TRUSTED_PROXIES, comma-separated)",
    )
    p.add_argument(
        "--tiles-url",
        default=None,
        help="optional tile server URL template (https://…/{z}/{x}/{y}.png or a same-origin "
        "path; env GEO_ENROLL_TILES_URL); default: none, the offline background only",
    )
    p.add_argument("--threads", type=int, default=4, help="worker threads per process (default 4)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (default 1: waitress; N > 1: gunicorn with N processes, about "
        "one per core, sharing the store and sign-ins; each admits its share of a rate limit)",
    )
    p.add_argument(
        "--lookups-per-minute",
        type=int,
        default=None,
        help="parent lookups allowed per client address per minute (default "
        "Settings.rate_limit_per_minute, 60); raise it when many parents share one address",
    )
    p.add_argument(
        "--https",
        action="store_true",
        help="the service is behind an HTTPS proxy: Secure cookies, trust X-Forwarded-*",
    )
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    if not (0 < args.port < 65536):
        raise InputError(f"--port must be 1-65535, got {args.port}")
    workers = getattr(args, "workers", 1) or 1
    if not (1 <= workers <= 64):
        raise InputError(f"--workers must be 1-64 (about one per core), got {workers}")
    if not (1 <= args.threads <= 256):
        raise InputError(f"--threads must be 1-256, got {args.threads}")
    per_minute = getattr(args, "lookups_per_minute", None)
    if per_minute is not None and per_minute < 1:
        raise InputError(f"--lookups-per-minute must be at least 1, got {per_minute}")
    try:
        import waitress
    except ImportError as exc:  # pragma: no cover - a dependency
        raise InputError("waitress is not installed: run `make setup`") from exc
    from web.app import create_app
    from web.auth import bootstrap_admin

    config = {"DATA_DIR": args.data, "SPEC_PATH": args.spec, "ZONES_PATH": args.zones}
    if getattr(args, "db", None):
        config["STORE_PATH"] = args.db
    if getattr(args, "trusted_proxy", None):
        config["TRUSTED_PROXIES"] = tuple(args.trusted_proxy)
    if getattr(args, "tiles_url", None):
        config["TILES_URL"] = args.tiles_url
    from ..settings import DEFAULT_SETTINGS

    if (
        not os.environ.get("GEO_ENROLL_ID_SALT")
        and DEFAULT_SETTINGS.student_id_salt == "geo-enroll-v1"
    ):
        print(
            "警告 warning: 使用默认的 student_id 盐值 (Settings.student_id_salt)；正式部署请设置 "
            "$GEO_ENROLL_ID_SALT 为本局私有的随机值，否则 student_id 可被反推出身份证号 — "
            "the default salt lets anyone map a student_id back to its ID number",
            file=sys.stderr,
        )
    policies = list(getattr(args, "policy", None) or [])
    if policies and (args.spec or args.zones):
        raise InputError("use either --policy (one or more) or --spec/--zones, not both")
    if not policies and (args.spec or args.zones):
        prepared = _prepare_zones(args)
        policies = [prepared] if prepared else []
    if policies:
        config["POLICIES"] = policies
    if args.https:
        config |= {"SESSION_COOKIE_SECURE": True, "TRUST_PROXY": True}
    if per_minute is not None:
        config["RATE_LIMIT_PER_MINUTE"] = per_minute
    if workers > 1:
        from pathlib import Path

        from web.ratelimit import create_shared

        Path(args.data).mkdir(parents=True, exist_ok=True)
        config["SHARED_THROTTLE"] = str(Path(args.data) / "throttle.sqlite")
        config["SERVER_WORKERS"] = workers
        create_shared(config["SHARED_THROTTLE"])
        # this process only prepares the store (first start) and prints; each worker builds
        # and warms its own app after the fork (no connection or thread crosses a fork)
        app = create_app(config | {"WARM_UP": False})
    else:
        app = create_app(config)
    generated = bootstrap_admin(
        app.extensions["geo_store"], os.environ.get("GEO_ENROLL_ADMIN_PASSWORD")
    )
    if generated:
        # the console only (stdout), never the log
        print(f"已创建管理员 admin, 一次性密码 one-time password: {generated}", flush=True)
    url = f"http://{args.host}:{args.port}/"
    for j in app.extensions["geo_jurisdictions"].values():
        print(f"  辖区 jurisdiction {j.key}: {j.label()}", flush=True)
    print(f"geo_enroll 服务已启动 serving on {url}  (Ctrl+C 停止 to stop)", flush=True)
    body = json.dumps(_example(app), ensure_ascii=False)
    print(f"  家长查询 parents' lookup: {url}", flush=True)
    print(  # addresses and points never go in a URL (the service refuses them there)
        f"  试一试 try: curl -X POST -H 'Content-Type: application/json' -d '{body}' "
        f"{url}api/lookup",
        flush=True,
    )
    sys.stdout.flush()
    if workers > 1:
        app.extensions["geo_store"].close()
        del app
        return _serve_workers(args, config, workers)
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        # above Flask's own limit, so that Flask answers an oversized body with the JSON error
        # envelope (413) before waitress would cut it off with plain text
        max_request_body_size=2 * app.config["MAX_CONTENT_LENGTH"],
        ident="geo_enroll",
    )
    return 0


def _serve_workers(args: argparse.Namespace, config: dict, workers: int) -> int:
    """Serve through gunicorn: ``workers`` processes of ``--threads`` threads each (gthread),
    each building its own app from ``config`` after the fork.  gunicorn's own trust of
    ``X-Forwarded-*`` is off: the app's :class:`web.ratelimit.TrustedProxies` decides, as under
    waitress.  No access log of gunicorn's (the app writes its own, without query strings)."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:  # pragma: no cover - a dependency
        raise InputError("gunicorn is not installed: run `make setup`") from exc

    class _Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": [
                    f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
                ],
                "workers": workers,
                "worker_class": "gthread",
                "threads": args.threads,
                "preload_app": False,
                "proc_name": "geo_enroll",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "forwarded_allow_ips": "",
                "proxy_allow_ips": "",
                "secure_scheme_headers": {},
                "limit_request_line": 8190,
                "control_socket_disable": True,
                # a placement run can keep a worker's threads busy for minutes: the arbiter
                # hears from the worker's main thread, which stays free, so this only ends a
                # worker that hangs as a whole
                "timeout": 120,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from web.app import create_app

            return create_app(config | {"SEED_DEFAULT": False})

    _Server().run()
    return 0


def _prepare_zones(args: argparse.Namespace) -> str | None:
    """The policy to serve for ``--spec``/``--zones``: ``--spec`` alone (its companion zones
    found and checked), None for a geo_enroll zones layer (served with ``--spec`` or the
    default spec, checked by :func:`web.jurisdictions.checked_zones` at start), or the spec
    imported from a published layer (written under ``--data``/imported)."""
    from pathlib import Path

    from ..commands.zones import summary
    from ..zonelayer import read_layer, write_import, zones_for_serving

    if args.zones is None:
        return str(args.spec)
    gdf, _notes = read_layer(args.zones, crs=getattr(args, "crs", None))
    if "rule_id" in gdf.columns:
        return None
    if args.spec is not None:
        zones_for_serving(args.zones, {"schools": []})  # raises: a raw layer brings its own spec
    layer = _import(args)
    print(summary(layer.report), flush=True)
    out = Path(args.data) / "imported" / Path(args.zones).stem
    return str(write_import(layer, out)["spec"])


def _import(args: argparse.Namespace):
    from ..zonelayer import import_zones

    return import_zones(
        args.zones,
        school_field=getattr(args, "school_field", None),
        level=getattr(args, "level", None),
        year=getattr(args, "year", None),
        crs=getattr(args, "crs", None),
        school_points=getattr(args, "schools", None),
    )


def _example(app) -> dict:
    """A lookup body that works on what is served: the 太仆寺旗 address, else a point inside
    the first served zone."""
    js = list(app.extensions["geo_jurisdictions"].values())
    if any(j.county_code == "152527" for j in js):
        return {"address": "太仆寺旗宝昌镇南郊社区察哈尔街1号"}
    for j in js:
        if j.zones_path is not None and j.zones_path.exists():
            from ..zonelayer import read_layer

            gdf, _notes = read_layer(j.zones_path)
            if len(gdf):
                p = gdf.geometry.iloc[0].representative_point()
                return {"lon": round(p.x, 6), "lat": round(p.y, 6)}
    return {"address": "…"}
