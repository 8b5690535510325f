"""ID numbers: GB 11643 checksum, date/sex consistency, masking, synthetic numbers."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from geo_enroll.placement.idcard import check_digit, check_id, mask_id, synth_id


def test_known_checksum_from_the_standard():
    # the worked example of GB 11643-1999 (Beijing 朝阳区, 1949-12-31, female)
    assert check_digit("11010519491231002") == "X"
    r = check_id("11010519491231002x")
    assert r.ok and r.sex == "女" and r.birth_date == dt.date(1949, 12, 31)


@settings(max_examples=60, deadline=None)
@given(
    born=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2024, 12, 31)),
    seq=st.integers(0, 999),
    pos=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_synthetic_ids_are_valid_and_any_single_digit_error_is_caught(born, seq, pos, delta):
    n = synth_id("152527", born, seq)
    r = check_id(n, birth_date=born, sex="男" if seq % 2 else "女")
    assert r.ok, r.problems
    bad = n[:pos] + str((int(n[pos]) + delta) % 10) + n[pos + 1 :]
    assert not check_id(bad).ok  # MOD 11-2 detects every single-digit substitution


def test_contradictions_are_all_reported_at_once():
    n = synth_id("152527", "2018-05-04", 101)  # a boy
    r = check_id(n, birth_date="2018-05-05", sex="女")
    assert not r.ok and len(r.problems) == 2
    assert all(n not in p for p in r.problems)  # the full number never appears in a message


def test_malformed_numbers():
    for bad in ("", "1525272018", "15252720180504101A", "152527201802301015"):
        r = check_id(bad)
        assert not r.ok and r.problems


def test_mask_keeps_region_and_last_four():
    n = synth_id("152527", "2018-05-04", 101)
    m = mask_id(n)
    assert m.startswith("152527") and m.endswith(n[-4:]) and m[6:14] == "*" * 8
