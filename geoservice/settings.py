"""One settings object (environment prefix ``GEOSERVICE_``), built by the app or the CLI."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
PUBLISHERS = "publishers"
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
TILE_PRESETS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "ign": ("https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
            "&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
            "Plan IGN v2 © IGN – Géoplateforme"),
}


class Settings(BaseSettings):
    """Runtime configuration.

    Examples
    --------
    >>> Settings(territoire="montpellier-mediterranee-metropole").store_path.name
    'store.sqlite'
    """

    model_config = SettingsConfigDict(env_prefix="GEOSERVICE_", extra="ignore")

    data_dir: Path = Field(REPO_ROOT / "var",
                           description="Embedded store folder (writable); the checkout's "
                           "var/ by default, whatever the current directory.")
    database_url: str | None = Field(
        None, description="postgresql://… to use PostGIS (several replicas) instead of the "
        "embedded SQLite store.")
    db_timeout: float = Field(
        2.0, gt=0, le=60, description="Seconds a request waits for a database connection "
        "(PostGIS) before answering 503 with Retry-After; a replica started while the "
        "database is down gives up after as long (serve --wait-db waits longer).")
    metrics: Literal["loopback", "open", "off"] = Field(
        "loopback", description="Who may read /metrics (Prometheus): 'loopback' (default: "
        "clients on this machine only, and never a request relayed by a proxy), 'open' "
        "(anyone: protect it at the proxy), 'off' (404).")
    refresh_interval: float = Field(
        0.5, ge=0, le=60, description="Seconds between two revision checks of a replica "
        "(0: never; the snapshot is then only refreshed by this process's own writes).")
    full_rebuild: bool = Field(
        False, description="Benchmarks only (bench/bench_edit_visible.py --full-rebuild): "
        "every revision reads and rebuilds the whole layer and warms every view, as before "
        "changed rows were applied.")
    sources: str = Field(
        PUBLISHERS,
        description="Where `data pull` reads: a mirror directory, or 'publishers' to download.",
    )
    territoire: str = "toulouse-metropole"
    layers_dir: Path = REPO_ROOT / "layers"
    static_dir: Path = REPO_ROOT / "static"

    default_limit: int = Field(100, ge=1)
    max_limit: int = Field(10_000, ge=1)
    lookup_max_rows: int = Field(100_000, ge=1)
    batch_concurrency: int = Field(
        2, ge=1, le=64, description="Batch lookups (POST /api/lookup) run at once; the "
        "others wait before reading their body (memory bound).")
    lookup_nearest: int = Field(3, ge=1, le=50)
    ring_m: float = Field(500.0, ge=0, le=5_000)
    max_count_drop: float = Field(
        0.5, ge=0, le=1, description="Largest share of a reference layer's features a pull "
        "may drop before it is refused (data loss guard; --allow-shrink lifts it).")
    max_repair_area_change: float = Field(
        0.01, gt=0, description="Largest share of area a geometry repair may change."
    )

    # Publishers (used when sources == 'publishers')
    datagouv_api: str = "https://www.data.gouv.fr/api/1"
    qpv_dataset: str = "quartiers-prioritaires-de-la-politique-de-la-ville-qpv"
    qpv_resource: str = "qpv-2024-geojson.zip"
    geo_api: str = "https://geo.api.gouv.fr"
    qpv2015_url: str | None = None
    indicators_url: str | None = None
    qpv2024_indicators_url: str | None = Field(
        None, description="CSV of INSEE's indicators on the QPV 2024 perimeters (insee.fr, "
        "statistiques des quartiers de la politique de la ville 2024), in the layout of "
        "docs/analyse.md (code_qp, pop_mun, tp60, tx_tot_empl, abcde); preferred to the 2015 "
        "carry-over wherever it has a value. With a mirror: qpv_2024_indicateurs.csv.")
    stations_url: str | None = None
    tisseo_stops_url: str | None = None
    fabt_url: str | None = Field(
        "https://raw.githubusercontent.com/anct-carto/superposeur-anct/949f7e5/data/geom/"
        "geojsonV2/fabt_geom.geojson", description="ANCT Fabriques de territoire (open data "
        "imported to be checked); the tiers-lieux 2019 and SIAE 2019 files are read from "
        "the mirror only.")
    manuprox_url: str | None = ("https://raw.githubusercontent.com/anct-carto/superposeur-anct/"
                                "949f7e5/data/geom/geojsonV2/manuprox_geom.geojson")
    http_timeout: float = 60.0

    public_url: str | None = Field(
        None, description="Public root URL (https://carte.example.fr): every link of the "
        "API is built from it, never from the request's Host header. Set it in production.")
    allowed_hosts: list[str] = Field(
        [], description="Host headers accepted besides the loopback names (others: 400); "
        "'*' accepts any. Empty (default): the address the service listens on, or any "
        "when public_url is set (links then never come from Host).")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks (CIDR) of the reverse "
        "proxies whose X-Forwarded-For/-Proto/-Host headers are believed; none by "
        "default (the headers are then ignored).")
    body_timeout: float = Field(
        30.0, gt=0, le=3600, description="Seconds a client has to send a request body, plus "
        "one per 64 KiB received (a slower one gets 408).")
    header_timeout: float = Field(
        10.0, gt=0, le=600, description="Seconds a client has to send a request's headers "
        "once connected, or between two requests on one connection (else it is closed).")

    embed_origins: list[str] = Field(
        [], description="Sites allowed to show the light map /embed in a frame (CSP "
        "frame-ancestors), e.g. '[\"https://www.partenaire.fr\"]'; '*' allows any site. The "
        "full map is never framed by another site.")

    ban_url: str = "https://api-adresse.data.gouv.fr"
    import_sure_score: float = Field(
        0.8, ge=0, le=1, description="CSV imports: lowest BAN score of a « sure » row (below: "
        "to review).")
    import_sure_gap: float = Field(
        0.1, ge=0, le=1, description="CSV imports: smallest lead of the best BAN candidate "
        "over the runner-up (result_score_next) for a « sure » row.")
    tiles: str = Field("osm", description="Background: 'osm' (OpenStreetMap), 'ign' (Plan "
                       "IGN v2, Géoplateforme, no key), or 'custom' (tiles_url).")
    tiles_url: str | None = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tiles_attribution: str = "© OpenStreetMap contributors"

    # Browser logins (API clients use bearer tokens: `geoservice tokens create`)
    password_login: bool = Field(
        True, description="Local password login (argon2id; `users add --password`), for "
        "small installations without an OpenID Connect provider.")
    oidc_issuer: str | None = Field(
        None, description="OpenID Connect provider (https://auth.agentconnect.gouv.fr/api/v2 "
        "for ProConnect, or any standard provider): its discovery document is read from "
        "ISSUER/.well-known/openid-configuration.")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid email"
    oidc_label: str = Field("ProConnect", description="Name of the provider on the login "
                            "button.")
    session_hours: float = Field(8.0, gt=0, le=24 * 30,
                                 description="Lifetime of a browser session.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins allowed per account (and 4× that per client) "
        "within login_window_minutes; further attempts get 429.")
    login_window_minutes: float = Field(15.0, gt=0)

    # Residents' proposals and problem reports (POST /api/proposals, no account)
    proposals_per_hour: int = Field(
        20, ge=1, description="Proposals and problem reports accepted per client (an IPv4 "
        "address or an IPv6 /64, counted by a salted hash kept one hour) per hour; further "
        "ones get 429 with Retry-After.")
    proposals_global_per_hour: int = Field(
        200, ge=1, description="Proposals and problem reports accepted per hour from all "
        "clients together (a flood from many addresses); further ones get 429.")
    proposal_contact_days: float = Field(
        90.0, gt=0, description="Days after which a proposer's contact is erased (it is "
        "shown to moderators only, never published nor exported).")

    # Agenda (geoservice/agenda/): the iCalendar feed and partners' calendars
    agenda_domain: str | None = Field(
        None, description="Domain of the events' iCalendar UIDs (evenements-ID@DOMAIN): the "
        "same on every replica. Default: the host of public_url, else "
        "TERRITOIRE.geoservice.invalid. Never change it once calendars subscribe.")
    agenda_sources: Path | None = Field(
        None, description="YAML listing partners' calendars (name, url, format ics or "
        "openagenda, trusted, pull): `geoservice agenda pull` imports the ones to pull; "
        "events from a trusted source are published as verified. Default: "
        "DATA_DIR/agenda_sources.yaml when it exists.")

    @property
    def uid_domain(self) -> str:
        """The domain of the agenda's UIDs (:attr:`agenda_domain`)."""
        if self.agenda_domain:
            return self.agenda_domain
        if self.public_url:
            from urllib.parse import urlsplit

            host = urlsplit(self.public_url).hostname
            if host:
                return host
        return f"{self.territoire}.geoservice.invalid"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @model_validator(mode="after")
    def _tiles(self) -> Settings:
        preset = TILE_PRESETS.get(self.tiles)
        if preset is None and self.tiles != "custom":
            raise ValueError(f"tiles must be one of {', '.join(TILE_PRESETS)}, custom")
        if preset is not None and self.tiles != "osm" and self.tiles_url:
            self.tiles_url, self.tiles_attribution = preset
        return self

    @model_validator(mode="after")
    def _proxies(self) -> Settings:
        self.proxy_networks()  # a mistyped address fails at start, in French
        return self

    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``trusted_proxies`` read: ``"10.0.0.1, 192.168.0.0/16, ::1"`` → networks."""
        out = []
        for part in (p.strip() for p in self.trusted_proxies.split(",")):
            if not part:
                continue
            try:
                out.append(ipaddress.ip_network(part.strip("[]"), strict=False))
            except ValueError as exc:
                raise ValueError(f"GEOSERVICE_TRUSTED_PROXIES : adresse ou réseau invalide : "
                                 f"« {part[:60]} » (ex. 127.0.0.1, 10.0.0.0/8, ::1)") from exc
        return out

    @model_validator(mode="after")
    def _embed_origins(self) -> Settings:
        for origin in self.embed_origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"GEOSERVICE_EMBED_ORIGINS : « {origin[:60]} » n'est pas une "
                                 "origine comme https://www.exemple.fr (schéma, hôte, port "
                                 "facultatif)")
        return self

    @model_validator(mode="after")
    def _limits(self) -> Settings:
        if self.default_limit > self.max_limit:
            raise ValueError("default_limit must be <= max_limit")
        return self

    @property
    def store_dir(self) -> Path:
        return self.data_dir / self.territoire

    @property
    def store_path(self) -> Path:
        return self.store_dir / "store.sqlite"

    @property
    def mirror(self) -> Path | None:
        """The mirror directory, or None when pulling from the publishers."""
        return None if self.sources == PUBLISHERS else Path(self.sources)
