"""What the parents' pages do (blueprint ``public``): look up an address or a point.

One function per view: :func:`public_map` (the page), :func:`lookup_page` (an answer, or the
page with the reason inline when the address cannot be served).  The body/annex conflict notes
of the engine are the bureau's diagnostics, not the parent's answer (the engine lists them in
``bureau_notes``).
"""

from __future__ import annotations

import json

from flask import current_app, has_app_context

from geo_enroll.address import parse_address
from geo_enroll.errors import GeocodeError, InputError, NotFoundError
from geo_enroll.lookup import ANSWER_MEMO_MAX

from .. import notices
from ..common import (
    app_cache,
    current_version,
    jurisdiction,
    jurisdictions,
    map_parts,
    on_page,
    store,
    version_by_id,
)
from ..context import gazetteer, school_locations
from ..errors import status_for
from ..jurisdictions import Jurisdiction
from ..labels import match_info, word
from .answer import (
    contacts,
    explain_no_zone,
    gap_report,
    geocode,
    lookup,
    prepare_address,
    zone_kind_label,
)
from .nearby import describe_point

__all__ = ["detect_jurisdiction", "lookup_page", "public_map"]


def detect_jurisdiction(address: str) -> list[Jurisdiction]:
    """The served jurisdictions an address can belong to: by the county code the address
    parser reads, else by which jurisdictions' gazetteers locate it in their county."""
    js = list(jurisdictions().values())
    if len(js) == 1:
        return js

    code = str(_address_facts(address)[2] or "")  # the refusal check's parse, remembered
    if code:
        hits = [j for j in js if j.county_code == code]
        if hits:
            return hits
    hits = []
    for j in js:
        try:
            geo = geocode(address, j.ctx)
        except Exception:  # noqa: BLE001 - an address one gazetteer cannot read
            continue
        if geo.get("lon") is None or geo.get("level") in (None, "county"):
            continue
        got = str(geo.get("county_code") or geo.get("code") or "")
        if not j.county_code or got.startswith(j.county_code):
            hits.append(j)
    return hits


def _pick_jurisdiction(address: str | None, key: str | None, default: str | None):
    """The jurisdiction of a lookup: ``key`` when given; else the one the address names (its
    county code); else ``default`` (the page's choice); else, when several are served, ask."""
    if key:
        return jurisdiction(key)
    js = jurisdictions()
    if address is not None:  # unreadable, or in a county no served policy covers: say so
        _check_address(address, js)
    if len(js) == 1:
        return next(iter(js.values()))
    if address:
        hits = detect_jurisdiction(address)
        if len(hits) == 1:
            return hits[0]
    if default:
        return jurisdiction(default)
    raise InputError(
        "无法从地址判断所属区县，请在地址中写明区县，或用 jurisdiction 参数指定 "
        "(which jurisdiction? name the county in the address or pass ?jurisdiction=)",
        problems=[f"jurisdiction={k} — {j.label()}" for k, j in js.items()],
    )


def _check_address(address: str, js: dict) -> None:
    """Refuse, with the reason, an address that no jurisdiction could serve: unreadable (empty,
    too long, no Chinese) or in a county that none of the served policies covers."""
    gaz = gazetteer(next(iter(js.values())).ctx) if len(js) == 1 else None
    reason_code, reason, county, where = _address_facts(address, gaz)
    refused = ("empty", "too_long", "no_chinese", "not_text")
    if reason_code == "no_chinese" and any(
        getattr(j.ctx.gazetteer, "address_index", None) is not None for j in js.values()
    ):
        refused = ("empty", "too_long", "not_text")  # a Latin-script address of an imported map
    if reason_code in refused:
        raise InputError(
            f"无法识别的地址 address not usable: {reason}；"
            "请输入中文地址，如 太仆寺旗宝昌镇南郊社区察哈尔街1号"
        )
    served = {j.county_code for j in js.values() if j.county_code}
    if county and served and county not in served:
        raise InputError(
            f"该地址位于{where}，不在本服务的辖区内 (outside the served jurisdictions)",
            problems=[j.label() for j in js.values()],
        )


_FACTS_MAX = 50_000  # addresses remembered per process (as the gazetteer's own answer cache)


def _address_facts(address: str, gaz=None) -> tuple:
    """``(reason_code, reason, county code, where)`` of an address's parse, remembered per app
    and gazetteer: the parse depends on the text alone, and the geocoder's answer for a
    repeated address is cached too, so a repeated lookup parses nothing.  With the one served
    jurisdiction's gazetteer ``gaz``, the parse is the one its geocode then reads
    (:meth:`~geo_enroll.geocode.gazetteer.Gazetteer.parse`): a new address is parsed once
    per lookup, not twice.  Kept in memory only, never logged."""
    parse = getattr(gaz, "parse", None)
    if has_app_context():
        kept = app_cache().get(("address_facts", id(gaz)))
        if kept is None or kept[0] is not gaz:  # (gazetteer, {address: facts}); gaz kept alive
            kept = app_cache()[("address_facts", id(gaz))] = (gaz, {})
        memo = kept[1]
    else:
        memo = {}
    facts = memo.get(address)
    if facts is None:
        text = address.strip() if isinstance(address, str) else address
        parsed = parse(text) if parse is not None else parse_address(address)
        county = (parsed.get("codes") or {}).get("county")
        where = "".join(str(parsed.get(k) or "") for k in ("province", "city", "county"))
        facts = (parsed.get("reason_code"), parsed.get("reason"), county, where or county)
        if len(memo) >= _FACTS_MAX:
            memo.clear()
        memo[address] = facts
    return facts


def _serves(spec: dict, level: str) -> bool:
    """Whether any school of the spec teaches ``level``."""
    return any(s.get("level") in (level, "nine_year") for s in spec.get("schools") or [])


def _group_schools(items: list[dict], lang: str) -> list[dict]:
    """One entry per school: its kinds as tags, the rules' sources beneath (in answer order)."""
    out: dict[str, dict] = {}
    for s in items:
        key = s.get("school_id") or s.get("school") or ""
        e = out.setdefault(
            key,
            {
                "school": s.get("school"),
                "school_id": s.get("school_id"),
                "kinds": [],
                "optional": True,
                "distance_m": s.get("distance_m"),
                "sources": [],
            },
        )
        label = zone_kind_label(s.get("kind"), lang)
        if label not in e["kinds"]:
            e["kinds"].append(label)
        e["optional"] = e["optional"] and bool(s.get("optional"))
        src = {"kind": label, "rule_id": s.get("rule_id")}  # its text: the answer's sources
        if "source" in s:  # a rule_id met with two texts (:func:`_sources_once`): inline
            src |= {"text": s["source"], "line": s.get("line")}
        if src not in e["sources"]:
            e["sources"].append(src)
    return list(out.values())


def _sources_once(schools: dict[str, list[dict]]) -> dict[str, dict]:
    """The rules' source sentences, each once: ``{rule_id: {"text", "line"}}`` in answer order,
    taken out of the ``schools`` entries (which keep their ``rule_id``).  A rule has one source
    sentence, so a school listed at two levels or in two groups sends its text once.  Should
    a zones layer give one rule_id two texts, the later entry keeps its own (never a wrong one).

    >>> schools = {"primary": [{"rule_id": "r1", "source": "东小学招收东区", "line": 4}],
    ...            "middle": [{"rule_id": "r1", "source": "东小学招收东区", "line": 4},
    ...                       {"rule_id": "r1", "source": "另一句", "line": 9}]}
    >>> _sources_once(schools), schools["middle"]
    ({'r1': {'text': '东小学招收东区', 'line': 4}}, [{'rule_id': 'r1'}, {'rule_id': 'r1', 'source': '另一句', 'line': 9}])
    """
    out: dict[str, dict] = {}
    for level in ("primary", "middle"):
        for s in schools.get(level, []):
            src = {"text": s.get("source"), "line": s.get("line")}
            if out.setdefault(s.get("rule_id") or "", src) == src:
                s.pop("source", None)
                s.pop("line", None)
    return out


_TIPS = {
    "zh": [
        "写全地址：旗县（区）、乡镇（街道）、村（社区）、街道或小区、门牌号，按户口簿上的写法。",
        "检查错别字和简称，例如写全称“{county}”。",
        "只知道大概位置时，可以在地图上点击您家所在的位置。",
    ],
    "en": [
        "Write the whole address as in the household register: county, township, village or "
        "community, street or compound, house number.",
        "Check for typos and short forms: write the full name, e.g. “{county}”.",
        "If you only know where it is, click your home on the map.",
    ],
}


def _help(spec: dict, j: Jurisdiction, lang: str) -> dict:
    """What a parent can try when an address is not found, and whom to call."""
    county = (spec.get("policy") or {}).get("jurisdiction") or j.name
    return {
        "tips": [t.format(county=county) for t in _TIPS["en" if lang == "en" else "zh"]],
        "contacts": contacts(spec, "consultation"),
    }


def lookup_page(
    *,
    address: str | None,
    lon: float | None,
    lat: float | None,
    nonce: str | None,
    lang: str = "zh",
    jurisdiction_key: str | None = None,
    default_key: str | None = None,
    diagnostics: bool = False,
    encoded: bool = False,
):
    """A parent's lookup (:func:`_lookup`); for the HTML page an address that cannot be served
    (outside the jurisdiction, unreadable) keeps the page, its form and map, with the reason,
    what to try and the bureau's consultation phone inline (``lookup_error``).  The JSON twin
    answers the error envelope.

    ``encoded=True`` (with ``nonce=None``: the JSON twin): :class:`EncodedAnswer`, the answer
    with ``{"ok": true}`` as the bytes the app's JSON provider makes of it.
    """
    try:
        return _lookup(
            address=address,
            lon=lon,
            lat=lat,
            nonce=nonce,
            lang=lang,
            jurisdiction_key=jurisdiction_key,
            default_key=default_key,
            diagnostics=diagnostics,
            encoded=encoded,
        )
    except (InputError, NotFoundError, GeocodeError) as exc:
        if nonce is None or status_for(exc) >= 500:
            raise
        try:
            j = jurisdiction(default_key or jurisdiction_key)
        except NotFoundError:
            j = jurisdiction()
        vid = store().current_version_id(j.key)
        spec = version_by_id(vid)["spec"] if vid is not None else {}
        return public_map(nonce=nonce, lang=lang, key=j.key) | {
            "answer": None,
            "lookup_error": {"message": exc.message, "problems": exc.problems}
            | _help(spec, j, lang),
        }


def _lookup(
    *,
    address: str | None,
    lon: float | None,
    lat: float | None,
    nonce: str | None,
    lang: str = "zh",
    jurisdiction_key: str | None = None,
    default_key: str | None = None,
    diagnostics: bool = False,
    encoded: bool = False,
):
    """A parent's lookup on the current version of the address's jurisdiction.

    The answer keeps the engine's list per level (``schools``: one entry per rule) and adds
    ``groups`` (one entry per school with its kinds as tags and the rules beneath), ``sources``
    (each rule's source sentence and line, sent once and referenced by ``rule_id`` from
    ``schools`` and ``groups``), ``match`` (the match level in words
    with how precise it is), ``no_zone`` (why a located address has no school: a gap of the
    diagnostics, or outside every zone) and ``jurisdiction``.

    The engine's body/annex conflict notes (its ``bureau_notes``) are the bureau's
    diagnostics, not the parent's answer: they leave ``warnings`` and come back as
    ``diagnostics`` only with ``diagnostics=True`` (a signed-in bureau user).
    """
    j = on_page(_pick_jurisdiction(address, jurisdiction_key, default_key))
    v = current_version(j)
    prepared = kept = None
    if address is not None:
        prepared = prepare_address(
            spec=v["spec"], zones=v["zones"], address=address, ctx=j.ctx, key=v["sha256"]
        )
        if nonce is None and prepared["keyed"][0] is not None:
            kept = _kept_answers(v, j, prepared["index"]), (lang, diagnostics, prepared["keyed"][0])
            got = kept[0].get(kept[1])
            if got is not None:
                return got.encode(prepared["address"]) if encoded else got.copy(prepared["address"])
    answer = lookup(
        spec=v["spec"],
        zones=v["zones"],
        address=address,
        lon=lon,
        lat=lat,
        ctx=j.ctx,
        key=v["sha256"],
        prepared=prepared,
    )
    for level in ("primary", "middle"):
        for s in answer["schools"].get(level, []):
            s["kind_label"] = zone_kind_label(s.get("kind"), lang)
    answer.pop("raw", None)
    internal = answer.pop("bureau_notes", [])  # the engine says which notes are the bureau's
    answer["warnings"] = [w for w in answer["warnings"] if w not in internal]
    if diagnostics:
        answer["diagnostics"] = internal
    answer["version"] = v["id"]
    answer["jurisdiction"] = j.public(lang)
    answer["match"] = match_info(answer.get("match_level"), lang)
    answer["sources"] = _sources_once(answer["schools"])
    answer["groups"] = {
        level: _group_schools(answer["schools"].get(level, []), lang)
        for level in ("primary", "middle")
    }
    located = answer.get("lon") is not None and answer.get("lat") is not None
    if address is None and located:  # a clicked point: say where it is, not its coordinates
        answer["place"] = describe_point(float(answer["lon"]), float(answer["lat"]), j.ctx, lang)
        answer["input"] = answer["place"]
    if not located or answer["match"]["coarse"] or not any(answer["schools"].values()):
        answer["help"] = _help(v["spec"], j, lang)
    answer["across"] = _across(answer, lang)
    # per level without any school: why (a gap of the diagnostics, or outside every zone)
    answer["no_zone"] = {}
    gap_geoms = []
    if located and answer["match"]["code"] not in ("county",):
        for lv in ("primary", "middle"):
            zoned = [x for x in answer["schools"].get(lv, []) if not x.get("optional")]
            if zoned or not _serves(v["spec"], lv):
                continue  # a zone school (free-choice or optional schools alone are no zone)
            why = _no_zone(v, j, float(answer["lon"]), float(answer["lat"]), lang, lv)
            if why.get("geometry") and why["geometry"] not in gap_geoms:
                gap_geoms.append(why["geometry"])
            why.pop("geometry", None)
            answer["no_zone"][lv] = why
    if nonce is None:
        if kept is None:
            return _encode_answer(answer) if encoded else answer
        entry = _KeptAnswer.of(answer)
        if entry is None:
            return _encode_answer(answer) if encoded else answer
        if len(kept[0]) >= ANSWER_MEMO_MAX:
            kept[0].clear()
        kept[0][kept[1]] = entry
        return entry.encode(prepared["address"]) if encoded else answer
    ids = {s.get("school_id") for lv in answer["schools"].values() for s in lv}
    rule_ids = {s.get("rule_id") for lv in answer["schools"].values() for s in lv}
    across_ids = {a["school_id"] for a in answer["across"]}
    rule_ids |= {
        f["properties"].get("rule_id")
        for f in v["zones"].get("features") or []
        if str(f["properties"].get("school_id")) in across_ids
    }
    ids |= across_ids
    mine = {
        "type": "FeatureCollection",
        "features": [
            f
            for f in v["zones"].get("features") or []
            if f["properties"].get("rule_id") in rule_ids
        ],
    }
    highlight = None
    if gap_geoms:
        highlight = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": geom,
                    "properties": {"gap": "划片空白 gap" if lang != "en" else "gap"},
                }
                for geom in gap_geoms
            ],
        }
    schools = [s for s in school_locations(v["spec"], j.ctx) if s["id"] in ids] or None
    home = None
    if located:
        home = {
            "lon": answer["lon"],
            "lat": answer["lat"],
            "label": ("looked-up address · " if lang == "en" else "查询的地址 · ")
            + answer["match"]["label"],
        }
    return {
        "answer": answer,
        "_map": map_parts(
            v,
            nonce,
            zones=mine if mine["features"] else v["zones"],
            schools=schools,
            home=home,
            highlight=highlight,
            lang=lang,
            rule_ids=False,
        ),
    }


def _kept_answers(v: dict, j: Jurisdiction, index) -> dict:
    """The JSON answers of addresses kept per version, jurisdiction and zone index, by the
    engine's :func:`~geo_enroll.lookup.answer_key` (with the language and diagnostics): every
    address of one village or street point with the same unit matches gets the same answer
    but its ``input``, so the second such address skips the engine's answer and this module's
    work on it (sources, groups, no-zone reasons).  At most
    :data:`~geo_enroll.lookup.ANSWER_MEMO_MAX` answers; the index and jurisdiction are kept
    with them (the key tells units apart by identity)."""
    cache = app_cache()
    key = ("answers", v["id"], j.key)
    kept = cache.get(key)
    if kept is None or kept[0] is not index or kept[1] is not j:
        kept = cache[key] = (index, j, {})
    return kept[2]


class EncodedAnswer(bytes):
    """A JSON answer as the bytes the app's JSON provider makes of ``{"ok": true} | answer``
    (with its trailing newline), with the answer's ``version`` and jurisdiction ``key``."""

    version: int | None
    key: str | None


def _encoded(body: bytes, answer: dict) -> EncodedAnswer:
    out = EncodedAnswer(body)
    out.version = answer.get("version")
    out.key = (answer.get("jurisdiction") or {}).get("key")
    return out


def _encode_answer(answer: dict) -> EncodedAnswer:
    """An answer not kept (a point, an address not located), encoded."""
    return _encoded(current_app.json.response({"ok": True} | answer).get_data(), answer)


_INPUT_MARK = "\ue000geo_enroll input\ue001"
"""Stands for the address while a kept answer is encoded (private-use characters: no answer
has them, and the answer is kept only when the mark's encoding occurs exactly once)."""


class _KeptAnswer:
    """One address answer kept by its engine key (:func:`_kept_answers`), as the JSON bytes the
    app's provider makes of ``{"ok": true} | answer`` before and after the address (about 3 KB:
    no Python objects kept); an address's answer is its own encoding put between them."""

    __slots__ = ("head", "tail", "version", "key")

    @classmethod
    def of(cls, answer: dict) -> _KeptAnswer | None:
        provider = current_app.json
        body = provider.response({"ok": True} | answer | {"input": _INPUT_MARK}).get_data()
        mark = provider.dumps(_INPUT_MARK).encode("utf-8")
        if body.count(mark) != 1:  # not expected (the answer would hold the mark): not kept
            return None
        kept = cls()
        kept.head, _, kept.tail = body.partition(mark)
        kept.version = answer.get("version")
        kept.key = (answer.get("jurisdiction") or {}).get("key")
        return kept

    def encode(self, text: str) -> EncodedAnswer:
        body = self.head + current_app.json.dumps(text).encode("utf-8") + self.tail
        out = EncodedAnswer(body)
        out.version, out.key = self.version, self.key
        return out

    def copy(self, text: str) -> dict:
        """The answer as a dict (the JSON read back: the same JSON when encoded again)."""
        answer = json.loads(self.encode(text))
        answer.pop("ok", None)
        return answer


_NO_ZONE_MAX = 20_000  # points whose no-zone explanation is kept per version and process


def _no_zone(v: dict, j: Jurisdiction, lon: float, lat: float, lang: str, level: str) -> dict:
    """:func:`~web.public.answer.explain_no_zone` of a point on version ``v`` (its gaps
    computed once per version), kept per version and point: a pure function of them, asked
    again by every address located to the same village or street point.  The caller gets its
    own top-level copy (it takes the ``geometry`` out)."""
    cache = app_cache()
    key = ("gaps", v["id"])
    if key not in cache:
        cache[key] = gap_report(v["spec"], v["zones"], j.ctx)
    memo = cache.get(("no_zone", v["id"]))
    if memo is None or len(memo) >= _NO_ZONE_MAX:
        memo = cache[("no_zone", v["id"])] = {}
    point = (lon, lat, lang, level)
    why = memo.get(point)
    if why is None:
        why = memo[point] = explain_no_zone(
            v["spec"], v["zones"], cache[key], lon, lat, lang, level=level
        )
    return dict(why)


def _across(answer: dict, lang: str) -> list[dict]:
    """Near a zone edge: the schools across it (the engine's ``across``, from the same pass
    over the zones as the answer), named in the answer's boundary warning."""
    across = answer.pop("across", None)
    if across is None:  # farther than the boundary warning distance from every edge
        return []
    if across:
        names = "、".join(
            dict.fromkeys(
                f"{a['school']} ({word('level', a['level'], lang)})"
                if lang == "en"
                else f"{a['school']}（{word('level', a['level'], lang)}）"
                for a in across
            )
        )
        note = f"; across the line: {names}" if lang == "en" else f"；边界另一侧是 {names}"
    else:
        note = (
            "; no other school's zone is drawn across the line"
            if lang == "en"
            else "；地图上边界另一侧没有其他学校的片区"
        )
    answer["warnings"] = [
        w + note if w.startswith("距离划片边界") else w for w in answer.get("warnings") or []
    ]
    return across


def public_map(*, nonce: str | None, lang: str = "zh", key: str | None = None) -> dict:
    """The current zones of the page's jurisdiction (nothing when none is published)."""
    j = on_page(jurisdiction(key))
    vid = store().current_version_id(j.key)
    if vid is None:
        return {}
    v = version_by_id(vid)
    # 公开: the policy's consultation / supervision phones and its timeline (parsed from the text)
    notes = notices.policy_notes(v["spec"].get("policy") or {})
    out = {"publicity": {k: notes[k] for k in ("contacts", "timeline", "issuer")}}
    if nonce is not None:
        out["_map"] = map_parts(v, nonce, lang=lang, rule_ids=False)
    return out
