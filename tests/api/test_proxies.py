"""Who the client is (geoservice.api.proxies): the X-Forwarded-* chain read only from
trusted proxies, nearest hop first. The same middleware is exercised on a real server in
test_secure_defaults.py."""

from __future__ import annotations

import pytest

from geoservice.api.proxies import ProxyHeaders, default_hosts
from geoservice.settings import Settings


def resolve(client: str, trusted: str, **headers: str) -> dict:
    networks = Settings(trusted_proxies=trusted).proxy_networks()
    scope = {"type": "http", "client": (client, 5000), "scheme": "http",
             "headers": [(b"host", b"127.0.0.1:8000")] + [
                 (k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}
    return ProxyHeaders(None, networks).resolve(scope)  # type: ignore[arg-type]


@pytest.mark.parametrize(("client", "chain", "expected"), [
    ("10.0.0.5", "203.0.113.7", "203.0.113.7"),  # one trusted proxy
    ("10.0.0.5", "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two proxies
    ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ("10.0.0.5", "[2001:db8::2]:443", "2001:db8::2"),
    ("10.0.0.5", "nonsense, 203.0.113.7", "203.0.113.7"),
    ("10.0.0.5", "203.0.113.7, nonsense", "10.0.0.5"),  # an unreadable hop: stop there
    ("192.0.2.44", "203.0.113.7", "192.0.2.44"),  # not a trusted proxy: header ignored
    ("::ffff:10.0.0.5", "203.0.113.7", "203.0.113.7"),  # IPv4-mapped proxy address
])
def test_the_client_is_the_nearest_untrusted_hop(client, chain, expected):
    scope = resolve(client, "10.0.0.0/8", x_forwarded_for=chain)
    assert scope["client"][0] == expected
    assert all(not name.startswith(b"x-forwarded") for name, _ in scope["headers"])


def test_scheme_and_host_only_from_a_trusted_proxy():
    headers = {"x_forwarded_proto": "https", "x_forwarded_host": "carte.example.fr"}
    trusted = resolve("10.0.0.5", "10.0.0.0/8", **headers)
    assert trusted["scheme"] == "https"
    assert (b"host", b"carte.example.fr") in trusted["headers"]
    spoofed = resolve("192.0.2.44", "10.0.0.0/8", **headers)
    assert spoofed["scheme"] == "http"
    assert (b"host", b"127.0.0.1:8000") in spoofed["headers"]
    assert resolve("10.0.0.5", "", **headers)["scheme"] == "http"  # none trusted by default


def test_default_hosts_are_the_listening_address_and_loopback():
    assert default_hosts({"server": ("192.168.1.20", 8000)}) == [
        "localhost", "127.0.0.1", "[::1]", "192.168.1.20"]
    assert default_hosts({"server": ("2001:db8::5", 8000)})[-1] == "[2001:db8::5]"


def test_default_host_check_refuses_other_names_and_public_url_lifts_it(toulouse_settings):
    from fastapi.testclient import TestClient

    from geoservice.api.app import create_app

    with TestClient(create_app(toulouse_settings)) as local:
        assert local.get("/api").status_code == 200  # testserver: the listening name
        refused = local.get("/api", headers={"Host": "evil.example"})
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/problem+json")
    public = toulouse_settings.model_copy(update={"public_url": "https://carte.example.fr"})
    with TestClient(create_app(public)) as served:
        body = served.get("/api", headers={"Host": "evil.example"}).json()
    assert body["links"][0]["href"].startswith("https://carte.example.fr/")
