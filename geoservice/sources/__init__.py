"""Readers, one module per publisher format. Each returns a GeoDataFrame in EPSG:4326
with the layer's properties, plus a small dict of facts for the provenance record."""

from .communes import read_communes
from .geometry import repair_polygons
from .qpv2015 import read_indicators, read_qpv_2015
from .qpv2024 import read_qpv_2024
from .stations import read_stations

__all__ = [
    "read_communes",
    "read_indicators",
    "read_qpv_2015",
    "read_qpv_2024",
    "read_stations",
    "repair_polygons",
]
