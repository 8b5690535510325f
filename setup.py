"""Build hook for the optional C accelerators; every other setting lives in pyproject.toml.

Any ``geo_enroll/**/_*_ext.c`` is compiled into the extension module of the same dotted name
(``geo_enroll/placement/_flow_ext.c`` → ``geo_enroll.placement._flow_ext``).  Each accelerator
has a pure-Python twin that the tests compare it with; the package imports and answers the
same without the compiled module (slower), so a machine without a C compiler still installs
when ``GEO_ENROLL_NO_EXT=1`` is set.
"""

import os
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
        exts.append(Extension(name, [str(rel)], extra_compile_args=["-O2"]))
    return exts


setup(ext_modules=_extensions())
