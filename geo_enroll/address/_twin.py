"""Compiled twins of parser modules: used only when built from the very source that runs.

``setup.py`` compiles a build-time copy of each module in :data:`TWINS` with mypyc, under
another name (``parse.py`` → ``_parse_compiled``), with the digest of the sources it was
type-checked against (:func:`source_digest`) embedded as ``__source_digest__``.  At the end of
its own import the module calls :func:`adopt` with its globals: when the twin imports and its
digest equals today's sources, the module's functions, classes and state are replaced by the
twin's (one set of memos and built parsers, the twin's); otherwise the Python code runs.

Compiling under another name keeps an edit of ``parse.py`` from being shadowed by a stale
``parse.*.so`` (with an editable install an extension module of the same name would win the
import, and the edit would silently not run): a stale twin is simply not used, with one
debug log line.  ``GEO_ENROLL_NO_EXT=1`` at run time also keeps the Python code.

This module has no package imports: ``setup.py`` loads it by path.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import os
import sys
from pathlib import Path

__all__ = ["TWINS", "adopt", "load_python", "source_digest", "twin_name"]

# module source (relative to the package folder) → the sibling sources its twin was
# type-checked against (mypyc trusts their annotations: an edit there makes the twin stale)
TWINS = {"address/parse.py": ("address/parse.py", "address/divisions.py", "address/normalize.py")}

_log = logging.getLogger(__name__)


def twin_name(source: str) -> str:
    """The twin's file stem of a module source.

    >>> twin_name("address/parse.py")
    '_parse_compiled'
    """
    return f"_{Path(source).stem}_compiled"


def source_digest(package_dir: Path, source: str) -> str:
    """SHA-256 over the bytes of ``source`` and of the sources its twin depends on (in
    :data:`TWINS` order, each with its relative name); what setup.py embeds in the twin."""
    h = hashlib.sha256()
    for rel in TWINS[source]:
        h.update(rel.encode() + b"\0")
        h.update((Path(package_dir) / rel).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def adopt(g: dict) -> bool:
    """Replace the names of a module's globals ``g`` by its compiled twin's; True when done.

    Nothing happens (False) when ``g`` is the twin itself, when ``GEO_ENROLL_NO_EXT=1``, when
    the twin is not built, or when it was built from other sources than those on disk."""
    name = g["__name__"]
    package, _, stem = name.rpartition(".")
    if stem.endswith("_compiled"):
        return False  # the twin's own import
    path = Path(g["__file__"]).resolve()
    package_dir = path.parents[1]  # geo_enroll/
    source = f"{path.parent.name}/{stem}.py"
    if source not in TWINS or path.name != f"{stem}.py":
        return False  # not a module with a twin (or loaded under another name: tests)
    if os.environ.get("GEO_ENROLL_NO_EXT") == "1":
        _log.debug("%s: GEO_ENROLL_NO_EXT=1, compiled twin not used", name)
        return False
    twin_module = f"{package}.{twin_name(source)}"
    try:
        twin = importlib.import_module(twin_module)
    except ImportError as exc:
        _log.debug("%s: no compiled twin (%s), the Python code runs", name, exc)
        return False
    if getattr(twin, "__source_digest__", None) != source_digest(package_dir, source):
        _log.debug("%s: compiled twin built from other sources, the Python code runs", name)
        return False
    g.update({k: v for k, v in vars(twin).items() if not k.startswith("__")})
    return True


def load_python(module):
    """The Python code of ``module`` (one with a twin) loaded again as its own module,
    ``<package>._<stem>_python``, with its own memos and parsers: benchmarks and tests compare
    it with the twin in one process."""
    package, _, stem = module.__name__.rpartition(".")
    name = f"{package}._{stem}_python"
    spec = importlib.util.spec_from_file_location(name, module.__file__)  # parse.py itself
    python = importlib.util.module_from_spec(spec)
    sys.modules[name] = python  # for the dataclasses and pickles of the module, while it runs
    try:
        spec.loader.exec_module(python)
    finally:
        del sys.modules[name]
    return python
