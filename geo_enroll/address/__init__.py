"""Chinese addresses: normalise, parse, and the national table of official units.

>>> parse_address("太仆寺旗宝昌镇")["codes"]["township"]
'152527100'
"""

from .divisions import Divisions, load_divisions
from .normalize import normalize_address
from .parse import PARTS, parse_address, parse_many

__all__ = [
    "parse_address",
    "parse_many",
    "normalize_address",
    "load_divisions",
    "Divisions",
    "PARTS",
]
