"""geo_enroll: catchment zoning (划片招生) and enrollment placement (义务教育免试就近入学).

The engine is a library usable from a notebook, the CLI, or the web app; see the
README for the pipeline.
"""

from .errors import GeoEnrollError
from .settings import DEFAULT_SETTINGS, Settings

__version__ = "0.1.0"

__all__ = ["GeoEnrollError", "Settings", "DEFAULT_SETTINGS", "__version__"]
