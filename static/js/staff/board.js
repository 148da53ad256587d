/* « Suivi des besoins » (staff, loaded by js/staff/fabrique.js): one column per stage of the
 * Fabrique à initiatives (labels from the layer's schema), one card per need with its QPV's
 * name, its Défis and its days in the stage; a card moves with a form (js/staff/move.js),
 * never by dragging; filters by QPV, Défi and year; a need's details hold its journal (its
 * history). Every text from the data is written as DOM text. */

import { getJSON, itemUrl, problemText, schemaUrl } from "../api.js";
import { $, clear, el } from "../dom.js";
import { locale, register } from "../i18n.js";
import { defiTitle, valueLabel } from "../labels.js";
import { answerName, fetchAll, reloadLayer, state } from "../map.js";
import { say } from "./fabrique.js";
import { moveForm } from "./move.js";
import { send } from "./session.js";

const t = register({
  fr: {
    qpv: "Quartier (QPV)", defi: "Défi", year: "Année (signalement ou étape)", all: "Tous", all_years: "Toutes",
    outside: "Hors QPV", count: " besoin(s) affiché(s) sur ", empty: "Aucun besoin.", loading: "Chargement…",
    failed: "Chargement impossible : ", today: "Dans cette étape depuis aujourd'hui", day: "Dans cette étape depuis 1 jour",
    days_a: "Dans cette étape depuis ", days_b: " jours", undated: "Étape sans date",
    move: "Changer d'étape", details: "Détails et journal", journal: "Journal du besoin",
    qpv_label: "QPV : ", defi_label: "Défi : ", none: "—", reported: "Signalé le ", by: "par ",
    typed: "saisi le ", reason: "Note : ", motif: "Motif (équipe) : ", answer: "Réponse : ",
    created: "création", no_journal: "Pas encore de journal.", moved: " : déplacé vers ",
    description: "Description : ", address: "Adresse : ", columns: "Étapes des besoins",
  },
  en: {
    qpv: "Neighbourhood (QPV)", defi: "Défi", year: "Year (reported or stage)", all: "All", all_years: "All",
    outside: "Outside QPVs", count: " need(s) shown out of ", empty: "No need.", loading: "Loading…",
    failed: "Loading failed: ", today: "In this stage since today", day: "In this stage for 1 day",
    days_a: "In this stage for ", days_b: " days", undated: "Undated stage",
    move: "Change stage", details: "Details and journal", journal: "The need's journal",
    qpv_label: "QPV: ", defi_label: "Défi: ", none: "—", reported: "Reported on ", by: "by ",
    typed: "entered on ", reason: "Note: ", motif: "Reason (staff): ", answer: "Answer: ",
    created: "creation", no_journal: "No journal yet.", moved: ": moved to ",
    description: "Description: ", address: "Address: ", columns: "Stages of the needs",
  },
});

const STEP_FIELDS = ["etape", "etape_date", "reponse", "motif"];
var board = { stages: [], labels: {}, needs: [], filters: {}, root: null };

// -- values shown ------------------------------------------------------------------------

/** A stage's label, as the layer's schema says it (the map's configuration otherwise). */
export function stageLabel(stage) {
  return board.labels[stage] || valueLabel("etape", stage);
}

function qpvNames() {
  var names = {}, layer = state.layers.qpv;
  (layer ? layer.features : []).forEach(function (item) {
    names[item.props.code_qp || item.id] = item.name;
  });
  return names;
}

function inRing(ring, x, y) {
  var inside = false;
  for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    var a = ring[i], b = ring[j];
    if ((a[1] > y) !== (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}

function inPolygon(rings, x, y) {
  return inRing(rings[0], x, y) && !rings.slice(1).some(function (hole) { return inRing(hole, x, y); });
}

/** The code of the QPV a need lies in: its `qpv` field, else its position in a QPV 2024. */
function qpvOf(feature) {
  var props = feature.properties || {};
  if (props.qpv) return props.qpv;
  var geometry = feature.geometry, layer = state.layers.qpv;
  if (!geometry || geometry.type !== "Point" || !layer) return null;
  var x = geometry.coordinates[0], y = geometry.coordinates[1];
  var found = layer.features.filter(function (item) {
    if (!item.leaflet || !item.leaflet.getBounds().contains([y, x])) return false;
    return item.leaflet.toGeoJSON().features.some(function (f) {
      var g = f.geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      return polygons.some(function (rings) { return inPolygon(rings, x, y); });
    });
  })[0];
  return found ? found.props.code_qp || found.id : null;
}

/** Midnight UTC of a date given as AAAA, AAAA-MM or AAAA-MM-JJ (null if unreadable). */
function day(text) {
  var m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(String(text || ""));
  return m ? Date.UTC(+m[1], (+m[2] || 1) - 1, +m[3] || 1) : null;
}

export function shortDate(text) {
  var when = day(text);
  return when === null ? String(text || "") : new Date(when).toLocaleDateString(locale(), { timeZone: "UTC" });
}

function todayUTC() { var d = new Date(); return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()); }

function daysText(props) {
  var since = day(props.etape_date || (props.etape && props.etape !== "repere" ? null : props.date_signalement));
  if (since === null) return t("undated");
  var n = Math.max(0, Math.round((todayUTC() - since) / 86400000));
  return n === 0 ? t("today") : n === 1 ? t("day") : t("days_a") + n + t("days_b");
}

function stageOf(props) { return board.stages.indexOf(props.etape) >= 0 ? props.etape : "repere"; }

// -- filters -----------------------------------------------------------------------------

function years(need) {
  return [need.props.date_signalement, need.props.etape_date].map(function (d) {
    return /^\d{4}/.test(String(d || "")) ? String(d).slice(0, 4) : null;
  }).filter(Boolean);
}

function select(id, label, options, value) {
  var node = el("select", { id: id }, options.map(function (o) { return el("option", { value: o[0], text: o[1] }); }));
  node.value = value || "";
  node.addEventListener("change", function () { board.filters[id] = node.value; renderColumns(); });
  return el("span", { className: "filter" }, [el("label", { for: id, text: label }), node]);
}

function renderFilters(box) {
  var names = qpvNames(), codes = {}, found = {};
  board.needs.forEach(function (need) {
    codes[need.qpv || ""] = true;
    years(need).forEach(function (y) { found[y] = true; });
  });
  found[String(new Date().getFullYear())] = true;
  var qpvs = Object.keys(codes).filter(Boolean).sort(function (a, b) {
    return String(names[a] || a).localeCompare(String(names[b] || b), "fr");
  }).map(function (code) { return [code, names[code] || code]; });
  if (codes[""]) qpvs.push(["-", t("outside")]);
  var defis = Object.keys(state.config.defis).map(function (key) { return [key, defiTitle(key)]; });
  var yearList = Object.keys(found).sort().reverse().map(function (y) { return [y, y]; });
  box.appendChild(el("div", { className: "filters board-filters" }, [
    select("fab-qpv", t("qpv"), [["", t("all")]].concat(qpvs), board.filters["fab-qpv"]),
    select("fab-defi", t("defi"), [["", t("all")]].concat(defis), board.filters["fab-defi"]),
    select("fab-year", t("year"), [["", t("all_years")]].concat(yearList), board.filters["fab-year"])]));
}

function shown(need) {
  var f = board.filters, props = need.props;
  if (f["fab-qpv"] === "-" ? !!need.qpv : f["fab-qpv"] && need.qpv !== f["fab-qpv"]) return false;
  if (f["fab-defi"] && (props.defi || []).indexOf(f["fab-defi"]) < 0) return false;
  if (f["fab-year"] && years(need).indexOf(f["fab-year"]) < 0) return false;
  return true;
}

// -- the columns and cards -----------------------------------------------------------------

function card(need, names) {
  var props = need.props, key = need.key;
  var moveBox = el("div", { id: "move-" + key, className: "move-box", hidden: "" });
  var opener = el("button", { type: "button", className: "move-open", id: "move-open-" + key,
    "aria-expanded": "false", "aria-controls": "move-" + key, text: t("move"),
    "aria-label": t("move") + " : " + (props.nom || need.id) });
  opener.addEventListener("click", function () {
    var open = opener.getAttribute("aria-expanded") !== "true";
    opener.setAttribute("aria-expanded", String(open));
    moveBox.hidden = !open;
    clear(moveBox);
    if (open) {
      moveBox.appendChild(moveForm(need, { stages: board.stages, label: stageLabel, close: function () {
        opener.setAttribute("aria-expanded", "false"); moveBox.hidden = true; clear(moveBox); opener.focus();
      }, done: afterMove, reload: reloadBoard }));
      var first = moveBox.querySelector("select");
      if (first) first.focus();
    }
  });
  var journal = el("div", { className: "journal-box" });
  var details = el("details", { className: "need-details" }, [el("summary", { text: t("details") }), journal]);
  details.addEventListener("toggle", function () { if (details.open) showJournal(need, journal); });
  var qpv = need.qpv ? names[need.qpv] || need.qpv : t("outside");
  return el("li", { className: "need-card", id: "need-" + key, "data-need": need.id }, [
    el("h4", { lang: "fr", text: props.nom || need.id }),
    el("p", { className: "need-meta" }, [t("qpv_label"), el("span", { lang: "fr", text: qpv })]),
    el("p", { className: "need-meta", text: t("defi_label") + ((props.defi || []).map(defiTitle).join(", ") || t("none")) }),
    el("p", { className: "need-days", text: daysText(props) + (props.etape_date ? " (" + shortDate(props.etape_date) + ")" : "") }),
    opener, moveBox, details]);
}

function renderColumns() {
  var names = qpvNames(), total = 0;
  var columns = clear($("fab-columns"));
  board.stages.forEach(function (stage) {
    var list = el("ul", { className: "cards" });
    board.needs.forEach(function (need) {
      if (stageOf(need.props) !== stage || !shown(need)) return;
      list.appendChild(card(need, names));
      total += 1;
    });
    var count = list.children.length;
    if (!count) list.appendChild(el("li", { className: "help", text: t("empty") }));
    columns.appendChild(el("section", { className: "stage-col", "data-stage": stage, "aria-labelledby": "col-" + stage }, [
      el("h3", { id: "col-" + stage }, [stageLabel(stage) + " ", el("span", { className: "count", text: "(" + count + ")" })]),
      list]));
  });
  $("fab-count").textContent = total + t("count") + board.needs.length;
}

// -- loading and moving --------------------------------------------------------------------

async function load() {
  var features = await fetchAll("besoins");
  board.needs = features.map(function (feature, i) {
    var props = feature.properties || {};
    return { id: String(feature.id !== undefined && feature.id !== null ? feature.id : props.id), props: props,
      qpv: qpvOf(feature), key: "n" + i };
  }).sort(function (a, b) {
    return String(a.props.nom || "").localeCompare(String(b.props.nom || ""), "fr");
  });
}

/** After a need moved: the board again (filters kept), the focus on that need's card. */
async function afterMove(need, saved) {
  say(need.props.nom + t("moved") + stageLabel(saved.properties.etape) + ".");
  await load();
  renderColumns();
  var again = board.needs.filter(function (n) { return n.id === need.id; })[0];
  var button = again && $("move-open-" + again.key);
  if (button) { button.scrollIntoView({ block: "nearest" }); button.focus(); }
  if (state.layers.besoins) reloadLayer("besoins");  // the map's cards say the new stage
}

/** Someone else changed the need (412): the board reloads with what is stored now. */
export async function reloadBoard() {
  await load();
  renderColumns();
}

export async function show(box) {
  board.root = box;
  say(t("loading"));
  var schema;
  try {
    schema = await getJSON(schemaUrl("besoins"));
    await load();
  } catch (err) {
    say("");
    box.appendChild(el("p", { role: "alert", text: t("failed") + err.message }));
    return;
  }
  var spec = schema.properties.etape;
  board.stages = (spec.enum || []).filter(function (v) { return v !== null; });
  board.labels = {};
  (spec.oneOf || []).forEach(function (one) { if (one.const !== null) board.labels[one.const] = one.title; });
  say("");
  renderFilters(box);
  box.appendChild(el("p", { className: "help", id: "fab-count" }));
  box.appendChild(el("div", { className: "board", id: "fab-columns", role: "group", "aria-label": t("columns") }));
  renderColumns();
  document.body.setAttribute("data-board", "ready");
}

// -- a need's details and journal ------------------------------------------------------------

async function showJournal(need, box) {
  clear(box).appendChild(el("p", { className: "help", text: t("loading") }));
  var url = itemUrl("besoins", need.id);
  var item = await send("GET", url), history = await send("GET", url + "/history");
  clear(box);
  if (!item.ok || !history.ok) {
    box.appendChild(el("p", { role: "alert", text: t("failed") + problemText(item.ok ? history : item) }));
    return;
  }
  var props = item.body.properties || {};
  if (props.date_signalement) {
    box.appendChild(el("p", { text: t("reported") + shortDate(props.date_signalement) +
      (props.signale_par ? " — " + valueLabel("signale_par", props.signale_par) : "") }));
  }
  if (props.adresse) box.appendChild(el("p", {}, [t("address"), el("span", { lang: "fr", text: props.adresse })]));
  if (props.description) box.appendChild(el("p", {}, [t("description"), el("span", { lang: "fr", text: props.description })]));
  var versions = (history.body.versions || []).filter(function (v) {
    return v.op === "insert" || v.op === "seed" || v.op === "revert" || v.op === "restore" ||
      (v.changed || []).some(function (name) { return STEP_FIELDS.indexOf(name) >= 0; });
  }).slice(0, 40);
  var olds = await Promise.all(versions.map(function (v) { return send("GET", url + "/history/" + v.version); }));
  box.appendChild(el("h5", { text: t("journal") }));
  var list = el("ol", { className: "journal", reversed: "" });
  versions.forEach(function (v, i) {
    var p = olds[i].ok ? olds[i].body.properties || {} : {};
    var stage = stageOf(p);
    var line = el("li", { "data-stage": stage }, [
      el("strong", { text: stageLabel(stage) + (p.etape_date ? " — " + shortDate(p.etape_date) : "") }),
      el("br"), t("typed") + new Date(v.date).toLocaleDateString(locale()) + " " + t("by") + v.author + " (" + v.role + ")"]);
    if (p.reponse && (stage === "lance" || stage === "reponse_existante")) {
      line.appendChild(el("br"));
      line.appendChild(document.createTextNode(t("answer") + answerName(p.reponse)));
    }
    if (p.motif && stage === "abandonne") line.appendChild(el("p", { className: "staff-note" }, [t("motif"), el("span", { lang: "fr", text: p.motif })]));
    if (v.reason) line.appendChild(el("p", { className: "staff-note" }, [t("reason"), el("span", { lang: "fr", text: v.reason })]));
    list.appendChild(line);
  });
  if (!versions.length) box.appendChild(el("p", { className: "help", text: t("no_journal") }));
  else box.appendChild(list);
}
