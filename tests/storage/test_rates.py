"""The rate-limits part (RateEvents): short-lived counters taken atomically before the work
they guard, forgotten when they end, and the store's salts, on both stores."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from geoservice.storage.base import stamp


def _until(seconds: float) -> str:
    return stamp(datetime.now(UTC) + timedelta(seconds=seconds))


def test_take_counts_each_key_until_its_limit(storage):
    rates = storage.rates
    until = _until(600)
    assert rates.take({"a": 2, "b": 5}, until) is None
    assert rates.take({"a": 2, "b": 5}, until) is None
    refused = rates.take({"a": 2, "b": 5}, until)
    assert refused is not None and refused[0] == "a" and len(refused[1]) == 2
    assert len(rates.counted("a")) == 2 and len(rates.counted("b")) == 2  # nothing counted
    assert rates.take({"b": 5}, until) is None and len(rates.counted("b")) == 3
    rates.forget("b", last_only=True)
    assert len(rates.counted("b")) == 2
    rates.forget("a")
    assert rates.counted("a") == [] and rates.take({"a": 2}, until) is None


def test_events_are_forgotten_when_they_end(storage):
    rates = storage.rates
    assert rates.take({"k": 1}, _until(-1)) is None  # already ended
    assert rates.counted("k") == []
    assert rates.take({"k": 1}, _until(600)) is None  # the ended one is not counted
    assert rates.take({"k": 1}, _until(600)) is not None


def test_simultaneous_takes_never_count_past_the_limit(storage):
    """40 threads take the same key at once (limit 5): exactly 5 are counted, on SQLite
    (one writer) and PostGIS (a lock per key) alike. Before: read, check, then insert in
    separate transactions let 33 of 100 logins through a limit of 5."""
    until = _until(600)
    start = threading.Barrier(40)

    def one(_: int) -> bool:
        start.wait()
        return storage.rates.take({"compte:x@example.fr": 5, "global": 1000}, until) is None

    with ThreadPoolExecutor(40) as pool:
        taken = list(pool.map(one, range(40)))
    assert sum(taken) == 5
    assert len(storage.rates.counted("compte:x@example.fr")) == 5
    assert len(storage.rates.counted("global")) == 5


def test_a_secret_is_made_once_and_kept(storage):
    salt = storage.rates.secret("client-salt")
    assert len(salt) >= 32 and storage.rates.secret("client-salt") == salt
    assert storage.rates.secret("other") != salt
