"""geoservice: open geo-service and map of the social and solidarity economy (ESS)."""

__version__ = "0.1.0"
