"""Request validation: every route declares its inputs once, as JSON Schema, checked here.

Decision (written down once; see web/README.md): request bodies, query strings and path
parameters are described with JSON Schema (Draft 2020-12) and checked with ``jsonschema``, the
validator the project already depends on for zone specs.  It reports every problem at once
(``iter_errors``), where fastjsonschema stops at the first; pydantic would be a second way of
describing data beside the spec schema.

Two layers, one error envelope (:mod:`web.errors`):

* **reading** (:class:`Request`, before any view): a body that claims JSON must be UTF-8 JSON,
  at most :data:`MAX_DEPTH` deep, without lone surrogates or ``NaN``; a form body must be UTF-8
  (also inside ``%XX`` escapes).  Otherwise **400**, whatever the route, and never an empty
  form read as "no fields" (which would let a route fall back to its defaults).
* **checking** (:func:`validate`, on each route): the fields the route reads, their types,
  ranges and lengths.  Otherwise **422**, with one line per problem.

Coercion is strict and the same for forms, query strings and JSON: an integer field takes a
JSON integer or a string of ASCII digits (``"12"``); never ``true``, ``1.9``, ``1.0`` or
``"٣"``.  Ids lie in 1 … :data:`MAX_ID`.  A form's empty string is an absent number.

>>> from flask import Flask
>>> app = Flask(__name__)
>>> with app.test_request_context("/?a=12&b=%D9%A3"):
...     out, problems = check({"a": ID, "b": ID}, dict(request.args), where="query")
>>> out["a"], problems
(12, ["query: b: 应为整数 (expected a whole number), 收到 got '٣'"])
>>> safe_next("/planner/"), safe_next("/\\t/evil.example"), safe_next("//evil.example")
('/planner/', None, None)
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flask
from flask import g, request
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.validators import extend
from werkzeug.exceptions import BadRequest, UnprocessableEntity
from werkzeug.formparser import FormDataParser
from werkzeug.routing import BaseConverter

from .errors import RequestInvalid, http_error

__all__ = [
    "Request",
    "IdConverter",
    "validate",
    "check",
    "parse_json",
    "safe_next",
    "body",
    "query",
    "MAX_DEPTH",
    "MAX_ID",
    "ID",
    "SEED",
    "JKEY",
    "NEXT",
    "LON",
    "LAT",
    "ZONES",
    "SPEC",
    "text",
]

MAX_DEPTH = 32
"""Deepest JSON nesting accepted (a zone layer is 7 deep; the deepest spec about 8)."""

MAX_ID = 2**53 - 1
"""Largest id (or seed) accepted: exact in JavaScript and within SQLite's INTEGER."""

MAX_FORM_FIELDS = 1000

# ---------------------------------------------------------------------------- field schemas

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "a whole number ≥ 1"}
SEED = {"type": "integer", "minimum": 0, "maximum": MAX_ID, "description": "a whole number ≥ 0"}
JKEY = {
    "type": "string",
    "pattern": r"^[A-Za-z0-9_.\-]{1,64}$",
    "description": "a jurisdiction key such as taipusi_2024",
}
NEXT = {"type": "string", "format": "local-path", "maxLength": 2000}
LON = {"type": "number", "minimum": -180, "maximum": 180}
LAT = {"type": "number", "minimum": -90, "maximum": 90}


ZONES = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {
            "type": "array",
            "maxItems": 20000,
            "items": {
                "type": "object",
                "properties": {
                    "properties": {
                        "type": ["object", "null"],
                        "properties": {
                            k: {"type": "string", "maxLength": 200}
                            for k in ("school", "rule_id", "level", "school_id", "kind")
                        },
                    },
                    "geometry": {
                        "type": ["object", "null"],
                        "required": ["type", "coordinates"],
                        "properties": {
                            "type": {"type": "string"},
                            "coordinates": {"type": "array"},
                        },
                    },
                },
            },
        },
    },
    "description": "a GeoJSON FeatureCollection of zone polygons",
}
SPEC = {"type": "object", "description": "a zone spec object (see the spec schema)"}


def text(max_length: int, *, min_length: int = 0, **extra: Any) -> dict:
    """A string field of at most ``max_length`` characters."""
    return {"type": "string", "maxLength": max_length, "minLength": min_length} | extra


# ---------------------------------------------------------------------------- reading


def _bad(message: str, problems: list[str] | None = None) -> BadRequest:
    return http_error(BadRequest, message, problems)


class IdConverter(BaseConverter):
    """``<int:…>`` of this service: ASCII digits only, 1 … :data:`MAX_ID`; a longer number is
    a 422 (not an OverflowError in SQLite), anything else no route (404)."""

    regex = r"[0-9]+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        n = int(value) if len(value) <= 18 else MAX_ID + 1
        if not 1 <= n <= MAX_ID:
            raise http_error(
                UnprocessableEntity,
                "请求参数有误 (the request does not match what this page expects)",
                [f"path: 编号超出范围 (an id must lie in 1 … {MAX_ID}), 收到 got {value[:30]}"],
            )
        return n

    def to_url(self, value: Any) -> str:
        return str(int(value))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


#: one decoder for every body (``json.loads`` with an option builds a new one per call)
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse_json(raw: bytes) -> Any:
    """Decode a JSON request body, refusing what the service cannot store or answer.

    Raises a 400 (``BadRequest`` carrying the message) for a body that is not UTF-8 JSON, is
    nested deeper than :data:`MAX_DEPTH`, holds a lone surrogate (``"\\ud800"``) or ``NaN``.

    >>> parse_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> parse_json(b"[" * 100000 + b"]" * 100000)
    Traceback (most recent call last):
    ...
    werkzeug.exceptions.BadRequest: 400 Bad Request: ...
    """
    if not raw.strip():
        raise _bad("请求体为空 (the body is empty; send a JSON object)")
    try:
        text_ = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(
            f"请求体不是 UTF-8 编码 (the body is not UTF-8: byte {exc.start}); 请用 UTF-8 发送"
        ) from None
    try:
        value = _DECODER.decode(text_)  # what json.loads(text_, parse_constant=…) does
    except RecursionError:
        raise _bad(
            f"JSON 嵌套过深 (nested deeper than {MAX_DEPTH} levels)"
        ) from None  # the traceback of a 100k-deep parse is not worth keeping
    except json.JSONDecodeError as exc:
        raise _bad(
            f"请求体不是有效的 JSON (not valid JSON: {exc.msg}, line {exc.lineno} column "
            f"{exc.colno})"
        ) from None
    except ValueError as exc:  # NaN/Infinity, an integer of thousands of digits
        raise _bad(f"请求体不是有效的 JSON (not valid JSON: {str(exc)[:80]})") from None
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """Depth and lone surrogates, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise _bad(f"JSON 嵌套过深 (nested deeper than {MAX_DEPTH} levels)")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                if isinstance(k, str) and _SURROGATE.search(k):
                    raise _bad(_surrogate_message())
                stack.append((v, depth + 1))
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise _bad(_surrogate_message())


def _surrogate_message() -> str:
    return (
        "请求中有无法编码的字符 (a string holds a lone surrogate such as \\ud800, which is not "
        "text; send UTF-8 text)"
    )


class _StrictFormParser(FormDataParser):
    """Werkzeug's form parser, but an undecodable body is a 400, not an empty form."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        raw = stream.read()
        try:
            items = parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                errors="strict",
                max_num_fields=MAX_FORM_FIELDS,
            )
        except UnicodeDecodeError:
            raise _bad(
                "表单不是 UTF-8 编码 (the form body is not UTF-8); 请刷新页面后重新提交"
            ) from None
        except ValueError:
            raise _bad(f"表单字段过多 (more than {MAX_FORM_FIELDS} form fields)") from None
        return stream, self.cls(items), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):
        out = super()._parse_multipart(stream, mimetype, content_length, options)
        if any("\ufffd" in v for v in out[1].values()):
            # werkzeug decodes multipart fields with errors="replace"
            for f in out[2].values():
                f.close()  # the request never owns them: close the spooled uploads here
            raise _bad("表单不是 UTF-8 编码 (a form field is not UTF-8); 请刷新页面后重新提交")
        return out


class Request(flask.Request):
    """The service's request: strict JSON and form decoding (see the module docstring).

    ``get_json`` raises the 400 even when called with ``silent=True``: a body that claims to be
    JSON but cannot be read is refused, never treated as absent.
    """

    form_data_parser_class = _StrictFormParser
    max_form_parts = MAX_FORM_FIELDS

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        cached = getattr(self, "_geo_json", _MISSING)
        if cached is not _MISSING:
            return cached
        value = parse_json(self.get_data(cache=cache))
        if cache:
            self._geo_json = value
        return value


_MISSING = object()


# ---------------------------------------------------------------------------- next=


def safe_next(value: Any) -> str | None:
    """``value`` when it is a path on this site (``/planner/``), else None.

    Refused: anything not starting with one ``/``, ``//`` or a ``.``/``..`` segment anywhere, a
    backslash, whitespace or control characters
    anywhere (browsers drop tabs and newlines, turning ``/\\t/evil`` into ``//evil``), a scheme
    or a host.
    """
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return None
    if "//" in value or "\\" in value or re.search(r"/\.\.?(/|$)", value.split("?")[0]):
        return None  # (dot segments can collapse into //host)
    if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


_formats = FormatChecker()


@_formats.checks("local-path")
def _is_local_path(value: Any) -> bool:
    return not isinstance(value, str) or safe_next(value) is not None


# ---------------------------------------------------------------------------- checking


def _is_strict_int(_checker, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_Validator = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_int),
)

_INT = re.compile(r"[0-9]{1,18}", re.ASCII)
_NUM = re.compile(r"-?[0-9]{1,4}(\.[0-9]{1,17})?", re.ASCII)
_TRUE, _FALSE = {"true", "on", "1", "yes"}, {"false", "off", "0", "no"}

_TYPE_WORDS = {
    "integer": "整数 (expected a whole number)",
    "number": "数字 (expected a number)",
    "string": "文字 (expected text)",
    "boolean": "true 或 false (expected true or false)",
    "object": "对象 (expected a JSON object)",
    "array": "列表 (expected a list)",
}


def _coerce(value: Any, schema: dict) -> Any:
    """Strings of forms and query strings become the schema's scalar type when they are
    written exactly so; anything else is left for the schema to refuse."""
    if not isinstance(value, str):
        return value
    kind = schema.get("type")
    if kind == "integer" and _INT.fullmatch(value):
        return int(value)
    if kind == "number" and _NUM.fullmatch(value):
        return float(value)
    if kind == "boolean" and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return value


def _show(value: Any) -> str:
    return repr(value if not isinstance(value, str) else value[:40])[:60]


def _problem(err) -> str:
    name = ".".join(str(p) for p in err.absolute_path) or "(body)"
    v, s = err.validator, err.schema if isinstance(err.schema, dict) else {}
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        name = missing[0] if missing else name
        return f"{name}: 缺少必填项 (required)"
    if v == "type":
        expected = s.get("type")
        words = _TYPE_WORDS.get(expected if isinstance(expected, str) else "", str(expected))
        return f"{name}: 应为{words}, 收到 got {_show(err.instance)}"
    if v in ("minimum", "maximum"):
        lo, hi = s.get("minimum"), s.get("maximum")
        return f"{name}: 超出范围 (must lie in {lo} … {hi}), 收到 got {_show(err.instance)}"
    if v in ("minLength", "maxLength"):
        return (
            f"{name}: 长度不对 (expected {s.get('minLength', 0)}–{s.get('maxLength')} "
            f"characters, got {len(err.instance)})"
        )
    if v == "enum":
        return (
            f"{name}: 应为 {' / '.join(map(str, s['enum']))} 之一, 收到 got {_show(err.instance)}"
        )
    if v in ("pattern", "format"):
        hint = s.get("description") or (
            "a path on this site such as /planner/" if s.get("format") == "local-path" else ""
        )
        return (
            f"{name}: 格式不对 (expected {hint or 'another form'}), 收到 got {_show(err.instance)}"
        )
    return f"{name}: {err.message[:120]}"


def check(
    properties: dict,
    data: dict,
    *,
    where: str,
    required: tuple[str, ...] = (),
    rules: tuple[dict, ...] = (),
):
    """``(cleaned, problems)``: the declared fields of ``data``, coerced and checked.

    Undeclared fields are dropped (a view sees only what its route declares); an empty string
    counts as absent unless the field is text (a form's empty number box is no number).  ``rules`` are further schemas the whole object must meet (``if``/``then``).
    """
    return _check(_compile(properties, required, rules), properties, data, where)


def _compile(properties: dict, required: tuple[str, ...] = (), rules: tuple[dict, ...] = ()):
    """``(validator, quick test)`` of one declaration (built once per route by
    :func:`validate`; the quick test: :func:`_quick_check`, or None)."""
    schema = {"type": "object", "properties": properties, "required": list(required)}
    if rules:
        schema["allOf"] = list(rules)
    quick = None if rules else _quick_check(properties, required)
    return _Validator(schema, format_checker=_formats), quick


#: the keywords :func:`_quick_check` knows (and the annotations JSON Schema ignores)
_QUICK_KEYWORDS = frozenset(
    {"type", "maxLength", "minLength", "pattern", "minimum", "maximum", "enum", "description"}
)
_QUICK_TYPES = {"string": (str,), "number": (int, float), "integer": (int,)}


def _quick_check(properties: dict, required: tuple[str, ...]):
    """A plain-Python test of a declaration made only of scalar fields (a string with a
    length and pattern, a number in a range, a string enum): ``True`` only where the JSON
    Schema validator says valid too, so a request it passes skips the validator.  ``False``
    proves nothing: the validator then decides and words the problems, as before.  None when
    a field uses anything else (formats, objects, arrays, ``if``/``then`` rules).

    >>> ok = _quick_check({"a": {"type": "string", "maxLength": 3}, "n": LON}, ("a",))
    >>> ok({"a": "abc", "n": 1.5}), ok({"a": "abcd"}), ok({"n": 1.5}), ok({"a": "", "n": True})
    (True, False, False, False)
    """
    tests = []
    for name, schema in properties.items():
        if not isinstance(schema, dict) or not schema.keys() <= _QUICK_KEYWORDS:
            return None
        kind = schema.get("type")
        enum = schema.get("enum")
        if enum is not None and not all(type(e) is str for e in enum):
            return None
        if kind is None and enum is None or kind is not None and kind not in _QUICK_TYPES:
            return None
        tests.append(
            (
                name,
                _QUICK_TYPES[kind] if kind else (str,),
                schema.get("minLength", 0),
                schema.get("maxLength"),
                re.compile(schema["pattern"]) if "pattern" in schema else None,
                schema.get("minimum"),
                schema.get("maximum"),
                frozenset(enum) if enum is not None else None,
            )
        )
    required = tuple(required)

    def quick(data: dict) -> bool:
        for name in required:
            if name not in data:
                return False
        for name, types, lo_len, hi_len, pat, lo, hi, enum in tests:
            if name not in data:
                continue
            v = data[name]
            if type(v) not in types:  # exact types: bool is no number, a str subclass no str
                return False
            if type(v) is str:
                if len(v) < lo_len or (hi_len is not None and len(v) > hi_len):
                    return False
                if pat is not None and not pat.search(v):
                    return False
                if enum is not None and v not in enum:
                    return False
            elif not ((lo is None or v >= lo) and (hi is None or v <= hi)):
                return False  # NaN included: the validator decides
        return True

    return quick


def _check(compiled: tuple, properties: dict, data: dict, where: str):
    validator, quick = compiled
    out = {}
    for name, schema in properties.items():
        if name in data and (data[name] != "" or schema.get("type") == "string"):
            out[name] = _coerce(data[name], schema)
    if quick is not None and quick(out):  # plain fields, plainly fine: no validator call
        return out, []
    if validator.is_valid(out):  # the common case: no error objects built at all
        return out, []
    errors = sorted(validator.iter_errors(out), key=lambda e: [str(p) for p in e.absolute_path])
    return out, [f"{where}: {_problem(e)}" if where != "body" else _problem(e) for e in errors]


def _request_body() -> dict:
    if request.is_json:
        data = request.get_json()
        if not isinstance(data, dict):
            raise _bad("请求体须为 JSON 对象 (the body must be a JSON object {...})")
        return data
    return {k: v for k, v in request.form.items() if k not in ("csrf_token", "idempotency_key")}


def validate(
    *,
    query: dict | None = None,
    body: dict | None = None,
    path: dict | None = None,
    required: tuple[str, ...] = (),
    required_query: tuple[str, ...] = (),
    rules: tuple[dict, ...] = (),
):
    """Declare a route's inputs (JSON Schema ``properties``) and check them before the view.

    The view reads the checked values with :func:`body` and :func:`query`; path parameters
    arrive checked as usual.  Problems answer 422 in the error envelope, all at once.  Every
    route also takes ``?format=json|html`` (the JSON twin of a page).
    """
    query = {"format": {"enum": ["json", "html"]}} | (query or {})
    # validators built once per route, not per request
    v_query = _compile(query, required_query)
    v_path = _compile(path) if path else None
    v_body = _compile(body, required, rules) if body is not None else None

    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            problems: list[str] = []
            g.geo_query, p = _check(v_query, query, request.args.to_dict(), "query")
            problems += p
            if path:
                _, p = _check(v_path, path, kwargs, "path")
                problems += p
            g.geo_body = {}
            if body is not None:
                g.geo_body, p = _check(v_body, body, _request_body(), "body")
                problems += p
            if problems:
                raise RequestInvalid(
                    "请求参数有误 (the request does not match what this page expects)",
                    problems=problems,
                )
            return view(*args, **kwargs)

        wrapper.input_schema = {
            "query": query,
            "body": body,
            "path": path or {},
            "required": list(required),
            "required_query": list(required_query),
            "rules": list(rules),
        }
        return wrapper

    return deco


def body() -> dict:
    """The checked body of the current request (its route's :func:`validate` declaration)."""
    if "geo_body" not in g:
        raise RuntimeError(f"{request.endpoint} reads a body without declaring it (@validate)")
    return g.geo_body


def query() -> dict:
    """The checked query string of the current request."""
    if "geo_query" not in g:
        raise RuntimeError(f"{request.endpoint} reads a query without declaring it (@validate)")
    return g.geo_query


# ---------------------------------------------------------------------------- OpenAPI


def openapi_inputs(app, *, prefix: str = "/api/") -> dict[tuple[str, str], dict]:
    """The OpenAPI ``parameters`` and ``requestBody`` of each route under ``prefix``, derived
    from the routes' :func:`validate` declarations (``web/openapi.json`` is refreshed from it
    with ``python -m web.validation``, and a test keeps the two equal)."""
    out = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        decl = getattr(app.view_functions[rule.endpoint], "input_schema", None)
        if decl is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            params = []
            for name in rule.arguments:
                conv = rule._converters.get(name)
                schema = decl["path"].get(name) or (
                    ID if isinstance(conv, IdConverter) else text(200)
                )
                params.append({"name": name, "in": "path", "required": True, "schema": schema})
            for name, schema in decl["query"].items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in decl["required_query"],
                        "schema": schema,
                    }
                )
            op: dict = {"parameters": params}
            if method != "GET" and decl["body"] is not None:
                schema = {"type": "object", "properties": decl["body"]}
                if decl["required"]:
                    schema["required"] = decl["required"]
                if decl["rules"]:
                    schema["allOf"] = decl["rules"]
                op["requestBody"] = {
                    "required": bool(decl["required"]),
                    "content": {
                        "application/json": {"schema": schema},
                        "application/x-www-form-urlencoded": {"schema": schema},
                    },
                }
            out[(path, method.lower())] = op
    return out


def _refresh_openapi(path) -> None:  # pragma: no cover - a maintenance command
    import tempfile
    from pathlib import Path

    from web.app import create_app
    from web.validation import openapi_inputs as describe  # (not __main__'s classes)

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"STORE_PATH": ":memory:", "SEED_DEFAULT": False, "DATA_DIR": tmp})
        inputs = describe(app)
    err = {"$ref": "#/components/responses/Error"}
    doc["components"].setdefault("parameters", {})["IdempotencyKey"] = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "8-200 visible ASCII characters (e.g. a UUID): a retry with the same key "
        "and request replays the first answer instead of acting twice (24 h).",
        "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{8,200}$"},
    }
    for (p, method), op in inputs.items():
        target = doc["paths"].get(p, {}).get(method)
        if target is None:
            continue
        said = {
            (x.get("name"), x.get("in")): x["description"]
            for x in target.get("parameters") or []
            if x.get("description")
        }
        params = [
            x | {"description": said[(x["name"], x["in"])]} if (x["name"], x["in"]) in said else x
            for x in op["parameters"]
        ]
        if method != "get" and not p.startswith("/api/lookup"):
            params = params + [{"$ref": "#/components/parameters/IdempotencyKey"}]
        target["parameters"] = params
        if "requestBody" in op:
            said = (target.get("requestBody") or {}).get("description")
            target["requestBody"] = op["requestBody"] | ({"description": said} if said else {})
        else:
            target.pop("requestBody", None)
        for status in ("400", "413", "422"):
            target.setdefault("responses", {})[status] = err
    Path(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    from pathlib import Path

    _refresh_openapi(Path(__file__).resolve().parent / "openapi.json")
