"""What the analysts' pages do: cohorts, placement and Monte-Carlo runs, their results.

Runs execute in a thread (inline with ``RUNS_SYNC``) and store their progress and result; the
placement of record is started here too, by staff (:func:`start_run` with ``of_record``).
"""

from __future__ import annotations

import threading
from datetime import datetime

from flask import current_app

from geo_enroll.errors import ApplicantError, AuthError, InputError
from geo_enroll.placement.applicants import read_applicants, row_problems

from ..common import (
    cohort_index,
    cohort_of,
    jurisdiction,
    jurisdiction_of,
    map_parts,
    on_page,
    store,
    version_by_id,
)
from ..context import rows_from_frame
from ..labels import word
from ..placement import place, seat_use, simulate

__all__ = ["analyst_page", "read_cohort_upload", "start_run", "run_page"]


def analyst_page(*, key: str | None = None, lang: str = "zh") -> dict:
    """Runs, versions and cohorts of a jurisdiction (the analyst's start page)."""
    j = on_page(jurisdiction(key))
    s = store()
    return {
        "jurisdiction": j.public(lang),
        "runs": s.runs(j.key),
        "versions": s.versions(j.key),
        "cohorts": s.cohorts(j.key),
    }


def read_cohort_upload(data: bytes, filename: str) -> list[dict]:
    """An uploaded applicant table (CSV or XLSX) as row dicts, or a clear refusal.

    Messages name the user's file (never a temporary file).  A CSV is read as UTF-8 (with or
    without BOM), else as GB18030 (which covers GBK/GB2312, what Excel writes on a Chinese
    system); one that is neither, or whose headers come out garbled, is refused with how to
    save it.  Every row problem (ID number, dates, level, duplicates...) is listed, one line
    per row with the ID masked, and nothing is saved: fix the file and upload it again.

    >>> read_cohort_upload(b"\\xff\\xfe", "a.pdf")
    Traceback (most recent call last):
    ...
    geo_enroll.errors.InputError: 名单 a.pdf 须为 CSV 或 XLSX 文件, 收到 .pdf (expected .csv or .xlsx)
    """
    import io
    from pathlib import Path

    import pandas as pd

    name = Path(str(filename or "")).name or "名单"
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(
            f"名单 {name} 须为 CSV 或 XLSX 文件, 收到 {suffix or '无扩展名'} "
            "(expected .csv or .xlsx)"
        )
    encoding = None
    try:
        if suffix == ".xlsx":
            raw = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        else:
            if b"\x00" in data[:4096]:
                raise InputError(f"{name} 不是文本表格 (binary file; expected a CSV text table)")
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise InputError(
                    f"{name} 的编码无法识别（不是 UTF-8 也不是 GBK/GB18030）：请在 Excel 中"
                    "另存为“CSV UTF-8”后上传 (encoding is neither UTF-8 nor GBK)"
                )
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas/openpyxl say what is wrong with the table
        raise InputError(
            f"{name} 无法读取为表格 (cannot read as a table): {str(exc)[:200]}"
        ) from None
    if raw.empty:
        raise InputError(f"{name} 没有数据行 (no rows)")
    try:
        table = read_applicants(raw)
    except ApplicantError as exc:
        hint = (
            "；文件按 GBK/GB18030 读取，若列名为乱码，请另存为“CSV UTF-8”"
            if encoding == "gb18030"
            else ""
        )
        raise ApplicantError(f"{name}：{exc.message}{hint}", problems=exc.problems) from None
    problems = row_problems(table)
    if problems:
        raise ApplicantError(
            f"{name} 有{len(problems)}处错误，名单未保存：请改正后重新上传 "
            f"({len(problems)} row problems; nothing saved)",
            problems=problems[:200]
            + ([f"……另有{len(problems) - 200}处"] if len(problems) > 200 else []),
        )
    return rows_from_frame(raw.astype(str))


_RUN_KINDS = ("placement", "montecarlo")


def start_run(body: dict, *, user: dict) -> dict:
    kind = body.get("kind") or "placement"
    if kind not in _RUN_KINDS:
        raise InputError(f"kind must be one of {', '.join(_RUN_KINDS)}, got {kind!r}")
    of_record = bool(body.get("of_record"))
    if of_record and user["role"] not in ("staff", "admin"):
        raise AuthError("只有招生工作人员可以运行正式录取 (only staff run the placement of record)")
    if of_record and kind != "placement":
        raise InputError("the placement of record must be a placement run")
    s = store()
    j = jurisdiction(body.get("jurisdiction") or None)
    try:
        version_id = int(body.get("version_id") or s.current_version_id(j.key) or 0)
        v = version_by_id(version_id)
        cohort_id = int(body.get("cohort_id") or s.latest_cohort_id(v["jurisdiction"]) or 0)
    except (TypeError, ValueError) as exc:
        raise InputError("version_id and cohort_id must be whole numbers") from exc
    cohort_of(cohort_id, v)
    try:
        seed = int(body.get("seed", 7))
        draws = max(1, min(int(body.get("draws", 20)), 500))
    except (TypeError, ValueError) as exc:
        raise InputError("seed and draws must be whole numbers") from exc
    params = {"seed": seed} | ({"draws": draws} if kind == "montecarlo" else {})
    run_id = s.create_run(
        kind=kind,
        version_id=version_id,
        cohort_id=cohort_id,
        params=params,
        author=user["username"],
        of_record=of_record,
    )
    s.audit(
        "run.start",
        username=user["username"],
        role=user["role"],
        obj=f"run:{run_id}",
        detail=f"{kind} version={version_id} cohort={cohort_id} record={of_record}",
    )
    app = current_app._get_current_object()
    if app.config.get("RUNS_SYNC"):
        _execute(app, run_id)
    else:
        threading.Thread(
            target=_execute, args=(app, run_id), daemon=True, name=f"run-{run_id}"
        ).start()
    return {"id": run_id, "status": s.run(run_id)["status"]}


def _execute(app, run_id: int) -> None:
    with app.app_context():
        s = store()
        run = s.run(run_id)
        v = s.version(run["version_id"])
        cohort = s.cohort(run["cohort_id"])["rows"]
        ctx = jurisdiction_of(v["jurisdiction"]).ctx
        last = [0.0]

        def progress(frac: float) -> None:
            if frac - last[0] >= 0.05 or frac >= 1.0:
                last[0] = frac
                s.update_run(run_id, progress=round(min(frac, 1.0), 3))

        s.update_run(run_id, status="running")
        try:
            if run["kind"] == "placement":
                result = place(
                    spec=v["spec"],
                    zones=v["zones"],
                    cohort=cohort,
                    seed=run["params"]["seed"],
                    progress=progress,
                    ctx=ctx,
                )
            else:
                result = simulate(
                    spec=v["spec"],
                    zones=v["zones"],
                    cohort=cohort,
                    draws=run["params"]["draws"],
                    seed=run["params"]["seed"],
                    progress=progress,
                    ctx=ctx,
                )
            s.update_run(
                run_id,
                status="done",
                progress=1.0,
                result=result,
                finished_at=datetime.now().astimezone().replace(microsecond=0).isoformat(),
            )
        except Exception as exc:  # noqa: BLE001 - recorded on the run, never a traceback to users
            app.logger.error("run %s failed: %s", run_id, type(exc).__name__)
            message = getattr(exc, "message", None) or type(exc).__name__
            s.update_run(run_id, status="failed", error=str(message)[:500])


def run_page(
    run_id: int, *, nonce: str | None, school: str | None = None, lang: str = "zh"
) -> dict:
    """A run's status and, when done, its results.

    A placement: status counts, per-school seats/fill/overflow and overflow lines home → school.
    A Monte-Carlo: the multi-school groups, per school fill, chance to fill up and last admitted
    tier, and the probability map of one school (``school``: its name) per unit.
    """
    run = store().run(run_id)
    result = run.pop("result") or {}
    run["status_label"] = word("status", run["status"], lang)
    out = {"run": run, "schools": result.get("schools", []), "engine": result.get("engine")}
    v = version_by_id(run["version_id"])
    j = on_page(jurisdiction_of(v["jurisdiction"]))
    out["jurisdiction"] = j.public(lang)
    if run["status"] != "done":
        return out
    rows = cohort_index(run["cohort_id"])
    lines = []
    units = []
    if run["kind"] == "placement":
        centres = _school_centres(v) | (result.get("school_lonlat") or {})
        homes = result.get("homes") or {}
        placements = result.get("placements", [])
        out["counts"] = _status_counts(placements)
        out["n"] = len(placements)
        for p in placements:
            r = rows.get(p["student_id"], {})
            home = _home(p, r, homes)
            if p.get("school") and p.get("rule") == "overflow" and p["school"] in centres and home:
                lines.append(
                    {
                        "from": home,
                        "to": centres[p["school"]],
                        "label": f"{p['student_id']} → {p['school']} ({p.get('distance_m')} m)",
                    }
                )
        out["overflow_lines"] = len(lines)
    else:
        out["groups"] = result.get("groups", [])
        out["note"] = result.get("note")
        out["draws"] = result.get("draws")
        out["placement_counts"] = (result.get("placement") or {}).get("status")
        out["units"] = result.get("units", [])
        names = [n for g_ in out["groups"] for n in g_.get("schools", [])]
        out["probability_schools"] = names
        school = school if school in names else (names[0] if names else None)
        out["probability_school"] = school
        out["units_shown"] = [
            {
                "unit": u["unit"],
                "applicants": u.get("applicants"),
                "p": float((u.get("p") or {}).get(school, 0.0)),
                "p_no_seat": float(u.get("p_no_seat") or 0.0),
            }
            for u in out["units"]
            if school in _group_names(out["groups"], u["group"])
        ]
        for u in out["units"]:
            if u.get("lon") is None or school not in _group_names(out["groups"], u["group"]):
                continue
            pr = float((u.get("p") or {}).get(school, 0.0))
            units.append(
                {
                    "lon": u["lon"],
                    "lat": u["lat"],
                    "value": pr,
                    "n": u.get("applicants") or 1,
                    "label": f"{u['unit']}: P({school}) = {pr:.2f} · "
                    + (
                        f"{u.get('applicants')} applicants"
                        if lang == "en"
                        else f"{u.get('applicants')} 人"
                    ),
                }
            )
    if nonce is not None:
        use = seat_use(v["spec"], result if run["kind"] == "placement" else None, j.ctx)
        out["_map"] = map_parts(
            v,
            nonce,
            lines=lines,
            units=units,
            seat_use=use,
            lang=lang,
            legend_title=(
                (f"P({school})" if school else None) if run["kind"] != "placement" else None
            ),
        )
    return out


def _group_names(groups: list[dict], gid: str) -> list[str]:
    return next((g_.get("schools", []) for g_ in groups if g_.get("group") == gid), [])


def _home(p: dict, row: dict, homes: dict) -> list[float] | None:
    """A child's home point (the run's geocoded homes, else the cohort's lon/lat)."""
    if p["student_id"] in homes:
        return homes[p["student_id"]]
    if row.get("lon") not in (None, "") and row.get("lat") not in (None, ""):
        return [float(row["lon"]), float(row["lat"])]
    return None


def _status_counts(placements: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in placements:
        counts[p.get("status") or ""] = counts.get(p.get("status") or "", 0) + 1
    return counts


def _school_centres(version: dict) -> dict[str, list[float]]:
    """A point per school: the spec's coordinates when given, else the middle of its zones."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    pts: dict[str, list[float]] = {}
    for s in version["spec"].get("schools") or []:
        if s.get("lon") is not None and s.get("lat") is not None:
            pts[s["name"]] = [float(s["lon"]), float(s["lat"])]
    geoms: dict[str, list] = {}
    for f in version["zones"].get("features") or []:
        if f.get("geometry"):
            geoms.setdefault(f["properties"].get("school"), []).append(shape(f["geometry"]))
    for name, gs in geoms.items():
        if name not in pts:
            c = unary_union(gs).representative_point()
            pts[name] = [c.x, c.y]
    return pts
