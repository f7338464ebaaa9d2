# sync/ratelimit.py: token buckets and the failed sign-in throttle (times are given, not read).
# SPDX-License-Identifier: MIT
from sync.ratelimit import Throttle, TokenBuckets, address_key


def test_a_bucket_gives_its_capacity_then_its_rate():
    b = TokenBuckets(capacity=10, per_s=2)
    assert b.take("t", 10, now=0)
    assert not b.take("t", 1, now=0)
    assert b.wait_s("t", 4, now=0) == 2
    assert b.take("t", 4, now=2)
    assert not b.take("t", 1, now=2)
    assert b.take("other", 10, now=2)  # keys are independent


def test_a_refused_take_costs_nothing():
    b = TokenBuckets(capacity=10, per_s=0)
    assert not b.take("t", 11, now=0)
    assert b.take("t", 10, now=0)


def test_buckets_stay_bounded_when_an_attacker_invents_keys():
    b = TokenBuckets(capacity=10, per_s=1, max_keys=100)
    for i in range(10_000):
        b.take(("terminal", i), 5, now=i / 1000)
    assert len(b._buckets) <= 100


def test_throttle_per_name_then_per_address():
    t = Throttle(per_name=3, per_address=5, window_s=60)
    for _ in range(3):
        assert not t.blocked("10.0.0.1", "siti", now=0)
        t.failed("10.0.0.1", "siti", now=0)
    assert t.blocked("10.0.0.1", "SITI", now=1)  # names compare case-blind
    assert not t.blocked("10.0.0.2", "siti", now=1)  # another address may still try
    t.failed("10.0.0.1", "budi", now=1)
    t.failed("10.0.0.1", "ani", now=1)
    assert t.blocked("10.0.0.1", "someone-new", now=2)  # the address's own limit
    assert t.retry_after("10.0.0.1", "someone-new", now=2) == 59
    assert not t.blocked("10.0.0.1", "someone-new", now=61)  # the window has passed


def test_a_success_clears_its_pair_not_the_address():
    t = Throttle(per_name=2, per_address=3, window_s=60)
    t.failed("10.0.0.1", "siti", now=0)
    t.failed("10.0.0.1", "siti", now=0)
    t.succeeded("10.0.0.1", "siti")
    assert not t.blocked("10.0.0.1", "siti", now=0)
    t.failed("10.0.0.1", "budi", now=0)
    assert t.blocked("10.0.0.1", "siti", now=0)


def test_ipv6_clients_are_grouped_by_their_64():
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert address_key("10.0.0.1") == "10.0.0.1"
    t = Throttle(per_name=1, per_address=1, window_s=60)
    t.failed("2001:db8:1:2::1", "x", now=0)
    assert t.blocked("2001:db8:1:2::abcd", "y", now=0)
