"""Obtain the source files: from a mirror directory, or downloaded from the publishers."""

from __future__ import annotations

import fnmatch
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..errors import SourceDataError
from ..settings import Settings
from ..territory import Territory

MIRROR_FILES = {
    "qpv_2024": "qpv_2024_france.geojson",
    "qpv_2015": "qpv_occitanie_2015.geojson",
    "indicators": "qpv_indicateurs_occitanie.csv",
    "indicators_2024": "qpv_2024_indicateurs.csv",
}
QPV_MEMBER = "*_WGS84.geojson"


@dataclass(frozen=True)
class Obtained:
    """A local copy of one source and where it came from."""

    path: Path
    origin: str

    def record(self) -> dict:
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return {"origin": self.origin, "sha256": digest}


class Fetcher:
    """Knows where each source lives for the given settings and territory."""

    def __init__(self, settings: Settings, territory: Territory, workdir: Path) -> None:
        self.settings = settings
        self.territory = territory
        self.workdir = workdir
        self.mirror = settings.mirror
        if self.mirror is not None and not self.mirror.is_dir():
            raise SourceDataError(f"dossier miroir introuvable : {self.mirror}")

    # -- public: one method per source; None means "no source configured" ----------------

    def qpv_2024(self) -> Obtained:
        if self.mirror is not None:
            return self._mirror_file(MIRROR_FILES["qpv_2024"])
        return self._qpv_from_datagouv()

    def qpv_2015(self) -> Obtained | None:
        return self._mirror_or_url(MIRROR_FILES["qpv_2015"], self.settings.qpv2015_url)

    def indicators(self) -> Obtained | None:
        return self._mirror_or_url(MIRROR_FILES["indicators"], self.settings.indicators_url)

    def indicators_2024(self) -> Obtained | None:
        """INSEE's indicators on the QPV 2024 perimeters: optional (the 2015 carry-over is
        the fallback), read from the mirror when the file is there, else from the URL."""
        return self.open_data(MIRROR_FILES["indicators_2024"],
                              self.settings.qpv2024_indicators_url)

    def communes(self) -> Obtained:
        if self.mirror is not None:
            return self._mirror_file(self.territory.communes_file)
        base = self.settings.geo_api.rstrip("/")
        url = (f"{base}/epcis/{self.territory.epci}/communes"
               "?format=geojson&geometry=contour&fields=code,nom")
        return self._download(url, "communes.geojson")

    def stations(self) -> Obtained | None:
        name = self.territory.stations_file
        if self.mirror is not None:
            return self._mirror_file(name) if name else None
        return self._download(self.settings.stations_url, "stations.geojson") if (
            self.settings.stations_url) else None

    def open_data(self, name: str, url: str | None) -> Obtained | None:
        """An open ESS file (``ess/…`` in the mirror); None when it cannot be obtained
        (not mirrored, or no publisher URL): that source is then skipped, and said so."""
        if self.mirror is not None:
            return self._mirror_file(name) if (self.mirror / name).is_file() else None
        return self._download(url, Path(name).name) if url else None

    # -- helpers ---------------------------------------------------------------------------

    def _mirror_file(self, name: str) -> Obtained:
        assert self.mirror is not None
        path = self.mirror / name
        if not path.is_file():
            raise SourceDataError(f"fichier absent du miroir : {path}")
        return Obtained(path, f"miroir/{name}")  # no server path leaks to clients

    def _mirror_or_url(self, name: str, url: str | None) -> Obtained | None:
        if self.mirror is not None:
            return self._mirror_file(name)
        return self._download(url, Path(url).name or name) if url else None

    def _get(self, url: str) -> httpx.Response:
        try:
            response = httpx.get(url, timeout=self.settings.http_timeout, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SourceDataError(f"téléchargement impossible : {url} ({exc})") from exc
        return response

    def _download(self, url: str, name: str) -> Obtained:
        target = self.workdir / name
        target.write_bytes(self._get(url).content)
        return Obtained(target, url)

    def _qpv_from_datagouv(self) -> Obtained:
        api = self.settings.datagouv_api.rstrip("/")
        meta_url = f"{api}/datasets/{self.settings.qpv_dataset}/"
        try:
            resources = self._get(meta_url).json().get("resources", [])
        except ValueError as exc:
            raise SourceDataError(f"réponse non JSON de {meta_url}") from exc
        wanted = self.settings.qpv_resource
        match = [r for r in resources
                 if r.get("title") == wanted or str(r.get("url", "")).endswith("/" + wanted)]
        if not match:
            raise SourceDataError(f"ressource {wanted} absente du jeu de données {meta_url}")
        archive = self._download(match[0]["url"], wanted)
        try:
            with zipfile.ZipFile(archive.path) as zf:
                members = [m for m in zf.namelist() if fnmatch.fnmatch(Path(m).name, QPV_MEMBER)]
                if not members:
                    raise SourceDataError(f"{wanted} : aucun fichier {QPV_MEMBER} dans l'archive")
                target = self.workdir / Path(members[0]).name
                target.write_bytes(zf.read(members[0]))
        except zipfile.BadZipFile as exc:
            raise SourceDataError(f"{wanted} : archive ZIP invalide") from exc
        return Obtained(target, f"{match[0]['url']}#{Path(members[0]).name}")
