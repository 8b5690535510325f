"""Policy text → zone spec (划片招生方案解析), and the official admin-unit resolver."""

from .parse import parse_policy
from .units import resolve_unit

__all__ = ["parse_policy", "resolve_unit"]
