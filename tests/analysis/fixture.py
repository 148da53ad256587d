"""A hand-computed toy territory in Lambert-93 (metres), near Toulouse.

Three square QPV 2024 (origin X0, Y0):

- A = [0, 1000] x [0, 1000]; QPV 2015 P1 = [0, 1000] x [0, 2000] covers it (half of P1);
- B = [3000, 4000] x [0, 1000]; P2 = [3000, 3500] x [0, 500] (inside B) and
  P3 = [3500, 4500] x [0, 1000] (half inside B): coverage 0.75;
- C = [6000, 6200] x [400, 600]: no QPV 2015, need unknown.

Places: lieu totem T1 (inclusion) at the centre of A; hébergement H1 (no Défi) at the
centre of B; an accompagnement without position; projects P-alim (alimentation durable)
300 m east of A, P-inc (inclusion) at the centre of C, one project without position; a
closed project inside B (ignored). Stations: metro S1 500 m east of A; a train station
inside B (ignored). Needs: N1 (alimentation durable, open) 200 m above B; N2 covered in A;
N3 (inclusion) without position naming C.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from geoservice.analysis import make_inputs

X0, Y0 = 570_000.0, 6_270_000.0
CRS = "EPSG:2154"


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def pt(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def qpv() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["QN_A", "QN_B", "QN_C"], "lib_qp": ["Alpha", "Bravo", "Charlie"]},
        geometry=[box(0, 0, 1000, 1000), box(3000, 0, 4000, 1000), box(6000, 400, 6200, 600)],
        crs=CRS)


def qpv_2015() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["QP_1", "QP_2", "QP_3"], "nom_qp": ["Un", "Deux", "Trois"],
         "pop_mun": [4000, 1000, 2000], "tp60": [40.0, 30.0, 48.0],
         "tx_tot_empl": [50.0, 60.0, 45.0], "abcde": [400, 100, 300]},
        geometry=[box(0, 0, 1000, 2000), box(3000, 0, 3500, 500), box(3500, 0, 4500, 1000)],
        crs=CRS)


def place(kind: str, pid: str, defi: list[str], geom: shapely.Point | None,
          statut: str = "ouvert", precision: str | None = "adresse") -> dict:
    return {"kind": kind, "id": pid, "nom": pid, "defi": defi, "statut": statut,
            "precision": precision if geom is not None else None, "geometry": geom}


def places() -> gpd.GeoDataFrame:
    rows = [
        place("lieu_totem", "T1", ["inclusion"], pt(500, 500), precision="quartier"),
        place("hebergement", "H1", [], pt(3500, 500)),
        place("accompagnement", "ACC", [], None),
        place("projet", "P-alim", ["alimentation_durable"], pt(1300, 500), "inconnu"),
        place("projet", "P-inc", ["inclusion"], pt(6100, 500)),
        place("projet", "P-nowhere", ["inclusion"], None, "inconnu"),
        place("projet", "P-closed", ["economie_circulaire"], pt(3200, 200), "ferme"),
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["S1", "S2"], "nom": ["Metro Un", "Gare"], "type": ["metro", "train"]},
        geometry=[pt(1500, 500), pt(3500, 600)], crs=CRS)


def besoins() -> gpd.GeoDataFrame:
    rows = [
        {"id": "N1", "nom": "Épicerie solidaire", "defi": ["alimentation_durable"],
         "statut": "ouvert", "couvert": False, "qpv": None, "precision": "rue",
         "geometry": pt(3200, 1200)},
        {"id": "N2", "nom": "Couture", "defi": ["inclusion"], "statut": "ouvert",
         "couvert": True, "qpv": None, "precision": "rue", "geometry": pt(500, 600)},
        {"id": "N3", "nom": "Garde d'enfants", "defi": ["inclusion"], "statut": "ouvert",
         "couvert": None, "qpv": "QN_C", "precision": None, "geometry": None},
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def inputs(**replace: gpd.GeoDataFrame):
    frames = {"qpv": qpv(), "qpv_2015": qpv_2015(), "places": places(),
              "besoins": besoins(), "stations": stations()}
    frames.update(replace)
    return make_inputs(**frames)
