/* Labels of coded values (type, statut, precision, signale_par, verification, etape…): one
 * vocabulary for every screen, in French and English, from one path: each layer's YAML
 * (`enum_labels`, the labels its `/schema` serves as `oneOf` titles) reaches the page with the
 * map's configuration (`values` of each layer, both languages) and is kept here. No code is
 * listed in this file. Défi titles come from the map's configuration (`setDefis`). */

import { title } from "./i18n.js";

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

/** Whether a coded value of `field` (of any field when not given) has a label. */
export function hasLabel(value, field) {
  return field ? fieldLabel(field, value) !== null : anyLabel(String(value)) !== null;
}

/** The label of `value` for whichever field declares it (a field not said). */
function anyLabel(value) {
  var fields = Object.keys(layerValues);
  for (var i = 0; i < fields.length; i++) {
    var found = own(layerValues[fields[i]], value);
    if (found) return title(found);
  }
  return null;
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
  return fieldLabel(field, key) || anyLabel(key) || key.replace(/_/g, " ");
}
