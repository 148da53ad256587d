/* « Bilan annuel » of the Fabrique à initiatives (staff, loaded by js/staff/fabrique.js): a
 * year picker, the year's figures (GET /api/fabrique/bilan?annee=…), the Métropole's sentence,
 * the figures per QPV, the lauréats, the CSV (f=csv) and a print button (print CSS: only the
 * bilan prints). Every text from the server is written as DOM text. */

import { getJSON } from "../api.js";
import { $, clear, el } from "../dom.js";
import { locale, register } from "../i18n.js";
import { say } from "./fabrique.js";

const t = register({
  fr: {
    year: "Année", csv: "Télécharger le tableau (CSV)", print: "Imprimer le bilan", loading: "Chargement…",
    failed: "Bilan indisponible : ", heading: "Bilan de la Fabrique à initiatives — ", phrase: "En une phrase",
    figures: "Les chiffres de l'année", besoins_reperes: "Besoins repérés", explorations: "Explorations",
    etudes_opportunite: "Études d'opportunité", qpv_concernes: "QPV concernés (exploration ou étude)",
    activites_lancees: "Activités lancées", abandons: "Abandons", reponses_existantes: "Réponses existantes",
    laureats: "Lauréats de l'Appel à projets et des Prix ESS", laureats_total: "Lauréats",
    laureats_qpv: "Lauréats qui concernent un QPV", montant: "Montant des soutiens",
    montant_qpv: "Montant des soutiens aux lauréats en QPV", per_qpv: "Par quartier",
    qpv: "Quartier", concerned: "QPV concerné", yes: "oui", no: "non", none: "Aucun besoin suivi cette année.",
    how: "Chaque étape compte dans l'année de sa date (le jour où elle a eu lieu), lue dans le journal du besoin.",
  },
  en: {
    year: "Year", csv: "Download the table (CSV)", print: "Print the report", loading: "Loading…",
    failed: "Report unavailable: ", heading: "Fabrique à initiatives report — ", phrase: "In one sentence",
    figures: "The year's figures", besoins_reperes: "Needs spotted", explorations: "Explorations",
    etudes_opportunite: "Opportunity studies", qpv_concernes: "QPVs concerned (exploration or study)",
    activites_lancees: "Activities started", abandons: "Dropped", reponses_existantes: "Existing answers",
    laureats: "Call for projects and ESS awards winners", laureats_total: "Winners",
    laureats_qpv: "Winners concerning a QPV", montant: "Support amount",
    montant_qpv: "Support amount to winners in QPVs", per_qpv: "Per neighbourhood",
    qpv: "Neighbourhood", concerned: "QPV concerned", yes: "yes", no: "no", none: "No need followed this year.",
    how: "Each stage counts in the year of its date (the day it happened), read in the need's journal.",
  },
});

const FIGURES = ["besoins_reperes", "explorations", "etudes_opportunite", "qpv_concernes",
  "activites_lancees", "abandons", "reponses_existantes"];
const COLUMNS = ["besoins_reperes", "explorations", "etudes_opportunite", "activites_lancees",
  "abandons", "reponses_existantes"];
const FIRST_YEAR = 2015;
var chosen = null;  // the year picked (kept when the screen is drawn again)

function bilanUrl(year, csv) { return "api/fabrique/bilan?annee=" + encodeURIComponent(year) + (csv ? "&f=csv" : ""); }

function number(n) { return Number(n || 0).toLocaleString(locale()); }

function euros(n) {
  return Number(n || 0).toLocaleString(locale(), { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
}

function figureList(pairs) {
  var dl = el("dl", { className: "figures" });
  pairs.forEach(function (pair) {
    dl.appendChild(el("div", { className: "figure" }, [el("dt", { text: pair[0] }), el("dd", { text: pair[1] })]));
  });
  return dl;
}

function qpvTable(rows) {
  var head = el("tr", {}, [el("th", { scope: "col", text: t("qpv") })].concat(COLUMNS.map(function (name) {
    return el("th", { scope: "col", className: "num", text: t(name) });
  })).concat([el("th", { scope: "col", text: t("concerned") })]));
  var body = el("tbody");
  rows.forEach(function (row) {
    body.appendChild(el("tr", { "data-qpv": row.code_qp || "" }, [el("th", { scope: "row", lang: "fr", text: row.nom })]
      .concat(COLUMNS.map(function (name) { return el("td", { className: "num", text: number(row[name]) }); }))
      .concat([el("td", { text: row.code_qp ? t(row.qpv_concerne ? "yes" : "no") : "—" })])));
  });
  return el("div", { className: "table-scroll", role: "region", "aria-labelledby": "bilan-qpv-caption", tabindex: "0" }, [
    el("table", { className: "bilan-table", id: "bilan-qpv" }, [
      el("caption", { id: "bilan-qpv-caption", text: t("per_qpv") }), el("thead", {}, [head]), body])]);
}

function render(out, figures) {
  clear(out);
  out.appendChild(el("h3", { id: "bilan-heading", text: t("heading") + figures.annee }));
  out.appendChild(el("h4", { text: t("phrase") }));
  out.appendChild(el("p", { className: "bilan-phrase", id: "bilan-phrase", lang: "fr", text: figures.phrase }));
  out.appendChild(el("h4", { text: t("figures") }));
  out.appendChild(figureList(FIGURES.map(function (name) { return [t(name), number(figures[name])]; })));
  var lau = figures.laureats || {};
  out.appendChild(el("h4", { text: t("laureats") }));
  out.appendChild(figureList([[t("laureats_total"), number(lau.total)], [t("laureats_qpv"), number(lau.qpv)],
    [t("montant"), euros(lau.montant_eur)], [t("montant_qpv"), euros(lau.montant_qpv_eur)]]));
  if ((figures.par_qpv || []).length) out.appendChild(qpvTable(figures.par_qpv));
  else out.appendChild(el("p", { className: "help", text: t("none") }));
  out.appendChild(el("p", { className: "help", text: t("how") }));
}

async function load(year, out, csv) {
  csv.href = bilanUrl(year, true);
  csv.setAttribute("download", "bilan_fabrique_" + year + ".csv");
  say(t("loading"));
  var figures;
  try { figures = await getJSON(bilanUrl(year)); } catch (err) {
    say("");
    clear(out).appendChild(el("p", { role: "alert", text: t("failed") + err.message }));
    return;
  }
  render(out, figures);
  say("");
  document.body.setAttribute("data-bilan", String(year));
}

export async function show(box) {
  var now = new Date().getFullYear(), years = [];
  for (var y = now; y >= FIRST_YEAR; y -= 1) years.push(y);
  var picker = el("select", { id: "bilan-year" }, years.map(function (y) { return el("option", { value: String(y), text: String(y) }); }));
  var csv = el("a", { id: "bilan-csv", href: bilanUrl(now, true), text: t("csv") });
  var out = el("div", { id: "bilan-out", className: "bilan" });
  box.appendChild(el("div", { className: "filters bilan-controls no-print" }, [
    el("span", { className: "filter" }, [el("label", { for: "bilan-year", text: t("year") }), picker]),
    el("span", { className: "filter links" }, [csv,
      el("button", { type: "button", id: "bilan-print", className: "secondary", text: t("print"), onclick: function () { window.print(); } })])]));
  box.appendChild(out);
  picker.value = chosen || String(now);
  picker.addEventListener("change", function () { chosen = picker.value; load(picker.value, out, csv); });
  await load(picker.value, out, csv);
  if ($("bilan-out")) document.body.setAttribute("data-bilan-ready", "true");
}
