"""The diagnosis's reason line on ESS events held in or near a QPV over the last 12 months
(synthetic events, one square QPV in Lambert-93): what counts, what does not, and never a
score component."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import shapely

from geoservice.analysis.events import event_reason, recent_events

TODAY = date(2026, 12, 5)
QPV = gpd.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs="EPSG:2154")


def _events(rows: list[tuple[dict, tuple[float, float]]]) -> gpd.GeoDataFrame:
    base = {"id": "e", "nom": "x", "fin": None, "journee_entiere": False, "rrule": None,
            "defi": ["inclusion"], "precision": "adresse", "verification": "verifie",
            "statut_evenement": "prevu"}
    return gpd.GeoDataFrame([{**base, **props} for props, _ in rows],
                            geometry=[shapely.Point(xy) for _, xy in rows], crs="EPSG:2154")


def test_what_counts():
    frame = _events([
        ({"nom": "Dans le quartier", "debut": "2026-11-03T12:00:00+01:00"}, (500, 500)),
        ({"nom": "À 400 m", "debut": "2026-06-01T12:00:00+02:00"}, (1400, 500)),
        ({"nom": "À 900 m", "debut": "2026-06-01T12:00:00+02:00"}, (1900, 500)),
        ({"nom": "Il y a 2 ans", "debut": "2024-11-03T12:00:00+01:00"}, (500, 500)),
        ({"nom": "Hebdo dont la dernière fois", "debut": "2025-10-01T12:00:00+02:00",
          "rrule": "FREQ=WEEKLY;COUNT=20"}, (500, 500)),
        ({"nom": "Annulé", "debut": "2026-11-04T12:00:00+01:00",
          "statut_evenement": "annule"}, (500, 500)),
        ({"nom": "À la commune", "debut": "2026-11-04T12:00:00+01:00",
          "precision": "commune"}, (500, 500)),
        ({"nom": "À vérifier", "debut": "2026-11-05T12:00:00+01:00",
          "verification": "a_verifier"}, (500, 500)),
        ({"nom": "À venir", "debut": "2027-01-05T12:00:00+01:00"}, (500, 500)),
    ])
    [found] = recent_events(QPV, frame, 500, None, False, TODAY)
    assert [name for _, name in found] == ["Dans le quartier", "À 400 m",
                                           "Hebdo dont la dernière fois"]
    assert found[0][0] == date(2026, 11, 3)
    [with_unverified] = recent_events(QPV, frame, 500, None, True, TODAY)
    assert with_unverified[0][1] == "À vérifier"
    [circular] = recent_events(QPV, frame, 500, "economie_circulaire", False, TODAY)
    assert circular == []
    assert event_reason(found, 500) == [
        "3 événements ESS tenus dans le quartier ou à moins de 500 m ces 12 derniers mois "
        "(dernier : Dans le quartier, le 03/11/2026) ; hors du score"]
    assert event_reason([], 500) == []
    assert recent_events(QPV, None, 500, None, False, TODAY) == [[]]
