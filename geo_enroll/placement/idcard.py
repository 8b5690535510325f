"""Resident identity card numbers (公民身份号码, GB 11643-1999): check, mask, synthesise.

An 18-character number is ``RRRRRR YYYYMMDD SSS C``: a 6-digit region code (the county where
the number was issued), the birth date, a 3-digit sequence whose parity gives the sex (odd =
male 男, even = female 女) and a check character computed with ISO 7064 MOD 11-2 over the first
17 digits (``X`` stands for 10).

Numbers are personal data: this module never logs them; :func:`mask_id` is the only form that
may appear in a message (``152527********1234``).

>>> n = synth_id("152527", "2018-05-04", 101)
>>> check_id(n).ok
True
>>> mask_id(n)
'152527********1014'
>>> check_id(n[:-1] + ("0" if n[-1] != "0" else "1")).problems[0].startswith("校验码")
True
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

__all__ = [
    "IdCheck",
    "check_digit",
    "check_id",
    "mask_id",
    "synth_id",
]

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK = "10X98765432"
_FORM = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character of the first 17 digits.

    >>> check_digit("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


@dataclass(frozen=True)
class IdCheck:
    """The result of :func:`check_id`.

    Attributes
    ----------
    ok : bool
        True when the number is well formed and consistent with the given columns.
    number : str or None
        The normalised number (upper-case ``X``, no spaces) when it has 18 characters.
    birth_date : datetime.date or None
        Birth date encoded in the number (when it is a real date).
    sex : str or None
        ``"男"`` or ``"女"`` from the sequence code's parity.
    region : str or None
        The 6-digit region code.
    problems : list of str
        Every problem found, in Chinese, never containing the full number.
    """

    ok: bool
    number: str | None = None
    birth_date: _dt.date | None = None
    sex: str | None = None
    region: str | None = None
    problems: list[str] = field(default_factory=list)


def _normalise(number: object) -> str:
    text = "" if number is None else str(number)
    text = text.strip().replace(" ", "").replace("\u3000", "").upper()
    return text.replace("Ｘ", "X")


def check_id(
    number: object,
    *,
    birth_date: _dt.date | str | None = None,
    sex: str | None = None,
) -> IdCheck:
    """Check a number's form, date, checksum and consistency with other columns.

    Parameters
    ----------
    number : str
        The ID number as written (spaces and a lower-case ``x`` are tolerated).
    birth_date : date or ISO str, optional
        The applicant table's 出生日期; a contradiction is a problem.
    sex : str, optional
        The table's 性别 (``男``/``女``, ``M``/``F``); a contradiction is a problem.

    Returns
    -------
    IdCheck

    Examples
    --------
    >>> r = check_id("11010519491231002X", birth_date="1949-12-30", sex="男")
    >>> r.ok, len(r.problems)
    (False, 2)
    """
    text = _normalise(number)
    problems: list[str] = []
    if not text:
        return IdCheck(False, problems=["身份证号为空 (ID number missing)"])
    if not _FORM.match(text):
        return IdCheck(
            False,
            problems=[
                f"身份证号格式错误：应为18位（17位数字+数字或X），实际{len(text)}个字符 "
                f"(ID number must be 17 digits + digit/X; got {len(text)} characters)"
            ],
        )
    region, born, seq = text[:6], text[6:14], text[14:17]
    bdate: _dt.date | None
    try:
        bdate = _dt.date(int(born[:4]), int(born[4:6]), int(born[6:8]))
    except ValueError:
        bdate = None
        problems.append(f"身份证号中的出生日期{born}不是有效日期 (birth date in ID is not a date)")
    id_sex = "男" if int(seq) % 2 == 1 else "女"
    expected = check_digit(text[:17])
    if text[17] != expected:
        problems.append(f"校验码错误：{mask_id(text)} 末位应为{expected} (MOD 11-2 checksum fails)")
    if birth_date not in (None, "") and bdate is not None:
        given = _as_date(birth_date)
        if given is None:
            problems.append(f"出生日期“{birth_date}”无法识别 (birth date not understood)")
        elif given != bdate:
            problems.append(
                f"出生日期{given.isoformat()}与身份证号中的{bdate.isoformat()}不一致 "
                "(birth date contradicts the ID number)"
            )
    if sex not in (None, ""):
        given_sex = _as_sex(sex)
        if given_sex is None:
            problems.append(f"性别“{sex}”无法识别，应为男/女 (sex not understood)")
        elif given_sex != id_sex:
            problems.append(
                f"性别{given_sex}与身份证号（{id_sex}）不一致 (sex contradicts the ID number)"
            )
    return IdCheck(not problems, text, bdate, id_sex, region, problems)


def _as_date(value: object) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    m = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        m = re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if not m:
        return None
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _as_sex(value: object) -> str | None:
    text = str(value).strip().upper()
    if text in ("男", "M", "MALE", "1", "男性"):
        return "男"
    if text in ("女", "F", "FEMALE", "2", "女性"):
        return "女"
    return None


def mask_id(number: object) -> str:
    """Mask an ID number for display: region code, eight ``*``, last four characters.

    Short or malformed input is masked entirely except its length.

    >>> mask_id("152527201805041011")
    '152527********1011'
    >>> mask_id("12345")
    '*****'
    """
    text = _normalise(number)
    if len(text) == 18:
        return text[:6] + "*" * 8 + text[-4:]
    return "*" * len(text)


def synth_id(region: str, birth_date: _dt.date | str, sequence: int) -> str:
    """A synthetic, well-formed ID number (valid checksum) for test cohorts.

    Parameters
    ----------
    region : str
        6-digit region code (e.g. ``"152527"`` for 太仆寺旗).
    birth_date : date or ISO str
    sequence : int
        0-999; odd gives a boy (男), even a girl (女).

    The result is only *well formed*: it is not, and must not be used as, anyone's number.

    >>> synth_id("152527", "2018-01-02", 2)[-4:-1]
    '002'
    """
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError("region must be a 6-digit code")
    if not 0 <= int(sequence) <= 999:
        raise ValueError("sequence must be 0..999")
    bdate = _as_date(birth_date)
    if bdate is None:
        raise ValueError("birth_date must be a date")
    first17 = f"{region}{bdate:%Y%m%d}{int(sequence):03d}"
    return first17 + check_digit(first17)
