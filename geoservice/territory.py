"""The territory an instance serves: an EPCI and its communes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from .errors import ConfigError


@dataclass(frozen=True)
class Territory:
    id: str
    nom: str
    epci: str
    departement: str
    communes: tuple[str, ...]
    communes_file: str
    stations_file: str | None
    tisseo_dir: str | None
    urban_rail: tuple[str, ...] = ()
    """Train stations served within the urban fare (names as in the stations layer)."""
    urban_rail_line: str | None = None
    urban_rail_source: str | None = None

    def meets(self, insee_codes: str | None) -> bool:
        """True when one of the comma-separated INSEE codes is a commune of the territory."""
        if not insee_codes:
            return False
        return any(code.strip() in self.communes for code in str(insee_codes).split(","))


@cache
def _all() -> dict[str, dict]:
    text = resources.files("geoservice").joinpath("territories.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def territory_ids() -> list[str]:
    return sorted(_all())


def get_territory(territory_id: str) -> Territory:
    data = _all().get(territory_id)
    if data is None:
        raise ConfigError(
            f"Territoire inconnu : « {territory_id} ». Territoires disponibles : "
            + ", ".join(territory_ids())
        )
    return Territory(
        id=territory_id,
        nom=data["nom"],
        epci=data["epci"],
        departement=data["departement"],
        communes=tuple(data["communes"]),
        communes_file=data["communes_file"],
        stations_file=data.get("stations_file"),
        tisseo_dir=data.get("tisseo_dir"),
        urban_rail=tuple((data.get("urban_rail") or {}).get("stations") or ()),
        urban_rail_line=(data.get("urban_rail") or {}).get("line"),
        urban_rail_source=(data.get("urban_rail") or {}).get("source"),
    )
