/* geoservice web map: the residents' map and the "Diagnostic" tab (the entry module).
 *
 * Reads only the public API. Data text is always written as DOM text (textContent,
 * createTextNode) — never as HTML — so whatever a feature's name contains stays text.
 * Staff screens are loaded with import() after a login (js/login.js).
 */

import { getJSON, staffRemembered } from "./js/api.js";
import { $, el } from "./js/dom.js";
import { lang, setLang, title } from "./js/i18n.js";
import { defiTitle, setDefis, setLayerValues } from "./js/labels.js";
import {
  buildLayer, closeDetail, fetchAll, onEscape, onMapSpace, own, readHash, renderInView, renderLayerSwitcher,
  renderUnlocated, select, state, status, t, writeHash,
} from "./js/map.js";
import { startPropose } from "./js/propose.js";

// -- parts loaded when first needed: search, the Diagnostic tab, the staff login ------------

/** Run `name` of the module js/`part`.js, loaded with import() on first use. */
function later(part, name) {
  return import("./js/" + part + ".js").then(function (module) { if (name) module[name](); },
    function () { status(t("loading_failed") + part + ".js"); });
}

function diagnostic(name) { return later("diagnostic", name); }

// -- tabs ---------------------------------------------------------------------------------

const TABS = { map: ["tab-map", "panel-residents"], diagnostic: ["tab-diag", "panel-diag"],
  agenda: ["tab-agenda", "panel-agenda"] };
const TAB_ORDER = ["map", "diagnostic", "agenda"];

function setTab(tab) {
  state.tab = own(TABS, tab) ? tab : "map";
  var diag = state.tab === "diagnostic";
  TAB_ORDER.forEach(function (key) {
    var on = key === state.tab;
    $(TABS[key][0]).setAttribute("aria-selected", String(on));
    $(TABS[key][0]).tabIndex = on ? 0 : -1;
    $(TABS[key][1]).hidden = !on;
  });
  closeDetail(true);
  state.order.forEach(function (id) {
    var keep = id === "communes" && state.visible[id];
    if ((diag && !keep) || !state.visible[id]) state.map.removeLayer(state.layers[id].group);
    else state.layers[id].group.addTo(state.map);
  });
  if (diag) { if (state.diagLayer) state.diagLayer.addTo(state.map); diagnostic("loadDiag"); }
  else if (state.diagLayer) state.map.removeLayer(state.diagLayer);
  if (state.tab === "agenda") later("agenda", "showAgenda");
  writeHash();
}

function onTabKey(event) {
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  var step = event.key === "ArrowRight" ? 1 : TAB_ORDER.length - 1;
  var next = TAB_ORDER[(TAB_ORDER.indexOf(state.tab) + step) % TAB_ORDER.length];
  setTab(next);
  $(TABS[next][0]).focus();
}

// -- language -----------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = lang();
  document.querySelectorAll("[data-i18n]").forEach(function (node) {
    node.textContent = t(node.getAttribute("data-i18n"));
  });
  $("lang").setAttribute("lang", lang() === "fr" ? "en" : "fr");
  $("map").setAttribute("aria-label", t("map_label"));
  document.title = t("page_title");
  if (state.zoom) {  // Leaflet's own control texts, in the page's language
    var zoom = state.zoom.getContainer();
    [[".leaflet-control-zoom-in", "zoom_in"], [".leaflet-control-zoom-out", "zoom_out"]].forEach(function (pair) {
      var button = zoom.querySelector(pair[0]);
      button.title = t(pair[1]);
      button.setAttribute("aria-label", t(pair[1]));
    });
  }
  var select = $("diag-defi");
  Array.prototype.slice.call(select.options, 1).forEach(function (option) {
    option.textContent = defiTitle(option.value);
  });
  if (!state.ready) return;
  renderLayerSwitcher();
  renderInView();
  renderUnlocated();
  if (state.diag) diagnostic("renderDiag");
  if (state.tab === "agenda") later("agenda", "relabelAgenda");
  writeHash();
}
// -- start --------------------------------------------------------------------------------

async function start() {
  var hash = readHash();
  if (hash.lang === "en") setLang("en");
  try {
    state.config = await getJSON("api/map/config");
  } catch (err) {
    status(t("loading_failed") + err.message);
    return;
  }
  var config = state.config;
  setDefis(config.defis);
  setLayerValues(config.layers);
  $("territory").textContent = config.territory.nom;
  Object.keys(config.defis).forEach(function (key) {
    $("diag-defi").appendChild(el("option", { value: key, text: title(config.defis[key]) }));
  });
  applyLanguage();

  var map = L.map("map", { zoomControl: false, keyboard: true, maxZoom: 19, minZoom: 4 });
  state.map = map;
  state.zoom = L.control.zoom({ zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(map);
  map.getContainer().addEventListener("keydown", onMapSpace);
  if (config.tiles) {
    var tiles = L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution,
                                                maxZoom: 19 }).addTo(map);
    // Offline, or the tile server down: say it once, stop asking, keep the map usable.
    var failed = 0, loaded = 0;
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
      failed += 1;
      if (failed === 4 && loaded === 0) {
        map.removeLayer(tiles);
        document.body.setAttribute("data-tiles", "off");
        status(t("tiles_off"));
      }
    });
  }
  var bbox = config.territory.bbox;
  if (hash.view) map.setView([hash.view[1], hash.view[2]], hash.view[0]);
  else if (bbox) map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
  else map.setView([46.6, 2.4], 6);
  map.on("zoomend", function () {
    map.getContainer().classList.toggle("labels-hidden", map.getZoom() < 12);
  });
  map.getContainer().classList.toggle("labels-hidden", map.getZoom() < 12);

  var defs = config.layers;
  var loaded = await Promise.all(defs.map(function (def) {
    return fetchAll(def.id).then(function (features) { return buildLayer(def, features); },
      function (err) { status(t("loading_failed") + def.id + " — " + err.message); return buildLayer(def, []); });
  }));
  loaded.forEach(function (layer) {
    var id = layer.def.id;
    state.layers[id] = layer;
    state.order.push(id);
    state.visible[id] = hash.layers ? hash.layers.indexOf(id) >= 0 : !!layer.def.style.visible;
  });
  // draw areas below points: add in reverse display order
  state.order.slice().reverse().forEach(function (id) {
    if (state.visible[id]) state.layers[id].group.addTo(map);
  });
  state.layers.qpv && state.visible.qpv && state.layers.qpv.group.bringToFront();
  state.ready = true;
  renderLayerSwitcher();
  renderUnlocated();
  renderInView();
  map.on("moveend", function () { renderInView(); writeHash(); });
  startPropose();  // residents' contributions

  if (hash.defi && own(config.defis, hash.defi)) { state.defi = hash.defi; $("diag-defi").value = hash.defi; }
  later("agenda", "startAgenda");  // events on the places' cards, « Ajouter à mon agenda »
  if (hash.tab === "diagnostic" || hash.tab === "agenda") setTab(hash.tab);
  if (hash.sel && state.tab === "map") {
    var cut = hash.sel.indexOf(":");
    var layerId = hash.sel.slice(0, cut), featureId = hash.sel.slice(cut + 1);
    var layer = own(state.layers, layerId) ? state.layers[layerId] : null;
    var item = layer && own(layer.byId, featureId) ? layer.byId[featureId] : null;
    if (item) select(item, !hash.view, document.body);
  } else if (hash.sel) {
    state.selected = { layer: hash.sel.split(":")[0], id: hash.sel.slice(hash.sel.indexOf(":") + 1) };
  }
  writeHash();
  if (staffRemembered()) later("login", "resumeSession");  // residents: nothing more
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-ready", "true");
}

document.addEventListener("DOMContentLoaded", function () {
  $("search-form").addEventListener("submit", function (event) { event.preventDefault(); later("search", "onSearch"); });
  $("check-form").addEventListener("submit", function (event) { event.preventDefault(); later("search", "onCheckAddress"); });
  $("check-locate").addEventListener("click", function () { later("search", "onLocate"); });
  ["search", "check-address"].forEach(function (id) {  // fetched while the question is typed
    $(id).addEventListener("focus", function () { later("search"); }, { once: true });
  });
  $("login-open").addEventListener("click", function () { later("login", "openLogin"); });
  $("share-open").addEventListener("click", function () { later("share", "openShare"); });
  document.addEventListener("keydown", onEscape);
  // « Espace équipe » at the top of every screen (on a phone the box is far down the page):
  // the box comes into view and the focus goes to its first control
  $("staff-jump").addEventListener("click", function (event) {
    event.preventDefault();
    var target = $("login-open") || $("staff-title");
    $("staff").scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
  $("lang").addEventListener("click", function () {
    setLang(lang() === "fr" ? "en" : "fr");
    applyLanguage();
  });
  $("tab-map").addEventListener("click", function () { setTab("map"); });
  $("tab-diag").addEventListener("click", function () {
    if (state.tab !== "diagnostic") state.diagFit = !state.selected;
    setTab("diagnostic");
  });
  $("tab-agenda").addEventListener("click", function () { setTab("agenda"); });
  $("tab-map").addEventListener("keydown", onTabKey);
  $("tab-diag").addEventListener("keydown", onTabKey);
  $("tab-agenda").addEventListener("keydown", onTabKey);
  $("diag-unverified").addEventListener("change", function () {
    state.unverified = $("diag-unverified").checked;
    diagnostic("loadDiag");
  });
  $("diag-defi").addEventListener("change", function () {
    state.defi = $("diag-defi").value;
    diagnostic("loadDiag");
    writeHash();
  });
  start();
});
