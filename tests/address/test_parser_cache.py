"""The parser of a table is built once per process, also when many threads ask at once."""

from __future__ import annotations

import threading
import time

from geo_enroll.address import parse as parse_mod
from geo_enroll.address.divisions import load_divisions


def test_concurrent_first_requests_build_once():
    built = []
    key = ("test-build", object(), None)

    def build():
        built.append(1)
        time.sleep(0.05)  # long enough for every thread to miss the cache together
        return object()

    start = threading.Barrier(8)
    got = []

    def ask():
        start.wait()
        got.append(parse_mod._build_once(key, build))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert len(got) == 8 and all(g is got[0] for g in got)


def test_warm_up_builds_the_parser_parse_address_uses():
    div = load_divisions()
    parse_mod.warm_up(div)
    before = parse_mod._parser(div, frozenset())
    assert parse_mod.parse_address("宝昌镇菜园村三社", divisions=div)["village"] == "菜园村"
    assert parse_mod._parser(div, frozenset()) is before


def test_at_most_four_of_a_kind_are_kept():
    keys = [("test-evict", object(), None) for _ in range(6)]
    values = [parse_mod._build_once(k, object) for k in keys]
    kept = [k for k in parse_mod._BUILT if k[0] == "test-evict"]
    assert kept == keys[-4:]
    assert parse_mod._build_once(keys[-1], object) is values[-1]
