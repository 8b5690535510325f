"""The small exception family of geo_enroll.

Every error a user can cause subclasses :class:`GeoEnrollError` *and* the builtin
that fits it, so callers can catch either.  The web layer maps them to HTTP status
codes in one place (``web/errors.py``); the CLI prints ``str(exc)`` and exits 2.

Messages say what was expected, what was got and how to fix it, naming the
school, street, file and line where there is one.
"""

from __future__ import annotations

__all__ = [
    "GeoEnrollError",
    "InputError",
    "PolicyParseError",
    "ZoneSpecError",
    "UnitResolutionError",
    "BaseMapError",
    "DigitiseError",
    "CRSError",
    "AddressError",
    "GeocodeError",
    "ApplicantError",
    "AllocationError",
    "LotteryError",
    "StorageError",
    "AuthError",
    "NotFoundError",
]


class GeoEnrollError(Exception):
    """Base class of every error raised on purpose by geo_enroll.

    ``problems`` optionally lists every problem found at once (validate where
    data enters and report every problem together).
    """

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class InputError(GeoEnrollError, ValueError):
    """A file or argument is not what was expected (empty, binary, wrong encoding...)."""


class PolicyParseError(InputError):
    """A policy text cannot be read as a policy."""


class ZoneSpecError(GeoEnrollError, ValueError):
    """A zone spec (TOML/JSON) does not follow the schema."""


class UnitResolutionError(GeoEnrollError, LookupError):
    """An admin-unit name cannot be resolved to an official code."""


class BaseMapError(GeoEnrollError, ValueError):
    """A base map is missing a layer, a field, or has unusable geometry."""


class DigitiseError(GeoEnrollError, ValueError):
    """A street-limit rule cannot be turned into a polygon."""


class CRSError(GeoEnrollError, ValueError):
    """Coordinates are in an unexpected or untagged coordinate reference system."""


class AddressError(InputError):
    """An address cannot be parsed (empty, too long, no Chinese text...)."""


class GeocodeError(GeoEnrollError, LookupError):
    """An address cannot be geocoded to the required precision."""


class ApplicantError(InputError):
    """An applicant table has rows or columns that cannot be used."""


class AllocationError(GeoEnrollError, ValueError):
    """A placement cannot be computed with the given seats and candidates."""


class LotteryError(GeoEnrollError, ValueError):
    """A lottery draw or verification failed."""


class StorageError(GeoEnrollError, OSError):
    """The embedded database cannot be read or written."""


class AuthError(GeoEnrollError, PermissionError):
    """Login required, or the role may not do this."""


class NotFoundError(GeoEnrollError, LookupError):
    """A version, run, school or student id does not exist."""
