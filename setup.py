"""Build hook for the optional accelerators; every other setting lives in pyproject.toml.

Any ``geo_enroll/**/_*_ext.c`` is compiled into the extension module of the same dotted name
(``geo_enroll/address/_admin_ext.c`` → ``geo_enroll.address._admin_ext``, the C walk of an
address's admin chain; ``geo_enroll/placement/_transport_ext.c``, the exact overflow solver on
held rows).  The address accelerator has a pure-Python twin that the tests compare it with; the
transport solver has none, its fallback is the OR-Tools path of ``placement/exact.py`` (the
same totals, checked by the tests).  The package imports and answers without the compiled
modules (slower), so a machine without a C compiler still installs when
``GEO_ENROLL_NO_EXT=1`` is set.

The modules listed in ``geo_enroll/address/_twin.py`` (the address parser) are compiled with
mypyc from a build-time copy under another name (``parse.py`` → ``_parse_compiled``) that
carries the digest of the sources it was built from; the module uses its twin only while that
digest matches (see ``_twin.py``), so an edit of ``parse.py`` is never shadowed by a stale
build.  Without mypy, or when mypy rejects the source, the build goes on without the twin.
"""

import importlib.util
import os
import sys
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).parent


def _extensions():
    if os.environ.get("GEO_ENROLL_NO_EXT") == "1":
        return []
    exts = []
    for src in sorted((HERE / "geo_enroll").rglob("_*_ext.c")):
        rel = src.relative_to(HERE)
        name = ".".join(rel.with_suffix("").parts)
        # optional: a machine whose compiler fails still installs, with the Python twin
        exts.append(
            Extension(
                name,
                [str(rel)],
                extra_compile_args=["-O2", "-ffp-contract=off", "-fno-math-errno"],
                libraries=["m"],
                optional=True,
            )
        )
    return exts


def _twin_module():
    spec = importlib.util.spec_from_file_location(
        "_geo_enroll_twin", HERE / "geo_enroll" / "address" / "_twin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compiled_twins():
    """mypyc extensions of the twins' build-time copies, or [] (with a message) when mypyc is
    missing or rejects a source: the package then runs its Python code."""
    if os.environ.get("GEO_ENROLL_NO_EXT") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("setup.py: mypyc not installed, the parser stays pure Python", file=sys.stderr)
        return []
    twin = _twin_module()
    package_dir = HERE / "geo_enroll"
    copies = []
    try:
        for source in twin.TWINS:
            src = package_dir / source
            copy = src.with_name(twin.twin_name(source) + ".py")
            digest = twin.source_digest(package_dir, source)
            copy.write_text(
                src.read_text(encoding="utf-8") + f"\n__source_digest__ = {digest!r}\n",
                encoding="utf-8",
            )
            copies.append(str(copy.relative_to(HERE)))
        exts = mypycify(
            ["--ignore-missing-imports", "--follow-imports=silent", *copies],
            opt_level="3",
            debug_level="0",
        )
    except (Exception, SystemExit) as exc:  # mypy's type errors end in SystemExit
        print(f"setup.py: mypyc failed ({exc}), the parser stays pure Python", file=sys.stderr)
        return []
    finally:  # the C sources are written: the copies must not linger beside the modules
        for copy in copies:
            (HERE / copy).unlink(missing_ok=True)
    for ext in exts:
        ext.optional = True  # a compiler failure leaves the Python code, not a failed install
    return exts


setup(ext_modules=_extensions() + _compiled_twins())
