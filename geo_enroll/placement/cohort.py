"""Synthetic applicant cohorts (合成申请人表): realistic, clearly labelled, never real people.

No real cohort may leave a bureau, so tests, demos and notebooks use a synthetic one.  Every row
says so in ``备注`` (``合成数据（虚构）synthetic``); names are ``测试`` + a number; ID numbers are
well formed (GB 11643 checksum, the county's region code, birth date and sex consistent) but drawn
at random — they are labelled synthetic and must never be used as anyone's number.

What the generator draws from (all deterministic for a given spec, base map and ``seed``):

- **units**: the county's official villages and communities (``data/divisions/``); for a county
  with a base map (宝昌镇), town homes are house numbers on the base-map streets, placed in the
  community polygon they fall in, and some in its compounds (小区);
- **shares** (documented assumptions, not statistics): town communities 55 % of children, villages
  of the town's township 12 %, other townships 33 %; property-only rural families (农村户籍、城区
  有房) 12 %; migrant children (随迁子女, hukou outside the county) 7 %; recent hukou moves 5 %
  (half after the migration cutoff, with the previous address); priority categories 2 %;
  free-choice categories 1.5 %; elder siblings at a school that may differ from the zone school 5 % (10 % of them
  there by choice); twins 1.5 %
  of births; disabled 1 % (随班就读 / 送教上门 / 特教学校); deferral 1.5 %; 1 % too young;
- **延庆** (county code 110119): the urban streets and 延庆镇, and the residence categories of its
  seed: 本市户籍, the six kinds 按本市户籍对待, and 非本市户籍 with a material check.

>>> from geo_enroll.datasets import toy_spec
>>> df = synth_cohort(toy_spec(), seed=1, primary=20, middle=10)
>>> len(df), bool(df["备注"].str.contains("synthetic").all())
(30, True)
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ..settings import data_dir
from .idcard import synth_id

__all__ = ["synth_cohort", "default_counts", "COHORT_COLUMNS"]

COHORT_COLUMNS = [
    "姓名",
    "身份证号",
    "学籍号",
    "出生日期",
    "性别",
    "学段",
    "户籍地址",
    "原户籍地址",
    "房产地址",
    "实际居住地址",
    "户口迁入日期",
    "房产登记日期",
    "类别",
    "残疾",
    "兄姐在读学校",
    "兄姐择校",
    "双胞胎组",
    "缓学",
    "毕业学校标识码",
    "志愿学校",
    "材料审核",
    "备注",
]
_LABEL = "合成数据（虚构，非真实个人）synthetic"
_ELSEWHERE = [
    "河北省张家口市康保县张纪镇",
    "河北省张家口市沽源县平定堡镇",
    "内蒙古自治区乌兰察布市化德县长顺镇",
    "山西省大同市阳高县龙泉镇",
    "河北省承德市丰宁满族自治县大阁镇",
]
_YQ_URBAN = ("110119001", "110119002", "110119003", "110119100")
_YQ_LOCAL_KINDS = [
    "台胞子女",
    "华侨子女",
    "在京在站博士后研究人员子女",
    "现役军人子女",
    "父母一方为本市户籍的适龄儿童少年",
    "父母一方持有《北京市工作居住证》的适龄儿童少年",
]


def _units(county: str, folder: Path) -> tuple[pd.DataFrame, dict]:
    v = pd.read_csv(folder / "villages_152527_110119.csv", dtype=str)
    t = pd.read_csv(folder / "townships_152527_110119.csv", dtype=str)
    v = v[v["county_code"] == county].copy()
    towns = dict(zip(t["code"], t["name"], strict=True))
    v["township"] = v["township_code"].map(towns)
    v["short"] = v["name"].str.replace(r"(村民委员会|村委会)$", "村", regex=True)
    v["short"] = v["short"].str.replace(r"社区居委会$", "社区", regex=True)
    v["short"] = v["short"].str.replace(r"居委会$", "社区", regex=True)
    v["short"] = v["short"].str.replace(r"(嘎查委员会|嘎查委会)$", "嘎查", regex=True)
    v["urban"] = v["name"].str.contains("居委会|社区")
    return v.sort_values("code").reset_index(drop=True), towns


class _Town:
    """House-number addresses on base-map streets, with the community polygon they fall in."""

    def __init__(self, basemap, township: str):
        from ..basemap.layers import utm_crs  # noqa: F401  (same CRS helper as the base map)

        streets, areas, marks = basemap
        crs = streets.estimate_utm_crs()
        self.streets = streets[(streets["kind"] == "road") & streets["from_number"].notna()]
        self.streets = self.streets.to_crs(crs).sort_values("name").reset_index(drop=True)
        comm = areas[areas["kind"] == "community"].to_crs(crs)
        self.communities = comm.sort_values("name").reset_index(drop=True)
        self.compounds = (
            marks[marks["kind"] == "compound"].sort_values("name").reset_index(drop=True)
        )
        self.township = township
        # plain lists and prepared polygons, read once: each address is then O(1) in pandas
        self._lines = list(self.streets.geometry)
        self._names = [str(x) for x in self.streets["name"]]
        self._from = [int(x) for x in self.streets["from_number"]]
        self._to = [int(x) for x in self.streets["to_number"]]
        self._comm = list(self.communities.geometry)
        for g in self._comm:
            shapely.prepare(g)
        self._comm_names = [str(x) for x in self.communities["name"]]

    def address(self, rng, community: str | None = None) -> tuple[str, str]:
        """(address, community name) of a random house number."""
        for _ in range(200):
            k = int(rng.integers(len(self._lines)))
            line = self._lines[k]
            f = float(rng.uniform(0.02, 0.98))
            p = line.interpolate(f, normalized=True)
            q = line.interpolate(min(1.0, f + 0.001), normalized=True)
            dx, dy = q.x - p.x, q.y - p.y
            norm = math.hypot(dx, dy) or 1.0
            left = bool(rng.integers(2))
            sign = 1 if left else -1
            hx, hy = p.x - sign * 15 * dy / norm, p.y + sign * 15 * dx / norm
            name = next(
                (
                    nm
                    for g, nm in zip(self._comm, self._comm_names, strict=True)
                    if shapely.contains_xy(g, hx, hy)
                ),
                None,
            )
            if name is None:
                continue
            if community is not None and name != community:
                continue
            lo, hi = self._from[k], self._to[k]
            n = int(round(lo + f * (hi - lo)))
            if (n % 2 == 1) != left:  # odd numbers on the left
                n = n + 1 if n < hi else n - 1
            n = max(n, 1)
            return f"{self.township}{name}{self._names[k]}{n}号", name
        return f"{self.township}{community or ''}", community or ""

    def compound(self, rng) -> tuple[str, str]:
        c = self.compounds.iloc[int(rng.integers(len(self.compounds)))]
        b, u, r = int(rng.integers(1, 12)), int(rng.integers(1, 4)), int(rng.integers(101, 602))
        return f"{self.township}{c['within']}{c['name']}{b}号楼{u}单元{r}室", str(c["within"])


def _load_basemap(basemap):
    import geopandas as gpd

    if basemap is None:
        return None
    if not isinstance(basemap, (str, Path)):
        return basemap.streets, basemap.areas, basemap.landmarks
    try:
        return tuple(gpd.read_file(basemap, layer=lyr) for lyr in ("streets", "areas", "landmarks"))
    except Exception:  # unreadable base map: community-level addresses only
        return None


def default_counts(
    spec: dict, seat_table=None, *, primary: int | None = None, middle: int | None = None
) -> tuple[int | None, int | None]:
    """Applicants per level: as given, else the policy's seat plan, else the seat table's seats.

    ``None`` is left for :func:`synth_cohort`'s own default (30).  A scenario without a seat
    plan (延庆 2023 gives none) gets as many applicants as its seat table has seats: ineligible,
    deferred and unverified rows then leave some seats free overall while the zones made short
    of seats overflow.

    >>> from geo_enroll.datasets import toy_schools, toy_spec
    >>> spec = toy_spec()
    >>> default_counts(spec)  # the seat plan
    (18, 8)
    >>> spec["policy"]["seat_plan"] = {"primary": None, "middle": None}
    >>> default_counts(spec, toy_schools(), middle=10)  # the seat table's 6 + 12 primary seats
    (18, 10)
    """
    plan = (spec.get("policy") or {}).get("seat_plan") or {}
    out = {"primary": primary, "middle": middle}
    seats = None
    for level in out:
        if out[level] is None and plan.get(level) is not None:
            out[level] = int(plan[level])
        if out[level] is None and seat_table is not None:
            if seats is None:
                from .run import load_school_table, validate_school_table

                seats, _ = validate_school_table(load_school_table(seat_table), spec)
            total = int(seats.loc[seats["level"] == level, "seats"].sum())
            out[level] = total or None
    return out["primary"], out["middle"]


def synth_cohort(
    spec: dict,
    *,
    seed: int,
    basemap=None,
    primary: int | None = None,
    middle: int | None = None,
    divisions=None,
) -> pd.DataFrame:
    """A synthetic applicant table for the spec's county (see the module doc for the shares).

    Parameters
    ----------
    spec : dict
        Zone spec; ``policy.county_code``, ``age_cutoff``, ``seat_plan``, ``hukou_migration_cutoff``
        and the schools are used.
    seed : int
    basemap : path, BaseMap or None
        Base map with ``streets`` (with ``from_number``/``to_number``), ``areas`` and ``landmarks``.
    primary, middle : int, optional
        Number of applicants (default: the spec's seat plan, else 30/30).
    divisions : path, optional
        Folder with the divisions CSVs (default ``data/divisions``).

    Returns
    -------
    DataFrame with Chinese headers (:data:`COHORT_COLUMNS`), one row per applicant.
    """
    pol = spec.get("policy") or {}
    county = str(pol.get("county_code") or "")
    year = int(pol.get("year") or 2024)
    plan = pol.get("seat_plan") or {}
    n_p = primary if primary is not None else int(plan.get("primary") or 30)
    n_m = middle if middle is not None else int(plan.get("middle") or 30)
    rng = np.random.default_rng(int(seed))
    ctx = _Context(spec, county, year, rng, basemap, divisions)
    rows: list[dict] = []
    for level, n in (("小学", n_p), ("初中", n_m)):
        have = 0  # a running count: the loop stays linear in the cohort size
        while have < n:
            kids = ctx.family(level, twins_ok=n - have >= 2)
            rows.extend(kids)
            have += len(kids)
    df = pd.DataFrame(rows, columns=COHORT_COLUMNS)
    df.insert(0, "_k", range(len(df)))
    df["姓名"] = [f"测试{i + 1:04d}" for i in range(len(df))]
    return df.drop(columns="_k")


class _Context:
    def __init__(self, spec, county, year, rng, basemap, divisions):
        self.spec, self.county, self.year, self.rng = spec, county, year, rng
        pol = spec.get("policy") or {}
        self.cutoff = _dt.date.fromisoformat(str(pol.get("age_cutoff") or f"{year - 6}-08-31"))
        mig = pol.get("hukou_migration_cutoff")
        self.mig_cut = _dt.date.fromisoformat(str(mig)) if mig else None
        self.yanqing = county == "110119"
        self.el = pol.get("eligibility") or {}
        folder = Path(divisions) if divisions else data_dir() / "divisions"
        try:
            self.units, self.towns = _units(county, folder)
        except (FileNotFoundError, KeyError):
            self.units, self.towns = pd.DataFrame(), {}
        self.juris = str(pol.get("jurisdiction") or "")
        self.prefix = "北京市延庆区" if self.yanqing else self.juris
        if self.yanqing:
            self.units = self.units[self.units["township_code"].isin(_YQ_URBAN)]
        self.schools = [s for s in spec.get("schools") or []]
        self.town = None
        bm = _load_basemap(basemap)
        if bm is None and county == "152527" and basemap is None:
            try:
                from ..basemap.schematic import build_schematic

                bm = _load_basemap(build_schematic())
            except Exception:  # the base map module is optional here
                bm = None
        if bm is not None and not self.units.empty and not self.yanqing:
            seat_town = self.units[self.units["urban"]]["township"].mode()
            self.town = _Town(bm, self.prefix + (seat_town.iloc[0] if len(seat_town) else ""))
        self.seq = set()
        self.twin = 0
        self._pool_cache = None
        self._per_day: dict = {}
        self._ids_by_level = {
            lv: sorted(s["id"] for s in self.schools if s.get("level") in (lv, "nine_year"))
            for lv in ("primary", "middle")
        }
        self._primary_codes = sorted(
            str(s.get("code"))
            for s in self.schools
            if s.get("level") in ("primary", "nine_year") and s.get("code")
        )

    # --------------------------------------------------------------- pieces
    def _pools(self) -> dict:
        """The unit pools as lists of dicts, built once (same rows, same order as before)."""
        if self._pool_cache is None:
            u = self.units
            seat_tc = u[u["urban"]]["township_code"].mode()
            same = u[(~u["urban"]) & u["township_code"].isin(seat_tc)]
            pools = {"same": same.to_dict("records")}
            for flag in (True, False):
                pool = u[u["urban"] == flag]
                pools[flag] = (pool if not pool.empty else u).to_dict("records")
            self._pool_cache = pools
        return self._pool_cache

    def _pick_unit(self, urban: bool | None = None) -> dict:
        if self.units.empty:
            return {}
        pools = self._pools()
        if urban is None:
            r = self.rng.random()
            urban = r < (0.85 if self.yanqing else 0.55)
            if not urban and not self.yanqing:
                same = pools["same"]
                if r < 0.67 and len(same):
                    return dict(same[int(self.rng.integers(len(same)))])
        pool = pools[bool(urban)]
        return dict(pool[int(self.rng.integers(len(pool)))])

    def _address(self, unit: dict, *, house: bool = True) -> str:
        if not unit:
            return f"{self.prefix}某街{int(self.rng.integers(1, 200))}号"
        if unit.get("urban") and self.town is not None and not self.yanqing:
            if self.rng.random() < 0.1 and len(self.town.compounds):
                return self.town.compound(self.rng)[0]
            return self.town.address(self.rng)[0]
        base = f"{self.prefix}{unit['township']}{unit['short']}"
        if unit.get("urban"):
            return base + f"{int(self.rng.integers(1, 40))}号楼{int(self.rng.integers(1, 6))}单元"
        name = unit["short"]
        extra = ""
        if name == "东红村" and self.rng.random() < 0.3:
            extra = "禹仁围子"
        group = f"{'一二三四五六'[int(self.rng.integers(6))]}社"
        if name in ("菜园村", "西坡村") or self.rng.random() < 0.5:
            extra += group
        return base + extra + (f"{int(self.rng.integers(1, 120))}号" if house else "")

    def _birth(self, level: str) -> _dt.date:
        end = self.cutoff if level == "小学" else self.cutoff.replace(year=self.cutoff.year - 6)
        days = int(self.rng.integers(0, 365))
        if level == "小学" and self.rng.random() < 0.01:
            return end + _dt.timedelta(days=1 + days % 120)  # too young
        if self.rng.random() < 0.03:
            days += 365  # a year older (deferred earlier, repeat)
        return end - _dt.timedelta(days=days)

    def _id(self, birth: _dt.date, sex: str) -> str:
        region = self.county if len(self.county) == 6 else "999999"
        used = self._per_day.get((birth, sex), 0)
        if used >= 500:  # GB 11643 has 500 sequence numbers per day and sex
            raise ValueError(
                f"合成人数过多：{birth} 出生的{sex}孩已满 500 个顺序码 "
                "(too many synthetic children for one birth date; use fewer)"
            )
        self._per_day[(birth, sex)] = used + 1
        while True:
            seq = int(self.rng.integers(0, 500)) * 2 + (1 if sex == "男" else 0)
            if (birth, seq) not in self.seq:
                self.seq.add((birth, seq))
                return synth_id(region, birth, seq)

    def _school_id(self, level: str) -> str | None:
        ids = self._ids_by_level["primary" if level == "小学" else "middle"]
        return ids[int(self.rng.integers(len(ids)))] if ids else None

    def _date(self, start: _dt.date, end: _dt.date) -> str:
        span = max(1, (end - start).days)
        return (start + _dt.timedelta(days=int(self.rng.integers(span)))).isoformat()

    # --------------------------------------------------------------- a family
    def family(self, level: str, *, twins_ok: bool) -> list[dict]:
        rng = self.rng
        rec = dict.fromkeys(COHORT_COLUMNS, "")
        rec.update({"学段": level, "备注": _LABEL})
        r = rng.random()
        cats: list[str] = []
        if self.yanqing:
            self._yanqing(rec, cats, r)
        elif r < 0.07:  # migrant child: hukou elsewhere, lives in town
            cats.append("随迁子女")
            rec["户籍地址"] = (
                _ELSEWHERE[int(rng.integers(len(_ELSEWHERE)))] + f"{int(rng.integers(1, 90))}号"
            )
            home = self._address(self._pick_unit(urban=True))
            rec["实际居住地址"] = home
            if rng.random() < 0.3:
                rec["房产地址"] = home
                rec["房产登记日期"] = self._date(
                    _dt.date(self.year - 8, 1, 1), _dt.date(self.year - 1, 6, 1)
                )
        elif r < 0.19:  # property-only: rural hukou, property in town
            rec["户籍地址"] = self._address(self._pick_unit(urban=False))
            rec["房产地址"] = self._address(self._pick_unit(urban=True))
            rec["实际居住地址"] = rec["房产地址"]
            rec["房产登记日期"] = self._date(
                _dt.date(self.year - 10, 1, 1), _dt.date(self.year, 6, 1)
            )
        else:
            unit = self._pick_unit()
            rec["户籍地址"] = self._address(unit)
            rec["实际居住地址"] = rec["户籍地址"]
            if unit.get("urban") and rng.random() < 0.6:
                rec["房产地址"] = rec["户籍地址"]
                rec["房产登记日期"] = self._date(
                    _dt.date(self.year - 12, 1, 1), _dt.date(self.year - 1, 1, 1)
                )
            if self.mig_cut and rng.random() < 0.05:  # recent hukou move
                before = rng.random() < 0.5
                moved = (
                    self._date(self.mig_cut - _dt.timedelta(days=300), self.mig_cut)
                    if before
                    else self._date(
                        self.mig_cut + _dt.timedelta(days=1), self.mig_cut + _dt.timedelta(days=300)
                    )
                )
                rec["户口迁入日期"] = moved
                rec["原户籍地址"] = self._address(self._pick_unit(urban=False))
        el = self.el
        if not self.yanqing:
            if rng.random() < 0.02 and el.get("priority_categories"):
                pc = list(el["priority_categories"])
                cats.append(pc[int(rng.integers(len(pc)))])
            if rng.random() < 0.015 and el.get("free_choice_categories"):
                fc = list(el["free_choice_categories"])
                cats.append(fc[int(rng.integers(len(fc)))])
                rec["志愿学校"] = self._school_id(level) or ""
        if not self.yanqing and rng.random() < 0.02:
            # 贡宝拉格-style free choice / alternatives: a stated preference
            rec["志愿学校"] = rec["志愿学校"] or (self._school_id(level) or "")
        rec["类别"] = "、".join(cats)
        d = rng.random()
        if d < 0.01:
            rec["残疾"] = ("随班就读", "随班就读", "随班就读", "送教上门", "特教学校")[
                int(rng.integers(5))
            ]
        if level == "小学" and rng.random() < 0.015:
            rec["缓学"] = "是"
        if rng.random() < 0.05:
            rec["兄姐在读学校"] = self._school_id(level) or ""
            rec["兄姐择校"] = "是" if rng.random() < 0.1 else "否"
        birth = self._birth(level)
        n = 2 if (twins_ok and rng.random() < 0.015) else 1
        out = []
        group = ""
        if n == 2:
            self.twin += 1
            group = f"T{self.twin:03d}"
        for _k in range(n):
            child = dict(rec)
            sex = "男" if rng.random() < 0.52 else "女"
            number = self._id(birth, sex)
            child.update(
                {"身份证号": number, "出生日期": birth.isoformat(), "性别": sex, "双胞胎组": group}
            )
            if level == "初中":
                child["学籍号"] = "G" + number
                codes = self._primary_codes
                child["毕业学校标识码"] = codes[int(rng.integers(len(codes)))] if codes else ""
            out.append(child)
        return out

    def _yanqing(self, rec: dict, cats: list, r: float) -> None:
        rng = self.rng
        home = self._address(self._pick_unit(urban=True))
        if r < 0.65:  # 本市户籍
            cats.append("本市户籍")
            rec["户籍地址"] = (
                home if rng.random() < 0.7 else self._address(self._pick_unit(urban=True))
            )
            if rng.random() < 0.7:
                rec["房产地址"] = home
                rec["房产登记日期"] = self._date(
                    _dt.date(self.year - 12, 1, 1), _dt.date(self.year - 1, 1, 1)
                )
        elif r < 0.75:  # 按本市户籍对待
            cats.append(_YQ_LOCAL_KINDS[int(rng.integers(len(_YQ_LOCAL_KINDS)))])
            rec["户籍地址"] = _ELSEWHERE[int(rng.integers(len(_ELSEWHERE)))]
        else:  # 非本市户籍: material check of the seed (务工就业、实际住所、户口簿、居住证)
            cats.append("非本市户籍")
            rec["户籍地址"] = _ELSEWHERE[int(rng.integers(len(_ELSEWHERE)))]
            rec["材料审核"] = "通过" if rng.random() < 0.85 else "未通过"
        rec["实际居住地址"] = home
