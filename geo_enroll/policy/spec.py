"""Zone spec files: read policy texts, load/save/validate specs (TOML for review, JSON).

TOML has no null: :func:`save_spec` leaves keys whose value is None out of the TOML file and
:func:`load_spec` puts them back (every optional key the schema declares nullable is restored
as None), so a spec survives a TOML round trip unchanged.

>>> import tempfile, pathlib
>>> spec = {"spec_version": 1, "policy": {"jurisdiction": "某县", "county_code": None,
...     "year": 2024, "age_cutoff": None, "seat_plan": {"primary": None, "middle": None},
...     "class_cap": {"primary": None, "middle": None}, "hukou_migration_cutoff": None,
...     "appeal_window_working_days": None, "timeline": [], "eligibility": None},
...     "schools": [], "unparsed": [], "conflicts": []}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
>>> _ = save_spec(spec, path)
>>> load_spec(path) == spec
True
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

import jsonschema
import tomli_w

from ..errors import PolicyParseError, ZoneSpecError
from ..settings import DEFAULT_SETTINGS, PACKAGE_ROOT, Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "read_policy",
    "load_spec",
    "save_spec",
    "validate_spec",
    "spec_schema",
    "to_toml",
    "companion_file",
]

SCHEMA_PATH = PACKAGE_ROOT / "schemas" / "zone_spec.schema.json"


def read_policy(
    path: str | Path, *, settings: Settings = DEFAULT_SETTINGS
) -> tuple[str, list[str]]:
    """Read a policy text file; returns (text, notices).

    UTF-8 (with or without BOM) is read as is; GB18030/GBK text (common for documents saved
    on Chinese Windows) is decoded with a notice.  Empty, binary, oversized or undecodable
    files raise :class:`~geo_enroll.errors.PolicyParseError` with what was expected.
    """
    path = Path(path)
    if not path.exists():
        raise PolicyParseError(f"文件不存在 file not found: {path}")
    if path.is_dir():
        raise PolicyParseError(f"需要文件而不是目录 expected a text file, got a directory: {path}")
    size = path.stat().st_size
    limit = settings.max_policy_bytes
    if size > limit:
        raise PolicyParseError(
            f"文件过大 file too large: {path} is {size:,} bytes, the limit is {limit:,} "
            "(Settings.max_policy_bytes); a policy text is usually under 1 MB — split it or "
            "raise the limit"
        )
    data = path.read_bytes()
    if not data.strip():
        raise PolicyParseError(f"文件为空 empty file: {path}; expected a policy text (UTF-8)")
    head = data[:4096]
    if b"\x00" in head or head.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise PolicyParseError(
            f"不是文本文件 not a text file: {path} looks binary (PDF/Word/zip?); "
            "save the policy as plain UTF-8 text or Markdown first"
        )
    notices: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise PolicyParseError(
                f"无法识别编码 cannot decode {path} as UTF-8 or GBK/GB18030 "
                f"(byte {exc.start}); save it as UTF-8"
            ) from None
        notices.append(f"按 GBK/GB18030 解码 decoded {path.name} as GBK/GB18030 (not UTF-8)")
    bad = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if bad > 0.05 * min(len(text), 20000):
        raise PolicyParseError(f"不是文本文件 not a text file: {path} has many control characters")
    return text, notices


@lru_cache(maxsize=1)
def spec_schema() -> dict:
    """The JSON Schema of zone specs (``geo_enroll/schemas/zone_spec.schema.json``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _fast_validator():
    """A compiled validator (fastjsonschema, a dependency of nbformat), or None without it.

    Used only to accept a valid spec quickly: the schema uses draft-07 keywords only, which
    fastjsonschema implements with the same meaning.  Any rejection is re-checked (and
    explained) by :mod:`jsonschema`.
    """
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - optional speed-up
        return None
    try:
        return fastjsonschema.compile(spec_schema())
    except Exception:  # pragma: no cover - a schema it cannot compile: use jsonschema only
        return None


def validate_spec(spec: dict) -> list[str]:
    """Every schema problem of ``spec`` (empty list when valid), each with its JSON path.

    A valid spec is accepted by a compiled validator (linear and fast: a 25 000-rule spec in
    well under a second); only an invalid one goes through :mod:`jsonschema`, which lists
    every problem.

    >>> validate_spec({"spec_version": 1})[0]
    "(root): 'policy' is a required property"
    """
    problems = []
    fast = _fast_validator()
    slow = True
    if fast is not None:
        try:
            fast(spec)
            slow = False
        except Exception:  # noqa: BLE001 - any rejection: let jsonschema explain it
            slow = True
    if slow:
        validator = jsonschema.Draft202012Validator(spec_schema())
        for err in sorted(validator.iter_errors(spec), key=lambda e: list(map(str, e.path))):
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            problems.append(f"{where}: {err.message[:300]}")
    ids = Counter(
        z.get("rule_id")
        for s in spec.get("schools", [])
        if isinstance(s, dict)
        for z in s.get("zones", [])
        if isinstance(z, dict)
    )
    dup = sorted(str(i) for i, n in ids.items() if n > 1)
    if dup:
        problems.append(f"duplicate rule_id: {', '.join(dup)}")
    sids = Counter(s.get("id") for s in spec.get("schools", []) if isinstance(s, dict))
    dup = sorted(str(i) for i, n in sids.items() if n > 1)
    if dup:
        problems.append(f"duplicate school id: {', '.join(dup)}")
    return problems


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


def _restore_none(value, schema: dict, root: dict):
    """Put back nullable keys that TOML could not hold."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        schema = root["$defs"][ref]
    if isinstance(value, dict):
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        for cond in schema.get("allOf", []):  # kind-specific required keys (if/then)
            want = cond.get("if", {}).get("properties", {})
            if want and all(value.get(k) == v.get("const") for k, v in want.items()):
                required.update(cond.get("then", {}).get("required", []))
        for key, sub in props.items():
            if key in value:
                value[key] = _restore_none(value[key], sub, root)
            elif key in required and _nullable(sub, root):
                value[key] = None
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in props:
                    value[key] = _restore_none(value[key], extra, root)
        return value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_restore_none(v, schema["items"], root) for v in value]
    for alt in schema.get("anyOf", []) + schema.get("oneOf", []):
        if (
            isinstance(value, dict)
            and alt.get("type") in ("object", None)
            and ("properties" in alt or "$ref" in alt)
        ):
            return _restore_none(value, alt, root)
    return value


def _nullable(schema: dict, root: dict) -> bool:
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    return any(_nullable(a, root) for a in schema.get("anyOf", []) + schema.get("oneOf", []))


_TOML_HEADER = (
    "# Zone spec (划片招生规则) generated by `geo-enroll parse`; every rule keeps its source\n"
    "# sentence and line. Keys absent here are null (TOML has no null).\n"
)


def to_toml(spec: dict, *, header: str = _TOML_HEADER) -> str:
    """The spec as TOML text (None values left out), after the comment ``header``."""
    return header + tomli_w.dumps(_drop_none(spec), multiline_strings=False)


def save_spec(spec: dict, path: str | Path) -> Path:
    """Write ``spec`` as TOML (``.toml``) or JSON (anything else); returns the path."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        path.write_text(to_toml(spec), encoding="utf-8")
    else:
        path.write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def load_spec(path: str | Path, *, validate: bool = True) -> dict:
    """Read a spec from TOML or JSON, restore nulls, and validate it against the schema."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ZoneSpecError(f"无法读取 cannot read zone spec {path}: {exc}") from None
    try:
        if path.suffix.lower() == ".toml":
            spec = tomllib.loads(raw.decode("utf-8"))
        else:
            spec = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ZoneSpecError(f"无法解析 cannot parse zone spec {path}: {exc}") from None
    schema = spec_schema()
    spec = _restore_none(spec, schema, schema)
    if validate:
        problems = validate_spec(spec)
        if problems:
            raise ZoneSpecError(f"zone spec {path} does not follow the schema", problems=problems)
    return spec


def companion_file(policy: str | Path, suffix: str) -> Path | None:
    """A file that goes with a spec: ``DIR/NAME_<suffix>``, else with NAME cut at its last ``_``
    (repeatedly: ``yanqing_2023_multischool.toml`` → ``yanqing_2023_schools.csv``), else None.

    Used for the seat table (``schools.csv``), zones (``zones.gpkg``) and base map
    (``basemap.gpkg``) beside a spec, by the CLI and the web service alike.

    >>> companion_file(Path("/nowhere/a_b.toml"), "schools.csv") is None
    True
    """
    policy = Path(policy)
    stem = policy.stem
    while stem:
        path = policy.with_name(f"{stem}_{suffix}")
        if path.exists():
            return path
        if "_" not in stem:
            return None
        stem = stem.rsplit("_", 1)[0]
    return None
