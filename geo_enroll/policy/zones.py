"""Pieces → zones, and admin units resolved to their official codes.

Unit pieces are grouped by township into ``admin_units`` zones; limits, compounds, bounds and
street lists become zones of their own kind.  Units are resolved with :mod:`.units` when the
county's official list ships, else they carry a note saying so.

>>> ctx = ParseContext(county=None)
>>> piece = {"type": "unit", "name": "东关村", "town": "城关镇", "text": "东关村"}
>>> zones = pieces_to_zones([piece], {"text": "…", "line": 1}, ctx)
>>> zones[0]["kind"], [u["name"] for u in zones[0]["units"]]
('admin_units', ['东关村'])
>>> is_township("城关镇"), is_township("东关村")
(True, False)
"""

from __future__ import annotations

import re

from . import units as _units
from .document import ParseContext
from .grammar import CN

__all__ = ["unit_entry", "is_township", "unit_key", "pieces_to_zones"]


def unit_entry(
    name: str, township: str | None, ctx: ParseContext, *, group=None, sub_area=None
) -> dict:
    """A unit entry, resolved to its official code when the county's list ships."""
    out = {"name": name, "township": township, "code": None, "group": group, "sub_area": sub_area}
    if ctx.county not in _units.COUNTIES:
        out["note"] = "该县区无官方区划名单 no official unit list shipped for this county"
        return out
    is_town = township is None and name.endswith(("镇", "乡", "苏木", "街道"))
    if is_town:
        res = _units.resolve_township(name, county=ctx.county)
    else:
        res = _units.resolve_unit(name, township=township, county=ctx.county)
    out["code"] = res["code"]
    if res["official_name"]:
        out["official_name"] = res["official_name"]
    if res["match"] not in ("exact", "none"):
        out["match"] = res["match"]
    if res["code"] is None:
        out["candidates"] = [
            {k: c[k] for k in ("name", "code", "township", "score")} for c in res["candidates"][:4]
        ]
    if res["note"]:
        out["note"] = res["note"]
    if township and res.get("township") and res["township"] != township:
        out["township"] = res["township"]
    return out


def is_township(name: str) -> bool:
    """Whether a name is written as a township (镇/乡/苏木/街道)."""
    return bool(re.fullmatch(rf"[{CN}]{{2,8}}(?:镇|乡|苏木|街道)", name))


def unit_key(u: dict) -> tuple:
    """The identity of a unit for comparisons: its code (else name), group, sub-area."""
    return (u.get("code") or u.get("name"), u.get("group"), u.get("sub_area"))


def pieces_to_zones(
    pieces: list[dict], source: dict, ctx: ParseContext, *, basis="hukou", kind="admin_units"
) -> list[dict]:
    """Group unit pieces by township into admin_units zones; others become their own zones."""
    zones: list[dict] = []
    current: dict | None = None
    for piece in pieces:
        typ = piece["type"]
        if typ in ("unit", "count"):
            if typ == "count":
                new_units = _count_units(piece, ctx)
            elif piece.get("whole_township"):
                new_units = [unit_entry(piece["name"], None, ctx)]
                if piece.get("exclude"):
                    new_units[0]["exclude"] = list(piece["exclude"])
            else:
                u = unit_entry(
                    piece["name"],
                    piece.get("town"),
                    ctx,
                    group=piece.get("group"),
                    sub_area=piece.get("sub_area"),
                )
                if piece.get("exclude"):
                    u["exclude"] = piece["exclude"]
                if piece.get("expanded_from"):
                    u["expanded_from"] = piece["expanded_from"]
                if piece.get("written_note"):
                    u["written_note"] = piece["written_note"]
                if piece.get("choice"):  # options at the other schools: see clauses.apply_pending
                    u["choice"] = list(piece["choice"])
                if piece.get("carved_to"):  # moved to that school: see clauses.apply_pending
                    u["carved_to"] = piece["carved_to"]
                new_units = [u]
            town = piece.get("town")
            if current is None or current["_town"] != town:
                current = {
                    "kind": kind,
                    "units": [],
                    "basis": basis,
                    "source": source,
                    "_town": town,
                }
                if kind == "alternative":
                    current.pop("basis")
                zones.append(current)
            current["units"].extend(new_units)
            continue
        current = None
        includes = piece.get("includes")  # 含X、Y: names inside, for the digitiser to check
        made = len(zones)
        _polygon_zone(piece, source, ctx, zones)
        if includes and len(zones) > made:
            zones[-1]["includes"] = list(includes)
    for z in zones:
        z.pop("_town", None)
    return zones


def _polygon_zone(piece: dict, source: dict, ctx: ParseContext, zones: list[dict]) -> None:
    """The zone of one non-unit piece (limits, compound, bounds, street list)."""
    typ = piece["type"]
    fragment = piece.get("text")
    if typ == "rest":  # 其余区域: see .remainder
        from .remainder import remainder_zone

        zones.append(remainder_zone(piece, source, ctx))
    elif typ == "whole":  # 全县范围内招生: see .remainder.resolve_wholes
        zones.append(
            {
                "kind": "remainder",
                "units": [],
                "area": None,
                "of": [],
                "source": source,
                "fragment": piece.get("text"),
                "_whole": True,
            }
        )
    elif typ == "limits":
        within = piece.get("within")
        code = None
        if within:
            code = unit_entry(within, piece.get("town"), ctx)["code"]
        zones.append(
            {
                "kind": "street_limits",
                "within": within,
                "within_code": code,
                "limits": piece["limits"],
                "exclude": piece.get("exclude", []),
                "include": [],
                "source": source,
                "fragment": fragment,
            }
        )
    elif typ == "compound":
        zone = {
            "kind": "compound",
            "name": piece["name"],
            "within": piece.get("within"),
            "source": source,
            "fragment": fragment,
        }
        if piece.get("exclude"):
            zone["exclude"] = list(piece["exclude"])
        if piece.get("address"):
            zone["address"] = piece["address"]
        if piece.get("note"):
            zone["note"] = piece["note"]
        zones.append(zone)
    elif typ == "bounds":
        zone = {
            "kind": "directional_bounds",
            "bounds": piece["bounds"],
            "within": piece.get("within"),
            "surrounded": piece.get("surrounded", False),
            "exclude": list(piece.get("exclude") or []),
            "source": source,
            "fragment": fragment,
        }
        if piece.get("bounded_by"):
            zone["bounded_by"] = piece["bounded_by"]
        if piece.get("negate"):
            zone["negate"] = True
        if piece.get("walked"):  # the bounds are steps of a walk, in order
            zone["walked"] = True
        zones.append(zone)
    elif typ == "street_list":
        zone = {
            "kind": "street_list",
            "street": piece["street"],
            "numbers": piece["numbers"],
            "sides": piece["sides"],
            "exclude": list(piece.get("exclude") or []),
            "source": source,
            "fragment": fragment,
        }
        if piece.get("side"):
            zone["side"] = piece["side"]
        if piece.get("stretch"):
            zone["stretch"] = dict(piece["stretch"])
        if piece.get("within"):  # 南苑小区只包括官渡东路西二巷: the stretch inside that place
            zone["within"] = piece["within"]
        zones.append(zone)


def _count_units(piece: dict, ctx: ParseContext) -> list[dict]:
    """``宝昌镇6个社区`` → the township's official communities (count checked by checks)."""
    town = piece.get("town")
    if not town or ctx.county not in _units.COUNTIES:
        return [
            {
                "name": piece["text"],
                "township": town,
                "code": None,
                "group": None,
                "sub_area": None,
                "note": "无法展开 cannot expand without an official list",
            }
        ]
    kind = piece["kind"]
    found = (
        _units.township_communities(town, county=ctx.county)
        if kind in ("社区", "居委会")
        else [u for u in _units.township_villages(town, county=ctx.county) if u.level == "village"]
    )
    out = []
    for u in found:
        out.append(
            {
                "name": u.short + ("社区" if u.level == "community" else "村"),
                "township": u.township,
                "code": u.code,
                "group": None,
                "sub_area": None,
                "official_name": u.name,
                "expanded_from": piece["text"],
            }
        )
    extras = [
        u.name
        for u in _units.load_units()
        if u.code is None
        and u.township == (found[0].township if found else None)
        and u.level == "community"
    ]
    if extras and kind in ("社区", "居委会"):
        for u in out:
            u["note"] = (
                f"国家统计局2023年名单有{len(found)}个社区；jionlp 1.5.31 另列"
                f"{'、'.join(extras)}（无代码） (jionlp lists {len(found) + len(extras)})"
            )
    if piece.get("n") is not None and piece["n"] != len(found):
        for u in out:
            u["note"] = (
                f"正文写{piece['n']}个，官方名单有{len(found)}个"
                f" (text says {piece['n']}, official list has {len(found)})"
            )
    return out
