"""The rate-events part (RateEvents): failed logins and proposals counted per key, and the
store's salts, on both stores."""

from __future__ import annotations


def test_rate_events_are_counted_per_key_and_older_ones_forgotten(storage):
    storage.rates.hit("k")
    storage.rates.hit("k")
    assert len(storage.rates.hits("k", "2000-01-01")) == 2
    assert storage.rates.hits("other", "2000") == []


def test_login_failures_are_counted_per_key_and_cleared(storage):
    rates = storage.rates
    rates.add_login_failure(["compte:a@x.fr", "client:1"])
    rates.add_login_failure(["compte:a@x.fr"])
    assert len(rates.login_failures("compte:a@x.fr", "2000-01-01")) == 2
    assert len(rates.login_failures("client:1", "2000-01-01")) == 1
    assert rates.login_failures("compte:a@x.fr", "2999-01-01") == []  # older ones forgotten
    rates.clear_login_failures("client:1")
    assert rates.login_failures("client:1", "2000-01-01") == []


def test_a_secret_is_made_once_and_kept(storage):
    salt = storage.rates.secret("client-salt")
    assert len(salt) >= 32 and storage.rates.secret("client-salt") == salt
    assert storage.rates.secret("other") != salt
