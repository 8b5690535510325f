"""``geo-enroll serve``: run the web service through waitress (a production WSGI server).

On first start the store is created in ``--data`` (default ``./instance``), each policy's spec
and zones become its version 1 (default: the 太仆寺旗 2024 policy), and an ``admin`` account is
created with the password in ``$GEO_ENROLL_ADMIN_PASSWORD`` or a generated one printed once on
the console (never logged).

``--policy SPEC`` (repeatable) serves several jurisdictions side by side, each with its own
versions and cohorts: SPEC is a zone spec path or a name under ``data/boundaries`` or
``data/scenarios`` (e.g. ``--policy taipusi_2024 --policy yanqing_2023_multischool``).
Hypothetical scenarios (``policy.sources.scenario``) are labelled as such on every page.
"""

from __future__ import annotations

import argparse
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
    p.add_argument("--zones", default=None, help="zones GeoPackage for the first version")
    p.add_argument("--threads", type=int, default=4, help="waitress worker threads (default 4)")
    p.add_argument(
        "--https",
        action="store_true",
        help="the service is behind an HTTPS proxy: Secure cookies, trust X-Forwarded-*",
    )
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    if not (0 < args.port < 65536):
        raise InputError(f"--port must be 1-65535, got {args.port}")
    try:
        import waitress
    except ImportError as exc:  # pragma: no cover - a dependency
        raise InputError("waitress is not installed: run `make setup`") from exc
    from web.app import create_app
    from web.auth import bootstrap_admin

    config = {"DATA_DIR": args.data, "SPEC_PATH": args.spec, "ZONES_PATH": args.zones}
    policies = list(getattr(args, "policy", None) or [])
    if policies and (args.spec or args.zones):
        raise InputError("use either --policy (one or more) or --spec/--zones, not both")
    if policies:
        config["POLICIES"] = policies
    if args.https:
        config |= {"SESSION_COOKIE_SECURE": True, "TRUST_PROXY": True}
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
    print(f"  试一试 try: {url}api/lookup?address=太仆寺旗宝昌镇南郊社区察哈尔街1号", flush=True)
    sys.stdout.flush()
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
