"""The one likely-duplicate rule, on its own: each reason, its thresholds, and what is not
a duplicate (names and addresses below are synthetic)."""

from __future__ import annotations

from geoservice.editing.duplicates import Index, address_key, name_key, name_similarity


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


HERE = (1.44, 43.60)
NEAR = (1.4401, 43.60)  # ≈ 8 m
FAR = (1.46, 43.60)  # ≈ 1.6 km


def index(*features: tuple[str, dict, tuple[float, float] | None]) -> Index:
    return Index(("hebergement", fid, props, point(*where) if where else None)
                 for fid, props, where in features)


def reasons(found: list[dict]) -> dict[str, str]:
    return {c["id"]: c["raison"] for c in found}


def test_folding_names_and_addresses():
    assert name_key("L'Atelier du 26") == "atelier 26"
    assert name_key("LES  Jardins de la Ville !") == "jardins ville"
    assert name_similarity("cantine", "cantine toulouse") == 1.0
    assert name_similarity("jardin partage", "epicerie solidaire") < 0.5
    assert name_similarity("atelier 26", "atelier 28") == 0.0  # numbered: two places
    assert address_key("27 Bis Allée Maurice Sarraut 31300 Toulouse", "31555") == \
        address_key("27bis allées Maurice-Sarraut", "31555") == "27 allee maurice sarraut 31555"
    assert address_key("Place du Capitole") is None  # no number: never « the same address »
    assert address_key("5 rue des Essais, Toulouse") == address_key("5 rue des essais")
    assert address_key("12, rue Caulet Bât. A08") == "12 rue caulet bat a08"
    assert address_key("12 rue A", "31555") != address_key("12 rue A", "31069")


def test_each_reason_and_what_is_not_a_duplicate():
    found = index(
        ("a", {"nom": "La Ressourcerie du Quartier"}, NEAR),
        ("b", {"nom": "Autre nom", "siret": "123 456 789 00012"}, FAR),
        ("c", {"nom": "Rien à voir", "adresse": "5 rue des Essais", "commune": "31555"}, FAR),
        ("d", {"nom": "Ressourcerie quartier", "source_id": "X9"}, FAR),
        ("e", {"nom": "Ressourcerie du quartier"}, FAR),  # same name, 1.6 km away
        ("f", {"nom": "Boulangerie"}, NEAR),  # next door, another name
        ("g", {"nom": "Ressourcerie sans point"}, None),
    ).candidates({"nom": "Ressourcerie du quartier", "siret": "12345678900012",
                  "adresse": "5 Rue des essais, Toulouse", "commune": "31555",
                  "source_id": "X9"}, point(*HERE))
    why = reasons(found)
    assert set(why) == {"a", "b", "c", "d"}
    assert why["a"].startswith("nom proche (100 %)")
    assert why["b"] == "même SIRET" and why["c"] == "même adresse"
    assert why["d"] == "même identifiant dans la source"
    assert found[0]["id"] == "a" and found[0]["distance_m"] == 8  # nearest first
    assert set(found[0]) == {"collection", "id", "nom", "distance_m", "raison"}


def test_itself_is_never_a_candidate():
    found = index(("a", {"nom": "Lieu"}, HERE)).candidates(
        {"nom": "Lieu"}, point(*HERE), exclude=[("hebergement", "a")])
    assert found == []
