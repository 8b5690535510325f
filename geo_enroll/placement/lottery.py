"""Multi-school lottery (多校划片电脑派位) that anyone can re-run, and its Monte-Carlo.

The algorithm is written down in ``docs/allocation.md``; in short:

1. **Publish** before the draw: ``inputs_sha256`` = SHA-256 of the canonical text of the
   applicant list and the seat plan (:func:`canonical_inputs`; the draw folder keeps that exact
   text as ``inputs.txt``, so ``sha256sum inputs.txt`` reproduces the published hash).
2. **Seed** from the numbers drawn in public at the draw, in the order drawn:
   ``seed = SHA-256("geo_enroll lottery v1|" + inputs_sha256 + "|" + "12,34,56")`` (hex).
3. **Order**: each applicant's key is ``SHA-256(seed + "|" + student_id)`` (hex); applicants are
   taken by ``tier`` (0 first), then key.  Only SHA-256 is needed: any language can redo it.
4. **Seats**, random serial dictatorship in two passes: (a) in that order each applicant takes
   the first school of their ``choices`` with a seat left in their ``group``; (b) then, in the
   same order, those still without a seat are adjusted (调剂) to the school of their group with a
   seat left whose ``SHA-256(seed + "|" + student_id + "|" + school)`` is smallest.  An empty
   ``choices`` means "any school of the group" (pass b only).

Input CSVs (UTF-8, header row; Chinese headers in brackets are accepted):

* applicants: ``student_id`` (学生编号), optional ``group`` (片区; default ``all``), ``tier``
  (优先级; int, default 0), ``choices`` (志愿; school ids separated by ``|``), ``unit`` (单元;
  the address or neighbourhood unit the Monte-Carlo reports by; not part of the hash);
* seats: ``school`` (学校 / ``school_id``), ``seats`` (学位数), optional ``group``.

Outputs of a draw (folder): ``inputs.txt`` (canonical inputs), ``result.csv`` (``order,
student_id, group, tier, key, school, status, choice_rank``; status ``placed`` / ``adjusted`` /
``no_seat``) and ``draw.json`` (algorithm, hashes, numbers, seed).

>>> app = pd.DataFrame({"student_id": ["a", "b", "c"], "choices": ["X", "X", ""]})
>>> seats = pd.DataFrame({"school": ["X", "Y"], "seats": [1, 2]})
>>> res = draw(app, seats, [12, 34, 56])
>>> sorted(res.table["school"]), res.inputs_sha256 == publish(app, seats)
(['X', 'Y', 'Y'], True)
>>> verify(DrawInputs(app, seats, (12, 34, 56)), res.to_csv_bytes()).identical
True
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, LotteryError

__all__ = [
    "ALGORITHM",
    "DrawInputs",
    "DrawResult",
    "VerifyReport",
    "canonical_inputs",
    "publish",
    "derive_seed",
    "draw",
    "verify",
    "simulate",
    "read_applicants_csv",
    "read_seats_csv",
    "cmd_lottery_publish",
    "cmd_lottery_draw",
    "cmd_lottery_verify",
    "cmd_lottery_simulate",
]

ALGORITHM = "geo_enroll lottery v1"
RESULT_COLUMNS = ["order", "student_id", "group", "tier", "key", "school", "status", "choice_rank"]

_APPLICANT_ALIASES = {
    "student_id": ("student_id", "学生编号", "编号"),
    "group": ("group", "片区", "学区", "multi_school_group"),
    "tier": ("tier", "优先级", "顺位"),
    "choices": ("choices", "志愿", "志愿学校"),
    "unit": ("unit", "单元", "小区", "社区", "地址单元"),
}
_SEAT_ALIASES = {
    "school": ("school", "school_id", "学校", "学校编号"),
    "seats": ("seats", "学位数", "招生计划", "计划数"),
    "group": ("group", "片区", "学区", "multi_school_group"),
}


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class DrawInputs:
    """What is published before a draw plus the numbers drawn in public."""

    applicants: pd.DataFrame
    seats: pd.DataFrame
    numbers: tuple = ()


def _rename(df: pd.DataFrame, aliases: dict, what: str) -> pd.DataFrame:
    out = {}
    for canon, names in aliases.items():
        for name in names:
            if name in df.columns:
                out[canon] = df[name]
                break
    return pd.DataFrame(out, index=df.index)


def _clean_applicants(applicants: pd.DataFrame) -> pd.DataFrame:
    df = _rename(applicants, _APPLICANT_ALIASES, "applicants")
    problems = []
    if "student_id" not in df:
        raise LotteryError(
            "applicants: no student_id column (申请人表缺少 student_id 列)",
            problems=[f"columns found: {list(applicants.columns)}"],
        )
    df["student_id"] = df["student_id"].astype(str).str.strip()
    df["group"] = df["group"].astype(str).str.strip() if "group" in df else "all"
    df.loc[df["group"].isin(["", "nan", "None"]), "group"] = "all"
    if "tier" in df:
        tier = pd.to_numeric(df["tier"].replace("", "0"), errors="coerce")
        for sid in df.loc[tier.isna() | (tier % 1 != 0) | (tier < 0), "student_id"]:
            problems.append(f"{sid}: tier must be a whole number ≥ 0 (优先级须为非负整数)")
        df["tier"] = tier.fillna(0).astype(int)
    else:
        df["tier"] = 0
    if "choices" in df:
        df["choices"] = [
            "|".join(c.strip() for c in str(v).split("|") if c.strip())
            if not (v is None or (isinstance(v, float) and np.isnan(v)))
            else ""
            for v in df["choices"].tolist()  # a list: iterating an Arrow column is slow
        ]
    else:
        df["choices"] = ""
    if "unit" not in df:
        df["unit"] = df["group"]
    df["unit"] = df["unit"].astype(str)
    dup = df["student_id"][df["student_id"].duplicated()].unique()
    problems += [f"{sid}: appears more than once (申请人重复)" for sid in dup]
    for col in ("student_id", "group", "choices"):
        bad = df[col].str.contains(r"[,\n\r]", regex=True) | (
            (df[col] == "") if col == "student_id" else False
        )
        problems += [
            f"row {i + 2}: {col} is empty or has a comma/newline" for i in np.flatnonzero(bad)
        ]
    if problems:
        raise LotteryError("applicants: cannot draw / 申请人表有误", problems=problems[:50])
    return df.reset_index(drop=True)


def _clean_seats(seats: pd.DataFrame) -> pd.DataFrame:
    df = _rename(seats, _SEAT_ALIASES, "seats")
    if "school" not in df or "seats" not in df:
        raise LotteryError(
            "seats: need columns school and seats (学位表须有 学校、学位数 两列)",
            problems=[f"columns found: {list(seats.columns)}"],
        )
    df["school"] = df["school"].astype(str).str.strip()
    df["group"] = df["group"].astype(str).str.strip() if "group" in df else "all"
    df.loc[df["group"].isin(["", "nan", "None"]), "group"] = "all"
    n = pd.to_numeric(df["seats"], errors="coerce")
    problems = [
        f"{s}: seats must be a whole number ≥ 0, got {v!r} (学位数须为非负整数)"
        for s, v, x in zip(df["school"], df["seats"], n, strict=True)
        if not (x >= 0 and x % 1 == 0)
    ]
    problems += [
        f"{s}: school listed twice (学校重复)" for s in df["school"][df["school"].duplicated()]
    ]
    problems += [
        f"{s}: school id has a comma/newline or is empty"
        for s in df["school"]
        if not s or any(c in s for c in ",\n\r")
    ]
    if problems:
        raise LotteryError("seats: cannot draw / 学位表有误", problems=problems)
    df["seats"] = n.astype(int)
    return df.reset_index(drop=True)


def _check_choices(app: pd.DataFrame, seats: pd.DataFrame) -> None:
    group_of = dict(zip(seats["school"], seats["group"], strict=True))
    problems = []
    cols = (app[c].tolist() for c in ("student_id", "group", "choices"))
    for sid, grp, ch in zip(*cols, strict=True):
        for s in ch.split("|") if ch else []:
            if s not in group_of:
                problems.append(f"{sid}: choice {s} is not in the seat plan (志愿学校不在学位表中)")
            elif group_of[s] != grp:
                problems.append(f"{sid}: choice {s} belongs to group {group_of[s]}, not {grp}")
    if problems:
        raise LotteryError(
            "choices do not match the seat plan / 志愿与学位表不符", problems=problems[:50]
        )


def canonical_inputs(applicants: pd.DataFrame, seats: pd.DataFrame) -> bytes:
    """The exact text whose SHA-256 is published before the draw.

    ``geo_enroll lottery v1`` line, ``[applicants]``, header ``student_id,group,tier,choices``
    and one line per applicant sorted by ``student_id`` (Unicode code points), ``[seats]``,
    header ``school,group,seats`` and one line per school sorted by ``school``; UTF-8, ``\\n``
    line ends, final newline.

    >>> print(canonical_inputs(pd.DataFrame({"student_id": ["b", "a"]}),
    ...                        pd.DataFrame({"school": ["X"], "seats": [1]})).decode(), end="")
    geo_enroll lottery v1
    [applicants]
    student_id,group,tier,choices
    a,all,0,
    b,all,0,
    [seats]
    school,group,seats
    X,all,1
    """
    app = _clean_applicants(applicants)
    st = _clean_seats(seats)
    lines = [ALGORITHM, "[applicants]", "student_id,group,tier,choices"]
    for r in sorted(zip(app["student_id"], app["group"], app["tier"], app["choices"], strict=True)):
        lines.append(f"{r[0]},{r[1]},{int(r[2])},{r[3]}")
    lines += ["[seats]", "school,group,seats"]
    for r in sorted(zip(st["school"], st["group"], st["seats"], strict=True)):
        lines.append(f"{r[0]},{r[1]},{int(r[2])}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse_canonical(text: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``inputs.txt`` (the canonical text) back into applicants and seats tables."""
    lines = text.decode("utf-8").split("\n")
    try:
        if lines[0] != ALGORITHM:
            raise ValueError(f"first line should be {ALGORITHM!r}")
        a0, s0 = lines.index("[applicants]"), lines.index("[seats]")
        app = pd.read_csv(
            io.StringIO("\n".join(lines[a0 + 1 : s0])), dtype=str, keep_default_na=False
        )
        st = pd.read_csv(io.StringIO("\n".join(lines[s0 + 1 :])), dtype=str, keep_default_na=False)
    except (ValueError, IndexError, pd.errors.ParserError) as exc:
        raise LotteryError(f"inputs.txt is not a canonical lottery input: {exc}") from exc
    return app, st


def publish(applicants: pd.DataFrame, seats: pd.DataFrame) -> str:
    """SHA-256 (hex) of :func:`canonical_inputs`: publish it before the draw."""
    return hashlib.sha256(canonical_inputs(applicants, seats)).hexdigest()


def derive_seed(inputs_sha256: str, numbers: Iterable) -> str:
    """``SHA-256("geo_enroll lottery v1|<inputs_sha256>|n1,n2,...")`` in hex.

    >>> derive_seed("ab", [12, 34, 56]) == hashlib.sha256(
    ...     b"geo_enroll lottery v1|ab|12,34,56").hexdigest()
    True
    """
    nums = _numbers(numbers)
    text = f"{ALGORITHM}|{inputs_sha256}|{','.join(str(n) for n in nums)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _numbers(numbers: Iterable) -> tuple[int, ...]:
    out = []
    for n in numbers:
        text = str(n).strip()
        if not text.isdigit():
            raise LotteryError(
                f"public numbers must be whole numbers ≥ 0, got {n!r} (现场摇号数字须为非负整数)"
            )
        out.append(int(text))
    if not out:
        raise LotteryError(
            "at least one number drawn in public is needed (至少需要一个现场摇号数字)"
        )
    return tuple(out)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the draw
@dataclass(frozen=True)
class DrawResult:
    """A finished draw: ``table`` has :data:`RESULT_COLUMNS`, one row per applicant."""

    table: pd.DataFrame
    inputs_sha256: str
    numbers: tuple
    seed: str
    meta: dict = field(default_factory=dict)

    def to_csv_bytes(self) -> bytes:
        """``result.csv`` exactly as written (UTF-8, ``\\n``, no index)."""
        buf = io.StringIO()
        self.table.to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue().encode("utf-8")


def _serial_dictatorship(order, choices, group_idx, group_schools, left, fallback):
    """Two-pass random serial dictatorship; returns school column per applicant and status."""
    n = len(choices)
    got = np.full(n, -1, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    for i in order:
        for r, j in enumerate(choices[i]):
            if left[j] > 0:
                left[j] -= 1
                got[i], rank[i] = j, r + 1
                break
    for i in order:
        if got[i] < 0:
            j = fallback(i, [j for j in group_schools[group_idx[i]] if left[j] > 0])
            if j is not None:
                left[j] -= 1
                got[i] = j
    return got, rank


def _pad(lists) -> np.ndarray:
    """Lists of columns as one matrix padded with -1 (at least one column).

    >>> _pad([[2], [], [0, 1]]).tolist()
    [[2, -1], [-1, -1], [0, 1]]
    """
    width = max([len(x) for x in lists] + [1])
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for i, x in enumerate(lists):
        out[i, : len(x)] = x
    return out


def _serial_dictatorship_fast(order, choice_pad, group_pad, seats, keys, first=None):
    """:func:`_serial_dictatorship` without a loop over applicants (one simulated draw).

    ``choice_pad`` / ``group_pad`` (n × width, -1 padded): each applicant's choices and the
    schools of their group.  Pass 2 (调剂) takes the first open school of the applicant's
    group in the order of ``keys`` (n × width of ``group_pad``, random: uniform among the open
    schools, as the official draw's SHA-256 order is; or a ``numpy.random.Generator`` that
    draws them for the applicants pass 1 left without a school only).  Both passes are solved
    by :func:`_first_open`; ``first`` (:func:`_first_choices` of ``choice_pad`` and ``seats``,
    the same in every draw) saves pass 1 its first round.  Returns the school column per
    applicant (-1: none).

    >>> _serial_dictatorship_fast(np.array([2, 1, 0]), _pad([[0], [0], [0]]),
    ...     _pad([[0, 1]] * 3), np.array([1, 1]), np.zeros((3, 2))).tolist()
    [-1, 1, 0]
    """
    n = len(order)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    seats = np.asarray(seats, dtype=np.int64)
    got = _first_open(pos, choice_pad, seats, order=order, first=first)
    left = seats - np.bincount(got[got >= 0], minlength=len(seats))
    rest = np.flatnonzero((got < 0) & (group_pad[:, 0] >= 0))
    if len(rest) and left.any():
        gs = group_pad[rest]
        if isinstance(keys, np.random.Generator):
            gs = keys.permuted(gs, axis=1)  # each row in a uniform order (padding anywhere)
        else:
            k = np.where(gs >= 0, keys[rest], np.inf)
            gs = np.take_along_axis(gs, np.argsort(k, axis=1, kind="stable"), axis=1)
        # positions among the rest only (same order)
        sub = np.argsort(pos[rest], kind="stable")
        sub_pos = np.empty(len(rest), dtype=np.int64)
        sub_pos[sub] = np.arange(len(rest))
        got[rest] = _first_open(sub_pos, gs, left)
    return got


def _first_choices(choices, seats) -> np.ndarray:
    """Each applicant's first choice of a school with seats (-1: none): the first round of
    :func:`_first_open` before any school has filled, the same in every draw.

    >>> _first_choices(_pad([[1, 0], [1], []]), np.array([3, 0])).tolist()
    [0, -1, -1]
    """
    seats = np.asarray(seats)
    has = np.append(seats > 0, False)  # index -1 (padding): never open
    open_ = has[choices]
    pick = choices[np.arange(len(choices)), open_.argmax(axis=1)]
    return np.where(open_.any(axis=1), pick, -1)


def _first_open(pos, choices, seats, *, order=None, first=None):
    """Serial dictatorship by positions: each applicant takes their first choice still open.

    ``pos``: each applicant's position (a permutation of 0..n-1; ``order`` its inverse when
    known); ``choices`` (n × width, -1 padded).  Let F[j] be the position of the applicant
    taking school j's last seat (n if it never fills, -1 without seats): j is open to position
    t iff t ≤ F[j].  Start with F = n, give everyone their first choice open under F (``first``
    when given: :func:`_first_choices`), recompute F from those choices, repeat.  F only
    decreases (nobody moves back to an earlier choice), and its fixed point is the
    one-at-a-time answer (by induction on the position), so the loop ends with exactly it.

    >>> _first_open(np.array([1, 0, 2]), _pad([[0, 1], [0], [0, 1]]), np.array([1, 1])).tolist()
    [1, 0, -1]
    """
    n, m = len(pos), len(seats)
    if order is None:
        order = np.empty(n, dtype=np.int64)
        order[pos] = np.arange(n)
    full_at = np.append(np.where(seats > 0, n, -1), -1)  # index -1 (padding): never open
    small = np.int16 if m < 32_000 else np.int64  # 16-bit: a linear-time stable sort
    if first is None:
        a = _first_choices(choices, seats)
    else:
        a = first.copy()
    took = None  # the schools movers went to last round (None: every school)
    while True:
        if took is None:
            seq = np.where(a >= 0, a, m)[order].astype(small)  # school taken, in draw order
            at = np.argsort(seq, kind="stable")  # positions, grouped by school
            count = np.bincount(seq, minlength=m + 1)[:m]
            new = np.where(seats > 0, n, -1)
        else:
            # a school nobody moved to keeps its seated applicants (those who left it were
            # after its last seat): only the schools movers took are counted again
            at = np.flatnonzero(took[a][order])  # their applicants' positions, ascending
            seq = a[order[at]].astype(small)
            at = at[np.argsort(seq, kind="stable")]
            count = np.bincount(seq, minlength=m)
            new = full_at[:m].copy()
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        fills = (count >= seats) & (seats > 0)
        new[fills] = at[start[fills] + seats[fills] - 1]
        if np.array_equal(new, full_at[:m]):
            return a
        full_at[:m] = new
        # only those whose school now fills before them move on (to a later choice)
        move = np.flatnonzero(pos > full_at[a])
        move = move[a[move] >= 0]
        ch = choices[move]
        open_ = pos[move, None] <= full_at[ch]
        pick = ch[np.arange(len(move)), open_.argmax(axis=1)]
        a[move] = np.where(open_.any(axis=1), pick, -1)
        if len(move) * 8 > n:
            took = None
        else:
            took = np.zeros(m + 1, dtype=bool)  # index -1 (no school): never counted
            took[a[move]] = True
            took[-1] = False


def _prepare(app: pd.DataFrame, st: pd.DataFrame):
    schools = list(st["school"])
    col = {s: j for j, s in enumerate(schools)}
    groups = sorted(set(app["group"]) | set(st["group"]))
    gi = {g: k for k, g in enumerate(groups)}
    group_schools = [[] for _ in groups]
    for j, g in enumerate(st["group"]):
        group_schools[gi[g]].append(j)
    choices = [[col[s] for s in ch.split("|")] if ch else [] for ch in app["choices"].tolist()]
    group_idx = np.array([gi[g] for g in app["group"].tolist()], dtype=np.int64)
    return schools, choices, group_idx, group_schools


def draw(applicants: pd.DataFrame, seats: pd.DataFrame, public_numbers: Sequence) -> DrawResult:
    """Run the official draw (see the module docstring for the algorithm)."""
    canon = canonical_inputs(applicants, seats)
    app, st = parse_canonical(canon)  # exactly what the hash covers, in canonical order
    app = _clean_applicants(app)
    st = _clean_seats(st)
    _check_choices(app, st)
    inputs_sha = hashlib.sha256(canon).hexdigest()
    nums = _numbers(public_numbers)
    seed = derive_seed(inputs_sha, nums)
    keys = [_sha(f"{seed}|{sid}") for sid in app["student_id"]]
    order = sorted(range(len(app)), key=lambda i: (int(app["tier"].iat[i]), keys[i]))
    schools, choices, group_idx, group_schools = _prepare(app, st)
    left = st["seats"].to_numpy(dtype=np.int64).copy()
    ids = list(app["student_id"])

    def fallback(i, open_cols):
        if not open_cols:
            return None
        return min(open_cols, key=lambda j: (_sha(f"{seed}|{ids[i]}|{schools[j]}"), j))

    got, rank = _serial_dictatorship(order, choices, group_idx, group_schools, left, fallback)
    rows = []
    for pos, i in enumerate(order, start=1):
        j = got[i]
        status = "no_seat" if j < 0 else ("placed" if rank[i] > 0 else "adjusted")
        rows.append(
            (
                pos,
                ids[i],
                app["group"].iat[i],
                int(app["tier"].iat[i]),
                keys[i],
                schools[j] if j >= 0 else "",
                status,
                int(rank[i]) if rank[i] > 0 else "",
            )
        )
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    meta = {
        "algorithm": ALGORITHM,
        "inputs_sha256": inputs_sha,
        "numbers": list(nums),
        "seed": seed,
        "applicants": len(app),
        "seats": int(st["seats"].sum()),
        "placed": int((table["status"] != "no_seat").sum()),
    }
    res = DrawResult(table, inputs_sha, nums, seed, meta)
    meta["result_sha256"] = hashlib.sha256(res.to_csv_bytes()).hexdigest()
    return res


def write_draw(result: DrawResult, applicants, seats, out_dir) -> Path:
    """Write ``inputs.txt``, ``result.csv`` and ``draw.json`` into ``out_dir`` (atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "inputs.txt": canonical_inputs(applicants, seats),
        "result.csv": result.to_csv_bytes(),
        "draw.json": (json.dumps(result.meta, ensure_ascii=False, indent=2) + "\n").encode(),
    }
    for name, data in files.items():
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out / name)
    return out


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class VerifyReport:
    """Outcome of :func:`verify`: ``identical`` or the list of ``differences``."""

    identical: bool
    inputs_sha256: str
    expected_sha256: str
    actual_sha256: str
    differences: tuple = ()

    def __str__(self) -> str:
        if self.identical:
            return f"一致 identical: result.csv SHA-256 {self.actual_sha256} (inputs {self.inputs_sha256})"
        return "不一致 differs:\n" + "\n".join(f"  - {d}" for d in self.differences)


def verify(published_inputs, result_file) -> VerifyReport:
    """Re-run a draw from its published inputs and compare with a result file byte for byte.

    Parameters
    ----------
    published_inputs : DrawInputs or path
        The applicants, seats and public numbers; or a draw folder (``inputs.txt`` and
        ``draw.json`` are read from it).
    result_file : path or bytes
        The published ``result.csv`` (or its bytes).
    """
    claimed_hash = None
    if not isinstance(published_inputs, DrawInputs):
        folder = Path(published_inputs)
        app, st = parse_canonical(_read_bytes(folder / "inputs.txt"))
        meta = json.loads(_read_bytes(folder / "draw.json"))
        claimed_hash = meta.get("inputs_sha256")
        published_inputs = DrawInputs(app, st, tuple(meta.get("numbers", ())))
    rerun = draw(published_inputs.applicants, published_inputs.seats, published_inputs.numbers)
    expected = rerun.to_csv_bytes()
    actual = result_file if isinstance(result_file, bytes) else _read_bytes(Path(result_file))
    diffs = []
    if claimed_hash and claimed_hash != rerun.inputs_sha256:
        diffs.append(f"draw.json inputs_sha256 {claimed_hash} ≠ recomputed {rerun.inputs_sha256}")
    if expected != actual:
        diffs += _describe(expected, actual)
    return VerifyReport(
        identical=not diffs,
        inputs_sha256=rerun.inputs_sha256,
        expected_sha256=hashlib.sha256(expected).hexdigest(),
        actual_sha256=hashlib.sha256(actual).hexdigest(),
        differences=tuple(diffs),
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror} (文件无法读取)") from exc


def _describe(expected: bytes, actual: bytes) -> list[str]:
    try:
        exp = pd.read_csv(io.BytesIO(expected), dtype=str, keep_default_na=False)
        got = pd.read_csv(io.BytesIO(actual), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        return [f"result file is not a readable CSV: {exc}"]
    out = []
    if list(exp.columns) != list(got.columns):
        return [f"header: expected {list(exp.columns)}, got {list(got.columns)}"]
    e = exp.set_index("student_id")
    g = got[~got["student_id"].duplicated()].set_index("student_id")
    for sid in got["student_id"][got["student_id"].duplicated()]:
        out.append(f"{sid}: listed more than once in the result file")
    for sid in e.index.difference(g.index):
        out.append(
            f"{sid}: missing from the result file (expected school {e.at[sid, 'school'] or '—'})"
        )
    for sid in g.index.difference(e.index):
        out.append(f"{sid}: not an applicant of this draw")
    for sid in e.index.intersection(g.index, sort=False):
        for colname in e.columns:
            if e.at[sid, colname] != g.at[sid, colname]:
                out.append(
                    f"{sid}: {colname} expected {e.at[sid, colname]!r}, got {g.at[sid, colname]!r}"
                )
    if not out:
        out.append("same rows, different bytes (row order, quoting, line ends or encoding)")
    return out


# --------------------------------------------------------------------------- Monte-Carlo
def simulate(
    applicants: pd.DataFrame, seats: pd.DataFrame, *, draws: int, seed: int, progress=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """N simulated draws: per unit the probability of each school, per school its fill.

    The same two-pass rule as :func:`draw`, with random keys from one
    ``numpy.random.Generator(PCG64(seed))`` instead of SHA-256 (speed; a simulation, not a
    draw); pass 2 takes a uniformly random open school of the group.  The setup (cleaning,
    columns) is done once; each draw is :func:`_serial_dictatorship_fast` (no loop over
    applicants); the tallies are per unit (never applicants × schools).

    ``progress``, when given, is called with the fraction of the draws done (about 50 times
    over the run, and at the end); it does not change the result.

    Returns
    -------
    (unit_probabilities, school_fill)
        ``unit, school, probability, applicants`` (school ``""`` = no seat) and
        ``school, group, seats, mean_placed, fill_rate, p_full, last_tier_mode,
        last_tier_share, last_tier_max``.

    >>> app = pd.DataFrame({"student_id": list("abcd"), "unit": ["u1", "u1", "u2", "u2"],
    ...                     "choices": ["X", "X", "Y", "X|Y"]})
    >>> probs, fill = simulate(app, pd.DataFrame({"school": ["X", "Y"], "seats": [2, 2]}),
    ...                        draws=50, seed=1)
    >>> probs.groupby("unit")["probability"].sum().round(6).tolist()
    [1.0, 1.0]
    >>> fill["fill_rate"].tolist()
    [1.0, 1.0]
    """
    if int(draws) < 1:
        raise LotteryError(f"draws must be ≥ 1, got {draws}")
    app = _clean_applicants(applicants)
    st = _clean_seats(seats)
    _check_choices(app, st)
    app = app.sort_values("student_id", kind="stable").reset_index(drop=True)
    st = st.sort_values("school", kind="stable").reset_index(drop=True)
    schools, choices, group_idx, group_schools = _prepare(app, st)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    n, m = len(app), len(st)
    tiers = app["tier"].to_numpy().astype(np.int64)
    seat_arr0 = st["seats"].to_numpy(dtype=np.int64)
    choice_pad = _pad(choices)
    group_pad = _pad(group_schools)[group_idx]
    unit_names, unit_of = np.unique(app["unit"].to_numpy().astype(str), return_inverse=True)
    n_units = len(unit_names)
    size = np.bincount(unit_of, minlength=n_units)
    unit_base = unit_of * (m + 1)
    total = np.zeros(n_units * (m + 1), dtype=np.int64)  # per unit and school (m: no seat)
    placed = np.zeros((int(draws), m), dtype=np.int64)
    last_tier = np.full((int(draws), m), -1, dtype=np.int64)
    tier_levels = np.unique(tiers)
    every = max(1, int(draws) // 50)
    first = _first_choices(choice_pad, seat_arr0)
    tier_rank = np.unique(tiers, return_inverse=True)[1].reshape(-1)
    tier_rank = tier_rank.astype(np.int16 if tier_rank.max(initial=0) < 32_000 else np.int64)
    n_tiers = len(tier_levels)
    for d in range(int(draws)):
        perm = rng.permutation(n)  # a uniform order, then tier first (a stable radix sort)
        order = perm[np.argsort(tier_rank[perm], kind="stable")]
        got = _serial_dictatorship_fast(order, choice_pad, group_pad, seat_arr0, rng, first=first)
        total += np.bincount(unit_base + np.where(got >= 0, got, m), minlength=len(total))
        ok = got >= 0
        # admitted per school and tier (dense ranks): the fill, and the last tier admitted
        by_tier = np.bincount(got[ok] * n_tiers + tier_rank[ok], minlength=m * n_tiers).reshape(
            m, n_tiers
        )
        placed[d] = by_tier.sum(axis=1)
        has = by_tier > 0
        last = n_tiers - 1 - has[:, ::-1].argmax(axis=1)
        last_tier[d] = np.where(has.any(axis=1), tier_levels[last], -1)
        if progress is not None and ((d + 1) % every == 0 or d + 1 == int(draws)):
            progress((d + 1) / int(draws))
    total = total.reshape(n_units, m + 1)
    names = [*schools, ""]
    uu, jj = np.nonzero(total)
    rows = [
        (unit_names[u], names[j], total[u, j] / (size[u] * draws), int(size[u]))
        for u, j in zip(uu.tolist(), jj.tolist(), strict=True)
    ]
    probs = pd.DataFrame(rows, columns=["unit", "school", "probability", "applicants"])
    seat_arr = st["seats"].to_numpy()
    fill_rows = []
    for j, name in enumerate(schools):
        lt = last_tier[:, j][last_tier[:, j] >= 0]
        if len(lt):
            vals, cnt = np.unique(lt, return_counts=True)
            mode, share, mx = int(vals[np.argmax(cnt)]), float(cnt.max() / draws), int(lt.max())
        else:
            mode, share, mx = None, 0.0, None
        fill_rows.append(
            (
                name,
                st["group"].iat[j],
                int(seat_arr[j]),
                float(placed[:, j].mean()),
                float(placed[:, j].mean() / seat_arr[j]) if seat_arr[j] else float("nan"),
                float((placed[:, j] >= seat_arr[j]).mean()),
                mode,
                share,
                mx,
            )
        )
    fill = pd.DataFrame(
        fill_rows,
        columns=[
            "school",
            "group",
            "seats",
            "mean_placed",
            "fill_rate",
            "p_full",
            "last_tier_mode",
            "last_tier_share",
            "last_tier_max",
        ],
    )
    return probs, fill


# --------------------------------------------------------------------------- CSV and CLI
def _read_csv(path, what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file not found: {p} (找不到文件)")
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="gb18030")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{what} file {p} is not a readable CSV: {exc}") from exc


def read_applicants_csv(path) -> pd.DataFrame:
    """Read a lottery applicants CSV (columns in the module docstring)."""
    return _read_csv(path, "applicants")


def read_seats_csv(path) -> pd.DataFrame:
    """Read a lottery seat-plan CSV (``school``, ``seats``, optional ``group``)."""
    return _read_csv(path, "seats")


def _arg(args, *names):
    for name in names:
        value = getattr(args, name, None)
        if value not in (None, "", []):
            return value
    return None


def _inputs_from_args(args, *, need=True):
    a = _arg(args, "applicants", "placements", "students")
    s = _arg(args, "seats", "schools")
    if a is None or s is None:
        if need:
            raise InputError("需要 --applicants A.csv 和 --seats S.csv (applicants and seat plan)")
        return None, None
    return read_applicants_csv(a), read_seats_csv(s)


def cmd_lottery_publish(args) -> int:
    """``lottery publish --applicants A.csv --seats S.csv``: print the hash to publish."""
    app, st = _inputs_from_args(args)
    print(publish(app, st))
    return 0


def cmd_lottery_draw(args) -> int:
    """``lottery draw --applicants A.csv --seats S.csv --numbers 12 34 56 -o OUT``."""
    app, st = _inputs_from_args(args)
    expected = _arg(args, "expect_hash", "published")
    if expected and str(expected).lower() != publish(app, st):
        raise LotteryError(
            f"inputs do not match the published SHA-256 {expected} (输入与公示的哈希值不一致); "
            f"these inputs hash to {publish(app, st)}"
        )
    res = draw(app, st, _arg(args, "numbers") or ())
    out = write_draw(res, app, st, _arg(args, "output", "out"))
    counts = res.table["status"].value_counts().to_dict()
    print(f"公示哈希 inputs SHA-256: {res.inputs_sha256}")
    print(f"现场数字 numbers: {' '.join(map(str, res.numbers))} → 种子 seed: {res.seed}")
    print(
        f"派位完成 drawn: {len(res.table)} 名 → {out / 'result.csv'}  "
        + "  ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
    return 0


def cmd_lottery_verify(args) -> int:
    """``lottery verify --applicants … --seats … --numbers … --result OUT/result.csv``.

    Also accepts a draw folder (``verify OUT``): inputs and numbers are then read from its
    ``inputs.txt`` and ``draw.json`` unless given.  Exit 0 when identical, 1 when not.
    """
    result = _arg(args, "result")
    folder = _arg(args, "draw")
    if result is None and folder is None:
        raise InputError("需要 --result OUT/result.csv 或抽签目录 (result file or draw folder)")
    if result is None:
        folder = Path(folder)
        result = folder / "result.csv" if folder.is_dir() else folder
        folder = folder if folder.is_dir() else folder.parent
    app, st = _inputs_from_args(args, need=False)
    numbers = _arg(args, "numbers")
    if app is None or numbers is None:
        base = Path(folder) if folder is not None else Path(result).parent
        if app is None:
            if not (base / "inputs.txt").exists():
                raise InputError("需要 --applicants 与 --seats，或含 inputs.txt 的抽签目录")
            app, st = parse_canonical(_read_bytes(base / "inputs.txt"))
        if numbers is None:
            meta_path = base / "draw.json"
            if not meta_path.exists():
                raise InputError("需要 --numbers (the numbers drawn in public)")
            numbers = json.loads(_read_bytes(meta_path))["numbers"]
    report = verify(DrawInputs(app, st, tuple(numbers)), result)
    print(report)
    return 0 if report.identical else 1


def cmd_lottery_simulate(args) -> int:
    """``lottery simulate --applicants … --seats … --draws N --seed S -o OUT``.

    Writes ``unit_probabilities.csv`` and ``school_fill.csv`` into OUT.
    """
    app, st = _inputs_from_args(args)
    probs, fill = simulate(app, st, draws=int(_arg(args, "draws") or 100), seed=int(args.seed))
    out = Path(_arg(args, "output", "out"))
    out.mkdir(parents=True, exist_ok=True)
    probs.to_csv(
        out / "unit_probabilities.csv", index=False, lineterminator="\n", float_format="%.6f"
    )
    fill.to_csv(out / "school_fill.csv", index=False, lineterminator="\n", float_format="%.6f")
    print(f"模拟 {args.draws} 次 simulated → {out}/unit_probabilities.csv, {out}/school_fill.csv")
    return 0


# names used by geo_enroll/commands/place.py
draw_command = cmd_lottery_draw
verify_command = cmd_lottery_verify
simulate_command = cmd_lottery_simulate
publish_command = cmd_lottery_publish
