/* The light map for partners' sites (/embed?couches=…&qpv=…&defi=…): no panel, no search,
 * no login; the chosen layers, one QPV framed, the places of one Défi. It asks the API only
 * for the properties it shows (OGC `properties=`), so the first load stays small.
 * Data text is always written as text (textContent), never as HTML. */

import { getJSON, itemsUrl, itemUrl } from "./js/api.js";
import { $, el } from "./js/dom.js";
import { title } from "./js/i18n.js";

const query = new URLSearchParams(location.search);
const SHOWN = ["nom", "lib_qp", "defi", "verification"];  // what a popup says

function wanted(name) {
  const value = query.get(name);
  return value ? value.split(",").map((part) => part.trim()).filter(Boolean) : null;
}

function say(text) { $("embed-status").textContent = text || ""; }

function nameOf(def, props) { return props.nom || props.lib_qp || props[def.id_field] || ""; }

/** The link to the same place on the full map (a new window: the partner's page stays). */
function fullMapLink(def, id) {
  const hash = "#sel=" + encodeURIComponent(def.id) + ":" + encodeURIComponent(id);
  return el("a", { href: "./" + hash, target: "_blank", rel: "noopener",
    text: "Voir sur la carte complète" });
}

async function features(def, config, defi) {
  const names = [def.id_field].concat(SHOWN.filter((n) => n in def.labels && n !== def.id_field));
  let url = itemsUrl(def.id) + "?limit=" + config.page_limit + "&properties=" + names.join(",");
  if (defi && def.kind === "ess" && "defi" in def.labels) url += "&defi=" + encodeURIComponent(defi);
  let out = [];
  while (url) {
    const page = await getJSON(url);
    out = out.concat(page.features || []);
    const next = (page.links || []).find((link) => link.rel === "next");
    url = next ? next.href : null;
  }
  return out;
}

function colorOf(config, props) {
  const defis = props.defi || [];
  const first = defis.length ? config.defis[defis[0]] : null;
  return first ? first.color : config.no_defi.color;
}

function popup(def, config, feature) {
  const props = feature.properties || {};
  const defis = (props.defi || []).map((key) => config.defis[key] ? title(config.defis[key]) : key);
  return el("div", {}, [
    el("strong", { text: nameOf(def, props) }),
    el("br"), document.createTextNode(title(def.title)),
    defis.length ? el("div", { text: "Défi : " + defis.join(", ") }) : null,
    props.verification === "a_verifier" ? el("div", { text: "Non vérifié" }) : null,
    el("div", {}, [fullMapLink(def, feature.id)]),
  ]);
}

function draw(map, def, config, list, items) {
  const group = L.featureGroup();
  items.forEach((feature) => {
    if (!feature.geometry) return;
    const props = feature.properties || {};
    let shape;
    if (def.geometry_type === "Point") {
      const [lon, lat] = feature.geometry.coordinates;
      const ess = def.kind === "ess";
      shape = L.circleMarker([lat, lon], {
        radius: ess ? Math.max(6, def.style.radius) : def.style.radius,
        color: def.style.color, weight: 2, fillOpacity: 0.9,
        fillColor: ess ? colorOf(config, props) : (def.style.fill_color || def.style.color),
        dashArray: props.verification === "a_verifier" ? "3 3" : null });
      if (ess) {
        const swatch = el("span", { className: "embed-swatch", "aria-hidden": "true" });
        swatch.style.background = colorOf(config, props);
        list.appendChild(el("li", {}, [swatch, nameOf(def, props) + " — " + title(def.title)]));
      }
    } else {
      shape = L.geoJSON(feature, { style: { color: def.style.color, weight: def.style.weight,
        fillColor: def.style.fill_color || def.style.color, fillOpacity: def.style.fill_opacity,
        dashArray: def.style.dash_array || null } });
    }
    shape.bindPopup(() => popup(def, config, feature));
    group.addLayer(shape);
  });
  group.addTo(map);
  return group;
}

async function focusQpv(map, code) {
  const feature = await getJSON(itemUrl("qpv", code) + "?properties=code_qp,lib_qp");
  const shape = L.geoJSON(feature, { style: { color: "#7b1fa2", weight: 4, fillOpacity: 0.08,
    className: "qpv-focus" }, interactive: false }).addTo(map);
  map.fitBounds(shape.getBounds(), { padding: [12, 12] });
  $("embed-title").textContent = "ESS autour du QPV " + feature.properties.lib_qp;
}

async function start() {
  let config;
  try {
    config = await getJSON("api/map/config");
  } catch (err) {
    say("Chargement impossible : " + err.message);
    return;
  }
  $("embed-territory").textContent = "· " + config.territory.nom;
  const map = L.map("map", { keyboard: true, maxZoom: 19, minZoom: 4, scrollWheelZoom: false });
  map.attributionControl.setPrefix(false);
  if (config.tiles) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
  }
  map.attributionControl.addAttribution("geoservice — données ouvertes");
  const bbox = config.territory.bbox;
  if (bbox) map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
  else map.setView([46.6, 2.4], 6);

  const chosen = wanted("couches");
  const defi = query.get("defi") || "";
  const defs = config.layers.filter((def) => chosen ? chosen.indexOf(def.id) >= 0 : def.style.visible);
  const list = $("embed-places");
  const loaded = await Promise.all(defs.map((def) => features(def, config, defi).then(
    (items) => ({ def, items }), (err) => { say(def.id + " : " + err.message); return { def, items: [] }; })));
  // areas first, points on top
  loaded.sort((a, b) => (a.def.kind === "area" ? 0 : 1) - (b.def.kind === "area" ? 0 : 1))
    .forEach(({ def, items }) => draw(map, def, config, list, items));
  $("embed-count").textContent = String(list.children.length);
  if (defi && config.defis[defi]) $("embed-title").textContent = "ESS — Défi " + title(config.defis[defi]);
  const code = query.get("qpv");
  if (code) {
    try { await focusQpv(map, code); } catch (err) { say("QPV : " + err.message); }
  }
  const full = new URLSearchParams();
  if (chosen) full.set("layers", chosen.join(","));
  if (defi) full.set("defi", defi);
  $("embed-full").href = "./" + (full.toString() ? "#" + full.toString().replace(/%2C/g, ",") : "");
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-ready", "true");
}

document.addEventListener("DOMContentLoaded", start);
