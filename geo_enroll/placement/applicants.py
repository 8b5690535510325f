"""The applicant table (招生花名册): read, normalise and validate it, reporting every problem at once.

One row per applicant, CSV (UTF-8 or GB18030) or XLSX, Chinese or English headers:

=================  ===========================  =================================================
column             Chinese header               meaning
=================  ===========================  =================================================
name               姓名                         never logged, never written to outputs
id_number          身份证号                     GB 11643 number, checked (checksum, date, sex)
student_number     学籍号                       national student number (初中 applicants)
birth_date         出生日期                     must agree with the ID number
sex                性别                         男/女, must agree with the ID number
level              学段                         小学/初中 (inferred from 学籍号 when empty)
hukou_address      户籍地址                     address on the household register
previous_hukou     原户籍地址                   address before the last hukou move
property_address   房产地址                     guardian's property (房产证)
residence_address  实际居住地址                 actual residence
hukou_moved_in     户口迁入日期                 date of the last hukou move
property_date      房产登记日期                 property registration date (tie order)
categories         类别                         烈士子女、现役军人子女、随迁子女… (、/,/; separated)
disability         残疾                         随班就读 / 特教学校 / 送教上门
sibling_school     兄姐在读学校                 elder sibling's school (id, name or 标识码)
sibling_by_choice  兄姐择校                     是 when the elder sibling got there by choice
twin_group         双胞胎组                     same label = twins/triplets
deferral           缓学                         是 = applied for deferral
graduating_school  毕业学校标识码               primary school code of 小升初 applicants
preference         志愿学校                     a chosen alternative / free-choice school
materials_ok       材料审核                     非本市户籍 material check (通过/未通过; blank = held)
property_evidence  房产材料类型                 房产证/网签合同/商铺/柜台/个人买卖合同/拆迁置换/过道房…
residence_proof_.. 入住证明月数                 months of proof of living at the property (物业/水电票)
rental_years       租房备案年限                 years of registered rental in the district (外区户籍)
work_years         本区就业年限                 years of work in the district (外区户籍)
approval           审批结果                     approval of a category that needs one (引进人才: 已批准)
deferral_proof     缓学证明                     the hospital proof of a 缓学 application (是/证明名称)
deferral_approved  缓学批准                     是 when the deferral is approved
notice_issued      已发通知书                   是 when the child already holds an admission notice
kindergarten       幼儿园                       kindergarten (roster column 5 for 小学)
note               备注                         free text (synthetic tables say so here)
=================  ===========================  =================================================

Each row gets a stable ``student_id``: ``S`` + 12 hex digits of SHA-256(salt | ID number), so it
is the same across runs and tables but is not the ID number (see ``Settings.student_id_salt``).

>>> from geo_enroll.datasets import toy_students
>>> df = read_applicants(toy_students())
>>> len(df), df["student_id"].is_unique, bool(df["student_id"].str.match(r"^S[0-9a-f]{12}$").all())
(30, True, True)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import os
import re
from pathlib import Path

import pandas as pd

from ..errors import ApplicantError
from ..settings import DEFAULT_SETTINGS
from .idcard import _as_date, _as_sex, check_id, mask_id

__all__ = ["COLUMNS", "read_applicants", "read_table", "row_problems", "student_id_for"]

# canonical name -> (Chinese header, other accepted headers)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("姓名", ("学生姓名", "儿童姓名")),
    "id_number": ("身份证号", ("身份证号码", "公民身份号码", "身份证")),
    "student_number": ("学籍号", ("全国学籍号",)),
    "birth_date": ("出生日期", ("出生年月日", "生日")),
    "sex": ("性别", ()),
    "level": ("学段", ("入学学段", "年级")),
    "hukou_address": ("户籍地址", ("户籍住址", "户口地址", "户籍所在地")),
    "previous_hukou": ("原户籍地址", ("迁移前户籍地址", "迁移前地址")),
    "property_address": ("房产地址", ("房产证地址", "住房地址")),
    "residence_address": ("实际居住地址", ("居住地址", "现住址", "实际住址")),
    "hukou_moved_in": ("户口迁入日期", ("迁入日期", "户口迁移日期")),
    "property_date": ("房产登记日期", ("购房日期", "房产证日期")),
    "categories": ("类别", ("优待类别", "身份类别")),
    "disability": ("残疾", ("残疾类型", "残疾安置")),
    "sibling_school": ("兄姐在读学校", ("兄姐学校",)),
    "sibling_by_choice": ("兄姐择校", ("兄姐是否择校",)),
    "twin_group": ("双胞胎组", ("多胞胎组",)),
    "deferral": ("缓学", ("申请缓学",)),
    "graduating_school": ("毕业学校标识码", ("原学校标识码",)),
    "preference": ("志愿学校", ("选择学校",)),
    "materials_ok": ("材料审核", ("材料审核结果",)),
    "property_evidence": ("房产材料类型", ("产权材料类型", "住房材料类型", "房产材料")),
    "residence_proof_months": ("入住证明月数", ("实际入住证明月数", "入住佐证月数")),
    "rental_years": ("租房备案年限", ("本区租房年限", "承租年限")),
    "work_years": ("本区就业年限", ("就业年限", "务工年限")),
    "approval": ("审批结果", ("审批", "引进人才审批")),
    "deferral_proof": ("缓学证明", ("医院证明", "缓学病历证明")),
    "deferral_approved": ("缓学批准", ("缓学审批",)),
    "notice_issued": ("已发通知书", ("已领取通知书", "已发放通知书")),
    "kindergarten": ("幼儿园", ("所在幼儿园", "毕业幼儿园")),
    "note": ("备注", ()),
}
_NUMBER_COLUMNS = ("residence_proof_months", "rental_years", "work_years")
_ADDRESS_COLUMNS = ("hukou_address", "property_address", "residence_address")
_DATE_COLUMNS = ("birth_date", "hukou_moved_in", "property_date")
_DISABILITY = {
    "随班就读": "随班就读",
    "特教学校": "特教学校",
    "特殊教育学校": "特教学校",
    "送教上门": "送教上门",
}
_YES = {"是", "y", "yes", "true", "1", "有", "√"}
_NO = {"否", "n", "no", "false", "0", "无", ""}


def _header_map(columns) -> tuple[dict[str, str], list[str]]:
    lookup = {}
    for canon, (zh, others) in COLUMNS.items():
        for h in (canon, zh, *others):
            lookup[_clean_header(h)] = canon
    mapping, unknown = {}, []
    for col in columns:
        canon = lookup.get(_clean_header(col))
        if canon and canon not in mapping.values():
            mapping[col] = canon
        else:
            unknown.append(str(col))
    return mapping, unknown


def _clean_header(h) -> str:
    return re.sub(r"[\s\u3000（）()*：:]", "", str(h)).lower()


def read_table(source) -> pd.DataFrame:
    """Read a CSV/XLSX applicant file (or take a DataFrame) as strings, headers untouched.

    Raises :class:`~geo_enroll.errors.ApplicantError` for an unreadable or empty file.
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise ApplicantError(f"找不到申请人表 {path} (applicant file not found)")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, dtype=object, engine="openpyxl")
        else:
            raw = path.read_bytes()
            if b"\x00" in raw[:4096]:
                raise ApplicantError(
                    f"{path.name} 不是文本表格 (binary file; expected CSV or XLSX)"
                )
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:  # pragma: no cover - gb18030 decodes almost anything
                raise ApplicantError(f"{path.name}: 无法识别编码 (encoding not UTF-8/GB18030)")
            df = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                comment=None,
                skip_blank_lines=True,
            )
    except ApplicantError:
        raise
    except Exception as exc:  # pandas/openpyxl parse errors
        raise ApplicantError(f"{path.name} 无法读取为表格 (cannot read as a table): {exc}") from exc
    if df.empty:
        raise ApplicantError(f"{path.name} 没有数据行 (no rows)")
    return df


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (_dt.datetime, pd.Timestamp)):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


def student_id_for(id_number: str, *, salt: str | None = None) -> str:
    """The stable, non-reversible ``student_id`` of an ID number (see ``Settings.student_id_salt``).

    >>> a = student_id_for("152527201805041014", salt="x")
    >>> a == student_id_for("152527201805041014 ", salt="x"), a == student_id_for(
    ...     "152527201805041014", salt="y")
    (True, False)
    """
    salt = _salt(salt)
    key = str(id_number).strip().upper()
    return "S" + hashlib.sha256(f"{salt}|{key}".encode()).hexdigest()[:12]


def _salt(salt: str | None) -> str:
    if salt is not None:
        return salt
    return os.environ.get("GEO_ENROLL_ID_SALT") or DEFAULT_SETTINGS.student_id_salt


def read_applicants(source, *, salt: str | None = None) -> pd.DataFrame:
    """Read, normalise and validate an applicant table.

    Parameters
    ----------
    source : path or DataFrame
        CSV/XLSX file or a DataFrame with Chinese or English headers (see module doc).
    salt : str, optional
        Salt of ``student_id`` (default ``$GEO_ENROLL_ID_SALT`` or ``Settings.student_id_salt``).

    Returns
    -------
    DataFrame
        One row per input row, in input order, with every canonical column (strings;
        dates ISO; ``level`` ``primary``/``middle``/``""``; ``categories`` a tuple), plus
        ``row`` (1-based data row as a spreadsheet shows it: header = row 1), ``student_id``,
        ``id_masked``, ``problems`` (tuple of Chinese messages: the row cannot be placed) and
        ``duplicate_of`` (other rows of the same applicant, a fatal problem of the table).

    Raises
    ------
    ApplicantError
        When the file cannot be read or required columns are missing (all listed at once).
    """
    raw = read_table(source)
    mapping, _unknown = _header_map(raw.columns)
    df = raw.rename(columns=mapping)[list(mapping.values())]
    missing = []
    if "id_number" not in df.columns:
        missing.append("身份证号 (id_number)")
    if not any(c in df.columns for c in _ADDRESS_COLUMNS):
        missing.append("户籍地址/房产地址/实际居住地址 (at least one address column)")
    if missing:
        got = "、".join(str(c) for c in raw.columns)
        raise ApplicantError(
            "申请人表缺少必需的列 (required columns missing); 现有列: " + got, problems=missing
        )
    for canon in COLUMNS:
        if canon not in df.columns:
            df[canon] = ""
    df = df[list(COLUMNS)].map(_text) if hasattr(df, "map") else df[list(COLUMNS)]
    df = df.reset_index(drop=True)
    salt = _salt(salt)
    records = []
    for i, rec in enumerate(df.to_dict("records")):
        records.append(_normalise_row(rec, row=i + 2, salt=salt))
    out = pd.DataFrame.from_records(records)
    # duplicates: the same applicant (same valid ID number) in several rows
    out["duplicate_of"] = [() for _ in range(len(out))]
    valid = out[out["_id_ok"] & out["student_id"].duplicated(keep=False)]
    for _sid, grp in valid.groupby("student_id", sort=True):
        if len(grp) > 1:
            rows = tuple(int(r) for r in grp["row"])
            for idx in grp.index:
                out.at[idx, "duplicate_of"] = tuple(r for r in rows if r != out.at[idx, "row"])
    return out.drop(columns=["_id_ok"])


def _normalise_row(rec: dict, *, row: int, salt: str) -> dict:
    problems: list[str] = []
    for col in _DATE_COLUMNS:
        if rec[col]:
            d = _as_date(rec[col])
            if d is None:
                problems.append(
                    f"{COLUMNS[col][0]}“{rec[col]}”不是日期 (not a date; use YYYY-MM-DD)"
                )
            else:
                rec[col] = d.isoformat()
    if rec["sex"]:
        rec["sex"] = _as_sex(rec["sex"]) or rec["sex"]
    chk = check_id(rec["id_number"], birth_date=rec["birth_date"] or None, sex=rec["sex"] or None)
    problems.extend(p for p in chk.problems if p not in problems)
    if chk.number and chk.birth_date:
        rec["birth_date"] = rec["birth_date"] or chk.birth_date.isoformat()
        rec["sex"] = rec["sex"] or (chk.sex or "")
    rec["id_number"] = chk.number or rec["id_number"]
    id_ok = chk.number is not None and _FORM_OK(chk)
    if id_ok:
        sid = student_id_for(chk.number, salt=salt)
    else:  # unusable number: a stable id from the whole row (still not the number)
        key = "|".join(rec[c] for c in ("id_number", "name", "birth_date", "hukou_address"))
        sid = student_id_for("ROW|" + key, salt=salt)
    level = _level(rec["level"], rec["student_number"], rec["graduating_school"])
    if level is None:
        problems.append(f"学段“{rec['level']}”无法识别，应为小学或初中 (level must be 小学/初中)")
        level = ""
    rec["level"] = level
    if not any(rec[c] for c in _ADDRESS_COLUMNS):
        problems.append("没有任何地址 (no address given)")
    dis = rec["disability"]
    if dis and dis not in _DISABILITY and dis.lower() not in _NO:
        problems.append(f"残疾“{dis}”应为随班就读/特教学校/送教上门 (unknown disability placement)")
    rec["disability"] = _DISABILITY.get(dis, "")
    for col in _NUMBER_COLUMNS:
        v = rec[col]
        if v and not re.fullmatch(r"\d{1,3}(?:\.\d{1,2})?", v):
            problems.append(f"{COLUMNS[col][0]}“{v}”应为数字 (expected a number, e.g. 3)")
            rec[col] = ""
    for col in ("deferral", "sibling_by_choice"):
        v = rec[col].lower()
        if v and v not in _YES and v not in _NO:
            problems.append(f"{COLUMNS[col][0]}“{rec[col]}”应为是/否 (expected yes/no)")
        rec[col] = "是" if v in _YES else ""
    rec["categories"] = tuple(
        sorted({c.strip() for c in re.split(r"[、,，;；/|]", rec["categories"]) if c.strip()})
    )
    rec.update(
        row=row,
        student_id=sid,
        id_masked=mask_id(rec["id_number"]),
        problems=tuple(problems),
        _id_ok=id_ok,
    )
    return rec


def _FORM_OK(chk) -> bool:
    # a number is usable as an identity when its form and checksum are right
    return not any(
        p.startswith(("身份证号格式", "校验码", "身份证号中的出生日期")) for p in chk.problems
    )


def _level(text: str, student_number: str, graduating: str) -> str | None:
    t = text.strip()
    if not t:
        return "middle" if (student_number or graduating) else "primary"
    if any(k in t for k in ("小学", "一年级", "幼升小", "primary")):
        return "primary"
    if any(k in t for k in ("初中", "七年级", "初一", "小升初", "middle")):
        return "middle"
    return None


def row_problems(applicants: pd.DataFrame) -> list[str]:
    """Every problem of an applicant table as one Chinese line per row (IDs masked).

    >>> from geo_enroll.datasets import toy_students
    >>> raw = toy_students()
    >>> raw.loc[0, "身份证号"] = "12345"
    >>> raw.loc[1, "出生日期"] = "2017-01-01"
    >>> raw = pd.concat([raw, raw.iloc[[2]]], ignore_index=True)
    >>> for line in row_problems(read_applicants(raw)):
    ...     print(line.split(" (")[0])
    第2行（*****）：身份证号格式错误：应为18位（17位数字+数字或X），实际5个字符
    第3行（999999********004X）：出生日期2017-01-01与身份证号中的2018-04-02不一致
    第4行（999999********0071）：与第32行是同一申请人（身份证号重复）
    第32行（999999********0071）：与第4行是同一申请人（身份证号重复）
    """
    lines = []
    for rec in applicants.sort_values("row").to_dict("records"):
        msgs = list(rec["problems"])
        if rec["duplicate_of"]:
            others = "、".join(f"第{r}行" for r in rec["duplicate_of"])
            msgs.append(f"与{others}是同一申请人（身份证号重复） (same applicant in several rows)")
        for m in msgs:
            lines.append(f"第{rec['row']}行（{rec['id_masked']}）：{m}")
    return lines
