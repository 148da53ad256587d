/* The residents' map: its state, the URL hash, the layers, feature cards, the selection and
 * details panel, the list of what is in view, and the map's strings. Reads only the public
 * API; a feature's text is always written as DOM text, never as HTML. */

import { getJSON, itemsUrl } from "./api.js";
import { $, clear, el } from "./dom.js";
import { lang, register, title } from "./i18n.js";
import { defiTitle, hasLabel, valueLabel } from "./labels.js";

export const state = {
  config: null, map: null, zoom: null, layers: {}, order: [], visible: {},
  selected: null, tab: "map", defi: "", unverified: false, diag: null, diagLayer: null, diagFit: false,
  pin: null, highlight: null, detailOpener: null, picking: false, ready: false, me: null,
};

/** Run `fn` once no zoom animation is running (Leaflet ignores a new view meanwhile). */
export function whenIdle(fn) {
  if (state.map._animatingZoom) state.map.once("zoomend", function () { whenIdle(fn); });
  else fn();
}

export function status(message) { $("status").textContent = message || ""; }
// -- URL hash: view, layers, selected feature, tab, language ------------------------------

export function own(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key);
}

export function readHash() {
  var params = new URLSearchParams(location.hash.replace(/^#/, ""));
  var out = {};
  // Everything in the hash comes from whoever wrote the link: keep only sane values.
  var view = (params.get("map") || "").split("/").map(Number);
  if (view.length === 3 && view.every(isFinite) && view[0] >= 0 && view[0] <= 20 &&
      Math.abs(view[1]) <= 90 && Math.abs(view[2]) <= 180) out.view = view;
  if (params.has("layers")) out.layers = params.get("layers").split(",").filter(Boolean);
  var sel = params.get("sel") || "";
  if (/^[a-z0-9_]{1,40}:.{1,200}$/.test(sel)) out.sel = sel;
  if (params.get("tab")) out.tab = params.get("tab");
  if (params.get("lang")) out.lang = params.get("lang");
  if (params.has("defi")) out.defi = params.get("defi");
  return out;
}

export function writeHash() {
  if (!state.ready) return;
  var c = state.map.getCenter();
  var params = new URLSearchParams();
  params.set("map", [state.map.getZoom(), c.lat.toFixed(5), c.lng.toFixed(5)].join("/"));
  params.set("layers", state.order.filter(function (id) { return state.visible[id]; }).join(","));
  if (state.selected) params.set("sel", state.selected.layer + ":" + state.selected.id);
  if (state.tab !== "map") params.set("tab", state.tab);
  if (state.defi) params.set("defi", state.defi);
  if (lang() !== "fr") params.set("lang", lang());
  history.replaceState(null, "", "#" + params.toString().replace(/%2F/g, "/").replace(/%2C/g, ",")
    .replace(/%3A/g, ":"));
}
// -- feature cards (the details panel); other screens add their buttons with addCardHook --

const hooks = [];

/** `hook(layer, props, node)` runs on every card drawn (the editor's and residents' buttons). */
export function addCardHook(hook) { if (hooks.indexOf(hook) < 0) hooks.push(hook); }

var HIDDEN = { id: 1, nom: 1, lib_qp: 1, precision: 1, reference_position: 1, territoire: 1,
  notes: 1, source: 1, verification: 1, source_id: 1, licence: 1, millesime: 1, geocodage: 1 };
var FOLDED = ["source", "licence", "geocodage", "notes"];  // long texts: behind a disclosure

/** Imported open data not yet checked by an editor: said on the card and the marker. */
export function unverified(props) { return props.verification === "a_verifier"; }

function verificationNode(props) {
  if (!unverified(props)) return null;
  var origin = [props.source ? String(props.source).split(",")[0] : null, props.millesime]
    .filter(Boolean).join(", ");
  return el("p", { className: "unverified-note" }, [el("strong", { text: t("unverified") }),
    origin ? el("span", { lang: "fr", text: " · " + origin }) : null]);
}

export function featureName(layer, props) {
  return props.nom || props.lib_qp || props[layer.def.id_field] || "";
}

function valueText(name, value) {
  if (Array.isArray(value)) {
    return value.map(function (v) { return name === "defi" ? defiTitle(v) : coded(name, v); })
      .join(", ");
  }
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (name === "reponse") return answerName(value);
  return coded(name, value);
}

function coded(name, value) {
  if (PLACES[name]) return placeName(name, value);
  return hasLabel(value, name) ? valueLabel(name, value) : String(value);
}
var PLACES = { commune: "communes", qpv: "qpv", insee_com: "communes" };  // codes said by the name of the place

/** A commune (INSEE code) or a QPV (code) by its name, from the layers loaded; any other
 * value as it is (a QPV named in words by a source stays as written). */
export function placeName(field, value) {
  var layer = own(PLACES, field) && own(state.layers, PLACES[field]) ? state.layers[PLACES[field]] : null;
  if (!layer) return String(value);
  return String(value).split(/\s*[,;]\s*/).map(function (code) {  // « 31555, 31069 »: each by its name
    return own(layer.byId, code) ? layer.byId[code].name : code;
  }).join(", ");
}
// a need's card never shows the team's notes (motif is never sent; notes stay off the card)
var STAFF_NOTES = { besoins: { notes: 1, motif: 1 } };

/** The project or place a need's `reponse` ("collection/id") names, by its name. */
export function answerName(reference) {
  var cut = String(reference).indexOf("/");
  var layer = cut > 0 && own(state.layers, reference.slice(0, cut)) ? state.layers[reference.slice(0, cut)] : null;
  var item = layer && own(layer.byId, reference.slice(cut + 1)) ? layer.byId[reference.slice(cut + 1)] : null;
  return item ? item.name + " (" + title(layer.def.title) + ")" : String(reference);
}

function precisionNode(props) {
  if (!("precision" in props)) return null;
  var node = el("p", { className: "precision" });
  if (!props.precision) node.textContent = t("precision_none");
  else if (props.precision === "adresse") node.textContent = t("precision_exact");
  else node.textContent = t("precision_approx") + t("precision_" + props.precision);
  if (props.reference_position) {
    node.appendChild(el("br"));
    node.appendChild(document.createTextNode(t("precision_ref") + props.reference_position));
  }
  return node;
}

export function card(layer, props, heading) {
  var dl = el("dl"), notes = STAFF_NOTES[layer.def.id] || {};
  Object.keys(layer.def.labels).forEach(function (name) {
    if (HIDDEN[name] || notes[name]) return;
    var value = props[name];
    if (value === null || value === undefined || value === "") return;
    if (Array.isArray(value) && !value.length) return;
    dl.appendChild(el("dt", { text: name === "commune" ? t("commune") : name === "insee_com" ? t("communes") : title(layer.def.labels[name]) }));
    var translated = name === "defi" || typeof value === "boolean" || hasLabel(value, name) || name === "reponse";
    dl.appendChild(el("dd", { lang: translated ? null : "fr", text: valueText(name, value) }));
  });
  var folded = FOLDED.filter(function (name) { return props[name] && layer.def.labels[name] && !notes[name]; });
  var more = folded.length ? el("details", {}, [el("summary", { text: folded.map(function (name) {
    return title(layer.def.labels[name]);
  }).join(" · ") })].concat(folded.map(function (name) {
    return el("p", {}, [el("strong", { text: title(layer.def.labels[name]) + " : " }),
      el("span", { lang: "fr", text: props[name] })]);
  }))) : null;
  var node = el("div", { className: "card" }, [
    el(heading || "h2", { lang: "fr", text: featureName(layer, props) }),
    el("p", { className: "kind-line", text: title(layer.def.title) }),
    verificationNode(props), precisionNode(props), dl, more,
  ]);
  if (layer.def.id === "qpv") {
    node.appendChild(el("a", { href: "api/maps/qpv/" + encodeURIComponent(props.code_qp) + ".html",
      target: "_blank", rel: "noopener", text: t("report_link") }));
  }
  hooks.forEach(function (hook) { hook(layer, props, node); });  // the editor's buttons
  return node;
}

// -- layers ------------------------------------------------------------------------------

function styleOf(def) {
  var s = def.style;
  var out = { color: s.color, weight: s.weight, fillColor: s.fill_color || s.color,
    fillOpacity: s.fill_opacity };
  if (s.dash_array) out.dashArray = s.dash_array;
  return out;
}

function defiColor(props) {
  var defis = props.defi || [];
  var first = defis.length ? state.config.defis[defis[0]] : null;
  return first ? first.color : state.config.no_defi.color;
}

function essIcon(def, props) {
  var size = Math.max(22, Math.round(def.style.radius * 2.6));
  var marker = el("span", { className: "ess-marker" + (unverified(props) ? " unverified" : ""),
    "aria-hidden": "true", text: unverified(props) ? "?" : def.style.glyph });
  marker.style.background = defiColor(props);
  marker.style.borderColor = def.style.color;
  return L.divIcon({ html: marker, className: "ess-icon", iconSize: [size, size],
    iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2] });
}

export async function fetchAll(id) {
  var url = itemsUrl(id) + "?f=geojson&limit=" + state.config.page_limit;
  var features = [];
  while (url) {
    var page = await getJSON(url);
    features = features.concat(page.features || []);
    var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
    url = next ? next.href : null;
  }
  return features;
}

export function buildLayer(def, features) {
  var layer = { def: def, features: [], byId: {}, group: null };
  var group = def.kind === "ess"
    ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 })
    : L.featureGroup();
  features.forEach(function (feature) {
    var props = feature.properties || {};
    var id = String(feature.id !== undefined && feature.id !== null ? feature.id : props[def.id_field]);
    var item = { id: id, props: props, layer: layer, leaflet: null, name: featureName(layer, props) };
    if (feature.geometry) {
      var leaflet;
      if (def.kind === "ess") {
        var c = feature.geometry.coordinates;
        var label = item.name + (unverified(props) ? " (" + t("unverified") + ")" : "");
        leaflet = L.marker([c[1], c[0]], { icon: essIcon(def, props), title: label,
          alt: label, keyboard: true, riseOnHover: true });
      } else if (def.kind === "point") {
        var p = feature.geometry.coordinates;
        leaflet = L.circleMarker([p[1], p[0]], Object.assign(styleOf(def), { radius: def.style.radius }));
      } else {
        leaflet = L.geoJSON(feature, { style: styleOf(def) });
        if (def.id === "qpv") {
          leaflet.bindTooltip(el("span", { text: item.name }),
            { permanent: true, direction: "center", className: "qpv-label" });
        }
      }
      // a click (or Enter / Space on a marker) opens the details panel, never a popup
      leaflet.on("click", function () {
        if (state.picking && def.kind !== "ess") return;  // placing a point: the map takes the click
        var icon = leaflet.getElement && def.kind === "ess" ? leaflet.getElement() : null;
        select(item, false, icon || state.map.getContainer());
      });
      if (def.kind === "ess") {  // Space opens a marker's details too (see onMapSpace)
        leaflet.on("add", function () { markerItems.set(leaflet.getElement(), item); });
      }
      item.leaflet = leaflet;
      group.addLayer(leaflet);
    }
    layer.features.push(item);
    layer.byId[id] = item;
  });
  layer.group = group;
  return layer;
}

export function setVisible(id, on) {
  var layer = state.layers[id];
  state.visible[id] = on;
  if (!layer) return;
  if (on && state.tab === "map") layer.group.addTo(state.map);
  else state.map.removeLayer(layer.group);
  renderInView();
  writeHash();
}

/** Fetch a layer again (after an edit) and redraw it where it was. */
export async function reloadLayer(id) {
  var old = state.layers[id];
  var features = await fetchAll(id);
  var def = Object.assign({}, old.def, { count: features.length });
  var layer = buildLayer(def, features);
  state.map.removeLayer(old.group);
  state.layers[id] = layer;
  if (state.visible[id] && state.tab === "map") layer.group.addTo(state.map);
  renderLayerSwitcher();
  renderUnlocated();
  renderInView();
  return layer;
}

export function renderLayerSwitcher() {
  var list = clear($("layers"));
  state.order.forEach(function (id) {
    var def = state.layers[id].def;
    var swatch = el("span", { className: "swatch" + (def.kind === "area" ? "" : " point"),
      "aria-hidden": "true" });
    swatch.style.borderColor = def.style.color;
    swatch.style.background = def.style.fill_color || def.style.color;
    var box = el("input", { type: "checkbox", id: "layer-" + id });
    box.checked = !!state.visible[id];
    box.addEventListener("change", function () { setVisible(id, box.checked); });
    var count = el("span", { className: "count", text: "(" + def.count + ")" });
    list.appendChild(el("li", {}, [el("label", { for: "layer-" + id }, [
      box, swatch, title(def.title) + " ", count])]));
  });
  var legend = clear($("defi-legend"));
  var defis = Object.keys(state.config.defis).map(function (k) { return state.config.defis[k]; });
  defis.concat([state.config.no_defi]).forEach(function (defi) {
    var dot = el("span", { className: "swatch point", "aria-hidden": "true" });
    dot.style.background = defi.color;
    legend.appendChild(el("li", {}, [dot, title(defi)]));
  });
  legend.appendChild(el("li", {}, [el("span", { className: "swatch point unverified-swatch", "aria-hidden": "true", text: "?" }),
    t("unverified_legend")]));
}

// -- selection, list view ----------------------------------------------------------------

/** Select a feature: its details open in the details panel (focus moves there), the map
 * shows where it is. ``move`` brings it into view; ``opener`` gets focus back on close. */
export function select(item, move, opener, extra) {
  opener = opener || document.activeElement;
  state.selected = { layer: item.layer.def.id, id: item.id };
  writeHash();
  showDetail(item, opener, extra);
  if (!item.leaflet) return;
  if (move && !state.visible[item.layer.def.id] && state.tab === "map") {
    $("layer-" + item.layer.def.id).checked = true;
    setVisible(item.layer.def.id, true);
  }
  whenIdle(function () {
    if (move && item.layer.def.kind === "ess" && state.tab === "map") {
      item.layer.group.zoomToShowLayer(item.leaflet, function () { highlight(item); });
      return;
    }
    if (move) {
      if (item.leaflet.getBounds) state.map.fitBounds(item.leaflet.getBounds(), { maxZoom: 15, paddingBottomRight: detailPadding() });
      else state.map.setView(item.leaflet.getLatLng(), Math.max(state.map.getZoom(), 15));
    }
    highlight(item);
  });
}

/** Room taken by the details panel over the map (wide screens), so the feature stays visible. */
export function detailPadding() {
  var box = $("detail");
  return !box.hidden && getComputedStyle(box).position === "absolute" ? [box.offsetWidth + 20, 0] : [0, 0];
}

/** The map's pointer to the selected feature: an outline, not a popup (nothing to close). */
function highlight(item) {
  if (state.highlight) state.map.removeLayer(state.highlight);
  state.highlight = null;
  if (!item.leaflet) return;
  var style = { color: "#1b2631", weight: 4, fill: false, interactive: false, dashArray: "6 4" };
  state.highlight = item.leaflet.getLatLng
    ? L.circleMarker(item.leaflet.getLatLng(), Object.assign({ radius: 18 }, style))
    : L.geoJSON(item.leaflet.toGeoJSON(), { style: style, interactive: false });
  state.highlight.addTo(state.map);
}

function showDetail(item, opener, extra) {
  var box = $("detail");
  clear(box);
  state.detailOpener = opener && opener !== document.body ? opener : null;
  var node = card(item.layer, item.props, "h2");
  var heading = node.querySelector("h2");
  heading.id = "detail-title";
  heading.setAttribute("tabindex", "-1");
  box.appendChild(node);
  if (extra) box.appendChild(extra);
  box.appendChild(el("button", { type: "button", className: "close", id: "detail-close",
    text: t("detail_close"), onclick: function () { closeDetail(); } }));
  box.hidden = false;
  heading.focus({ preventScroll: true });
  box.scrollTop = 0;
  if (getComputedStyle(box).position !== "absolute") box.scrollIntoView({ block: "start" });
}

export function closeDetail(keepFocus) {
  var box = $("detail");
  if (box.hidden) return;
  box.hidden = true;
  clear(box);
  if (state.highlight) { state.map.removeLayer(state.highlight); state.highlight = null; }
  state.selected = null;
  writeHash();
  var back = state.detailOpener;
  state.detailOpener = null;
  if (keepFocus === true) return;
  if (back && !document.contains(back) && back.getAttribute && back.getAttribute("data-key")) {
    // the list was rebuilt meanwhile (the map moved): the same entry, new button
    var key = back.getAttribute("data-key");
    back = Array.prototype.filter.call(document.querySelectorAll("#panel [data-key]"), function (b) {
      return b.getAttribute("data-key") === key;
    })[0] || null;
  }
  if (back && document.contains(back) && back.getClientRects().length) back.focus();
  else if (state.tab === "map") $("list-title").focus();
  else $("panel").focus();
}

/** Escape closes the details (from inside them, from the map, or with focus nowhere). */
export function onEscape(event) {
  if (event.key !== "Escape" || $("detail").hidden) return;
  var active = document.activeElement;
  if (!active || active === document.body || $("detail").contains(active) || $("map").contains(active)) {
    event.preventDefault();
    closeDetail();
  }
}

const markerItems = new WeakMap();  // a marker's icon element → its feature

/** Enter and Space open a marker's details; Space activates the zoom buttons too. */
export function onMapSpace(event) {
  if (event.key !== " " && event.key !== "Enter") return;
  var target = event.target;
  if (event.key === " " && target.matches && target.matches(".leaflet-control-zoom a")) {
    event.preventDefault();
    target.click();
  } else if (markerItems.has(target)) {  // (no keypress follows: Leaflet's is not needed)
    event.preventDefault();
    select(markerItems.get(target), false, target);
  }
}

export function itemButton(item) {
  return el("li", {}, [el("button", { type: "button", "data-key": item.layer.def.id + ":" + item.id,
    onclick: function () { select(item, true); } },
    [el("span", { lang: "fr", text: item.name }), el("span", { className: "kind", text: title(item.layer.def.title) })])]);
}

const LIST_MAX = 150;

export function renderInView() {
  if (!state.ready) return;
  var bounds = state.map.getBounds();
  var active = document.activeElement;
  var focusedKey = active && active.closest && active.closest("#in-view")
    ? active.getAttribute("data-key") : null;
  var list = clear($("in-view"));
  var shown = 0, total = 0;
  state.order.forEach(function (id) {
    if (!state.visible[id]) return;
    state.layers[id].features.forEach(function (item) {
      if (!item.leaflet) return;
      var inside = item.leaflet.getBounds ? bounds.intersects(item.leaflet.getBounds())
        : bounds.contains(item.leaflet.getLatLng());
      if (!inside) return;
      total += 1;
      if (shown < LIST_MAX) { list.appendChild(itemButton(item)); shown += 1; }
    });
  });
  if (!total) list.appendChild(el("li", { className: "help", text: t("list_empty") }));
  if (total > shown) list.appendChild(el("li", { className: "help", text: t("list_more") }));
  $("list-count").textContent = "(" + total + ")";
  if (focusedKey) {  // keep the keyboard user's place when the list is rebuilt
    var again = Array.prototype.filter.call(list.querySelectorAll("button"), function (b) {
      return b.getAttribute("data-key") === focusedKey;
    })[0];
    (again || $("list-title")).focus();
  }
}

export function renderUnlocated() {
  var list = clear($("unlocated"));
  var count = 0;
  state.order.forEach(function (id) {
    state.layers[id].features.forEach(function (item) {
      if (item.leaflet) return;
      list.appendChild(itemButton(item));
      count += 1;
    });
  });
  $("unlocated-count").textContent = "(" + count + ")";
}

// -- the map's strings, French first, English on demand (see i18n.js) -----------------------

export const t = register({
  fr: {
    skip_map: "Aller à la carte",
    skip_list: "Aller à la liste des lieux",
    page_title: "Carte de l'ESS et des quartiers prioritaires",
    zoom_in: "Zoomer",
    zoom_out: "Dézoomer",
    staff_title: "Espace équipe",
    login_open: "Se connecter (équipe)",
    skip: "Aller au panneau",
    title: "ESS et quartiers prioritaires",
    tab_map: "Carte",
    tab_diag: "Diagnostic",
    tab_agenda: "Agenda",
    lang_switch: "English",
    share_open: "Partager / intégrer",
    search_label: "Rechercher un lieu, un quartier, une commune ou une adresse",
    search_button: "Rechercher",
    check_title: "Suis-je dans un QPV ?",
    check_label: "Adresse à vérifier",
    check_button: "Vérifier",
    check_locate: "Utiliser ma position",
    layers_title: "Couches et légende",
    defis_title: "Couleur des lieux : Défi",
    list_title: "Dans la vue",
    list_empty: "Rien de visible ici : dézoomez ou activez des couches.",
    list_more: "… et d'autres : zoomez pour affiner.",
    unlocated_title: "Sans position sur la carte",
    unlocated_help: "Ces fiches n'ont pas de position connue : elles sont listées ici, pas sur la carte.",
    detail_close: "Fermer",
    precision_exact: "Position : à l'adresse",
    precision_approx: "Position approximative : ",
    precision_none: "Position inconnue (absent de la carte)",
    precision_ref: "Point de référence : ", commune: "Commune", communes: "Commune(s)",
    precision_adresse: "adresse", precision_rue: "rue", precision_quartier: "quartier",
    precision_commune: "commune",
    report_link: "Carte du quartier à imprimer (HTML)",
    diag_intro: "Score de sous-desserte par QPV : besoin élevé et réponse ESS faible. Cliquez une ligne pour voir le quartier et ses raisons.",
    diag_defi: "Défi",
    diag_all: "Tous les Défis",
    diag_legend: "Score de sous-desserte (classes de Jenks)",
    diag_rank: "Rang", diag_qpv: "Quartier", diag_score: "Score",
    diag_range: "Rang possible",
    diag_caption: "Classement des QPV, du plus sous-desservi au moins sous-desservi",
    diag_download: "Télécharger la sélection :",
    unverified: "non vérifié", diag_unverified: "Compter aussi les lieux et structures à vérifier (données ouvertes anciennes)", unverified_legend: "Pointillés et « ? » : non vérifié (données ouvertes anciennes, à vérifier par l'équipe)",
    loading_failed: "Chargement impossible : ",
    features: "objets",
    map_label: "Carte interactive",
    yes: "oui", no: "non",
    tiles_off: "Fond de carte indisponible (hors ligne ?) : la carte reste utilisable sans fond.",
  },
  en: {
    skip_map: "Skip to the map",
    skip_list: "Skip to the list of places",
    page_title: "Map of the social economy and priority neighbourhoods",
    zoom_in: "Zoom in",
    zoom_out: "Zoom out",
    staff_title: "Staff area",
    login_open: "Log in (staff)",
    skip: "Skip to panel",
    tiles_off: "Background map unavailable (offline?): the map still works without it.",
    title: "Social economy and priority neighbourhoods",
    tab_map: "Map",
    tab_diag: "Diagnostic",
    tab_agenda: "Events",
    lang_switch: "Français",
    share_open: "Share / embed",
    search_label: "Search a place, neighbourhood, commune or address",
    search_button: "Search",
    check_title: "Am I in a QPV?",
    check_label: "Address to check",
    check_button: "Check",
    check_locate: "Use my location",
    layers_title: "Layers and legend",
    defis_title: "Place colour: Défi",
    list_title: "In view",
    list_empty: "Nothing visible here: zoom out or switch layers on.",
    list_more: "… and more: zoom in to narrow down.",
    unlocated_title: "Not on the map",
    unlocated_help: "These records have no known position: they are listed here, not on the map.",
    detail_close: "Close",
    precision_exact: "Position: at the address",
    precision_approx: "Approximate position: ",
    precision_none: "Unknown position (not on the map)",
    precision_ref: "Reference point: ", commune: "Commune", communes: "Commune(s)",
    precision_adresse: "address", precision_rue: "street", precision_quartier: "neighbourhood",
    precision_commune: "commune",
    report_link: "Printable neighbourhood map (HTML)",
    diag_intro: "Underserved score per QPV: high need and weak social-economy answer. Click a row to see the neighbourhood and its reasons.",
    diag_defi: "Défi",
    diag_all: "All Défis",
    diag_legend: "Underserved score (Jenks classes)",
    diag_rank: "Rank", diag_qpv: "Neighbourhood", diag_score: "Score",
    diag_range: "Possible rank",
    diag_caption: "QPV ranking, most underserved first",
    diag_download: "Download the selection:",
    unverified: "not checked", diag_unverified: "Also count places and structures still to check (old open data)", unverified_legend: "Dashed with « ? »: not checked (old open data, to be checked by the team)",
    loading_failed: "Loading failed: ",
    features: "features",
    map_label: "Interactive map",
    yes: "yes", no: "no",
  },
});
