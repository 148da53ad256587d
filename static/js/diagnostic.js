/* The "Diagnostic" tab, loaded with import() when the tab is first opened: the underserved
 * score per QPV as a choropleth and a ranking, each QPV's reasons in its details panel,
 * downloads of the selection. */

import { getJSON } from "./api.js";
import { $, clear, el } from "./dom.js";
import { locale, register } from "./i18n.js";
import { defiTitle, valueLabel } from "./labels.js";
import { detailPadding, select, state, status, t as mapText, whenIdle } from "./map.js";
import { fillMeta, metaBox, printButton } from "./print.js";
import { dayText, evolutionToggle } from "./evolution.js";

const t = register({
  fr: {
    comp_access: "accès transports (métro, tram, train urbain)", comp_answer: "réponse ESS",
    comp_demand: "besoins signalés", comp_distance: "distance aux lieux", comp_need: "besoin",
    diag_coverage: "Couverture des indicateurs : ",
    diag_document: "À documenter en priorité (besoin inconnu : pas d'indicateurs INSEE)",
    diag_drives: "Ce qui fait vraiment le classement (part de l'écart des scores) : ",
    diag_needs: "Besoins ouverts signalés", diag_of_draws: " % des tirages",
    diag_possible: "rang possible ", diag_reasons: "Raisons",
    diag_working: "En cours à la Fabrique à initiatives", diag_answered: "Besoins qui ont trouvé leur réponse",
    diag_title_qpv: "Diagnostic du quartier", diag_top5: " ; dans les 5 premiers dans ",
    diag_unavailable: "Le diagnostic n'est pas disponible : ", diag_unknown: "Besoin inconnu",
    diag_verified_only: "Le score compte les réponses ESS vérifiées seulement",
    diag_waiting: " à vérifier dans les données ouvertes",
    diag_with_unverified: "Le score compte aussi les réponses ESS à vérifier", fragile: "fragile",
    robuste: "robuste", diag_params: "paramètres : Défi ", diag_all_defis: "tous",
    diag_ring: "anneau ", diag_weights: "poids ",
    diag_date: "Classement au (date passée, vide = aujourd'hui)", diag_today: "Aujourd'hui",
    diag_at: "Classement au ", diag_dated: "Lieux et projets datés : ",
    diag_undated: " ; sans date ce jour-là (comptés selon leur statut actuel) : ",
    diag_not_dated: "Pris comme aujourd'hui : ",
  },
  en: {
    comp_access: "transit access (metro, tram, urban train)", comp_answer: "ESS answer",
    comp_demand: "reported needs", comp_distance: "distance to places", comp_need: "need",
    diag_coverage: "Indicator coverage: ",
    diag_document: "To document first (unknown need: no INSEE indicators)",
    diag_drives: "What actually drives the ranking (share of the score spread): ",
    diag_needs: "Open needs reported", diag_of_draws: " % of draws",
    diag_possible: "possible rank ", diag_reasons: "Reasons",
    diag_working: "In progress at the Fabrique à initiatives", diag_answered: "Needs that found their answer",
    diag_title_qpv: "Neighbourhood diagnosis", diag_top5: "; in the top 5 in ",
    diag_unavailable: "The diagnostic is not available: ", diag_unknown: "Unknown need",
    diag_verified_only: "The score counts checked ESS answers only",
    diag_waiting: " to check in the open data",
    diag_with_unverified: "The score also counts ESS answers still to check", fragile: "fragile",
    robuste: "robust", diag_params: "parameters: Défi ", diag_all_defis: "all",
    diag_ring: "ring ", diag_weights: "weights ",
    diag_date: "Ranking on (a past date, empty = today)", diag_today: "Today",
    diag_at: "Ranking on ", diag_dated: "Dated places and projects: ",
    diag_undated: "; undated that day (counted by their current status): ",
    diag_not_dated: "Taken as today: ",
  },
});

function diagQuery(withDate) {
  var parts = [];
  if (state.defi) parts.push("defi=" + encodeURIComponent(state.defi));
  if (state.unverified) parts.push("include=a_verifier");
  if (withDate !== false && state.diagDay) parts.push("date=" + encodeURIComponent(state.diagDay));
  return parts.join("&");
}

/** The date picker (« au 30/06/2022 »), made once above the legend; its texts follow the
 * page's language at each render. */
function dateControls() {
  var line = $("diag-date-line");
  if (!line) {
    var input = el("input", { type: "date", id: "diag-date", min: "2000-01-01",
      max: new Date().toISOString().slice(0, 10) });
    input.addEventListener("change", function () {
      if (input.value && !input.checkValidity()) return;
      state.diagDay = input.value || "";
      loadDiag();
    });
    var reset = el("button", { type: "button", id: "diag-date-reset", className: "secondary" });
    reset.addEventListener("click", function () { input.value = ""; state.diagDay = ""; loadDiag(); });
    line = el("p", { id: "diag-date-line", className: "date-line" },
      [el("label", { for: "diag-date", id: "diag-date-label" }), " ", input, " ", reset]);
    var title = $("panel-diag").querySelector(".legend-title");
    title.parentNode.insertBefore(line, title);
  }
  $("diag-date-label").textContent = t("diag_date");
  $("diag-date-reset").textContent = t("diag_today");
}

function setDownloads() {
  var q = diagQuery();
  var amp = q ? "&" + q : "";
  $("dl-geojson").href = "api/map/diagnostic-export?f=geojson" + amp;
  $("dl-csv").href = "api/analysis/underserved?f=csv" + amp;
  $("dl-gpkg").href = "api/map/diagnostic-export?f=gpkg" + amp;
  $("dl-xlsx").href = "api/analysis/underserved?f=xlsx" + amp;
  $("dl-ods").href = "api/analysis/underserved?f=ods" + amp;
  $("dl-shp").href = "api/map/diagnostic-export?f=shp&crs=EPSG:2154" + amp;
}

function classColor(code) {
  var classes = state.diag.classes;
  var index = classes.qpv[code];
  if (index === null || index === undefined) return classes.unknown.color;
  return classes.classes[index].color;
}

function renderDiagLegend() {
  var legend = clear($("diag-legend"));
  if (!state.diag) return;
  function fmt(v) { return Number(v).toLocaleString(locale(), { maximumFractionDigits: 1 }); }
  state.diag.classes.classes.forEach(function (c) {
    var chip = el("span", { className: "swatch", "aria-hidden": "true" });
    chip.style.background = c.color;
    var range = c.lower === c.upper ? fmt(c.upper) : fmt(c.lower) + " – " + fmt(c.upper);
    legend.appendChild(el("li", {}, [chip, range]));
  });
  var unknown = el("span", { className: "swatch", "aria-hidden": "true" });
  unknown.style.background = state.diag.classes.unknown.color;
  legend.appendChild(el("li", {}, [unknown, t("diag_unknown") + " (" +
    state.diag.classes.unknown.count + ")"]));
}

/** The diagnosis of one QPV, shown in its details panel under the QPV's card. */
function reasonsNode(entry) {
  var box = el("section", { className: "diag-reasons", "aria-labelledby": "diag-reasons-title" });
  box.appendChild(el("h3", { id: "diag-reasons-title", text: t("diag_title_qpv") }));
  var rank = entry.rank === null || entry.rank === undefined ? "—" : String(entry.rank);
  box.appendChild(el("p", { text: mapText("diag_rank") + " " + rank + " — " + mapText("diag_score") + " : " +
    (entry.score === null || entry.score === undefined ? t("diag_unknown") : Math.round(entry.score) + "/100") }));
  if (entry.rank_range) {
    box.appendChild(el("p", { text: t("diag_possible") + rangeText(entry.rank_range) +
      (entry.robustness ? " (" + t(entry.robustness) + ")" : "") + t("diag_top5") +
      Math.round((entry.top5_share || 0) * 100) + t("diag_of_draws") }));
  }
  if (entry.indicator_coverage !== undefined && entry.indicator_coverage !== null) {
    box.appendChild(el("p", { className: "help", text: t("diag_coverage") +
      Math.round(entry.indicator_coverage * 100) + " %" }));
  }
  if (entry.drivers) box.appendChild(el("p", { lang: "fr", className: "drivers", text: entry.drivers }));
  box.appendChild(el("h4", { text: t("diag_reasons") }));
  var ul = el("ul", { className: "reasons", lang: "fr" });
  (entry.reasons || []).forEach(function (r) { ul.appendChild(el("li", { text: r })); });
  box.appendChild(ul);
  box.appendChild(evolutionToggle(entry.code_qp, diagQuery(false)));
  if ((entry.needs || []).length) {  // open needs spotted here (residents, Maisons des Citoyens, staff)
    box.appendChild(el("h4", { id: "diag-needs-title", text: t("diag_needs") }));
    var needs = el("ul", { className: "needs", "aria-labelledby": "diag-needs-title" });
    entry.needs.forEach(function (n) {
      needs.appendChild(el("li", {}, [el("span", { lang: "fr", text: n.nom }),
        " — " + n.defi.map(defiTitle).join(", ")]));
    });
    box.appendChild(needs);
  }
  stagedList(box, "diag-working", t("diag_working"), entry.needs_in_progress);
  stagedList(box, "diag-answered", t("diag_answered"), entry.needs_answered);
  var body = state.diag.body, weights = body.weights || {};
  var params = t("diag_params") + (body.defi ? defiTitle(body.defi) : t("diag_all_defis")) +
    ", " + t("diag_ring") + body.ring_m + " m, " + t("diag_weights") +
    Object.keys(weights).map(function (k) { return k + ":" + weights[k]; }).join(", ");
  var meta = metaBox(), sources = ["diagnostic_qpv", "qpv"];
  box.appendChild(meta);
  fillMeta(meta, sources, params).catch(function () { /* printed without sources */ });
  box.appendChild(printButton("qpv", meta, sources, params, function (printing) {
    state.map.invalidateSize();  // the map changed size with data-print
    var shape = state.diag.shapes[entry.code_qp];
    if (printing && shape) state.map.fitBounds(shape.getBounds(), { maxZoom: 15 });
    return new Promise(function (done) { requestAnimationFrame(function () { done(); }); });
  }));
  return box;
}

/* The needs of the QPV at a stage of the Fabrique's pipeline, each with its stage in words
 * (and its answer, for a launched need or an existing answer). */
function stagedList(box, id, heading, items) {
  if (!(items || []).length) return;
  box.appendChild(el("h4", { id: id, text: heading }));
  var ul = el("ul", { className: "staged", "aria-labelledby": id });
  items.forEach(function (n) {
    var line = [el("span", { lang: "fr", text: n.nom }), " — " + valueLabel("etape", n.etape)];
    if (n.reponse_nom) line.push(" : ", el("span", { lang: "fr", text: n.reponse_nom }));
    ul.appendChild(el("li", {}, line));
  });
  box.appendChild(ul);
}

function selectDiag(entry, move, opener) {
  var rows = $("diag-table").querySelectorAll("tr[data-code]");
  rows.forEach(function (row) {
    var on = row.dataset.code === entry.code_qp;
    row.classList.toggle("selected", on);
    var button = row.querySelector("button");
    if (on) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
  });
  var item = state.layers.qpv && state.layers.qpv.byId[entry.code_qp];
  if (!item) return;
  var shape = state.diag.shapes[entry.code_qp];
  opener = opener || document.activeElement;
  select(item, false, opener, reasonsNode(entry));
  if (shape && move) {
    whenIdle(function () { state.map.fitBounds(shape.getBounds(), { maxZoom: 15, paddingBottomRight: detailPadding() }); });
  }
}

function rangeText(range) {
  if (!range) return "—";
  return range[0] === range[1] ? String(range[0]) : range[0] + "–" + range[1];
}

/** Above the ranking: what drives it, the territory-wide notes, the QPV to document. */
function renderDiagHeader() {
  dateControls();
  var box = clear($("diag-header"));
  if (!state.diag) return;
  var body = state.diag.body;
  if (body.date) {  // the ranking at a date: what was dated, what was taken as today
    box.appendChild(el("p", { id: "diag-when", className: "when", text: t("diag_at") + dayText(body.date.date) }));
    box.appendChild(el("p", { className: "help", text: t("diag_dated") + body.date.answers.dated +
      t("diag_undated") + body.date.answers.undated }));
    var notDated = body.date.not_dated || {};
    box.appendChild(el("p", { className: "help", lang: "fr", text: t("diag_not_dated") +
      Object.keys(notDated).map(function (k) { return notDated[k]; }).join(" ; ") }));
  }
  var eff = body.effective_weights || {};
  var parts = Object.keys(eff).filter(function (k) { return eff[k]; })
    .sort(function (a, b) { return eff[b] - eff[a]; })
    .map(function (k) { return t("comp_" + k) + " " + Math.round(eff[k] * 100) + " %"; });
  if (parts.length) box.appendChild(el("p", { className: "help", text: t("diag_drives") + parts.join(", ") }));
  var waiting = body.answers_unverified || {};
  var count = state.defi ? waiting[state.defi] || 0 : Object.keys(waiting).reduce(function (n, k) { return Math.max(n, waiting[k]); }, 0);
  box.appendChild(el("p", { className: "help", id: "diag-verified", text: (body.unverified_included ? t("diag_with_unverified") : t("diag_verified_only")) +
    (count ? " (" + count + t("diag_waiting") + ")" : "") }));
  (body.notes || []).forEach(function (note) {
    box.appendChild(el("p", { className: "note", lang: "fr", text: note }));
  });
  var todo = body.to_document_first || [];
  if (todo.length) {
    box.appendChild(el("h2", { text: t("diag_document") }));
    var ul = el("ul", { className: "reasons" });
    todo.forEach(function (q) {
      var item = state.layers.qpv && state.layers.qpv.byId[q.code_qp];
      var label = t("diag_possible") + rangeText(q.rank_range) + t("diag_top5") +
        Math.round((q.top5_share || 0) * 100) + t("diag_of_draws");
      var entry = state.diag.items.filter(function (e) { return e.code_qp === q.code_qp; })[0];
      ul.appendChild(el("li", {}, [item && entry ? el("button", { type: "button", className: "linklike",
        onclick: function (event) { selectDiag(entry, true, event.currentTarget); } },
        [el("span", { lang: "fr", text: q.lib_qp })]) : el("span", { lang: "fr", text: q.lib_qp }),
        " — " + label]));
    });
    box.appendChild(ul);
  }
}

export function renderDiag() {
  renderDiagHeader();
  var body = clear($("diag-table").tBodies[0]);
  if (state.diagLayer) state.map.removeLayer(state.diagLayer);
  if (!state.diag) return;
  var qpv = state.layers.qpv;
  var group = L.featureGroup();
  state.diag.shapes = {};
  state.diag.items.forEach(function (entry) {
    var item = qpv && qpv.byId[entry.code_qp];
    if (item && item.leaflet) {
      var shape = L.geoJSON(item.leaflet.toGeoJSON(), { style: { color: "#333", weight: 1.5,
        fillColor: classColor(entry.code_qp), fillOpacity: 0.85 } });
      shape.bindTooltip(el("span", { text: entry.lib_qp }), { permanent: true, direction: "center",
        className: "qpv-label" });
      shape.on("click", function () { selectDiag(entry, false, state.map.getContainer()); });
      group.addLayer(shape);
      state.diag.shapes[entry.code_qp] = shape;
    }
    var chip = el("span", { className: "chip", "aria-hidden": "true" });
    chip.style.background = classColor(entry.code_qp);
    var score = entry.score === null || entry.score === undefined ? t("diag_unknown")
      : String(Math.round(entry.score));
    body.appendChild(el("tr", { "data-code": entry.code_qp }, [
      el("td", { className: "num", text: entry.rank === null || entry.rank === undefined ? "—"
        : String(entry.rank) }),
      el("td", {}, [el("button", { type: "button", onclick: function (event) { selectDiag(entry, true, event.currentTarget); } },
        [el("span", { lang: "fr", text: entry.lib_qp })])]),
      el("td", { className: "num" }, [chip, score]),
      el("td", { className: "range" }, [rangeText(entry.rank_range),
        entry.robustness ? el("span", { className: "robust " + entry.robustness,
          text: t(entry.robustness) }) : null]),
    ]));
  });
  state.diagLayer = group;
  if (state.tab === "diagnostic") group.addTo(state.map);
  if (state.diagFit && group.getLayers().length) {
    state.map.fitBounds(group.getBounds(), { padding: [10, 10], animate: false });
    state.diagFit = false;
  }
  renderDiagLegend();
}

export async function loadDiag() {
  setDownloads();
  status("");
  try {
    var q = diagQuery();
    var results = await Promise.all([
      getJSON("api/analysis/underserved" + (q ? "?" + q : "")),
      getJSON("api/map/diagnostic-classes" + (q ? "?" + q : "")),
    ]);
    state.diag = { items: results[0].items || [], classes: results[1], body: results[0] };
    renderDiag();
    if (state.selected && state.selected.layer === "qpv") {
      var entry = state.diag.items.filter(function (e) { return e.code_qp === state.selected.id; })[0];
      if (entry) selectDiag(entry, false);
    }
  } catch (err) {
    state.diag = null;
    renderDiag();
    status(t("diag_unavailable") + err.message);
  }
}
