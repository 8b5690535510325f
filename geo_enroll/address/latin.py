"""Latin-script addresses (拉丁字母地址) for an imported real city outside China.

The Chinese parser refuses an address with no Chinese characters (``no_chinese``).  A real
imported map may be of any city, so :func:`parse_latin` reads the common European forms into
parts the geocoder can look up on that map's streets; it never decides where the address is::

    Annankatu 15, Helsinki            street + number, locality
    Annankatu 15 B 7, 00120 Helsinki  number with a letter and a flat, postcode + locality
    15 Main Street, Springfield       number first (English style)
    Stockmann, Helsinki               a named place, locality

>>> r = parse_latin("Annankatu 15 B 7, 00120 Helsinki")
>>> r["street"], r["house_number"], r["postcode"], r["locality"]
('Annankatu', '15B', '00120', ['Helsinki'])
>>> parse_latin("15 Main Street")["street"], parse_latin("Stockmann, Helsinki")["place"]
('Main Street', 'Stockmann')
>>> parse_latin("115.28,41.88") is None, parse_latin("北京") is None
(True, True)
>>> parse_latin("00120 Helsinki") is None  # a postcode is not a house number
True
>>> parse_latin("Annankatu 15 Espoo")["locality"], parse_latin("Annankatu 15 as. 7")["flat"]
(['Espoo'], 'as. 7')

"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["parse_latin", "latin_key"]

_NUMBER = r"\d{1,5}(?:\s?[A-Za-z](?![A-Za-z]))?(?:\s?[-–]\s?\d{1,5})?"
_STREET_FIRST = re.compile(
    rf"^(?P<street>[^\d,]*[^\W\d_][^\d,]*?)\s+(?P<number>{_NUMBER})(?:\s+(?P<tail>.+))?$"
)
# what may follow the number in its own part: a staircase and flat (A 5, B12, as. 3, 5)
_FLAT = re.compile(r"^(?:[A-Za-z]{1,3}\.?\s?\d{0,4}|\d{1,4})$")
_NUMBER_FIRST = re.compile(rf"^(?P<number>(?!0){_NUMBER})\s+(?P<street>[^\d,]*[^\W\d_][^\d,]*)$")
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}-?)?\d{4,6}$")
_POSTCODE_LEAD = re.compile(r"^((?:[A-Z]{1,2}-?)?\d{4,6})\s+(.+)$")


def latin_key(text: str) -> str:
    """A name folded for comparison: NFC, case-folded, spaces and dots removed.

    >>> latin_key("John Stenbergin  Ranta"), latin_key("Lönnrotinkatu")
    ('johnstenberginranta', 'lönnrotinkatu')
    """
    text = unicodedata.normalize("NFC", str(text or "")).casefold()
    return re.sub(r"[\s.'’\u00a0]+", "", text)


def parse_latin(text) -> dict | None:
    """Street, house number, postcode and locality of a Latin-script address, or None.

    Returns None when the text has Chinese characters or no letters, or is not one of the
    forms of the module docstring.  ``street`` is None for a named place (``place``); ``head``
    is the first comma-separated part as written (a place's name may end in digits).
    """
    if not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or any("\u4e00" <= c <= "\u9fff" for c in text):
        return None
    if not any(c.isalpha() for c in text):
        return None
    segments = [s.strip() for s in text.split(",") if s.strip()]
    if not segments:
        return None
    head, rest = segments[0], segments[1:]
    street = number = place = flat = None
    m = _STREET_FIRST.match(head) or _NUMBER_FIRST.match(head)
    if m:
        street = " ".join(m.group("street").split())
        number = re.sub(r"\s+", "", m.group("number")).upper()
        tail = (m.groupdict().get("tail") or "").strip()
        if tail and _FLAT.match(tail):
            flat = tail
        elif tail:  # Annankatu 15 Helsinki: a place after the number is a locality
            rest = [tail, *rest]
    elif re.search(r"\d", head):
        return None  # digits that are neither a house number nor a postcode
    else:
        place = " ".join(head.split())
    postcode, locality = None, []
    for seg in rest:
        lead = _POSTCODE_LEAD.match(seg)
        if lead:
            postcode, seg = lead.group(1), lead.group(2)
        elif _POSTCODE.match(seg):
            postcode, seg = seg, ""
        if seg:
            locality.append(" ".join(seg.split()))
    return {
        "head": " ".join(head.split()),
        "street": street,
        "house_number": number,
        "flat": flat,
        "place": place,
        "postcode": postcode,
        "locality": locality,
    }
