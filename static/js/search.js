/* Searching, loaded with import() when a search field is first used: places and
 * neighbourhoods by name, addresses; and "Suis-je dans un QPV ?". */

import { addressSearch, findAddresses, latLon } from "./address-search.js";
import { getJSON } from "./api.js";
import { $, clear, el, fold } from "./dom.js";
import { locale, register } from "./i18n.js";
import { itemButton, select, state, t as mapText, whenIdle } from "./map.js";
import { fillMeta, metaBox, printButton } from "./print.js";

const t = register({
  fr: {
    search_short: "Pour chercher une adresse, tapez au moins 3 caractères.",
    check_failed: "La recherche d'adresse ne répond pas pour le moment. Réessayez plus tard, ou utilisez votre position :",
    search_none: "Aucun résultat.", search_address: "Adresse",
    search_failed: "La recherche d'adresse ne répond pas pour le moment : réessayez plus tard. Les lieux et quartiers ci-dessus restent cherchables.",
    check_working: "Recherche en cours…",
    check_nogeo: "La localisation n'est pas disponible sur cet appareil.",
    check_denied: "Position refusée ou introuvable.", check_notfound: "Adresse introuvable.",
    check_found: "Adresse trouvée : ", check_mypos: "Votre position",
    check_yes: "Oui : ce point est dans le quartier prioritaire ",
    check_no: "Non : ce point n'est dans aucun quartier prioritaire.",
    check_out: "Ce point est hors du territoire servi.", check_nearest_qpv: "QPV le plus proche : ",
    check_commune: "Commune : ", check_nearest: "Lieux ESS les plus proches",
    check_none_near: "Aucun lieu ESS localisé à proximité.",
    check_ban: "adresse située par la Base Adresse Nationale (BAN)",
  },
  en: {
    search_short: "To search for an address, type at least 3 characters.",
    check_failed: "Address search is not answering right now. Try again later, or use your location:",
    search_none: "No result.", search_address: "Address",
    search_failed: "Address search is not answering right now: try again later. Places and neighbourhoods above can still be searched.",
    check_working: "Searching…", check_nogeo: "Location is not available on this device.",
    check_denied: "Location refused or not found.", check_notfound: "Address not found.",
    check_found: "Address found: ", check_mypos: "Your location",
    check_yes: "Yes: this point is in the priority neighbourhood ",
    check_no: "No: this point is in no priority neighbourhood.",
    check_out: "This point is outside the served territory.", check_nearest_qpv: "Nearest QPV: ",
    check_commune: "Commune: ", check_nearest: "Nearest social-economy places",
    check_none_near: "No located place nearby.",
    check_ban: "address located by the Base Adresse Nationale (BAN)",
  },
});

function formatDistance(metres) {
  if (metres === null || metres === undefined) return "";
  if (metres < 1000) return Math.round(metres) + " m";
  return (metres / 1000).toLocaleString(locale(), { maximumFractionDigits: 1 }) + " km";
}
function localMatches(query) {
  var q = fold(query);
  if (!q) return [];
  var hits = [];
  state.order.forEach(function (id) {
    var def = state.layers[id].def;
    if (def.id === "qpv_2015") return;
    state.layers[id].features.forEach(function (item) {
      var name = fold(item.name);
      var pos = name.indexOf(q);
      if (pos >= 0) hits.push({ item: item, score: (pos === 0 ? 0 : 1) + (name === q ? -1 : 0) });
    });
  });
  hits.sort(function (a, b) { return a.score - b.score || a.item.name.localeCompare(b.item.name); });
  return hits.slice(0, 8).map(function (h) { return h.item; });
}

function placePin(lat, lon, label) {
  if (state.pin) state.map.removeLayer(state.pin);
  var icon = L.divIcon({ html: el("span"), className: "pin", iconSize: [18, 18], iconAnchor: [9, 18] });
  // under the places, not clickable: the searched point must not hide a place at the same spot
  state.pin = L.marker([lat, lon], { icon: icon, title: label, alt: label, keyboard: false,
    interactive: false, zIndexOffset: -1000 }).addTo(state.map);
}

export async function onSearch() {
  var query = $("search").value.trim();
  var results = clear($("search-results"));
  if (!query) return;
  localMatches(query).forEach(function (item) { results.appendChild(itemButton(item)); });
  if (query.length < 3) {  // the address search needs 3 characters: say so plainly
    results.appendChild(el("li", { className: "help", text: t("search_short") }));
    return;
  }
  await addressSearch(results, query, { limit: 5,
    content: function (f) { return [f.properties.label, el("span", { className: "kind", text: t("search_address") })]; },
    onPick: function (f) {
      var point = latLon(f);
      whenIdle(function () { state.map.setView(point, 16); });
      placePin(point[0], point[1], f.properties.label);
    },
    failed: function () { return t("search_failed"); } });
  if (!results.firstChild) results.appendChild(el("li", { className: "help", text: t("search_none") }));
}

// -- "Suis-je dans un QPV ?" --------------------------------------------------------------

async function check(lon, lat, label) {
  var out = clear($("check-result"));
  out.appendChild(el("p", { text: t("check_working") }));
  try {
    var r = await getJSON("api/lookup?lon=" + lon + "&lat=" + lat);
    clear(out);
    if (label) out.appendChild(el("p", { text: label }));
    var answer;
    if (r.qpv) answer = t("check_yes") + r.qpv.lib_qp + " (" + r.qpv.code_qp + ").";
    else if (r.in_territory === false) answer = t("check_out");
    else answer = t("check_no");
    out.appendChild(el("p", { className: "answer", text: answer }));
    if (r.commune) out.appendChild(el("p", { text: t("check_commune") + r.commune.nom }));
    if (!r.qpv && r.nearest_qpv) {
      out.appendChild(el("p", { text: t("check_nearest_qpv") + r.nearest_qpv.lib_qp + " — " +
        formatDistance(r.nearest_qpv.distance_m) }));
    }
    if (r.note) out.appendChild(el("p", { className: "help", text: r.note }));
    var near = [];
    Object.keys(r.nearest || {}).forEach(function (id) {
      (r.nearest[id] || []).forEach(function (p) { near.push({ layer: id, place: p }); });
    });
    near.sort(function (a, b) { return a.place.distance_m - b.place.distance_m; });
    out.appendChild(el("h3", { text: t("check_nearest") }));
    if (!near.length) out.appendChild(el("p", { className: "help", text: t("check_none_near") }));
    var ul = el("ul");
    near.slice(0, 5).forEach(function (n) {
      var layer = state.layers[n.layer];
      var item = layer && layer.byId[String(n.place.id)];
      var text = n.place.nom + " — " + formatDistance(n.place.distance_m);
      var approx = n.place.precision && n.place.precision !== "adresse"
        ? " (" + mapText("precision_approx").replace(/[ :]+$/, "").toLowerCase() + ")" : "";
      ul.appendChild(el("li", {}, [item
        ? el("button", { type: "button", className: "linklike", onclick: function () { select(item, true); },
          text: text + approx })
        : text + approx]));
    });
    out.appendChild(ul);
    var meta = metaBox(), sources = r.commune ? ["qpv", "communes"] : ["qpv"];
    var geocoded = label && label !== t("check_mypos") ? t("check_ban") : "";
    out.appendChild(meta);
    fillMeta(meta, sources, geocoded).catch(function () { /* printed without sources */ });
    out.appendChild(printButton("check", meta, sources, geocoded));
    placePin(lat, lon, label || t("check_mypos"));
    whenIdle(function () { state.map.setView([lat, lon], Math.max(state.map.getZoom(), 14)); });
  } catch (err) {
    clear(out).appendChild(el("p", { text: mapText("loading_failed") + err.message }));
  }
}

export async function onCheckAddress() {
  var query = $("check-address").value.trim();
  if (!query) return;
  var out = clear($("check-result"));
  out.appendChild(el("p", { text: t("check_working") }));
  try {
    var f = (await findAddresses(query, 1))[0];
    if (!f) { clear(out).appendChild(el("p", { text: t("check_notfound") })); return; }
    var c = f.geometry.coordinates;
    await check(c[0], c[1], t("check_found") + f.properties.label);
  } catch (err) {  // the geocoder is down: say so simply, and offer the other way
    clear(out).appendChild(el("p", { text: t("check_failed") }));
    out.appendChild(el("button", { type: "button", className: "secondary", text: mapText("check_locate"),
      onclick: onLocate }));
  }
}

export function onLocate() {
  var out = clear($("check-result"));
  if (!navigator.geolocation) { out.appendChild(el("p", { text: t("check_nogeo") })); return; }
  out.appendChild(el("p", { text: t("check_working") }));
  navigator.geolocation.getCurrentPosition(function (pos) {
    check(pos.coords.longitude.toFixed(6), pos.coords.latitude.toFixed(6), t("check_mypos"));
  }, function () { clear(out).appendChild(el("p", { text: t("check_denied") })); },
  { enableHighAccuracy: true, timeout: 15000 });
}
