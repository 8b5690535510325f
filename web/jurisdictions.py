"""The jurisdictions (policies) one service serves, each with its own versions and cohorts.

``geo-enroll serve --policy SPEC [--policy SPEC2 …]`` builds one :class:`Jurisdiction` per
SPEC: the zone spec, its zones (``<stem>_zones.gpkg`` beside it, when the policy has polygon
zones), and the companion files the ``place`` command also finds (``<stem>_schools.csv`` seat
table, ``<stem>_basemap.gpkg`` base map: the stem cut at its last ``_`` repeatedly, so
``yanqing_2023_multischool`` finds ``yanqing_2023_schools.csv``; 太仆寺旗 (152527) falls back to
``data/boundaries/baochang_schematic.gpkg``).  A spec whose ``policy.sources.scenario`` is set
is a **hypothetical scenario** and every page says so.

SPEC is a path, or a name looked up as ``data/boundaries/NAME.toml`` then
``data/scenarios/NAME.toml``.

The zones are checked at start with the zone-layer importer's checks
(:func:`geo_enroll.zonelayer.check_zones`): a layer that is not a geo_enroll zones layer of
this spec (no ``rule_id``, unknown rules, invalid or non-polygon geometry, no CRS) stops the
service with every problem listed; a layer in another CRS is converted to EPSG:4326 (a
converted copy is served).

>>> j = from_policy("taipusi_2024")
>>> j.key, j.name, j.county_code, j.hypothetical
('taipusi_2024', '太仆寺旗', '152527', False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_enroll.errors import InputError
from geo_enroll.policy.spec import companion_file, load_spec
from geo_enroll.settings import data_dir

from .context import Context, default_spec_path, has_polygon_rules, load_zones, synth_cohort

__all__ = [
    "Jurisdiction",
    "from_policy",
    "resolve_policy",
    "companion",
    "default_policies",
    "checked_zones",
    "seed_defaults",
]


@dataclass
class Jurisdiction:
    """One policy served by the app.

    Attributes
    ----------
    key : str
        Short stable slug (the spec file's stem), used in URLs, the API and the store.
    name, year, county_code
        From the spec's ``policy``.
    ctx : web.context.Context
        Gazetteer, school points, seat table, base map and streets of this policy.
    spec_path, zones_path : Path or None
        What the first version is seeded from.
    scenario : str or None
        The label of a hypothetical scenario (``policy.sources.scenario.text``), else None.
    seat_counts : (int, int) or None
        Applicants per level of the synthetic cohort (None: the engine's default).
    """

    key: str
    name: str
    year: Any = None
    county_code: str | None = None
    ctx: Context = field(default_factory=Context)
    spec_path: Path | None = None
    zones_path: Path | None = None
    scenario: str | None = None
    seat_counts: tuple[int | None, int | None] | None = None

    @property
    def hypothetical(self) -> bool:
        return bool(self.scenario)

    def label(self, lang: str = "zh") -> str:
        """``太仆寺旗 2024`` (+ ``（示意情景）`` / ``(hypothetical)`` for a scenario)."""
        text = f"{self.name} {self.year}" if self.year else self.name
        if self.hypothetical:
            text += " (HYPOTHETICAL scenario)" if lang == "en" else "（示意情景，虚构）"
        return text

    def public(self, lang: str = "zh") -> dict:
        """What the API shows of a jurisdiction."""
        return {
            "key": self.key,
            "name": self.name,
            "year": self.year,
            "county_code": self.county_code,
            "label": self.label(lang),
            "hypothetical": self.hypothetical,
            "scenario": self.scenario,
        }


def default_policies() -> list[Path]:
    """The policies served when ``--policy`` is not given: the 太仆寺旗 2024 default."""
    return [default_spec_path()]


def resolve_policy(ref: str | Path) -> Path:
    """A spec path from a path or a name (``data/boundaries``, then ``data/scenarios``)."""
    path = Path(ref)
    if path.exists():
        return path
    for folder in ("boundaries", "scenarios"):
        for suffix in (".toml", ".json"):
            cand = data_dir() / folder / f"{ref}{suffix}"
            if cand.exists():
                return cand
    raise InputError(
        f"找不到政策 {ref} (no zone spec at {ref}, nor data/boundaries/{ref}.toml, "
        f"nor data/scenarios/{ref}.toml)"
    )


companion = companion_file  # the same rule as the CLI's (geo_enroll.policy.spec)


def _layer(path: Path | None, layer: str):
    if path is None or not path.exists():
        return None
    import geopandas as gpd
    import pyogrio

    if layer not in {str(r[0]) for r in pyogrio.list_layers(path)}:
        return None
    gdf = gpd.read_file(path, layer=layer)
    return gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf


def checked_zones(zones_path: Path | None, spec: dict, *, work_dir: Path | None = None):
    """``zones_path`` if it can be served with ``spec`` as is, else a converted EPSG:4326 copy
    in ``work_dir``; raises :class:`InputError` listing every problem of an unusable layer."""
    if zones_path is None or not Path(zones_path).exists():
        return zones_path
    from geo_enroll.zonelayer import check_zones, read_layer

    zones_path = Path(zones_path)
    gdf, notes = read_layer(zones_path)
    problems = check_zones(gdf, spec)
    if problems:
        raise InputError(
            f"不能提供划片图层 {zones_path.name} (cannot serve the zones {zones_path})",
            problems=problems,
        )
    converted = any("EPSG:4326" in n and "转换" in n for n in notes)
    if not converted and (zones_path.suffix.lower() != ".gpkg" or _has_zones_layer(zones_path)):
        return zones_path
    import tempfile

    out_dir = Path(work_dir or tempfile.mkdtemp(prefix="geo_enroll_zones_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{zones_path.stem}_4326.gpkg"
    if out.exists():
        out.unlink()
    gdf.reset_index(drop=True).to_file(out, layer="zones", driver="GPKG")
    return out


def _has_zones_layer(path: Path) -> bool:
    import pyogrio

    return "zones" in {str(r[0]) for r in pyogrio.list_layers(path)}


def from_policy(
    ref: str | Path, *, zones: str | Path | None = None, work_dir: str | Path | None = None
) -> Jurisdiction:
    """A :class:`Jurisdiction` from a spec path or name, with its companion files (the zones
    checked, and converted to EPSG:4326 into ``work_dir`` when needed)."""
    path = resolve_policy(ref)
    spec = load_spec(path)
    pol = spec.get("policy") or {}
    if zones is not None:
        zones_path: Path | None = Path(zones)
    else:
        zones_path = companion(path, "zones.gpkg") or companion(path, "zones.geojson")
    zones_path = checked_zones(zones_path, spec, work_dir=Path(work_dir) if work_dir else None)
    seats = companion(path, "schools.csv")
    basemap = companion(path, "basemap.gpkg")
    default_bm = data_dir() / "boundaries" / "baochang_schematic.gpkg"
    if basemap is None and str(pol.get("county_code") or "") == "152527" and default_bm.exists():
        basemap = default_bm
    gazetteer = None
    if basemap is not None and basemap != default_bm:
        from geo_enroll.geocode import Gazetteer

        gazetteer = Gazetteer.from_data(basemap=basemap)
    points = _layer(basemap, "schools")
    if points is not None and "school_id" not in points.columns:
        points = None
    counts = None
    if seats is not None:
        try:
            from geo_enroll.placement.cohort import default_counts

            counts = tuple(default_counts(spec, seats))
        except Exception:  # noqa: BLE001 - the engine's default counts then
            counts = None
    scenario = ((pol.get("sources") or {}).get("scenario") or {}).get("text")
    ctx = Context(
        gazetteer=gazetteer,
        school_points=points,
        seat_table=seats,
        basemap=basemap,
        streets=_layer(basemap, "streets"),
    )
    return Jurisdiction(
        key=path.stem,
        name=str(pol.get("jurisdiction") or path.stem),
        year=pol.get("year"),
        county_code=str(pol["county_code"]) if pol.get("county_code") else None,
        ctx=ctx,
        spec_path=path,
        zones_path=zones_path,
        scenario=scenario,
        seat_counts=counts,
    )


def seed_defaults(app_store, j: Jurisdiction, *, logger, cohort_seed: int | None = 7) -> None:
    """First start of a jurisdiction: its spec + zones become its version 1 (published), and a
    synthetic cohort is added."""
    empty = {"type": "FeatureCollection", "features": []}
    spec_path, zones_path = j.spec_path, j.zones_path
    if spec_path is None:
        return
    if not app_store.versions(j.key):
        if spec_path.exists():
            spec = load_spec(spec_path)
            has_zones = zones_path is not None and zones_path.exists()
            zones = load_zones(zones_path) if has_zones else empty
            if not has_zones and has_polygon_rules(spec):
                logger.warning(
                    "no zones for %s: street-limit zones are unavailable until "
                    "`geo-enroll digitise` builds them",
                    j.key,
                )
            vid = app_store.save_version(
                spec=spec,
                zones=zones,
                author="system",
                message=f"默认数据 default: {spec_path.name}"
                + (f" + {zones_path.name}" if has_zones else " (无划片图层 no zones)"),
                jurisdiction=j.key,
            )
            app_store.publish(vid, author="system")
        else:
            logger.warning("no default spec at %s: the service starts without a version", spec_path)
    else:
        cur = app_store.current_version_id(j.key)
        v = app_store.version(cur) if cur else None
        if (
            v
            and v["author"] == "system"
            and not v["zones"].get("features")
            and zones_path is not None
            and zones_path.exists()
            and app_store.versions(j.key)[0]["author"] == "system"
        ):
            # the default zones were built after the first start: add them as a new version
            nid = app_store.save_version(
                spec=v["spec"],
                zones=load_zones(zones_path),
                author="system",
                parent_id=cur,
                message=f"默认划片图层 default zones: {zones_path.name}",
            )
            app_store.publish(nid, author="system")
    vid = app_store.current_version_id(j.key)
    if cohort_seed is not None and vid is not None and app_store.latest_cohort_id(j.key) is None:
        v = app_store.version(vid)
        rows = synth_cohort(
            v["spec"],
            seed=cohort_seed,
            zones=v["zones"],
            basemap=j.ctx.basemap,
            counts=j.seat_counts,
        )
        app_store.save_cohort(
            rows,
            label=f"合成学生 synthetic cohort (seed {cohort_seed})",
            synthetic=True,
            author="system",
            jurisdiction=j.key,
        )
