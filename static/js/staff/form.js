/* The editor's form: built from the layer's JSON Schema (/collections/{id}/schema), the point
 * placed on the map or found by address, a 422's errors beside their fields, a 412 merged
 * field by field (conflict.js). Writes go through the OGC API – Features Part 4 routes. Also used
 * by moderation (edit a proposal, then accept it). Text is always written as DOM text. */

import { addressSearch, latLon } from "../address-search.js";
import { getJSON, itemUrl, itemsUrl, problemText, schemaUrl } from "../api.js";
import { $, clear, el } from "../dom.js";
import { lang, register, title } from "../i18n.js";
import { valueLabel } from "../labels.js";
import { reloadLayer, select as selectFeature, state, status, whenIdle } from "../map.js";
import { resolveConflict } from "./conflict.js";
import { send } from "./session.js";

const t = register({
  fr: {
    new_title: "Nouvel objet — ", edit_title: "Modifier — ", position: "Position",
    position_help: "Cliquez sur la carte, déplacez le point, ou cherchez une adresse.",
    lon: "Longitude", lat: "Latitude", address_search: "Chercher une adresse",
    address_button: "Chercher", address_none: "Aucune adresse trouvée.",
    address_chosen: "Adresse retenue (vérifiez le point sur la carte) : ",
    address_failed: "Recherche d'adresse indisponible : ", pick: "Retenir",
    no_position: "Sans position (laisser longitude et latitude vides).", required: " (obligatoire)",
    empty: "—", yes: "Oui", no: "Non", one_per_line: "Une valeur par ligne.",
    date_help: "AAAA, AAAA-MM ou AAAA-MM-JJ.",
    reason: "Motif de la modification (facultatif, visible dans l'historique)", save: "Enregistrer",
    cancel: "Annuler", saved: "Enregistré : version ",
    invalid: "L'objet n'a pas été enregistré. À corriger :",
    failed: "Échec : ", commune: "Commune", placed: "Point placé sur la carte — précision : ",
    placed_zoom: " (carte au zoom ", placed_rule: " ; « à l'adresse » dès le zoom 17, « à la rue » aux zooms 15-16, « au quartier » en deçà).",
  },
  en: {
    new_title: "New feature — ", edit_title: "Edit — ", position: "Position",
    position_help: "Click the map, drag the point, or search an address.", lon: "Longitude",
    lat: "Latitude", address_search: "Search an address", address_button: "Search",
    address_none: "No address found.",
    address_chosen: "Chosen address (check the point on the map): ",
    address_failed: "Address search unavailable: ", pick: "Use",
    no_position: "No position (leave longitude and latitude empty).", required: " (required)",
    empty: "—", yes: "Yes", no: "No", one_per_line: "One value per line.",
    date_help: "YYYY, YYYY-MM or YYYY-MM-DD.",
    reason: "Reason for the change (optional, shown in the history)", save: "Save",
    cancel: "Cancel", saved: "Saved: version ", invalid: "The feature was not saved. To fix:",
    failed: "Failed: ", commune: "Commune", placed: "Point placed on the map — precision: ",
    placed_zoom: " (map at zoom ", placed_rule: "; « at the address » from zoom 17, « at the street » at zooms 15-16, « at the neighbourhood » below).",
  },
});
var TEXTAREA = { description: 1, notes: 1, source: 1 };
var SKIPPED = { territoire: 1 };  // set by the server from the territory served
var PLACE_FIELDS = { commune: "communes", qpv: "qpv" };  // codes chosen by the place's name
var building = null;  // the layer whose form is being built (a need's qpv is a code; a project's, a text)

var schemas = {}, editing = null, marker = null;

function fieldLabel(spec) { return spec.title; }

/** A field's label in the form: a commune chosen by its name is just « Commune ». */
function formLabel(name, spec) {
  return name === "commune" && state.layers.communes && state.layers.communes.features.length ? t("commune") : fieldLabel(spec);
}

/** A layer's schema (OGC Part 5 form: the properties at the top) in the page's language. */
export async function schemaOf(layerId) {
  var key = layerId + "|" + lang();
  if (!schemas[key]) schemas[key] = await getJSON(schemaUrl(layerId));
  return schemas[key];
}

// -- the point on the map ------------------------------------------------------------------

function setPoint(lat, lon, pan) {
  if (!editing) return;
  editing.lat.value = lat.toFixed(6);
  editing.lon.value = lon.toFixed(6);
  placeMarker(pan);
}

function placeMarker(pan) {
  var lat = parseFloat(editing.lat.value), lon = parseFloat(editing.lon.value);
  if (!isFinite(lat) || !isFinite(lon)) { removeMarker(); return; }
  if (!marker) {
    marker = L.marker([lat, lon], { draggable: true, keyboard: false, zIndexOffset: 1000,
      title: t("position"), alt: t("position"),
      icon: L.divIcon({ html: el("span"), className: "pin editing-pin", iconSize: [22, 22], iconAnchor: [11, 22] }) });
    marker.on("dragend", function () {
      var p = marker.getLatLng();
      setPoint(p.lat, p.lng, false);
      placedByHand();
    });
    marker.addTo(state.map);
  } else marker.setLatLng([lat, lon]);
  if (pan) whenIdle(function () { state.map.setView([lat, lon], Math.max(state.map.getZoom(), 16)); });
}

function removeMarker() { if (marker) { state.map.removeLayer(marker); marker = null; } }

/** While a form is open, a click anywhere on the map (areas included, markers excepted)
 * places the point; the area's own card is then not opened. */
export function onMapClick(event) {
  if (!editing || editing.form.hidden) return;
  var target = event.originalEvent && event.originalEvent.target;
  if (target && target.closest && target.closest(".leaflet-marker-icon, .leaflet-popup")) return;
  setPoint(event.latlng.lat, event.latlng.lng, false);
  placedByHand();
  var chosen = $("ed-chosen");
  if (chosen) setTimeout(function () { chosen.focus({ preventScroll: true }); }, 0);  // the map took it on mousedown
}

/** The précision of a point placed by hand, from how close the map was: at zoom 17 or more
 * (a building can be told apart) « adresse », at 15–16 « rue », closer than that
 * « quartier ». The form's field shows it; the editor may change it. */
export function handPrecision(zoom) { return zoom >= 17 ? "adresse" : zoom >= 15 ? "rue" : "quartier"; }

function placedByHand() {
  var zoom = state.map.getZoom(), precision = handPrecision(zoom);
  if (editing.fields.precision) editing.fields.precision.set(precision);
  var chosen = $("ed-chosen");
  if (chosen) chosen.textContent = t("placed") + valueLabel("precision", precision).toLowerCase() + t("placed_zoom") + zoom + t("placed_rule");
}

// -- the form ------------------------------------------------------------------------------

function widget(name, spec, required) {
  var id = "ed-" + name, type = Array.isArray(spec.type) ? spec.type[0] : spec.type;
  var enumValues = (spec.enum || []).filter(function (v) { return v !== null; });
  var node;
  if (type === "array" && spec.items && spec.items.enum) {
    node = el("fieldset", { id: id, className: "checks", "aria-describedby": "err-" + name });
    node.appendChild(el("legend", { text: fieldLabel(spec) + (required ? t("required") : "") }));
    spec.items.enum.forEach(function (value) {
      var box = el("input", { type: "checkbox", id: id + "-" + value, value: value, name: name });
      node.appendChild(el("label", { for: id + "-" + value }, [box, " " + valueLabel(name, value)]));
    });
    return { node: node, get: function () {
      return Array.prototype.filter.call(node.querySelectorAll("input"), function (b) { return b.checked; })
        .map(function (b) { return b.value; });
    }, set: function (v) {
      Array.prototype.forEach.call(node.querySelectorAll("input"), function (b) { b.checked = (v || []).indexOf(b.value) >= 0; });
    }, focus: function () { node.querySelector("input").focus(); } };
  }
  var places = PLACE_FIELDS[name] && (name !== "qpv" || building === "besoins") && state.layers[PLACE_FIELDS[name]];
  if (places && places.features.length) {  // a commune or a QPV by its name, its code kept
    enumValues = places.features.map(function (item) { return String(item.id); })
      .sort(function (a, b) { return places.byId[a].name.localeCompare(places.byId[b].name, "fr"); });
  }
  if (enumValues.length || type === "boolean") {
    node = el("select", { id: id, "aria-describedby": "err-" + name });
    if (!required || type === "boolean") node.appendChild(el("option", { value: "", text: t("empty") }));
    var values = type === "boolean" ? ["true", "false"] : enumValues;
    values.forEach(function (value) {
      node.appendChild(el("option", { value: value, text: type === "boolean" ? t(value === "true" ? "yes" : "no")
        : places ? places.byId[value].name : valueLabel(name, value) }));
    });
    return { node: node, get: function () {
      if (node.value === "") return null;
      return type === "boolean" ? node.value === "true" : node.value;
    }, set: function (v) {
      var text = v === null || v === undefined ? "" : String(v);
      if (text && !node.querySelector('option[value="' + CSS.escape(text) + '"]')) {
        node.appendChild(el("option", { value: text, text: text }));  // a value from elsewhere, kept
      }
      node.value = text;
    } };
  }
  if (type === "array") {
    node = el("textarea", { id: id, rows: "2", "aria-describedby": "help-" + name + " err-" + name });
    return { node: node, help: t("one_per_line"), get: function () {
      var lines = node.value.split("\n").map(function (x) { return x.trim(); }).filter(Boolean);
      return lines.length ? lines : null;
    }, set: function (v) { node.value = (v || []).join("\n"); } };
  }
  var numeric = type === "integer" || type === "number";
  node = TEXTAREA[name] ? el("textarea", { id: id, rows: "3" })
    : el("input", { id: id, type: "text", inputmode: numeric ? "numeric" : null });
  node.setAttribute("aria-describedby", (spec.pattern ? "help-" + name + " " : "") + "err-" + name);
  if (required) node.setAttribute("required", "");
  return { node: node, help: spec.pattern ? t("date_help") : null, get: function () {
    var text = node.value.trim();
    if (!text) return null;
    return numeric && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }, set: function (v) { node.value = v === null || v === undefined ? "" : String(v); } };
}

/** The form of a layer's feature; ``options.onSubmit(feature)`` replaces the Part 4 write
 * (moderation: edit a proposal, then accept it) and ``options.title`` the heading. */
export async function openForm(layerId, feature, etag, options) {
  options = options || {};
  var schema = await schemaOf(layerId);
  var layerDef = state.layers[layerId].def;
  building = layerId;
  state.picking = true;  // a click on an area places the point, never opens its card
  var box = clear($("editor-work"));
  var props = schema;
  var required = schema.required || [];
  var fields = {};
  var heading = el("h3", { id: "editor-heading", tabindex: "-1",
    text: options.title || ((feature ? t("edit_title") + (feature.properties.nom || feature.id) : t("new_title")) + (feature ? "" : title(layerDef.title))) });
  var summary = el("div", { id: "editor-errors", className: "errors", role: "alert", tabindex: "-1" });
  var form = el("form", { id: "editor-form", novalidate: "" });
  // position
  var lon = el("input", { id: "ed-lon", type: "text", inputmode: "decimal", "aria-describedby": "err-geometry" });
  var lat = el("input", { id: "ed-lat", type: "text", inputmode: "decimal", "aria-describedby": "err-geometry" });
  var address = el("input", { id: "ed-address", type: "search", autocomplete: "off" });
  var candidates = el("ul", { className: "results", id: "ed-candidates", "aria-live": "polite" });
  var chosen = el("p", { className: "help", id: "ed-chosen", "aria-live": "polite", tabindex: "-1" });
  var position = el("fieldset", { className: "position" }, [
    el("legend", { text: t("position") }), el("p", { className: "help", text: t("position_help") }),
    el("label", { for: "ed-address", text: t("address_search") }),
    el("div", { className: "row" }, [address, el("button", { type: "button", id: "ed-address-go", text: t("address_button"),
      onclick: function () { searchAddress(address.value, candidates, chosen, fields); } })]),
    candidates, chosen,
    el("div", { className: "coords" }, [
      el("span", {}, [el("label", { for: "ed-lon", text: t("lon") }), lon]),
      el("span", {}, [el("label", { for: "ed-lat", text: t("lat") }), lat])]),
    el("p", { className: "help", text: t("no_position") }),
    el("p", { className: "field-error", id: "err-geometry" })]);
  address.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); searchAddress(address.value, candidates, chosen, fields); }
  });
  form.appendChild(position);
  Object.keys(props.properties).forEach(function (name) {
    var spec = props.properties[name];
    if (spec.readOnly || SKIPPED[name] || spec["x-ogc-role"] === "primary-geometry") return;
    var isRequired = required.indexOf(name) >= 0;
    var w = widget(name, spec, isRequired);
    fields[name] = w;
    var wrap = el("div", { className: "field", id: "field-" + name });
    if (w.node.tagName !== "FIELDSET") {
      wrap.appendChild(el("label", { for: "ed-" + name, text: formLabel(name, spec) + (isRequired ? t("required") : "") }));
    }
    wrap.appendChild(w.node);
    if (w.help) wrap.appendChild(el("p", { className: "help", id: "help-" + name, text: w.help }));
    wrap.appendChild(el("p", { className: "field-error", id: "err-" + name }));
    form.appendChild(wrap);
  });
  var reason = el("input", { id: "ed-reason", type: "text", maxlength: "500" });
  form.appendChild(el("div", { className: "field" }, [el("label", { for: "ed-reason", text: t("reason") }), reason]));
  form.appendChild(el("div", { className: "row" }, [el("button", { type: "submit", id: "ed-save", text: t("save") }),
    el("button", { type: "button", className: "secondary", text: t("cancel"), onclick: closeForm })]));
  box.appendChild(heading);
  box.appendChild(summary);
  box.appendChild(form);
  editing = { layerId: layerId, feature: feature, etag: etag, fields: fields, lon: lon, lat: lat,
    schema: props.properties, onSubmit: options.onSubmit,
    reason: reason, summary: summary, form: form };
  lon.addEventListener("change", function () { placeMarker(true); });
  lat.addEventListener("change", function () { placeMarker(true); });
  if (feature) fill(feature);
  form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
  heading.focus();
}

function fill(feature) {
  Object.keys(editing.fields).forEach(function (name) { editing.fields[name].set(feature.properties[name]); });
  if (feature.geometry && feature.geometry.type === "Point") {
    var c = feature.geometry.coordinates;
    setPoint(c[1], c[0], true);
  } else { editing.lon.value = ""; editing.lat.value = ""; removeMarker(); }
}

/** Forget the form open (another screen takes its place). */
export function dropForm() {
  editing = null;
  state.picking = false;
  removeMarker();
}

export function closeForm() {
  editing = null;
  state.picking = false;
  removeMarker();
  clear($("editor-work"));
  var add = $("editor-add");
  if (add) add.focus();
}

function collect() {
  var properties = {};
  Object.keys(editing.fields).forEach(function (name) {
    var value = editing.fields[name].get();
    if (name === "defi") properties.defi = value || [];  // required, possibly empty
    else if (value !== null && !(Array.isArray(value) && !value.length)) properties[name] = value;
  });
  if (editing.feature && editing.feature.properties.territoire) properties.territoire = editing.feature.properties.territoire;
  var lon = editing.lon.value.trim().replace(",", "."), lat = editing.lat.value.trim().replace(",", ".");
  var geometry = null;
  if (lon || lat) geometry = { type: "Point", coordinates: [Number(lon), Number(lat)] };
  if (!geometry) delete properties.precision;
  return { type: "Feature", geometry: geometry, properties: properties };
}

function showErrors(errors) {
  Array.prototype.forEach.call(editing.form.querySelectorAll(".field-error"), function (p) { p.textContent = ""; });
  Array.prototype.forEach.call(editing.form.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
  var list = el("ul");
  errors.forEach(function (error) {
    var name = String(error.field || "").split(/[.[]/)[0];
    var target = $("err-" + name) || $("err-geometry");
    if ($("err-" + name)) {
      target.textContent = error.message;
      var input = $("ed-" + name);
      if (input) input.setAttribute("aria-invalid", "true");
    } else if (name === "geometry" || name === "precision") target.textContent = error.message;
    var spec = editing.schema[name];
    list.appendChild(el("li", { text: (spec ? fieldLabel(spec) : (error.field || "")) + " : " + error.message }));
  });
  clear(editing.summary).appendChild(el("p", { text: t("invalid") }));
  editing.summary.appendChild(list);
  editing.summary.focus();
}

async function save() {
  var feature = collect();
  if (editing.onSubmit) {
    clear(editing.summary);
    var done = await editing.onSubmit(feature);
    if (done.ok || !document.contains(editing.form)) { editing = null; state.picking = false; removeMarker(); return; }
    if (done.status === 422 && done.body && done.body.errors) { showErrors(done.body.errors); return; }
    clear(editing.summary).appendChild(el("p", { text: t("failed") + problemText(done) }));
    editing.summary.focus();
    return;
  }
  clear(editing.summary);
  await settle(editing, await put(editing, feature, editing.feature ? editing.etag : null), feature, "");
}

/** A Part 4 write of the form's feature: PUT on top of `etag`, or POST for a new one. */
function put(work, feature, etag) {
  var url = work.feature ? itemUrl(work.layerId, work.feature.id) : itemsUrl(work.layerId);
  var headers = {};
  if (work.reason.value.trim()) headers["Geoservice-Reason"] = encodeURIComponent(work.reason.value.trim());
  if (work.feature) headers["If-Match"] = etag;
  return send(work.feature ? "PUT" : "POST", url, feature, headers);
}

/** What a write's answer leads to: saved (with what a merge kept), errors beside their
 * fields, or a conflict merged field by field (conflict.js). */
async function settle(work, answer, feature, merged) {
  if (editing !== work) return;
  if (answer.ok) {
    var saved = answer.body, layerId = work.layerId;
    status(t("saved") + String(answer.etag || "").replace(/"/g, "") + " — " + (saved.properties.nom || saved.id) + (merged ? ". " + merged : ""));
    closeForm();
    await afterWrite(layerId, saved.id);
    return;
  }
  work.form.hidden = false;
  if (answer.status === 422 && answer.body && answer.body.errors) { showErrors(answer.body.errors); return; }
  if (answer.status === 412 && answer.body && answer.body.current && work.feature) {
    await resolveConflict({ layerId: work.layerId, id: work.feature.id, etag: work.etag, read: work.feature,
      mine: feature, problem: answer.body, names: Object.keys(work.fields), form: work.form, summary: work.summary,
      label: function (name) { return fieldLabel(work.schema[name]); }, shown: shown,
      put: function (merge, etag) { return put(work, merge, etag); },
      done: function (next, kept) { return settle(work, next, feature, kept); },
      takeTheirs: function () { openForm(work.layerId, answer.body.current, answer.body.etag); } });
    return;
  }
  clear(work.summary).appendChild(el("p", { text: t("failed") + problemText(answer) }));
  work.summary.focus();
}

async function afterWrite(layerId, id) {
  var layer = await reloadLayer(layerId);
  var item = layer.byId[String(id)];
  if (item) selectFeature(item, true);
}

// -- values as the conflict view says them -------------------------------------------------

function shown(name, value) {
  if (value === null || value === undefined || value === "") return t("empty");
  if (typeof value === "boolean") return t(value ? "yes" : "no");
  var spec = editing && editing.schema[name];
  var listed = spec && (spec.enum || (spec.items && spec.items.enum));  // labels for codes only
  var label = function (v) { return listed ? valueLabel(name, v) : String(v); };
  if (Array.isArray(value)) return value.map(label).join(", ") || t("empty");
  return label(value);
}

// -- address search (BAN, through the service) --------------------------------------------

async function searchAddress(query, list, chosen, fields) {
  clear(list);
  chosen.textContent = "";
  await addressSearch(list, query, { limit: 5, none: t("address_none"),
    failed: function (err) { return t("address_failed") + err.message; },
    content: function (f) { return [t("pick") + " : " + f.properties.label, el("span", { className: "kind", text: f.properties.type || "" })]; },
    onPick: function (f) {
      var point = latLon(f), label = f.properties.label;
      setPoint(point[0], point[1], true);
      chosen.textContent = t("address_chosen") + label;
      if (fields.adresse && !fields.adresse.get()) fields.adresse.set(label);
      if (fields.precision) fields.precision.set(f.properties.type === "housenumber" ? "adresse" : "rue");
      if (fields.commune && !fields.commune.get() && f.properties.citycode) fields.commune.set(f.properties.citycode);
      clear(list);
      chosen.setAttribute("tabindex", "-1");
      chosen.focus();
    } });
}
