"""Rate limits and login backoff shared by the server's processes (``serve --workers N``).

The in-memory limiter of one process would give a client N times its allowance when N
processes answer it; these check the shared one gives exactly one allowance, never looser than
the exact sliding window, and keeps no address or account name in its file."""

from __future__ import annotations

import multiprocessing
import random

import pytest
from werkzeug.exceptions import TooManyRequests

from web.ratelimit import (
    LoginBackoff,
    SharedLoginBackoff,
    SharedRateLimiter,
    create_shared,
)


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def throttle(tmp_path):
    path = tmp_path / "throttle.sqlite"
    create_shared(path)
    return path


def _allowed(limiter, bucket="lookup", *, limit, client="10.0.0.1") -> bool:
    try:
        limiter.hit(bucket, limit=limit, client=client)
    except TooManyRequests:
        return False
    return True


def test_two_limiters_on_one_file_share_one_allowance(throttle):
    clock = Clock()
    one, two = SharedRateLimiter(throttle, clock=clock), SharedRateLimiter(throttle, clock=clock)
    got = [_allowed((one, two)[i % 2], limit=5) for i in range(12)]
    assert got == [True] * 5 + [False] * 7
    # another client and another bucket have their own allowance
    assert _allowed(one, limit=5, client="10.0.0.2")
    assert _allowed(two, "login", limit=5)
    clock.t += 61.0  # the window has passed
    assert _allowed(two, limit=5)


def test_retry_after_is_when_the_oldest_counted_hit_leaves_the_window(throttle):
    clock = Clock(1000.25)
    lim = SharedRateLimiter(throttle, clock=clock)
    assert _allowed(lim, limit=1)
    clock.t = 1030.0
    with pytest.raises(TooManyRequests) as info:
        lim.hit("lookup", limit=1, client="10.0.0.1")
    # the hit at 1000.25 lies in the slot [1000, 1001): counted until 1061
    assert info.value.retry_after == 31
    clock.t = 1060.9
    assert not _allowed(lim, limit=1)
    clock.t = 1061.0
    assert _allowed(lim, limit=1)


@pytest.mark.parametrize("seed", range(5))
def test_never_looser_than_the_exact_window_and_at_most_one_slot_stricter(throttle, seed):
    rng = random.Random(seed)
    clock = Clock(5000.0)
    lim = SharedRateLimiter(throttle, clock=clock)
    limit, window, slot = 7, lim.window, lim.window / lim.SLOTS
    accepted, refused = [], []
    for _ in range(600):
        clock.t += rng.expovariate(1 / 3.0)  # bursts and gaps around the limit's rate
        (accepted if _allowed(lim, limit=limit) else refused).append(clock.t)
    assert accepted and refused
    for t in accepted:  # never looser: no window ever holds more than the limit
        assert sum(1 for a in accepted if t - window < a <= t) <= limit
    for t in refused:  # refused only when the window stretched by one slot is full
        assert sum(1 for a in accepted if t - window - slot < a <= t) >= limit


def test_the_file_keeps_no_address_or_account_name(throttle):
    lim, backoff = SharedRateLimiter(throttle), SharedLoginBackoff(throttle)
    lim.hit("login", limit=10, client="203.0.113.77 zhang.san")
    backoff.failed("zhang.san")
    raw = b"".join(
        throttle.parent.joinpath(n).read_bytes()
        for n in ("throttle.sqlite", "throttle.sqlite-wal")
        if throttle.parent.joinpath(n).exists()
    )
    assert b"203.0.113.77" not in raw and b"zhang.san" not in raw
    assert oct(throttle.stat().st_mode & 0o777) == "0o600"


def test_a_new_start_forgets_the_old_windows_and_key(throttle):
    lim = SharedRateLimiter(throttle)
    assert _allowed(lim, limit=1) and not _allowed(lim, limit=1)
    create_shared(throttle)  # the next start of the server
    assert _allowed(SharedRateLimiter(throttle), limit=1)


def test_shared_backoff_counts_failures_from_every_process(throttle):
    clock = Clock()
    one = SharedLoginBackoff(throttle, after=3, cap=60, clock=clock)
    two = SharedLoginBackoff(throttle, after=3, cap=60, clock=clock)
    ref = LoginBackoff(after=3, cap=60, clock=clock)  # the one-process reference
    for i in range(6):
        (one, two)[i % 2].failed("admin")
        ref.failed("admin")
        assert one.wait("admin") == two.wait("admin") == ref.wait("admin")
    assert one.wait("admin") == 8 and one.wait("teacher") == 0
    clock.t += 8
    assert two.wait("admin") == 0
    two.succeeded("admin")
    one.failed("admin")
    assert one.wait("admin") == 0  # a success started the count again


def _hammer(path: str, n: int, out) -> None:
    lim = SharedRateLimiter(path)
    out.put(sum(_allowed(lim, limit=50, client="198.51.100.9") for _ in range(n)))


def test_real_processes_hitting_at_once_get_exactly_the_limit(throttle):
    """Four processes, 40 hits each at the same moment, one client: exactly 50 pass."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(str(throttle), 40, out)) for _ in range(4)]
    for p in procs:
        p.start()
    got = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sum(got) == 50, got


@pytest.mark.parametrize(("workers", "limit"), [(2, 20), (3, 10), (3, 2), (4, 1)])
def test_split_limits_never_admit_more_than_the_limit_in_all(throttle, workers, limit):
    """Each of the workers admits its share (limit // workers) from memory; a limit below the
    number of workers is counted exactly in the shared file.  However the hits are spread,
    the workers together admit at most ``limit``, and one worker at least its share."""
    from web.ratelimit import SplitRateLimiter

    clock = Clock()
    procs = [
        SplitRateLimiter(SharedRateLimiter(throttle, clock=clock), workers=workers, clock=clock)
        for _ in range(workers)
    ]
    rng = random.Random(workers * 100 + limit)
    got = [0] * workers
    for _ in range(5 * limit + 10):
        k = rng.randrange(workers)
        got[k] += _allowed(procs[k], limit=limit)
    assert sum(got) <= limit
    assert max(got) >= max(1, limit // workers) or limit < workers
    if limit < workers:
        assert sum(got) == limit  # exact in the file
    clock.t += 61.0
    assert _allowed(procs[0], limit=limit)  # a new window
