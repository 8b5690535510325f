"""Admission notices (义务教育入学通知书) as one PDF per school, following 附件3 of the seed.

Each page holds the notice itself and, below a cut line, its stub (存根), with the child's
name, the masked ID number (152527********1234), 学籍号, 原学校标识码, 户籍住址, the school, the
date and the legal text of the template.  The CJK font is WenQuanYi Zen Hei when installed,
else reportlab's built-in STSong-Light CID font.

>>> pdf = notices_pdf([{"姓名": "王某某", "身份证号": "152527201801011234", "学籍号": "",
...                     "毕业学校标识码": "2115000403", "户籍地址": "太仆寺旗宝昌镇河沿街5组14号"}],
...                   school={"name": "第一小学"}, policy={"jurisdiction": "太仆寺旗", "year": 2024},
...                   issued="2024-08-01")
>>> pdf[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

__all__ = [
    "notices_pdf",
    "mask_id",
    "notice_date",
    "notice_issuer",
    "issuer_note",
    "LEGAL_TEXT",
    "FONT_PATH",
]

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

LEGAL_TEXT = (
    "根据《中华人民共和国义务教育法》和《{province}实施〈中华人民共和国义务教育法〉办法》"
    "有关规定，请务于{year}年秋季开学到 {school} 入学，接受义务教育。"
)
LEGAL_TEXT_NO_PROVINCE = "根据《中华人民共和国义务教育法》有关规定，请务于{year}年秋季开学到 {school} 入学，接受义务教育。"


def _province(policy: dict) -> str | None:
    """The province whose 实施办法 the notice cites: from ``policy.province`` or the county code.

    >>> _province({"county_code": "152527"}), _province({"county_code": "110119"})
    ('内蒙古自治区', '北京市')
    >>> _province({}) is None
    True
    """
    if policy.get("province"):
        return str(policy["province"])
    code = str(policy.get("county_code") or "")[:2]
    if len(code) != 2:
        return None
    from ..address.divisions import load_divisions

    unit = load_divisions().units.get(code)
    return unit.name if unit else None


def notice_issuer(policy: dict) -> str:
    """The body that signs the notices: ``policy.issuer`` as parsed from the text (发文/落款,
    reviewable in the spec: 太仆寺旗教育局 from 附件3, 延庆区教委 from 区教委).

    A spec without an issuer (the text names none, or an older spec) falls back to
    ``<jurisdiction>教育局``; :func:`issuer_note` says so on the staff page.

    >>> notice_issuer({"jurisdiction": "延庆区", "issuer": "延庆区教委"})
    '延庆区教委'
    >>> notice_issuer({"jurisdiction": "某县"}), issuer_note({"jurisdiction": "某县"})[:11]
    ('某县教育局', '政策规格中没有发文机关')
    """
    name = str(policy.get("issuer") or "").strip()
    return name or f"{policy.get('jurisdiction') or ''}教育局"


def issuer_note(policy: dict) -> str:
    """A warning for staff when the issuer is not read from the policy (else ``""``)."""
    if str(policy.get("issuer") or "").strip():
        return ""
    return (
        f"政策规格中没有发文机关（policy.issuer），通知书落款暂用“{notice_issuer(policy)}”，"
        "请核对后在规格中填写 (no issuer in the spec: the notices use a default; review it)"
    )


def notice_date(policy: dict, chosen=None) -> tuple[date, str]:
    """The date printed on the notices and where it comes from; never the server's clock.

    An explicit choice (a date or ``YYYY-MM-DD``) wins; else the first day of the policy's
    timeline step of kind ``notice_issue`` (发放入学通知书; a step whose text says 发放…通知书
    in a spec without kinds); else :class:`~geo_enroll.errors.InputError` asks for a date.

    >>> pol = {"timeline": [{"start": "2024-08-01", "end": "2024-08-15",
    ...        "text": "打印、发放幼升小、小升初入学通知书。", "line": 94, "kind": "notice_issue"}]}
    >>> notice_date(pol)
    (datetime.date(2024, 8, 1), '政策时间安排第94行：打印、发放幼升小、小升初入学通知书。')
    >>> notice_date(pol, "2024-08-05")
    (datetime.date(2024, 8, 5), '工作人员指定')
    """
    from ..errors import InputError

    if isinstance(chosen, date):
        return chosen, "工作人员指定"
    if chosen:
        try:
            return date.fromisoformat(str(chosen).strip()), "工作人员指定"
        except ValueError as exc:
            raise InputError(
                f"通知书日期“{str(chosen)[:20]}”格式不对，应为 YYYY-MM-DD，例如 2024-08-01 "
                "(date must be YYYY-MM-DD)"
            ) from exc
    for t in policy.get("timeline") or []:
        text = str(t.get("text") or "")
        kind = t.get("kind")
        if kind == "notice_issue" or (
            kind is None
            and "通知书" in text
            and any(k in text for k in ("发放", "发出", "下发", "发送"))
        ):
            day = t.get("start") or t.get("end")
            if day:
                return date.fromisoformat(day), f"政策时间安排第{t.get('line')}行：{text}"
    raise InputError(
        "政策中没有“发放入学通知书”的时间，请指定通知书日期（YYYY-MM-DD） "
        "(the policy gives no notice date: choose one)"
    )


SPECIAL_TEXT = (
    "如有特殊情况不能按时入学或者不能入学接受义务教育，请持申请和有关证明到我处办理"
    "延缓入学或者免予入学审批手续。"
)


def mask_id(value: str | None) -> str:
    """Mask an ID number (or a 学籍号 made of one) as 152527********1234.

    >>> mask_id("152527201801011234"), mask_id("G152527201801010001"), mask_id("")
    ('152527********1234', 'G152527********0001', '')
    """
    s = str(value or "").strip()
    m = re.fullmatch(r"([A-Za-z]?)(\d{17}[\dXx])", s)
    if m:
        d = m.group(2)
        return m.group(1) + d[:6] + "*" * 8 + d[-4:]
    if len(s) <= 10:
        return s
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


_FONT: str | None = None


def _font() -> str:
    global _FONT
    if _FONT is None:
        if FONT_PATH.exists():
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont("WQYZenHei", str(FONT_PATH), subfontIndex=0))
            _FONT = "WQYZenHei"
        else:
            from reportlab.pdfbase.cidfonts import UnicodeCIDFont

            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            _FONT = "STSong-Light"
    return _FONT


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, cur = [], ""
    for ch in text:
        if pdfmetrics.stringWidth(cur + ch, font, size) > width:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _block(
    c: canvas.Canvas,
    top: float,
    child: dict,
    *,
    school: str,
    year: int,
    issuer: str,
    issued: date,
    stub: bool,
    province: str | None = None,
) -> None:
    font = _font()
    left, width = 25 * mm, A4[0] - 50 * mm
    y = top
    title = "义务教育入学通知书存根" if stub else "义务教育入学通知书"
    c.setFont(font, 16)
    c.drawCentredString(A4[0] / 2, y, title)
    y -= 12 * mm
    c.setFont(font, 12)
    c.drawString(left, y, f"{child.get('姓名') or ''}   同学：")
    y -= 8 * mm
    c.drawString(
        left + 8 * mm,
        y,
        f"身份证号：{mask_id(child.get('身份证号'))}    "
        f"学籍号：{mask_id(child.get('学籍号')) or '—'}",
    )
    y -= 7 * mm
    c.drawString(left + 8 * mm, y, f"原学校标识码：{child.get('毕业学校标识码') or '—'}")
    y -= 7 * mm
    for line in _wrap(f"户籍住址：{child.get('户籍地址') or ''}", font, 12, width - 8 * mm):
        c.drawString(left + 8 * mm, y, line)
        y -= 7 * mm
    y -= 2 * mm
    body = (
        f"请务于{year}年秋季开学到 {school} 入学，接受义务教育。"
        if stub
        else (
            LEGAL_TEXT.format(year=year, school=school, province=province)
            if province
            else LEGAL_TEXT_NO_PROVINCE.format(year=year, school=school)
        )
    )
    paragraphs = [body] if stub else [body, SPECIAL_TEXT, "特此通知"]
    for para in paragraphs:
        for line in _wrap("　　" + para, font, 12, width):
            c.drawString(left, y, line)
            y -= 7 * mm
    y -= 4 * mm
    if not stub:
        c.drawRightString(left + width, y, issuer)
        y -= 7 * mm
    c.drawRightString(left + width, y, _cn_date(issued))


def notices_pdf(
    rows: list[dict],
    *,
    school: dict,
    policy: dict,
    issued: date | str | None = None,
    issuer: str | None = None,
) -> bytes:
    """One page per admitted child: the notice and its stub (附件3).

    Parameters
    ----------
    rows : list of dict
        Applicant rows with 姓名, 身份证号, 学籍号, 毕业学校标识码, 户籍地址.
    school : dict
        The admitting school (``name``).
    policy : dict
        The spec's ``policy`` (``jurisdiction``, ``year``).
    issued : date or str, optional
        Date printed on the notice; default :func:`notice_date` (the policy's 发放入学通知书
        step), never today.
    issuer : str, optional
        The signing body; default :func:`notice_issuer` (``policy.issuer``).
    """
    issued = notice_date(policy, issued)[0]
    year = int(policy.get("year") or issued.year)
    issuer = issuer or notice_issuer(policy)
    province = _province(policy)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"{school.get('name', '')} 义务教育入学通知书 {year}")
    c.setAuthor(issuer)
    font = _font()
    if not rows:
        c.setFont(font, 14)
        c.drawString(
            25 * mm, A4[1] - 30 * mm, f"{school.get('name', '')}：无录取学生 (no admitted children)"
        )
        c.showPage()
    for child in rows:
        _block(
            c,
            A4[1] - 25 * mm,
            child,
            school=school.get("name", ""),
            year=year,
            issuer=issuer,
            issued=issued,
            province=province,
            stub=False,
        )
        c.setDash(4, 4)
        c.line(15 * mm, A4[1] / 2 - 20 * mm, A4[0] - 15 * mm, A4[1] / 2 - 20 * mm)
        c.setDash()
        _block(
            c,
            A4[1] / 2 - 32 * mm,
            child,
            school=school.get("name", ""),
            year=year,
            issuer=issuer,
            issued=issued,
            province=province,
            stub=True,
        )
        c.showPage()
    c.save()
    return buf.getvalue()
