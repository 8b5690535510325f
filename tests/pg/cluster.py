"""Start a throwaway PostgreSQL + PostGIS cluster on a local socket (tests and benchmarks).

Debian's own binaries (``postgresql`` + ``postgresql-15-postgis-3``) in a temporary folder,
listening on no TCP port; as root the cluster runs as the ``postgres`` system user (``initdb``
refuses root).  Stopped and removed when the context exits.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile


class Unavailable(RuntimeError):
    """PostgreSQL/PostGIS cannot be started here (the message says why)."""


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        return None
    bindir = os.path.dirname(found[-1])
    version = bindir.split("/")[-2]
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        return None
    return bindir


def _as(user: str | None, cmd: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextlib.contextmanager
def throwaway_cluster(dbname: str = "geo_enroll_test"):
    """Yield a ``postgresql://`` URL of database ``dbname`` on a fresh cluster."""
    bindir = _bin_dir()
    if bindir is None:
        raise Unavailable(
            "PostgreSQL/PostGIS not installed (Debian packages postgresql and "
            "postgresql-15-postgis-3; scripts/setup.sh installs them as root)"
        )
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable(
                "running as root without a 'postgres' user to own the cluster"
            ) from None
        user = "postgres"
    root = tempfile.mkdtemp(prefix="geo-enroll-pg-")
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sock)
    if user:
        pw = pwd.getpwnam(user)
        for path in (root, sock):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    run = dict(check=True, capture_output=True, env=env)
    subprocess.run(
        _as(user, [f"{bindir}/initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "-A", "trust"]),
        **run,
    )
    opts = f"-k {sock} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        _as(user, [f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-w", "-l", f"{root}/log", "start"]),
        **run,
    )
    try:
        subprocess.run(
            _as(user, [f"{bindir}/createdb", "-h", sock, "-U", "postgres", dbname]), **run
        )
        yield f"postgresql://postgres@/{dbname}?host={sock}"
    finally:
        subprocess.run(
            _as(user, [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            env=env,
        )
        shutil.rmtree(root, ignore_errors=True)
