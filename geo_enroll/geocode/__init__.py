"""Addresses → points: the offline gazetteer, an optional online adapter, and batches.

>>> load_default_gazetteer().geocode("太仆寺旗")["level"]
'county'
"""

from .gazetteer import LEVEL_RANK, RESULT_KEYS, Gazetteer, load_default_gazetteer

__all__ = ["Gazetteer", "load_default_gazetteer", "LEVEL_RANK", "RESULT_KEYS"]
