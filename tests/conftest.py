"""Shared test helpers.

``SHARED`` is the ``../shared`` folder beside the project (real reference data).  Tests that
need it skip with a clear reason when it is absent: the product itself never needs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
TAIPUSI_SEED = SEEDS / "004_07cbe4fdc4d1cd92.txt"
YANQING_SEED = SEEDS / "000_b94dbf34f338efc3.txt"


def need_shared(path: Path) -> Path:
    """Return ``path`` or skip: the file lives in ../shared, which only dev machines and CI have."""
    if not path.exists():
        pytest.skip(f"needs {path} (the ../shared reference data beside the project); absent here")
    return path
