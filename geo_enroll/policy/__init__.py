"""Policy text → zone spec (划片招生方案解析), and the official admin-unit resolver.

>>> from geo_enroll.policy import resolve_unit
>>> resolve_unit("账房山", township="骆驼山镇")["official_name"]
'帐房山村委会'
"""

from .parse import parse_policy
from .spec import load_spec, read_policy, save_spec, validate_spec
from .units import resolve_unit

__all__ = ["parse_policy", "load_spec", "save_spec", "validate_spec", "read_policy", "resolve_unit"]
