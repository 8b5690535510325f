"""Balanced random class placement (随机均衡编班).

Per school, with ``k = ceil(n / cap)`` classes:

* every class within the cap (45 primary, 50 middle by default), sizes differing by at most one;
* boys and girls balanced: each class has ``floor(B/k)`` or ``ceil(B/k)`` boys and likewise for
  girls (so boy counts differ by at most one between classes, and girl counts too);
* twins/triplets (same ``twin_group``) in the same class, unless their group is listed in
  ``twins_apart`` (then each in a different class, as far as the classes allow);
* random within those rules, from one explicit ``numpy.random.Generator(PCG64(seed))``; schools
  are processed in id order and children in ``student_id`` order, so the same table and seed give
  the same classes whatever the row order.  The seed is recorded in ``DataFrame.attrs``.

Twin units are placed first by a small exhaustive search over classes (so the balance holds
whenever it can); if no balanced arrangement keeps every twin group together, twins win and the
gender balance is relaxed (sizes stay within one); ``attrs["warnings"]`` says so.

Late arrivals (:func:`add_late_arrivals`) go in a second round without moving anyone: each joins
the smallest class, then the one with fewest of the child's sex, at random among equals.

Input columns: ``student_id``, ``school``, ``sex`` (男/女, M/F), optional ``twin_group``, and
``level`` when ``cap`` is a mapping such as ``{"primary": 45, "middle": 50}``.

>>> df = pd.DataFrame({"student_id": [f"s{i:02d}" for i in range(10)], "school": "A",
...                    "sex": ["男", "女"] * 5, "twin_group": ["t1", "t1"] + [""] * 8})
>>> out = assign_classes(df, cap=4, seed=1)
>>> sorted(out["class"].value_counts().tolist())
[3, 3, 4]
>>> out.set_index("student_id").loc[["s00", "s01"], "class"].nunique()
1
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AllocationError, InputError

__all__ = ["assign_classes", "add_late_arrivals", "check_classes", "cmd_classes"]

_SEX = {
    "男": "M",
    "M": "M",
    "MALE": "M",
    "1": "M",
    "男性": "M",
    "女": "F",
    "F": "F",
    "FEMALE": "F",
    "2": "F",
    "女性": "F",
}
_LEVEL = {"小学": "primary", "初中": "middle", "primary": "primary", "middle": "middle"}
_MAX_NODES = 20_000


def _sex(value) -> str | None:
    return _SEX.get(str(value).strip().upper()) if value is not None else None


def _blank(value) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() in ("", "nan", "None")
    )


def _prepare(students: pd.DataFrame, cap, twins_apart) -> tuple[pd.DataFrame, dict]:
    problems = []
    for col in ("student_id", "school", "sex"):
        if col not in students.columns:
            problems.append(f"missing column {col!r} (缺少列)")
    if problems:
        raise InputError("classes: cannot place / 无法编班", problems=problems)
    df = students.copy()
    df["student_id"] = df["student_id"].astype(str)
    df["school"] = df["school"].astype(str)
    df["_sex"] = [_sex(v) for v in df["sex"]]
    for sid in df.loc[df["_sex"].isna(), "student_id"]:
        problems.append(f"{sid}: sex must be 男/女 (性别无法识别)")
    for sid in df["student_id"][df["student_id"].duplicated()].unique():
        problems.append(f"{sid}: appears twice (学生重复)")
    twin = df["twin_group"] if "twin_group" in df else pd.Series([None] * len(df), index=df.index)
    apart = {str(t) for t in twins_apart}
    df["_unit"] = [
        f"{school}\x00{t}" if not _blank(t) and str(t) not in apart else None
        for school, t in zip(df["school"], twin, strict=True)
    ]
    df["_apart"] = [str(t) if not _blank(t) and str(t) in apart else None for t in twin]
    caps = {}
    for school, grp in df.groupby("school", sort=True):
        if isinstance(cap, Mapping):
            levels = {_LEVEL.get(str(v), str(v)) for v in grp.get("level", pd.Series(["?"]))}
            if len(levels) != 1 or next(iter(levels)) not in cap:
                problems.append(
                    f"school {school}: level {sorted(levels)} has no class cap in {dict(cap)}"
                )
                continue
            caps[school] = int(cap[next(iter(levels))])
        else:
            caps[school] = int(cap)
        if caps[school] < 1:
            problems.append(f"school {school}: cap must be ≥ 1")
    if problems:
        raise InputError("classes: cannot place / 无法编班", problems=problems[:50])
    return df.sort_values("student_id", kind="stable").reset_index(drop=True), caps


def assign_classes(
    students_df: pd.DataFrame, *, cap, seed: int, twins_apart: Iterable = ()
) -> pd.DataFrame:
    """Place every child of every school in a class (see the module docstring for the rules).

    Returns
    -------
    DataFrame
        ``student_id``, ``school``, ``class`` (1-based), sorted by school, class, student_id;
        ``attrs``: ``seed``, ``generator``, ``caps``, ``warnings``.
    """
    df, caps = _prepare(students_df, cap, twins_apart)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    rows, warnings = [], []
    for school, grp in df.groupby("school", sort=True):
        labels, warn = _school_classes(grp, caps[school], rng)
        warnings += [f"{school}: {w}" for w in warn]
        rows += [(sid, school, int(c)) for sid, c in zip(grp["student_id"], labels, strict=True)]
    out = pd.DataFrame(rows, columns=["student_id", "school", "class"])
    out = out.sort_values(["school", "class", "student_id"], kind="stable").reset_index(drop=True)
    out.attrs.update(seed=int(seed), generator="numpy PCG64", caps=caps, warnings=warnings)
    return out


def _school_classes(grp: pd.DataFrame, cap: int, rng: np.random.Generator):
    n = len(grp)
    k = max(1, math.ceil(n / cap))
    sex = grp["_sex"].to_numpy()
    boys, girls = int((sex == "M").sum()), int((sex == "F").sum())
    lo_b, r_b = divmod(boys, k)
    lo_g, r_g = divmod(girls, k)
    units = {}
    for pos, u in enumerate(grp["_unit"]):
        if not _blank(u):
            units.setdefault(u, []).append(pos)
    twin_units = [v for v in units.values() if len(v) > 1]
    rng.shuffle(twin_units)
    twin_units.sort(key=len, reverse=True)  # stable: random order among equal sizes
    label = np.full(n, -1, dtype=np.int64)
    b = np.zeros(k, dtype=np.int64)
    g = np.zeros(k, dtype=np.int64)
    warnings = []
    placed = _place_units(twin_units, sex, b, g, k, lo_b, r_b, lo_g, r_g, rng)
    if placed is not None:
        for unit, c in zip(twin_units, placed, strict=True):
            label[unit] = c
            b[c] += int((sex[unit] == "M").sum())
            g[c] += int((sex[unit] == "F").sum())
        hb, hg = _choose_high(b, g, k, lo_b, r_b, lo_g, r_g, rng)
        for s, counts, lo, high in (("M", b, lo_b, hb), ("F", g, lo_g, hg)):
            need = lo + high.astype(np.int64) - counts
            _deal(np.flatnonzero((sex == s) & (label < 0)), need, label, rng)
    else:
        warnings.append(
            "twins kept together; boys/girls balance relaxed (双胞胎同班优先，性别均衡放宽)"
        )
        _relaxed(twin_units, sex, label, k, n, rng)
    _separate_apart(
        grp["_apart"].to_numpy(),
        sex,
        label,
        k,
        rng,
        set().union(*map(set, twin_units)) if twin_units else set(),
        warnings,
    )
    return label + 1, warnings


def _place_units(units, sex, b0, g0, k, lo_b, r_b, lo_g, r_g, rng):
    """Exhaustive search (bounded) for classes of the twin units keeping the balance feasible."""
    hi_b, hi_g = lo_b + (r_b > 0), lo_g + (r_g > 0)
    need = [(int((sex[u] == "M").sum()), int((sex[u] == "F").sum())) for u in units]
    b, g = b0.copy(), g0.copy()
    choice = [0] * len(units)
    nodes = [0]

    def ok() -> bool:
        return _completable(b, g, k, lo_b, r_b, lo_g, r_g)

    def rec(t: int) -> bool:
        if t == len(units):
            return True
        nodes[0] += 1
        if nodes[0] > _MAX_NODES:
            return False
        nb, ng = need[t]
        tried = set()
        for c in rng.permutation(k):
            state = (b[c], g[c])
            if state in tried or b[c] + nb > hi_b or g[c] + ng > hi_g:
                continue
            tried.add(state)  # classes in the same state are interchangeable
            b[c] += nb
            g[c] += ng
            if ok() and rec(t + 1):
                choice[t] = int(c)
                return True
            b[c] -= nb
            g[c] -= ng
        return False

    return choice if ok() and rec(0) else None


def _completable(b, g, k, lo_b, r_b, lo_g, r_g) -> bool:
    """Can singles complete these partial boy/girl counts into a balanced arrangement?"""
    fb, fg = b > lo_b, g > lo_g
    if (r_b == 0 and fb.any()) or (r_g == 0 and fg.any()):
        return False
    if r_b + r_g <= k:  # classes with an extra boy and with an extra girl are disjoint
        return fb.sum() <= r_b and fg.sum() <= r_g and not (fb & fg).any()
    free = (~fb & ~fg).sum()
    only_b, only_g = (~fb & fg).sum(), (fb & ~fg).sum()
    nb, ng = k - r_b, k - r_g  # classes without an extra boy / girl: disjoint
    return nb <= free + only_b and ng <= free + only_g and nb + ng <= free + only_b + only_g


def _choose_high(b, g, k, lo_b, r_b, lo_g, r_g, rng):
    """Pick which classes get the extra boy (``hb``) and extra girl (``hg``)."""
    fb, fg = b > lo_b, g > lo_g
    hb, hg = fb.copy(), fg.copy()
    if r_b + r_g <= k:
        rest = rng.permutation(np.flatnonzero(~fb & ~fg))
        take_b = r_b - int(fb.sum())
        hb[rest[:take_b]] = True
        hg[rest[take_b : take_b + r_g - int(fg.sum())]] = True
        return hb, hg
    nb, ng = k - r_b, k - r_g
    free = list(rng.permutation(np.flatnonzero(~fb & ~fg)))
    only_b = list(rng.permutation(np.flatnonzero(~fb & fg)))
    only_g = list(rng.permutation(np.flatnonzero(fb & ~fg)))
    from_free = nb - min(nb, len(only_b))
    no_b = only_b[:nb] + free[:from_free]
    free = free[from_free:]
    no_g = only_g[:ng] + free[: ng - min(ng, len(only_g))]
    hb[:] = True
    hg[:] = True
    hb[no_b] = False
    hg[no_g] = False
    return hb, hg


def _deal(positions, need, label, rng):
    slots = np.repeat(np.arange(len(need)), np.maximum(need, 0))
    if len(slots) != len(positions):  # pragma: no cover - arithmetic guarantees equality
        raise AllocationError("class balance arithmetic failed")
    label[rng.permutation(positions)] = slots


def _relaxed(units, sex, label, k, n, rng):
    lo_s, r_s = divmod(n, k)
    size = np.zeros(k, dtype=np.int64)
    boys = np.zeros(k, dtype=np.int64)
    target = np.full(k, lo_s) + (rng.permutation(k) < r_s)
    for unit in units:  # largest first, into the class with most room
        room = target - size
        c = int(rng.permutation(np.flatnonzero(room == room.max()))[0])
        label[unit] = c
        size[c] += len(unit)
        boys[c] += int((sex[unit] == "M").sum())
    target = np.maximum(target, size)
    excess = int(target.sum() - n)  # twins overfilled some classes: shrink the others
    for c in rng.permutation(k):
        while excess > 0 and target[c] > size[c] and target[c] > lo_s:
            target[c] -= 1
            excess -= 1
    for s in ("M", "F"):
        for pos in rng.permutation(np.flatnonzero((sex == s) & (label < 0))):
            room = np.flatnonzero(size < target)
            same = boys[room] if s == "M" else (size - boys)[room]
            c = int(rng.permutation(room[same == same.min()])[0])
            label[pos] = c
            size[c] += 1
            boys[c] += s == "M"


def _separate_apart(apart, sex, label, k, rng, locked, warnings):
    groups = {}
    for pos, t in enumerate(apart):
        if not _blank(t):
            groups.setdefault(t, []).append(pos)
    movable = {p for p in range(len(label)) if _blank(apart[p]) and p not in locked}
    for t, members in sorted(groups.items()):
        if len(members) > k:
            warnings.append(f"twins {t}: more children than classes, cannot all be apart")
            continue
        for p in members:
            taken = {label[q] for q in members if q != p}
            if label[p] not in taken:
                continue
            options = [
                q
                for q in rng.permutation(sorted(movable))
                if sex[q] == sex[p] and label[q] not in taken
            ]
            if not options:
                warnings.append(f"twins {t}: no same-sex classmate to swap with (无法分班)")
                continue
            q = options[0]
            label[p], label[q] = label[q], label[p]


def add_late_arrivals(
    classes: pd.DataFrame,
    late: pd.DataFrame,
    *,
    cap,
    seed: int,
    roster: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Second round: place late arrivals without moving anyone already in a class.

    Parameters
    ----------
    classes : DataFrame
        ``student_id, school, class`` of the first round (unchanged in the result).
    late : DataFrame
        Late arrivals: ``student_id, school, sex`` (+ ``twin_group``, ``level``).
    roster : DataFrame, optional
        ``student_id, sex`` of the children already placed (for the boys/girls balance).

    Each late unit (twins together) joins the smallest class with room for it, then the one with
    fewest children of the same sex, at random among equals; if every class is at the cap a new
    class is opened (``attrs["warnings"]`` says so).

    >>> first = pd.DataFrame({"student_id": ["a", "b", "c"], "school": "A", "class": [1, 1, 2]})
    >>> late = pd.DataFrame({"student_id": ["d"], "school": "A", "sex": "女"})
    >>> add_late_arrivals(first, late, cap=45, seed=3).query("student_id == 'd'")["class"].item()
    2
    """
    df, caps = _prepare(late, cap, ())
    known = set(classes["student_id"].astype(str))
    again = sorted(set(df["student_id"]) & known)
    if again:
        raise InputError(
            "late arrivals already have a class (迟到名单中有已编班学生)", problems=again[:20]
        )
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    sex_of = {}
    if roster is not None and "sex" in roster:
        sex_of = {str(s): _sex(v) for s, v in zip(roster["student_id"], roster["sex"], strict=True)}
    base = classes.copy()
    base["student_id"] = base["student_id"].astype(str)
    base["school"] = base["school"].astype(str)
    new_rows, warnings = [], []
    for school, grp in df.groupby("school", sort=True):
        cur = base[base["school"] == school]
        labels = sorted(int(c) for c in cur["class"].unique()) or [1]
        size = {c: int((cur["class"] == c).sum()) for c in labels}
        cnt = {c: {"M": 0, "F": 0} for c in labels}
        for sid, c in zip(cur["student_id"], cur["class"], strict=True):
            s = sex_of.get(sid)
            if s:
                cnt[int(c)][s] += 1
        units = {}
        for pos, (sid, u) in enumerate(zip(grp["student_id"], grp["_unit"], strict=True)):
            units.setdefault(u if not _blank(u) else f"\x01{sid}", []).append(pos)
        order = list(units.values())
        order = [order[i] for i in rng.permutation(len(order))]
        for unit in order:
            sexes = grp["_sex"].to_numpy()[unit]
            room = [c for c in labels if size[c] + len(unit) <= caps[school]]
            if not room:
                c = max(labels) + 1
                labels.append(c)
                size[c], cnt[c] = 0, {"M": 0, "F": 0}
                warnings.append(f"{school}: every class at the cap, opened class {c} (新开班)")
                room = [c]
            key = {c: (size[c], sum(cnt[c][s] for s in sexes)) for c in room}
            best = min(key.values())
            options = [c for c in room if key[c] == best]
            c = options[int(rng.integers(len(options)))]
            for pos, s in zip(unit, sexes, strict=True):
                new_rows.append((grp["student_id"].iat[pos], school, c))
                size[c] += 1
                cnt[c][s] += 1
    out = pd.concat(
        [
            base[["student_id", "school", "class"]],
            pd.DataFrame(new_rows, columns=["student_id", "school", "class"]),
        ],
        ignore_index=True,
    )
    out["class"] = out["class"].astype(int)
    out = out.sort_values(["school", "class", "student_id"], kind="stable").reset_index(drop=True)
    out.attrs.update(seed=int(seed), generator="numpy PCG64", caps=caps, warnings=warnings)
    return out


def check_classes(classes: pd.DataFrame, students: pd.DataFrame, *, cap) -> list[str]:
    """Problems of a class list: over the cap, sizes or boys/girls differing by more than one.

    >>> st = pd.DataFrame({"student_id": ["a", "b"], "school": "A", "sex": ["男", "女"]})
    >>> check_classes(pd.DataFrame({"student_id": ["a", "b"], "school": "A", "class": [1, 1]}),
    ...               st, cap=45)
    []
    """
    sex = {str(s): _sex(v) for s, v in zip(students["student_id"], students["sex"], strict=True)}
    level_of = (
        dict(zip(students["student_id"].astype(str), students["level"].astype(str), strict=True))
        if "level" in students
        else {}
    )
    problems = []
    keys = ["school", "level"] if "level" in classes.columns else ["school"]
    for key, grp in classes.groupby(keys, sort=True):
        school = "/".join(map(str, key)) if isinstance(key, tuple) else key
        level = (
            grp["level"].iat[0]
            if "level" in grp
            else level_of.get(str(grp["student_id"].iat[0]), "")
        )
        c = int(cap[_LEVEL.get(str(level), "")]) if isinstance(cap, Mapping) else int(cap)
        sizes = grp["class"].value_counts()
        if sizes.max() > c:
            problems.append(f"{school}: a class has {sizes.max()} > cap {c}")
        if sizes.max() - sizes.min() > 1:
            problems.append(
                f"{school}: class sizes {sizes.min()}..{sizes.max()} differ by more than one"
            )
        s = grp["student_id"].astype(str).map(sex)
        for code, word in (("M", "boys"), ("F", "girls")):
            per = (s == code).groupby(grp["class"]).sum()
            if per.max() - per.min() > 1:
                problems.append(
                    f"{school}: {word} per class {per.min()}..{per.max()} differ by more than one"
                )
    return problems


# --------------------------------------------------------------------------- CLI
def _read(path, what):
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found: {p} (找不到文件)")
    return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _roster(args) -> pd.DataFrame:
    """student_id, sex, twin_group from --students (a plain table or the applicant table)."""
    path = getattr(args, "students", None)
    if not path:
        raise InputError("需要 --students (sex and twins come from the applicant table)")
    raw = _read(path, "students")
    if "student_id" in raw.columns:
        df = raw.rename(columns={"性别": "sex", "双胞胎组": "twin_group"})
    else:
        from .applicants import read_applicants

        df = read_applicants(path, salt=getattr(args, "salt", None))
    cols = [c for c in ("student_id", "sex", "twin_group") if c in df.columns]
    return df[cols].astype(str)


def cmd_classes(args) -> int:
    """``classes --placements placements.csv --students students.csv --seed N -o classes.csv``.

    ``--late late.csv`` (student_id [, school]) or ``--previous classes.csv`` (an earlier round:
    everyone placed but not in it is late) places late arrivals without moving anyone.  Only
    rows with ``status`` ``placed`` (when the column exists) are put in classes.  Writes
    ``classes.csv`` and ``classes.csv.json`` (seed, generator, caps, warnings, class sizes).
    """
    from ..settings import DEFAULT_SETTINGS

    pl = _read(args.placements, "placements")
    if "status" in pl.columns:
        pl = pl[pl["status"] == "placed"]
    if "school" not in pl.columns and "school_id" in pl.columns:
        pl = pl.rename(columns={"school_id": "school"})
    roster = _roster(args)
    merged = pl.merge(roster, on="student_id", how="left", suffixes=("", "_roster"))
    missing = (
        merged.loc[merged["sex"].isna(), "student_id"].tolist()
        if "sex" in merged
        else list(pl["student_id"])
    )
    if missing:
        raise InputError(
            "students without sex in --students (学生名单缺少性别)", problems=missing[:20]
        )
    cap = getattr(args, "cap", None) or dict(DEFAULT_SETTINGS.class_cap)
    apart = getattr(args, "twins_apart", None) or ()
    late_path, previous = getattr(args, "late", None), getattr(args, "previous", None)
    first_all = _read(previous, "previous classes") if previous else None
    late_ids = set(_read(late_path, "late arrivals")["student_id"]) if late_path else set()
    # A school's intake is one cohort per level: a nine-year school (九年一贯制) has a grade-1
    # intake and a grade-7 intake, classed separately under their own caps.
    if "level" in merged.columns:
        parts = list(merged.groupby("level", sort=True))
    else:
        parts = [("", merged)]
    outs, warnings, caps = [], [], {}
    for level, part in parts:
        if first_all is not None:
            first = first_all[first_all["student_id"].isin(set(part["student_id"]))]
            late = part[~part["student_id"].isin(set(first_all["student_id"]))]
            out = add_late_arrivals(first, late, cap=cap, seed=args.seed, roster=part)
        elif late_ids:
            first = assign_classes(
                part[~part["student_id"].isin(late_ids)],
                cap=cap,
                seed=args.seed,
                twins_apart=apart,
            )
            out = add_late_arrivals(
                first,
                part[part["student_id"].isin(late_ids)],
                cap=cap,
                seed=args.seed,
                roster=part,
            )
            out.attrs["warnings"] = first.attrs["warnings"] + out.attrs["warnings"]
        else:
            out = assign_classes(part, cap=cap, seed=args.seed, twins_apart=apart)
        if level:
            out.insert(2, "level", level)
        warnings += out.attrs.get("warnings", [])
        caps.update({f"{k}/{level}" if level else k: v for k, v in out.attrs["caps"].items()})
        outs.append(out)
    out = pd.concat(outs, ignore_index=True)
    keys = (
        ["school", "level", "class", "student_id"]
        if "level" in out
        else ["school", "class", "student_id"]
    )
    out = out.sort_values(keys, kind="stable").reset_index(drop=True)
    out.attrs.update(seed=int(args.seed), caps=caps, warnings=warnings)
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(target, index=False, lineterminator="\n")
    group = ["school", "level", "class"] if "level" in out else ["school", "class"]
    sizes = {"/".join(map(str, k)): int(n) for k, n in out.groupby(group).size().items()}
    meta = {
        "seed": int(args.seed),
        "generator": "numpy PCG64",
        "caps": out.attrs.get("caps"),
        "warnings": out.attrs.get("warnings", []),
        "class_sizes": sizes,
    }
    Path(str(target) + ".json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    for w in out.attrs.get("warnings", []):
        print(f"警告 warning: {w}")
    print(f"编班完成 classes: {len(out)} 名, {len(sizes)} 个班 → {target}")
    return 0


classes_command = cmd_classes  # the name geo_enroll/commands/place.py delegates to
