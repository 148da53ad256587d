/* Residents' contributions, without an account: propose a place, report a need, report a
 * problem on a feature's card, and follow a proposal with its secret link (#suivi=ID.KEY).
 *
 * Everything goes to POST /api/proposals and waits for a moderator: the public map does not
 * change before. Every text from the data or the server is written as DOM text, never as
 * HTML. The follow-up key travels after "#", so it never reaches a server log.
 */

import { getJSON, schemaUrl } from "./api.js";
import { $, clear, el } from "./dom.js";
import { register, title } from "./i18n.js";
import { defiTitle, valueLabel } from "./labels.js";
import { addCardHook, state, whenIdle } from "./map.js";

const t = register({
  fr: {
    title: "Contribuer", help: "Vos propositions sont relues par l'équipe avant d'apparaître sur la carte.",
    place: "Proposer un lieu", need: "Signaler un besoin", report: "Signaler un problème",
    place_title: "Proposer un lieu ESS", need_title: "Signaler un besoin dans un quartier",
    report_title: "Signaler un problème : ", kind_layer: "Type de lieu",
    name: "Nom du lieu", need_name: "Le besoin en quelques mots", defis: "Défi(s) concerné(s)",
    type: "Catégorie", address: "Adresse", description: "Description",
    need_description: "Décrivez le besoin (qui, quoi, où)", spotted: "Repéré par",
    contact: "Contact (facultatif) : e-mail ou téléphone, vu seulement par l'équipe de modération, effacé après 90 jours",
    note: "Message à l'équipe (facultatif)", problem: "Quel est le problème ?",
    comment: "Précisez", position: "Où ?", position_help: "Cherchez l'adresse, utilisez votre position, ou touchez la carte.",
    search: "Chercher l'adresse", search_go: "Chercher", locate: "Utiliser ma position",
    none: "Aucune adresse trouvée.", unavailable: "Recherche d'adresse indisponible : touchez la carte ou utilisez votre position.",
    placed: "Position retenue : ", placed_map: "Position retenue : le point touché sur la carte.",
    placed_gps: "Position retenue : votre position.", no_point: "Pas encore de position.",
    send: "Envoyer", cancel: "Annuler", required: " (obligatoire)",
    honeypot: "Ne pas remplir", mine: "Mes contributions", defi_unknown: "Je ne sais pas",
    invalid: "La proposition n'a pas été envoyée. À corriger :", other: "Proposition",
    need_nom: "Le nom est obligatoire", need_need: "Dites le besoin en quelques mots",
    need_defi: "Choisissez au moins un Défi, ou « Je ne sais pas »",
    need_point: "Placez le point : cherchez l'adresse, utilisez votre position ou touchez la carte",
    need_description: "Décrivez le besoin en quelques phrases",
    problem_n_existe_plus: "N'existe plus",
    problem_information_fausse: "Information fausse", problem_doublon: "Doublon", problem_autre: "Autre",
  },
  en: {
    title: "Contribute", help: "Your proposals are reviewed by the team before they appear on the map.",
    place: "Propose a place", need: "Report a need", report: "Report a problem",
    place_title: "Propose an ESS place", need_title: "Report a need in a neighbourhood",
    report_title: "Report a problem: ", kind_layer: "Kind of place",
    name: "Name of the place", need_name: "The need in a few words", defis: "Challenge(s)",
    type: "Category", address: "Address", description: "Description",
    need_description: "Describe the need (who, what, where)", spotted: "Spotted by",
    contact: "Contact (optional): e-mail or phone, seen only by the moderators, erased after 90 days",
    note: "Message to the team (optional)", problem: "What is wrong?",
    comment: "Details", position: "Where?", position_help: "Search the address, use your position, or tap the map.",
    search: "Search the address", search_go: "Search", locate: "Use my position",
    none: "No address found.", unavailable: "Address search unavailable: tap the map or use your position.",
    placed: "Chosen position: ", placed_map: "Chosen position: the point tapped on the map.",
    placed_gps: "Chosen position: your position.", no_point: "No position yet.",
    send: "Send", cancel: "Cancel", required: " (required)",
    honeypot: "Do not fill", mine: "My contributions", defi_unknown: "I don't know",
    invalid: "The proposal was not sent. To fix:", other: "Proposal",
    need_nom: "The name is required", need_need: "Say the need in a few words",
    need_defi: "Choose at least one challenge, or « I don't know »",
    need_point: "Place the point: search the address, use your position or tap the map",
    need_description: "Describe the need in a few sentences",
    problem_n_existe_plus: "No longer exists",
    problem_information_fausse: "Wrong information", problem_doublon: "Duplicate", problem_autre: "Other",
  },
});
var PROBLEMS = ["n_existe_plus", "information_fausse", "doublon", "autre"];
var SPOTTERS = ["habitant", "maison_des_citoyens", "association", "equipe", "autre"];
var FOLLOW = /^#(?:.*&)?suivi=(p-[0-9a-f]{10})\.([A-Za-z0-9_-]{20,64})(?:&|$)/;
var initialFollow = FOLLOW.exec(location.hash);  // read before the map rewrites the hash

var work = null, pin = null, seq = 0;

function editableLayers() {
  return state.order.filter(function (id) { return state.layers[id].def.editable; });
}

// -- the point -----------------------------------------------------------------------------

function setPoint(lat, lon, how, pan) {
  if (!work) return;
  work.point = [Number(lon.toFixed(6)), Number(lat.toFixed(6))];
  work.precision = how === "housenumber" ? "adresse" : how === "street" ? "rue" : how === "map" || how === "gps" ? "rue" : "quartier";
  if (!pin) {
    pin = L.marker([lat, lon], { keyboard: false, interactive: false, zIndexOffset: 1000, alt: t("position"),
      icon: L.divIcon({ html: el("span"), className: "pin proposal-pin", iconSize: [22, 22], iconAnchor: [11, 22] }) });
    pin.addTo(state.map);
  } else pin.setLatLng([lat, lon]);
  if (pan) whenIdle(function () { state.map.setView([lat, lon], Math.max(state.map.getZoom(), 16)); });
  recheck("geometry");
}

function removePin() { if (pin) { state.map.removeLayer(pin); pin = null; } }

function onMapClick(event) {
  if (!work || !work.needsPoint) return;
  var target = event.originalEvent && event.originalEvent.target;
  if (target && target.closest && target.closest(".leaflet-marker-icon")) return;
  setPoint(event.latlng.lat, event.latlng.lng, "map", false);
  work.chosen.textContent = t("placed_map");
}

// -- form parts ----------------------------------------------------------------------------

function uid(name) { seq += 1; return "pr-" + name + "-" + seq; }

function field(label, input, required) {
  input.id = input.id || uid("f");
  input.setAttribute("aria-describedby", input.id + "-err");
  return el("div", { className: "field" }, [
    el("label", { for: input.id, text: label + (required ? t("required") : "") }), input,
    el("p", { className: "field-error", id: input.id + "-err" })]);
}

function checks(legend, values, labelOf, name, unknown) {
  var box = el("fieldset", { className: "checks", id: uid(name) }, [el("legend", { text: legend + t("required") })]);
  values.concat(unknown ? [""] : []).forEach(function (value) {
    var id = uid(name);
    box.appendChild(el("label", { for: id }, [el("input", { type: "checkbox", id: id, value: value, name: name,
      "data-unknown": value === "" ? "true" : null }), " " + (value === "" ? t("defi_unknown") : labelOf(value))]));
  });
  box.appendChild(el("p", { className: "field-error", id: box.id + "-err" }));
  box.setAttribute("aria-describedby", box.id + "-err");
  return box;
}

/** The values ticked (« je ne sais pas » is none of them). */
function checked(box) {
  return Array.prototype.filter.call(box.querySelectorAll("input"), function (b) { return b.checked && b.value; })
    .map(function (b) { return b.value; });
}

function anyTicked(box) { return !!box.querySelector("input:checked"); }

// -- errors: every one shown beside its field and in the summary, each gone once fixed ------

function fieldKey(field) {  // "feature.properties.nom" or "nom" → "nom"
  var parts = String(field || "").split(/[.[\]]+/).filter(Boolean);
  for (var i = parts.length - 1; i >= 0; i--) if (work.labels[parts[i]]) return parts[i];
  return parts.length ? parts[parts.length - 1] : "";
}

function mark(key, message) {
  var target = work.errors[key], input = work.inputs[key];
  if (target) target.textContent = message || "";
  if (input) { if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid"); }
}

/** Show `problems` ([{field, message}], the form's own checks or a 422's errors). */
function showProblems(problems) {
  if (!work) return;
  var summary = clear(work.summary);
  Object.keys(work.errors).forEach(function (key) { mark(key, null); });
  work.problems = {};
  if (!problems.length) return;
  summary.appendChild(el("p", { text: t("invalid") }));
  var list = el("ul", { id: "contrib-problems" });
  problems.forEach(function (p) {
    var key = fieldKey(p.field);
    var item = el("li", { "data-field": key, text: (work.labels[key] || t("other")) + " : " + p.message });
    list.appendChild(item);
    if (!work.problems[key]) mark(key, p.message);
    work.problems[key] = (work.problems[key] || []).concat([item]);
  });
  summary.appendChild(list);
  summary.focus();
}

/** A field changed: its problem goes once the form's check passes (a server's problem on a
 * field the form cannot check goes as soon as the field changes; the server checks again). */
function recheck(key) {
  if (!work || !work.problems || !work.problems[key]) return;
  var message = work.checks[key] ? work.checks[key]() : null;
  if (message) return;
  work.problems[key].forEach(function (item) { item.remove(); });
  delete work.problems[key];
  mark(key, null);
  if (!Object.keys(work.problems).length) clear(work.summary);
}

/** The form's own checks, all at once: true when there is nothing to fix. */
function checkAll() {
  var problems = [];
  Object.keys(work.checks).forEach(function (key) {
    var message = work.checks[key]();
    if (message) problems.push({ field: key, message: message });
  });
  showProblems(problems);
  return !problems.length;
}

function watch(key, node, check) {
  work.inputs[key] = work.inputs[key] || node;
  if (check) work.checks[key] = check;
  node.addEventListener(node.tagName === "FIELDSET" || node.tagName === "SELECT" ? "change" : "input", function () { recheck(key); });
}

function select(values, labelOf) {
  return el("select", {}, values.map(function (v) { return el("option", { value: v, text: labelOf(v) }); }));
}

function positionPart() {
  var address = el("input", { type: "search", autocomplete: "street-address", id: uid("address") });
  var list = el("ul", { className: "results", "aria-live": "polite" });
  var chosen = el("p", { className: "help chosen", tabindex: "-1", "aria-live": "polite", text: t("no_point") });
  var go = async function () {
    clear(list);
    var search = await import("./address-search.js");  // loaded on the first search
    await search.addressSearch(list, address.value, { limit: 5, minLength: 3, none: t("none"),
      failed: function () { return t("unavailable"); },
      onPick: function (f) {
        var point = search.latLon(f), label = f.properties.label;
        setPoint(point[0], point[1], f.properties.type, true);
        work.address = label;
        chosen.textContent = t("placed") + label;
        clear(list);
        chosen.focus();
      } });
  };
  address.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); go(); } });
  var locate = el("button", { type: "button", className: "secondary", text: t("locate"), onclick: function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude, "gps", true);
      chosen.textContent = t("placed_gps");
      chosen.focus();
    }, function () { chosen.textContent = t("unavailable"); }, { timeout: 10000 });
  } });
  var node = el("fieldset", { className: "position", id: uid("position") }, [
    el("legend", { text: t("position") + t("required") }), el("p", { className: "help", text: t("position_help") }),
    el("label", { for: address.id, text: t("search") }),
    el("div", { className: "row" }, [address, el("button", { type: "button", text: t("search_go"), onclick: go })]),
    list, locate, chosen, el("p", { className: "field-error", id: "pr-geometry-err" })]);
  return { node: node, chosen: chosen };
}

function honeypot() {
  var id = uid("site");
  var input = el("input", { type: "text", id: id, name: "site_web", tabindex: "-1", autocomplete: "off" });
  return { input: input, node: el("div", { className: "hp", "aria-hidden": "true" }, [el("label", { for: id, text: t("honeypot") }), input]) };
}

function begin(heading, opener) {
  close(true);
  var box = clear($("contrib-work"));
  var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: heading });
  var summary = el("div", { className: "errors", role: "alert", tabindex: "-1", id: "contrib-errors" });
  var form = el("form", { id: "contrib-form", novalidate: "" });
  box.appendChild(h);
  box.appendChild(summary);
  box.appendChild(form);
  work = { form: form, summary: summary, point: null, precision: null, needsPoint: false, opener: opener,
    labels: {}, errors: {}, inputs: {}, checks: {}, problems: {}, show: showProblems };
  return { heading: h, form: form };
}

function buttons(form, onSend) {
  var hp = honeypot();
  form.appendChild(hp.node);
  form.appendChild(el("div", { className: "row" }, [el("button", { type: "submit", id: "contrib-send", text: t("send") }),
    el("button", { type: "button", className: "secondary", text: t("cancel"), onclick: function () { close(); } })]));
  form.addEventListener("submit", function (event) { event.preventDefault(); onSend(hp.input.value); });
}

function close(silent) {
  removePin();
  state.picking = false;
  var opener = work && work.opener;
  work = null;
  clear($("contrib-work"));
  if (!silent && opener && document.contains(opener)) opener.focus();
}

// -- sending (js/propose-follow.js, loaded on the first send or follow-up link) ----------

function later() { return import("./propose-follow.js"); }

function send(body, hp) {
  var current = work;
  $("contrib-send").disabled = true;
  later().then(function (m) { m.send(current, close, body, hp); });
}

function showFollow(id, key) {
  later().then(function (m) { m.showFollow(close, id, key); });
}

function showMine(opener) {
  later().then(function (m) { m.showMine(close, opener); });
}

function hasKept() {
  try { return (JSON.parse(localStorage.getItem("geoservice-proposals") || "[]") || []).length > 0; } catch (e) { return false; }
}

// -- the three forms -----------------------------------------------------------------------

/** The checks a place and a need share: a name, a Défi (or « je ne sais pas »), a point. */
function common(name, nameMessage, defis, pos) {
  watch("nom", name, function () { return name.value.trim() ? null : nameMessage; });
  watch("defi", defis, function () { return anyTicked(defis) ? null : t("need_defi"); });
  work.inputs.geometry = pos.node;
  work.checks.geometry = function () { return work.point ? null : t("need_point"); };
}

async function openPlace(opener) {
  var layers = editableLayers().filter(function (id) { return id !== "besoins"; });
  var f = begin(t("place_title"), opener);
  var layer = select(layers, function (id) { return title(state.layers[id].def.title); });
  var typeBox = el("div");
  var name = el("input", { type: "text", maxlength: "200", autocomplete: "off" });
  var defis = checks(t("defis"), Object.keys(state.config.defis), defiTitle, "defi", true);
  var description = el("textarea", { rows: "3", maxlength: "2000" });
  var contact = el("input", { type: "text", maxlength: "200", autocomplete: "email" });
  var note = el("textarea", { rows: "2", maxlength: "2000" });
  var pos = positionPart();
  var typeSelect = null;
  async function types() {
    clear(typeBox);
    typeSelect = null;
    var schema = await getJSON(schemaUrl(layer.value));
    var spec = schema.properties.type || {};
    var values = (spec.enum || []).filter(function (v) { return v !== null; });
    if (values.length > 1) {
      typeSelect = select(values, function (v) { return valueLabel("type", v); });
      typeBox.appendChild(field(t("type"), typeSelect, true));
      work.errors.type = typeBox.querySelector(".field-error");
      work.inputs.type = null;
      watch("type", typeSelect);
    }
  }
  layer.addEventListener("change", types);
  [field(t("kind_layer"), layer, true), typeBox, field(t("name"), name, true), defis, pos.node,
    field(t("description"), description), field(t("contact"), contact), field(t("note"), note)]
    .forEach(function (n) { f.form.appendChild(n); });
  work.needsPoint = state.picking = true;
  work.chosen = pos.chosen;
  work.labels = { nom: t("name"), defi: t("defis"), geometry: t("position"), type: t("type"), description: t("description"), contact: t("contact"), note: t("note") };
  work.errors = { nom: name.nextSibling, defi: $(defis.id + "-err"), geometry: $("pr-geometry-err") };
  common(name, t("need_nom"), defis, pos);
  watch("description", description);
  watch("contact", contact);
  watch("note", note);
  buttons(f.form, function (hp) {
    if (!checkAll()) return;
    var props = { nom: name.value.trim(), defi: checked(defis), precision: work.precision || undefined };
    if (typeSelect) props.type = typeSelect.value;
    if (description.value.trim()) props.description = description.value.trim();
    if (work.address) props.adresse = work.address;
    send({ collection: layer.value, contact: contact.value.trim() || undefined, note: note.value.trim() || undefined,
      feature: { type: "Feature", geometry: work.point ? { type: "Point", coordinates: work.point } : null, properties: props } }, hp);
  });
  f.heading.focus();
  await types();
}

function openNeed(opener) {
  var f = begin(t("need_title"), opener);
  var name = el("input", { type: "text", maxlength: "200", autocomplete: "off" });
  var defis = checks(t("defis"), Object.keys(state.config.defis), defiTitle, "defi", true);
  var description = el("textarea", { rows: "3", maxlength: "2000" });
  var spotted = select(SPOTTERS, function (v) { return valueLabel("signale_par", v); });
  var contact = el("input", { type: "text", maxlength: "200", autocomplete: "email" });
  var pos = positionPart();
  [field(t("need_name"), name, true), defis, field(t("need_description"), description, true), pos.node,
    field(t("spotted"), spotted, true), field(t("contact"), contact)].forEach(function (n) { f.form.appendChild(n); });
  work.needsPoint = state.picking = true;
  work.chosen = pos.chosen;
  work.labels = { nom: t("need_name"), defi: t("defis"), description: t("need_description"), geometry: t("position"), signale_par: t("spotted"), contact: t("contact") };
  work.errors = { nom: name.nextSibling, defi: $(defis.id + "-err"), description: description.nextSibling, geometry: $("pr-geometry-err") };
  common(name, t("need_need"), defis, pos);
  watch("description", description, function () { return description.value.trim() ? null : t("need_description"); });
  watch("signale_par", spotted);
  watch("contact", contact);
  buttons(f.form, function (hp) {
    if (!checkAll()) return;
    var props = { nom: name.value.trim(), defi: checked(defis), description: description.value.trim(),
      signale_par: spotted.value, precision: work.precision || undefined };
    if (work.address) props.adresse = work.address;
    send({ collection: "besoins", contact: contact.value.trim() || undefined,
      feature: { type: "Feature", geometry: work.point ? { type: "Point", coordinates: work.point } : null, properties: props } }, hp);
  });
  f.heading.focus();
}

function openReport(layer, props, opener) {
  var f = begin(t("report_title") + (props.nom || props.id), opener);
  var problem = el("fieldset", { className: "checks", id: uid("problem") }, [el("legend", { text: t("problem") + t("required") })]);
  PROBLEMS.forEach(function (p, i) {
    var id = uid("problem");
    problem.appendChild(el("label", { for: id }, [el("input", { type: "radio", name: "problem", id: id, value: p, checked: i === 0 ? "" : null }), " " + t("problem_" + p)]));
  });
  problem.appendChild(el("p", { className: "field-error", id: problem.id + "-err" }));
  var comment = el("textarea", { rows: "3", maxlength: "2000" });
  var contact = el("input", { type: "text", maxlength: "200", autocomplete: "email" });
  [problem, field(t("comment"), comment), field(t("contact"), contact)].forEach(function (n) { f.form.appendChild(n); });
  work.labels = { problem: t("problem"), note: t("comment"), contact: t("contact") };
  work.errors = { problem: $(problem.id + "-err"), note: comment.nextSibling };
  watch("problem", problem);
  watch("note", comment);
  watch("contact", contact);
  buttons(f.form, function (hp) {
    var picked = problem.querySelector("input:checked");
    send({ collection: layer.def.id, target: String(props.id), problem: picked ? picked.value : null,
      note: comment.value.trim() || undefined, contact: contact.value.trim() || undefined }, hp);
  });
  var panel = $("panel");
  if (panel.scrollIntoView) $("contrib").scrollIntoView({ block: "start" });
  f.heading.focus();
}

// -- wiring --------------------------------------------------------------------------------

function cardButton(layer, props, node) {
  if (!layer.def.editable || props.id === undefined || state.me) return;
  node.appendChild(el("div", { className: "edit-actions" }, [el("button", { type: "button", className: "secondary report-button",
    text: t("report"), onclick: function (event) { openReport(layer, props, event.currentTarget); } })]));
}

function render() {
  var box = $("contrib");
  clear(box);
  box.appendChild(el("h2", { id: "contrib-title", text: t("title") }));
  box.appendChild(el("p", { className: "help", text: t("help") }));
  box.appendChild(el("div", { className: "row" }, [
    el("button", { type: "button", id: "propose-place", className: "secondary", text: t("place"), onclick: function (e) { openPlace(e.currentTarget); } }),
    el("button", { type: "button", id: "propose-need", className: "secondary", text: t("need"), onclick: function (e) { openNeed(e.currentTarget); } }),
    hasKept() ? el("button", { type: "button", id: "my-contributions", className: "secondary", text: t("mine"), onclick: function (e) { showMine(e.currentTarget); } }) : null]));
  box.appendChild(el("div", { id: "contrib-work", className: "editor contrib-work" }));
}

/** Draw the "Contribuer" box and follow a proposal's link (called once the map is ready). */
export function startPropose() {
  render();
  addCardHook(cardButton);
  state.map.on("click", onMapClick);
  window.addEventListener("hashchange", function () {
    var found = FOLLOW.exec(location.hash);
    if (found) showFollow(found[1], found[2]);
  });
  if (initialFollow) showFollow(initialFollow[1], initialFollow[2]);
  document.body.setAttribute("data-propose", "ready");
}
