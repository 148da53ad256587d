/* Labels of coded values (type, statut, precision, signale_par, verification, problems…):
 * one vocabulary for every screen, in French and English. Défi titles come from the map's
 * configuration (`setDefis`). */

import { lang, title } from "./i18n.js";

const VALUES = {
  fr: {
    aci: "Atelier et chantier d'insertion", ai: "Association intermédiaire", ei: "Entreprise d'insertion",
    etti: "Entreprise de travail temporaire d'insertion",
    geiq: "Groupement d'employeurs pour l'insertion et la qualification",
    coworking: "Tiers-lieu de coworking", fablab: "Fablab", fabrique_de_territoire: "Fabrique de territoire",
    manufacture_de_proximite: "Manufacture de proximité", tiers_lieu: "Tiers-lieu", pepiniere: "Pépinière",
    hotel_entreprises: "Hôtel d'entreprises", incubateur: "Incubateur",
    fabrique_a_initiatives: "Fabrique à initiatives", accompagnement: "Accompagnement",
    accelerateur: "Accélérateur", financement: "Financement", lieu_totem: "Lieu totem",
    projet_ess: "Projet ESS", besoin: "Besoin", premiere_brique: "Première Brique",
    aap_prix: "Appel à projets / prix", premiere_brique_ou_aap_prix: "Première Brique ou appel à projets",
    ouvert: "Ouvert", a_venir: "À venir", ferme: "Fermé", inconnu: "Inconnu", autre: "Autre",
    adresse: "À l'adresse", rue: "À la rue", quartier: "Au quartier", commune: "À la commune",
    maison_des_citoyens: "Maison des Citoyens", habitant: "Habitant·e", equipe: "Équipe (Première Brique, Métropole)",
    association: "Association", verifie: "Vérifié", a_verifier: "À vérifier",
    n_existe_plus: "N'existe plus", information_fausse: "Information fausse", doublon: "Doublon",
  },
  en: {
    aci: "Work integration workshop", ai: "Intermediary association", ei: "Work integration enterprise",
    etti: "Work integration temp agency", geiq: "Employers' group for integration and qualification",
    coworking: "Coworking space", fablab: "Fablab", fabrique_de_territoire: "Fabrique de territoire",
    manufacture_de_proximite: "Local manufacturing space", tiers_lieu: "Third place",
    pepiniere: "Incubator building", hotel_entreprises: "Business hotel",
    lieu_totem: "Flagship place", projet_ess: "ESS project", besoin: "Need",
    ouvert: "Open", a_venir: "Upcoming", ferme: "Closed", inconnu: "Unknown", autre: "Other",
    adresse: "At the address", rue: "At the street", quartier: "At the neighbourhood",
    commune: "At the commune", maison_des_citoyens: "Maison des Citoyens", habitant: "Resident",
    equipe: "Team (Première Brique, Métropole)", association: "Association", verifie: "Checked", a_verifier: "To check",
    n_existe_plus: "No longer exists", information_fausse: "Wrong information", doublon: "Duplicate",
  },
};

let defis = {};
let layerValues = {};  // field → value → {fr, en}, from the layers' YAML (map configuration)

/** The value labels the layers declare (`values` of each layer in the map's configuration):
 * they win over the shared vocabulary for their field (« accompagnement » as a stage). */
export function setLayerValues(layers) {
  layerValues = {};
  (layers || []).forEach((layer) => {
    Object.keys(layer.values || {}).forEach((field) => {
      layerValues[field] = Object.assign(layerValues[field] || {}, layer.values[field]);
    });
  });
}

/** The Défis of the map's configuration (`{key: {fr, en, color}}`). */
export function setDefis(value) { defis = value || {}; }

export function defiTitle(key) {
  return Object.prototype.hasOwnProperty.call(defis, key) ? title(defis[key]) : String(key);
}

/** Whether a coded value (of `field`, when given) has a label of its own. */
export function hasLabel(value, field) {
  return fieldLabel(field, value) !== null || own(VALUES.fr, String(value)) !== null;
}

function fieldLabel(field, value) {
  const labels = field && own(layerValues, field);
  const found = labels && own(labels, String(value));
  return found ? title(found) : null;
}

function own(table, key) { return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : null; }

/** The label of a coded value of `field` in the page's language (Défis by their title);
 * a value without a label is shown as written, underscores as spaces. */
export function valueLabel(field, value) {
  if (field === "defi") return defiTitle(value);
  const key = String(value);
  return fieldLabel(field, key) || own(VALUES[lang()], key) || own(VALUES.fr, key) || key.replace(/_/g, " ");
}
