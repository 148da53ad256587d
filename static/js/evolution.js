/* « Évolution » of one QPV on the Diagnostic tab: its rank and ESS answers per year
 * (31 December of each year, today for the current one) as an SVG chart, the same figures
 * as a table, and what moved the QPV between two years (a place opened or closed within
 * reach, a need reported or launched). Data text is always set as text. */

import { getJSON } from "./api.js";
import { clear, el } from "./dom.js";
import { locale, register } from "./i18n.js";

const t = register({
  fr: {
    evo_button: "Évolution", evo_title: "Évolution du quartier",
    evo_caption: "Rang et réponses ESS au 31 décembre de chaque année",
    evo_chart: "Rang (ligne, 1 = le plus sous-desservi) et réponses ESS ouvertes (barres) par année",
    evo_year: "Au", evo_rank: "Rang", evo_score: "Score", evo_answers: "Réponses ESS",
    evo_needs: "Besoins ouverts", evo_moved: "Ce qui a bougé", evo_nothing: "rien de daté",
    evo_loading: "Chargement de l'évolution…", evo_failed: "Évolution indisponible : ",
    evo_undated: "Lieux et projets sans date (comptés selon leur statut actuel) : ",
    evo_flat: "Aucun lieu ni besoin daté n'a bougé à portée de ce quartier sur la période.",
  },
  en: {
    evo_button: "Evolution", evo_title: "How the neighbourhood changed",
    evo_caption: "Rank and ESS answers on 31 December of each year",
    evo_chart: "Rank (line, 1 = most underserved) and open ESS answers (bars) per year",
    evo_year: "On", evo_rank: "Rank", evo_score: "Score", evo_answers: "ESS answers",
    evo_needs: "Open needs", evo_moved: "What moved", evo_nothing: "nothing dated",
    evo_loading: "Loading the evolution…", evo_failed: "Evolution unavailable: ",
    evo_undated: "Places and projects without dates (counted by their current status): ",
    evo_flat: "No dated place or need moved within reach of this neighbourhood over the period.",
  },
});

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 170;
const PAD = { left: 34, right: 34, top: 14, bottom: 26 };

function svg(tag, attrs, children) {
  const node = document.createElementNS(SVG, tag);
  Object.keys(attrs || {}).forEach((key) => node.setAttribute(key, String(attrs[key])));
  (children || []).forEach((child) => {
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

/** « 31/12/2022 » in the page's language. */
export function dayText(iso) {
  const parts = String(iso).split("-").map(Number);
  return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]))
    .toLocaleDateString(locale(), { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" });
}

/** The chart: rank as a line (1 at the top), answers as bars, one step per year. */
function chart(series, id) {
  const n = series.length;
  const ranks = series.map((s) => s.rank).filter((r) => r !== null && r !== undefined);
  const worst = Math.max(2, ...ranks);
  const most = Math.max(1, ...series.map((s) => s.answers));
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (n === 1 ? w / 2 : (i * w) / (n - 1));
  const yRank = (r) => PAD.top + ((r - 1) * h) / (worst - 1);
  const yBar = (a) => PAD.top + h - (a * h) / most;
  const root = svg("svg", { viewBox: "0 0 " + WIDTH + " " + HEIGHT, role: "img",
    "aria-labelledby": id + "-t " + id + "-d", class: "evo-chart", width: "100%" });
  root.appendChild(svg("title", { id: id + "-t" }, [t("evo_chart")]));
  const described = series.map((s) => dayText(s.date) + " : " + t("evo_rank").toLowerCase() + " " +
    (s.rank === null ? "—" : s.rank) + ", " + s.answers + " " + t("evo_answers").toLowerCase()).join(" ; ");
  root.appendChild(svg("desc", { id: id + "-d" }, [described]));
  const barWidth = Math.max(6, Math.min(22, w / Math.max(n, 1) / 2));
  series.forEach((s, i) => {
    root.appendChild(svg("rect", { x: x(i) - barWidth / 2, y: yBar(s.answers), width: barWidth,
      height: Math.max(0, PAD.top + h - yBar(s.answers)), class: "evo-bar" }));
    root.appendChild(svg("text", { x: x(i), y: HEIGHT - 8, "text-anchor": "middle", class: "evo-axis" },
      [s.date.slice(0, 4)]));
  });
  const points = series.map((s, i) => (s.rank === null ? null : x(i) + "," + yRank(s.rank)))
    .filter(Boolean);
  if (points.length) root.appendChild(svg("polyline", { points: points.join(" "), class: "evo-line" }));
  series.forEach((s, i) => {
    if (s.rank === null) return;
    root.appendChild(svg("circle", { cx: x(i), cy: yRank(s.rank), r: 3.5, class: "evo-dot" }));
  });
  root.appendChild(svg("text", { x: 4, y: PAD.top + 4, class: "evo-axis" }, ["1"]));
  root.appendChild(svg("text", { x: 4, y: PAD.top + h, class: "evo-axis" }, [String(worst)]));
  root.appendChild(svg("text", { x: WIDTH - 4, y: PAD.top + 4, "text-anchor": "end",
    class: "evo-axis" }, [String(most)]));
  return root;
}

function table(series) {
  const head = ["evo_year", "evo_rank", "evo_score", "evo_answers", "evo_needs", "evo_moved"];
  const body = el("tbody", {}, series.map((s) => el("tr", {}, [
    el("th", { scope: "row", text: dayText(s.date) }),
    el("td", { className: "num", text: s.rank === null ? "—" : String(s.rank) }),
    el("td", { className: "num", text: s.score === null ? "—" : String(Math.round(s.score)) }),
    el("td", { className: "num", text: String(s.answers) }),
    el("td", { className: "num", text: String(s.needs_open) }),
    el("td", { lang: "fr", text: s.moved.length ? s.moved.map((m) => m.text).join(" ; ") : "—" }),
  ])));
  return el("table", { className: "ranking evo-table" }, [
    el("caption", { text: t("evo_caption") }),
    el("thead", {}, [el("tr", {}, head.map((key) => el("th", { scope: "col", text: t(key) })))]),
    body,
  ]);
}

/** Fill `box` with the evolution of QPV `code` (query: `defi=…&include=…`). */
export async function showEvolution(box, code, query) {
  clear(box);
  box.appendChild(el("p", { className: "help", role: "status", text: t("evo_loading") }));
  // the server's default period: the last six years, this one included
  const url = "api/analysis/evolution?qpv=" + encodeURIComponent(code) + (query ? "&" + query : "");
  try {
    const body = await getJSON(url);
    clear(box);
    box.appendChild(el("h4", { id: "evo-title", text: t("evo_title") }));
    box.appendChild(chart(body.series, "evo-" + code));
    box.appendChild(table(body.series));
    const undated = body.undated.length ? body.undated[body.undated.length - 1].answers : 0;
    if (undated) box.appendChild(el("p", { className: "help", text: t("evo_undated") + undated }));
    if (!body.series.some((s) => s.moved.length)) box.appendChild(el("p", { className: "help", text: t("evo_flat") }));
  } catch (err) {
    clear(box);
    box.appendChild(el("p", { className: "help", role: "status", text: t("evo_failed") + err.message }));
  }
}

/** The « Évolution » button of a QPV's panel and the place its figures go. */
export function evolutionToggle(code, query) {
  const box = el("div", { className: "evo", id: "evo-box" });
  const button = el("button", { type: "button", className: "secondary", "aria-expanded": "false",
    "aria-controls": "evo-box", text: t("evo_button") });
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    if (open) showEvolution(box, code, query); else clear(box);
  });
  return el("div", {}, [button, box]);
}
