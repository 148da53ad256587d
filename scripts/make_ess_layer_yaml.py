"""Regenerate the YAML of the five project-authored ESS layers from one common schema.

Run once after changing the common schema: ``python scripts/make_ess_layer_yaml.py``.
"""

from pathlib import Path

import yaml

LAYERS = Path(__file__).resolve().parent.parent / "layers"
DEFIS = ["inclusion", "economie_circulaire", "alimentation_durable"]
TERRITOIRES = ["toulouse-metropole", "montpellier-mediterranee-metropole"]


def p(typ, fr, en, **extra):
    return {"type": typ, "label": {"fr": fr, "en": en}, **extra}


STAGE_LABELS = {
    "repere": ("Repéré", "Spotted"),
    "qualifie": ("Qualifié", "Qualified"),
    "exploration": ("Exploration", "Exploration"),
    "etude_opportunite": ("Étude d'opportunité", "Opportunity study"),
    "recherche_porteur": ("Recherche d'un porteur", "Looking for a project holder"),
    "accompagnement": ("Accompagnement du porteur", "Holder supported"),
    "lance": ("Activité lancée", "Activity started"),
    "abandonne": ("Abandonné", "Dropped"),
    "reponse_existante": ("Réponse existante", "Existing answer"),
}
"""The labels of ``geoservice/fabrique/stages.py`` (a test checks they agree)."""

VALUE_LABELS = {
    # Défis (geoservice/vocab.py and the map's configuration say the same)
    "inclusion": ("Inclusion économique et sociale", "Economic and social inclusion"),
    "economie_circulaire": ("Économie circulaire", "Circular economy"),
    "alimentation_durable": ("Alimentation durable", "Sustainable food"),
    "toulouse-metropole": ("Toulouse Métropole", "Toulouse Métropole"),
    "montpellier-mediterranee-metropole": ("Montpellier Méditerranée Métropole",
                                           "Montpellier Méditerranée Métropole"),
    # precision of a position
    "adresse": ("À l'adresse", "At the address"),
    "rue": ("À la rue", "At the street"),
    "quartier": ("Au quartier", "At the neighbourhood"),
    "commune": ("À la commune", "At the commune"),
    # statut, verification
    "ouvert": ("Ouvert", "Open"), "a_venir": ("À venir", "Upcoming"),
    "ferme": ("Fermé", "Closed"), "inconnu": ("Inconnu", "Unknown"),
    "verifie": ("Vérifié", "Checked"), "a_verifier": ("À vérifier", "To check"),
    # kinds of place (type)
    "lieu_totem": ("Lieu totem", "Flagship venue"),
    "hotel_entreprises": ("Hôtel d'entreprises", "Business hotel"),
    "pepiniere": ("Pépinière d'entreprises", "Business incubator building"),
    "tiers_lieu": ("Tiers-lieu", "Third place"),
    "coworking": ("Espace de coworking", "Coworking space"),
    "fablab": ("Fablab", "Fablab"),
    "fabrique_de_territoire": ("Fabrique de territoire", "Fabrique de territoire"),
    "manufacture_de_proximite": ("Manufacture de proximité", "Local manufacturing space"),
    "autre": ("Autre", "Other"),
    "incubateur": ("Incubateur", "Incubator"),
    "fabrique_a_initiatives": ("Fabrique à initiatives", "Fabrique à initiatives"),
    "accompagnement": ("Accompagnement", "Business support"),
    "accelerateur": ("Accélérateur", "Accelerator"),
    "financement": ("Financement", "Funding"),
    "projet_ess": ("Projet ESS", "ESS project"),
    "aci": ("Atelier et chantier d'insertion", "Work integration workshop"),
    "ai": ("Association intermédiaire", "Intermediary association"),
    "ei": ("Entreprise d'insertion", "Work integration enterprise"),
    "etti": ("Entreprise de travail temporaire d'insertion", "Work integration temp agency"),
    "geiq": ("Groupement d'employeurs pour l'insertion et la qualification",
             "Employers' group for integration and qualification"),
    "besoin": ("Besoin", "Need"),
    # support schemes (dispositif)
    "premiere_brique": ("Première Brique", "Première Brique"),
    "aap_prix": ("Appel à projets ou Prix ESS", "ESS call for projects or awards"),
    "premiere_brique_ou_aap_prix": ("Première Brique ou Appel à projets (la source ne dit pas "
                                    "lequel)", "Première Brique or call for projects (the "
                                    "source does not say which)"),
    # who reported a need (signale_par)
    "maison_des_citoyens": ("Maison des Citoyens", "Maison des Citoyens (community centre)"),
    "habitant": ("Habitant·e", "Resident"),
    "equipe": ("Équipe (Première Brique, Métropole)", "Team (Première Brique, Métropole)"),
    "association": ("Association", "Association"),
}
"""How each coded value is said, French and English: every ``enum`` and ``items_enum`` gets
its ``enum_labels`` from here (served by ``/schema`` and the map's configuration)."""


def _labelled(spec: dict) -> dict:
    """``spec`` with ``enum_labels`` for each of its coded values (its own ones win)."""
    values = spec.get("enum") or spec.get("items_enum")
    if not values or "enum_labels" in spec:
        return spec
    labels = {v: {"fr": VALUE_LABELS[v][0], "en": VALUE_LABELS[v][1]} for v in values}
    return {**spec, "enum_labels": labels}

COMMON = {
    "id": p("string", "Identifiant", "Identifier", required=True, nullable=False),
    "nom": p("string", "Nom", "Name", required=True, nullable=False),
    "type": None,  # per layer
    "defi": p("array", "Défi(s)", "Challenge(s)", items_enum=DEFIS, required=True, nullable=False),
    "territoire": p("string", "Territoire", "Territory", enum=TERRITOIRES, required=True,
                    nullable=False),
    "commune": p("string", "Commune (code INSEE)", "Commune (INSEE code)"),
    "adresse": p("string", "Adresse", "Address"),
    "precision": p("string", "Précision de la position", "Position precision",
                   enum=["adresse", "rue", "quartier", "commune"]),
    "reference_position": p("string", "Point de référence de la position",
                            "Reference point of the position"),
    "statut": p("string", "Statut", "Status", enum=["ouvert", "a_venir", "ferme", "inconnu"],
                required=True, nullable=False),
    "porteurs": p("array", "Porteur(s)", "Operator(s)", filterable=False),
    "description": p("string", "Description", "Description", filterable=False),
    "source": p("string", "Source", "Source", required=True, nullable=False, filterable=False),
    "notes": p("string", "Ce que les sources ne disent pas", "What the sources do not say",
               filterable=False),
    # provenance of each feature (data rules: docs/edition.md, ../shared/docs/editing.md §4)
    "verification": p("string", "Vérification", "Verification",
                      enum=["verifie", "a_verifier"]),
    "licence": p("string", "Licence de la source", "Source licence", filterable=False),
    "millesime": p("string", "Millésime de la source", "Source vintage"),
    "source_id": p("string", "Identifiant dans la source", "Identifier in the source"),
    "geocodage": p("string", "Géocodage (BAN : score, type, date ; ou manuel)",
                   "Geocoding (BAN: score, type, date; or manual)", filterable=False),
}

# when a place or project was open (geoservice/periods.py, docs/temps.md): answer layers only
PERIOD = {
    "date_ouverture": p("date", "Date d'ouverture", "Opening date"),
    "date_fermeture": p("date", "Date de fermeture", "Closing date"),
}

PERMISSIONS = {
    "create": ["editor", "moderator", "admin"],
    "update": ["editor", "moderator", "admin"],
    "delete": ["moderator", "admin"],
}

SPECS = {
    "lieux_totems": dict(
        order=40, types=["lieu_totem"], geometry="Point",
        title=("Lieux totems de l'ESS", "ESS flagship venues (lieux totems)"),
        description=(
            "Lieux totems de l'ESS de la feuille de route Toulouse Métropole Impact 2021-2026 : un "
            "par Défi et d'autres à venir. Rédigé par le projet à partir des documents sources ; "
            "la précision de chaque position est indiquée.",
            "ESS flagship venues of the Toulouse Métropole Impact 2021-2026 roadmap, authored "
            "from the source documents; each position states its precision."),
        style={"color": "#6c3483", "fill_color": "#8e44ad", "fill_opacity": 0.9, "radius": 9,
               "weight": 2, "icon": "star"},
    ),
    "hebergement": dict(
        order=50, types=["hotel_entreprises", "pepiniere", "tiers_lieu", "coworking", "fablab",
                         "fabrique_de_territoire", "manufacture_de_proximite", "autre"],
        geometry="Point",
        title=("Hébergement d'entreprises ESS", "ESS business hosting"),
        description=(
            "Hôtels d'entreprises, pépinières et autres lieux d'hébergement d'entreprises de l'ESS. "
            "Les documents sources recensent 4 hôtels d'entreprises et 5 pépinières à Toulouse "
            "Métropole sans les nommer ni les situer : la couche attend les éditeurs.",
            "Business hotels, incubator buildings and other ESS hosting. The source documents count "
            "4 business hotels and 5 incubator buildings without naming or locating them."),
        style={"color": "#1e8449", "fill_color": "#27ae60", "fill_opacity": 0.9, "radius": 7,
               "weight": 2, "icon": "home"},
    ),
    "accompagnement": dict(
        order=60,
        types=["incubateur", "fabrique_a_initiatives", "accompagnement", "accelerateur",
               "financement"],
        geometry="Point",
        title=("Accompagnement du Parcours Entreprises ESS", "ESS business support"),
        description=(
            "Structures et dispositifs du Parcours Entreprises ESS (accompagner, financer). Les "
            "documents sources ne donnent pas leurs adresses : sans position, ils figurent dans "
            "la liste et les exports, pas sur la carte.",
            "Structures and schemes of the ESS business pathway. The sources give no addresses: "
            "without a position they appear in lists and exports, not on the map."),
        style={"color": "#b9770e", "fill_color": "#f39c12", "fill_opacity": 0.9, "radius": 7,
               "weight": 2, "icon": "hands"},
    ),
    "projets": dict(
        order=70, types=["projet_ess"], geometry="Point",
        title=("Projets ESS soutenus", "Supported ESS projects"),
        description=(
            "Projets ESS soutenus par le territoire (lauréats de l'Appel à projets et des Prix, "
            "incubations de Première Brique, explorations de la Fabrique à initiatives). Quand "
            "un document ne dit pas quel dispositif a soutenu un projet, le champ le dit.",
            "ESS projects supported by the territory. When a document does not say which scheme "
            "supported a project, the field says so."),
        extra={
            "annee": p("integer", "Année", "Year"),
            "dispositif": p("array", "Dispositif(s) de soutien", "Support scheme(s)",
                            items_enum=["premiere_brique", "aap_prix", "fabrique_a_initiatives",
                                        "premiere_brique_ou_aap_prix"]),
            "qpv": p("string", "QPV cité par la source", "QPV named by the source"),
            # the AAP/Prix lauréats (docs/fabrique.md): counted by `geoservice bilan`
            "laureat": p("boolean", "Lauréat de l'Appel à projets ou des Prix ESS",
                         "Winner of the ESS call for projects or awards"),
            "montant_eur": p("number", "Montant du soutien (€)", "Support amount (€)"),
        },
        style={"color": "#148f77", "fill_color": "#1abc9c", "fill_opacity": 0.9, "radius": 6,
               "weight": 2, "icon": "seedling"},
    ),
    "structures_ess": dict(
        order=65, types=["aci", "ai", "ei", "etti", "geiq"], geometry="Point",
        title=("Structures de l'insertion par l'activité économique",
               "Work integration social enterprises (SIAE, GEIQ)"),
        description=(
            "Structures de l'insertion par l'activité économique (ateliers et chantiers "
            "d'insertion, associations intermédiaires, entreprises d'insertion, entreprises de "
            "travail temporaire d'insertion) et groupements d'employeurs pour l'insertion et la "
            "qualification. Importées de la liste de l'ASP (2019) à vérifier par les éditeurs.",
            "Work integration social enterprises and GEIQ, imported from the ASP list (2019), "
            "to be checked by editors."),
        extra={
            "siret": p("string", "SIRET", "SIRET"),
            "naf": p("string", "Code NAF", "NAF code"),
        },
        style={"color": "#1f618d", "fill_color": "#5dade2", "fill_opacity": 0.9, "radius": 6,
               "weight": 2, "icon": "hands"},
    ),
    "besoins": dict(
        order=80, types=["besoin"], geometry="Point",
        title=("Besoins repérés dans les quartiers", "Needs spotted in neighbourhoods"),
        description=(
            "Besoins non satisfaits repérés dans les quartiers (Maisons des Citoyens, Maisons de "
            "quartier, équipe de Première Brique, habitants après modération). Les documents "
            "sources n'en nomment aucun : la couche attend les éditeurs.",
            "Unmet needs spotted in neighbourhoods. The source documents name none yet."),
        extra={
            "date_signalement": p("date", "Date du signalement", "Date reported"),
            "signale_par": p("string", "Signalé par", "Reported by",
                             enum=["maison_des_citoyens", "habitant", "equipe", "association",
                                   "autre"]),
            "couvert": p("boolean", "Besoin couvert par un projet", "Need answered by a project"),
            "qpv": p("string", "QPV concerné", "QPV concerned"),
            # the Fabrique à initiatives' stages (geoservice/fabrique/stages.py, docs/fabrique.md)
            "etape": p("string", "Étape (Fabrique à initiatives)",
                       "Stage (Fabrique à initiatives)", enum=list(STAGE_LABELS),
                       enum_labels={k: {"fr": fr, "en": en}
                                    for k, (fr, en) in STAGE_LABELS.items()},
                       default="repere"),
            "etape_date": p("date", "Date de l'étape (quand elle a eu lieu)",
                            "Date of the stage (when it happened)"),
            "reponse": p("string", "Réponse (projet ou lieu, « collection/identifiant »)",
                         "Answer (project or place, \"collection/id\")", filterable=False),
            "motif": p("string", "Motif de l'abandon (équipe seulement)",
                       "Why it was dropped (staff only)", filterable=False, staff_only=True),
        },
        temporal="date_signalement",
        style={"color": "#a93226", "fill_color": "#ec7063", "fill_opacity": 0.9, "radius": 6,
               "weight": 2, "icon": "flag"},
    ),
}


def main() -> None:
    for layer_id, spec in SPECS.items():
        props = {}
        for name, value in COMMON.items():
            props[name] = value or p("string", "Type", "Type", enum=spec["types"], required=True,
                                     nullable=False)
        props.update(spec.get("extra", {}))
        if layer_id != "besoins":  # the answer layers: places and projects
            props.update(PERIOD)
        props = {name: _labelled(value) for name, value in props.items()}
        doc = {
            "id": layer_id, "order": spec["order"],
            "title": {"fr": spec["title"][0], "en": spec["title"][1]},
            "description": {"fr": spec["description"][0], "en": spec["description"][1]},
            "keywords": ["ESS", "économie sociale et solidaire", "Toulouse Métropole Impact"],
            "geometry_type": spec["geometry"], "id_field": "id",
            "source": {"format": "authored", "file": f"{layer_id}.geojson"},
            "publisher": "geoservice, d'après les documents de Toulouse Métropole (voir source)",
            "licence": "Licence Ouverte 2.0",
            "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "vintage": "2020-2022 (documents sources)",
            "properties": props, "style": spec["style"],
            # writes over the API (OGC API Features Part 4): deny by default, per action
            "editable": True,
            "permissions": PERMISSIONS,
        }
        if spec.get("temporal"):
            doc["temporal_field"] = spec["temporal"]
        if layer_id != "besoins":
            doc["temporal_period"] = {"start": "date_ouverture", "end": "date_fermeture"}
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
        (LAYERS / f"{layer_id}.yaml").write_text(
            "# Generated by scripts/make_ess_layer_yaml.py (common ESS schema)\n" + text, "utf-8")


if __name__ == "__main__":
    main()
