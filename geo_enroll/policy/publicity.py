"""Policy facts for the public and the staff: who signs the notices (发文/落款), the published
phones, what each timeline step is, the schools' reporting deadlines, and the procedures the
text names that placement leaves to staff.  Read by :func:`geo_enroll.policy.facts.extract_facts`.

>>> timeline_kind("各中小学发放新生入学通知书")
'notice_issue'
"""

from __future__ import annotations

import re

from .grammar import CN, split_top

__all__ = ["timeline_kind"]


def _src(text: str, line: int, at: int | None = None) -> dict:
    """Source of a fact: the sentence of ``text`` containing position ``at`` (whole line if None)."""
    if at is not None:
        start = max(text.rfind(ch, 0, at) for ch in "。；;") + 1
        ends = [i for i in (text.find(ch, at) for ch in "。；;") if i >= 0]
        end = min(ends) + 1 if ends else len(text)
        text = text[start:end]
    return {"text": text.strip(), "line": line}


_AUTHORITY = r"(?:教育体育局|教育和体育局|教育科技局|教育委员会|教育局|教体局|教委)"
_LEVEL_CHARS = "省市区县旗州盟"


def _issuer(lines: list[str], jurisdiction: str | None) -> dict | None:
    """The education authority that issues the notices (发文/落款 body).

    First a signature line (落款: a line that is only the authority's name, as under the notice
    template 附件3 ``太仆寺旗教育局``); else the authority the text names most often with the
    jurisdiction's own level (``区教委`` in a 区 text → ``延庆区教委``; 市教委 is the city's).

    >>> _issuer(["请持申请到我处办理", "　　某某县教育局", "2024年*月*日"], "某某县")["name"]
    '某某县教育局'
    >>> _issuer(["向区教委提出书面申请", "市教委继续实行", "到区教委登记"], "延庆区")["name"]
    '延庆区教委'
    >>> _issuer(["没有发文机关"], "某某县") is None
    True
    """
    j = str(jurisdiction or "")
    sign = re.compile(rf"^(?P<name>[{CN}]{{0,12}}{_AUTHORITY})$")
    for idx, raw in enumerate(lines, start=1):
        m = sign.match(raw.strip().replace("　", ""))
        if m and (not j or m["name"].startswith(j) or m["name"][0] in _LEVEL_CHARS):
            name = m["name"] if m["name"].startswith(j) or not j else j + m["name"][1:]
            return {"name": name, "source": {"text": raw.strip(), "line": idx}}
    if not j or j[-1] not in _LEVEL_CHARS:
        return None
    counts: dict[str, list] = {}
    for idx, raw in enumerate(lines, start=1):
        for m in re.finditer(rf"(?P<pre>[{CN}]?)(?P<lvl>[{_LEVEL_CHARS}])(?P<a>{_AUTHORITY})", raw):
            if m["lvl"] != j[-1] or (
                m["pre"]
                and not j[:-1].endswith(m["pre"])
                and m["pre"] not in "的到向由经和与及、，将"
            ):
                continue
            counts.setdefault(m["a"], []).append(_src(raw.strip(), idx, m.start("a")))
    if not counts:
        return None
    best = max(sorted(counts), key=lambda a: len(counts[a]))
    return {"name": j + best, "source": counts[best][0]}


_CONTACT = re.compile(
    rf"(?P<name>[{CN}]{{0,12}}?)(?P<kind>咨询|监督|举报|投诉)(?:、(?:咨询|监督|举报|投诉))?电话"
    r"[为是]?[：:]\s*(?P<phone>(?:\d{3,4}[-－—]?)?\d{7,8}(?:[、，,/]\s*(?:\d{3,4}[-－—]?)?\d{7,8})*)"
)


def _contacts(lines: list[str]) -> list[dict]:
    """Consultation (咨询) and supervision (监督/举报/投诉) phone numbers, as published.

    >>> [(c["kind"], c["name"], c["phone"]) for c in _contacts(["小学入学咨询电话：69102029",
    ...  "监督电话：69102378", "并公开咨询电话。咨询电话：0479-5750789。"])]
    [('consultation', '小学入学咨询电话', '69102029'), ('supervision', '监督电话', '69102378'), ('consultation', '咨询电话', '0479-5750789')]
    """
    out, seen = [], set()
    for idx, raw in enumerate(lines, start=1):
        line = raw.strip()
        for m in _CONTACT.finditer(line):
            kind = "consultation" if m["kind"] == "咨询" else "supervision"
            name = (m["name"] + m["kind"] + "电话").lstrip("，。；、并公开")
            for phone in re.split(r"[、，,/]\s*", m["phone"]):
                if (kind, phone) in seen:
                    continue
                seen.add((kind, phone))
                out.append(
                    {
                        "kind": kind,
                        "name": name,
                        "phone": phone,
                        "source": _src(line, idx, m.start()),
                    }
                )
    return out


_RELATIVE_DEADLINE = re.compile(
    r"第[一二三两\d]+天|[一二三两四五六七八九十\d]+(?:个)?(?:周|日|天|工作日)内|开学[^，。；]{0,4}内|次日"
)


def _reporting(lines: list[str]) -> list[dict]:
    """Reporting deadlines for schools (附件2 注明: 报到第二天及时上报…；开学2周内上报电子版).

    >>> [r["text"] for r in _reporting(["3.报到第二天及时上报报到情况；各学校开学2周内上报电子版",
    ...                                 "按照“周核实，月上报”原则对辍学情况汇总上报"])]
    ['3.报到第二天及时上报报到情况', '各学校开学2周内上报电子版']
    """
    out = []
    for idx, raw in enumerate(lines, start=1):
        line = raw.strip()
        if "上报" not in line or "辍学" in line:
            continue
        for sentence in split_top(line, "。；;"):
            if "上报" in sentence and _RELATIVE_DEADLINE.search(sentence):
                out.append({"text": sentence.strip(), "line": idx})
    return out


_NOT_MODELLED = (
    ("校额到校", r"校额到校"),
    ("回区/外区就读申请", r"回户口所在区|到户口或家庭实际居住地所在区|到本市其他区就读|外区就读"),
)


def _not_modelled(lines: list[str]) -> list[dict]:
    """Procedures the text names that the engine does not place (shown as informational).

    >>> [x["topic"] for x in _not_modelled(["市教委继续实行校额到校招生政策", "到本市其他区就读初中的"])]
    ['校额到校', '回区/外区就读申请']
    """
    out, seen = [], set()
    for idx, raw in enumerate(lines, start=1):
        for topic, pat in _NOT_MODELLED:
            m = re.search(pat, raw)
            if m and topic not in seen:
                seen.add(topic)
                src = _src(raw.strip(), idx, m.start() - (len(raw) - len(raw.lstrip())))
                out.append({"topic": topic, "text": src["text"], "line": idx})
    return out


_TIMELINE_KINDS = (
    ("notice_issue", r"通知书"),
    ("deferral", r"缓学|延缓入学"),
    ("registration", r"学籍"),
    ("review", r"审核|核对|核查|材料"),
    ("application", r"申请|申报|信息采集|登记"),
    ("publicity", r"宣传|公布|公示|开通"),
)


def timeline_kind(text: str) -> str:
    """What a timeline step is: ``notice_issue`` (发放入学通知书), ``deferral``, ``registration``
    (学籍), ``review`` (审核), ``application``, ``publicity`` or ``other``.

    >>> timeline_kind("打印、发放幼升小、小升初入学通知书。"), timeline_kind("缓学学生办理缓学手续。")
    ('notice_issue', 'deferral')
    """
    for kind, pat in _TIMELINE_KINDS:
        if re.search(pat, str(text or "")):
            return kind
    return "other"
